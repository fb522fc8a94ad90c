//! The results page: the paper's tables for Action, Drama and Comedy, every genre under the
//! paper's rule, a trade-off sweep over how many neurons are zeroed, and the comparison with the
//! baselines GRU4Rec and Caser. Native only.

pub mod deletion;
pub mod html;
pub mod methods;
pub mod paper;
pub mod training;

use std::fmt::Write as _;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::attribution::{Query, integrated_gradients};
use crate::checkpoint::Checkpoint;
use crate::data::{Dataset, EvalCase, Genre, Split};
use crate::error::Result;
use crate::measurement::{EvalContext, ModelFigures, Removal, mean_kl, percent_of, removal_rate, top10_overlap};
use crate::metrics::{CaseResult, Protocol, ProtocolMetrics, evaluate_cases, score_histories};
use crate::model::{Bert4Rec, FfnHook, Neuron};
use crate::unlearning::zero_neurons;
use crate::unlearning::{EditedModel, ForgetConfig, ForgetReport, NeuronsDetails, View, forget, rank_by_mean};

/// The outcome for one genre under the paper's rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreOutcome {
    pub genre: Genre,
    pub forget: ForgetReport,
    pub forget_set_users: usize,
    pub original: ModelFigures,
    pub unlearned: ModelFigures,
    pub retrained: Option<ModelFigures>,
    /// Removal by protocol (full, uniform100, pop100).
    pub removal_unlearned: Vec<Removal>,
    pub removal_retrained: Option<Vec<Removal>>,
    /// Training time of the retrained model on the CPU (`CheckpointMeta::cpu_train_seconds`),
    /// and its epochs.
    pub retrain_seconds: Option<f64>,
    pub retrain_epochs: Option<usize>,
    /// The retrained model's training record (`CheckpointMeta::training_summary`).
    pub retrain_record: Option<String>,
    pub closeness: Option<Closeness>,
}

impl GenreOutcome {
    /// What the paper's method found.
    pub fn neurons(&self) -> &NeuronsDetails {
        self.forget.neurons().expect("genre outcomes run the paper's method")
    }
}

/// How close the unlearned (and the original) model come to the retrained one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Closeness {
    /// Users whose next-item distributions were compared (the first of the test cases).
    pub users: usize,
    /// Mean share of the retrained top-10 also in the unlearned (original) top-10, all test users.
    pub top10_overlap_unlearned: f64,
    pub top10_overlap_original: f64,
    /// Mean KL(retrained ‖ unlearned) and KL(retrained ‖ original) of the next-item softmax.
    pub kl_retrained_to_unlearned: f64,
    pub kl_retrained_to_original: f64,
}

/// The three models a closeness compares.
pub struct Compared<'a> {
    pub original: &'a Bert4Rec,
    pub unlearned: &'a EditedModel,
    pub retrained: &'a Bert4Rec,
}

/// Compares the models' top-10s on all cases (`results`: original, unlearned, retrained) and
/// their next-item distributions on the first `users` cases; the retrained model reads the
/// histories without the genre (`retrained_cases`).
pub fn closeness(
    models: &Compared<'_>,
    cases: &[EvalCase],
    retrained_cases: &[EvalCase],
    results: [&[CaseResult]; 3],
    users: usize,
    device: &burn::tensor::Device,
) -> Result<Closeness> {
    let [before, after, retrained_results] = results;
    let sample: Vec<&[crate::data::ItemId]> = cases.iter().take(users).map(|c| c.history.as_slice()).collect();
    let deleted: Vec<&[crate::data::ItemId]> = retrained_cases.iter().take(users).map(|c| c.history.as_slice()).collect();
    let p_retrained = score_histories(models.retrained, &deleted, &FfnHook::None, device)?;
    let p_unlearned = score_histories(&models.unlearned.view(View::Served), &sample, &FfnHook::None, device)?;
    let p_original = score_histories(models.original, &sample, &FfnHook::None, device)?;
    Ok(Closeness {
        users: sample.len(),
        top10_overlap_unlearned: top10_overlap(after, retrained_results),
        top10_overlap_original: top10_overlap(before, retrained_results),
        kl_retrained_to_unlearned: mean_kl(&p_retrained, &p_unlearned),
        kl_retrained_to_original: mean_kl(&p_retrained, &p_original),
    })
}

/// One point of the sweep.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    pub ranking: String,
    pub k: usize,
    /// Removal rate (pop100 HR@10).
    pub removal: f64,
    /// Overall HR@10 (pop100) as % of the original.
    pub hr_percent: f64,
    /// Retain-set HR@10 (pop100) as % of the original.
    pub retain_hr_percent: f64,
}

fn removals(before: &[CaseResult], after: &[CaseResult], dataset: &Dataset, genre: Genre) -> Vec<Removal> {
    let pick = |rs: &[CaseResult]| rs.iter().filter(|r| dataset.has_genre(r.target, genre)).cloned().collect::<Vec<_>>();
    let (b, a) = (pick(before), pick(after));
    Protocol::ALL.iter().map(|&p| removal_rate(&b, &a, p, 1000, 17)).collect()
}

/// Runs the paper's procedure for one genre and measures it against `retrained`.
pub fn genre_outcome(
    ctx: &EvalContext<'_>,
    model: &Bert4Rec,
    before: &[CaseResult],
    retrained: Option<&Checkpoint>,
    genre: Genre,
    config: &ForgetConfig,
) -> Result<GenreOutcome> {
    let EvalContext { dataset, cases, sampler, device } = *ctx;
    let start = EditedModel::new(model.clone());
    let (mut reports, unlearned) = forget(&start, model, dataset, genre, config, device, |_| {})?;
    let forget = reports.remove(0);
    if forget.neurons().is_none() {
        return Err(crate::Error::Config("the paper's tables need the paper's method (neurons)".into()));
    }
    let after = evaluate_cases(&unlearned.view(View::Served), cases, sampler, &FfnHook::None, crate::metrics::EVAL_BATCH, device)?;
    // The retrained model never saw the genre: its histories leave the genre's items out (a user
    // whose whole history is of the genre keeps it, so that the cases stay paired).
    let retrained_cases: Vec<EvalCase> = cases
        .iter()
        .map(|c| {
            let history: Vec<_> = c.history.iter().copied().filter(|&i| !dataset.has_genre(i, genre)).collect();
            if history.is_empty() { c.clone() } else { EvalCase { history, ..c.clone() } }
        })
        .collect();
    let retrained_results = match retrained {
        Some(r) => Some(evaluate_cases(&r.model, &retrained_cases, sampler, &FfnHook::None, crate::metrics::EVAL_BATCH, device)?),
        None => None,
    };
    let closeness = match (retrained, &retrained_results) {
        (Some(r), Some(rr)) => {
            let models = Compared { original: model, unlearned: &unlearned, retrained: &r.model };
            Some(closeness(&models, cases, &retrained_cases, [before, &after, rr], 300, device)?)
        }
        _ => None,
    };
    Ok(GenreOutcome {
        genre,
        forget_set_users: before.iter().filter(|r| dataset.has_genre(r.target, genre)).count(),
        original: ModelFigures::new(before, dataset, genre),
        unlearned: ModelFigures::new(&after, dataset, genre),
        retrained: retrained_results.as_ref().map(|r| ModelFigures::new(r, dataset, genre)),
        removal_unlearned: removals(before, &after, dataset, genre),
        removal_retrained: retrained_results.as_ref().map(|r| removals(before, r, dataset, genre)),
        retrain_seconds: retrained.and_then(|r| r.meta.cpu_train_seconds()),
        retrain_epochs: retrained.map(|r| r.meta.epochs),
        retrain_record: retrained.map(|r| r.meta.training_summary()),
        closeness,
        forget,
    })
}

/// Zeroes the top-k neurons of three rankings (mean attribution, contrastive, random) for
/// k = 4, 8, 16, … up to half of all neurons, and measures removal and cost.
pub fn sweep(
    ctx: &EvalContext<'_>,
    model: &Bert4Rec,
    before: &[CaseResult],
    genre: Genre,
    neurons: &NeuronsDetails,
    config: &ForgetConfig,
) -> Result<Vec<SweepPoint>> {
    let EvalContext { dataset, cases, sampler, device } = *ctx;
    let (_, n_layers, d_ff) = model.dims();
    // Contrastive: the genre's mean attribution minus that of as many sequences of other genres.
    let others: Vec<EvalCase> = {
        let mut c: Vec<EvalCase> =
            dataset.eval_cases(Split::Validation).into_iter().filter(|c| !dataset.has_genre(c.target, genre)).collect();
        c.shuffle(&mut StdRng::seed_from_u64(config.neurons.seed ^ 0x07e5));
        c.truncate(neurons.sequences);
        c
    };
    let queries: Vec<Query<'_>> = others.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
    let other_attr = integrated_gradients(model, &queries, None, &config.neurons.ig, &FfnHook::None, device, |_| {})?;
    let mut contrast = neurons.mean_attribution.clone();
    for a in &other_attr {
        for (row, layer) in contrast.iter_mut().zip(&a.layers) {
            row.iter_mut().zip(layer).for_each(|(c, v)| *c -= v / other_attr.len() as f32);
        }
    }
    let mut random: Vec<Neuron> = (0..n_layers).flat_map(|layer| (0..d_ff).map(move |index| Neuron { layer, index })).collect();
    random.shuffle(&mut StdRng::seed_from_u64(99));
    let rankings = [("attribution", rank_by_mean(&neurons.mean_attribution)), ("contrastive", rank_by_mean(&contrast)), ("random", random)];
    let base = ModelFigures::new(before, dataset, genre);
    let mut points = Vec::new();
    let mut k = 4;
    while k <= n_layers * d_ff / 2 {
        for (name, ranking) in &rankings {
            let edited = zero_neurons(model, &ranking[..k])?;
            let after = evaluate_cases(&edited, cases, sampler, &FfnHook::None, crate::metrics::EVAL_BATCH, device)?;
            let figures = ModelFigures::new(&after, dataset, genre);
            points.push(SweepPoint {
                ranking: name.to_string(),
                k,
                removal: removals(before, &after, dataset, genre)[Protocol::Pop100 as usize].rate,
                hr_percent: percent_of(&base.overall, &figures.overall, Protocol::Pop100)[2],
                retain_hr_percent: percent_of(&base.retain, &figures.retain, Protocol::Pop100)[2],
            });
        }
        k *= 2;
    }
    Ok(points)
}

/// A line chart as SVG: x = log2(k), one series per ranking.
pub fn sweep_svg(points: &[SweepPoint], title: &str, value: impl Fn(&SweepPoint) -> f64, y_label: &str) -> String {
    let (w, h, pad) = (520.0, 300.0, 48.0);
    let ks: Vec<usize> = {
        let mut k: Vec<usize> = points.iter().map(|p| p.k).collect();
        k.dedup();
        k.sort();
        k.dedup();
        k
    };
    let max_y = points.iter().map(&value).fold(1e-9, f64::max).max(1.0);
    let x = |k: usize| pad + (w - 2.0 * pad) * ks.iter().position(|&v| v == k).unwrap_or(0) as f64 / (ks.len().max(2) - 1) as f64;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v / max_y).clamp(0.0, 1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{pad}\" y=\"18\" font-size=\"13\">{title}</text>\
         <line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#333\"/>\
         <text x=\"8\" y=\"{}\" transform=\"rotate(-90 8 {})\">{y_label}</text>",
        h - pad,
        w - pad,
        h - pad,
        h - pad,
        h / 2.0,
        h / 2.0
    );
    for &k in &ks {
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{k}</text>", x(k), h - pad + 14.0);
    }
    for t in 0..=4 {
        let v = max_y * t as f64 / 4.0;
        let _ = write!(svg, "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2}</text>", pad - 4.0, y(v) + 4.0);
    }
    for (i, (name, colour)) in [("attribution", "#c0392b"), ("contrastive", "#2980b9"), ("random", "#7f8c8d")].iter().enumerate() {
        let series: Vec<String> =
            points.iter().filter(|p| p.ranking == *name).map(|p| format!("{:.1},{:.1}", x(p.k), y(value(p)))).collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" fill=\"{colour}\">{name}</text>",
            series.join(" "),
            w - pad - 70.0,
            pad + 14.0 * i as f64
        );
    }
    let _ = write!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">neurons zeroed (k)</text></svg>", w / 2.0, h - 10.0);
    svg
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
    const COLOURS: [&str; 10] =
        ["#2c3e50", "#c0392b", "#e74c3c", "#d35400", "#2980b9", "#3498db", "#5dade2", "#27ae60", "#8e44ad", "#7f8c8d"];
    let labels = ["HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10"];
    let value = |m: &ProtocolMetrics, i: usize| {
        let r = m.get(protocol);
        if i < 3 { r.hr[i] } else { r.ndcg[i - 3] }
    };
    let bars = rows.len().max(1) as f64;
    let (w, h, pad, legend) = (860.0, 340.0, 48.0, 190.0);
    let group = (w - pad - legend) / labels.len() as f64;
    let bar = group * 0.8 / bars;
    let max_y = rows.iter().flat_map(|r| (0..6).map(move |i| value(&r.metrics, i))).fold(0.0, f64::max).max(1e-9);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v / max_y);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <text x=\"{pad}\" y=\"18\" font-size=\"13\">Model comparison, ML-1M test users, {} protocol</text>\
         <line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        protocol.name(),
        h - pad,
        w - legend,
        h - pad
    );
    for t in 0..=4 {
        let v = max_y * t as f64 / 4.0;
        let _ = write!(svg, "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2}</text>", pad - 4.0, y(v) + 4.0);
    }
    for (g, label) in labels.iter().enumerate() {
        let x0 = pad + group * g as f64 + group * 0.1;
        for (b, row) in rows.iter().enumerate() {
            let v = value(&row.metrics, g);
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {label} {v:.4}</title></rect>",
                x0 + bar * b as f64,
                y(v),
                bar.max(1.0) - 0.5,
                (h - pad - y(v)).max(0.0),
                COLOURS[b % COLOURS.len()],
                row.model
            );
        }
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>", x0 + group * 0.4, h - pad + 14.0);
    }
    for (b, row) in rows.iter().enumerate() {
        let ly = pad + 16.0 * b as f64;
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{:.1}\">{}</text>",
            w - legend + 10.0,
            ly - 9.0,
            COLOURS[b % COLOURS.len()],
            w - legend + 26.0,
            ly,
            row.model
        );
    }
    svg.push_str("</svg>");
    svg
}
