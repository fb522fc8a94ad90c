//! Checkpoints: a folder with the model config as JSON, a metadata file, and the weights in
//! burn's burnpack format; plus export to safetensors for PyTorch users.
//!
//! ```text
//! <dir>/config.json   Bert4RecConfig
//! <dir>/meta.json     CheckpointMeta: vocabulary fingerprint, training record
//! <dir>/model.bpk     weights (burnpack)
//! ```
//!
//! Every file is written through a temporary file and a rename, and everything is checked on
//! load (config ranges, fingerprint, tensor shapes), so a damaged checkpoint is a clear error and
//! a failed save never destroys the previous one.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::fsutil::write_atomically;
use crate::model::{Bert4Rec, Bert4RecConfig};

/// File names inside a checkpoint folder.
pub const CONFIG_FILE: &str = "config.json";
pub const META_FILE: &str = "meta.json";
pub const WEIGHTS_FILE: &str = "model.bpk";

/// What a checkpoint records besides its weights.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Name of the dataset it was trained on.
    pub dataset: String,
    /// [`Dataset::fingerprint`] of the vocabulary it was trained on.
    pub vocabulary_fingerprint: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Seed of the run.
    pub seed: u64,
    /// Wall-clock training time in seconds, summed over resumed runs.
    pub train_seconds: f64,
    /// The command that produced it.
    pub command: String,
    /// Free-form notes (e.g. the genre a retrained model excludes).
    #[serde(default)]
    pub notes: String,
    /// Validation NDCG@10 (full ranking) when it was saved, if measured.
    #[serde(default)]
    pub validation_ndcg10: Option<f64>,
}

impl CheckpointMeta {
    /// Errors unless the checkpoint was trained on `dataset`'s vocabulary.
    pub fn check_vocabulary(&self, dataset: &Dataset) -> Result<()> {
        let dataset = dataset.fingerprint();
        if self.vocabulary_fingerprint != dataset {
            return Err(Error::VocabularyMismatch {
                checkpoint: self.vocabulary_fingerprint,
                dataset,
            });
        }
        Ok(())
    }
}

fn checkpoint_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Checks a config for values a model cannot be built with.
pub fn validate_config(config: &Bert4RecConfig, path: &Path) -> Result<()> {
    let problems = [
        (config.num_items == 0, "num_items is 0"),
        (config.max_len < 2, "max_len must be at least 2"),
        (config.n_heads == 0 || config.d_model % config.n_heads != 0, "d_model must be a multiple of n_heads"),
        (config.d_ff == 0, "d_ff is 0"),
        (!(0.0..1.0).contains(&config.dropout), "dropout must be in [0, 1)"),
    ];
    match problems.iter().find(|(bad, _)| *bad) {
        Some((_, message)) => Err(checkpoint_error(path, format!("config.json: {message}"))),
        None => Ok(()),
    }
}

/// Builds a model from in-memory checkpoint parts (what the browser receives).
pub fn model_from_bytes(
    config_json: &[u8],
    weights: Vec<u8>,
    device: &Device,
    path: &Path,
) -> Result<(Bert4Rec, Bert4RecConfig)> {
    let config: Bert4RecConfig = serde_json::from_slice(config_json)
        .map_err(|e| checkpoint_error(path, format!("config.json is not a BERT4Rec config: {e}")))?;
    validate_config(&config, path)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights)).map_err(|e| {
        checkpoint_error(
            path,
            format!("{WEIGHTS_FILE} is damaged or not a burnpack file ({e}); re-download or retrain it"),
        )
    })?;
    let model = config.init(device).try_load_record(record).map_err(|e| {
        checkpoint_error(path, format!("{WEIGHTS_FILE} does not fit config.json: {e}"))
    })?;
    Ok((model, config))
}

/// A trained model with its config and record.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub model: Bert4Rec,
    pub config: Bert4RecConfig,
    pub meta: CheckpointMeta,
}

impl Checkpoint {
    /// Reads a checkpoint folder onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Checkpoint> {
        let read = |name: &str| -> Result<Vec<u8>> {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| {
                checkpoint_error(dir, format!("cannot read {name}: {e}; is this a recforget checkpoint folder?"))
            })
        };
        let meta: CheckpointMeta = serde_json::from_slice(&read(META_FILE)?)
            .map_err(|e| checkpoint_error(dir, format!("{META_FILE} is damaged: {e}")))?;
        let (model, config) = model_from_bytes(&read(CONFIG_FILE)?, read(WEIGHTS_FILE)?, device, dir)?;
        Ok(Checkpoint {
            model,
            config,
            meta,
        })
    }

    /// Writes the checkpoint folder (each file atomically; the weights last but one, the
    /// metadata last, so an interrupted save leaves the old metadata pointing at a whole file).
    pub fn save(&self, dir: &Path) -> Result<()> {
        save_parts(&self.model, &self.config, &self.meta, dir)
    }
}

/// Writes a checkpoint from its parts without cloning the model.
pub fn save_parts(model: &Bert4Rec, config: &Bert4RecConfig, meta: &CheckpointMeta, dir: &Path) -> Result<()> {
    let weights = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| checkpoint_error(dir, format!("cannot serialize weights: {e}")))?;
    let config = serde_json::to_vec_pretty(config).map_err(|source| Error::Json {
        path: dir.join(CONFIG_FILE),
        source,
    })?;
    write_atomically(&dir.join(CONFIG_FILE), &config)?;
    write_atomically(&dir.join(WEIGHTS_FILE), &weights)?;
    let meta = serde_json::to_vec_pretty(meta).map_err(|source| Error::Json {
        path: dir.join(META_FILE),
        source,
    })?;
    write_atomically(&dir.join(META_FILE), &meta)
}

/// Exports the weights as safetensors. Tensor names are the module paths, e.g.
/// `item_embedding.weight` `[num_items + 2, d_model]`, `layers.0.ffn.w1.weight`
/// `[d_model, d_ff]`, `layers.0.ffn.w2.weight` `[d_ff, d_model]` (burn's `[in, out]` layout:
/// transpose for `torch.nn.Linear`), `output_bias` `[num_items]`; the README lists them all.
pub fn export_safetensors(model: &Bert4Rec, path: &Path) -> Result<()> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let mut store = SafetensorsStore::from_bytes(None);
    model
        .save_into(&mut store)
        .map_err(|e| checkpoint_error(path, format!("safetensors export failed: {e}")))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| checkpoint_error(path, format!("safetensors export failed: {e}")))?;
    write_atomically(path, &bytes)
}

/// Loads weights exported by [`export_safetensors`] into a model built from `config`.
pub fn import_safetensors(config: &Bert4RecConfig, path: &Path, device: &Device) -> Result<Bert4Rec> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let mut model = config.init(device);
    let result = model
        .load_from(&mut store)
        .map_err(|e| checkpoint_error(path, format!("not a recforget safetensors file: {e}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(checkpoint_error(
            path,
            format!("tensors missing or mismatched: {:?} {:?}", result.missing, result.errors),
        ));
    }
    Ok(model)
}

/// The default location of the shipped checkpoint.
pub fn default_checkpoint_dir() -> PathBuf {
    PathBuf::from("checkpoints/bert4rec-ml1m")
}
