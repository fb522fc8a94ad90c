//! Forgetting a genre end to end: choose the attribution sequences, attribute, screen, edit.
//!
//! Attribution uses users whose *validation* item is of the genre; the removal is measured on
//! the *test* items, so attribution never sees what it is judged on.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::attribution::{IgConfig, IgProgress, NeuronAttribution, Objective, Query, integrated_gradients_async};
use crate::clock::now_seconds;
use crate::data::{Dataset, EvalCase, Genre, Split};
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, Neuron};
use crate::unlearning::{Edit, Screening, ScreeningConfig, Unlearned, apply_edit, screen};

/// Everything that defines one forgetting run; the defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ForgetConfig {
    /// At most this many attribution sequences (a seeded sample).
    pub sequences: usize,
    /// Seed of the sample.
    pub seed: u64,
    pub ig: IgConfig,
    pub screening: ScreeningConfig,
    pub edit: Edit,
}

impl Default for ForgetConfig {
    fn default() -> Self {
        ForgetConfig {
            sequences: 256,
            seed: 7,
            ig: IgConfig::default(),
            screening: ScreeningConfig::default(),
            edit: Edit::ZeroWeights,
        }
    }
}

/// The stages a forgetting run reports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
pub enum ForgetStage {
    Attribution(IgProgress),
    Screening,
    Editing,
}

/// Seconds per stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimes {
    pub attribution: f64,
    pub screening: f64,
    pub editing: f64,
    pub total: f64,
}

/// Work done, counted in sequence passes through the encoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Work {
    /// Forward passes of one sequence (an extended IG sequence counts once).
    pub forward: usize,
    /// Backward passes of one sequence.
    pub backward: usize,
}

/// What forgetting a genre found and did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetReport {
    pub genre: Genre,
    pub config: ForgetConfig,
    /// Attribution sequences used.
    pub sequences: usize,
    pub screening: Screening,
    /// Mean attribution per neuron over the sequences, `[n_layers][d_ff]` (the heat map).
    pub mean_attribution: Vec<Vec<f32>>,
    pub times: StageTimes,
    pub work: Work,
}

/// The validation cases whose target is of `genre`, seeded and capped.
pub fn attribution_cases(dataset: &Dataset, genre: Genre, cap: usize, seed: u64) -> Vec<EvalCase> {
    let mut cases: Vec<EvalCase> = dataset
        .eval_cases(Split::Validation)
        .into_iter()
        .filter(|c| dataset.has_genre(c.target, genre))
        .collect();
    cases.shuffle(&mut StdRng::seed_from_u64(seed));
    cases.truncate(cap);
    cases
}

/// The attribution queries and the genre's item flags for a forgetting run.
fn prepare(dataset: &Dataset, genre: Genre, config: &ForgetConfig) -> Result<(Vec<EvalCase>, Vec<bool>)> {
    let cases = attribution_cases(dataset, genre, config.sequences, config.seed);
    if cases.is_empty() {
        return Err(Error::Config(format!(
            "no user's validation item is of genre {genre}: nothing to attribute"
        )));
    }
    let genre_items = dataset.items.iter().map(|i| i.genres.contains(genre)).collect();
    Ok((cases, genre_items))
}

fn queries(cases: &[EvalCase]) -> Vec<Query<'_>> {
    cases
        .iter()
        .map(|c| Query {
            history: &c.history,
            target: c.target,
        })
        .collect()
}

/// Screens the attributions and edits the model.
fn finish(
    model: &Bert4Rec,
    genre: Genre,
    config: &ForgetConfig,
    attributions: &[NeuronAttribution],
    started: f64,
    progress: &mut impl FnMut(ForgetStage),
) -> Result<(ForgetReport, Unlearned)> {
    let attributed = now_seconds();
    progress(ForgetStage::Screening);
    let screening = screen(attributions, &config.screening)?;
    let (_, n_layers, d_ff) = model.dims();
    let mut mean_attribution = vec![vec![0.0f32; d_ff]; n_layers];
    for a in attributions {
        for (sum, layer) in mean_attribution.iter_mut().zip(&a.layers) {
            sum.iter_mut().zip(layer).for_each(|(s, v)| *s += v / attributions.len() as f32);
        }
    }
    let screened = now_seconds();
    progress(ForgetStage::Editing);
    let unlearned = apply_edit(model, &screening.neurons, config.edit)?;
    let done = now_seconds();
    let n = attributions.len();
    let report = ForgetReport {
        genre,
        config: config.clone(),
        sequences: n,
        screening,
        mean_attribution,
        times: StageTimes {
            attribution: attributed - started,
            screening: screened - attributed,
            editing: done - screened,
            total: done - started,
        },
        work: Work {
            forward: n * (1 + n_layers),
            backward: n * n_layers,
        },
    };
    Ok((report, unlearned))
}

/// Attributes, screens and edits: returns the report and the unlearned model (`model` is not
/// changed).
pub async fn forget_genre_async(
    model: &Bert4Rec,
    dataset: &Dataset,
    genre: Genre,
    config: &ForgetConfig,
    device: &burn::tensor::Device,
    mut progress: impl FnMut(ForgetStage),
) -> Result<(ForgetReport, Unlearned)> {
    let started = now_seconds();
    let (cases, genre_items) = prepare(dataset, genre, config)?;
    let genre_items = (config.ig.objective == Objective::GenreProbability).then_some(genre_items.as_slice());
    let attributions = integrated_gradients_async(model, &queries(&cases), genre_items, &config.ig, device, |p| {
        progress(ForgetStage::Attribution(p))
    })
    .await?;
    finish(model, genre, config, &attributions, started, &mut progress)
}

/// [`forget_genre_async`], blocking, with attribution spread over the CPU cores.
#[cfg(not(target_family = "wasm"))]
pub fn forget_genre(
    model: &Bert4Rec,
    dataset: &Dataset,
    genre: Genre,
    config: &ForgetConfig,
    device: &burn::tensor::Device,
    mut progress: impl FnMut(ForgetStage) + Send,
) -> Result<(ForgetReport, Unlearned)> {
    let started = now_seconds();
    let (cases, genre_items) = prepare(dataset, genre, config)?;
    let genre_items = (config.ig.objective == Objective::GenreProbability).then_some(genre_items.as_slice());
    let attributions = crate::attribution::integrated_gradients(model, &queries(&cases), genre_items, &config.ig, device, |p| {
        progress(ForgetStage::Attribution(p))
    })?;
    finish(model, genre, config, &attributions, started, &mut progress)
}

/// Neurons ranked by mean attribution, highest first (for the trade-off sweep).
pub fn rank_by_mean(mean_attribution: &[Vec<f32>]) -> Vec<Neuron> {
    let mut all: Vec<(f32, Neuron)> = mean_attribution
        .iter()
        .enumerate()
        .flat_map(|(layer, v)| v.iter().enumerate().map(move |(index, &a)| (a, Neuron { layer, index })))
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    all.into_iter().map(|(_, n)| n).collect()
}
