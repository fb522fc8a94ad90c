//! BERT4Rec: "BERT4Rec: Sequential Recommendation with Bidirectional Encoder Representations
//! from Transformer", Sun et al., CIKM 2019.
//!
//! Items and learned positions are embedded, passed through `n_layers` bidirectional Transformer
//! layers, and a hidden state is scored against every item through the (tied) item embedding:
//! `scores = LayerNorm(gelu(h W_P + b_P)) Eᵀ + b_O`. All callers (training, recommending,
//! attribution, evaluation) go through [`Bert4Rec::encode_from`].

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor};

use crate::data::{Token, TrainingBatch};
use crate::model::encoder::{EncoderLayer, EncoderLayerConfig};
use crate::model::hook::FfnHook;
use crate::model::input::ModelInput;
use crate::model::loss::{cross_entropy, rows_at};
use crate::model::{dropout, gelu};

/// Configuration of [`Bert4Rec`]; the defaults are the original ML-1M setting.
#[derive(Config, Debug, PartialEq)]
pub struct Bert4RecConfig {
    /// Number of items in the vocabulary (PAD and MASK come on top).
    pub num_items: usize,
    /// Longest sequence the model sees, [MASK] included.
    #[config(default = 200)]
    pub max_len: usize,
    /// Width of embeddings and hidden states.
    #[config(default = 64)]
    pub d_model: usize,
    /// Number of Transformer layers.
    #[config(default = 2)]
    pub n_layers: usize,
    /// Number of attention heads.
    #[config(default = 2)]
    pub n_heads: usize,
    /// FFN intermediate width (the neurons attribution scores).
    #[config(default = 256)]
    pub d_ff: usize,
    /// Dropout probability everywhere.
    #[config(default = 0.1)]
    pub dropout: f64,
}

impl Bert4RecConfig {
    /// Builds a model with BERT's N(0, 0.02) initialisation.
    pub fn init(&self, device: &Device) -> Bert4Rec {
        let normal = Initializer::Normal { mean: 0.0, std: 0.02 };
        Bert4Rec {
            item_embedding: EmbeddingConfig::new(Token::vocabulary_size(self.num_items), self.d_model)
                .with_initializer(normal.clone())
                .init(device),
            position_embedding: EmbeddingConfig::new(self.max_len, self.d_model).with_initializer(normal.clone()).init(device),
            embedding_norm: LayerNormConfig::new(self.d_model).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            layers: (0..self.n_layers)
                .map(|_| EncoderLayerConfig::new(self.d_model, self.n_heads, self.d_ff).with_dropout(self.dropout).init(device))
                .collect(),
            head: LinearConfig::new(self.d_model, self.d_model).with_initializer(normal).init(device),
            head_norm: LayerNormConfig::new(self.d_model).init(device),
            output_bias: Param::from_tensor(Tensor::zeros([self.num_items], device)),
            num_items: self.num_items,
            max_len: self.max_len,
        }
    }
}

/// The BERT4Rec network.
#[derive(Module, Debug)]
pub struct Bert4Rec {
    /// Token embedding `[num_items + 2, d_model]`: row 0 PAD, rows 1..=n items, row n+1 MASK.
    pub item_embedding: Embedding,
    /// Learned position embedding `[max_len, d_model]`.
    pub position_embedding: Embedding,
    pub embedding_norm: LayerNorm,
    pub dropout: Dropout,
    pub layers: Vec<EncoderLayer>,
    /// Output transform `W_P`, `[d_model, d_model]`.
    pub head: Linear,
    pub head_norm: LayerNorm,
    /// Output bias `b_O`, `[num_items]`.
    pub output_bias: Param<Tensor<1>>,
    pub num_items: usize,
    pub max_len: usize,
}

/// What [`Bert4Rec::encode`] returns.
#[derive(Clone, Debug)]
pub struct Encoding {
    /// Final hidden states, `[batch, len, d_model]`.
    pub hidden: Tensor<3>,
    /// With [`FfnHook::Capture`]: per layer run, the FFN activations at the captured position,
    /// `[batch, d_ff]`.
    pub captured: Vec<Tensor<2>>,
    /// With [`FfnHook::Capture`]: per layer run, its input hidden states, `[batch, len, d_model]`.
    pub layer_inputs: Vec<Tensor<3>>,
}

impl Bert4Rec {
    /// The configuration this model was built with (dropout is not stored in the weights).
    pub fn dims(&self) -> (usize, usize, usize) {
        let [_, d_model] = self.position_embedding.weight.shape().dims();
        let d_ff = self.layers.first().map(|l| l.ffn.w1.weight.shape().dims::<2>()[1]).unwrap_or(0);
        (d_model, self.layers.len(), d_ff)
    }

    /// Embeds tokens and their positions `first_position..first_position + len`.
    ///
    /// # Shapes
    /// - `tokens`: `[batch, len]` with `first_position + len <= max_len`
    /// - returns `[batch, len, d_model]`
    pub fn embed(&self, tokens: Tensor<2, Int>, first_position: usize) -> Tensor<3> {
        let [batch, len] = tokens.dims();
        let end = first_position + len;
        assert!(end <= self.max_len, "positions {first_position}..{end} exceed max_len {}", self.max_len);
        let items = self.item_embedding.forward(tokens); // [batch, len, d_model]
        let positions = Tensor::<1, Int>::arange(first_position as i64..end as i64, &items.device()).reshape([1, len]).expand([batch, len]); // [batch, len]
        let positions = self.position_embedding.forward(positions); // [batch, len, d_model]
        dropout::apply(&self.dropout, self.embedding_norm.forward(items + positions))
    }

    /// Runs the encoder layers `start..n_layers` over hidden states. This is the single forward
    /// path: [`Bert4Rec::encode`] starts it at layer 0, attribution restarts it above a layer
    /// whose inputs it already has.
    ///
    /// # Shapes
    /// - `hidden`: `[batch, len, d_model]`, the input of layer `start`
    /// - `blocked`: `[batch, len, len]`, `true` where query `i` may not attend to key `j`
    ///   (see [`ModelInput::attention_mask`])
    /// - returns hidden `[batch, len, d_model]`
    pub fn encode_from(&self, start: usize, hidden: Tensor<3>, blocked: Tensor<3, Bool>, hook: &FfnHook) -> Encoding {
        self.encode_layers(start..self.layers.len(), hidden, blocked, hook)
    }

    /// [`Bert4Rec::encode_from`] through the layers `layers` only.
    fn encode_layers(&self, layers: std::ops::Range<usize>, hidden: Tensor<3>, blocked: Tensor<3, Bool>, hook: &FfnHook) -> Encoding {
        let capture = hook.captures();
        let mut captured = Vec::new();
        let mut layer_inputs = Vec::new();
        let mut hidden = hidden;
        for (index, layer) in self.layers.iter().enumerate().take(layers.end).skip(layers.start) {
            if capture {
                layer_inputs.push(hidden.clone());
            }
            hidden = layer.forward(hidden, blocked.clone(), index, hook, &mut captured);
        }
        Encoding { hidden, captured, layer_inputs }
    }

    /// Embeds and encodes a batch.
    ///
    /// # Shapes
    /// - `input.tokens`, `input.padding`: `[batch, len]`
    /// - returns hidden `[batch, len, d_model]`
    pub fn encode(&self, input: &ModelInput, hook: &FfnHook) -> Encoding {
        let hidden = self.embed(input.tokens.clone(), input.first_position);
        self.encode_from(0, hidden, input.attention_mask(), hook)
    }

    /// Every layer's input hidden states: the embedding, then each layer's output but the
    /// last's (the last layer is not run). What attribution restarts from.
    ///
    /// # Shapes
    /// - returns `n_layers` tensors, `[batch, len, d_model]` each
    pub fn layer_inputs(&self, input: &ModelInput, hook: &FfnHook) -> Vec<Tensor<3>> {
        let embedded = self.embed(input.tokens.clone(), input.first_position);
        let below_last = 0..self.layers.len() - 1;
        let encoding = self.encode_layers(below_last, embedded, input.attention_mask(), &hook.clone().then(FfnHook::Capture));
        let mut inputs = encoding.layer_inputs;
        inputs.push(encoding.hidden);
        inputs
    }

    /// Scores hidden states against every item.
    ///
    /// # Shapes
    /// - `hidden`: `[rows, d_model]`
    /// - returns logits `[rows, num_items]`
    pub fn scores(&self, hidden: Tensor<2>) -> Tensor<2> {
        let [_, d_model] = hidden.dims();
        let h = self.head_norm.forward(gelu::apply(self.head.forward(hidden))); // [rows, d_model]
        let items = self.item_embedding.weight.val().slice([1..self.num_items + 1, 0..d_model]); // [num_items, d_model]
        let bias = self.output_bias.val().reshape([1, self.num_items]); // [1, num_items]
        h.matmul(items.transpose()) + bias // [rows, num_items]
    }

    /// The hidden state at the last position (where a next-item query puts [MASK]).
    ///
    /// # Shapes
    /// - `hidden`: `[batch, len, d_model]`
    /// - returns `[batch, d_model]`
    pub fn last_position(hidden: Tensor<3>) -> Tensor<2> {
        let [batch, len, d_model] = hidden.dims();
        hidden.slice([0..batch, len - 1..len, 0..d_model]).squeeze_dim(1)
    }

    /// Next-item logits for queries built by [`SequenceBatch::next_item_queries`].
    ///
    /// # Shapes
    /// - returns `[batch, num_items]`
    pub fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Tensor<2> {
        let Some((last, head)) = self.layers.split_last().filter(|_| matches!(hook, FfnHook::None)) else {
            let encoding = self.encode(input, hook);
            return self.scores(Self::last_position(encoding.hidden));
        };
        // Only the [MASK] position is scored, so the last layer computes that position alone
        // (exactly what the full layer gives there); hooks take the full path.
        let blocked = input.attention_mask(); // [batch, len, len]
        let embedded = self.embed(input.tokens.clone(), input.first_position);
        let hidden = self.encode_layers(0..head.len(), embedded, blocked.clone(), hook).hidden; // [batch, len, d_model]
        let [batch, len, d_model] = hidden.dims();
        let blocked = blocked.slice([0..batch, len - 1..len, 0..len]); // [batch, 1, len]
        let mask_row = hidden.clone().slice([0..batch, len - 1..len, 0..d_model]); // [batch, 1, d_model]
        let before = hidden.slice([0..batch, 0..len - 1, 0..d_model]); // [batch, len - 1, d_model]
        let out = last.forward_rows(mask_row, before, blocked, head.len(), &FfnHook::None); // [batch, 1, d_model]
        self.scores(out.squeeze_dim(1)) // [batch, num_items]
    }

    /// Mean cross-entropy over the masked positions of a cloze batch. Only the masked positions
    /// are scored against the items; the batch's all-padding leading columns are dropped first.
    ///
    /// # Shapes
    /// - returns `[1]`
    pub fn cloze_loss(&self, batch: &TrainingBatch, device: &Device) -> Tensor<1> {
        let batch = &batch.clone().trim_padding();
        let input = ModelInput::new(&batch.input, device);
        let hidden = self.encode(&input, &FfnHook::None).hidden; // [batch, len, d_model]
        let rows = rows_at(hidden, &batch.positions); // [targets, d_model]
        cross_entropy(self.scores(rows), &batch.targets) // [1]
    }
}
