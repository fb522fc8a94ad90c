//! Multi-head self-attention with an explicit mask of blocked query-key pairs.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

use crate::model::dropout;

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
        let [batch, len, d_model] = x.dims();
        let heads = self.n_heads;
        let d_head = d_model / heads;
        let split = |t: Tensor<3>| t.reshape([batch, len, heads, d_head]).swap_dims(1, 2);
        let q = split(self.query.forward(x.clone())); // [batch, heads, len, d_head]
        let k = split(self.key.forward(x.clone())); // [batch, heads, len, d_head]
        let v = split(self.value.forward(x)); // [batch, heads, len, d_head]
        let scores = q.matmul(k.swap_dims(2, 3)) / (d_head as f64).sqrt(); // [batch, heads, len, len]
        let blocked = blocked.reshape([batch, 1, len, len]).expand([batch, heads, len, len]); // [batch, heads, len, len]
        let scores = scores.mask_fill(blocked, -1.0e9);
        let weights = dropout::apply(&self.dropout, softmax(scores, 3)); // [batch, heads, len, len]
        let context = weights
            .matmul(v) // [batch, heads, len, d_head]
            .swap_dims(1, 2)
            .reshape([batch, len, d_model]); // [batch, len, d_model]
        self.output.forward(context)
    }
}
