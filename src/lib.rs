//! recforget: gradient-attribution machine unlearning for a BERT4Rec recommender.

pub mod attribution;
pub mod backend;
pub mod checkpoint;
pub mod data;
pub mod error;
mod fsutil;
pub mod metrics;
pub mod model;
pub mod train;
pub mod unlearning;

pub use backend::Backend;
pub use error::{Error, Result};
