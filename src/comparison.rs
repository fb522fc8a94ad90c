//! Measuring what forgetting did: original vs unlearned vs retrained on the same test cases.
//!
//! Removal rate (the paper's "removal"): `1 − HR@10(forget set, after) ÷ HR@10(forget set,
//! before)`, where the forget set is the test users whose target item is of the genre. It is
//! reported for every protocol with a seeded 95% bootstrap interval over those users.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Genre};
use crate::metrics::{CaseResult, Protocol, ProtocolMetrics, genre_share};

/// One model's figures on one genre's split of the test users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelFigures {
    /// All test users.
    pub overall: ProtocolMetrics,
    /// Test users whose target is not of the genre.
    pub retain: ProtocolMetrics,
    /// Test users whose target is of the genre.
    pub forget: ProtocolMetrics,
    /// Mean share of the genre in the top-10.
    pub exposure: f64,
}

impl ModelFigures {
    /// Aggregates one model's case results.
    pub fn new(results: &[CaseResult], dataset: &Dataset, genre: Genre) -> ModelFigures {
        let in_genre = |r: &&CaseResult| dataset.has_genre(r.target, genre);
        ModelFigures {
            overall: ProtocolMetrics::from_results(results.iter()),
            retain: ProtocolMetrics::from_results(results.iter().filter(|r| !in_genre(r))),
            forget: ProtocolMetrics::from_results(results.iter().filter(in_genre)),
            exposure: genre_share(results, dataset, genre),
        }
    }
}

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
    let mut rates: Vec<f64> = (0..draws)
        .map(|_| rate(&mut (0..pairs.len()).map(|_| pairs[rng.random_range(0..pairs.len())])))
        .collect();
    rates.sort_by(f64::total_cmp);
    let at = |q: f64| rates.get(((rates.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(point);
    Removal {
        rate: point,
        low: at(0.025),
        high: at(0.975),
    }
}

/// Mean overlap of two models' top-10 lists, in [0, 1].
pub fn top10_overlap(a: &[CaseResult], b: &[CaseResult]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let total: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.top.iter().filter(|i| y.top.contains(i)).count() as f64 / x.top.len().max(1) as f64)
        .sum();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ItemId;

    fn case(rank: u32) -> CaseResult {
        CaseResult {
            user: 0,
            target: ItemId(0),
            ranks: [rank; 3],
            top: vec![ItemId(1), ItemId(2)],
        }
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
}
