//! Unlearning a genre: the methods side by side behind one seam.
//!
//! A genre's knowledge can live in three places of BERT4Rec: its items' own rows (input
//! embedding, tied output embedding, output bias), the shared attention and FFN weights, and the
//! output head. Each method touches some of them:
//!
//! | method    | what it changes                                                        |
//! |-----------|------------------------------------------------------------------------|
//! | `neurons` | the paper's: zeroes a handful of shared FFN neurons (Algorithms 1, 2)  |
//! | `rows`    | the genre's own rows: embeddings re-drawn, output bias set below all   |
//! | `distill` | the weights, by training towards the original with the genre deleted   |
//! | `filter`  | nothing: the genre's items get −∞ at the output (a reference)          |
//!
//! Methods compose: [`forget`] applies a list of them to an [`EditedModel`], and forgetting a
//! second genre starts from the first's result. Whatever the methods, a forgotten genre's
//! interactions count as deleted: the histories the edited model is given leave them out.

pub mod deletion;
mod distill;
mod edited;
mod filter;
pub mod neurons;
mod params;
mod rows;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use distill::{DistillConfig, DistillDetails, Trainable};
pub use edited::{EditedModel, Scorer, View};
pub use filter::FilterDetails;
pub use neurons::{Edit, NeuronsConfig, NeuronsDetails, Screening, ScreeningConfig, rank_by_mean, zero_neurons};
pub use params::{Param, ParamError, ParamKind, ParamOption, ParsedParams, check_number, params, parse_params};
pub use rows::{RowBias, RowsConfig, RowsDetails, RowsRefit};

use crate::attribution::IgProgress;
use crate::clock::now_seconds;
use crate::data::{Dataset, Genre, TrainingBatch};
use crate::error::{Error, Result};
use crate::model::Bert4Rec;

/// Sequences per part of a distill or deletion step on the CPU. A batch is cut into parts of this
/// size whatever the cores (six at the distillation's default batch of 32), each part draws its
/// dropout masks from its own streams, and the parts' gradients are summed in order: a step is
/// the same on one thread and on many, so a link forgets the same on every visitor's machine (to
/// the last bits of the kernels' sums). More cores than parts do not speed a step up. Small parts
/// lose more padding (each is trimmed to its longest sequence): on 2 cores, parts of 6 made a
/// person's deletion faster than parts of 16 even on one thread.
pub const PART_SEQUENCES: usize = 6;

/// A batch and the weight of its loss in a step.
struct WeightedBatch {
    batch: TrainingBatch,
    weight: f64,
}

/// `batch` cut into parts of [`PART_SEQUENCES`] sequences, each without its own all-padding
/// leading columns and weighted by `weight` times its share of the batch's targets (the parts'
/// losses sum to the batch's).
fn cpu_parts(batch: &TrainingBatch, weight: f64) -> Vec<WeightedBatch> {
    let total = batch.positions.len().max(1) as f64;
    batch
        .split(batch.input.batch.div_ceil(PART_SEQUENCES))
        .into_iter()
        .map(|part| WeightedBatch { weight: weight * part.positions.len() as f64 / total, batch: part.trim_padding() })
        .collect()
}

/// An unlearning method.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Method {
    /// The paper's: zero the genre's privacy neurons (the default, the claim under test).
    #[default]
    Neurons,
    /// Re-draw the genre's own item rows and push its output bias below every other item's.
    Rows,
    /// Fine-tune towards the original model with the genre deleted from input and output.
    Distill,
    /// Hide the genre at the output; the model is unchanged (a reference, not unlearning).
    Filter,
}

impl Method {
    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// One line for tables and the page.
    pub fn description(self) -> &'static str {
        match self {
            Method::Neurons => "the paper's method: zero the genre's privacy neurons",
            Method::Rows => "reset the genre's own item rows (embedding, output bias)",
            Method::Distill => "distil from the original with the genre deleted",
            Method::Filter => "output filter: hides the genre, leaves the model unchanged",
        }
    }

    /// What it does and what it achieves, in plain words (the page's glossary).
    pub fn explanation(self) -> &'static str {
        match self {
            Method::Neurons => {
                "The paper's method: find the genre's privacy neurons by integrated gradients and zero them. Measured on all 6040 test users, it removes no more of the genre's hits than deleting the history alone does: the model still knows the genre."
            }
            Method::Rows => {
                "Re-draw the genre's own film rows (what the model learnt about each of its films) and push them below every other film. The genre is forgotten at once, for everyone."
            }
            Method::Distill => {
                "Train the model for a few steps to match the original given histories without the genre: a cheap stand-in for retraining, which moves the shared layers too."
            }
            Method::Filter => {
                "Hide the genre's films from the output. The model is unchanged, so its weights still remember: a reference for what hiding looks like, not unlearning."
            }
        }
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        crate::names::parse(s, "method")
    }
}

/// Parses `rows,distill` into the methods applied in that order.
pub fn parse_methods(list: &str) -> Result<Vec<Method>> {
    let methods: Vec<Method> = list.split([',', '+']).filter(|s| !s.trim().is_empty()).map(str::parse).collect::<Result<_>>()?;
    if methods.is_empty() {
        return Err(Error::Config("name at least one method: neurons, rows, distill or filter".into()));
    }
    Ok(methods)
}

/// The name of a composition, e.g. `rows+distill`.
pub fn methods_name(methods: &[Method]) -> String {
    methods.iter().map(|m| m.name()).collect::<Vec<_>>().join("+")
}

/// Everything that defines one forgetting run: the methods, applied in order, and each method's
/// settings. The paper's settings sit at the top level (`sequences`, `ig`, `screening`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ForgetConfig {
    pub methods: Vec<Method>,
    #[serde(flatten)]
    pub neurons: NeuronsConfig,
    pub rows: RowsConfig,
    pub distill: DistillConfig,
}

impl Default for ForgetConfig {
    fn default() -> Self {
        ForgetConfig {
            methods: vec![Method::Neurons],
            neurons: NeuronsConfig::default(),
            rows: RowsConfig::default(),
            distill: DistillConfig::default(),
        }
    }
}

impl ForgetConfig {
    /// The defaults with these methods.
    pub fn with_methods(methods: Vec<Method>) -> ForgetConfig {
        ForgetConfig { methods, ..ForgetConfig::default() }
    }

    /// Whether what it does to the model lives in the weights alone: not an output filter, not
    /// the paper's neurons suppressed at [MASK] during scoring.
    pub fn edits_weights_only(&self) -> bool {
        let filters = self.methods.contains(&Method::Filter);
        let suppresses = self.methods.contains(&Method::Neurons) && self.neurons.edit == neurons::Edit::SuppressAtMask;
        !(filters || suppresses)
    }
}

/// The stages a forgetting run reports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
pub enum ForgetStage {
    Attribution(IgProgress),
    Screening,
    Editing,
    #[serde(rename_all = "camelCase")]
    Training {
        step: usize,
        steps: usize,
        loss: f32,
    },
}

/// Seconds per stage (0 where a method has no such stage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimes {
    pub attribution: f64,
    pub screening: f64,
    pub editing: f64,
    pub training: f64,
    pub total: f64,
}

/// Work done, counted in sequence passes through the encoder and optimizer steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Work {
    /// Forward passes of one sequence (one IG pass of the [MASK] row's m scaled copies counts once).
    pub forward: usize,
    /// Backward passes of one sequence.
    pub backward: usize,
    pub optimizer_steps: usize,
}

/// What one method found and did, by method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum MethodDetails {
    Neurons(NeuronsDetails),
    Rows(RowsDetails),
    Distill(DistillDetails),
    Filter(FilterDetails),
}

impl MethodDetails {
    pub fn method(&self) -> Method {
        match self {
            MethodDetails::Neurons(_) => Method::Neurons,
            MethodDetails::Rows(_) => Method::Rows,
            MethodDetails::Distill(_) => Method::Distill,
            MethodDetails::Filter(_) => Method::Filter,
        }
    }
}

/// What forgetting a genre with one method found and did: the fields every method shares, and
/// the method's own part (flattened: `{"genre", "times", "work", "method": "neurons", ...}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetReport {
    pub genre: Genre,
    pub times: StageTimes,
    pub work: Work,
    #[serde(flatten)]
    pub details: MethodDetails,
}

impl ForgetReport {
    pub fn method(&self) -> Method {
        self.details.method()
    }

    /// What the paper's method found, if this report is of it.
    pub fn neurons(&self) -> Option<&NeuronsDetails> {
        match &self.details {
            MethodDetails::Neurons(d) => Some(d),
            _ => None,
        }
    }

    /// What the method found and did, in one line (the CLI's and the page's).
    pub fn summary(&self) -> String {
        let genre = self.genre;
        match &self.details {
            MethodDetails::Neurons(d) => {
                let s = &d.screening;
                let neurons: Vec<String> = s.neurons.iter().map(|n| format!("L{}:{}", n.layer, n.index)).collect();
                format!(
                    "the paper's method: {} privacy neurons for {genre} at P = {}% ({}; {} sequences, seed {}): {}",
                    s.neurons.len(),
                    s.p,
                    if s.converged { "in the band" } else { "band not reached" },
                    d.sequences,
                    d.config.seed,
                    neurons.join(" ")
                )
            }
            MethodDetails::Rows(d) => format!("reset the rows of {} {genre} items (output bias {:.2})", d.items, d.bias),
            MethodDetails::Distill(d) => format!(
                "distilled {} steps of {} sequences (loss {:.3} → {:.3})",
                d.losses.len(),
                d.config.batch_size,
                d.losses.first().copied().unwrap_or(f32::NAN),
                d.losses.last().copied().unwrap_or(f32::NAN)
            ),
            MethodDetails::Filter(d) => {
                format!("output filter: {} {genre} items hidden — the model itself is unchanged, this only hides them", d.items)
            }
        }
    }
}

pub use crate::backend::{OnProgress, Progress, RunContext};

/// Forgets `genre` with `config.methods`, in order, starting from `state` (which may carry
/// earlier edits); `original` is the model before any forgetting (distillation's teacher).
/// Returns one report per method and the edited model; `state` is not changed.
pub async fn forget(
    state: &EditedModel,
    original: &Bert4Rec,
    dataset: &Dataset,
    genre: Genre,
    config: &ForgetConfig,
    context: &RunContext<'_>,
    mut progress: impl OnProgress<ForgetStage>,
) -> Result<(Vec<ForgetReport>, EditedModel)> {
    config.validate()?;
    if state.model.num_items != dataset.num_items() {
        return Err(Error::Config(format!(
            "the model knows {} items but the data has {}: they do not belong together",
            state.model.num_items,
            dataset.num_items()
        )));
    }
    let mut edited = state.clone();
    edited.forget(genre, dataset);
    let mut reports = Vec::with_capacity(config.methods.len());
    for &method in &config.methods {
        let started = now_seconds();
        let (details, mut times, work) = match method {
            Method::Neurons => {
                let (d, t, w) = neurons::run(&mut edited, dataset, genre, &config.neurons, context, &mut progress).await?;
                (MethodDetails::Neurons(d), t, w)
            }
            Method::Rows => {
                let (d, t, w) = rows::run(&mut edited, dataset, genre, &config.rows, context.device).await?;
                (MethodDetails::Rows(d), t, w)
            }
            Method::Distill => {
                let (d, t, w) = distill::run(&mut edited, original, dataset, &config.distill, context, &mut progress).await?;
                (MethodDetails::Distill(d), t, w)
            }
            Method::Filter => {
                let (d, t, w) = filter::run(&mut edited, dataset, genre);
                (MethodDetails::Filter(d), t, w)
            }
        };
        times.total = now_seconds() - started;
        reports.push(ForgetReport { genre, times, work, details });
    }
    Ok((reports, edited))
}
