//! Resetting the genre's own parameters. Each item owns its row of the item embedding (input
//! and, tied, output) and its output bias; no other item shares them. A model that never saw the
//! genre has those rows about as they were initialised (pushed down only as softmax negatives):
//! this method re-draws the rows from the model's initialiser, N(0, 0.02), seeded, and puts the
//! bias below every other item's. Instant, needs no data, leaves every shared weight alone.
//!
//! A reset is cleaner than a retrain (an auditor can tell a fresh draw from rows that were
//! trained as negatives). The optional re-fit ([`RowsRefit`], off at 0 steps) then trains the
//! genre's rows alone with the cloze loss on the training sequences without the forgotten
//! genres, every shared weight frozen: the rows get what retraining gives them, gradient only as
//! softmax negatives.

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::{ClozeConfig, Dataset, Genre, ItemId, Token, TrainingBatch};
use crate::error::{Error, Result};
use crate::readback::read_f32;
use crate::unlearning::{EditedModel, StageTimes, Work};

/// Standard deviation of BERT4Rec's initialiser ([`crate::model::Bert4RecConfig::init`]).
const INIT_STD: f64 = 0.02;

/// Where the genre's output biases go.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RowBias {
    /// The lowest bias of the other items minus `margin` (the default, margin 1).
    BelowLowest { margin: f32 },
    /// The initial value, 0.
    Initial,
}

impl Default for RowBias {
    fn default() -> Self {
        RowBias::BelowLowest { margin: 1.0 }
    }
}

/// Settings of the `rows` method.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RowsConfig {
    /// Seed of the re-drawn rows (mixed with the genre, so two genres draw differently).
    pub seed: u64,
    pub bias: RowBias,
    pub refit: RowsRefit,
}

impl Default for RowsConfig {
    fn default() -> Self {
        RowsConfig { seed: 11, bias: RowBias::default(), refit: RowsRefit::default() }
    }
}

/// Re-fitting the reset rows: Adam steps on the genre's rows (embedding and output bias) alone.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RowsRefit {
    /// Adam steps; 0 leaves the reset as drawn.
    pub steps: usize,
    /// Training sequences (without the forgotten genres) per step.
    pub batch_size: usize,
    pub learning_rate: f64,
}

impl Default for RowsRefit {
    fn default() -> Self {
        RowsRefit { steps: 0, batch_size: 64, learning_rate: 1e-3 }
    }
}

impl RowsRefit {
    /// The first setting that cannot run, if any.
    pub fn problem(&self) -> Option<&'static str> {
        [
            (self.batch_size == 0, "rows re-fit: batch size must be at least 1"),
            (!(self.learning_rate > 0.0 && self.learning_rate.is_finite()), "rows re-fit: learning rate must be positive"),
        ]
        .into_iter()
        .find(|(bad, _)| *bad)
        .map(|(_, m)| m)
    }
}

/// What resetting the rows did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowsDetails {
    pub config: RowsConfig,
    /// Items whose rows were reset.
    pub items: usize,
    /// The bias they were given.
    pub bias: f32,
    /// The re-fit's cloze loss per step (empty without a re-fit).
    #[serde(default)]
    pub refit_losses: Vec<f32>,
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(crate) async fn run(
    state: &mut EditedModel,
    dataset: &Dataset,
    genre: Genre,
    config: &RowsConfig,
    device: &Device,
) -> Result<(RowsDetails, StageTimes, Work)> {
    let started = now_seconds();
    let model = &mut state.model;
    let n = model.num_items;
    let in_genre: Vec<bool> = dataset.items.iter().map(|i| i.genres.contains(genre)).collect();
    let weight = model.item_embedding.weight.val(); // [n + 2, d_model]
    let [rows, d_model] = weight.dims();
    let mut values = read_f32(weight).await?;
    let mut rng = StdRng::seed_from_u64(config.seed ^ (genre as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    for item in (0..n).filter(|&i| in_genre[i]) {
        let row = Token::Item(crate::data::ItemId(item as u32)).index(n) as usize;
        for v in &mut values[row * d_model..(row + 1) * d_model] {
            *v = (normal(&mut rng) * INIT_STD) as f32;
        }
    }
    model.item_embedding.weight = Param::from_tensor(Tensor::from_data(TensorData::new(values, [rows, d_model]), device));
    let mut bias = read_f32(model.output_bias.val()).await?;
    let value = match config.bias {
        RowBias::BelowLowest { margin } => {
            let lowest = bias.iter().zip(&in_genre).filter(|(_, g)| !**g).map(|(b, _)| *b).fold(f32::INFINITY, f32::min);
            if lowest.is_finite() { lowest - margin } else { -margin }
        }
        RowBias::Initial => 0.0,
    };
    bias.iter_mut().zip(&in_genre).filter(|(_, g)| **g).for_each(|(b, _)| *b = value);
    model.output_bias = Param::from_tensor(Tensor::from_data(TensorData::new(bias, [n]), device));
    let items = in_genre.iter().filter(|&&g| g).count();
    let editing = now_seconds() - started;
    let (refit_losses, work) =
        if config.refit.steps > 0 { refit(state, dataset, &in_genre, config, device).await? } else { (Vec::new(), Work::default()) };
    let times = StageTimes { editing, training: now_seconds() - started - editing, ..StageTimes::default() };
    Ok((RowsDetails { config: *config, items, bias: value, refit_losses }, times, work))
}

/// Trains the rows of the items `in_genre` (embedding and output bias) with the cloze loss on
/// the training sequences as `state` gives them (the forgotten genres left out), every other
/// weight frozen. Returns the loss per step. The cloze loss runs without `state`'s hook: a
/// `suppress-at-mask` edit does not take part in the re-fit.
async fn refit(
    state: &mut EditedModel,
    dataset: &Dataset,
    in_genre: &[bool],
    config: &RowsConfig,
    device: &Device,
) -> Result<(Vec<f32>, Work)> {
    let refit = config.refit;
    if let Some(problem) = refit.problem() {
        return Err(Error::Config(problem.into()));
    }
    let (sequences, users) = state.training_sequences(dataset);
    if users.is_empty() {
        return Err(Error::Config("no training sequence is left without the genre: nothing to re-fit the rows on".into()));
    }
    let (n, len) = (state.model.num_items, state.model.max_len);
    let [rows, _] = state.model.item_embedding.weight.val().dims();
    let mut row_mask = vec![0.0f32; rows];
    for item in (0..n).filter(|&i| in_genre[i]) {
        row_mask[Token::Item(ItemId(item as u32)).index(n) as usize] = 1.0;
    }
    let row_mask = Tensor::<2>::from_data(TensorData::new(row_mask, [rows, 1]), device);
    let bias_mask: Vec<f32> = in_genre.iter().map(|&g| if g { 1.0 } else { 0.0 }).collect();
    let bias_mask = Tensor::<1>::from_data(TensorData::new(bias_mask, [n]), device);
    let autodiff = device.clone().autodiff();
    crate::backend::seed(&autodiff, config.seed);
    let mut student = state.model.clone().train().map(&mut crate::optim::FreshLeaves);
    let (embedding, bias) = (student.item_embedding.weight.id, student.output_bias.id);
    let mut optimizer: ModuleOptimizer = AdamConfig::new().init();
    let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
    let mut losses = Vec::with_capacity(refit.steps);
    for step in 0..refit.steps {
        let picked: Vec<usize> = users.choose_multiple(&mut rng, refit.batch_size.min(users.len())).copied().collect();
        let batch_sequences: Vec<&[ItemId]> = picked.iter().map(|&u| sequences[u].as_slice()).collect();
        let batch = TrainingBatch::cloze(&batch_sequences, &picked, len, n, ClozeConfig::default(), &mut rng).trim_padding();
        let loss = student.cloze_loss(&batch, &autodiff); // [1]
        let value = read_f32(loss.clone()).await?[0];
        if !value.is_finite() {
            return Err(Error::NonFinite(format!("the rows re-fit's loss at step {}", step + 1)));
        }
        losses.push(value);
        let mut gradients = loss.backward();
        let mut params = GradientsParams::from_params(&mut gradients, &student, &[embedding, bias]);
        // Only the genre's rows move: every other row's gradient is zeroed, so Adam leaves it.
        if let Some(g) = params.remove::<2>(embedding) {
            params.register(embedding, g * row_mask.clone());
        }
        if let Some(g) = params.remove::<1>(bias) {
            params.register(bias, g * bias_mask.clone());
        }
        student = optimizer.step(refit.learning_rate, student, params);
    }
    state.model = student.valid();
    let sequences = refit.steps * refit.batch_size.min(users.len());
    Ok((losses, Work { forward: sequences, backward: sequences, optimizer_steps: refit.steps }))
}
