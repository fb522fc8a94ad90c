//! A batch of sequences on a device: what every model's forward takes.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::data::SequenceBatch;

/// Token ids, padding and users of a batch, on a device.
#[derive(Clone, Debug)]
pub struct ModelInput {
    /// `[batch, len]`, embedding rows (see [`crate::data::Token::index`]).
    pub tokens: Tensor<2, Int>,
    /// `[batch, len]`, `true` at padding.
    pub padding: Tensor<2, Bool>,
    /// `[batch]`, user embedding rows (see [`SequenceBatch::users`]).
    pub users: Tensor<1, Int>,
    /// The position of column 0 (see [`SequenceBatch::first_position`]).
    pub first_position: usize,
}

impl ModelInput {
    /// Moves a host batch onto `device`.
    pub fn new(batch: &SequenceBatch, device: &Device) -> ModelInput {
        let shape = [batch.batch, batch.len];
        ModelInput {
            tokens: Tensor::from_data(TensorData::new(batch.tokens.clone(), shape), device),
            padding: Tensor::from_data(TensorData::new(batch.padding.clone(), shape), device),
            users: Tensor::from_data(TensorData::new(batch.users.clone(), [batch.batch]), device),
            first_position: batch.first_position,
        }
    }

    /// Blocks every query from attending to padding keys.
    ///
    /// # Shapes
    /// - returns `[batch, len, len]`, `true` where query `i` may not attend to key `j`
    pub fn attention_mask(&self) -> Tensor<3, Bool> {
        let [batch, len] = self.padding.dims();
        self.padding.clone().reshape([batch, 1, len]).expand([batch, len, len])
    }

    /// 1 at real tokens, 0 at padding.
    ///
    /// # Shapes
    /// - returns `[batch, len, 1]`
    pub fn keep(&self) -> Tensor<3> {
        let [batch, len] = self.padding.dims();
        self.padding.clone().bool_not().float().reshape([batch, len, 1])
    }
}
