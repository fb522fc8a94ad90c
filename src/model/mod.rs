//! Models: BERT4Rec with its reachable FFN neurons, and the baselines GRU4Rec and Caser.

pub mod attention;
mod bert4rec;
mod caser;
pub mod dropout;
mod encoder;
pub mod gelu;
mod gru4rec;
mod hook;
mod input;
pub mod loss;
mod recommender;
pub mod softmax;

pub use attention::{SelfAttention, SelfAttentionConfig};
pub use bert4rec::{Bert4Rec, Bert4RecConfig, Encoding};
pub use caser::{Caser, CaserConfig};
pub use encoder::{EncoderLayer, EncoderLayerConfig, FeedForward};
pub use gru4rec::{Gru4Rec, Gru4RecConfig};
pub use hook::{FfnHook, Neuron, Positions};
pub use input::ModelInput;
pub use recommender::{Architecture, NextItemScorer, Recommender, RecommenderConfig};
