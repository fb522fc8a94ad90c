//! The three sequential recommenders behind one type, so the trainer, the checkpoints and the
//! evaluation serve them all: BERT4Rec (the model the project unlearns), GRU4Rec and Caser (the
//! paper's baselines).

use std::str::FromStr;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use rand::Rng;

use crate::data::{ClozeConfig, ItemId, SequenceBatch, TrainingBatch};
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, Bert4RecConfig, Caser, CaserConfig, FfnHook, Gru4Rec, Gru4RecConfig, ModelInput};

/// Which network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Architecture {
    Bert4Rec,
    Gru4Rec,
    Caser,
}

impl Architecture {
    /// The lowercase name used on the command line and in config files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The name as papers print it.
    pub fn title(self) -> &'static str {
        match self {
            Architecture::Bert4Rec => "BERT4Rec",
            Architecture::Gru4Rec => "GRU4Rec",
            Architecture::Caser => "Caser",
        }
    }
}

impl FromStr for Architecture {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::names::parse(s, "model")
    }
}

/// A model's configuration, tagged with its architecture (`"model": "gru4rec"`). Configs written
/// before the tag existed are BERT4Rec configs and still load.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum RecommenderConfig {
    Bert4Rec(Bert4RecConfig),
    Gru4Rec(Gru4RecConfig),
    Caser(CaserConfig),
}

impl<'de> Deserialize<'de> for RecommenderConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "model", rename_all = "lowercase")]
        enum Tagged {
            Bert4Rec(Bert4RecConfig),
            Gru4Rec(Gru4RecConfig),
            Caser(CaserConfig),
        }
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.get("model").is_none() {
            return Bert4RecConfig::deserialize(value).map(RecommenderConfig::Bert4Rec).map_err(serde::de::Error::custom);
        }
        Ok(match Tagged::deserialize(value).map_err(serde::de::Error::custom)? {
            Tagged::Bert4Rec(c) => RecommenderConfig::Bert4Rec(c),
            Tagged::Gru4Rec(c) => RecommenderConfig::Gru4Rec(c),
            Tagged::Caser(c) => RecommenderConfig::Caser(c),
        })
    }
}

impl From<Bert4RecConfig> for RecommenderConfig {
    fn from(config: Bert4RecConfig) -> Self {
        RecommenderConfig::Bert4Rec(config)
    }
}

impl RecommenderConfig {
    pub fn architecture(&self) -> Architecture {
        match self {
            RecommenderConfig::Bert4Rec(_) => Architecture::Bert4Rec,
            RecommenderConfig::Gru4Rec(_) => Architecture::Gru4Rec,
            RecommenderConfig::Caser(_) => Architecture::Caser,
        }
    }

    pub fn num_items(&self) -> usize {
        match self {
            RecommenderConfig::Bert4Rec(c) => c.num_items,
            RecommenderConfig::Gru4Rec(c) => c.num_items,
            RecommenderConfig::Caser(c) => c.num_items,
        }
    }

    /// Longest input, the query's [MASK] included.
    pub fn max_len(&self) -> usize {
        match self {
            RecommenderConfig::Bert4Rec(c) => c.max_len,
            RecommenderConfig::Gru4Rec(c) => c.max_len,
            RecommenderConfig::Caser(c) => c.max_len,
        }
    }

    /// A training batch for this model's objective: the cloze task for BERT4Rec (masked items
    /// from both sides), the item after each position for GRU4Rec and Caser. `sequences` are cut
    /// to their last `max_len` items; `users` are their dataset indices.
    pub fn training_batch(&self, sequences: &[&[ItemId]], users: &[usize], cloze: ClozeConfig, rng: &mut impl Rng) -> TrainingBatch {
        let (len, items) = (self.max_len(), self.num_items());
        match self {
            RecommenderConfig::Bert4Rec(_) => TrainingBatch::cloze(sequences, users, len, items, cloze, rng),
            RecommenderConfig::Gru4Rec(_) | RecommenderConfig::Caser(_) => TrainingBatch::next_items(sequences, users, len, items),
        }
    }

    /// The first value a model cannot be built with, if any.
    pub fn problem(&self) -> Option<&'static str> {
        const MAX_LEN: usize = 1024;
        const MAX_PARAMETERS: f64 = 250e6;
        let dropout = match self {
            RecommenderConfig::Bert4Rec(c) => c.dropout,
            RecommenderConfig::Gru4Rec(c) => c.dropout,
            RecommenderConfig::Caser(c) => c.dropout,
        };
        let problems = [
            (self.num_items() == 0, "num_items is 0"),
            (self.max_len() < 2, "max_len must be at least 2"),
            (!(0.0..1.0).contains(&dropout), "dropout must be in [0, 1)"),
        ];
        let specific = match self {
            RecommenderConfig::Bert4Rec(c) => {
                [(c.n_heads == 0 || c.d_model % c.n_heads != 0, "d_model must be a multiple of n_heads"), (c.d_ff == 0, "d_ff is 0")]
            }
            RecommenderConfig::Gru4Rec(c) => [(c.d_model == 0, "d_model is 0"), (c.d_hidden == 0, "d_hidden is 0")],
            RecommenderConfig::Caser(c) => {
                [(c.window == 0 || c.window + 1 > c.max_len, "window must be in 1..max_len"), (c.d_model == 0, "d_model is 0")]
            }
        };
        let size = [
            (self.max_len() > MAX_LEN, "max_len is above 1024"),
            (self.parameters() > MAX_PARAMETERS, "the model would have more than 250 million parameters (1 GB)"),
        ];
        problems.iter().chain(&specific).chain(&size).find(|(bad, _)| *bad).map(|(_, message)| *message)
    }

    /// About how many parameters the model has (within a few per cent; as a float, so that no
    /// size overflows), so that a config is refused before a model too large to allocate is
    /// built from it.
    pub fn parameters(&self) -> f64 {
        let n = |x: usize| x as f64;
        match self {
            RecommenderConfig::Bert4Rec(c) => {
                let d = n(c.d_model);
                (n(c.num_items) + n(c.max_len) + 2.0) * d + n(c.n_layers) * (4.0 * d * d + 2.0 * d * n(c.d_ff))
            }
            RecommenderConfig::Gru4Rec(c) => (n(c.num_items) + 2.0) * n(c.d_model) + 3.0 * n(c.d_hidden) * (n(c.d_model) + n(c.d_hidden)),
            RecommenderConfig::Caser(c) => {
                let d = n(c.d_model);
                (n(c.num_items) + n(c.num_users) + 2.0) * d * 2.0
                    + n(c.window) * n(c.horizontal_filters) * d * n(c.window)
                    + n(c.vertical_filters) * n(c.window)
                    + (n(c.horizontal_filters) + n(c.vertical_filters) * d) * d
            }
        }
    }

    pub fn init(&self, device: &Device) -> Recommender {
        match self {
            RecommenderConfig::Bert4Rec(c) => Recommender::Bert4Rec(c.init(device)),
            RecommenderConfig::Gru4Rec(c) => Recommender::Gru4Rec(c.init(device)),
            RecommenderConfig::Caser(c) => Recommender::Caser(c.init(device)),
        }
    }
}

/// Any of the three networks.
#[derive(Module, Debug)]
// One model per process, built once: boxing the larger variants would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum Recommender {
    Bert4Rec(Bert4Rec),
    Gru4Rec(Gru4Rec),
    Caser(Caser),
}

impl Recommender {
    /// The training loss of a batch built by [`RecommenderConfig::training_batch`].
    ///
    /// # Shapes
    /// - returns `[1]`
    pub fn loss(&self, batch: &TrainingBatch, device: &Device) -> Tensor<1> {
        match self {
            Recommender::Bert4Rec(m) => m.cloze_loss(batch, device),
            Recommender::Gru4Rec(m) => m.loss(batch, device),
            Recommender::Caser(m) => m.loss(batch, device),
        }
    }
}

/// What evaluation and recommending need from a model: next-item scores for query batches.
pub trait NextItemScorer {
    fn num_items(&self) -> usize;
    /// Longest query, [MASK] included.
    fn max_len(&self) -> usize;
    /// Next-item logits for queries built by [`crate::data::SequenceBatch::next_item_queries`].
    /// Only BERT4Rec has FFN neurons: other models refuse any hook but [`FfnHook::None`].
    ///
    /// # Shapes
    /// - returns `[batch, num_items]`
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>>;
    /// The query batch this model scores for `histories`: each history and [MASK], left-padded
    /// (see [`SequenceBatch::next_item_queries`]).
    fn queries(&self, histories: &[&[ItemId]]) -> SequenceBatch {
        SequenceBatch::next_item_queries(histories, self.max_len(), self.num_items())
    }
}

impl NextItemScorer for Bert4Rec {
    fn num_items(&self) -> usize {
        self.num_items
    }
    fn max_len(&self) -> usize {
        self.max_len
    }
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>> {
        Ok(Bert4Rec::next_item_scores(self, input, hook))
    }
    /// Without the leading columns that are padding in every query (exact for BERT4Rec, see
    /// [`SequenceBatch::trim_padding`]).
    fn queries(&self, histories: &[&[ItemId]]) -> SequenceBatch {
        SequenceBatch::next_item_queries(histories, self.max_len, self.num_items).trim_padding()
    }
}

/// Refuses any hook but [`FfnHook::None`]: only BERT4Rec has FFN neurons.
fn no_hook(architecture: Architecture, hook: &FfnHook) -> Result<()> {
    match hook {
        FfnHook::None => Ok(()),
        _ => Err(Error::Config(format!("{} has no FFN neurons to hook; attribution and editing need bert4rec", architecture.title()))),
    }
}

impl NextItemScorer for Gru4Rec {
    fn num_items(&self) -> usize {
        self.num_items
    }
    fn max_len(&self) -> usize {
        self.max_len
    }
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>> {
        no_hook(Architecture::Gru4Rec, hook).map(|()| Gru4Rec::next_item_scores(self, input))
    }
}

impl NextItemScorer for Caser {
    fn num_items(&self) -> usize {
        self.num_items
    }
    fn max_len(&self) -> usize {
        self.max_len
    }
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>> {
        no_hook(Architecture::Caser, hook).map(|()| Caser::next_item_scores(self, input))
    }
}

impl Recommender {
    fn scorer(&self) -> &dyn NextItemScorer {
        match self {
            Recommender::Bert4Rec(m) => m,
            Recommender::Gru4Rec(m) => m,
            Recommender::Caser(m) => m,
        }
    }
}

impl NextItemScorer for Recommender {
    fn num_items(&self) -> usize {
        self.scorer().num_items()
    }
    fn max_len(&self) -> usize {
        self.scorer().max_len()
    }
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>> {
        self.scorer().next_item_scores(input, hook)
    }
    fn queries(&self, histories: &[&[ItemId]]) -> SequenceBatch {
        self.scorer().queries(histories)
    }
}
