//! Finding and editing privacy neurons (the seed paper's Algorithms 1 and 2).
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

use crate::attribution::NeuronAttribution;
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, FfnHook, Neuron, Positions};

/// Settings of the screening loop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
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
        ScreeningConfig {
            ratio: 0.3,
            p_start: 50.0,
            p_step: 5.0,
            band: (4, 8),
            max_rounds: 20,
        }
    }
}

/// One round of the P loop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreeningRound {
    pub p: f64,
    pub count: usize,
}

/// What screening found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    let max = attribution
        .layers
        .iter()
        .flatten()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    if max <= 0.0 {
        return Vec::new();
    }
    attribution
        .layers
        .iter()
        .enumerate()
        .flat_map(|(layer, values)| {
            values
                .iter()
                .enumerate()
                .filter(move |&(_, &v)| v > ratio * max)
                .map(move |(index, _)| Neuron { layer, index })
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
        frequency
            .iter()
            .filter(|&(_, &count)| count as f64 > p / 100.0 * n)
            .map(|(&neuron, _)| neuron)
            .collect()
    };
    let (low, high) = config.band;
    let mut p = config.p_start;
    let mut rounds = Vec::new();
    let mut neurons = select(p);
    let mut converged = false;
    for _ in 0..config.max_rounds.max(1) {
        neurons = select(p);
        rounds.push(ScreeningRound {
            p,
            count: neurons.len(),
        });
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

/// A model after unlearning: the edited weights and the hook to run them with.
#[derive(Clone, Debug)]
pub struct Unlearned {
    pub model: Bert4Rec,
    pub hook: FfnHook,
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
        let keep = Tensor::<2>::from_data(TensorData::new(keep, [d_ff, 1]), &weight.device())
            .expand([d_ff, d_model]); // [d_ff, d_model]
        layer.ffn.w2.weight = layer.ffn.w2.weight.clone().map(|w| w * keep);
    }
    Ok(edited.valid())
}

/// Applies an edit and returns the unlearned model; `model` stays as it was.
pub fn apply_edit(model: &Bert4Rec, neurons: &[Neuron], edit: Edit) -> Result<Unlearned> {
    Ok(match edit {
        Edit::ZeroWeights => Unlearned {
            model: zero_neurons(model, neurons)?,
            hook: FfnHook::None,
        },
        Edit::SuppressAtMask => Unlearned {
            model: model.clone(),
            hook: FfnHook::Zero {
                neurons: neurons.to_vec(),
                positions: Positions::At(model.max_len - 1),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribution(values: &[f32]) -> NeuronAttribution {
        NeuronAttribution {
            layers: vec![values.to_vec()],
        }
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
        let attributions: Vec<NeuronAttribution> = (0..10)
            .map(|s| attribution(&(0..10).map(|j| if s <= j { 1.0 } else { 0.0 }).collect::<Vec<_>>()))
            .collect();
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
