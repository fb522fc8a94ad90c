//! The one typed hook into the FFN intermediate activations (after GELU) of the encoder.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// One FFN intermediate neuron: row `index` of layer `layer`'s second FFN weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Neuron {
    /// Encoder layer, from 0 (nearest the input).
    pub layer: usize,
    /// Index in `0..d_ff`.
    pub index: usize,
}

/// Where along the sequence a hook acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Positions {
    /// Every position.
    All,
    /// The last position (where a next-item query's [MASK] sits).
    Last,
}

/// What [`crate::model::Bert4Rec::encode`] does to the FFN activations `a = gelu(H W1 + b1)`.
#[derive(Clone, Debug, Default)]
pub enum FfnHook {
    /// Leave them alone (training, recommending, evaluating).
    #[default]
    None,
    /// Record every layer's activations at the last position (a next-item query's [MASK]),
    /// `[batch, d_ff]` each, and each layer's input hidden states, `[batch, len, d_model]`, in
    /// [`crate::model::Encoding`].
    Capture,
    /// Replace the activations of `layer` at the last position by `values`, `[batch, d_ff]`.
    Replace { layer: usize, values: Tensor<2> },
    /// Multiply the activations of `layer` by `factors`, `[batch, len, d_ff]`, or `[batch, m,
    /// d_ff]` against a single row, which they broadcast to m rows (integrated gradients scales
    /// the [MASK] row by m values of χ and differentiates with respect to the factors).
    Scale { layer: usize, factors: Tensor<3> },
    /// Zero these neurons at the given positions (suppression without touching the weights).
    Zero { neurons: Vec<Neuron>, positions: Positions },
    /// Each hook in turn (e.g. an earlier suppression edit, then attribution's scaling).
    Chain(Vec<FfnHook>),
}

impl FfnHook {
    /// Whether it records activations (a [`FfnHook::Capture`], alone or in a chain).
    pub fn captures(&self) -> bool {
        match self {
            FfnHook::Capture => true,
            FfnHook::Chain(hooks) => hooks.iter().any(FfnHook::captures),
            _ => false,
        }
    }

    /// `self`, then `next`.
    pub fn then(self, next: FfnHook) -> FfnHook {
        match (self, next) {
            (FfnHook::None, next) => next,
            (first, FfnHook::None) => first,
            (FfnHook::Chain(mut hooks), next) => {
                hooks.push(next);
                FfnHook::Chain(hooks)
            }
            (first, next) => FfnHook::Chain(vec![first, next]),
        }
    }

    /// The same hook with suppression at the last position widened to every row: for a pass
    /// whose rows all stand for the [MASK] position (attribution's scaled copies).
    pub fn on_every_row(self) -> FfnHook {
        match self {
            FfnHook::Zero { neurons, positions: Positions::Last } => FfnHook::Zero { neurons, positions: Positions::All },
            FfnHook::Chain(hooks) => FfnHook::Chain(hooks.into_iter().map(FfnHook::on_every_row).collect()),
            other => other,
        }
    }
}
