//! Multi-head self-attention with an explicit mask of blocked query-key pairs.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Tensor};

use crate::model::dropout;
use crate::model::softmax::softmax;

/// Configuration of [`SelfAttention`].
#[derive(Config, Debug)]
pub struct SelfAttentionConfig {
    /// Width of the hidden states.
    pub d_model: usize,
    /// Number of heads; must divide `d_model`.
    pub n_heads: usize,
    /// Dropout on the attention weights.
    #[config(default = 0.1)]
    pub dropout: f64,
}

impl SelfAttentionConfig {
    /// Builds the layer with BERT's N(0, 0.02) initialisation.
    pub fn init(&self, device: &Device) -> SelfAttention {
        assert_eq!(self.d_model % self.n_heads, 0, "d_model must be a multiple of n_heads");
        let linear =
            || LinearConfig::new(self.d_model, self.d_model).with_initializer(Initializer::Normal { mean: 0.0, std: 0.02 }).init(device);
        SelfAttention {
            query: linear(),
            key: linear(),
            value: linear(),
            output: linear(),
            dropout: DropoutConfig::new(self.dropout).init(),
            n_heads: self.n_heads,
        }
    }
}

/// Multi-head scaled dot-product self-attention.
#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub output: Linear,
    pub dropout: Dropout,
    pub n_heads: usize,
}

impl SelfAttention {
    /// # Shapes
    /// - `x`: `[batch, len, d_model]`
    /// - `blocked`: `[batch, len, len]`, `true` where query `i` may not attend to key `j`
    /// - returns `[batch, len, d_model]`
    pub fn forward(&self, x: Tensor<3>, blocked: Tensor<3, Bool>) -> Tensor<3> {
        let [batch, len, _] = x.dims();
        let q = self.split(self.query.forward(x.clone())); // [batch, heads, len, d_head]
        let k = self.split(self.key.forward(x.clone())); // [batch, heads, len, d_head]
        let v = self.split(self.value.forward(x)); // [batch, heads, len, d_head]
        self.mix(q, k, v, blocked.reshape([batch, 1, len, len]))
    }

    /// Attention for some rows alone: each of `rows` attends to the positions of `context`
    /// (keys and values that the rows do not change) and to the rows themselves. The last
    /// layer of a next-item query runs its [MASK] row over the positions before it; attribution
    /// runs the [MASK] row's scaled copies over the history.
    ///
    /// # Shapes
    /// - `rows`: `[batch, r, d_model]`, the hidden states of the querying rows
    /// - `context`: `[batch, c, d_model]`, the other positions' (keys and values only)
    /// - `blocked`: `[batch, r, c + r]`, `true` where row `i` may not attend to key `j` (the
    ///   keys are the context's, then the rows')
    /// - returns `[batch, r, d_model]`
    pub fn forward_rows(&self, rows: Tensor<3>, context: Tensor<3>, blocked: Tensor<3, Bool>) -> Tensor<3> {
        let [batch, r, _] = rows.dims();
        let keys = blocked.dims()[2];
        let q = self.split(self.query.forward(rows.clone())); // [batch, heads, r, d_head]
        let k = self.split(keys_of(&self.key, context.clone(), rows.clone())); // [batch, heads, c + r, d_head]
        let v = self.split(keys_of(&self.value, context, rows)); // [batch, heads, c + r, d_head]
        self.mix(q, k, v, blocked.reshape([batch, 1, r, keys]))
    }

    /// `[batch, n, d_model] -> [batch, heads, n, d_head]`.
    fn split(&self, t: Tensor<3>) -> Tensor<4> {
        let [batch, n, d_model] = t.dims();
        t.reshape([batch, n, self.n_heads, d_model / self.n_heads]).swap_dims(1, 2)
    }

    /// The attended values through the output projection.
    ///
    /// # Shapes
    /// - `q`: `[batch, heads, q, d_head]`; `k`, `v`: `[batch, heads, len, d_head]`
    /// - `blocked`: `[batch, 1, q, len]`
    /// - returns `[batch, q, d_model]`
    fn mix(&self, q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, blocked: Tensor<4, Bool>) -> Tensor<3> {
        let [batch, heads, q_len, d_head] = q.dims();
        let device = q.device();
        let context = if !device.is_autodiff() && device == Device::flex() {
            // No gradients and no dropout on the CPU: burn-flex's fused kernel, which never
            // materialises the expanded mask and softmaxes each score row in place.
            attention(q, k, v, Some(blocked), None, AttentionModuleOptions::default())
        } else {
            attend(q, k, v, blocked, &self.dropout)
        }; // [batch, heads, q, d_head]
        self.output.forward(context.swap_dims(1, 2).reshape([batch, q_len, heads * d_head])) // [batch, q, d_model]
    }
}

/// The keys (or values) of `context` and then of `rows`, through `projection`. Only the rows'
/// part is tracked when the rows are: the context is a constant of the pass.
///
/// # Shapes
/// - `context`: `[batch, c, d_model]`; `rows`: `[batch, r, d_model]`
/// - returns `[batch, c + r, d_model]`
fn keys_of(projection: &Linear, context: Tensor<3>, rows: Tensor<3>) -> Tensor<3> {
    let own = projection.forward(rows);
    if context.dims()[1] == 0 {
        return own;
    }
    let others = projection.forward(context);
    if own.is_autodiff() || others.is_autodiff() {
        return Tensor::cat(vec![others.autodiff(), own.autodiff()], 1);
    }
    Tensor::cat(vec![others, own], 1)
}

/// `softmax(q kᵀ / √d_head, blocked → -1e9) v`, step by step (what gradients flow through; on the
/// CPU outside training, burn-flex's fused kernel computes the same to float tolerance).
///
/// # Shapes
/// - `q`: `[batch, heads, q, d_head]`; `k`, `v`: `[batch, heads, len, d_head]`
/// - `blocked`: `[batch, 1, q, len]`
/// - returns `[batch, heads, q, d_head]`
pub fn attend(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, blocked: Tensor<4, Bool>, dropout: &Dropout) -> Tensor<4> {
    let [batch, heads, q_len, d_head] = q.dims();
    let len = k.dims()[2];
    let scores = q.matmul(k.swap_dims(2, 3)) / (d_head as f64).sqrt(); // [batch, heads, q, len]
    let scores = scores.mask_fill(blocked.expand([batch, heads, q_len, len]), -1.0e9);
    let weights = dropout::apply(dropout, softmax(scores)); // [batch, heads, q, len]
    weights.matmul(v) // [batch, heads, q, d_head]
}
