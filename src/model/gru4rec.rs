//! GRU4Rec: "Session-based Recommendations with Recurrent Neural Networks", Hidasi et al.,
//! ICLR 2016, as sequential recommenders reimplement it: item embedding → GRU → the hidden state
//! after each item scored against every item through the (tied) item embedding, trained with
//! next-item cross-entropy at every position.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::gru::{Gru, GruConfig};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::data::{Token, TrainingBatch};
use crate::model::dropout;
use crate::model::input::ModelInput;
use crate::model::loss::{cross_entropy, rows_at};

/// Configuration of [`Gru4Rec`].
#[derive(Config, Debug, PartialEq)]
pub struct Gru4RecConfig {
    /// Number of items in the vocabulary (PAD and MASK come on top; MASK is never read).
    pub num_items: usize,
    /// Longest input, the query's trailing [MASK] included (as for BERT4Rec).
    #[config(default = 200)]
    pub max_len: usize,
    /// Width of the item embedding.
    #[config(default = 64)]
    pub d_model: usize,
    /// Width of the GRU state.
    #[config(default = 64)]
    pub d_hidden: usize,
    /// Dropout on the embedded items.
    #[config(default = 0.25)]
    pub dropout: f64,
}

impl Gru4RecConfig {
    pub fn init(&self, device: &Device) -> Gru4Rec {
        let normal = Initializer::Normal { mean: 0.0, std: 0.02 };
        Gru4Rec {
            item_embedding: EmbeddingConfig::new(Token::vocabulary_size(self.num_items), self.d_model)
                .with_initializer(normal.clone())
                .init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            gru: GruConfig::new(self.d_model, self.d_hidden, true).init(device),
            head: LinearConfig::new(self.d_hidden, self.d_model).with_initializer(normal).init(device),
            output_bias: Param::from_tensor(Tensor::zeros([self.num_items], device)),
            num_items: self.num_items,
            max_len: self.max_len,
        }
    }
}

/// The GRU4Rec network.
#[derive(Module, Debug)]
pub struct Gru4Rec {
    /// Token embedding `[num_items + 2, d_model]`, rows as in [`Token::index`].
    pub item_embedding: Embedding,
    pub dropout: Dropout,
    pub gru: Gru,
    /// Maps the GRU state into item space, `[d_hidden, d_model]`.
    pub head: Linear,
    /// `[num_items]`.
    pub output_bias: Param<Tensor<1>>,
    pub num_items: usize,
    pub max_len: usize,
}

impl Gru4Rec {
    /// The GRU state after each position (padding embeds as zeros).
    ///
    /// # Shapes
    /// - `input.tokens`: `[batch, len]`
    /// - returns `[batch, len, d_hidden]`
    pub fn encode(&self, input: &ModelInput) -> Tensor<3> {
        let items = self.item_embedding.forward(input.tokens.clone()) * input.keep(); // [batch, len, d_model]
        self.gru.forward(dropout::apply(&self.dropout, items), None)
    }

    /// Scores GRU states against every item.
    ///
    /// # Shapes
    /// - `hidden`: `[rows, d_hidden]`
    /// - returns `[rows, num_items]`
    pub fn scores(&self, hidden: Tensor<2>) -> Tensor<2> {
        let h = self.head.forward(hidden); // [rows, d_model]
        let [_, d_model] = h.dims();
        let items = self.item_embedding.weight.val().slice([1..self.num_items + 1, 0..d_model]);
        h.matmul(items.transpose()) + self.output_bias.val().reshape([1, self.num_items])
    }

    /// Next-item logits for queries built by [`crate::data::SequenceBatch::next_item_queries`]:
    /// the state after the last history item (the trailing [MASK] is not fed).
    ///
    /// # Shapes
    /// - returns `[batch, num_items]`
    pub fn next_item_scores(&self, input: &ModelInput) -> Tensor<2> {
        let [batch, len] = input.tokens.dims();
        let history = ModelInput {
            tokens: input.tokens.clone().slice([0..batch, 0..len - 1]),
            padding: input.padding.clone().slice([0..batch, 0..len - 1]),
            users: input.users.clone(),
            first_position: input.first_position,
        };
        let hidden = self.encode(&history); // [batch, len - 1, d_hidden]
        let [_, steps, d_hidden] = hidden.dims();
        self.scores(hidden.slice([0..batch, steps - 1..steps, 0..d_hidden]).squeeze_dim(1))
    }

    /// Mean next-item cross-entropy over the batch's target positions.
    ///
    /// # Shapes
    /// - returns `[1]`
    pub fn loss(&self, batch: &TrainingBatch, device: &Device) -> Tensor<1> {
        let input = ModelInput::new(&batch.input, device);
        let rows = rows_at(self.encode(&input), &batch.positions); // [targets, d_hidden]
        cross_entropy(self.scores(rows), &batch.targets)
    }
}
