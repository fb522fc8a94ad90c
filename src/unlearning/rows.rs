//! Resetting the genre's own parameters. Each item owns its row of the item embedding (input
//! and, tied, output) and its output bias; no other item shares them. A model that never saw the
//! genre has those rows about as they were initialised (pushed down only as softmax negatives):
//! this method re-draws the rows from the model's initialiser, N(0, 0.02), seeded, and puts the
//! bias below every other item's. Instant, needs no data, leaves every shared weight alone.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::{Dataset, Genre, Token};
use crate::error::Result;
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
}

impl Default for RowsConfig {
    fn default() -> Self {
        RowsConfig { seed: 11, bias: RowBias::default() }
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
    let times = StageTimes { editing: now_seconds() - started, ..StageTimes::default() };
    Ok((RowsDetails { config: *config, items, bias: value }, times, Work::default()))
}
