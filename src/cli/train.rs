//! `recforget train` and `recforget retrain`.

use std::path::PathBuf;

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint, CheckpointMeta, ScheduleStretch};
use recforget::data::{Dataset, Deletion, DeletionSet, Users};
use recforget::metrics::ProtocolMetrics;
use recforget::train::{TrainEvent, Trainer, TrainingConfig};

use super::common::{
    COUNT, DEFAULT_DATA, ModelArgs, THREADS, command_line, load_dataset, real_above, retrained_dir_for, second_seed_dir, whole,
};

#[derive(Args, Debug)]
pub(crate) struct TrainArgs {
    /// The prepared dataset.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Output folder: the best checkpoint, and resume files (default: checkpoints/<model>-ml1m).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Total epochs (a resumed run continues up to this).
    #[arg(long, default_value_t = 200, value_parser = whole(1, COUNT))]
    pub(crate) epochs: usize,
    #[arg(long, default_value_t = 128, value_parser = whole(1, 4096))]
    pub(crate) batch_size: usize,
    #[arg(long, default_value_t = 1e-3, value_parser = real_above(0.0, 10.0))]
    pub(crate) learning_rate: f64,
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Validate every this many epochs.
    #[arg(long, default_value_t = 5, value_parser = whole(1, COUNT))]
    pub(crate) validate_every: usize,
    /// Stop once this many validations in a row have not beaten the best (the best checkpoint
    /// is kept; without it, training runs to --epochs).
    #[arg(long, value_parser = whole(1, COUNT))]
    pub(crate) patience: Option<usize>,
    /// CPU threads per step on flex (0: all cores).
    #[arg(long, default_value_t = 0, value_parser = whole(THREADS.0, THREADS.1))]
    pub(crate) threads: usize,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub(crate) backend: Backend,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// How one training run is bounded in time and recorded (train and retrain alike).
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Stop, resumably, before an epoch that would end after this many seconds of this run.
    #[arg(long, value_name = "SECONDS", value_parser = real_above(0.0, 1e7))]
    pub(crate) time_limit: Option<f64>,
    /// Recorded with this run's stretch of epochs in the checkpoint's training record (e.g. the GPU).
    #[arg(long, default_value = "")]
    pub(crate) note: String,
}

impl RunArgs {
    fn limit(&self) -> Result<Option<std::time::Duration>> {
        self.time_limit.map(|s| std::time::Duration::try_from_secs_f64(s).context("--time-limit takes a number of seconds ≥ 0")).transpose()
    }
}

pub(crate) fn train(args: TrainArgs) -> Result<()> {
    let dataset = load_dataset(&args.data)?;
    super::common::ensure_trainable(&dataset, &args.data.display().to_string())?;
    let model = args.model.config(&dataset)?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("checkpoints/{}-ml1m", args.model.model)));
    let config = TrainingConfig::new(model)
        .with_epochs(args.epochs)
        .with_batch_size(args.batch_size)
        .with_learning_rate(args.learning_rate)
        .with_seed(args.seed)
        .with_validate_every(args.validate_every)
        .with_threads(args.threads);
    let command = command_line();
    let trainer = Trainer {
        config,
        dataset: &dataset,
        device: args.backend.device()?,
        dir: &out,
        command,
        notes: String::new(),
        time_limit: args.run.limit()?,
        segment_note: args.run.note.clone(),
        patience: args.patience,
        deletions: Default::default(),
    };
    let state = run_with_progress(&trainer, args.epochs)?;
    println!(
        "trained {} epochs in {:.0}s; best validation NDCG@10 {:?}; checkpoint in {}",
        state.epochs_done,
        state.train_seconds,
        state.best_ndcg10,
        out.display()
    );
    match args.patience {
        Some(patience) if state.epochs_done < args.epochs && state.validations_since_best() >= patience => println!(
            "stopped after epoch {}: {patience} validations in a row have not beaten the best, {:.4}, which the checkpoint keeps",
            state.epochs_done,
            state.best_ndcg10.unwrap_or_default()
        ),
        _ => report_early_stop(state.epochs_done, args.epochs),
    }
    Ok(())
}

/// Runs `trainer` with a progress bar (plain lines when the output is not a terminal).
fn run_with_progress(trainer: &Trainer<'_>, epochs: usize) -> Result<recforget::train::ResumeState> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} steps  {msg}  elapsed {elapsed}  ETA {eta}")?
            .progress_chars("=> "),
    );
    let state = trainer.run(|event| match event {
        TrainEvent::Step { epoch, step, steps, loss, sequences_per_second } => {
            bar.set_length(steps as u64);
            bar.set_prefix(format!("{}/{}", epoch + 1, epochs));
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("loss {loss:.4}  {sequences_per_second:.0} seq/s"));
            if bar.is_hidden() && (step + 1) % 10 == 0 {
                println!("epoch {}/{} step {}/{steps}: loss {loss:.4}, {sequences_per_second:.0} sequences/s", epoch + 1, epochs, step + 1);
            }
        }
        TrainEvent::Epoch { epoch, mean_loss, seconds, validation, improved } => {
            let line = epoch_line(epoch, mean_loss, seconds, validation.as_ref(), improved);
            if bar.is_hidden() {
                println!("{line}");
            } else {
                bar.println(line);
            }
        }
    })?;
    bar.finish_and_clear();
    Ok(state)
}

/// The log line of a finished epoch (0-based `epoch`), with its validation when it ran.
fn epoch_line(epoch: usize, mean_loss: f64, seconds: f64, validation: Option<&ProtocolMetrics>, improved: bool) -> String {
    let validation = validation
        .map(|m| {
            format!(
                ", valid NDCG@10 {:.4} (full), pop100 HR@10 {:.4} NDCG@10 {:.4}{}",
                m.full.ndcg10(),
                m.pop100.hr10(),
                m.pop100.ndcg10(),
                if improved { " (best, saved)" } else { "" }
            )
        })
        .unwrap_or_default();
    format!("epoch {:>3}: loss {mean_loss:.4} {seconds:.1}s{validation}", epoch + 1)
}

fn report_early_stop(done: usize, epochs: usize) {
    if done < epochs {
        println!("stopped at the time limit after epoch {done} of {epochs}; the same command resumes");
    }
}

#[derive(Args, Debug)]
#[group(id = "deletion", required = true, multiple = false, args = ["exclude_genre", "delete"])]
pub(crate) struct RetrainArgs {
    /// The genre whose interactions are removed from training (every user's).
    #[arg(long)]
    pub(crate) exclude_genre: Option<String>,
    /// The deletion set whose interactions are removed from training: `standard` (the audit's
    /// set D drawn from the page's sample, see README) or a JSON file of the same shape.
    #[arg(long, value_name = "standard|FILE")]
    pub(crate) delete: Option<String>,
    /// Replay this checkpoint's training: its model config, seed and schedule (the epochs and
    /// batch size of each stretch its `meta.json` records), so the retrained model gets as many
    /// optimizer steps as the original.
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    pub(crate) like: PathBuf,
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Output folder (default: checkpoints/retrain-<genre or set>, or …-seed2 with another --seed).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Stop the replayed schedule at this epoch, or train past it up to this epoch at its last
    /// batch size.
    #[arg(long, value_parser = whole(1, COUNT))]
    pub(crate) epochs: Option<usize>,
    /// Another seed than the original's (a second retrained model: the noise floor of closeness).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub(crate) backend: Backend,
    /// CPU threads per step on flex (0: all cores).
    #[arg(long, default_value_t = 0, value_parser = whole(THREADS.0, THREADS.1))]
    pub(crate) threads: usize,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// The deletion set `retrain` is asked for: a genre for everyone, `standard` or a file.
fn requested_deletions(args: &RetrainArgs, dataset: &Dataset) -> Result<DeletionSet> {
    let deletions = match (&args.exclude_genre, args.delete.as_deref()) {
        (Some(genre), _) => DeletionSet::genre_wide(genre.parse()?),
        (None, Some(named)) => super::common::deletion_set(named, dataset).context("--delete")?,
        (None, None) => bail!("name what to delete: --exclude-genre GENRE or --delete standard|FILE"),
    };
    deletions.check(dataset)?;
    Ok(deletions)
}

pub(crate) fn retrain(args: RetrainArgs) -> Result<()> {
    let dataset = load_dataset(&args.data)?;
    let deletions = requested_deletions(&args, &dataset)?;
    let like: Checkpoint = Checkpoint::load_original(&args.like, &Backend::Flex.device()?, &dataset)
        .with_context(|| format!("retraining copies the configuration of {}", args.like.display()))?;
    let without = dataset.without_in_training(&deletions);
    super::common::ensure_trainable(&without, "the data without the deletions")?;
    let removed = dataset.stats().interactions - without.stats().interactions;
    let what = deletions.requests.iter().map(describe_request).collect::<Vec<_>>().join("; ");
    println!("removed {removed} training interactions: {what}");
    let seed = args.seed.unwrap_or(like.meta.seed);
    let out = args.out.clone().unwrap_or_else(|| {
        let dir = retrained_dir_for(&deletions);
        if seed == like.meta.seed { dir } else { second_seed_dir(&dir) }
    });
    let mut schedule = like.meta.schedule();
    if schedule.is_empty() {
        bail!("{} records no training schedule (no segments in meta.json); pass --epochs", args.like.display());
    }
    if let Some(epochs) = args.epochs {
        schedule = schedule_to(&schedule, epochs);
    }
    let sequences = without.train_sequences().iter().filter(|s| !s.is_empty()).count();
    println!(
        "replaying {}'s schedule: {} ({} optimizer steps)",
        args.like.display(),
        schedule.iter().map(|s| format!("to epoch {} at batch {}", s.last_epoch, s.batch_size)).collect::<Vec<_>>().join(", "),
        CheckpointMeta::steps_of(&schedule, sequences)
    );
    let replay = Replay { like: &like, without: &without, deletions: &deletions, out: &out, seed, what: &what };
    let state = replay_schedule(&args, &replay, &schedule)?;
    let last = schedule.last().expect("not empty").last_epoch;
    if let Some(state) = state {
        println!("retrained {} epochs in {:.0}s into {}", state.epochs_done, state.train_seconds, out.display());
        report_early_stop(state.epochs_done, last);
    } else {
        println!("no time left to train; the same command resumes");
    }
    Ok(())
}

/// What a retraining replays: the original it copies, the data without the deletions, where it
/// writes, its seed, and the deletions in words.
struct Replay<'a> {
    like: &'a Checkpoint,
    without: &'a Dataset,
    deletions: &'a DeletionSet,
    out: &'a std::path::Path,
    seed: u64,
    what: &'a str,
}

/// Trains through each stretch of `schedule` in turn (resuming from the output folder), until
/// the time limit; returns the state where training stopped (none if no time was left).
fn replay_schedule(args: &RetrainArgs, replay: &Replay<'_>, schedule: &[ScheduleStretch]) -> Result<Option<recforget::train::ResumeState>> {
    let deadline = args.run.limit()?.map(|limit| Instant::now() + limit);
    // One device for every stretch: a wgpu device is initialised once per process.
    let device = args.backend.device()?;
    let mut state = None;
    for stretch in schedule {
        let config = TrainingConfig::new(replay.like.config.clone().into())
            .with_epochs(stretch.last_epoch)
            .with_batch_size(stretch.batch_size)
            .with_seed(replay.seed)
            .with_threads(args.threads);
        let time_limit = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => Some(left),
                None => break,
            },
            None => None,
        };
        let trainer = Trainer {
            config,
            dataset: replay.without,
            device: device.clone(),
            dir: replay.out,
            command: command_line(),
            notes: format!(
                "retrained from scratch without {} in training, replaying the schedule of {} (seed {})",
                replay.what,
                args.like.display(),
                replay.seed
            ),
            time_limit,
            segment_note: args.run.note.clone(),
            patience: None,
            deletions: replay.deletions.clone(),
        };
        let done = trainer.run(|event| {
            if let TrainEvent::Epoch { epoch, mean_loss, seconds, validation, improved } = event {
                println!("{}", epoch_line(epoch, mean_loss, seconds, validation.as_ref(), improved));
            }
        })?;
        let stopped = done.epochs_done < stretch.last_epoch;
        state = Some(done);
        if stopped {
            break;
        }
    }
    Ok(state)
}

/// One request in words: `Action interactions of every user`, `all interactions of 100 users`.
fn describe_request(request: &Deletion) -> String {
    match &request.users {
        Users::Everyone => format!("{} of every user", request.scope),
        Users::Keys(keys) => format!("{} of {} users", request.scope, keys.len()),
    }
}

/// `schedule` cut at `epochs`, or extended to it at its last batch size.
fn schedule_to(schedule: &[ScheduleStretch], epochs: usize) -> Vec<ScheduleStretch> {
    let mut out: Vec<ScheduleStretch> = Vec::new();
    for stretch in schedule {
        out.push(ScheduleStretch { last_epoch: stretch.last_epoch.min(epochs), ..*stretch });
        if stretch.last_epoch >= epochs {
            return out;
        }
    }
    if let Some(last) = out.last().copied() {
        out.push(ScheduleStretch { last_epoch: epochs, batch_size: last.batch_size });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_cut_or_extended_at_the_asked_epoch() {
        let s = |last_epoch, batch_size| ScheduleStretch { last_epoch, batch_size };
        let schedule = [s(80, 64), s(185, 128)];
        assert_eq!(schedule_to(&schedule, 5), vec![s(5, 64)]);
        assert_eq!(schedule_to(&schedule, 100), vec![s(80, 64), s(100, 128)]);
        assert_eq!(schedule_to(&schedule, 185), schedule.to_vec());
        assert_eq!(schedule_to(&schedule, 200), vec![s(80, 64), s(185, 128), s(200, 128)]);
    }
}
