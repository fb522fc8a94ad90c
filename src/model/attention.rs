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
        self.forward_queries(x.clone(), x, blocked)
    }

    /// Attention for some positions' queries over every key: the positions of `queries` attend
    /// to all of `x` (the last layer of a next-item query needs only its [MASK] position).
    ///
    /// # Shapes
    /// - `queries`: `[batch, q, d_model]`, the hidden states of the querying positions
    /// - `x`: `[batch, len, d_model]`, every position's (keys and values)
    /// - `blocked`: `[batch, q, len]`, `true` where query `i` may not attend to key `j`
    /// - returns `[batch, q, d_model]`
    pub fn forward_queries(&self, queries: Tensor<3>, x: Tensor<3>, blocked: Tensor<3, Bool>) -> Tensor<3> {
        let [batch, len, d_model] = x.dims();
        let q_len = queries.dims()[1];
        let heads = self.n_heads;
        let d_head = d_model / heads;
        let split = |t: Tensor<3>, n: usize| t.reshape([batch, n, heads, d_head]).swap_dims(1, 2);
        let q = split(self.query.forward(queries), q_len); // [batch, heads, q, d_head]
        let k = split(self.key.forward(x.clone()), len); // [batch, heads, len, d_head]
        let v = split(self.value.forward(x), len); // [batch, heads, len, d_head]
        let blocked = blocked.reshape([batch, 1, q_len, len]); // [batch, 1, q, len]
        let device = q.device();
        let context = if !device.is_autodiff() && device == Device::flex() {
            // No gradients and no dropout on the CPU: burn-flex's fused kernel, which never
            // materialises the expanded mask and softmaxes each score row in place.
            attention(q, k, v, Some(blocked), None, AttentionModuleOptions::default())
        } else {
            attend(q, k, v, blocked, &self.dropout)
        }; // [batch, heads, q, d_head]
        self.output.forward(context.swap_dims(1, 2).reshape([batch, q_len, d_model])) // [batch, q, d_model]
    }
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
