//! Caser: "Personalized Top-N Sequential Recommendation via Convolutional Sequence Embedding",
//! Tang & Wang, WSDM 2018. The last `window` items' embeddings form a `window × d` image;
//! horizontal filters of every height 1..=window (max-pooled over where they sit) and vertical
//! filters (one weight per row) read it; a dense layer, concatenated with the user embedding,
//! scores every item. Each convolution is written as the matrix product it is.
//!
//! Deviation from the paper, shared with BERT4Rec and GRU4Rec here so the comparison is like for
//! like: softmax cross-entropy over all items for one next item, not sigmoid over 3 targets with
//! sampled negatives.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};

use crate::data::{Token, TrainingBatch};
use crate::model::dropout;
use crate::model::input::ModelInput;
use crate::model::loss::{cross_entropy, rows_at};

/// Configuration of [`Caser`]; defaults are the paper's ML-1M setting.
#[derive(Config, Debug, PartialEq)]
pub struct CaserConfig {
    /// Number of items in the vocabulary.
    pub num_items: usize,
    /// Number of users (the user embedding gets one more row, for unknown users).
    pub num_users: usize,
    /// Longest input, the query's trailing [MASK] included (as for BERT4Rec).
    #[config(default = 200)]
    pub max_len: usize,
    /// Items in the convolved window (the paper's L).
    #[config(default = 5)]
    pub window: usize,
    /// Width of item and user embeddings.
    #[config(default = 50)]
    pub d_model: usize,
    /// Horizontal filters per height.
    #[config(default = 16)]
    pub horizontal_filters: usize,
    /// Vertical filters.
    #[config(default = 4)]
    pub vertical_filters: usize,
    #[config(default = 0.5)]
    pub dropout: f64,
}

impl CaserConfig {
    pub fn init(&self, device: &Device) -> Caser {
        let d = self.d_model;
        let normal = Initializer::Normal { mean: 0.0, std: 1.0 / d as f64 };
        let concat = self.vertical_filters * d + self.horizontal_filters * self.window;
        Caser {
            item_embedding: EmbeddingConfig::new(Token::vocabulary_size(self.num_items), d).with_initializer(normal.clone()).init(device),
            user_embedding: EmbeddingConfig::new(self.num_users + 1, d).with_initializer(normal).init(device),
            horizontal: (1..=self.window).map(|h| LinearConfig::new(h * d, self.horizontal_filters).init(device)).collect(),
            vertical: Param::from_tensor(Tensor::ones([self.window, self.vertical_filters], device).div_scalar(self.window as f64)),
            fc: LinearConfig::new(concat, d).init(device),
            output: LinearConfig::new(2 * d, self.num_items).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            num_items: self.num_items,
            max_len: self.max_len,
            window: self.window,
        }
    }
}

/// The Caser network.
#[derive(Module, Debug)]
pub struct Caser {
    /// `[num_items + 2, d]`, rows as in [`Token::index`].
    pub item_embedding: Embedding,
    /// `[num_users + 1, d]`, row 0 for unknown users.
    pub user_embedding: Embedding,
    /// Filters of height `h = 1..=window`, each `[h * d, horizontal_filters]`.
    pub horizontal: Vec<Linear>,
    /// `[window, vertical_filters]`.
    pub vertical: Param<Tensor<2>>,
    /// `[vertical_filters * d + horizontal_filters * window, d]`.
    pub fc: Linear,
    /// `[2d, num_items]`.
    pub output: Linear,
    pub dropout: Dropout,
    pub num_items: usize,
    pub max_len: usize,
    pub window: usize,
}

impl Caser {
    /// The windows ending at each flat position `b * len + t` (items before the sequence start
    /// are zeros).
    ///
    /// # Shapes
    /// - returns `[positions.len(), window, d]`
    fn windows(&self, input: &ModelInput, positions: &[i64]) -> Tensor<3> {
        let items = self.item_embedding.forward(input.tokens.clone()) * input.keep(); // [batch, len, d]
        let [batch, len, d] = items.dims();
        let before = Tensor::zeros([batch, self.window - 1, d], &items.device());
        let padded = Tensor::cat(vec![before, items], 1); // [batch, len + window - 1, d]
        let rows: Vec<Tensor<2>> =
            (0..self.window).map(|l| rows_at(padded.clone().slice([0..batch, l..l + len, 0..d]), positions)).collect(); // window × [positions, d]
        Tensor::stack(rows, 1)
    }

    /// Scores the windows of `users`.
    ///
    /// # Shapes
    /// - `windows`: `[rows, window, d]`, `users`: `[rows]`
    /// - returns `[rows, num_items]`
    pub fn scores(&self, windows: Tensor<3>, users: Tensor<1, Int>) -> Tensor<2> {
        let [rows, window, d] = windows.dims();
        let horizontal: Vec<Tensor<2>> = self
            .horizontal
            .iter()
            .enumerate()
            .map(|(i, filter)| {
                let h = i + 1;
                (0..=window - h)
                    .map(|s| {
                        let image = windows.clone().slice([0..rows, s..s + h, 0..d]).reshape([rows, h * d]);
                        relu(filter.forward(image)) // [rows, horizontal_filters]
                    })
                    .reduce(|a, b| a.max_pair(b))
                    .expect("a filter fits at least once")
            })
            .collect();
        let vertical =
            windows.swap_dims(1, 2).reshape([rows * d, window]).matmul(self.vertical.val()).reshape([rows, d * self.vertical.dims()[1]]);
        let mut features = vec![vertical];
        features.extend(horizontal);
        let z = relu(self.fc.forward(dropout::apply(&self.dropout, Tensor::cat(features, 1)))); // [rows, d]
        let u = self.user_embedding.forward(users.reshape([rows, 1])).reshape([rows, d]);
        self.output.forward(dropout::apply(&self.dropout, Tensor::cat(vec![z, u], 1)))
    }

    /// Next-item logits for queries built by [`crate::data::SequenceBatch::next_item_queries`]:
    /// the window ends at the last history item (the trailing [MASK] is not read).
    ///
    /// # Shapes
    /// - returns `[batch, num_items]`
    pub fn next_item_scores(&self, input: &ModelInput) -> Tensor<2> {
        let [batch, len] = input.tokens.dims();
        let last: Vec<i64> = (0..batch).map(|b| (b * len + len - 2) as i64).collect();
        self.scores(self.windows(input, &last), input.users.clone())
    }

    /// Mean next-item cross-entropy over the batch's target positions.
    ///
    /// # Shapes
    /// - returns `[1]`
    pub fn loss(&self, batch: &TrainingBatch, device: &Device) -> Tensor<1> {
        let input = ModelInput::new(&batch.input, device);
        let len = batch.input.len as i64;
        let owners: Vec<i64> = batch.positions.iter().map(|p| batch.input.users[(p / len) as usize]).collect();
        let users = Tensor::from_data(burn::tensor::TensorData::new(owners, [batch.positions.len()]), device);
        cross_entropy(self.scores(self.windows(&input, &batch.positions), users), &batch.targets)
    }
}
