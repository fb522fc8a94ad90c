//! The library's one error type. Every variant says what was wrong and what to do about it.

use std::path::PathBuf;

/// Everything the library can refuse to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data file exists but its contents are not what the format requires.
    #[error("{path}, line {line}: {message}")]
    Parse { path: PathBuf, line: usize, message: String },

    /// No source of MovieLens-1M could be used.
    #[error("no usable MovieLens-1M source: {0}")]
    NoDataSource(String),

    /// The data that was read does not look like the dataset it claims to be.
    #[error("dataset check failed: {0}")]
    DatasetCheck(String),

    /// A genre name that is not one of MovieLens' 18 genres.
    #[error("unknown genre `{0}`; the genres are: {genres}", genres = crate::names::list::<crate::data::Genre>())]
    UnknownGenre(String),

    /// A user history with nothing in it.
    #[error("the history is empty: add at least one movie before asking for recommendations")]
    EmptyHistory,

    /// An item id outside the vocabulary.
    #[error("item id {id} is not in the vocabulary (0..={max})")]
    UnknownItem { id: u32, max: u32 },

    /// A checkpoint that cannot be used.
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },

    /// A checkpoint trained on other data than the one it is used with.
    #[error(
        "checkpoint was trained on an item vocabulary with fingerprint {checkpoint:016x}, \
         but the dataset has {dataset:016x}: prepare the same data (`recforget data`) or train a new checkpoint"
    )]
    VocabularyMismatch { checkpoint: u64, dataset: u64 },

    /// A folder recforget may not write into (see `output::claim`).
    #[error("will not write to {path}: it {message}")]
    Output { path: PathBuf, message: String },

    /// A score, loss or gradient that is NaN or infinite: never a metric.
    #[error("non-finite values in {0}: the model's weights or inputs are broken; retrain, or load an earlier checkpoint")]
    NonFinite(String),

    /// A configuration value out of its range.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// JSON (de)serialization of a config or a prepared file failed.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// Reading a tensor back from the device failed.
    #[error("tensor read-back failed: {0}")]
    Tensor(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
