//! Distillation towards a model that never saw the genre. The student starts from the current
//! model; the teacher is the original model given the history without the forgotten genres'
//! items, with those items removed from its output distribution (renormalised over the rest), a
//! cheap stand-in for the retrained model. Training runs on a seeded sample of training
//! sequences with the forgotten genres' items deleted, cloze-masked as in training, with
//!
//! ```text
//! loss = kl_weight · KL(teacher ‖ student) + ce_weight · CE(student, true item)
//! ```
//!
//! at the masked positions (the KL is computed as the cross-entropy against the teacher's
//! distribution, which differs from it by the teacher's constant entropy).

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::{ClozeConfig, Dataset, ItemId, TrainingBatch};
use crate::error::{Error, Result};
use crate::model::loss::{negative_log_likelihood, rows_at};
use crate::model::softmax::{log_softmax, softmax};
use crate::model::{Bert4Rec, FfnHook, ModelInput};
use crate::optim::param_ids;
use crate::readback::read_f32;
use crate::unlearning::{EditedModel, ForgetStage, Progress, RunContext, StageTimes, Work};

/// Which parameters distillation moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Trainable {
    /// Every parameter (the default).
    #[default]
    All,
    /// Every parameter but the forgotten genres' own rows (embedding, output bias), so that
    /// rows reset by the `rows` method stay as drawn.
    Shared,
    /// The FFNs, the output head and the output bias; embeddings and attention stay.
    OutputSide,
    /// Only the `neurons` FFN neurons the paper's attribution ranks highest for the genre (their
    /// W1 columns, b1 entries and W2 rows): the attribution as a saliency mask.
    Salient { neurons: usize },
}

/// Settings of the `distill` method.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DistillConfig {
    /// Optimizer steps K.
    pub steps: usize,
    /// Sequences per step B.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Weight of KL(teacher ‖ student).
    pub kl_weight: f64,
    /// Weight of the cross-entropy on the (non-genre) true items.
    pub ce_weight: f64,
    /// Longest training window (the most recent items of each sequence).
    pub window: usize,
    pub trainable: Trainable,
    /// Seed of the sequence sample, the masks and dropout.
    pub seed: u64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig {
            steps: 30,
            batch_size: 32,
            learning_rate: 5e-3,
            kl_weight: 1.0,
            ce_weight: 1.0,
            window: 200,
            trainable: Trainable::All,
            seed: 5,
        }
    }
}

impl DistillConfig {
    /// The first setting that cannot run, if any.
    pub fn problem(&self) -> Option<&'static str> {
        [
            (self.batch_size == 0, "distill batch size must be at least 1"),
            (self.window < 2, "distill window must be at least 2"),
            (!(self.learning_rate > 0.0 && self.learning_rate.is_finite()), "distill learning rate must be positive"),
            (self.kl_weight < 0.0 || self.ce_weight < 0.0, "distill loss weights must be ≥ 0"),
            (self.kl_weight + self.ce_weight <= 0.0, "at least one distill loss weight must be positive"),
        ]
        .into_iter()
        .find(|(bad, _)| *bad)
        .map(|(_, m)| m)
    }
}

/// What distillation did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistillDetails {
    pub config: DistillConfig,
    /// Sequences available after deleting the genres' items.
    pub sequences: usize,
    /// The loss of each step.
    pub losses: Vec<f32>,
}

/// The teacher's side of a step: the original model, and which items it may not predict.
pub struct Teacher<'a> {
    pub model: &'a Bert4Rec,
    /// `[1, num_items]`: −∞ at the hidden items, 0 elsewhere.
    pub hidden: Tensor<2>,
    /// `[num_items]`: 0 at the hidden items, 1 elsewhere (masks their rows' gradients).
    pub keep: Tensor<1>,
    /// With [`Trainable::Salient`]: per layer, `[d_ff]`, 1 at the neurons that may move.
    pub salient: Vec<Tensor<1>>,
}

impl<'a> Teacher<'a> {
    pub fn new(model: &'a Bert4Rec, hidden: &[bool], device: &Device) -> Teacher<'a> {
        let n = hidden.len();
        let keep: Vec<f32> = hidden.iter().map(|&h| if h { 0.0 } else { 1.0 }).collect();
        let values: Vec<f32> = hidden.iter().map(|&h| if h { f32::NEG_INFINITY } else { 0.0 }).collect();
        let hidden = Tensor::from_data(TensorData::new(values, [1, n]), device);
        let keep = Tensor::from_data(TensorData::new(keep, [n]), device);
        Teacher { model, hidden, keep, salient: Vec::new() }
    }

    /// The teacher's next-item distribution at the batch's scored positions.
    ///
    /// # Shapes
    /// - returns `[targets, num_items]`
    fn distribution(&self, batch: &TrainingBatch, device: &Device) -> Tensor<2> {
        let input = ModelInput::new(&batch.input, device);
        let hidden = self.model.encode(&input, &FfnHook::None).hidden; // [batch, len, d_model]
        let logits = self.model.scores(rows_at(hidden, &batch.positions)); // [targets, num_items]
        softmax(logits + self.hidden.clone())
    }
}

/// One step's loss (times `scale`) and gradients on `batch`: async, so WebGPU calls it as it
/// is, and the CPU step calls it once per part (blocking: CPU reads are ready at once).
///
/// `student` has autodiff leaves on `device.autodiff()`; the teacher runs on `device`.
pub async fn distill_gradients(
    student: &Bert4Rec,
    teacher: &Teacher<'_>,
    batch: &TrainingBatch,
    hook: &FfnHook,
    config: &DistillConfig,
    scale: f64,
    device: &Device,
) -> Result<(f32, GradientsParams)> {
    let autodiff = device.clone().autodiff();
    let target = teacher.distribution(batch, device).autodiff(); // [targets, num_items]
    let input = ModelInput::new(&batch.input, &autodiff);
    let hidden = student.encode(&input, hook).hidden; // [batch, len, d_model]
    let logits = student.scores(rows_at(hidden, &batch.positions)); // [targets, num_items]
    let log_probs = log_softmax(logits); // [targets, num_items]
    let soft = (target * log_probs.clone()).sum_dim(1).mean().neg(); // [1]
    let hard = negative_log_likelihood(log_probs, &batch.targets); // [1]
    let loss = (soft.mul_scalar(config.kl_weight) + hard.mul_scalar(config.ce_weight)).mul_scalar(scale);
    let value = read_f32(loss.clone()).await?.first().copied().unwrap_or(f32::NAN);
    let mut grads = loss.backward();
    let grads = trainable_gradients(student, teacher, &mut grads, config.trainable, device);
    Ok((value, grads))
}

/// The gradients of the parameters `trainable` lets move (the others' are dropped or masked).
fn trainable_gradients(
    student: &Bert4Rec,
    teacher: &Teacher<'_>,
    grads: &mut burn::tensor::Gradients,
    trainable: Trainable,
    device: &Device,
) -> GradientsParams {
    match trainable {
        Trainable::All => GradientsParams::from_module(grads, student),
        Trainable::Shared => {
            let mut params = GradientsParams::from_module(grads, student);
            let n = student.num_items;
            let keep = teacher.keep.clone(); // [num_items]
            let id = student.item_embedding.weight.id;
            if let Some(g) = params.remove::<2>(id) {
                let [rows, d_model] = g.dims();
                // Embedding rows: PAD, the items, MASK; only the items' rows can be frozen.
                let ones = Tensor::<1>::ones([1], device);
                let row_keep = Tensor::cat(vec![ones.clone(), keep.clone(), ones], 0).reshape([rows, 1]).expand([rows, d_model]);
                params.register(id, g * row_keep);
            }
            let id = student.output_bias.id;
            if let Some(g) = params.remove::<1>(id) {
                debug_assert_eq!(g.dims()[0], n);
                params.register(id, g * keep);
            }
            params
        }
        Trainable::OutputSide => {
            let mut ids = param_ids(&student.head);
            ids.extend(param_ids(&student.head_norm));
            ids.push(student.output_bias.id);
            for layer in &student.layers {
                ids.extend(param_ids(&layer.ffn));
            }
            GradientsParams::from_params(grads, student, &ids)
        }
        Trainable::Salient { .. } => {
            let mut params = GradientsParams::new();
            for (layer, keep) in student.layers.iter().zip(&teacher.salient) {
                let ffn = &layer.ffn;
                let [d_model, d_ff] = ffn.w1.weight.shape().dims();
                if let Some(g) = ffn.w1.weight.grad_remove(grads) {
                    params.register(ffn.w1.weight.id, g * keep.clone().reshape([1, d_ff]).expand([d_model, d_ff]));
                }
                if let Some(b) = &ffn.w1.bias
                    && let Some(g) = b.grad_remove(grads)
                {
                    params.register(b.id, g * keep.clone());
                }
                if let Some(g) = ffn.w2.weight.grad_remove(grads) {
                    params.register(ffn.w2.weight.id, g * keep.clone().reshape([d_ff, 1]).expand([d_ff, d_model]));
                }
            }
            params
        }
    }
}

/// One optimizer step. On the CPU the batch runs in parts (see [`super::PART_SEQUENCES`]), on several
/// threads where there are (natively, and in the page's threaded build); a GPU takes it whole.
async fn step(
    student: Bert4Rec,
    optimizer: &mut ModuleOptimizer,
    teacher: &Teacher<'_>,
    batch: &TrainingBatch,
    hook: &FfnHook,
    config: &DistillConfig,
    context: &RunContext<'_>,
) -> Result<(Bert4Rec, f32)> {
    if *context.device != Device::flex() {
        let (loss, grads) = distill_gradients(&student, teacher, batch, hook, config, 1.0, context.device).await?;
        return Ok((optimizer.step(config.learning_rate, student, grads), loss));
    }
    let parts = super::cpu_parts(batch, 1.0);
    let (loss, grads) =
        crate::optim::parallel_gradients(&student, &parts, context.threads, &context.device.clone().autodiff(), |local, part| {
            crate::readback::block_on(distill_gradients(&local, teacher, &part.batch, hook, config, part.weight, context.device))
        })?;
    Ok((optimizer.step_multi(config.learning_rate, student, grads), loss))
}

/// `Trainable::Salient`: the paper's attribution, on the model as it is now, ranks the neurons
/// that may move; the `neurons` highest are kept in `teacher.salient`. Returns the passes it took.
async fn salient_neurons(
    state: &EditedModel,
    dataset: &Dataset,
    teacher: &mut Teacher<'_>,
    neurons: usize,
    context: &RunContext<'_>,
) -> Result<usize> {
    let genre = *state.forgotten.last().expect("the pipeline records the genre first");
    let paper = crate::unlearning::NeuronsConfig::default();
    let cases = super::neurons::attribution_cases(dataset, genre, &state.forgotten, 64, paper.seed);
    let queries: Vec<crate::attribution::Query<'_>> =
        cases.iter().map(|c| crate::attribution::Query { history: &c.history, target: c.target }).collect();
    let attributions =
        crate::attribution::integrated_gradients(&state.model, &queries, None, &paper.ig, &state.hook(), context, |_| {}).await?;
    let (_, n_layers, d_ff) = state.model.dims();
    let mean = super::neurons::mean_attribution(&attributions, n_layers, d_ff);
    let mut keep = vec![vec![0.0f32; d_ff]; n_layers];
    for n in super::neurons::rank_by_mean(&mean).into_iter().take(neurons) {
        keep[n.layer][n.index] = 1.0;
    }
    teacher.salient = keep.into_iter().map(|k| Tensor::from_data(TensorData::new(k, [d_ff]), context.device)).collect();
    Ok(attributions.len())
}

/// Distils `state` in place towards `original` with `state.forgotten` deleted.
pub(crate) async fn run(
    state: &mut EditedModel,
    original: &Bert4Rec,
    dataset: &Dataset,
    config: &DistillConfig,
    context: &RunContext<'_>,
    progress: &mut Progress<'_, ForgetStage>,
) -> Result<(DistillDetails, StageTimes, Work)> {
    if let Some(problem) = config.problem() {
        return Err(Error::Config(problem.into()));
    }
    let started = now_seconds();
    let device = context.device;
    let (deleted, users) = state.training_sequences(dataset);
    if users.is_empty() {
        return Err(Error::Config("no training sequence is left after deleting the genre: nothing to distil on".into()));
    }
    // The teacher hides every forgotten genre (and what the output filters hide).
    let hidden: Vec<bool> =
        dataset.items.iter().zip(&state.hidden).map(|(item, &h)| h || state.forgotten.iter().any(|&g| item.genres.contains(g))).collect();
    let mut teacher = Teacher::new(original, &hidden, device);
    let hook = state.hook();
    let attribution_passes = match config.trainable {
        Trainable::Salient { neurons } => salient_neurons(state, dataset, &mut teacher, neurons, context).await?,
        _ => 0,
    };
    crate::backend::seed(device, config.seed);
    let mut student = state.model.clone().train().map(&mut crate::optim::FreshLeaves);
    let mut optimizer = AdamConfig::new().init();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let cloze = ClozeConfig::default();
    let window = config.window.min(state.model.max_len);
    let mut losses = Vec::with_capacity(config.steps);
    for index in 0..config.steps {
        let picked: Vec<usize> = users.choose_multiple(&mut rng, config.batch_size.min(users.len())).copied().collect();
        let sequences: Vec<&[ItemId]> = picked.iter().map(|&u| &deleted[u][deleted[u].len().saturating_sub(window)..]).collect();
        let batch = TrainingBatch::cloze(&sequences, &picked, state.model.max_len, state.model.num_items, cloze, &mut rng).trim_padding();
        let (updated, loss) = step(student, &mut optimizer, &teacher, &batch, &hook, config, context).await?;
        student = updated;
        losses.push(loss);
        progress(ForgetStage::Training { step: index + 1, steps: config.steps, loss });
    }
    state.model = student.valid();
    let sequences = config.steps * config.batch_size.min(users.len());
    let times = StageTimes { training: now_seconds() - started, ..StageTimes::default() };
    let (_, n_layers, _) = state.model.dims();
    let work = Work {
        forward: 2 * sequences + attribution_passes * (1 + n_layers),
        backward: sequences + attribution_passes * n_layers,
        optimizer_steps: config.steps,
    };
    Ok((DistillDetails { config: *config, sequences: users.len(), losses }, times, work))
}
