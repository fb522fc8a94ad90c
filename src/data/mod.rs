//! Data: reading MovieLens (and Steam), preparing sequences, and batching them for the model.

mod batch;
mod dataset;
mod deletion;
#[cfg(not(target_family = "wasm"))]
pub mod fetch;
mod genre;
pub mod source;
pub mod upload;

pub use batch::{ClozeConfig, SequenceBatch, Token, TrainingBatch};
pub use dataset::{Dataset, DatasetStats, EvalCase, Item, ItemId, Split, User};
pub use deletion::{DELETION_SET, DELETION_SET_GENRE, Deletion, DeletionSet, Scope, Users};
pub use genre::{Genre, GenreSet};

/// The page's user sample: how many users, and the seed they are drawn with.
pub const WEB_SAMPLE: (usize, u64) = (600, 11);
