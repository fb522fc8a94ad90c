//! What the paper's report runs for one genre: the paper's method, measured through the one
//! measurement ([`measure`]) on the paper's condition (the histories as recorded), and the
//! trade-off sweep over how many neurons are zeroed. Native only.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::attribution::{Query, integrated_gradients};
use crate::checkpoint::Checkpoint;
use crate::data::{EvalCase, Genre, Split};
use crate::error::Result;
use crate::measurement::{DELETION_ONLY, EvalContext, Figures, Histories, MeasureSettings, Measurement, RETRAINED, measure, percent_of};
use crate::metrics::Protocol;
use crate::model::{Bert4Rec, FfnHook, Neuron};
use crate::parallel::threads_for;
use crate::readback::Wait;
use crate::unlearning::{EditedModel, ForgetConfig, ForgetReport, NeuronsDetails, RunContext, forget, rank_by_mean, zero_neurons};

/// The unlearned model's name in a genre's measurement.
pub const UNLEARNED: &str = "unlearned";

/// The outcome for one genre under the paper's rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreOutcome {
    pub genre: Genre,
    pub forget: ForgetReport,
    /// The original, deletion only, the unlearned model and (where one is shipped) the model
    /// retrained without the genre, measured on the paper's condition: the unlearned model is
    /// given the histories as recorded; the retrained model and deletion only, without the genre.
    pub measurement: Measurement,
    /// Training time of the retrained model on the CPU over every epoch it trained
    /// (`CheckpointMeta::cpu_train_seconds`), its saved (best) epoch, and the last it trained.
    pub retrain_seconds: Option<f64>,
    pub retrain_epochs: Option<usize>,
    pub retrain_trained_through: Option<usize>,
    /// The retrained model's training record (`CheckpointMeta::training_summary`).
    pub retrain_record: Option<String>,
}

impl GenreOutcome {
    /// What the paper's method found.
    pub fn neurons(&self) -> &NeuronsDetails {
        self.forget.neurons().expect("genre outcomes run the paper's method")
    }

    /// The original model's figures (the first measured).
    pub fn original(&self) -> &Figures {
        &self.measurement.models[0].served
    }

    pub fn unlearned(&self) -> &Figures {
        self.figures(UNLEARNED).expect("a genre outcome measures the unlearned model")
    }

    pub fn deletion_only(&self) -> Option<&Figures> {
        self.figures(DELETION_ONLY)
    }

    pub fn retrained(&self) -> Option<&Figures> {
        self.figures(RETRAINED)
    }

    fn figures(&self, name: &str) -> Option<&Figures> {
        self.measurement.get(name).map(|m| &m.served)
    }
}

/// Runs the paper's procedure for one genre and measures it beside deletion only and `retrained`.
pub fn genre_outcome(
    ctx: &EvalContext<'_>,
    model: &Bert4Rec,
    retrained: Option<&Checkpoint>,
    genre: Genre,
    config: &ForgetConfig,
) -> Result<GenreOutcome> {
    let start = EditedModel::new(model.clone());
    let (mut reports, unlearned) = forget(&start, model, ctx.dataset, genre, config, &RunContext::new(ctx.device), |_| {}).wait()?;
    let forget = reports.remove(0);
    if forget.neurons().is_none() {
        return Err(crate::Error::Config("the paper's tables need the paper's method (neurons)".into()));
    }
    // It never saw the genre: it is given the histories without it.
    let reference = retrained.map(|r| EditedModel::new(r.model.clone()).deletion_only(ctx.dataset, &[genre]));
    let settings = MeasureSettings { histories: Histories::Kept, ..MeasureSettings::default() };
    let models = [("original", &start), (UNLEARNED, &unlearned)];
    let measurement = measure(ctx, genre, &models, reference.as_ref(), None, &settings, threads_for(ctx.device)).wait()?;
    Ok(GenreOutcome {
        genre,
        forget,
        measurement,
        retrain_seconds: retrained.and_then(|r| r.meta.cpu_train_seconds()),
        retrain_epochs: retrained.map(|r| r.meta.epochs),
        retrain_trained_through: retrained.map(|r| r.meta.trained_through()),
        retrain_record: retrained.map(|r| r.meta.training_summary()),
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

/// Zeroes the top-k neurons of three rankings (mean attribution, contrastive, random) for
/// k = 4, 8, 16, … up to half of all neurons, and measures removal and cost (one measurement
/// of every zeroed model, on the paper's condition).
pub fn sweep(
    ctx: &EvalContext<'_>,
    model: &Bert4Rec,
    genre: Genre,
    neurons: &NeuronsDetails,
    config: &ForgetConfig,
) -> Result<Vec<SweepPoint>> {
    let (_, n_layers, d_ff) = model.dims();
    let rankings = [
        ("attribution", rank_by_mean(&neurons.mean_attribution)),
        ("contrastive", rank_by_mean(&contrast(ctx, model, genre, neurons, config)?)),
        ("random", random_ranking(n_layers, d_ff)),
    ];
    let mut zeroed: Vec<(String, &str, usize, EditedModel)> = Vec::new();
    let mut k = 4;
    while k <= n_layers * d_ff / 2 {
        for (ranking, order) in &rankings {
            zeroed.push((format!("{ranking} k={k}"), ranking, k, EditedModel::new(zero_neurons(model, &order[..k])?)));
        }
        k *= 2;
    }
    let original = EditedModel::new(model.clone());
    let mut models = vec![("original", &original)];
    models.extend(zeroed.iter().map(|(name, _, _, m)| (name.as_str(), m)));
    // Removal and utility only: no membership, deleted-data or closeness samples, no bootstrap.
    let settings = MeasureSettings {
        histories: Histories::Kept,
        draws: 0,
        membership_users: 0,
        deleted_interactions: 0,
        kl_users: 0,
        deletion_only: false,
        ..MeasureSettings::default()
    };
    let m = measure(ctx, genre, &models, None, None, &settings, threads_for(ctx.device)).wait()?;
    let base = &m.models[0].served;
    Ok(zeroed
        .iter()
        .filter_map(|(name, ranking, k, _)| {
            let f = &m.get(name)?.served;
            Some(SweepPoint {
                ranking: ranking.to_string(),
                k: *k,
                removal: f.removal_at(Protocol::Pop100).map_or(0.0, |r| r.rate),
                hr_percent: percent_of(&base.overall, &f.overall, Protocol::Pop100)[2],
                retain_hr_percent: percent_of(&base.retain, &f.retain, Protocol::Pop100)[2],
            })
        })
        .collect())
}

/// The genre's mean attribution minus that of as many validation sequences of other genres.
fn contrast(
    ctx: &EvalContext<'_>,
    model: &Bert4Rec,
    genre: Genre,
    neurons: &NeuronsDetails,
    config: &ForgetConfig,
) -> Result<Vec<Vec<f32>>> {
    let dataset = ctx.dataset;
    let mut others: Vec<EvalCase> =
        dataset.eval_cases(Split::Validation).into_iter().filter(|c| !dataset.has_genre(c.target, genre)).collect();
    others.shuffle(&mut StdRng::seed_from_u64(config.neurons.seed ^ 0x07e5));
    others.truncate(neurons.sequences);
    let queries: Vec<Query<'_>> = others.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
    let other_attr =
        integrated_gradients(model, &queries, None, &config.neurons.ig, &FfnHook::None, &RunContext::new(ctx.device), |_| {}).wait()?;
    let mut contrast = neurons.mean_attribution.clone();
    for a in &other_attr {
        for (row, layer) in contrast.iter_mut().zip(&a.layers) {
            row.iter_mut().zip(layer).for_each(|(c, v)| *c -= v / other_attr.len() as f32);
        }
    }
    Ok(contrast)
}

/// Every neuron in a seeded random order (the sweep's control).
fn random_ranking(n_layers: usize, d_ff: usize) -> Vec<Neuron> {
    let mut random: Vec<Neuron> = (0..n_layers).flat_map(|layer| (0..d_ff).map(move |index| Neuron { layer, index })).collect();
    random.shuffle(&mut StdRng::seed_from_u64(99));
    random
}
