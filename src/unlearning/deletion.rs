//! Weight-level unlearning of a deletion set (a person's request, or many): the interactions
//! go, the films stay for everyone. Two methods from the field, each K Adam steps from the
//! original model:
//!
//! | method | each step |
//! |--------|-----------|
//! | `finetune` | the cloze loss on a batch of retained training sequences (the deletions applied) |
//! | `neggrad+` | the same, minus `forget_weight` × the cloze loss on the deleted interactions (NegGrad+, Kurmanji et al. 2023): descent on what stays, ascent on what goes |
//!
//! The deleted interactions are asked as they were in training: for a user who deletes
//! everything, their training sequence cloze-masked as in training; for a genre scope, their
//! sequence with the deleted items masked (and scored).

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::{RunContext, WeightedBatch, cpu_parts};
use crate::data::{ClozeConfig, Dataset, DeletionSet, ItemId, Scope, TrainingBatch};
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, Recommender};

/// A weight-level method for a deletion set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "camelCase")]
pub enum DeletionMethod {
    /// Fine-tune on the retained data only.
    #[strum(serialize = "finetune")]
    Finetune,
    /// Descent on the retained data, ascent on the deleted interactions.
    #[strum(serialize = "neggrad+")]
    NegGradPlus,
}

impl DeletionMethod {
    /// The name in tables and on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// One line for tables and the page.
    pub fn description(self) -> &'static str {
        match self {
            DeletionMethod::Finetune => "fine-tune on the retained training data only",
            DeletionMethod::NegGradPlus => "descent on the retained data, ascent on the deleted interactions (NegGrad+)",
        }
    }

    /// What it does, in plain words (the page's glossary).
    pub fn explanation(self) -> &'static str {
        match self {
            DeletionMethod::Finetune => {
                "Keep training for a few steps on everyone else's data only, so what the model learnt from the deleted interactions fades."
            }
            DeletionMethod::NegGradPlus => {
                "Push the deleted interactions' probability down (gradient ascent) while training on everyone else's data to keep the rest intact."
            }
        }
    }
}

impl std::str::FromStr for DeletionMethod {
    type Err = Error;

    /// A method by name; a genre method is refused with why it cannot serve a person's request.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "finetune" => Ok(DeletionMethod::Finetune),
            "neggrad+" | "neggrad-plus" => Ok(DeletionMethod::NegGradPlus),
            genre_method @ ("rows" | "neurons" | "distill" | "filter") => Err(Error::Config(format!(
                "`{genre_method}` forgets a genre for everyone ({}), so it serves only genre-wide deletions (--genre); a person's deletion takes finetune or neggrad+",
                match genre_method {
                    "rows" => "it resets the genre's items",
                    "neurons" => "it edits the neurons a genre's sequences share",
                    "distill" => "it distils the model without the genre",
                    _ => "it hides the genre's items from every list",
                }
            ))),
            other => Err(Error::Config(format!("unknown method `{other}` for a person's deletion; the methods are finetune and neggrad+"))),
        }
    }
}

/// Settings of both methods.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeletionConfig {
    /// Adam steps K.
    pub steps: usize,
    /// Retained sequences per step (and as many deleting users' sequences for NegGrad+).
    pub batch_size: usize,
    pub learning_rate: f64,
    /// NegGrad+'s weight of the ascent on the deleted interactions.
    pub forget_weight: f64,
    pub seed: u64,
}

impl Default for DeletionConfig {
    fn default() -> Self {
        DeletionConfig { steps: 30, batch_size: 32, learning_rate: 1e-4, forget_weight: 0.5, seed: 31 }
    }
}

impl DeletionConfig {
    /// The first setting that cannot run, if any.
    pub fn problem(&self) -> Option<&'static str> {
        [
            (self.batch_size == 0, "batch size must be at least 1"),
            (!(self.learning_rate > 0.0 && self.learning_rate.is_finite()), "learning rate must be positive"),
            (!(self.forget_weight >= 0.0 && self.forget_weight.is_finite()), "forget weight must be ≥ 0"),
        ]
        .into_iter()
        .find(|(bad, _)| *bad)
        .map(|(_, m)| m)
    }
}

/// One deleting user's sequence as NegGrad+ asks it.
struct ForgetRow {
    user: usize,
    /// The training sequence's last `len` items.
    sequence: Vec<ItemId>,
    /// Which of them are masked and scored.
    mask: Vec<bool>,
}

fn forget_row(dataset: &Dataset, deletions: &DeletionSet, user: usize, len: usize, rng: &mut StdRng) -> Option<ForgetRow> {
    let u = &dataset.users[user];
    let train = &u.items[..u.items.len().saturating_sub(2)];
    let seq = train[train.len().saturating_sub(len)..].to_vec();
    let scopes: Vec<Scope> = deletions.scopes_of(u).collect();
    let mask: Vec<bool> = if scopes.contains(&Scope::All) {
        let cloze = ClozeConfig::default();
        seq.iter().map(|_| rng.random_bool(cloze.mask_prob)).collect()
    } else {
        seq.iter().map(|&i| deletions.deletes(dataset, u, i)).collect()
    };
    mask.iter().any(|&m| m).then_some(ForgetRow { user, sequence: seq, mask })
}

/// Unlearns `deletions` from `model` with `method`; returns the edited weights. Async for the
/// browser, whose WebGPU reads each step's loss back only asynchronously.
///
/// Each step descends on a retained batch (weight 1) and, for NegGrad+, ascends on the deleted
/// interactions (weight `-forget_weight`). On the CPU both are cut into parts (see
/// [`super::PART_SEQUENCES`]) that run at once where there are threads, each with its own dropout
/// streams (the same model on one thread and on many); a GPU takes them whole, as one graph.
pub async fn unlearn(
    model: &Bert4Rec,
    dataset: &Dataset,
    deletions: &DeletionSet,
    method: DeletionMethod,
    config: &DeletionConfig,
    context: &RunContext<'_>,
) -> Result<Bert4Rec> {
    if let Some(problem) = config.problem() {
        return Err(Error::Config(format!("{}: {problem}", method.name())));
    }
    let retained = dataset.without_in_training(deletions);
    let train = retained.train_sequences();
    let keep: Vec<usize> = (0..train.len()).filter(|&u| train[u].len() >= 2).collect();
    if keep.is_empty() {
        return Err(Error::Config("the deletion set leaves no training sequence of two items or more: nothing to train on".into()));
    }
    let deleting: Vec<usize> = (0..dataset.users.len()).filter(|&u| deletions.scopes_of(&dataset.users[u]).next().is_some()).collect();
    if method == DeletionMethod::NegGradPlus && deleting.is_empty() {
        return Err(Error::Config("the deletion set reaches no user of the dataset: nothing to ascend on".into()));
    }
    let autodiff = context.device.clone().autodiff();
    crate::backend::seed(&autodiff, config.seed);
    let mut student = Recommender::Bert4Rec(model.clone().train().map(&mut crate::optim::FreshLeaves));
    let mut optimizer: ModuleOptimizer = AdamConfig::new().init();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let (len, items) = (model.max_len, model.num_items);
    for step in 0..config.steps {
        let picked: Vec<usize> = keep.choose_multiple(&mut rng, config.batch_size.min(keep.len())).copied().collect();
        let sequences: Vec<&[ItemId]> = picked.iter().map(|&u| train[u]).collect();
        let batch = TrainingBatch::cloze(&sequences, &picked, len, items, ClozeConfig::default(), &mut rng).trim_padding();
        let mut batches = vec![WeightedBatch { batch, weight: 1.0 }];
        if method == DeletionMethod::NegGradPlus {
            let users: Vec<usize> = deleting.choose_multiple(&mut rng, config.batch_size.min(deleting.len())).copied().collect();
            let rows: Vec<ForgetRow> = users.iter().filter_map(|&u| forget_row(dataset, deletions, u, len, &mut rng)).collect();
            if !rows.is_empty() {
                let sequences: Vec<&[ItemId]> = rows.iter().map(|r| r.sequence.as_slice()).collect();
                let masks: Vec<Vec<bool>> = rows.iter().map(|r| r.mask.clone()).collect();
                let users: Vec<usize> = rows.iter().map(|r| r.user).collect();
                let forget = TrainingBatch::masked_at(&sequences, &masks, &users, len, items).trim_padding();
                batches.push(WeightedBatch { batch: forget, weight: -config.forget_weight });
            }
        }
        let value;
        (student, value) = if *context.device == Device::flex() {
            let parts: Vec<WeightedBatch> = batches.iter().flat_map(|b| cpu_parts(&b.batch, b.weight)).collect();
            let (value, grads) = crate::optim::parallel_gradients(&student, &parts, context.threads, &autodiff, |local, part| {
                let loss = local.loss(&part.batch, &autodiff).mul_scalar(part.weight); // [1]
                let value = crate::readback::block_on(crate::readback::read_f32(loss.clone()))?[0];
                Ok((value, GradientsParams::from_grads(loss.backward(), &local)))
            })?;
            (optimizer.step_multi(config.learning_rate, student, grads), value)
        } else {
            let loss = batches
                .iter()
                .map(|p| student.loss(&p.batch, &autodiff).mul_scalar(p.weight))
                .reduce(|a, b| a + b)
                .expect("a retained batch"); // [1]
            let value = crate::readback::read_f32(loss.clone()).await?[0];
            let grads = GradientsParams::from_grads(loss.backward(), &student);
            (optimizer.step(config.learning_rate, student, grads), value)
        };
        if !value.is_finite() {
            return Err(Error::NonFinite(format!("the {} loss at step {}", method.name(), step + 1)));
        }
    }
    match student.valid() {
        Recommender::Bert4Rec(m) => Ok(m),
        _ => unreachable!("a BERT4Rec was trained"),
    }
}
