//! Measuring what forgetting did, the way the unlearning field measures it: one function,
//! [`measure`], takes models that are already edited (the original, each method's result, the
//! retrained model and a second retrained model with another seed) and computes for each:
//!
//! * forgetting on test: the removal rate (below) and the genre's share of the top-10;
//! * forgetting on the deleted training data: for a seeded sample of the genre's training
//!   interactions, the cloze rank of each deleted item given its preceding history (HR@10 over
//!   them, mean log-probability);
//! * membership: can the model still tell who watched what? Two AUCs (0.5 = cannot tell) from
//!   the scores given histories without the genre: per item, how well an item's score separates
//!   the sampled users who watched it from those who did not (items with ≥ 20 watchers,
//!   weighted by watchers); per user, how well a user's scores separate the genre's items they
//!   watched from those they did not (mean over users);
//! * utility: HR/NDCG@1,5,10 overall and on the retain users (test target not of the genre);
//! * closeness to the retrained model on the retain users: top-10 overlap and KL(retrained ‖
//!   model); the same between two retrained models is the noise floor;
//! * every figure as served and, where an output filter makes them differ, from the weights.
//!
//! The membership and deleted-data figures give every model the same inputs (histories without
//! the genre), so only the model differs. For the test figures, a model that has forgotten the
//! genre gets histories without its items (the interactions were deleted); the original gets
//! the histories as they were.
//!
//! Removal rate (the paper's "removal"): `1 − HR@10(forget set, after) ÷ HR@10(forget set,
//! before)`, where the forget set is the test users whose target item is of the genre. It is
//! reported for every protocol with a seeded 95% bootstrap interval over those users.

pub mod audit;
pub mod personal;
pub mod table;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use std::collections::{HashMap, HashSet};

use crate::data::{Dataset, EvalCase, Genre, ItemId};
use crate::error::Result;
use crate::metrics::{CaseResult, NegativeSampler, Protocol, ProtocolMetrics, genre_share, score_histories};
use crate::model::FfnHook;
use crate::unlearning::{EditedModel, View};

/// A removal rate with its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

/// `1 − hits_after / hits_before` over the forget-set cases (HR@10 under `protocol`), with a
/// 95% percentile bootstrap interval from `draws` resamples of the cases.
pub fn removal_rate(before: &[CaseResult], after: &[CaseResult], protocol: Protocol, draws: usize, seed: u64) -> Removal {
    let hit = |r: &CaseResult| (r.ranks[protocol as usize] < 10) as u32 as f64;
    let pairs: Vec<(f64, f64)> = before.iter().zip(after).map(|(b, a)| (hit(b), hit(a))).collect();
    let rate = |sample: &mut dyn Iterator<Item = (f64, f64)>| {
        let (b, a) = sample.fold((0.0, 0.0), |(sb, sa), (b, a)| (sb + b, sa + a));
        if b == 0.0 { 0.0 } else { 1.0 - a / b }
    };
    let point = rate(&mut pairs.iter().copied());
    if pairs.is_empty() {
        return Removal { rate: 0.0, low: 0.0, high: 0.0 };
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rates: Vec<f64> = (0..draws).map(|_| rate(&mut (0..pairs.len()).map(|_| pairs[rng.random_range(0..pairs.len())]))).collect();
    rates.sort_by(f64::total_cmp);
    let at = |q: f64| rates.get(((rates.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(point);
    Removal { rate: point, low: at(0.025), high: at(0.975) }
}

/// Mean overlap of two models' top-10 lists, in [0, 1].
pub fn top10_overlap(a: &[CaseResult], b: &[CaseResult]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let total: f64 =
        a.iter().zip(b).map(|(x, y)| x.top.iter().filter(|i| y.top.contains(i)).count() as f64 / x.top.len().max(1) as f64).sum();
    total / a.len() as f64
}

/// Mean KL(p ‖ q) between next-item distributions given as logits rows.
pub fn mean_kl(p_logits: &[Vec<f32>], q_logits: &[Vec<f32>]) -> f64 {
    let log_softmax = |row: &[f32]| {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let log_sum = row.iter().map(|&v| (v as f64 - max).exp()).sum::<f64>().ln() + max;
        row.iter().map(move |&v| v as f64 - log_sum).collect::<Vec<f64>>()
    };
    let n = p_logits.len().max(1) as f64;
    p_logits
        .iter()
        .zip(q_logits)
        .map(|(p, q)| {
            let (lp, lq) = (log_softmax(p), log_softmax(q));
            lp.iter().zip(&lq).map(|(a, b)| a.exp() * (a - b)).sum::<f64>()
        })
        .sum::<f64>()
        / n
}

/// Each metric of `after` as a percentage of `before` (HR@1,5,10 then NDCG@1,5,10).
pub fn percent_of(before: &ProtocolMetrics, after: &ProtocolMetrics, protocol: Protocol) -> [f64; 6] {
    let (b, a) = (before.get(protocol), after.get(protocol));
    let pct = |x: f64, y: f64| if y == 0.0 { 0.0 } else { 100.0 * x / y };
    [
        pct(a.hr[0], b.hr[0]),
        pct(a.hr[1], b.hr[1]),
        pct(a.hr[2], b.hr[2]),
        pct(a.ndcg[0], b.ndcg[0]),
        pct(a.ndcg[1], b.ndcg[1]),
        pct(a.ndcg[2], b.ndcg[2]),
    ]
}

// ---------------------------------------------------------------------------------------------
// The one measurement.
// ---------------------------------------------------------------------------------------------

/// What is measured, and on how many.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasureSettings {
    /// Seed of every sample below and of the bootstrap.
    pub seed: u64,
    /// Bootstrap resamples of the removal interval.
    pub draws: usize,
    /// Users sampled for the membership AUCs.
    pub membership_users: usize,
    /// An item enters the per-item AUC with at least this many watchers in the sample.
    pub min_watchers: usize,
    /// Deleted training interactions scored.
    pub deleted_interactions: usize,
    /// Retain users whose next-item distributions are compared (KL).
    pub kl_users: usize,
    /// Whether the methods' histories lose the forgotten genres' items (the default) or keep
    /// them as recorded. The retrained model and the deletion-only baseline always read the
    /// histories without the genre: by definition, they never had those interactions.
    pub histories: Histories,
    /// Whether the deletion-only baseline (the original given the histories without the genres
    /// the measured models forgot: deleting alone, no edit) is measured after the original.
    pub deletion_only: bool,
}

impl Default for MeasureSettings {
    fn default() -> Self {
        MeasureSettings {
            seed: 17,
            draws: 1000,
            membership_users: 1000,
            min_watchers: 20,
            deleted_interactions: 1000,
            kl_users: 500,
            histories: Histories::Deleted,
            deletion_only: true,
        }
    }
}

/// What a model that forgot a genre is given as history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Histories {
    /// The genre's interactions are deleted: its items leave the history (the default).
    #[default]
    Deleted,
    /// The histories as recorded (how the paper evaluates).
    Kept,
}

/// The data a measurement runs on: the dataset, the test cases, their negatives and the device.
#[derive(Clone, Copy)]
pub struct EvalContext<'a> {
    pub dataset: &'a Dataset,
    /// The test cases, as recorded.
    pub cases: &'a [EvalCase],
    pub sampler: &'a NegativeSampler,
    pub device: &'a burn::tensor::Device,
}

/// JSON has no infinities: an infinite or NaN figure is written as the string `inf`, `-inf` or
/// `NaN` and read back from it, so that a saved measurement reads back as it was.
mod unbounded {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() { s.serialize_f64(*x) } else { s.serialize_str(&x.to_string()) }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Float {
            Number(f64),
            Text(String),
        }
        match Float::deserialize(d)? {
            Float::Number(x) => Ok(x),
            Float::Text(t) => t.parse().map_err(|_| D::Error::custom(format!("{t:?} is not a number, inf, -inf or NaN"))),
        }
    }
}

/// Recall of the deleted training interactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecall {
    pub interactions: usize,
    /// Share of them ranked in the top 10 (full ranking, history excluded).
    pub hr10: f64,
    /// Mean log-probability of the deleted item (−∞ when an output filter hides it).
    #[serde(with = "unbounded")]
    pub mean_log_prob: f64,
}

/// Membership AUCs (0.5: the scores cannot tell members from non-members).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub item_auc: f64,
    pub items: usize,
    pub user_auc: f64,
    pub users: usize,
}

/// Closeness of a model to the retrained one on the retain users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Closeness {
    /// Mean share of the retrained top-10 also in this model's top-10 (all retain users).
    pub overlap: f64,
    /// Mean KL(retrained ‖ model) of the next-item softmax on the first `users` retain users
    /// (+∞ when the model gives an item the retrained one ranks zero probability).
    #[serde(with = "unbounded")]
    pub kl: f64,
    pub users: usize,
}

/// One model's figures, one way of asking it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub test_users: usize,
    pub overall: ProtocolMetrics,
    pub retain: ProtocolMetrics,
    pub forget: ProtocolMetrics,
    /// Mean share of the genre in the top-10 of all test users.
    pub share: f64,
    /// Removal against the original, per protocol (full, uniform100, pop100).
    pub removal: Vec<Removal>,
    pub deleted: DeletedRecall,
    pub membership: Membership,
    pub closeness: Option<Closeness>,
}

impl Figures {
    /// The removal rate under `protocol` (none for the reference model).
    pub fn removal_at(&self, protocol: Protocol) -> Option<Removal> {
        self.removal.get(protocol as usize).copied()
    }
}

/// The name of the deletion-only baseline in a measurement.
pub const DELETION_ONLY: &str = "deletion only";
/// The name of the model retrained without the genre, and of the second one (another seed).
pub const RETRAINED: &str = "retrained";
pub const SECOND_SEED: &str = "retrained (seed 2)";

/// A model's figures: as served, and from the weights alone where they differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelMeasurement {
    pub name: String,
    pub served: Figures,
    pub weights: Option<Figures>,
}

/// The whole measurement of a genre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub genre: Genre,
    pub settings: MeasureSettings,
    /// Test users whose target is of the genre.
    pub forget_set_users: usize,
    pub models: Vec<ModelMeasurement>,
    /// Closeness of the second retrained model to the first: the floor no method can beat.
    pub floor: Option<Closeness>,
}

impl Measurement {
    /// A model's measurement by name.
    pub fn get(&self, name: &str) -> Option<&ModelMeasurement> {
        self.models.iter().find(|m| m.name == name)
    }
}

/// Next-item logits for many histories, in batches sorted by length; natively the histories are
/// split over `context.threads` CPU cores. Rows come back in the histories' order.
pub async fn score_many(
    model: &(impl crate::model::NextItemScorer + crate::backend::Shareable),
    histories: &[Vec<ItemId>],
    context: &crate::backend::RunContext<'_>,
) -> Result<Vec<Vec<f32>>> {
    #[cfg(parallel)]
    if context.threads > 1 {
        return crate::parallel::map_chunks(histories, context.threads, |chunk, _| {
            crate::readback::block_on(score_sorted(model, chunk, context.device))
        });
    }
    score_sorted(model, histories, context.device).await
}

/// [`score_many`] on one thread.
async fn score_sorted(
    model: &impl crate::model::NextItemScorer,
    histories: &[Vec<ItemId>],
    device: &burn::tensor::Device,
) -> Result<Vec<Vec<f32>>> {
    // Shortest first, so that each batch is padded only to its own longest history (the
    // padding is trimmed exactly, see `SequenceBatch::trim_padding`); rows return in the
    // histories' order.
    let mut order: Vec<usize> = (0..histories.len()).collect();
    order.sort_by_key(|&i| histories[i].len());
    let mut rows = vec![Vec::new(); histories.len()];
    for chunk in order.chunks(SCORE_BATCH) {
        let refs: Vec<&[ItemId]> = chunk.iter().map(|&i| histories[i].as_slice()).collect();
        for (&i, row) in chunk.iter().zip(score_histories(model, &refs, None, &FfnHook::None, device).await?) {
            rows[i] = row;
        }
    }
    Ok(rows)
}

/// Histories scored in one batch by [`score_many`].
const SCORE_BATCH: usize = 128;

/// The area under the ROC curve of `positives` against `negatives` (ties count half).
pub fn auc(positives: &[f32], negatives: &[f32]) -> Option<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut all: Vec<(f32, bool)> = positives.iter().map(|&s| (s, true)).chain(negatives.iter().map(|&s| (s, false))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the positives' mid-ranks (1-based), ties sharing their mean rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid * all[i..j].iter().filter(|(_, p)| *p).count() as f64;
        i = j;
    }
    let (p, n) = (positives.len() as f64, negatives.len() as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// The membership AUCs from score rows of sampled users (`rows[u][item]`) and the genre items
/// each of them watched.
pub fn membership(rows: &[Vec<f32>], watched: &[HashSet<ItemId>], genre_items: &[ItemId], min_watchers: usize) -> Membership {
    let (mut item_sum, mut item_weight, mut items) = (0.0, 0.0, 0);
    for &item in genre_items {
        let score = |keep: bool| -> Vec<f32> {
            rows.iter().zip(watched).filter(|(_, w)| w.contains(&item) == keep).map(|(r, _)| r[item.index()]).collect()
        };
        let (pos, neg) = (score(true), score(false));
        if pos.len() < min_watchers {
            continue;
        }
        if let Some(a) = auc(&pos, &neg) {
            item_sum += a * pos.len() as f64;
            item_weight += pos.len() as f64;
            items += 1;
        }
    }
    let (mut user_sum, mut users) = (0.0, 0);
    for (row, w) in rows.iter().zip(watched) {
        let (pos, neg): (Vec<f32>, Vec<f32>) = (
            genre_items.iter().filter(|i| w.contains(i)).map(|i| row[i.index()]).collect(),
            genre_items.iter().filter(|i| !w.contains(i)).map(|i| row[i.index()]).collect(),
        );
        if let Some(a) = auc(&pos, &neg) {
            user_sum += a;
            users += 1;
        }
    }
    Membership {
        item_auc: if item_weight > 0.0 { item_sum / item_weight } else { 0.5 },
        items,
        user_auc: if users > 0 { user_sum / users as f64 } else { 0.5 },
        users,
    }
}

/// The 0-based rank of `target` among all items not in `history` (ties count against it), and
/// its log-probability.
fn rank_and_log_prob(row: &[f32], history: &[ItemId], target: ItemId) -> (usize, f64) {
    let seen: HashSet<ItemId> = history.iter().copied().collect();
    let t = row[target.index()];
    let rank = row.iter().enumerate().filter(|&(i, &s)| i != target.index() && !seen.contains(&ItemId(i as u32)) && s >= t).count();
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let log_sum = row.iter().map(|&v| (v as f64 - max).exp()).sum::<f64>().ln() + max;
    (rank, t as f64 - log_sum)
}

/// The samples a measurement draws once and asks every model about.
struct Samples {
    genre_items: Vec<ItemId>,
    /// Membership: users' histories without the genre, and the genre items they watched.
    member_histories: Vec<Vec<ItemId>>,
    watched: Vec<HashSet<ItemId>>,
    /// Deleted interactions: the preceding history without the genre, and the item.
    deleted: Vec<(Vec<ItemId>, ItemId)>,
}

fn draw_samples(dataset: &Dataset, genre: Genre, settings: &MeasureSettings) -> Samples {
    use rand::seq::{IndexedRandom, SliceRandom};
    let genre_items: Vec<ItemId> = (0..dataset.num_items() as u32).map(ItemId).filter(|&i| dataset.has_genre(i, genre)).collect();
    let train = dataset.train_sequences();
    let strip = |h: &[ItemId]| -> Vec<ItemId> { h.iter().copied().filter(|&i| !dataset.has_genre(i, genre)).collect() };
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut users: Vec<usize> = (0..dataset.users.len()).collect();
    users.shuffle(&mut rng);
    let mut member_histories = Vec::new();
    let mut watched = Vec::new();
    for &u in users.iter() {
        if member_histories.len() >= settings.membership_users {
            break;
        }
        let history = strip(train[u]);
        if history.is_empty() {
            continue;
        }
        watched.push(train[u].iter().copied().filter(|&i| dataset.has_genre(i, genre)).collect());
        member_histories.push(history);
    }
    let mut deleted = Vec::new();
    for &u in users.iter() {
        if deleted.len() >= settings.deleted_interactions {
            break;
        }
        let positions: Vec<usize> = (0..train[u].len()).filter(|&t| dataset.has_genre(train[u][t], genre)).collect();
        if let Some(&t) = positions.choose(&mut rng) {
            let history = strip(&train[u][..t]);
            if !history.is_empty() {
                deleted.push((history, train[u][t]));
            }
        }
    }
    Samples { genre_items, member_histories, watched, deleted }
}

/// Scores and results of one model, one view.
struct Run {
    results: HashMap<usize, CaseResult>,
    kl_rows: Vec<Vec<f32>>,
    figures: Figures,
}

/// What a measurement asks every model about, drawn once.
struct Plan<'a> {
    ctx: &'a EvalContext<'a>,
    genre: Genre,
    settings: &'a MeasureSettings,
    samples: Samples,
    retain_users: Vec<usize>,
    kl_users: HashSet<usize>,
    /// The device, and natively the CPU cores the work is split over.
    context: crate::backend::RunContext<'a>,
}

impl Plan<'_> {
    /// Removal against `reference`, per protocol, over the forget-set users both were asked about.
    fn removal(&self, reference: &Run, results: &HashMap<usize, CaseResult>) -> Vec<Removal> {
        let (before, after): (Vec<CaseResult>, Vec<CaseResult>) = reference
            .results
            .values()
            .filter(|b| self.ctx.dataset.has_genre(b.target, self.genre))
            .filter_map(|b| results.get(&b.user).map(|a| (b.clone(), a.clone())))
            .unzip();
        Protocol::iter().map(|p| removal_rate(&before, &after, p, self.settings.draws, self.settings.seed)).collect()
    }

    /// One model, one view. `histories`: how the model is given the test histories.
    async fn run(&self, asked: Asked<'_>, reference: Option<&Run>, retrained: Option<&Run>) -> Result<Run> {
        let Asked { model, view, histories } = asked;
        let (ctx, settings, samples, genre) = (self.ctx, self.settings, &self.samples, self.genre);
        let in_genre = |item: ItemId| ctx.dataset.has_genre(item, genre);
        let retain_users = &self.retain_users;
        let cases = match histories {
            Histories::Deleted => model.cases(ctx.dataset, ctx.cases.to_vec()),
            Histories::Kept => ctx.cases.to_vec(),
        };
        let scorer = model.view(view);
        let context = &self.context;
        let results =
            crate::metrics::evaluate_cases(&scorer, &cases, ctx.sampler, &FfnHook::None, crate::metrics::EVAL_BATCH, context).await?;
        let kl_histories: Vec<Vec<ItemId>> = cases.iter().filter(|c| self.kl_users.contains(&c.user)).map(|c| c.history.clone()).collect();
        let kl_rows = score_many(&scorer, &kl_histories, context).await?;
        let member_rows = score_many(&scorer, &samples.member_histories, context).await?;
        let deleted_histories: Vec<Vec<ItemId>> = samples.deleted.iter().map(|(h, _)| h.clone()).collect();
        let deleted_rows = score_many(&scorer, &deleted_histories, context).await?;
        let (hits, log_prob) = samples.deleted.iter().zip(&deleted_rows).fold((0usize, 0.0), |(h, l), ((history, item), row)| {
            let (rank, lp) = rank_and_log_prob(row, history, *item);
            (h + (rank < 10) as usize, l + lp)
        });
        let n = samples.deleted.len().max(1) as f64;
        let by_user: HashMap<usize, CaseResult> = results.iter().map(|r| (r.user, r.clone())).collect();
        let removal = reference.map_or_else(Vec::new, |reference| self.removal(reference, &by_user));
        let closeness = retrained.map(|r| {
            let (mine, theirs): (Vec<CaseResult>, Vec<CaseResult>) =
                retain_users.iter().filter_map(|u| Some((by_user.get(u)?.clone(), r.results.get(u)?.clone()))).unzip();
            Closeness {
                overlap: top10_overlap(&theirs, &mine),
                kl: mean_kl(&r.kl_rows, &kl_rows),
                users: kl_rows.len().min(r.kl_rows.len()),
            }
        });
        let figures = Figures {
            test_users: results.len(),
            overall: ProtocolMetrics::from_results(results.iter()),
            retain: ProtocolMetrics::from_results(results.iter().filter(|r| !in_genre(r.target))),
            forget: ProtocolMetrics::from_results(results.iter().filter(|r| in_genre(r.target))),
            share: genre_share(&results, ctx.dataset, genre),
            removal,
            deleted: DeletedRecall { interactions: samples.deleted.len(), hr10: hits as f64 / n, mean_log_prob: log_prob / n },
            membership: membership(&member_rows, &samples.watched, &samples.genre_items, settings.min_watchers),
            closeness,
        };
        Ok(Run { results: by_user, kl_rows, figures })
    }
}

/// How a model is asked: which model, which view, which histories.
#[derive(Clone, Copy)]
struct Asked<'a> {
    model: &'a EditedModel,
    view: View,
    histories: Histories,
}

impl<'a> Asked<'a> {
    /// A reference that never had the genre's interactions (the retrained models, deletion only).
    fn without_genre(model: &'a EditedModel) -> Asked<'a> {
        Asked { model, view: View::Served, histories: Histories::Deleted }
    }
}

/// The original given the histories without every genre the other models forgot (`genre` when
/// none did): what deleting the interactions alone does, the baseline every method's removal is
/// read against.
fn deletion_only(models: &[(&str, &EditedModel)], dataset: &Dataset, genre: Genre) -> Option<EditedModel> {
    let (_, original) = models.first()?;
    let mut genres: Vec<Genre> = Vec::new();
    for g in models[1..].iter().flat_map(|(_, m)| m.forgotten.iter().copied()) {
        if !genres.contains(&g) {
            genres.push(g);
        }
    }
    if genres.is_empty() {
        genres.push(genre);
    }
    Some(original.deletion_only(dataset, &genres))
}

/// Measures `models` (named, already edited; the first is the original, the reference of the
/// removal rates) against `retrained` (and `second`, another seed, for the floor). The
/// deletion-only baseline is built here and measured after the original (unless
/// `settings.deletion_only` is off). Natively the work is split over `threads` CPU cores; in the
/// browser it runs async on one. Native callers block on it with [`Wait::wait`](crate::readback::Wait).
pub async fn measure(
    ctx: &EvalContext<'_>,
    genre: Genre,
    models: &[(&str, &EditedModel)],
    retrained: Option<&EditedModel>,
    second: Option<&EditedModel>,
    settings: &MeasureSettings,
    threads: usize,
) -> Result<Measurement> {
    let samples = draw_samples(ctx.dataset, genre, settings);
    let in_genre = |item: ItemId| ctx.dataset.has_genre(item, genre);
    let retain_users: Vec<usize> = ctx.cases.iter().filter(|c| !in_genre(c.target)).map(|c| c.user).collect();
    let kl_users: HashSet<usize> = retain_users.iter().take(settings.kl_users).copied().collect();
    let context = crate::backend::RunContext { device: ctx.device, threads };
    let plan = Plan { ctx, genre, settings, samples, retain_users, kl_users, context };
    let retrained_run = match retrained {
        Some(r) => Some(plan.run(Asked::without_genre(r), None, None).await?),
        None => None,
    };
    let baseline = if settings.deletion_only { deletion_only(models, ctx.dataset, genre) } else { None };
    let mut asked: Vec<(&str, Asked<'_>)> =
        models.iter().map(|&(name, model)| (name, Asked { model, view: View::Served, histories: settings.histories })).collect();
    if let Some(baseline) = &baseline {
        asked.insert(1.min(asked.len()), (DELETION_ONLY, Asked::without_genre(baseline)));
    }
    let mut out = Vec::new();
    let mut reference: Option<Run> = None;
    for (name, asked) in &asked {
        let served = plan.run(*asked, reference.as_ref(), retrained_run.as_ref()).await?;
        let weights = if asked.model.filters() {
            let weights = Asked { view: View::Weights, ..*asked };
            Some(plan.run(weights, reference.as_ref(), retrained_run.as_ref()).await?.figures)
        } else {
            None
        };
        out.push(ModelMeasurement { name: name.to_string(), served: served.figures.clone(), weights });
        if reference.is_none() {
            reference = Some(served);
        }
    }
    let mut floor = None;
    if let (Some(mut r), Some(reference)) = (retrained_run, reference.as_ref()) {
        let removal_of = |run: &Run| plan.removal(reference, &run.results);
        r.figures.removal = removal_of(&r);
        if let Some(second) = second {
            let s = plan.run(Asked::without_genre(second), Some(reference), Some(&r)).await?;
            floor = s.figures.closeness;
            let mut figures = s.figures.clone();
            figures.removal = removal_of(&s);
            out.push(ModelMeasurement { name: SECOND_SEED.into(), served: figures, weights: None });
        }
        out.insert(out.len().min(asked.len()), ModelMeasurement { name: RETRAINED.into(), served: r.figures, weights: None });
    }
    let forget_set_users = ctx.cases.iter().filter(|c| in_genre(c.target)).count();
    Ok(Measurement { genre, settings: *settings, forget_set_users, models: out, floor })
}

/// Settings of the relearn test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RelearnSettings {
    /// Genre-rich users whose training sequences the model is fine-tuned on (never evaluated).
    pub users: usize,
    /// Fine-tuning steps K, and how often the curve is recorded.
    pub steps: usize,
    pub every: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Test users evaluated at each point (the first ones not fine-tuned on).
    pub eval_users: usize,
    pub seed: u64,
}

impl Default for RelearnSettings {
    fn default() -> Self {
        RelearnSettings { users: 64, steps: 60, every: 20, batch_size: 32, learning_rate: 1e-3, eval_users: 1000, seed: 23 }
    }
}

/// How hard a relearn attack pushes: how many genre-rich users it fine-tunes on, for how many
/// steps, at what learning rate. Which model relearns faster can depend on it, so the test is
/// run at more than one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum RelearnStrength {
    /// 16 users, 30 steps at 3e-4.
    Weak,
    /// The default [`RelearnSettings`]: 64 users, 60 steps at 1e-3.
    Standard,
    /// 256 users, 120 steps at 3e-3.
    Strong,
}

impl RelearnStrength {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn settings(self) -> RelearnSettings {
        let standard = RelearnSettings::default();
        match self {
            RelearnStrength::Weak => RelearnSettings { users: 16, steps: 30, every: 10, learning_rate: 3e-4, ..standard },
            RelearnStrength::Standard => standard,
            RelearnStrength::Strong => RelearnSettings { users: 256, steps: 120, every: 40, learning_rate: 3e-3, ..standard },
        }
    }
}

impl std::str::FromStr for RelearnStrength {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::names::parse(s, "relearn strength")
    }
}

/// One point of a relearn curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelearnPoint {
    pub step: usize,
    /// HR@10 (pop100) on the evaluated users whose target is of the genre.
    pub genre_hr10: f64,
    /// The genre's share of the evaluated users' top-10.
    pub share: f64,
}

/// The relearn test (what the shared layers still know): fine-tunes the model's weights (no
/// output filter) with the cloze task on the full training sequences of a seeded set of
/// genre-rich users, genre included, and records the genre's HR@10 and top-10 share every few
/// steps on other users. A model that recovers the genre faster than the retrained model still
/// holds it.
#[cfg(not(target_family = "wasm"))]
pub fn relearn(ctx: &EvalContext<'_>, genre: Genre, model: &EditedModel, settings: &RelearnSettings) -> Result<Vec<RelearnPoint>> {
    use crate::readback::Wait;
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use rand::seq::{IndexedRandom, SliceRandom};

    let dataset = ctx.dataset;
    let train = dataset.train_sequences();
    // Genre-rich users: the top fifth by the genre's count, then a seeded sample.
    let mut by_count: Vec<(usize, usize)> =
        train.iter().enumerate().map(|(u, s)| (s.iter().filter(|&&i| dataset.has_genre(i, genre)).count(), u)).collect();
    by_count.sort_by(|a, b| b.cmp(a));
    let mut rich: Vec<usize> = by_count.iter().take((by_count.len() / 5).max(settings.users)).map(|&(_, u)| u).collect();
    let mut rng = StdRng::seed_from_u64(settings.seed);
    rich.shuffle(&mut rng);
    rich.truncate(settings.users);
    let tuned: HashSet<usize> = rich.iter().copied().collect();
    let cases: Vec<EvalCase> = ctx.cases.iter().filter(|c| !tuned.contains(&c.user)).take(settings.eval_users).cloned().collect();
    let cases = model.cases(dataset, cases);
    let point = |edited: &EditedModel, step: usize| -> Result<RelearnPoint> {
        let results = crate::metrics::evaluate_cases(
            &edited.view(View::Weights),
            &cases,
            ctx.sampler,
            &FfnHook::None,
            crate::metrics::EVAL_BATCH,
            &crate::unlearning::RunContext::new(ctx.device),
        )
        .wait()?;
        let forget = ProtocolMetrics::from_results(results.iter().filter(|r| dataset.has_genre(r.target, genre)));
        Ok(RelearnPoint { step, genre_hr10: forget.pop100.hr10(), share: genre_share(&results, dataset, genre) })
    };
    let mut edited = model.clone();
    let mut points = vec![point(&edited, 0)?];
    let config = crate::model::RecommenderConfig::Bert4Rec(
        crate::model::Bert4RecConfig::new(model.model.num_items).with_max_len(model.model.max_len),
    );
    let mut student = crate::model::Recommender::Bert4Rec(model.model.clone().train());
    let mut optimizer = AdamConfig::new().init();
    let device = ctx.device.clone().autodiff();
    crate::backend::seed(&device, settings.seed);
    let threads = crate::train::step_threads(0, ctx.device);
    let cloze = crate::data::ClozeConfig::default();
    for step in 1..=settings.steps {
        let picked: Vec<usize> = rich.choose_multiple(&mut rng, settings.batch_size.min(rich.len())).copied().collect();
        let sequences: Vec<&[ItemId]> = picked.iter().map(|&u| train[u]).collect();
        let batch = config.training_batch(&sequences, &picked, cloze, &mut rng);
        let (updated, _) = crate::train::train_step(student, &mut optimizer, &batch, settings.learning_rate, threads, &device);
        student = updated;
        if step % settings.every.max(1) == 0 || step == settings.steps {
            let crate::model::Recommender::Bert4Rec(m) = student.valid() else { unreachable!("a BERT4Rec was trained") };
            edited.model = m;
            points.push(point(&edited, step)?);
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(rank: u32) -> CaseResult {
        CaseResult { user: 0, target: ItemId(0), ranks: [rank; 3], top: vec![ItemId(1), ItemId(2)] }
    }

    #[test]
    fn infinite_figures_read_back_from_json() {
        let filtered = DeletedRecall { interactions: 3, hr10: 0.0, mean_log_prob: f64::NEG_INFINITY };
        let json = serde_json::to_string(&filtered).unwrap();
        assert!(json.contains("\"-inf\""), "{json}");
        assert_eq!(serde_json::from_str::<DeletedRecall>(&json).unwrap(), filtered);
        let close = Closeness { overlap: 0.5, kl: 0.25, users: 2 };
        assert_eq!(serde_json::from_str::<Closeness>(&serde_json::to_string(&close).unwrap()).unwrap(), close);
        let error = serde_json::from_str::<Closeness>(r#"{"overlap":0.5,"kl":"far","users":2}"#).unwrap_err().to_string();
        assert!(error.contains("\"far\" is not a number"), "{error}");
    }

    #[test]
    fn removal_is_the_share_of_hits_lost() {
        // Before: 4 hits of 5; after: 1 hit. Removal = 1 - 1/4 = 0.75.
        let before: Vec<_> = [0, 1, 2, 3, 50].map(case).into();
        let after: Vec<_> = [0, 20, 30, 40, 50].map(case).into();
        let r = removal_rate(&before, &after, Protocol::Full, 500, 1);
        assert!((r.rate - 0.75).abs() < 1e-12);
        assert!(r.low <= r.rate && r.rate <= r.high);
    }

    #[test]
    fn kl_of_identical_distributions_is_zero() {
        let rows = vec![vec![0.1, 2.0, -1.0]];
        assert!(mean_kl(&rows, &rows).abs() < 1e-12);
        assert!(mean_kl(&rows, &[vec![2.0, 0.1, -1.0]]) > 0.1);
    }

    #[test]
    fn auc_matches_hand_computation() {
        assert_eq!(auc(&[3.0, 2.0], &[1.0]), Some(1.0));
        assert_eq!(auc(&[1.0], &[2.0, 3.0]), Some(0.0));
        assert_eq!(auc(&[1.0], &[1.0]), Some(0.5));
        // Pairs (0.2, 0.5) lost, (0.8, 0.5) won: 1/2.
        assert_eq!(auc(&[0.2, 0.8], &[0.5]), Some(0.5));
        // Pairs against [0.1, 0.5, 0.5]: 0.5 beats 0.1 and ties twice → (1 + 0.5 + 0.5) / 3.
        assert!((auc(&[0.5], &[0.1, 0.5, 0.5]).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(auc(&[], &[1.0]), None);
    }

    #[test]
    fn membership_matches_hand_computation() {
        // Three users, genre items 0 and 1. Item 0: watched by users 0 and 1 (scores 0.9, 0.8)
        // against user 2 (0.1): AUC 1. Item 1: watched by user 2 (0.5) against users 0, 1
        // (0.6, 0.4): AUC 1/2. Weighted by watchers: (2·1 + 1·0.5) / 3 = 5/6.
        let rows = vec![vec![0.9, 0.6], vec![0.8, 0.4], vec![0.1, 0.5]];
        let w = |items: &[u32]| items.iter().map(|&i| ItemId(i)).collect::<HashSet<_>>();
        let watched = vec![w(&[0]), w(&[0]), w(&[1])];
        let m = membership(&rows, &watched, &[ItemId(0), ItemId(1)], 1);
        assert_eq!(m.items, 2);
        assert!((m.item_auc - 5.0 / 6.0).abs() < 1e-12);
        // Per user: user 0 ranks its item 0 (0.9) above item 1 (0.6): 1; user 1: 0.8 > 0.4: 1;
        // user 2: item 1 (0.5) above item 0 (0.1): 1. Mean 1.
        assert_eq!((m.user_auc, m.users), (1.0, 3));
        // With at least 2 watchers only item 0 counts.
        let m = membership(&rows, &watched, &[ItemId(0), ItemId(1)], 2);
        assert_eq!((m.items, m.item_auc), (1, 1.0));
    }

    #[test]
    fn rank_and_log_prob_of_a_deleted_item() {
        // Scores [2, 1, 0, 3]; history [3]; target 1: only item 0 (2 ≥ 1) beats it among the
        // unseen → rank 1. log P(1) = 1 − ln(e² + e + 1 + e³).
        let (rank, lp) = rank_and_log_prob(&[2.0, 1.0, 0.0, 3.0], &[ItemId(3)], ItemId(1));
        assert_eq!(rank, 1);
        let expected = 1.0 - (2f64.exp() + 1f64.exp() + 1.0 + 3f64.exp()).ln();
        assert!((lp - expected).abs() < 1e-9);
    }

    #[test]
    fn overlap_of_top_lists() {
        let a = vec![case(0)];
        let mut b = vec![case(0)];
        b[0].top = vec![ItemId(2), ItemId(9)];
        assert_eq!(top10_overlap(&a, &b), 0.5);
    }
}
