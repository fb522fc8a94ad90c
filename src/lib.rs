//! recforget: gradient-attribution machine unlearning for a BERT4Rec recommender.

pub mod attribution;
pub mod backend;
pub mod checkpoint;
pub mod claims;
pub mod clock;
pub mod data;
pub mod error;
pub mod fingerprint;
pub mod fsutil;
pub mod glossary;
pub mod measurement;
pub mod metrics;
pub mod model;
pub mod names;
pub mod optim;
#[cfg(not(target_family = "wasm"))]
pub mod output;
pub mod parallel;
pub mod readback;
#[cfg(not(target_family = "wasm"))]
pub mod report;
pub mod tour;
#[cfg(not(target_family = "wasm"))]
pub mod train;
pub mod unlearning;
#[cfg(target_family = "wasm")]
pub mod web;

pub use backend::Backend;
pub use error::{Error, Result};
