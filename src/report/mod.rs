//! The results pages: the paper's tables for Action, Drama and Comedy, every genre under the
//! paper's rule, a trade-off sweep over how many neurons are zeroed, and the comparison with the
//! baselines GRU4Rec and Caser (`paper`); the methods and the deletion set (`methods`,
//! `deletion`); the training records (`training`). Every figure comes from
//! `measurement::measure`; these modules run the experiments (`genre`) and render them. Native only.

pub mod chart;
pub mod deletion;
pub mod genre;
pub mod html;
pub mod methods;
pub mod paper;
pub mod training;

use serde::{Deserialize, Serialize};

use chart::{Labels, Series};

use crate::metrics::{Protocol, ProtocolMetrics};

pub use genre::{GenreOutcome, SweepPoint, genre_outcome, sweep};

/// A line chart as SVG: x = k on a log2 scale, one series per ranking.
pub fn sweep_svg(points: &[SweepPoint], title: &str, value: impl Fn(&SweepPoint) -> f64, y_label: &str) -> String {
    let series: Vec<Series> = [("attribution", "#c0392b"), ("contrastive", "#2980b9"), ("random", "#7f8c8d")]
        .into_iter()
        .map(|(name, colour)| Series {
            name: name.into(),
            points: points.iter().filter(|p| p.ranking == name).map(|p| ((p.k as f64).log2(), value(p))).collect(),
            colour,
        })
        .collect();
    let labels = Labels { title, x: "neurons zeroed (k)", y: y_label };
    chart::line_chart(&series, &labels, &|x| format!("{}", 2f64.powf(*x).round()), (520, 300))
}

/// One model's overall figures in the model comparison (the paper's Figures 3 and 4).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonRow {
    /// e.g. "Original", "Unlearned (Action)", "GRU4Rec".
    pub model: String,
    pub metrics: ProtocolMetrics,
}

/// Published figures on ML-1M, cited beside ours: `(source, model, protocol, HR@10, NDCG@10)`.
pub const PUBLISHED: [(&str, &str, Protocol, f64, f64); 6] = [
    ("Sun et al. 2019, Table 2", "GRU4Rec+", Protocol::Pop100, 0.6351, 0.4064),
    ("Sun et al. 2019, Table 2", "Caser", Protocol::Pop100, 0.6692, 0.4268),
    ("Sun et al. 2019, Table 2", "BERT4Rec", Protocol::Pop100, 0.6970, 0.4818),
    ("Petrov & Macdonald 2022 (expected BERT4Rec)", "BERT4Rec", Protocol::Full, 0.2821, 0.1516),
    ("Petrov & Macdonald 2022 (expected BERT4Rec)", "BERT4Rec", Protocol::Uniform100, 0.8039, 0.6008),
    ("Petrov & Macdonald 2022 (expected BERT4Rec)", "BERT4Rec", Protocol::Pop100, 0.6975, 0.4751),
];

/// A grouped bar chart as SVG: one group per metric (HR@1/5/10, NDCG@1/5/10), one bar per model.
pub fn comparison_svg(rows: &[ComparisonRow], protocol: Protocol) -> String {
    let groups = ["HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10"];
    let bars: Vec<(String, Vec<f64>)> = rows
        .iter()
        .map(|r| {
            let m = r.metrics.get(protocol);
            (r.model.clone(), m.hr.iter().chain(&m.ndcg).copied().collect())
        })
        .collect();
    chart::bar_chart(&groups, &bars, &format!("Model comparison, ML-1M test users, {} protocol", protocol.name()), (860, 340))
}
