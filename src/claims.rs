//! The paper's claims, each with the figure ours must reach to count as reproduced. The report
//! and the page both read them from here.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::measurement::{DELETION_ONLY, Figures, Measurement, RETRAINED};
use crate::metrics::{Protocol, RankingMetrics};
use crate::unlearning::Method;

/// What a claim is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ClaimKind {
    /// HR@10 after forgetting, % of the original's.
    HrKept,
    /// NDCG@10 after forgetting, % of the original's.
    NdcgKept,
    /// Share of the genre's test hits the edit removes, %.
    Removal,
    /// Retraining time ÷ forgetting time.
    Speedup,
}

/// One claimed figure: the paper's range, and the unit it is read in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub kind: ClaimKind,
    pub statement: &'static str,
    /// The paper's range (lowest and highest over its genres).
    pub low: f64,
    pub high: f64,
    /// "%" or "×".
    pub unit: &'static str,
}

/// Whether our figure reproduces a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Ours reaches the paper's lowest figure (or goes beyond it).
    Reproduced,
    /// Ours falls short of the paper's lowest figure.
    NotReproduced,
    /// Ours falls short of a claim about what is kept, and so does the model retrained without
    /// the genre, which ours keeps at least as much as: on this condition the claim is what
    /// forgetting the genre costs, not a failure of the method.
    AsRetraining,
    /// Ours reaches a claim about what is kept that the model retrained without the genre
    /// misses: reached by not forgetting, which is no reproduction of forgetting.
    KeptByNotForgetting,
    /// Faster than the paper's, but the forget removed nothing beyond deleting the history
    /// (the removal claim): speed without forgetting proves nothing.
    FastWithoutForgetting,
}

/// The paper the claims are from, as the page, the reports and the README cite it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Paper {
    pub authors: &'static str,
    pub affiliation: &'static str,
    pub title: &'static str,
    /// Where it appeared (the copy we work from names none).
    pub venue: &'static str,
}

/// The paper whose method (Algorithms 1 and 2) and claims recforget checks.
pub const PAPER: Paper = Paper {
    authors: "W. Peng, Q. Liu, D. Ma, C. Song, Y. Jiang",
    affiliation: "Henan Polytechnic University",
    title: "Machine Unlearning Scheme for Recommendation System Based on Gradient Attribution",
    venue: "our copy names no venue or year",
};

impl fmt::Display for Paper {
    /// `authors (affiliation): “title” (venue)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): “{}” ({})", self.authors, self.affiliation, self.title, self.venue)
    }
}

/// The paper's claims (Action, Drama, Comedy; HR and NDCG at k = 1, 5, 10).
pub const CLAIMS: [Claim; 4] = [
    Claim { kind: ClaimKind::HrKept, statement: "HR@k keeps 94.03–96.49% of the original's", low: 94.03, high: 96.49, unit: "%" },
    Claim { kind: ClaimKind::NdcgKept, statement: "NDCG@k keeps 90.15–94.25% of the original's", low: 90.15, high: 94.25, unit: "%" },
    Claim {
        kind: ClaimKind::Removal,
        statement: "the edit removes 70.53–74.82% of the genre's test hits (the paper: retraining removes 100%)",
        low: 70.53,
        high: 74.82,
        unit: "%",
    },
    Claim {
        kind: ClaimKind::Speedup,
        statement: "forgetting is ×10.1–11.0 faster than retraining without the genre",
        low: 10.1,
        high: 11.0,
        unit: "×",
    },
];

impl Claim {
    pub fn get(kind: ClaimKind) -> Claim {
        CLAIMS.into_iter().find(|c| c.kind == kind).expect("every kind has a claim")
    }

    /// The paper's range as written, e.g. "94.03–96.49%" or "×10.1–11.0".
    pub fn range(&self) -> String {
        match self.unit {
            "×" => format!("×{}–{}", self.low, self.high),
            unit => format!("{}–{}{unit}", self.low, self.high),
        }
    }

    /// A figure in the claim's unit: "12.3%", "×1,600,000", or "–" for none.
    pub fn figure(&self, x: Option<f64>) -> String {
        match (x, self.unit) {
            (None, _) => "–".into(),
            (Some(x), "×") => format!("×{}", two_significant(x)),
            (Some(x), _) => format!("{x:.1}%"),
        }
    }

    /// Ours against the paper's lowest figure.
    pub fn verdict(&self, ours: f64) -> Verdict {
        if ours >= self.low { Verdict::Reproduced } else { Verdict::NotReproduced }
    }

    /// Ours against the paper's lowest figure, read beside the retrained model's on the same
    /// condition: a claim about what is kept that retraining misses too is what forgetting
    /// costs ([`Verdict::AsRetraining`]) where ours keeps at least as much as retraining.
    pub fn verdict_beside(&self, ours: f64, retrained: Option<f64>) -> Verdict {
        let keeps = matches!(self.kind, ClaimKind::HrKept | ClaimKind::NdcgKept);
        let retraining_misses = keeps && retrained.is_some_and(|r| r < self.low);
        match self.verdict(ours) {
            Verdict::NotReproduced if retraining_misses && retrained.is_some_and(|r| ours >= r) => Verdict::AsRetraining,
            Verdict::Reproduced if retraining_misses => Verdict::KeptByNotForgetting,
            v => v,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::AsRetraining => "short of the paper, as retraining is",
            Verdict::KeptByNotForgetting => "reached only by not forgetting",
            Verdict::FastWithoutForgetting => "fast, but nothing was forgotten",
        })
    }
}

/// What a claim is judged on, and what it is judged beside.
///
/// The paper evaluates with the histories as recorded: `paper` is that measurement (models
/// `original`, `after`, and `retrained` where a model retrained without the genre is loaded).
/// `deleted` is the same models given the histories without the genre, with `deletion only` (the
/// original given those histories): what deleting the interactions alone does.
///
/// It reads and writes as JSON, so that a saved measurement can be judged again
/// (`recforget judge`), and the page's verdicts checked against the native library's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimInputs {
    pub paper: Measurement,
    pub deleted: Measurement,
    /// The methods of the forget under test, in order.
    pub methods: Vec<Method>,
    /// Its settings that differ from the defaults (`key=value`): its time is not the defaults'.
    pub changed_settings: Vec<String>,
    /// Retraining time (CPU-equivalent seconds) ÷ the forget's time, where a retrained model is
    /// shipped for the genre.
    pub speedup: Option<f64>,
}

/// One claim judged on the paper's own condition, with the baselines beside it. Figures are in
/// the claim's unit (% of the original, % removed, ×).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    pub claim: Claim,
    /// The condition the figure is measured under, in words.
    pub condition: String,
    /// Ours: the forgotten model's figure, read from its weights where an output filter makes the
    /// served figure differ.
    pub ours: Option<f64>,
    /// The figure as served, where a filter makes it differ from the weights'.
    pub served: Option<f64>,
    /// The same figure for the retain users alone (test users whose next film is not of the
    /// genre), for the claims about what the model keeps.
    pub retain: Option<f64>,
    /// The original given the histories without the genre, no edit.
    pub deletion_only: Option<f64>,
    /// The model retrained without the genre, same condition as ours.
    pub retrained: Option<f64>,
    pub verdict: Option<Verdict>,
    /// The verdict in words, with what qualifies it.
    pub sentence: String,
    /// The figures as the page's table shows them.
    pub shown: Shown,
}

/// A judgement's figures as text, in the claim's unit: "–" where there is none, a speedup to two
/// significant figures (its forget time is measured to about that), a share to one decimal.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    /// The paper's range.
    pub paper: String,
    pub ours: String,
    pub retain: String,
    pub deletion_only: String,
    pub retrained: String,
}

impl Shown {
    fn of(claim: &Claim, figures: [Option<f64>; 4]) -> Shown {
        let [ours, retain, deletion_only, retrained] = figures.map(|x| claim.figure(x));
        Shown { paper: claim.range(), ours, retain, deletion_only, retrained }
    }
}

/// `x` to two significant figures, with thousands separators (1626259 → "1,600,000").
fn two_significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(magnitude - 1);
    let text = format!("{:.*}", (1 - magnitude).max(0) as usize, (x / scale).round() * scale);
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{}", fraction.map(|f| format!(".{f}")).unwrap_or_default())
}

/// The pop100 figures, as the paper reports them.
const PROTOCOL: Protocol = Protocol::Pop100;

/// Judges each claim (see [`ClaimInputs`]).
pub fn judge(inputs: &ClaimInputs) -> Vec<Judgement> {
    let mut judgements: Vec<Judgement> = CLAIMS.iter().map(|&claim| judge_one(claim, inputs)).collect();
    // Speed counts only with forgetting: a forget that removes nothing beyond deleting the
    // history (or nothing at all, from its weights) is fast at nothing.
    let removal = judgements.iter().find(|j| j.claim.kind == ClaimKind::Removal);
    let forgot = removal.and_then(|r| r.ours).map(|o| o > 0.0 && removal.and_then(|r| r.deletion_only).is_none_or(|d| o > d));
    if forgot == Some(false)
        && let Some(speed) = judgements.iter_mut().find(|j| j.claim.kind == ClaimKind::Speedup && j.verdict == Some(Verdict::Reproduced))
    {
        speed.verdict = Some(Verdict::FastWithoutForgetting);
        let rest = speed.sentence.strip_prefix("reproduced").unwrap_or(&speed.sentence).to_string();
        speed.sentence = format!(
            "{}{rest}; it removed no more of the genre's test hits than deleting the history alone (the removal claim), so its speed is not that of forgetting",
            Verdict::FastWithoutForgetting
        );
    }
    judgements
}

fn judge_one(claim: Claim, inputs: &ClaimInputs) -> Judgement {
    let f = match claim_figures(claim, inputs) {
        Ok(f) => f,
        Err(judgement) => return *judgement,
    };
    let verdict = f.ours.map(|x| claim.verdict_beside(x, f.retrained));
    let mut sentence = match verdict {
        Some(v) => v.to_string(),
        None => "not measurable".to_string(),
    };
    sentence += &qualifiers(claim, &f);
    if inputs.methods != [Method::Neurons] {
        let names: Vec<&str> = inputs.methods.iter().map(|m| m.name()).collect();
        sentence += &format!(" (by {}, not the paper's method)", names.join("+"));
    }
    let ClaimFigures { condition, ours, served, retain, deletion_only, retrained, .. } = f;
    let shown = Shown::of(&claim, [ours, retain, deletion_only, retrained]);
    Judgement { claim, condition: condition.to_string(), ours, served, retain, deletion_only, retrained, verdict, sentence, shown }
}

/// A claim's figures on its condition (see [`Judgement`]), and, for the removal claim, ours and
/// the retrained model's on the other condition (the histories without the genre).
struct ClaimFigures {
    condition: &'static str,
    ours: Option<f64>,
    served: Option<f64>,
    retain: Option<f64>,
    deletion_only: Option<f64>,
    retrained: Option<f64>,
    deleted_histories: Vec<(&'static str, Option<f64>)>,
}

/// Ours as `%` of `base` on `metric`, pop100, overall or on the retain users.
fn kept(metric: fn(&RankingMetrics) -> f64, of: &Figures, base: &Figures, retain: bool) -> Option<f64> {
    let (a, b) = if retain { (&of.retain, &base.retain) } else { (&of.overall, &base.overall) };
    let (a, b) = (metric(a.get(PROTOCOL)), metric(b.get(PROTOCOL)));
    (b > 0.0).then(|| 100.0 * a / b)
}

/// The share of the genre's test hits removed, %, pop100.
fn removed(of: &Figures) -> Option<f64> {
    of.removal_at(PROTOCOL).map(|r| 100.0 * r.rate)
}

/// A model's figures as served.
fn served(m: &Measurement, name: &str) -> Option<Figures> {
    m.get(name).map(|x| x.served.clone())
}

/// A model's figures from its weights, where an output filter makes the served figures differ.
fn weights(m: &Measurement, name: &str) -> Option<Figures> {
    m.get(name).map(|x| x.weights.clone().unwrap_or_else(|| x.served.clone()))
}

/// The forgotten model on the paper's condition: as served, and from its weights where they differ.
fn after(inputs: &ClaimInputs) -> Result<(Figures, Option<Figures>), Box<Judgement>> {
    let after = inputs.paper.get("after").map(|x| (x.served.clone(), x.weights.clone()));
    after.ok_or_else(|| Box::new(unmeasurable(Claim::get(ClaimKind::Removal), "nothing was forgotten")))
}

/// The figures of `claim`, or the judgement that it cannot be judged.
fn claim_figures(claim: Claim, inputs: &ClaimInputs) -> Result<ClaimFigures, Box<Judgement>> {
    let with_claim = |j: Box<Judgement>| Box::new(Judgement { claim, shown: Shown::of(&claim, [j.ours, None, None, None]), ..*j });
    match claim.kind {
        ClaimKind::HrKept | ClaimKind::NdcgKept => kept_figures(claim, inputs).map_err(with_claim),
        ClaimKind::Removal => removal_figures(inputs).map_err(with_claim),
        ClaimKind::Speedup => speedup_figures(claim, inputs).map_err(with_claim),
    }
}

/// HR or NDCG kept, % of the original's.
fn kept_figures(claim: Claim, inputs: &ClaimInputs) -> Result<ClaimFigures, Box<Judgement>> {
    let metric: fn(&RankingMetrics) -> f64 = if claim.kind == ClaimKind::HrKept { RankingMetrics::hr10 } else { RankingMetrics::ndcg10 };
    let o = served(&inputs.paper, "original").ok_or_else(|| Box::new(unmeasurable(claim, "the original was not measured")))?;
    let (a_served, a_weights) = after(inputs)?;
    let a = a_weights.as_ref().unwrap_or(&a_served);
    let (deletion_only, deleted_original) = (served(&inputs.deleted, DELETION_ONLY), served(&inputs.deleted, "original"));
    Ok(ClaimFigures {
        condition: "@10, pop100, every measured test user, histories as recorded (the paper's evaluation; deletion only and the retrained model: without the genre, which they never had)",
        ours: kept(metric, a, &o, false),
        served: a_weights.as_ref().and_then(|_| kept(metric, &a_served, &o, false)),
        retain: kept(metric, a, &o, true),
        deletion_only: deletion_only.as_ref().zip(deleted_original.as_ref()).and_then(|(d, o)| kept(metric, d, o, false)),
        retrained: served(&inputs.paper, RETRAINED).and_then(|r| kept(metric, &r, &o, false)),
        deleted_histories: deleted_original.as_ref().map_or(Vec::new(), |o| {
            vec![
                ("ours on them", weights(&inputs.deleted, "after").and_then(|a| kept(metric, &a, o, false))),
                ("the retrained model", served(&inputs.deleted, RETRAINED).and_then(|r| kept(metric, &r, o, false))),
            ]
        }),
    })
}

/// The share of the genre's test hits removed.
fn removal_figures(inputs: &ClaimInputs) -> Result<ClaimFigures, Box<Judgement>> {
    let (a_served, a_weights) = after(inputs)?;
    Ok(ClaimFigures {
        condition: "the genre's test hits at 10, pop100, histories as recorded (the paper's evaluation; deletion only and the retrained model: without the genre, which they never had)",
        ours: removed(a_weights.as_ref().unwrap_or(&a_served)),
        served: a_weights.as_ref().and_then(|_| removed(&a_served)),
        retain: None,
        deletion_only: served(&inputs.deleted, DELETION_ONLY).as_ref().and_then(removed),
        retrained: served(&inputs.paper, RETRAINED).as_ref().and_then(removed),
        deleted_histories: vec![
            ("ours on them", weights(&inputs.deleted, "after").as_ref().and_then(removed)),
            ("the retrained model", served(&inputs.deleted, RETRAINED).as_ref().and_then(removed)),
        ],
    })
}

/// Retraining's time ÷ the forget's, judged only at the default settings.
fn speedup_figures(claim: Claim, inputs: &ClaimInputs) -> Result<ClaimFigures, Box<Judgement>> {
    let x = inputs.speedup.ok_or_else(|| {
        Box::new(unmeasurable(claim, "no model retrained without the genre is shipped, so there is no retraining time to compare"))
    })?;
    if !inputs.changed_settings.is_empty() {
        let why = format!(
            "timed at other settings than the defaults ({}): forget at the defaults to judge the speedup",
            inputs.changed_settings.join(", ")
        );
        return Err(Box::new(Judgement { ours: Some(x), sentence: format!("not judged: {why}"), ..unmeasurable(claim, "") }));
    }
    Ok(ClaimFigures {
        condition: "retraining's CPU-equivalent time ÷ this forget's time here",
        ours: Some(x),
        served: None,
        retain: None,
        deletion_only: None,
        retrained: None,
        deleted_histories: Vec::new(),
    })
}

/// What qualifies a verdict: where ours goes beyond the paper, where a filter hides, what
/// deleting the history alone and retraining give on the same condition, and the other
/// condition's figures.
fn qualifiers(claim: Claim, f: &ClaimFigures) -> String {
    let mut text = String::new();
    let removal = claim.kind == ClaimKind::Removal;
    if f.ours.is_some_and(|x| x > claim.high) {
        text += " (beyond the paper's range)";
    }
    if f.ours.is_some_and(|x| x > 100.0) && matches!(claim.kind, ClaimKind::HrKept | ClaimKind::NdcgKept) {
        text += "; above 100%: more hits than the original made on this condition";
    }
    if let (Some(served), Some(ours)) = (f.served, f.ours) {
        text += &format!("; served {served:.1}{u}, but {ours:.1}{u} from the weights: a filter hides, it does not forget", u = claim.unit);
    }
    if let Some(o) = f.ours.filter(|&o| removal && o < 0.0) {
        text += &format!(
            "; negative: after the edit the model hits {:.1}% more of the genre's test items than the original did, so it removed none",
            -o
        );
    }
    if let (true, Some(d), Some(o)) = (removal, f.deletion_only, f.ours)
        && d >= o
    {
        text += &format!("; deleting the history alone already removes {d:.1}%: the edit adds nothing beyond it");
    }
    // The paper's 100% for retraining is not a law: read ours against what retraining removes
    // on the same condition.
    if let Some(r) = f.retrained.filter(|&r| removal && r < 99.95) {
        text += &format!(
            "; the model retrained without the genre removes {r:.1}% on this condition, not the paper's 100%: read the edit's figure against that"
        );
    }
    // The table above the claims gives the models the histories without the genre: say how its
    // removal figures differ from these, so neither reads as a contradiction.
    let other: Vec<String> = f.deleted_histories.iter().filter_map(|(name, x)| x.map(|x| format!("{name} {x:.1}%"))).collect();
    if !other.is_empty() {
        text += &format!(
            "; in the measured table above, where the models that forgot are given the histories without the genre: {}",
            other.join(", ")
        );
    }
    // What truly forgetting costs: where the retrained model itself falls short of a claim
    // about what is kept, no method that forgets can reach it on this condition.
    if let Some(r) = f.retrained.filter(|&r| matches!(claim.kind, ClaimKind::HrKept | ClaimKind::NdcgKept) && r < claim.low) {
        text += &format!(
            "; the model retrained without the genre keeps only {r:.1}%: the genre's hits go with the genre, so no model that truly forgets it reaches the paper's figure on this condition"
        );
    }
    text
}

fn unmeasurable(claim: Claim, why: &str) -> Judgement {
    Judgement {
        claim,
        condition: String::new(),
        ours: None,
        served: None,
        retain: None,
        deletion_only: None,
        retrained: None,
        verdict: None,
        sentence: format!("not measurable: {why}"),
        shown: Shown::of(&claim, [None; 4]),
    }
}

/// One line naming every claim, for reports.
pub fn summary() -> String {
    CLAIMS.iter().map(|c| c.statement).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_reproduced_from_its_lowest_figure_up() {
        let removal = Claim::get(ClaimKind::Removal);
        assert_eq!(removal.verdict(7.0), Verdict::NotReproduced);
        assert_eq!(removal.verdict(70.53), Verdict::Reproduced);
        assert_eq!(removal.range(), "70.53–74.82%");
        assert_eq!(Claim::get(ClaimKind::Speedup).range(), "×10.1–11");
    }

    #[test]
    fn figures_read_in_the_claims_unit() {
        let speedup = Claim::get(ClaimKind::Speedup);
        assert_eq!(speedup.figure(Some(1626259.0)), "×1,600,000");
        assert_eq!(speedup.figure(Some(12.34)), "×12");
        assert_eq!(speedup.figure(Some(0.0123)), "×0.012");
        assert_eq!(speedup.figure(Some(999.7)), "×1,000");
        assert_eq!(speedup.figure(None), "–");
        assert_eq!(Claim::get(ClaimKind::HrKept).figure(Some(94.449)), "94.4%");
    }

    #[test]
    fn keeping_less_than_the_paper_as_retraining_does_is_the_cost_of_forgetting() {
        let hr = Claim::get(ClaimKind::HrKept);
        // rows on Action: keeps 68.6%, the retrained model 44.8%.
        assert_eq!(hr.verdict_beside(68.6, Some(44.8)), Verdict::AsRetraining);
        assert_eq!(hr.verdict_beside(30.0, Some(44.8)), Verdict::NotReproduced, "keeping less than retraining is a failure");
        assert_eq!(hr.verdict_beside(68.6, None), Verdict::NotReproduced, "no retrained model, no excuse");
        assert_eq!(hr.verdict_beside(95.0, Some(44.8)), Verdict::KeptByNotForgetting, "retraining cannot keep it: not forgetting can");
        assert_eq!(hr.verdict_beside(95.0, Some(96.0)), Verdict::Reproduced);
        // Removal is not about what is kept.
        assert_eq!(Claim::get(ClaimKind::Removal).verdict_beside(10.0, Some(5.0)), Verdict::NotReproduced);
    }
}
