//! What the training objectives share: picking the scored positions and the cross-entropy.

use burn::tensor::{Int, Tensor, TensorData};

use super::softmax::log_softmax;
use crate::data::ItemId;

/// The hidden states at flat positions `b * len + t`.
///
/// # Shapes
/// - `hidden`: `[batch, len, d]`
/// - returns `[positions.len(), d]`
pub fn rows_at(hidden: Tensor<3>, positions: &[i64]) -> Tensor<2> {
    let [batch, len, d] = hidden.dims();
    let device = hidden.device();
    let index = Tensor::<1, Int>::from_data(TensorData::new(positions.to_vec(), [positions.len()]), &device);
    hidden.reshape([batch * len, d]).select(0, index)
}

/// Mean cross-entropy of `logits` against `targets` (softmax over all items).
///
/// # Shapes
/// - `logits`: `[rows, num_items]`, `targets`: `rows` items
/// - returns `[1]`
pub fn cross_entropy(logits: Tensor<2>, targets: &[ItemId]) -> Tensor<1> {
    negative_log_likelihood(log_softmax(logits), targets)
}

/// Mean negative log-likelihood of `targets` under `log_probs` (a loss that also needs the
/// log-probabilities for something else takes them once).
///
/// # Shapes
/// - `log_probs`: `[rows, num_items]`, `targets`: `rows` items
/// - returns `[1]`
pub fn negative_log_likelihood(log_probs: Tensor<2>, targets: &[ItemId]) -> Tensor<1> {
    let [rows, _] = log_probs.dims();
    assert_eq!(rows, targets.len(), "one target per scored row");
    let device = log_probs.device();
    let targets: Vec<i64> = targets.iter().map(|t| t.0 as i64).collect();
    let targets = Tensor::<2, Int>::from_data(TensorData::new(targets, [rows, 1]), &device);
    log_probs.gather(1, targets).mean().neg()
}
