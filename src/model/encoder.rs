//! One bidirectional Transformer layer (post-LayerNorm, as in BERT), with its position-wise FFN
//! `gelu(H W1 + b1) W2 + b2` written out so its intermediate neurons can be reached.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::model::attention::{SelfAttention, SelfAttentionConfig};
use crate::model::hook::{FfnHook, Positions};
use crate::model::{dropout, gelu};

/// Configuration of [`EncoderLayer`].
#[derive(Config, Debug)]
pub struct EncoderLayerConfig {
    /// Width of the hidden states.
    pub d_model: usize,
    /// Number of attention heads.
    pub n_heads: usize,
    /// Number of FFN intermediate neurons.
    pub d_ff: usize,
    /// Dropout after attention and FFN, and on attention weights.
    #[config(default = 0.1)]
    pub dropout: f64,
}

fn bert_linear(d_input: usize, d_output: usize, device: &Device) -> Linear {
    LinearConfig::new(d_input, d_output).with_initializer(Initializer::Normal { mean: 0.0, std: 0.02 }).init(device)
}

impl EncoderLayerConfig {
    /// Builds the layer.
    pub fn init(&self, device: &Device) -> EncoderLayer {
        EncoderLayer {
            attention: SelfAttentionConfig::new(self.d_model, self.n_heads).with_dropout(self.dropout).init(device),
            attention_norm: LayerNormConfig::new(self.d_model).init(device),
            ffn: FeedForward { w1: bert_linear(self.d_model, self.d_ff, device), w2: bert_linear(self.d_ff, self.d_model, device) },
            ffn_norm: LayerNormConfig::new(self.d_model).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

/// The position-wise feed-forward block. `w1.weight` is `[d_model, d_ff]`; `w2.weight` is
/// `[d_ff, d_model]`, so neuron `j` owns row `j` of `w2.weight`.
#[derive(Module, Debug)]
pub struct FeedForward {
    pub w1: Linear,
    pub w2: Linear,
}

/// A ones vector with zeros at `indices`, `[len]`.
fn keep_mask(len: usize, indices: impl Iterator<Item = usize>, device: &Device) -> Tensor<1> {
    let mut keep = vec![1.0f32; len];
    for i in indices {
        keep[i] = 0.0;
    }
    Tensor::from_data(TensorData::new(keep, [len]), device)
}

/// The activations at one position, `[batch, len, d_ff] -> [batch, d_ff]`.
fn at_row(a: &Tensor<3>, position: usize) -> Tensor<2> {
    let [batch, _, d_ff] = a.dims();
    a.clone().slice([0..batch, position..position + 1, 0..d_ff]).squeeze_dim(1)
}

/// Applies `f` to the activations at one position, `[batch, d_ff] -> [batch, d_ff]`.
fn at_position(a: Tensor<3>, position: usize, f: impl FnOnce(Tensor<2>) -> Tensor<2>) -> Tensor<3> {
    let [batch, _, d_ff] = a.dims();
    let row = f(at_row(&a, position)).unsqueeze_dim(1); // [batch, 1, d_ff]
    a.slice_assign([0..batch, position..position + 1, 0..d_ff], row)
}

/// Applies `hook` to layer `layer`'s activations `a`, `[batch, len, d_ff]`.
fn apply_hook(a: Tensor<3>, layer: usize, hook: &FfnHook, captured: &mut Vec<Tensor<2>>) -> Tensor<3> {
    let [_, len, d_ff] = a.dims();
    match hook {
        FfnHook::None => a,
        FfnHook::Capture => {
            captured.push(at_row(&a, len - 1));
            a
        }
        FfnHook::Replace { layer: l, values } if *l == layer => at_position(a, len - 1, |_| values.clone()),
        FfnHook::Scale { layer: l, factors } if *l == layer => a * factors.clone(),
        FfnHook::Zero { neurons, positions } => {
            let here: Vec<usize> = neurons.iter().filter(|n| n.layer == layer).map(|n| n.index).collect();
            if here.is_empty() {
                return a;
            }
            let keep = keep_mask(d_ff, here.into_iter(), &a.device()).reshape([1, 1, d_ff]);
            match positions {
                Positions::All => a * keep,
                Positions::Last => at_position(a, len - 1, |row| row * keep.reshape([1, d_ff])),
            }
        }
        FfnHook::Chain(hooks) => hooks.iter().fold(a, |a, h| apply_hook(a, layer, h, captured)),
        FfnHook::Replace { .. } | FfnHook::Scale { .. } => a,
    }
}

impl FeedForward {
    /// # Shapes
    /// - `x`: `[batch, len, d_model]`
    /// - returns `[batch, len, d_model]`; with [`FfnHook::Capture`], pushes the activations at
    ///   the captured position, `[batch, d_ff]`, onto `captured`.
    pub fn forward(&self, x: Tensor<3>, layer: usize, hook: &FfnHook, captured: &mut Vec<Tensor<2>>) -> Tensor<3> {
        let a = gelu::apply(self.w1.forward(x)); // [batch, len, d_ff]
        let a = apply_hook(a, layer, hook, captured);
        self.w2.forward(a) // [batch, len, d_model]
    }
}

/// Self-attention, then the FFN, each followed by dropout, a residual and LayerNorm.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub attention: SelfAttention,
    pub attention_norm: LayerNorm,
    pub ffn: FeedForward,
    pub ffn_norm: LayerNorm,
    pub dropout: Dropout,
}

impl EncoderLayer {
    /// # Shapes
    /// - `x`: `[batch, len, d_model]`
    /// - `blocked`: `[batch, len, len]`, `true` where query `i` may not attend to key `j`
    /// - returns `[batch, len, d_model]`
    pub fn forward(
        &self,
        x: Tensor<3>,
        blocked: Tensor<3, Bool>,
        layer: usize,
        hook: &FfnHook,
        captured: &mut Vec<Tensor<2>>,
    ) -> Tensor<3> {
        let attended = self.attention.forward(x.clone(), blocked); // [batch, len, d_model]
        let x = self.attention_norm.forward(x + dropout::apply(&self.dropout, attended));
        let transformed = self.ffn.forward(x.clone(), layer, hook, captured); // [batch, len, d_model]
        self.ffn_norm.forward(x + dropout::apply(&self.dropout, transformed))
    }

    /// The layer's output for some rows alone: the rows attend to `context` (positions the
    /// rows do not change) and to themselves. A next-item query's last layer computes its [MASK]
    /// row alone (the other positions' outputs would be discarded); attribution runs the [MASK]
    /// row's scaled copies, whose own keys are the only ones that change.
    ///
    /// The FFN hook acts on the rows as they are. Where its factors have more rows than `rows`
    /// (one [MASK] row, m factors), they broadcast: the output then has the factors' rows.
    ///
    /// # Shapes
    /// - `rows`: `[batch, r, d_model]`
    /// - `context`: `[batch, c, d_model]`
    /// - `blocked`: `[batch, r, c + r]`, the keys being the context's, then the rows'
    /// - returns `[batch, r, d_model]` (or the hook factors' rows, see above)
    pub fn forward_rows(&self, rows: Tensor<3>, context: Tensor<3>, blocked: Tensor<3, Bool>, layer: usize, hook: &FfnHook) -> Tensor<3> {
        let attended = self.attention.forward_rows(rows.clone(), context, blocked); // [batch, r, d_model]
        let h = self.attention_norm.forward(rows + dropout::apply(&self.dropout, attended));
        let transformed = self.ffn.forward(h.clone(), layer, hook, &mut Vec::new()); // [batch, r, d_model]
        self.ffn_norm.forward(h + dropout::apply(&self.dropout, transformed))
    }
}
