//! Models: BERT4Rec with its reachable FFN neurons.

mod attention;
mod bert4rec;
mod encoder;
mod hook;

pub use attention::{SelfAttention, SelfAttentionConfig};
pub use bert4rec::{Bert4Rec, Bert4RecConfig, Encoding, ModelInput};
pub use encoder::{EncoderLayer, EncoderLayerConfig, FeedForward};
pub use hook::{FfnHook, Neuron, Positions};
