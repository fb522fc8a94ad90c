//! Ranking metrics (HR@k, NDCG@k for k = 1, 5, 10) under three protocols, and their breakdown
//! by the genre of the target item.
//!
//! For every case the target is ranked against candidates the user has not interacted with:
//! * `full`: every such item;
//! * `uniform100`: 100 negatives drawn uniformly;
//! * `pop100`: 100 negatives drawn in proportion to item popularity (BERT4Rec's protocol).
//!
//! Negatives are drawn from a generator seeded per user, so two models evaluated with the same
//! seed face exactly the same candidates. Ties count against the target.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use crate::backend::{RunContext, Shareable};
use crate::data::{Dataset, EvalCase, Genre, ItemId};
use crate::error::{Error, Result};
use crate::model::{FfnHook, ModelInput, NextItemScorer};
#[cfg(parallel)]
use crate::readback::block_on;
use crate::readback::read_f32;

/// The cut-offs reported.
pub const CUTOFFS: [usize; 3] = [1, 5, 10];
/// Negatives drawn in the sampled protocols.
pub const NEGATIVES: usize = 100;
/// Length of the recommendation lists kept per case.
pub const TOP_K: usize = 10;

/// How candidates are chosen for ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Protocol {
    /// All items the user has not seen.
    Full,
    /// The target and 100 uniformly drawn unseen items.
    Uniform100,
    /// The target and 100 unseen items drawn by popularity.
    Pop100,
}

impl Protocol {
    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// HR@k and NDCG@k for k in [`CUTOFFS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RankingMetrics {
    /// Number of cases averaged.
    pub cases: usize,
    /// HR@1, HR@5, HR@10.
    pub hr: [f64; 3],
    /// NDCG@1, NDCG@5, NDCG@10.
    pub ndcg: [f64; 3],
}

impl RankingMetrics {
    /// Averages over 0-based ranks of the target (0 = first).
    pub fn from_ranks(ranks: impl IntoIterator<Item = u32>) -> RankingMetrics {
        let mut metrics = RankingMetrics::default();
        for rank in ranks {
            metrics.cases += 1;
            for (slot, &k) in CUTOFFS.iter().enumerate() {
                if (rank as usize) < k {
                    metrics.hr[slot] += 1.0;
                    metrics.ndcg[slot] += 1.0 / (rank as f64 + 2.0).log2();
                }
            }
        }
        if metrics.cases > 0 {
            let n = metrics.cases as f64;
            metrics.hr.iter_mut().for_each(|v| *v /= n);
            metrics.ndcg.iter_mut().for_each(|v| *v /= n);
        }
        metrics
    }

    /// HR@10.
    pub fn hr10(&self) -> f64 {
        self.hr[2]
    }

    /// NDCG@10.
    pub fn ndcg10(&self) -> f64 {
        self.ndcg[2]
    }
}

/// The metrics of one set of cases under each protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMetrics {
    pub full: RankingMetrics,
    pub uniform100: RankingMetrics,
    pub pop100: RankingMetrics,
}

impl ProtocolMetrics {
    /// Aggregates case results.
    pub fn from_results<'a>(results: impl Iterator<Item = &'a CaseResult> + Clone) -> Self {
        let ranks = |p: Protocol| results.clone().map(move |r| r.ranks[p as usize]);
        ProtocolMetrics {
            full: RankingMetrics::from_ranks(ranks(Protocol::Full)),
            uniform100: RankingMetrics::from_ranks(ranks(Protocol::Uniform100)),
            pop100: RankingMetrics::from_ranks(ranks(Protocol::Pop100)),
        }
    }

    /// The metrics of one protocol.
    pub fn get(&self, protocol: Protocol) -> &RankingMetrics {
        match protocol {
            Protocol::Full => &self.full,
            Protocol::Uniform100 => &self.uniform100,
            Protocol::Pop100 => &self.pop100,
        }
    }
}

/// What one evaluation case gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    /// Index into [`Dataset::users`].
    pub user: usize,
    /// The held-out item.
    pub target: ItemId,
    /// 0-based rank of the target under each protocol, indexed by `Protocol as usize`.
    pub ranks: [u32; 3],
    /// The top-10 unseen items, best first.
    pub top: Vec<ItemId>,
}

/// Histories scored per batch in evaluation (memory and speed, not results, depend on it): the
/// cases are batched by length, so a batch of short histories loses its padding.
pub const EVAL_BATCH: usize = 64;

/// The seed of the sampled negatives everywhere a caller does not choose one (CLI, report,
/// page), so that their figures are drawn from the same negatives.
pub const NEGATIVES_SEED: u64 = 2024;

/// Draws the negatives of the sampled protocols.
#[derive(Clone, Debug)]
pub struct NegativeSampler {
    /// Cumulative interaction counts, for drawing by popularity.
    cumulative: Vec<u64>,
    seed: u64,
}

impl NegativeSampler {
    /// Popularity is the number of interactions of each item in the whole dataset.
    pub fn new(dataset: &Dataset, seed: u64) -> NegativeSampler {
        let mut counts = vec![0u64; dataset.num_items()];
        for user in &dataset.users {
            for item in &user.items {
                counts[item.index()] += 1;
            }
        }
        let cumulative = counts
            .iter()
            .scan(0u64, |acc, &c| {
                *acc += c;
                Some(*acc)
            })
            .collect();
        NegativeSampler { cumulative, seed }
    }

    fn draw(&self, protocol: Protocol, rng: &mut StdRng) -> ItemId {
        let n = self.cumulative.len();
        match protocol {
            Protocol::Pop100 => {
                let total = *self.cumulative.last().unwrap_or(&1);
                let x = rng.random_range(0..total);
                ItemId(self.cumulative.partition_point(|&c| c <= x) as u32)
            }
            _ => ItemId(rng.random_range(0..n) as u32),
        }
    }

    /// `NEGATIVES` distinct unseen items for `case` (fewer if the vocabulary is too small).
    pub fn negatives(&self, case: &EvalCase, seen: &ItemSet, protocol: Protocol) -> Vec<ItemId> {
        let salt = match protocol {
            Protocol::Pop100 => 0x9e37_79b9_7f4a_7c15,
            _ => 0x2545_f491_4f6c_dd1d,
        };
        let mut rng = StdRng::seed_from_u64(self.seed ^ salt ^ (case.user as u64).wrapping_mul(0x1000_0000_01b3));
        let available = self.cumulative.len().saturating_sub(seen.len() + 1);
        let want = NEGATIVES.min(available);
        let mut picked = HashSet::with_capacity(want);
        let mut out = Vec::with_capacity(want);
        let mut tries = 0;
        while out.len() < want && tries < 1_000_000 {
            tries += 1;
            let item = self.draw(protocol, &mut rng);
            if item != case.target && !seen.contains(item) && picked.insert(item) {
                out.push(item);
            }
        }
        out
    }
}

/// A set of items as one flag per item of the vocabulary: a lookup is one load (hashing each of
/// the 3,416 items twice per ranked case was about a third of scoring's time on the CPU).
pub struct ItemSet {
    flags: Vec<bool>,
    len: usize,
}

impl ItemSet {
    /// The distinct `items` (ids below `num_items`; others are left out).
    pub fn new(items: impl IntoIterator<Item = ItemId>, num_items: usize) -> ItemSet {
        let mut flags = vec![false; num_items];
        let mut len = 0;
        for item in items {
            if let Some(flag) = flags.get_mut(item.index()).filter(|f| !**f) {
                *flag = true;
                len += 1;
            }
        }
        ItemSet { flags, len }
    }

    pub fn contains(&self, item: ItemId) -> bool {
        self.flags.get(item.index()).copied().unwrap_or(false)
    }

    /// How many distinct items it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Ranks the target of `case` in one row of scores under every protocol, and keeps the top 10.
pub fn rank_case(case: &EvalCase, scores: &[f32], sampler: &NegativeSampler) -> CaseResult {
    let seen = ItemSet::new(case.history.iter().copied().filter(|&i| i != case.target), scores.len());
    let target_score = scores[case.target.index()];
    let beats = |item: ItemId| item != case.target && scores[item.index()] >= target_score;
    let full = (0..scores.len() as u32).map(ItemId).filter(|&i| !seen.contains(i) && beats(i)).count() as u32;
    let sampled = |protocol| sampler.negatives(case, &seen, protocol).into_iter().filter(|&i| beats(i)).count() as u32;
    CaseResult {
        user: case.user,
        target: case.target,
        ranks: [full, sampled(Protocol::Uniform100), sampled(Protocol::Pop100)],
        top: top_unseen(scores, &case.history, TOP_K),
    }
}

/// The `k` best-scoring items not in `history`, best first. Items scored −∞ (hidden by an
/// output filter) are never recommended, so the list may be shorter.
pub fn top_unseen(scores: &[f32], history: &[ItemId], k: usize) -> Vec<ItemId> {
    let seen = ItemSet::new(history.iter().copied(), scores.len());
    let mut candidates: Vec<(f32, u32)> = scores
        .iter()
        .enumerate()
        .filter(|(i, s)| !seen.contains(ItemId(*i as u32)) && **s != f32::NEG_INFINITY)
        .map(|(i, &s)| (s, i as u32))
        .collect();
    let k = k.min(candidates.len());
    if k == 0 {
        return Vec::new();
    }
    candidates.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.truncate(k);
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.into_iter().map(|(_, i)| ItemId(i)).collect()
}

/// Next-item logits for a batch of histories, read back to the host, `[batch][num_items]`.
/// `users` (dataset indices, one per history) reach models with a user embedding (Caser);
/// without them the histories count as unknown users.
pub async fn score_histories(
    model: &impl NextItemScorer,
    histories: &[&[ItemId]],
    users: Option<&[usize]>,
    hook: &FfnHook,
    device: &burn::tensor::Device,
) -> Result<Vec<Vec<f32>>> {
    if histories.iter().any(|h| h.is_empty()) {
        return Err(Error::EmptyHistory);
    }
    if histories.is_empty() {
        return Ok(Vec::new());
    }
    let num_items = model.num_items();
    if let Some(bad) = histories.iter().flat_map(|h| h.iter()).find(|i| i.index() >= num_items) {
        return Err(Error::UnknownItem { id: bad.0, max: num_items as u32 - 1 });
    }
    let mut batch = model.queries(histories);
    if let Some(users) = users {
        batch = batch.with_users(users);
    }
    let input = ModelInput::new(&batch, device);
    let scores = model.next_item_scores(&input, hook)?; // [batch, num_items]
    let flat = read_f32(scores).await?;
    // −∞ is an output filter's; NaN or +∞ is a broken model, and would rank as a hit or a miss
    // by accident.
    if flat.iter().any(|v| v.is_nan() || *v == f32::INFINITY) {
        return Err(Error::NonFinite("the next-item scores".into()));
    }
    Ok(flat.chunks(num_items).map(<[f32]>::to_vec).collect())
}

/// Evaluates `model` on `cases` in batches of `batch_size`; natively the cases are split over
/// `context.threads` CPU cores. Results come back in the cases' order.
pub async fn evaluate_cases(
    model: &(impl NextItemScorer + Shareable),
    cases: &[EvalCase],
    sampler: &NegativeSampler,
    hook: &FfnHook,
    batch_size: usize,
    context: &RunContext<'_>,
) -> Result<Vec<CaseResult>> {
    #[cfg(parallel)]
    if context.threads > 1 {
        return crate::parallel::map_chunks(cases, context.threads, |chunk, _| {
            block_on(evaluate_batches(model, chunk, sampler, hook, batch_size, context.device))
        });
    }
    evaluate_batches(model, cases, sampler, hook, batch_size, context.device).await
}

/// [`evaluate_cases`] on one thread.
async fn evaluate_batches(
    model: &impl NextItemScorer,
    cases: &[EvalCase],
    sampler: &NegativeSampler,
    hook: &FfnHook,
    batch_size: usize,
    device: &burn::tensor::Device,
) -> Result<Vec<CaseResult>> {
    // Batches of similar lengths, so BERT4Rec's queries lose most of their padding; the
    // results come back in the cases' order.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| cases[i].history.len());
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    for chunk in order.chunks(batch_size.max(1)) {
        let histories: Vec<&[ItemId]> = chunk.iter().map(|&i| cases[i].history.as_slice()).collect();
        let users: Vec<usize> = chunk.iter().map(|&i| cases[i].user).collect();
        let rows = score_histories(model, &histories, Some(&users), hook, device).await?;
        for (&i, row) in chunk.iter().zip(&rows) {
            results[i] = Some(rank_case(&cases[i], row, sampler));
        }
    }
    Ok(results.into_iter().map(|r| r.expect("every case is scored once")).collect())
}

/// Metrics for the cases whose target has a genre (its forget set) and for the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreBreakdown {
    pub genre: Genre,
    /// Cases whose target item has the genre.
    pub forget: ProtocolMetrics,
    /// All other cases.
    pub rest: ProtocolMetrics,
    /// Mean share of the genre's items in the users' top-10.
    pub top10_share: f64,
}

/// A whole evaluation: overall metrics and the per-genre breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub cases: usize,
    pub overall: ProtocolMetrics,
    pub genres: Vec<GenreBreakdown>,
}

/// Mean share of `genre` items in the top-10 lists of `results`.
pub fn genre_share(results: &[CaseResult], dataset: &Dataset, genre: Genre) -> f64 {
    if results.is_empty() {
        return 0.0;
    }
    let total: f64 = results
        .iter()
        .map(|r| {
            let hits = r.top.iter().filter(|&&i| dataset.has_genre(i, genre)).count();
            hits as f64 / r.top.len().max(1) as f64
        })
        .sum();
    total / results.len() as f64
}

impl Evaluation {
    /// Aggregates case results overall and per genre.
    pub fn summarize(results: &[CaseResult], dataset: &Dataset) -> Evaluation {
        let genres = Genre::iter()
            .map(|genre| {
                let in_genre = |r: &&CaseResult| dataset.has_genre(r.target, genre);
                GenreBreakdown {
                    genre,
                    forget: ProtocolMetrics::from_results(results.iter().filter(in_genre)),
                    rest: ProtocolMetrics::from_results(results.iter().filter(|r| !in_genre(r))),
                    top10_share: genre_share(results, dataset, genre),
                }
            })
            .collect();
        Evaluation { cases: results.len(), overall: ProtocolMetrics::from_results(results.iter()), genres }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computation() {
        // Ranks 0, 2, 7, 30 (0-based).
        // HR@1 = 1/4; HR@5 = 2/4; HR@10 = 3/4.
        // NDCG@10 = (1/log2(2) + 1/log2(4) + 1/log2(9)) / 4 = (1 + 0.5 + 0.315465) / 4.
        let m = RankingMetrics::from_ranks([0, 2, 7, 30]);
        assert_eq!(m.cases, 4);
        assert_eq!(m.hr, [0.25, 0.5, 0.75]);
        assert!((m.ndcg[0] - 0.25).abs() < 1e-12);
        assert!((m.ndcg[1] - 1.5 / 4.0).abs() < 1e-12);
        assert!((m.ndcg[2] - (1.5 + 1.0 / 9f64.log2()) / 4.0).abs() < 1e-12);
    }

    #[test]
    fn top_unseen_skips_history_and_orders() {
        let scores = [0.1, 0.9, 0.5, 0.7, 0.3];
        assert_eq!(top_unseen(&scores, &[ItemId(1)], 3), vec![ItemId(3), ItemId(2), ItemId(4)]);
    }

    #[test]
    fn an_item_set_holds_each_item_once_and_nothing_outside_the_vocabulary() {
        let set = ItemSet::new([ItemId(2), ItemId(0), ItemId(2), ItemId(9)], 5);
        assert_eq!(set.len(), 2, "the repeat counts once, the unknown id not at all");
        assert!(set.contains(ItemId(0)) && set.contains(ItemId(2)));
        assert!(!set.contains(ItemId(1)) && !set.contains(ItemId(9)));
        assert!(ItemSet::new([], 5).is_empty());
    }
}
