//! Auditing a deletion set the way the recommendation-unlearning field does (SalUn / SCRUB
//! figures, adapted to next-item prediction over (history, target) pairs), per scope:
//!
//! * **forget**: the deleted interactions of the scope's users, each asked as a pair: the item,
//!   given what came before it. For a genre scope the history keeps what stays in training (the
//!   deleted items leave it); for scope `all` nothing stays, so the history is the deleted record
//!   itself, as an auditor holding it would ask. HR@10 (full ranking, history excluded) and the
//!   mean log-likelihood of the item.
//! * **retain**: everyone else's most recent training interaction (a member pair), HR@10.
//! * **test**: everyone else's test item given their history, HR@10 and NDCG@10; and the scope's
//!   own users' test items given their histories without the deleted items.
//! * **MIA-efficacy**: a membership classifier (logistic regression on the pair's
//!   log-probability, log-rank and the entropy of the next-item distribution) fitted on the
//!   model's own signals of member pairs (everyone else's last training interaction) against
//!   non-member pairs (their never-trained validation item), then applied to the forget pairs:
//!   the share it judges non-members. A model retrained without them sets the mark.
//! * **average gap** to the retrained model over forget, retain and test HR@10 and
//!   MIA-efficacy, in percentage points.
//! * **per user**: each deleting user's mean rank of their deleted items, and their
//!   recommendations' top-10 overlap and KL with the retrained model; the second retrained
//!   model's figures are the floor.
//!
//! Every model is asked the same pairs; only the original is given the scope users' test
//! histories as recorded (deletion only: the same weights, the deleted items left out).

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{DELETION_ONLY, Histories, RETRAINED, SECOND_SEED as RETRAINED_SECOND, mean_kl, rank_and_log_prob, score_many};
use crate::backend::RunContext;
use crate::data::{Dataset, DeletionSet, ItemId, Scope, User};
use crate::error::Result;
use crate::unlearning::{EditedModel, View};

/// How much the audit asks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditSettings {
    /// Seed of the samples.
    pub seed: u64,
    /// Users of everyone else sampled for the member / non-member pairs and the test figures.
    pub others: usize,
    /// The most recent deleted interactions of each deleting user asked as forget pairs.
    pub pairs_per_user: usize,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings { seed: 29, others: 1000, pairs_per_user: 10 }
    }
}

/// One model's audit figures on one scope (shares in [0, 1]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFigures {
    pub forget_pairs: usize,
    pub forget_hr10: f64,
    pub forget_log_likelihood: f64,
    pub retain_hr10: f64,
    pub test_hr10: f64,
    pub test_ndcg10: f64,
    /// The scope's own users' test items, their deleted items left out of the history (`None`
    /// when no one has a history left: they deleted everything).
    pub scope_test_hr10: Option<f64>,
    pub mia_efficacy: f64,
    /// The membership classifier's accuracy on held-out member and non-member pairs (0.5: the
    /// model's signals cannot tell them apart at all).
    pub mia_accuracy: f64,
    /// Mean absolute difference to the retrained model's figures, in percentage points.
    pub gap: Option<f64>,
}

/// One deleting user's view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAudit {
    pub user: String,
    pub deleted: usize,
    /// Per model, in the order of [`ScopeAudit::models`]: the mean 0-based rank of the user's
    /// deleted items (forget pairs), and their recommendations' top-10 overlap and KL with the
    /// retrained model's (`None` for the retrained model itself, or without one).
    pub mean_rank: Vec<f64>,
    pub overlap: Vec<Option<f64>>,
    pub kl: Vec<Option<f64>>,
}

/// The audit of one scope of a deletion set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeAudit {
    pub scope: Scope,
    pub users: usize,
    /// Model names, in order; the retrained models come last.
    pub models: Vec<String>,
    pub figures: Vec<AuditFigures>,
    pub per_user: Vec<UserAudit>,
}

/// Models that are not unlearning methods.
const NOT_METHODS: [&str; 4] = ["original", DELETION_ONLY, RETRAINED, RETRAINED_SECOND];

impl ScopeAudit {
    fn figures_of(&self, name: &str) -> Option<&AuditFigures> {
        self.models.iter().position(|m| m == name).map(|i| &self.figures[i])
    }

    /// What the audit finds, in plain words with the numbers, judged against the floor (how far
    /// the two retrained models are from each other); `None` without both retrained models.
    pub fn finding(&self) -> Option<String> {
        let (first, second) = (self.figures_of(RETRAINED)?, self.figures_of(RETRAINED_SECOND)?);
        let floor = second.gap?;
        let (low, high) = (first.mia_efficacy.min(second.mia_efficacy), first.mia_efficacy.max(second.mia_efficacy));
        let inside = |f: &AuditFigures| low <= f.mia_efficacy && f.mia_efficacy <= high;
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        let mut text = format!(
            "The two retrained models, which differ only in their seed, are {floor:.1} points apart on average (the floor) and judge {} and {} of the deleted pairs not in training (the seeds' spread).",
            pct(first.mia_efficacy),
            pct(second.mia_efficacy)
        );
        if let Some(d) = self.figures_of("deletion only").and_then(|f| f.gap.map(|g| (g, f))) {
            let (gap, f) = d;
            text += &if gap <= floor {
                format!(
                    " Deletion only — the original's weights, the deleted interactions left out of the input — is {gap:.1} points from the retrained model, within the floor{}: for this model, a person's history was most of what it knew of them, and removing it from the input is most of the deletion.",
                    if inside(f) { ", its MIA-efficacy inside the spread" } else { "" }
                )
            } else {
                format!(
                    " Deletion only is {gap:.1} points from the retrained model, beyond the floor: the weights remember more than the input gives them."
                )
            };
        }
        let best = self
            .models
            .iter()
            .zip(&self.figures)
            .filter(|(m, f)| !NOT_METHODS.contains(&m.as_str()) && f.gap.is_some())
            .min_by(|a, b| a.1.gap.partial_cmp(&b.1.gap).unwrap_or(std::cmp::Ordering::Equal));
        if let Some((name, f)) = best {
            let gap = f.gap.unwrap_or(f64::NAN);
            text += &format!(
                " The closest weight-level method, {name}, is {gap:.1} points away ({} the floor), its MIA-efficacy {} {} the spread.",
                if gap <= floor { "within" } else { "beyond" },
                pct(f.mia_efficacy),
                if inside(f) { "inside" } else { "outside" }
            );
        }
        Some(text)
    }
}

/// The audit of a deletion set: one section per scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub deletions: String,
    pub settings: AuditSettings,
    pub scopes: Vec<ScopeAudit>,
}

/// A (history, target) pair.
#[derive(Clone, Debug)]
struct Pair {
    user: usize,
    history: Vec<ItemId>,
    target: ItemId,
}

/// A pair's signals under one model.
#[derive(Clone, Copy, Debug)]
struct Signals {
    rank: usize,
    log_prob: f64,
    entropy: f64,
}

impl Signals {
    fn features(self) -> [f64; 3] {
        [self.log_prob, (1.0 + self.rank as f64).ln(), self.entropy]
    }
}

fn entropy(row: &[f32]) -> f64 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    if !max.is_finite() {
        return 0.0;
    }
    let weights: Vec<f64> = row.iter().map(|&v| (v as f64 - max).exp()).collect();
    let sum: f64 = weights.iter().sum();
    -weights.iter().filter(|&&w| w > 0.0).map(|&w| (w / sum) * (w / sum).ln()).sum::<f64>()
}

/// A logistic-regression membership classifier on standardised [`Signals::features`].
#[derive(Clone, Debug)]
pub(crate) struct MembershipClassifier {
    mean: [f64; 3],
    scale: [f64; 3],
    weights: [f64; 3],
    bias: f64,
}

impl MembershipClassifier {
    /// Fits members (label 1) against non-members (label 0) by full-batch gradient descent.
    pub(crate) fn fit(members: &[[f64; 3]], non_members: &[[f64; 3]]) -> MembershipClassifier {
        let all: Vec<([f64; 3], f64)> = members
            .iter()
            .map(|f| (*f, 1.0))
            .chain(non_members.iter().map(|f| (*f, 0.0)))
            .filter(|(f, _)| f.iter().all(|x| x.is_finite()))
            .collect();
        let n = all.len().max(1) as f64;
        let mut mean = [0.0; 3];
        let mut scale = [1.0; 3];
        for k in 0..3 {
            mean[k] = all.iter().map(|(f, _)| f[k]).sum::<f64>() / n;
            let var = all.iter().map(|(f, _)| (f[k] - mean[k]).powi(2)).sum::<f64>() / n;
            scale[k] = if var > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let mut c = MembershipClassifier { mean, scale, weights: [0.0; 3], bias: 0.0 };
        for _ in 0..500 {
            let (mut gw, mut gb) = ([0.0; 3], 0.0);
            for (f, y) in &all {
                let x = c.standardise(f);
                let err = c.probability_of(&x) - y;
                for (g, xk) in gw.iter_mut().zip(x) {
                    *g += err * xk / n;
                }
                gb += err / n;
            }
            for (w, g) in c.weights.iter_mut().zip(gw) {
                *w -= 0.5 * g;
            }
            c.bias -= 0.5 * gb;
        }
        c
    }

    fn standardise(&self, f: &[f64; 3]) -> [f64; 3] {
        std::array::from_fn(|k| (f[k] - self.mean[k]) / self.scale[k])
    }

    fn probability_of(&self, x: &[f64; 3]) -> f64 {
        let z = self.bias + (0..3).map(|k| self.weights[k] * x[k]).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Whether the classifier judges the pair a member. A pair whose target the model gives no
    /// probability at all (an output filter) is no member.
    pub(crate) fn is_member(&self, f: &[f64; 3]) -> bool {
        f.iter().all(|x| x.is_finite()) && self.probability_of(&self.standardise(f)) >= 0.5
    }
}

/// What the audit asks every model about everyone else, drawn once for all scopes.
struct Others {
    /// Everyone else's last training pair (members) and validation pair (non-members).
    members: Vec<Pair>,
    non_members: Vec<Pair>,
    /// Everyone else's test pair.
    test: Vec<Pair>,
}

/// What the audit asks every model about a scope's users, drawn once per scope.
struct Questions {
    forget: Vec<Pair>,
    /// The scope users' test pairs as recorded, and with the deleted items left out.
    scope_test_recorded: Vec<Pair>,
    scope_test: Vec<Pair>,
}

fn training_part(user: &User) -> &[ItemId] {
    &user.items[..user.items.len().saturating_sub(2)]
}

fn draw_questions(dataset: &Dataset, deletions: &DeletionSet, scope: Scope, scope_users: &[usize], settings: &AuditSettings) -> Questions {
    let mut forget = Vec::new();
    let (mut scope_test_recorded, mut scope_test) = (Vec::new(), Vec::new());
    for &u in scope_users {
        let user = &dataset.users[u];
        let train = training_part(user);
        let deleted: Vec<usize> = (1..train.len()).filter(|&t| scope.covers(dataset, train[t])).collect();
        for &t in deleted.iter().rev().take(settings.pairs_per_user) {
            let history: Vec<ItemId> = match scope {
                Scope::All => train[..t].to_vec(),
                Scope::Genre(_) => train[..t].iter().copied().filter(|&i| !scope.covers(dataset, i)).collect(),
            };
            if !history.is_empty() {
                forget.push(Pair { user: u, history, target: train[t] });
            }
        }
        let cut = user.items.len() - 1;
        let recorded = user.items[..cut].to_vec();
        let kept: Vec<ItemId> = recorded.iter().copied().filter(|&i| !deletions.deletes(dataset, user, i)).collect();
        scope_test_recorded.push(Pair { user: u, history: recorded, target: user.items[cut] });
        scope_test.push(Pair { user: u, history: kept, target: user.items[cut] });
    }
    Questions { forget, scope_test_recorded, scope_test }
}

fn draw_others(dataset: &Dataset, sets: &[Option<&DeletionSet>], settings: &AuditSettings) -> Others {
    let deleting: HashSet<usize> =
        (0..dataset.users.len()).filter(|&u| sets.iter().flatten().any(|set| set.scopes_of(&dataset.users[u]).next().is_some())).collect();
    let mut others: Vec<usize> = (0..dataset.users.len()).filter(|u| !deleting.contains(u) && dataset.users[*u].items.len() >= 4).collect();
    others.shuffle(&mut StdRng::seed_from_u64(settings.seed));
    others.truncate(settings.others);
    let pair = |u: usize, back: usize| {
        let items = &dataset.users[u].items;
        let cut = items.len() - back;
        Pair { user: u, history: items[..cut].to_vec(), target: items[cut] }
    };
    Others {
        members: others.iter().map(|&u| pair(u, 3)).collect(),
        non_members: others.iter().map(|&u| pair(u, 2)).collect(),
        test: others.iter().map(|&u| pair(u, 1)).collect(),
    }
}

impl Others {
    /// The users drawn, in order.
    fn users(&self) -> Vec<usize> {
        self.members.iter().map(|p| p.user).collect()
    }
}

/// One model's answers about everyone else.
pub struct OthersAnswers {
    members: Vec<Signals>,
    non_members: Vec<Signals>,
    test: Vec<Signals>,
}

/// One model's answers about a scope: signals of its pairs, and the score rows of its users' tests.
struct Answers {
    forget: Vec<Signals>,
    scope_test: Vec<Option<Signals>>,
    scope_rows: Vec<Option<Vec<f32>>>,
}

async fn signals(model: &EditedModel, pairs: &[Pair], device: &burn::tensor::Device, threads: usize) -> Result<Vec<Signals>> {
    let scorer = model.view(View::Served);
    let mut out = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(512) {
        let histories: Vec<Vec<ItemId>> = chunk.iter().map(|p| p.history.clone()).collect();
        let rows = score_many(&scorer, &histories, &RunContext { device, threads }).await?;
        out.extend(chunk.iter().zip(&rows).map(|(p, row)| {
            let (rank, log_prob) = rank_and_log_prob(row, &p.history, p.target);
            Signals { rank, log_prob, entropy: entropy(row) }
        }));
    }
    Ok(out)
}

async fn answer(
    model: &EditedModel,
    questions: &Questions,
    histories: Histories,
    device: &burn::tensor::Device,
    threads: usize,
) -> Result<Answers> {
    let scope_pairs = match histories {
        Histories::Kept => &questions.scope_test_recorded,
        Histories::Deleted => &questions.scope_test,
    };
    let asked: Vec<Pair> = scope_pairs.iter().filter(|p| !p.history.is_empty()).cloned().collect();
    let histories: Vec<Vec<ItemId>> = asked.iter().map(|p| p.history.clone()).collect();
    let rows = score_many(&model.view(View::Served), &histories, &RunContext { device, threads }).await?;
    let mut scope_test = Vec::new();
    let mut scope_rows = Vec::new();
    let mut rows = asked.iter().zip(rows);
    for p in scope_pairs {
        if p.history.is_empty() {
            scope_test.push(None);
            scope_rows.push(None);
            continue;
        }
        let (_, row) = rows.next().expect("one row per asked pair");
        let (rank, log_prob) = rank_and_log_prob(&row, &p.history, p.target);
        scope_test.push(Some(Signals { rank, log_prob, entropy: entropy(&row) }));
        scope_rows.push(Some(row));
    }
    Ok(Answers { forget: signals(model, &questions.forget, device, threads).await?, scope_test, scope_rows })
}

async fn answer_others(model: &EditedModel, others: &Others, device: &burn::tensor::Device, threads: usize) -> Result<OthersAnswers> {
    Ok(OthersAnswers {
        members: signals(model, &others.members, device, threads).await?,
        non_members: signals(model, &others.non_members, device, threads).await?,
        test: signals(model, &others.test, device, threads).await?,
    })
}

fn hr10(signals: &[Signals]) -> f64 {
    signals.iter().filter(|s| s.rank < 10).count() as f64 / signals.len().max(1) as f64
}

fn ndcg10(signals: &[Signals]) -> f64 {
    signals.iter().filter(|s| s.rank < 10).map(|s| 1.0 / (s.rank as f64 + 2.0).log2()).sum::<f64>() / signals.len().max(1) as f64
}

fn figures(a: &Answers, o: &OthersAnswers) -> AuditFigures {
    let features = |s: &[Signals]| s.iter().map(|x| x.features()).collect::<Vec<_>>();
    let (members, non_members) = (features(&o.members), features(&o.non_members));
    // Fitted on the even users' pairs, its accuracy read on the odd ones'; then refitted on all.
    let half = |v: &[[f64; 3]], parity: usize| v.iter().enumerate().filter(|(i, _)| i % 2 == parity).map(|(_, f)| *f).collect::<Vec<_>>();
    let held = MembershipClassifier::fit(&half(&members, 0), &half(&non_members, 0));
    let (held_members, held_non) = (half(&members, 1), half(&non_members, 1));
    let right = held_members.iter().filter(|f| held.is_member(f)).count() + held_non.iter().filter(|f| !held.is_member(f)).count();
    let classifier = MembershipClassifier::fit(&members, &non_members);
    let forget = features(&a.forget);
    let scope_test: Vec<Signals> = a.scope_test.iter().flatten().copied().collect();
    AuditFigures {
        forget_pairs: a.forget.len(),
        forget_hr10: hr10(&a.forget),
        forget_log_likelihood: a.forget.iter().map(|s| s.log_prob).sum::<f64>() / a.forget.len().max(1) as f64,
        retain_hr10: hr10(&o.members),
        test_hr10: hr10(&o.test),
        test_ndcg10: ndcg10(&o.test),
        scope_test_hr10: (!scope_test.is_empty()).then(|| hr10(&scope_test)),
        mia_efficacy: forget.iter().filter(|f| !classifier.is_member(f)).count() as f64 / forget.len().max(1) as f64,
        mia_accuracy: right as f64 / (held_members.len() + held_non.len()).max(1) as f64,
        gap: None,
    }
}

/// The average gap of `f` to `retrained`, in percentage points, over forget, retain and test
/// HR@10 and MIA-efficacy.
pub fn average_gap(f: &AuditFigures, retrained: &AuditFigures) -> f64 {
    let pairs = [
        (f.forget_hr10, retrained.forget_hr10),
        (f.retain_hr10, retrained.retain_hr10),
        (f.test_hr10, retrained.test_hr10),
        (f.mia_efficacy, retrained.mia_efficacy),
    ];
    100.0 * pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / pairs.len() as f64
}

/// Everyone else's answers of models that stay the same from one audit to the next (the page's
/// original and its model retrained without D), kept by model name with the users they answer
/// about: a second request asks only the models that are new. Only the names it was made for
/// are kept; whoever replaces such a model makes a new memo.
pub struct OthersMemo {
    names: Vec<String>,
    kept: RefCell<Vec<KeptAnswers>>,
}

/// A model's name, the users it answered about, and its answers.
type KeptAnswers = (String, Vec<usize>, Rc<OthersAnswers>);

impl OthersMemo {
    pub fn new(names: &[&str]) -> OthersMemo {
        OthersMemo { names: names.iter().map(|n| n.to_string()).collect(), kept: RefCell::new(Vec::new()) }
    }

    fn get(&self, name: &str, users: &[usize]) -> Option<Rc<OthersAnswers>> {
        self.kept.borrow().iter().find(|(n, u, _)| n == name && u == users).map(|(_, _, a)| a.clone())
    }

    fn keep(&self, name: &str, users: &[usize], answers: &Rc<OthersAnswers>) {
        if self.names.iter().any(|n| n == name) {
            let mut kept = self.kept.borrow_mut();
            kept.retain(|(n, _, _)| n != name);
            kept.push((name.to_string(), users.to_vec(), answers.clone()));
        }
    }

    /// How many models' answers it holds.
    pub fn len(&self) -> usize {
        self.kept.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A model under audit: its name, the model, and how it is given the scope users' histories.
pub struct Audited<'a> {
    pub name: &'a str,
    pub model: &'a EditedModel,
    pub histories: Histories,
}

/// What an audit runs on: the data, the deletion set and the device.
#[derive(Clone, Copy)]
pub struct AuditContext<'a> {
    pub dataset: &'a Dataset,
    pub deletions: &'a DeletionSet,
    /// Users who are not drawn as everyone else either: those a retrained reference was also
    /// trained without (the page audits one request of D against D's retrained model).
    pub also_deleted: Option<&'a DeletionSet>,
    /// Everyone else's answers kept from an earlier audit, where the models are the same.
    pub memo: Option<&'a OthersMemo>,
    pub device: &'a burn::tensor::Device,
}

/// Audits `models` (the original first, as recorded; then deletion only and each method) and
/// the retrained models on each scope of the deletion set. Natively the work is split over
/// `threads` CPU cores; in the browser it runs async on one.
pub async fn audit(
    ctx: &AuditContext<'_>,
    models: &[Audited<'_>],
    retrained: Option<&EditedModel>,
    second: Option<&EditedModel>,
    settings: &AuditSettings,
    threads: usize,
) -> Result<Audit> {
    let AuditContext { dataset, deletions, also_deleted, memo, device } = *ctx;
    // Every model, the retrained ones last; everyone else's pairs are asked once for all scopes.
    let mut all: Vec<(String, &EditedModel, Histories)> = models.iter().map(|m| (m.name.to_string(), m.model, m.histories)).collect();
    for (name, model) in [(RETRAINED, retrained), (RETRAINED_SECOND, second)] {
        if let Some(model) = model {
            all.push((name.to_string(), model, Histories::Deleted));
        }
    }
    let names: Vec<String> = all.iter().map(|(name, _, _)| name.clone()).collect();
    let others = draw_others(dataset, &[Some(deletions), also_deleted], settings);
    let (others_users, mut others_answers) = (others.users(), Vec::new());
    for (name, model, _) in &all {
        let answers = match memo.and_then(|m| m.get(name, &others_users)) {
            Some(kept) => kept,
            None => Rc::new(answer_others(model, &others, device, threads).await?),
        };
        if let Some(memo) = memo {
            memo.keep(name, &others_users, &answers);
        }
        others_answers.push(answers);
    }
    let mut scopes = Vec::new();
    for request in &deletions.requests {
        let scope_users: Vec<usize> = (0..dataset.users.len()).filter(|&u| request.reaches(&dataset.users[u])).collect();
        let questions = draw_questions(dataset, deletions, request.scope, &scope_users, settings);
        let mut answers = Vec::new();
        for (_, model, histories) in &all {
            answers.push(answer(model, &questions, *histories, device, threads).await?);
        }
        let reference = retrained.map(|_| models.len());
        let mut figures: Vec<AuditFigures> = answers.iter().zip(&others_answers).map(|(a, o)| figures(a, o)).collect();
        if let Some(r) = reference {
            let mark = figures[r];
            for (i, f) in figures.iter_mut().enumerate() {
                if i != r {
                    f.gap = Some(average_gap(f, &mark));
                }
            }
        }
        let per_user = per_user(dataset, request.scope, &questions, &scope_users, &answers, reference);
        scopes.push(ScopeAudit { scope: request.scope, users: scope_users.len(), models: names.clone(), figures, per_user });
    }
    Ok(Audit { deletions: deletions.name.clone(), settings: *settings, scopes })
}

fn per_user(
    dataset: &Dataset,
    scope: Scope,
    questions: &Questions,
    scope_users: &[usize],
    answers: &[Answers],
    reference: Option<usize>,
) -> Vec<UserAudit> {
    let top10 = |row: &[f32], history: &[ItemId]| -> Vec<usize> {
        let seen: HashSet<ItemId> = history.iter().copied().collect();
        let mut order: Vec<usize> = (0..row.len()).filter(|&i| !seen.contains(&ItemId(i as u32))).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        order.truncate(10);
        order
    };
    scope_users
        .iter()
        .enumerate()
        .map(|(k, &u)| {
            let mine: Vec<usize> = questions.forget.iter().enumerate().filter(|(_, p)| p.user == u).map(|(i, _)| i).collect();
            let mean_rank =
                answers.iter().map(|a| mine.iter().map(|&i| a.forget[i].rank as f64).sum::<f64>() / mine.len().max(1) as f64).collect();
            let history = &questions.scope_test[k].history;
            let against = |a: &Answers, f: &dyn Fn(&[f32], &[f32]) -> f64| -> Option<f64> {
                let r = &answers[reference?];
                if std::ptr::eq(a, r) {
                    return None;
                }
                Some(f(a.scope_rows[k].as_deref()?, r.scope_rows[k].as_deref()?))
            };
            let overlap = |x: &[f32], y: &[f32]| {
                let (tx, ty) = (top10(x, history), top10(y, history));
                tx.iter().filter(|i| ty.contains(i)).count() as f64 / tx.len().max(1) as f64
            };
            let kl = |x: &[f32], y: &[f32]| mean_kl(&[y.to_vec()], &[x.to_vec()]);
            UserAudit {
                user: dataset.users[u].key.clone(),
                deleted: training_part(&dataset.users[u]).iter().filter(|&&i| scope.covers(dataset, i)).count(),
                mean_rank,
                overlap: answers.iter().map(|a| against(a, &overlap)).collect(),
                kl: answers.iter().map(|a| against(a, &kl)).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classifier_separates_members_from_non_members() {
        // Members: high log-probability, low rank, low entropy; non-members the opposite.
        let members: Vec<[f64; 3]> = (0..50).map(|i| [-2.0 - 0.01 * i as f64, 1.0, 3.0]).collect();
        let non_members: Vec<[f64; 3]> = (0..50).map(|i| [-8.0 - 0.01 * i as f64, 6.0, 6.0]).collect();
        let c = MembershipClassifier::fit(&members, &non_members);
        assert!(c.is_member(&[-2.5, 1.5, 3.2]) && !c.is_member(&[-7.5, 5.5, 5.8]));
        // A target the model cannot give (−∞) is no member.
        assert!(!c.is_member(&[f64::NEG_INFINITY, 1.0, 3.0]));
    }

    #[test]
    fn the_gap_is_the_mean_absolute_difference_in_points() {
        let a = AuditFigures { forget_hr10: 0.5, retain_hr10: 0.4, test_hr10: 0.3, mia_efficacy: 0.2, ..Default::default() };
        let b = AuditFigures { forget_hr10: 0.1, retain_hr10: 0.4, test_hr10: 0.3, mia_efficacy: 0.6, ..Default::default() };
        assert!((average_gap(&a, &b) - 20.0).abs() < 1e-9);
        assert_eq!(average_gap(&a, &a), 0.0);
    }

    #[test]
    fn the_finding_reads_each_model_against_the_two_seeds_floor() {
        let f = |mia: f64, gap: Option<f64>| AuditFigures { mia_efficacy: mia, gap, ..Default::default() };
        let scope = ScopeAudit {
            scope: crate::data::Scope::All,
            users: 3,
            models: ["original", DELETION_ONLY, "finetune", "neggrad+", RETRAINED, RETRAINED_SECOND].map(String::from).to_vec(),
            figures: vec![
                f(0.35, Some(2.1)),
                f(0.35, Some(2.1)),
                f(0.34, Some(2.5)),
                f(0.33, Some(1.4)),
                f(0.36, None),
                f(0.50, Some(4.0)),
            ],
            per_user: Vec::new(),
        };
        let text = scope.finding().unwrap();
        assert!(text.contains("4.0 points apart"), "{text}");
        assert!(text.contains("2.1 points from the retrained model, within the floor"), "{text}");
        assert!(text.contains("neggrad+, is 1.4 points away (within the floor), its MIA-efficacy 33.0% outside"), "{text}");
        // Without the second seed there is no floor to judge against.
        let one = ScopeAudit { models: scope.models[..5].to_vec(), figures: scope.figures[..5].to_vec(), ..scope.clone() };
        assert_eq!(one.finding(), None);
    }

    #[test]
    fn entropy_of_a_uniform_row_is_the_log_of_its_length() {
        assert!((entropy(&[1.0; 8]) - 8f64.ln()).abs() < 1e-9);
        assert!(entropy(&[0.0, -1e9]) < 1e-6);
    }
}
