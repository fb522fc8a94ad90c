//! The training record (`results/training.md`): for the original and each retrained model, the
//! epochs, optimizer steps, seconds and machines of its training, and its validation curve.
//! Read from the checkpoints' `meta.json` and resume files; nothing is evaluated.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::chart::{Labels, lines};
use crate::checkpoint::{CheckpointMeta, ValidationPoint};
use crate::data::{Dataset, Genre};
use crate::error::Result;
use crate::train::ResumeState;

/// What a checkpoint is to the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "genre")]
pub enum Role {
    Original,
    /// Retrained from scratch without the genre, on the original's seed.
    Retrained(Genre),
    /// The same with another seed: the noise floor of closeness.
    RetrainedSecondSeed(Genre),
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Role::Original => write!(f, "original"),
            Role::Retrained(g) => write!(f, "retrained without {g}"),
            Role::RetrainedSecondSeed(g) => write!(f, "retrained without {g}, second seed"),
        }
    }
}

impl Role {
    /// A short name for a chart's legend.
    fn label(self) -> String {
        match self {
            Role::Original => "original".into(),
            Role::Retrained(g) => format!("w/o {g}"),
            Role::RetrainedSecondSeed(g) => format!("w/o {g}, seed 2"),
        }
    }
}

/// One model's training, as recorded.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRecord {
    pub role: Role,
    pub path: PathBuf,
    /// The saved (best) checkpoint's record.
    pub meta: CheckpointMeta,
    /// Epochs and seconds trained so far (past the saved epoch where training went on).
    pub epochs_trained: usize,
    pub seconds_trained: f64,
    /// The epoch its schedule runs to (a retrained model's: the original's saved epoch); `None`
    /// for the original, which trains until validation stops improving.
    pub target_epochs: Option<usize>,
    /// Optimizer steps up to the saved epoch.
    pub steps: usize,
    /// Every validation so far, in epoch order.
    pub validation: Vec<ValidationPoint>,
}

impl TrainingRecord {
    /// Reads `dir`'s record; `None` when there is no checkpoint there. `dataset` is the one the
    /// model was trained on (for the optimizer steps: one per batch of training sequences).
    pub fn read(role: Role, dir: &Path, dataset: &Dataset, target_epochs: Option<usize>) -> Result<Option<TrainingRecord>> {
        if !dir.join(crate::checkpoint::META_FILE).exists() {
            return Ok(None);
        }
        let meta = CheckpointMeta::load(dir)?;
        let state = ResumeState::load(dir)?;
        let sequences = dataset.train_sequences().iter().filter(|s| !s.is_empty()).count();
        let steps = CheckpointMeta::steps_of(&meta.schedule(), sequences);
        let (epochs_trained, seconds_trained, validation) = match state {
            Some(s) => (s.epochs_done, s.train_seconds, s.validation),
            None => (meta.epochs, meta.train_seconds, meta.validation.clone()),
        };
        Ok(Some(TrainingRecord { role, path: dir.to_path_buf(), meta, epochs_trained, seconds_trained, target_epochs, steps, validation }))
    }

    /// Whether it has yet to reach its schedule's end.
    pub fn in_progress(&self) -> bool {
        self.target_epochs.is_some_and(|target| self.epochs_trained < target)
    }

    /// The best validation (the saved one).
    fn best(&self) -> Option<&ValidationPoint> {
        self.validation.iter().find(|v| v.epoch == self.meta.epochs)
    }
}

/// The records side by side.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingReport {
    pub command: String,
    pub models: Vec<TrainingRecord>,
}

/// The report as Markdown (`results/training.md`).
pub fn markdown(r: &TrainingReport) -> String {
    let mut md = String::new();
    write_markdown(r, &mut md).expect("writing to a String cannot fail");
    md
}

fn write_markdown(r: &TrainingReport, md: &mut String) -> std::fmt::Result {
    writeln!(md, "# recforget: how each model was trained\n")?;
    writeln!(md, "Produced by `{}` from the committed checkpoints' records (nothing is evaluated here).\n", r.command)?;
    writeln!(
        md,
        "Each retrained model replays the original's recorded schedule (the same epochs and batch sizes, seed and learning rate), so it gets as many optimizer steps as the original on its smaller data; the best epoch is chosen by validation NDCG@10 (full ranking, 1000 seeded validation users), for a retrained model on the users whose validation item is not of its genre, with the genre deleted from their histories. Its NDCG@10 is therefore measured on other users than the original's and is comparable across its own epochs, not with the original's figure. Steps count up to the saved epoch. A model short of the schedule is still training (in `checkpoints/in-progress/`) or is a shorter run that a replay will replace.\n"
    )?;
    writeln!(md, "| model | folder | saved epoch | optimizer steps | trained | best validation NDCG@10 | pop100 HR@10 / NDCG@10 there |")?;
    writeln!(md, "|---|---|---|---|---|---|---|")?;
    for m in &r.models {
        let trained = match m.target_epochs {
            Some(target) if m.in_progress() => {
                format!("{} of {target} epochs, {:.0} s (short of the schedule)", m.epochs_trained, m.seconds_trained)
            }
            _ => format!("{} epochs, {:.0} s", m.epochs_trained, m.seconds_trained),
        };
        let pop100 = m
            .best()
            .and_then(|v| Some(format!("{:.4} / {:.4}", v.pop100_hr10?, v.pop100_ndcg10?)))
            .unwrap_or_else(|| "not recorded".into());
        writeln!(
            md,
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            m.role,
            m.path.display(),
            m.meta.epochs,
            m.steps,
            trained,
            m.meta.validation_ndcg10.map_or("–".into(), |v| format!("{v:.4}")),
            pop100
        )?;
    }
    writeln!(md, "\n![validation NDCG@10 per epoch](validation.svg)\n")?;
    writeln!(md, "## Where each ran\n")?;
    for m in &r.models {
        writeln!(md, "- **{}** (`{}`): {}.", m.role, m.path.display(), m.meta.training_summary())?;
        let unrecorded = m.validation.first().map_or(m.epochs_trained, |v| v.epoch.saturating_sub(1));
        if unrecorded > 5 {
            writeln!(md, "  Its validations before epoch {} were not recorded (they predate the record).", unrecorded + 1)?;
        }
    }
    writeln!(md, "\n## Validation curves\n")?;
    for m in r.models.iter().filter(|m| !m.validation.is_empty()) {
        let points: Vec<String> = m.validation.iter().map(|v| format!("{}: {:.4}", v.epoch, v.ndcg10)).collect();
        writeln!(md, "- **{}**: {}", m.role, points.join(", "))?;
    }
    Ok(())
}

/// Validation NDCG@10 over the epochs, one line per model.
pub fn validation_svg(r: &TrainingReport) -> String {
    let series: Vec<(String, Vec<(f64, f64)>)> = r
        .models
        .iter()
        .filter(|m| !m.validation.is_empty())
        .map(|m| {
            (
                if m.in_progress() { format!("{} (so far)", m.role.label()) } else { m.role.label() },
                m.validation.iter().map(|v| (v.epoch as f64, v.ndcg10)).collect(),
            )
        })
        .collect();
    lines(&series, &Labels { title: "validation NDCG@10 (full ranking) per epoch", x: "epoch", y: "NDCG@10" })
}
