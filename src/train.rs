//! Training any of the recommenders (BERT4Rec with the cloze objective, GRU4Rec and Caser with
//! next-item prediction) in one loop: Adam, seeded, resumable after every epoch.
//!
//! ```text
//! <dir>/              the best checkpoint so far (by validation NDCG@10), see `checkpoint`
//! <dir>/resume/       the last finished epoch: model.bpk, optimizer.bpk, state.json
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::Backend;
use crate::checkpoint::{self, CheckpointMeta, StoredModel, TrainingSegment, ValidationPoint};
use crate::data::{ClozeConfig, Dataset, DeletionSet, ItemId, Split, TrainingBatch};
use crate::error::{Error, Result};
use crate::fsutil::{committed_path, read_committed, write_files};
use crate::metrics::{NegativeSampler, ProtocolMetrics, evaluate_cases};
use crate::model::{FfnHook, Recommender, RecommenderConfig};
use crate::readback::Wait;

/// Everything that defines a training run.
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// The model to train.
    pub model: RecommenderConfig,
    /// Epochs to train in total (a resumed run continues up to this).
    #[config(default = 200)]
    pub epochs: usize,
    /// Sequences per step.
    #[config(default = 128)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Seed of initialisation, masking, shuffling and dropout.
    #[config(default = 42)]
    pub seed: u64,
    /// Probability that an item is masked.
    #[config(default = 0.2)]
    pub mask_prob: f64,
    /// Probability that a sequence masks only its last item.
    #[config(default = 0.1)]
    pub last_only_prob: f64,
    /// Validate (and keep the best model) every this many epochs.
    #[config(default = 5)]
    pub validate_every: usize,
    /// Users sampled for validation (0: all).
    #[config(default = 1000)]
    pub validation_users: usize,
    /// CPU threads a step is split across on the flex backend (0: all cores).
    #[config(default = 0)]
    pub threads: usize,
}

/// One optimisation step. The batch is split across `threads` threads (data parallel): each
/// computes the loss of its share, weighted by its share of the masked positions, and its
/// gradients; the optimizer sums them, so the update is the single-threaded one up to rounding.
/// Returns the updated model and the batch's mean loss.
pub fn train_step(
    model: Recommender,
    optimizer: &mut ModuleOptimizer,
    batch: &TrainingBatch,
    learning_rate: f64,
    threads: usize,
    device: &Device,
) -> (Recommender, f32) {
    let total = batch.positions.len().max(1) as f64;
    let parts = batch.split(threads.max(1));
    let gradients = crate::optim::parallel_gradients(&model, &parts, threads, device, |local, part| {
        let weight = part.positions.len() as f64 / total;
        let loss = local.loss(part, device).mul_scalar(weight);
        let value: f32 = loss.clone().into_scalar();
        Ok((value, GradientsParams::from_grads(loss.backward(), &local)))
    });
    let (loss, grads) = gradients.expect("a training part cannot fail");
    (optimizer.step_multi(learning_rate, model, grads), loss)
}

/// Threads for a step on `backend`: all cores for the CPU backend, one for a GPU.
pub fn step_threads(requested: usize, device: &Device) -> usize {
    if *device != Device::flex() {
        return 1;
    }
    match requested {
        0 => crate::parallel::cores(),
        n => n,
    }
}

/// What the trainer reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainEvent {
    /// A step finished.
    Step { epoch: usize, step: usize, steps: usize, loss: f32, sequences_per_second: f64 },
    /// An epoch finished (and was saved for resuming).
    Epoch { epoch: usize, mean_loss: f64, seconds: f64, validation: Option<ProtocolMetrics>, improved: bool },
}

/// Saved with the resume files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    pub config: TrainingConfig,
    pub epochs_done: usize,
    pub train_seconds: f64,
    pub best_ndcg10: Option<f64>,
    pub vocabulary_fingerprint: u64,
    /// What the run trains on ([`Trainer::data_fingerprint`]): resuming on other interactions is
    /// an error. Absent from states saved before it was recorded; a resume then records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_fingerprint: Option<u64>,
    /// One per run that trained epochs (see [`TrainingSegment`]).
    #[serde(default)]
    pub segments: Vec<TrainingSegment>,
    /// Every validation so far, in epoch order.
    #[serde(default)]
    pub validation: Vec<ValidationPoint>,
}

impl ResumeState {
    /// Validations recorded after the one that set the best (a tie does not beat it); all of
    /// them when the best predates the record.
    pub fn validations_since_best(&self) -> usize {
        let Some(best) = self.best_ndcg10 else { return 0 };
        match self.validation.iter().position(|v| v.ndcg10 >= best) {
            Some(at) => self.validation.len() - at - 1,
            None => self.validation.len(),
        }
    }

    /// The state saved in `checkpoint_dir`'s resume folder; `None` when it has none.
    pub fn load(checkpoint_dir: &Path) -> Result<Option<ResumeState>> {
        let dir = checkpoint_dir.join(RESUME_DIR);
        let path = committed_path(&dir, STATE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| resume_error(&dir, format!("state.json is damaged: {e}; delete {} to start over", dir.display())))
    }
}

/// A training job.
pub struct Trainer<'a> {
    pub config: TrainingConfig,
    pub dataset: &'a Dataset,
    pub device: Device,
    /// Where the best checkpoint and the resume files go.
    pub dir: &'a Path,
    /// Recorded in the checkpoint metadata.
    pub command: String,
    /// Recorded in the checkpoint metadata.
    pub notes: String,
    /// Stop (resumably) before an epoch that would end after this much time in this run.
    pub time_limit: Option<Duration>,
    /// Recorded with this run's [`TrainingSegment`] (e.g. the GPU it runs on).
    pub segment_note: String,
    /// Stop once this many validations in a row have not beaten the best (see
    /// [`ResumeState::validations_since_best`]); `None`: train to `config.epochs`.
    pub patience: Option<usize>,
    /// The interactions that count as deleted (a retrained model's; empty for the original):
    /// validation asks the cases as [`Dataset::cases_after`] leaves them, and the checkpoint's
    /// meta records them.
    pub deletions: DeletionSet,
}

const RESUME_DIR: &str = "resume";
const OPTIMIZER_FILE: &str = "optimizer.bpk";
const STATE_FILE: &str = "state.json";

fn resume_error(dir: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint { path: dir.to_path_buf(), message: message.into() }
}

/// One epoch's training windows, with the index of the user each comes from: each user's
/// training items, cut to a random window of at most `max_len` when longer, in a shuffled order.
/// (Next-item models predict from every position but the first, so they see `max_len - 1`
/// targets; the cloze task may mask any of the `max_len`.)
fn epoch_windows<'d>(train: &[&'d [ItemId]], max_len: usize, rng: &mut StdRng) -> Vec<(usize, &'d [ItemId])> {
    let mut windows: Vec<(usize, &[ItemId])> = train
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(user, s)| {
            if s.len() <= max_len {
                (user, *s)
            } else {
                let start = rng.random_range(0..=s.len() - max_len);
                (user, &s[start..start + max_len])
            }
        })
        .collect();
    windows.shuffle(rng);
    windows
}

impl Trainer<'_> {
    fn resume_dir(&self) -> std::path::PathBuf {
        self.dir.join(RESUME_DIR)
    }

    /// Loads the resume files when they exist and match this run (`data`: its
    /// [`Trainer::data_fingerprint`]).
    fn try_resume(&self, device: &Device, data: u64) -> Result<Option<(Recommender, ModuleOptimizer, ResumeState)>> {
        let dir = self.resume_dir();
        let Some(state) = ResumeState::load(self.dir)? else {
            return Ok(None);
        };
        if state.vocabulary_fingerprint != self.dataset.fingerprint() {
            return Err(Error::VocabularyMismatch { checkpoint: state.vocabulary_fingerprint, dataset: self.dataset.fingerprint() });
        }
        if state.data_fingerprint.is_some_and(|saved| saved != data) {
            return Err(resume_error(
                &dir,
                format!(
                    "the saved run trained on other interactions than this run's ({}{}); use another --out folder, or delete the resume folder to start over",
                    self.dataset.name,
                    if self.deletions.requests.is_empty() { String::new() } else { format!(", deletion set {}", self.deletions.name) }
                ),
            ));
        }
        if state.config.model != self.config.model || state.config.seed != self.config.seed {
            return Err(resume_error(
                &dir,
                "the saved run has another model config or seed; use another --out folder or delete the resume folder",
            ));
        }
        let read = |name: &str| -> Result<Vec<u8>> { read_committed(&dir, name).map_err(|e| Error::io(dir.join(name), e)) };
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(read(checkpoint::WEIGHTS_FILE)?))
            .map_err(|e| resume_error(&dir, format!("model.bpk is damaged: {e}")))?;
        let model = self
            .config
            .model
            .init(device)
            .with_weights(record)
            .map_err(|e| resume_error(&dir, format!("model.bpk does not fit the config: {e}")))?;
        let optimizer = AdamConfig::new()
            .init()
            .from_bytes(Bytes::from_bytes_vec(read(OPTIMIZER_FILE)?))
            .map_err(|e| resume_error(&dir, format!("optimizer.bpk is damaged: {e}")))?;
        Ok(Some((model, optimizer, state)))
    }

    fn save_resume(&self, model: &Recommender, optimizer: &ModuleOptimizer, state: &ResumeState) -> Result<()> {
        let dir = self.resume_dir();
        let weights = model.weights().map_err(|e| resume_error(&dir, e))?;
        let optim = optimizer.into_bytes().map_err(|e| resume_error(&dir, e.to_string()))?;
        let state = serde_json::to_vec_pretty(state).map_err(|source| Error::Json { path: dir.join(STATE_FILE), source })?;
        write_files(&dir, &[(checkpoint::WEIGHTS_FILE, &weights), (OPTIMIZER_FILE, &optim), (STATE_FILE, &state)])
    }

    /// Validation metrics on a seeded sample of users' second-to-last items.
    pub fn validate(&self, model: &Recommender) -> Result<ProtocolMetrics> {
        let mut cases = self.dataset.cases_after(&self.deletions, self.dataset.eval_cases(Split::Validation));
        if self.config.validation_users > 0 && cases.len() > self.config.validation_users {
            let mut rng = StdRng::seed_from_u64(self.config.seed ^ 0xda7a);
            cases.shuffle(&mut rng);
            cases.truncate(self.config.validation_users);
        }
        let sampler = NegativeSampler::new(self.dataset, self.config.seed);
        let results = evaluate_cases(
            model,
            &cases,
            &sampler,
            &FfnHook::None,
            crate::metrics::EVAL_BATCH,
            &crate::unlearning::RunContext::new(&self.device),
        )
        .wait()?;
        Ok(ProtocolMetrics::from_results(results.iter()))
    }

    /// Trains until `config.epochs`, resuming from the last saved epoch if there is one: per
    /// epoch, [`Trainer::epoch`], then validation when due ([`Trainer::validate_and_keep_best`]),
    /// then the resume files. Returns the final state.
    pub fn run(&self, mut progress: impl FnMut(TrainEvent)) -> Result<ResumeState> {
        let config = &self.config;
        if config.model.num_items() != self.dataset.num_items() {
            return Err(Error::Config(format!(
                "the model config has {} items, the dataset {}",
                config.model.num_items(),
                self.dataset.num_items()
            )));
        }
        checkpoint::validate_config(&config.model, self.dir)?;
        self.claim_folder()?;
        let device = self.device.clone().autodiff();
        crate::backend::seed(&device, config.seed);
        let (mut model, mut optimizer, mut state) = self.start(&device)?;
        if self.patience_spent(&state) {
            return Ok(state);
        }
        let threads = step_threads(config.threads, &self.device);
        let segment = self.open_segment(&mut state, threads);
        let run_started = Instant::now();
        for epoch in state.epochs_done..config.epochs {
            let started = Instant::now();
            let (trained, mean_loss) = self.epoch(epoch, model, &mut optimizer, threads, &device, &mut progress);
            if !mean_loss.is_finite() || !crate::optim::all_finite(&trained) {
                // Nothing of this epoch is saved: the resume files and the best checkpoint keep
                // the last good epoch.
                let what = if mean_loss.is_finite() { "the weights after" } else { "the training loss of" };
                return Err(Error::NonFinite(format!("{what} epoch {} (lower the learning rate)", epoch + 1)));
            }
            model = trained;
            let epoch_seconds = started.elapsed().as_secs_f64();
            state.epochs_done = epoch + 1;
            state.train_seconds += epoch_seconds;
            state.segments[segment].last_epoch = epoch + 1;
            state.segments[segment].seconds += epoch_seconds;
            let out_of_time = self.time_limit.is_some_and(|limit| run_started.elapsed() + Duration::from_secs_f64(epoch_seconds) > limit);
            let last = epoch + 1 == config.epochs || out_of_time;
            let due = config.validate_every > 0 && (epoch + 1) % config.validate_every == 0;
            let (validation, improved) = if due || last { self.validate_and_keep_best(&model, &mut state)? } else { (None, false) };
            self.save_resume(&model, &optimizer, &state)?;
            progress(TrainEvent::Epoch { epoch, mean_loss, seconds: started.elapsed().as_secs_f64(), validation, improved });
            if out_of_time || self.patience_spent(&state) {
                break;
            }
        }
        self.record_reach(&state)?;
        Ok(state)
    }

    /// Records in the saved checkpoint's meta how far training went past its saved epoch (the
    /// page and the reports tell a finished run from one still training by it).
    fn record_reach(&self, state: &ResumeState) -> Result<()> {
        let Ok(meta) = CheckpointMeta::load(self.dir) else { return Ok(()) };
        if meta.trained_through() >= state.epochs_done {
            return Ok(());
        }
        checkpoint::save_meta(&CheckpointMeta { trained_through: Some(state.epochs_done), ..meta }, self.dir)
    }

    /// Errors unless the output folder is new, empty, or a training's own with resume files: a
    /// finished checkpoint (no resume files) is never trained over, and nothing else is touched.
    fn claim_folder(&self) -> Result<()> {
        crate::output::claim(self.dir, crate::output::OutputKind::Checkpoint, &[])?;
        if let Ok(meta) = CheckpointMeta::load(self.dir)
            && meta.dataset != self.dataset.name
        {
            return Err(Error::Output {
                path: self.dir.to_path_buf(),
                message: format!(
                    "holds a model trained on {}, and this run trains on {}; train into another --out",
                    meta.dataset, self.dataset.name
                ),
            });
        }
        if ResumeState::load(self.dir)?.is_none() && committed_path(self.dir, checkpoint::META_FILE).exists() {
            return Err(Error::Output {
                path: self.dir.to_path_buf(),
                message: "holds a finished checkpoint (no resume files to continue from); train into another --out".into(),
            });
        }
        Ok(())
    }

    /// Whether validation has stopped improving, by `patience`.
    fn patience_spent(&self, state: &ResumeState) -> bool {
        self.patience.is_some_and(|p| state.validations_since_best() >= p)
    }

    /// The model, optimizer and state to continue from: the resume files, or a fresh start.
    fn start(&self, device: &Device) -> Result<(Recommender, ModuleOptimizer, ResumeState)> {
        let data = self.data_fingerprint();
        Ok(match self.try_resume(device, data)? {
            Some(resumed) => {
                let (model, optimizer, mut state) = resumed;
                state.config.epochs = self.config.epochs;
                state.data_fingerprint = Some(data);
                (model, optimizer, state)
            }
            None => (
                self.config.model.init(device),
                AdamConfig::new().init(),
                ResumeState {
                    config: self.config.clone(),
                    epochs_done: 0,
                    train_seconds: 0.0,
                    best_ndcg10: None,
                    vocabulary_fingerprint: self.dataset.fingerprint(),
                    data_fingerprint: Some(data),
                    segments: Vec::new(),
                    validation: Vec::new(),
                },
            ),
        })
    }

    /// A fingerprint of what this run trains and validates on: every training sequence (the
    /// dataset as given, deletions already applied) and the deletion requests.
    pub fn data_fingerprint(&self) -> u64 {
        let sequences = self.dataset.train_sequences();
        let items = sequences.iter().flat_map(|s| s.iter().map(|i| i.0).chain(std::iter::once(u32::MAX)));
        let requests = serde_json::to_vec(&self.deletions.requests).expect("deletion requests serialise");
        crate::fingerprint::fnv1a64(items.flat_map(u32::to_le_bytes).chain(requests))
    }

    /// Adds this run's stretch to the training record (filled in as its epochs finish); returns
    /// its index.
    fn open_segment(&self, state: &mut ResumeState, threads: usize) -> usize {
        let segment = state.segments.len();
        if state.epochs_done < self.config.epochs {
            state.segments.push(TrainingSegment {
                first_epoch: state.epochs_done + 1,
                last_epoch: state.epochs_done,
                seconds: 0.0,
                batch_size: self.config.batch_size,
                learning_rate: Some(self.config.learning_rate),
                backend: Backend::of(&self.device),
                threads,
                host_cores: crate::parallel::cores(),
                note: self.segment_note.clone(),
            });
        }
        segment
    }

    /// One epoch over every user's training window (seeded by the epoch); returns the model and
    /// the mean loss.
    fn epoch(
        &self,
        epoch: usize,
        mut model: Recommender,
        optimizer: &mut ModuleOptimizer,
        threads: usize,
        device: &Device,
        progress: &mut impl FnMut(TrainEvent),
    ) -> (Recommender, f64) {
        let config = &self.config;
        let cloze = ClozeConfig { mask_prob: config.mask_prob, last_only_prob: config.last_only_prob };
        let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(epoch as u64 * 7919));
        crate::backend::seed(device, config.seed.wrapping_add(epoch as u64));
        let windows = epoch_windows(&self.dataset.train_sequences(), config.model.max_len(), &mut rng);
        let steps = windows.len().div_ceil(config.batch_size);
        let mut loss_sum = 0.0;
        for (step, chunk) in windows.chunks(config.batch_size).enumerate() {
            let step_started = Instant::now();
            let (users, sequences): (Vec<usize>, Vec<&[ItemId]>) = chunk.iter().copied().unzip();
            let batch = config.model.training_batch(&sequences, &users, cloze, &mut rng);
            let (updated, loss_value) = train_step(model, optimizer, &batch, config.learning_rate, threads, device);
            model = updated;
            loss_sum += loss_value as f64;
            progress(TrainEvent::Step {
                epoch,
                step,
                steps,
                loss: loss_value,
                sequences_per_second: chunk.len() as f64 / step_started.elapsed().as_secs_f64(),
            });
        }
        (model, loss_sum / steps.max(1) as f64)
    }

    /// Validates the model; saves it as the checkpoint when it beats the best so far.
    fn validate_and_keep_best(&self, model: &Recommender, state: &mut ResumeState) -> Result<(Option<ProtocolMetrics>, bool)> {
        let metrics = self.validate(&model.valid())?;
        let ndcg = metrics.full.ndcg10();
        state.validation.push(ValidationPoint {
            epoch: state.epochs_done,
            ndcg10: ndcg,
            pop100_hr10: Some(metrics.pop100.hr10()),
            pop100_ndcg10: Some(metrics.pop100.ndcg10()),
        });
        let improved = state.best_ndcg10.is_none_or(|best| ndcg > best);
        if improved {
            state.best_ndcg10 = Some(ndcg);
            self.save_best(model, state)?;
        }
        Ok((Some(metrics), improved))
    }

    fn save_best(&self, model: &Recommender, state: &ResumeState) -> Result<()> {
        let meta = CheckpointMeta {
            dataset: self.dataset.name.clone(),
            vocabulary_fingerprint: self.dataset.fingerprint(),
            epochs: state.epochs_done,
            trained_through: Some(state.epochs_done),
            seed: self.config.seed,
            train_seconds: state.train_seconds,
            command: self.command.clone(),
            notes: self.notes.clone(),
            validation_ndcg10: state.best_ndcg10,
            segments: state.segments.clone(),
            validation: state.validation.clone(),
            deletions: self.deletions.requests.clone(),
            weights_checksum: None,
            edit: None,
        };
        checkpoint::save_parts(&model.valid(), &self.config.model, &meta, self.dir)
    }
}
