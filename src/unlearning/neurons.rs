//! The paper's method, exactly as published: find a genre's privacy neurons by integrated
//! gradients (Algorithm 1) and zero them (Algorithm 2).
//!
//! Attribution uses users whose *validation* item is of the genre; the removal is measured on
//! the *test* items, so attribution never sees what it is judged on.
//!
//! Screening: per sequence keep the neurons whose attribution exceeds `ratio` × the sequence's
//! largest attribution over all layers; privacy neurons are those kept by more than P% of the
//! genre's sequences, with P starting at 50 and moving by 5 (up when too many neurons, down when
//! too few) until their number lies in the band [4, 8], or the rounds run out.
//!
//! Editing zeroes the privacy neurons (rows of the second FFN weight) in a copy of the model;
//! the original is never touched.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::attribution::{IgConfig, NeuronAttribution, Objective, Query};
use crate::clock::now_seconds;
use crate::data::{Dataset, EvalCase, Genre, Split};
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, Neuron};
use crate::unlearning::{EditedModel, ForgetStage, Progress, RunContext, StageTimes, Work};

/// Settings of the screening loop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreeningConfig {
    /// Keep a neuron for a sequence when its attribution exceeds this × the maximum.
    pub ratio: f32,
    /// The first P, in percent.
    pub p_start: f64,
    /// How far P moves per round.
    pub p_step: f64,
    /// The wanted number of privacy neurons, inclusive.
    pub band: (usize, usize),
    /// Give up after this many rounds.
    pub max_rounds: usize,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        ScreeningConfig { ratio: 0.3, p_start: 50.0, p_step: 5.0, band: (4, 8), max_rounds: 20 }
    }
}

/// One round of the P loop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreeningRound {
    pub p: f64,
    pub count: usize,
}

/// What screening found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Screening {
    /// The privacy neurons, sorted.
    pub neurons: Vec<Neuron>,
    /// The P that selected them.
    pub p: f64,
    /// Whether the count ended inside the band.
    pub converged: bool,
    /// Every round tried.
    pub rounds: Vec<ScreeningRound>,
    /// Sequences screened.
    pub sequences: usize,
    /// Mean number of neurons kept per sequence.
    pub mean_kept_per_sequence: f64,
    /// How many sequences kept each neuron, for every neuron kept at least once.
    pub frequency: Vec<(Neuron, usize)>,
}

/// The neurons one sequence keeps: attribution > ratio × its maximum over all layers.
pub fn kept_neurons(attribution: &NeuronAttribution, ratio: f32) -> Vec<Neuron> {
    let max = attribution.layers.iter().flatten().copied().fold(f32::NEG_INFINITY, f32::max);
    if max <= 0.0 {
        return Vec::new();
    }
    attribution
        .layers
        .iter()
        .enumerate()
        .flat_map(|(layer, values)| {
            values.iter().enumerate().filter(move |&(_, &v)| v > ratio * max).map(move |(index, _)| Neuron { layer, index })
        })
        .collect()
}

/// Runs the P loop over the sequences' attributions.
pub fn screen(attributions: &[NeuronAttribution], config: &ScreeningConfig) -> Result<Screening> {
    if attributions.is_empty() {
        return Err(Error::Config("no sequences to screen: the genre has no attribution sequences".into()));
    }
    let mut frequency: BTreeMap<Neuron, usize> = BTreeMap::new();
    let mut kept_total = 0;
    for attribution in attributions {
        let kept = kept_neurons(attribution, config.ratio);
        kept_total += kept.len();
        for neuron in kept {
            *frequency.entry(neuron).or_default() += 1;
        }
    }
    let n = attributions.len() as f64;
    let select = |p: f64| -> Vec<Neuron> {
        frequency.iter().filter(|&(_, &count)| count as f64 > p / 100.0 * n).map(|(&neuron, _)| neuron).collect()
    };
    let (low, high) = config.band;
    let mut p = config.p_start;
    let mut rounds = Vec::new();
    let mut neurons = select(p);
    let mut converged = false;
    for _ in 0..config.max_rounds.max(1) {
        neurons = select(p);
        rounds.push(ScreeningRound { p, count: neurons.len() });
        if (low..=high).contains(&neurons.len()) {
            converged = true;
            break;
        }
        let next = if neurons.len() > high { p + config.p_step } else { p - config.p_step };
        if !(0.0..=100.0).contains(&next) {
            break;
        }
        // Stop if P would return to a value already tried (the band lies between two steps).
        if rounds.iter().any(|r| (r.p - next).abs() < 1e-9) {
            break;
        }
        p = next;
    }
    Ok(Screening {
        neurons,
        p,
        converged,
        rounds,
        sequences: attributions.len(),
        mean_kept_per_sequence: kept_total as f64 / n,
        frequency: frequency.into_iter().collect(),
    })
}

/// How the privacy neurons are removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edit {
    /// Zero their rows of the second FFN weight (the paper's edit; the default).
    #[default]
    ZeroWeights,
    /// Zero their activations at the [MASK] position only, leaving the weights alone.
    SuppressAtMask,
}

/// A copy of `model` with the rows of W2 owned by `neurons` set to zero.
pub fn zero_neurons(model: &Bert4Rec, neurons: &[Neuron]) -> Result<Bert4Rec> {
    let (d_model, n_layers, d_ff) = model.dims();
    if let Some(bad) = neurons.iter().find(|n| n.layer >= n_layers || n.index >= d_ff) {
        return Err(Error::Config(format!(
            "neuron {}:{} does not exist (the model has {n_layers} layers of {d_ff} neurons)",
            bad.layer, bad.index
        )));
    }
    let mut edited = model.clone();
    for (layer_index, layer) in edited.layers.iter_mut().enumerate() {
        let rows: Vec<usize> = neurons.iter().filter(|n| n.layer == layer_index).map(|n| n.index).collect();
        if rows.is_empty() {
            continue;
        }
        let mut keep = vec![1.0f32; d_ff];
        rows.iter().for_each(|&r| keep[r] = 0.0);
        let weight = layer.ffn.w2.weight.val();
        let keep = Tensor::<2>::from_data(TensorData::new(keep, [d_ff, 1]), &weight.device()).expand([d_ff, d_model]); // [d_ff, d_model]
        layer.ffn.w2.weight = layer.ffn.w2.weight.clone().map(|w| w * keep);
    }
    Ok(edited.valid())
}

/// Settings of the paper's method; the defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NeuronsConfig {
    /// At most this many attribution sequences (a seeded sample).
    pub sequences: usize,
    /// Seed of the sample.
    pub seed: u64,
    pub ig: IgConfig,
    pub screening: ScreeningConfig,
    pub edit: Edit,
}

impl Default for NeuronsConfig {
    fn default() -> Self {
        NeuronsConfig { sequences: 256, seed: 7, ig: IgConfig::default(), screening: ScreeningConfig::default(), edit: Edit::ZeroWeights }
    }
}

/// What the paper's method found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NeuronsDetails {
    pub config: NeuronsConfig,
    /// Attribution sequences used.
    pub sequences: usize,
    pub screening: Screening,
    /// Mean attribution per neuron over the sequences, `[n_layers][d_ff]` (the heat map).
    pub mean_attribution: Vec<Vec<f32>>,
}

/// The validation cases whose target is of `genre`, seeded and capped, with the interactions of
/// `deleted` genres removed from their histories.
pub fn attribution_cases(dataset: &Dataset, genre: Genre, deleted: &[Genre], cap: usize, seed: u64) -> Vec<EvalCase> {
    let cases: Vec<EvalCase> = dataset.eval_cases(Split::Validation).into_iter().filter(|c| dataset.has_genre(c.target, genre)).collect();
    let mut cases = dataset.delete_from_histories(cases, deleted);
    cases.shuffle(&mut StdRng::seed_from_u64(seed));
    cases.truncate(cap);
    cases
}

/// Applies the screened neurons to `state` as `edit` says.
pub fn apply_edit(state: &mut EditedModel, neurons: &[Neuron], edit: Edit) -> Result<()> {
    match edit {
        Edit::ZeroWeights => state.model = zero_neurons(&state.model, neurons)?,
        Edit::SuppressAtMask => {
            zero_neurons(&state.model, neurons)?; // checks that they exist
            state.suppressed.extend_from_slice(neurons);
            state.suppressed.sort();
            state.suppressed.dedup();
        }
    }
    Ok(())
}

/// Attributes (on the model as `state` has it, earlier edits included), screens and edits
/// `state` in place.
pub(crate) async fn run(
    state: &mut EditedModel,
    dataset: &Dataset,
    genre: Genre,
    config: &NeuronsConfig,
    context: &RunContext<'_>,
    progress: &mut Progress<'_, ForgetStage>,
) -> Result<(NeuronsDetails, StageTimes, Work)> {
    let started = now_seconds();
    let mut deleted = state.forgotten.clone();
    deleted.retain(|&g| g != genre);
    let cases = attribution_cases(dataset, genre, &deleted, config.sequences, config.seed);
    if cases.is_empty() {
        return Err(Error::Config(format!("no user's validation item is of genre {genre}: nothing to attribute")));
    }
    let genre_items: Vec<bool> = dataset.items.iter().map(|i| i.genres.contains(genre)).collect();
    let genre_items = (config.ig.objective == Objective::GenreProbability).then_some(genre_items.as_slice());
    let queries: Vec<Query<'_>> = cases.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
    let base = state.hook();
    let attributions = crate::attribution::integrated_gradients(&state.model, &queries, genre_items, &config.ig, &base, context, |p| {
        progress(ForgetStage::Attribution(p))
    })
    .await?;
    let attributed = now_seconds();
    progress(ForgetStage::Screening);
    let screening = screen(&attributions, &config.screening)?;
    let (_, n_layers, d_ff) = state.model.dims();
    let mean_attribution = mean_attribution(&attributions, n_layers, d_ff);
    let screened = now_seconds();
    progress(ForgetStage::Editing);
    apply_edit(state, &screening.neurons, config.edit)?;
    let done = now_seconds();
    let n = attributions.len();
    let times = StageTimes {
        attribution: attributed - started,
        screening: screened - attributed,
        editing: done - screened,
        ..StageTimes::default()
    };
    let work = Work { forward: n * (1 + n_layers), backward: n * n_layers, optimizer_steps: 0 };
    Ok((NeuronsDetails { config: config.clone(), sequences: n, screening, mean_attribution }, times, work))
}

/// Mean attribution per neuron over the sequences, `[n_layers][d_ff]`.
pub fn mean_attribution(attributions: &[NeuronAttribution], n_layers: usize, d_ff: usize) -> Vec<Vec<f32>> {
    let mut mean = vec![vec![0.0f32; d_ff]; n_layers];
    for a in attributions {
        for (sum, layer) in mean.iter_mut().zip(&a.layers) {
            sum.iter_mut().zip(layer).for_each(|(s, v)| *s += v / attributions.len() as f32);
        }
    }
    mean
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attribution(values: &[f32]) -> NeuronAttribution {
        NeuronAttribution { layers: vec![values.to_vec()] }
    }

    #[test]
    fn keeps_neurons_above_ratio_of_the_max() {
        let kept = kept_neurons(&attribution(&[1.0, 0.31, 0.3, -2.0]), 0.3);
        assert_eq!(kept, vec![Neuron { layer: 0, index: 0 }, Neuron { layer: 0, index: 1 }]);
        assert!(kept_neurons(&attribution(&[-1.0, 0.0]), 0.3).is_empty());
    }

    #[test]
    fn p_moves_until_the_count_is_in_the_band() {
        // 10 sequences; neuron j is kept by j + 1 of them (j = 0..10).
        let attributions: Vec<NeuronAttribution> =
            (0..10).map(|s| attribution(&(0..10).map(|j| if s <= j { 1.0 } else { 0.0 }).collect::<Vec<_>>())).collect();
        let config = ScreeningConfig::default();
        let result = screen(&attributions, &config).unwrap();
        // P = 50: kept by > 5 sequences: neurons 5..10 → 5 neurons, inside [4, 8].
        assert!(result.converged);
        assert_eq!(result.p, 50.0);
        assert_eq!(result.neurons.len(), 5);
        // A narrow band forces P up: P = 80 keeps neurons kept by > 8 sequences → 8, 9.
        let narrow = ScreeningConfig { band: (2, 2), ..config };
        let result = screen(&attributions, &narrow).unwrap();
        assert_eq!((result.p, result.neurons.len()), (80.0, 2));
        assert_eq!(result.rounds.len(), 7);
    }
}
