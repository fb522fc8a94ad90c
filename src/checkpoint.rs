//! Checkpoints: a folder with the model config as JSON, a metadata file, and the weights in
//! burn's burnpack format; plus export to safetensors for PyTorch users.
//!
//! ```text
//! <dir>/config.json   RecommenderConfig (tagged with "model"; untagged = BERT4Rec)
//! <dir>/meta.json     CheckpointMeta: vocabulary fingerprint, training record
//! <dir>/model.bpk     weights of the network itself (burnpack)
//! ```
//!
//! The three files are written as one journaled set (`fsutil::write_files`), and everything is
//! checked on load (config ranges, fingerprint, tensor shapes), so a damaged checkpoint is a clear
//! error and a failed save never destroys the previous one.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::Backend;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::fsutil::{CrashAfter, read_committed, write_files_until};
use crate::model::{Architecture, Bert4Rec, Bert4RecConfig, Recommender, RecommenderConfig};

/// File names inside a checkpoint folder.
pub const CONFIG_FILE: &str = "config.json";
pub const META_FILE: &str = "meta.json";
pub const WEIGHTS_FILE: &str = "model.bpk";

/// What a checkpoint records besides its weights.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointMeta {
    /// Name of the dataset it was trained on.
    pub dataset: String,
    /// [`Dataset::fingerprint`] of the vocabulary it was trained on.
    #[serde(alias = "vocabulary_fingerprint")]
    pub vocabulary_fingerprint: u64,
    /// Epochs trained (the saved model's epoch).
    pub epochs: usize,
    /// The last epoch its training reached: the saved model is the best of epochs 1 to this
    /// (validated, by NDCG@10). Absent where not recorded: then [`CheckpointMeta::trained_through`]
    /// is `epochs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_through: Option<usize>,
    /// Seed of the run.
    pub seed: u64,
    /// Wall-clock training time in seconds, summed over resumed runs.
    #[serde(alias = "train_seconds")]
    pub train_seconds: f64,
    /// The command that produced it.
    pub command: String,
    /// Free-form notes (e.g. the genre a retrained model excludes).
    #[serde(default)]
    pub notes: String,
    /// Validation NDCG@10 (full ranking) when it was saved, if measured.
    #[serde(default)]
    #[serde(alias = "validation_ndcg10")]
    pub validation_ndcg10: Option<f64>,
    /// How each stretch of epochs was run (one per run; a resumed run adds one). Empty for
    /// checkpoints from before this was recorded: then `notes` says.
    #[serde(default)]
    pub segments: Vec<TrainingSegment>,
    /// Every validation up to the saved epoch (the resume files' `ResumeState` holds the ones
    /// after it too). Empty for checkpoints from before this was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation: Vec<ValidationPoint>,
    /// The deletion requests whose interactions left its training data (a retrained model's).
    /// Empty for the original, and for genre retrains from before this was recorded: then
    /// [`CheckpointMeta::deleted_genres`] reads the dataset's name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<crate::data::Deletion>,
    /// FNV-1a 64 of `model.bpk` as saved, checked on load (a damaged file is an error, not a
    /// silently different model). Absent in checkpoints saved before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_checksum: Option<String>,
    /// Set on a model edited by an unlearning method and saved (`forget --save`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<EditRecord>,
}

/// How an edited model came to be: the method, what it forgot, and the original it edited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditRecord {
    /// The methods, as `forget --method` names them (`rows,distill`).
    pub method: String,
    /// What it was asked to forget, in words (`Action`).
    pub forgot: String,
    /// The folder of the original checkpoint it edited.
    pub original: String,
}

/// One validation during training: the epoch, NDCG@10 under full ranking (what selects the
/// best epoch), and pop100's HR@10 and NDCG@10 (the reference-quality goal). `None` where a
/// record was recovered from a log that printed only the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationPoint {
    pub epoch: usize,
    pub ndcg10: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop100_hr10: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop100_ndcg10: Option<f64>,
}

/// One run's stretch of epochs: where and how it was trained.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingSegment {
    /// First and last epoch of the stretch (1-based, inclusive).
    #[serde(alias = "first_epoch")]
    pub first_epoch: usize,
    #[serde(alias = "last_epoch")]
    pub last_epoch: usize,
    /// Wall-clock seconds of its epochs.
    pub seconds: f64,
    /// Sequences per step.
    #[serde(alias = "batch_size")]
    pub batch_size: usize,
    /// The learning rate of its steps (a resumed run may change it; absent in records that
    /// predate it, whose stretches all ran at the run's configured rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// The backend, and the threads a step was split across.
    pub backend: Backend,
    pub threads: usize,
    /// CPU cores of the machine it ran on.
    #[serde(alias = "host_cores")]
    pub host_cores: usize,
    /// Anything else about the stretch (e.g. the GPU it ran on).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A stretch of a training schedule: epochs up to `last_epoch` (inclusive, 1-based) at
/// `batch_size` sequences per step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStretch {
    #[serde(alias = "last_epoch")]
    pub last_epoch: usize,
    #[serde(alias = "batch_size")]
    pub batch_size: usize,
}

impl TrainingSegment {
    pub fn epochs(&self) -> usize {
        (self.last_epoch + 1).saturating_sub(self.first_epoch)
    }
}

impl std::fmt::Display for TrainingSegment {
    /// E.g. `epochs 81–106: wgpu, batch 128, 412 s (NVIDIA H200)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "epochs {}–{}: {}", self.first_epoch, self.last_epoch, self.backend.name())?;
        if self.backend == Backend::Flex {
            write!(f, " on {} thread(s)", self.threads)?;
        }
        write!(f, ", batch {}", self.batch_size)?;
        if let Some(rate) = self.learning_rate {
            write!(f, ", lr {rate}")?;
        }
        write!(f, ", {:.0} s", self.seconds)?;
        if !self.note.is_empty() {
            write!(f, " ({})", self.note)?;
        }
        Ok(())
    }
}

impl CheckpointMeta {
    /// Reads a checkpoint folder's `meta.json` alone (no weights).
    pub fn load(dir: &Path) -> Result<CheckpointMeta> {
        let bytes = read_committed(dir, META_FILE)
            .map_err(|e| checkpoint_error(dir, format!("cannot read {META_FILE}: {e}; is this a recforget checkpoint folder?")))?;
        serde_json::from_slice(&bytes).map_err(|e| checkpoint_error(dir, format!("{META_FILE} is damaged: {e}")))
    }

    /// The last epoch its training reached (at least the saved epoch).
    pub fn trained_through(&self) -> usize {
        self.trained_through.unwrap_or(self.epochs).max(self.epochs)
    }

    /// The training record in one line: each stretch of epochs, or the total when none is recorded.
    pub fn training_summary(&self) -> String {
        let mut text = if self.trained_through() > self.epochs {
            format!(
                "trained through epoch {}; the best by validation NDCG@10, epoch {}, is the one saved, and its {} epochs took {:.0} s",
                self.trained_through(),
                self.epochs,
                self.epochs,
                self.train_seconds
            )
        } else {
            format!("trained in {:.0} s", self.train_seconds)
        };
        if !self.segments.is_empty() {
            let parts: Vec<String> = self.segments.iter().map(ToString::to_string).collect();
            text += &format!(": {}", parts.join("; "));
        }
        text
    }

    /// Mean seconds per epoch on `backend`, from the training record; a checkpoint without one
    /// was trained on the CPU alone. `None` when no epoch ran on that backend.
    pub fn seconds_per_epoch(&self, backend: Backend) -> Option<f64> {
        if self.segments.is_empty() {
            return (backend == Backend::Flex && self.epochs > 0).then(|| self.train_seconds / self.epochs as f64);
        }
        let on: Vec<&TrainingSegment> = self.segments.iter().filter(|s| s.backend == backend).collect();
        let epochs: usize = on.iter().map(|s| s.epochs()).sum();
        (epochs > 0).then(|| on.iter().map(|s| s.seconds).sum::<f64>() / epochs as f64)
    }

    /// Training time as if every epoch had run on the CPU: seconds per CPU epoch × every epoch
    /// its training ran, not only those up to the saved best (the time to compare with
    /// forgetting on the CPU, also when some epochs ran on a GPU).
    pub fn cpu_train_seconds(&self) -> Option<f64> {
        self.seconds_per_epoch(Backend::Flex).map(|s| s * self.trained_through() as f64)
    }

    /// The schedule its training followed, as stretches of epochs with their batch size (from
    /// the training record), for a retraining that replays it; empty when none is recorded.
    /// Adjacent stretches with the same batch size merge.
    pub fn schedule(&self) -> Vec<ScheduleStretch> {
        let mut stretches: Vec<ScheduleStretch> = Vec::new();
        for segment in self.segments.iter().filter(|s| s.epochs() > 0) {
            let last_epoch = segment.last_epoch.min(self.epochs);
            match stretches.last_mut() {
                Some(last) if last.batch_size == segment.batch_size => last.last_epoch = last_epoch,
                _ => stretches.push(ScheduleStretch { last_epoch, batch_size: segment.batch_size }),
            }
            if last_epoch == self.epochs {
                break;
            }
        }
        stretches
    }

    /// Optimizer steps of a schedule on `sequences` training sequences.
    pub fn steps_of(schedule: &[ScheduleStretch], sequences: usize) -> usize {
        let mut first = 1;
        schedule
            .iter()
            .map(|s| {
                let epochs = (s.last_epoch + 1).saturating_sub(first);
                first = s.last_epoch + 1;
                epochs * sequences.div_ceil(s.batch_size.max(1))
            })
            .sum()
    }

    /// The genres whose interactions were deleted from its training data (a retrained model's
    /// dataset is named `<name>-without-<Genre>`, see `Dataset::without_genre_in_training`):
    /// it is judged on histories without them.
    pub fn deleted_genres(&self) -> Vec<crate::data::Genre> {
        if !self.deletions.is_empty() {
            return self.deletions.iter().filter_map(crate::data::Deletion::genre_wide_genre).collect();
        }
        self.dataset.split("-without-").skip(1).filter_map(|g| g.parse().ok()).collect()
    }

    /// Errors unless this is an original model: one trained on all the data and not edited (a
    /// retrained or an edited model in the original's place would measure forgetting against
    /// itself).
    pub fn check_original(&self, dir: &Path) -> Result<()> {
        let deleted = self.deleted_genres();
        let role = if let Some(edit) = &self.edit {
            format!("an edited model ({} forgetting {}, from {})", edit.method, edit.forgot, edit.original)
        } else if !self.deletions.is_empty() || !deleted.is_empty() {
            format!("retrained without deleted interactions (its data: {})", self.dataset)
        } else {
            return Ok(());
        };
        Err(checkpoint_error(dir, format!("is {role}, not an original model; pass the original with --checkpoint")))
    }

    /// Errors unless the checkpoint was trained on `dataset`'s vocabulary.
    pub fn check_vocabulary(&self, dataset: &Dataset) -> Result<()> {
        let dataset = dataset.fingerprint();
        if self.vocabulary_fingerprint != dataset {
            return Err(Error::VocabularyMismatch { checkpoint: self.vocabulary_fingerprint, dataset });
        }
        Ok(())
    }

    /// Errors when `weights` (the checkpoint at `path`'s model.bpk) do not match the recorded
    /// checksum: a damaged file, or one from another save (a stale copy beside a newer meta).
    pub fn check_weights(&self, weights: &[u8], path: &Path) -> Result<()> {
        match &self.weights_checksum {
            Some(expected) if *expected != weights_checksum(weights) => Err(checkpoint_error(
                path,
                format!(
                    "{WEIGHTS_FILE} does not match the checksum in {META_FILE}: the file is damaged or from another save; re-download or retrain it"
                ),
            )),
            _ => Ok(()),
        }
    }
}

fn checkpoint_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint { path: path.to_path_buf(), message: message.into() }
}

/// Checks a config for values a model cannot be built with.
pub fn validate_config(config: &RecommenderConfig, path: &Path) -> Result<()> {
    match config.problem() {
        Some(message) => Err(checkpoint_error(path, format!("config.json: {message}"))),
        None => Ok(()),
    }
}

/// A model type a checkpoint can hold: one architecture ([`Bert4Rec`]) or any ([`Recommender`]).
/// The weights file always holds the network itself, so both read the same files.
pub trait StoredModel: Module + Sized {
    type Config: Clone + std::fmt::Debug + PartialEq;
    /// Narrows a stored config to this model type, or says why it cannot.
    fn narrow(config: RecommenderConfig) -> std::result::Result<Self::Config, String>;
    fn widen(config: &Self::Config) -> RecommenderConfig;
    fn build(config: &Self::Config, device: &Device) -> Self;
    /// The network's own record as burnpack bytes.
    fn weights(&self) -> std::result::Result<Vec<u8>, String>;
    fn with_weights(self, record: ModuleRecord) -> std::result::Result<Self, String>;
}

fn bytes_of<M: Module>(model: &M) -> std::result::Result<Vec<u8>, String> {
    model.clone().into_record().into_bytes().map(|b| b.to_vec()).map_err(|e| e.to_string())
}

impl StoredModel for Bert4Rec {
    type Config = Bert4RecConfig;
    fn narrow(config: RecommenderConfig) -> std::result::Result<Bert4RecConfig, String> {
        match config {
            RecommenderConfig::Bert4Rec(c) => Ok(c),
            other => Err(format!("it holds a {} model; this needs bert4rec (train one with `recforget train`)", other.architecture())),
        }
    }
    fn widen(config: &Bert4RecConfig) -> RecommenderConfig {
        RecommenderConfig::Bert4Rec(config.clone())
    }
    fn build(config: &Bert4RecConfig, device: &Device) -> Self {
        config.init(device)
    }
    fn weights(&self) -> std::result::Result<Vec<u8>, String> {
        bytes_of(self)
    }
    fn with_weights(self, record: ModuleRecord) -> std::result::Result<Self, String> {
        self.try_load_record(record).map_err(|e| e.to_string())
    }
}

impl StoredModel for Recommender {
    type Config = RecommenderConfig;
    fn narrow(config: RecommenderConfig) -> std::result::Result<RecommenderConfig, String> {
        Ok(config)
    }
    fn widen(config: &RecommenderConfig) -> RecommenderConfig {
        config.clone()
    }
    fn build(config: &RecommenderConfig, device: &Device) -> Self {
        config.init(device)
    }
    fn weights(&self) -> std::result::Result<Vec<u8>, String> {
        match self {
            Recommender::Bert4Rec(m) => bytes_of(m),
            Recommender::Gru4Rec(m) => bytes_of(m),
            Recommender::Caser(m) => bytes_of(m),
        }
    }
    fn with_weights(self, record: ModuleRecord) -> std::result::Result<Self, String> {
        let fail = |e: burn::store::RecordError| e.to_string();
        Ok(match self {
            Recommender::Bert4Rec(m) => Recommender::Bert4Rec(m.try_load_record(record).map_err(fail)?),
            Recommender::Gru4Rec(m) => Recommender::Gru4Rec(m.try_load_record(record).map_err(fail)?),
            Recommender::Caser(m) => Recommender::Caser(m.try_load_record(record).map_err(fail)?),
        })
    }
}

/// Builds a model from in-memory checkpoint parts (what the browser receives). The config may be
/// tagged or a legacy (untagged) BERT4Rec config; it must name a model `M` can hold.
pub fn model_from_bytes<M: StoredModel>(config_json: &[u8], weights: Vec<u8>, device: &Device, path: &Path) -> Result<(M, M::Config)> {
    let config: RecommenderConfig = serde_json::from_slice(config_json)
        .map_err(|e| checkpoint_error(path, format!("config.json is not a recforget model config: {e}")))?;
    validate_config(&config, path)?;
    let config = M::narrow(config).map_err(|message| checkpoint_error(path, message))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights)).map_err(|e| {
        checkpoint_error(path, format!("{WEIGHTS_FILE} is damaged or not a burnpack file ({e}); re-download or retrain it"))
    })?;
    let model = M::build(&config, device)
        .with_weights(record)
        .map_err(|e| checkpoint_error(path, format!("{WEIGHTS_FILE} does not fit config.json: {e}")))?;
    Ok((model, config))
}

/// A trained model with its config and record: a BERT4Rec unless asked for a [`Recommender`].
#[derive(Clone, Debug)]
pub struct Checkpoint<M: StoredModel = Bert4Rec> {
    pub model: M,
    pub config: M::Config,
    pub meta: CheckpointMeta,
}

impl<M: StoredModel> Checkpoint<M> {
    /// Reads a checkpoint folder onto `device`, refusing it (before its weights are read) unless
    /// it was trained on `dataset`'s vocabulary: a model of other items would rank ids the
    /// dataset does not have.
    pub fn load_for(dir: &Path, device: &Device, dataset: &Dataset) -> Result<Checkpoint<M>> {
        CheckpointMeta::load(dir)?.check_vocabulary(dataset)?;
        Checkpoint::load(dir, device)
    }

    /// Reads the original model (trained on all of `dataset`, not edited) from `dir`, refusing a
    /// retrained or edited model or another vocabulary before its weights are read.
    pub fn load_original(dir: &Path, device: &Device, dataset: &Dataset) -> Result<Checkpoint<M>> {
        CheckpointMeta::load(dir)?.check_original(dir)?;
        Checkpoint::load_for(dir, device, dataset)
    }

    /// Reads a checkpoint folder onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Checkpoint<M>> {
        let read = |name: &str| -> Result<Vec<u8>> {
            read_committed(dir, name)
                .map_err(|e| checkpoint_error(dir, format!("cannot read {name}: {e}; is this a recforget checkpoint folder?")))
        };
        let meta = CheckpointMeta::load(dir)?;
        let weights = read(WEIGHTS_FILE)?;
        meta.check_weights(&weights, dir)?;
        let (model, config) = model_from_bytes::<M>(&read(CONFIG_FILE)?, weights, device, dir)?;
        Ok(Checkpoint { model, config, meta })
    }

    /// Writes the checkpoint folder's three files as one (see [`crate::fsutil::write_files`]): an
    /// interrupted save leaves the previous checkpoint loadable.
    pub fn save(&self, dir: &Path) -> Result<()> {
        save_parts(&self.model, &self.config, &self.meta, dir)
    }

    pub fn architecture(&self) -> Architecture {
        M::widen(&self.config).architecture()
    }
}

/// Writes a checkpoint from its parts without cloning the model.
pub fn save_parts<M: StoredModel>(model: &M, config: &M::Config, meta: &CheckpointMeta, dir: &Path) -> Result<()> {
    save_parts_until(model, config, meta, dir, &mut CrashAfter::default())
}

/// [`save_parts`], stopping with an error where `crash` runs out (tests stop it at every point).
pub fn save_parts_until<M: StoredModel>(
    model: &M,
    config: &M::Config,
    meta: &CheckpointMeta,
    dir: &Path,
    crash: &mut CrashAfter,
) -> Result<()> {
    let weights = model.weights().map_err(|e| checkpoint_error(dir, format!("cannot serialize weights: {e}")))?;
    let config = serde_json::to_vec_pretty(&M::widen(config)).map_err(|source| Error::Json { path: dir.join(CONFIG_FILE), source })?;
    let meta = CheckpointMeta { weights_checksum: Some(weights_checksum(&weights)), ..meta.clone() };
    let meta = serde_json::to_vec_pretty(&meta).map_err(|source| Error::Json { path: dir.join(META_FILE), source })?;
    write_files_until(dir, &[(CONFIG_FILE, &config), (WEIGHTS_FILE, &weights), (META_FILE, &meta)], crash)
}

/// Rewrites a checkpoint's `meta.json` alone (journaled like [`save_parts`]); the weights and
/// the checksum it records stay as they are.
pub fn save_meta(meta: &CheckpointMeta, dir: &Path) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(meta).map_err(|source| Error::Json { path: dir.join(META_FILE), source })?;
    crate::fsutil::write_files(dir, &[(META_FILE, &bytes)])
}

#[cfg(not(target_family = "wasm"))]
/// Exports the weights as safetensors. Tensor names are the module paths, e.g.
/// `item_embedding.weight` `[num_items + 2, d_model]`, `layers.0.ffn.w1.weight`
/// `[d_model, d_ff]`, `layers.0.ffn.w2.weight` `[d_ff, d_model]` (burn's `[in, out]` layout:
/// transpose for `torch.nn.Linear`), `output_bias` `[num_items]`; the README lists them all.
pub fn export_safetensors(model: &Bert4Rec, path: &Path) -> Result<()> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let mut store = SafetensorsStore::from_bytes(None).metadata(EXPORT_MARKER.0, EXPORT_MARKER.1);
    model.save_into(&mut store).map_err(|e| checkpoint_error(path, format!("safetensors export failed: {e}")))?;
    let bytes = store.get_bytes().map_err(|e| checkpoint_error(path, format!("safetensors export failed: {e}")))?;
    crate::fsutil::write_atomically(path, &bytes)
}

/// The entry of a safetensors header's `__metadata__` that marks a file [`export_safetensors`]
/// wrote: `export` writes over such a file, and over no other.
pub const EXPORT_MARKER: (&str, &str) = ("writer", "recforget export");

/// Whether `bytes` are a safetensors file [`export_safetensors`] wrote (its header carries
/// [`EXPORT_MARKER`]).
pub fn is_export(bytes: &[u8]) -> bool {
    let Some(length) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize) else {
        return false;
    };
    let Some(header) = bytes.get(8..8usize.saturating_add(length)) else { return false };
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(header) else { return false };
    header["__metadata__"][EXPORT_MARKER.0] == EXPORT_MARKER.1
}

#[cfg(not(target_family = "wasm"))]
/// Loads weights exported by [`export_safetensors`] into a model built from `config`.
pub fn import_safetensors(config: &Bert4RecConfig, path: &Path, device: &Device) -> Result<Bert4Rec> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let mut model = config.init(device);
    let result = model.load_from(&mut store).map_err(|e| checkpoint_error(path, format!("not a recforget safetensors file: {e}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(checkpoint_error(path, format!("tensors missing or mismatched: {:?} {:?}", result.missing, result.errors)));
    }
    Ok(model)
}

/// The checksum [`CheckpointMeta::weights_checksum`] records: FNV-1a 64 of the bytes, in hex.
pub fn weights_checksum(bytes: &[u8]) -> String {
    format!("fnv1a64:{:016x}", crate::fingerprint::fnv1a64(bytes.iter().copied()))
}

/// The default location of the shipped checkpoint.
pub fn default_checkpoint_dir() -> PathBuf {
    PathBuf::from("checkpoints/bert4rec-ml1m")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(first_epoch: usize, last_epoch: usize, batch_size: usize) -> TrainingSegment {
        TrainingSegment { first_epoch, last_epoch, batch_size, ..TrainingSegment::default() }
    }

    #[test]
    fn the_schedule_replays_the_training_record_up_to_the_best_epoch() {
        let meta = CheckpointMeta {
            epochs: 160,
            segments: vec![segment(1, 80, 64), segment(81, 106, 128), segment(107, 165, 128)],
            ..CheckpointMeta::default()
        };
        let schedule = meta.schedule();
        assert_eq!(
            schedule,
            vec![ScheduleStretch { last_epoch: 80, batch_size: 64 }, ScheduleStretch { last_epoch: 160, batch_size: 128 }]
        );
        // 6034 sequences: 95 steps per epoch at 64, 48 at 128 → 80·95 + 80·48.
        assert_eq!(CheckpointMeta::steps_of(&schedule, 6034), 80 * 95 + 80 * 48);
        assert!(CheckpointMeta::default().schedule().is_empty());
    }

    #[test]
    fn only_an_original_model_passes_as_the_original() {
        let dir = Path::new("checkpoints/x");
        CheckpointMeta { dataset: "ml-1m".into(), ..CheckpointMeta::default() }.check_original(dir).unwrap();
        let retrained = CheckpointMeta { dataset: "ml-1m-without-Action".into(), ..CheckpointMeta::default() };
        assert!(retrained.check_original(dir).unwrap_err().to_string().contains("retrained"));
        let deletion = CheckpointMeta {
            deletions: vec![crate::data::Deletion { users: crate::data::Users::Keys(vec!["1m_1".into()]), scope: crate::data::Scope::All }],
            ..CheckpointMeta::default()
        };
        assert!(deletion.check_original(dir).is_err());
        let edit = EditRecord { method: "rows".into(), forgot: "Action".into(), original: "checkpoints/bert4rec-ml1m".into() };
        let edited = CheckpointMeta { edit: Some(edit), ..CheckpointMeta::default() };
        assert!(edited.check_original(dir).unwrap_err().to_string().contains("edited model (rows forgetting Action"));
    }

    #[test]
    fn a_retrained_checkpoint_names_its_deleted_genre() {
        let meta = |dataset: &str| CheckpointMeta { dataset: dataset.into(), ..CheckpointMeta::default() };
        assert_eq!(meta("ml-1m-without-Action").deleted_genres(), vec![crate::data::Genre::Action]);
        assert_eq!(meta("ml-1m-without-Children's").deleted_genres(), vec![crate::data::Genre::Children]);
        assert!(meta("ml-1m").deleted_genres().is_empty());
    }
}
