//! A model with the edits of every forgetting so far: its weights, the neurons suppressed at
//! [MASK], the items hidden at the output, and the genres whose interactions count as deleted.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, EvalCase, Genre, ItemId, SequenceBatch};
use crate::error::{Error, Result};
use crate::model::{Bert4Rec, FfnHook, ModelInput, Neuron, NextItemScorer, Positions};

/// How an edited model is asked for scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum View {
    /// As served to a user: output filters applied.
    #[default]
    Served,
    /// The weights alone: output filters ignored (what the model itself still knows).
    Weights,
}

/// A model after zero or more forgettings; [`EditedModel::new`] wraps an unedited one.
#[derive(Clone, Debug)]
pub struct EditedModel {
    pub model: Bert4Rec,
    /// Neurons zeroed at the [MASK] position (the `suppress-at-mask` edit), sorted.
    pub suppressed: Vec<Neuron>,
    /// Items whose score is −∞ when served, one flag per item (output filters).
    pub hidden: Vec<bool>,
    /// Genres forgotten so far, in order: their interactions count as deleted.
    pub forgotten: Vec<Genre>,
}

impl EditedModel {
    pub fn new(model: Bert4Rec) -> EditedModel {
        let hidden = vec![false; model.num_items];
        EditedModel { model, suppressed: Vec::new(), hidden, forgotten: Vec::new() }
    }

    /// Records that `genre` is forgotten (its interactions are deleted from now on).
    pub fn forget(&mut self, genre: Genre, _dataset: &Dataset) {
        if !self.forgotten.contains(&genre) {
            self.forgotten.push(genre);
        }
    }

    /// This model unedited but given the histories without `genres`: what deleting their
    /// interactions alone does, the baseline every method's forgetting is read against.
    pub fn deletion_only(&self, dataset: &Dataset, genres: &[Genre]) -> EditedModel {
        let mut model = self.clone();
        for &genre in genres {
            model.forget(genre, dataset);
        }
        model
    }

    /// The hook that applies the suppression edits.
    pub fn hook(&self) -> FfnHook {
        if self.suppressed.is_empty() {
            FfnHook::None
        } else {
            FfnHook::Zero { neurons: self.suppressed.clone(), positions: Positions::Last }
        }
    }

    /// Whether an output filter hides any item.
    pub fn filters(&self) -> bool {
        self.hidden.iter().any(|&h| h)
    }

    /// The histories this model is given: the forgotten genres' items deleted.
    pub fn cases(&self, dataset: &Dataset, cases: Vec<EvalCase>) -> Vec<EvalCase> {
        dataset.delete_from_histories(cases, &self.forgotten)
    }

    /// A history with the forgotten genres' items deleted.
    pub fn history(&self, dataset: &Dataset, history: &[ItemId]) -> Vec<ItemId> {
        history.iter().copied().filter(|&i| !self.forgotten.iter().any(|&g| dataset.has_genre(i, g))).collect()
    }

    /// Every user's training sequence with the forgotten genres' items deleted, and the users
    /// whose sequence keeps at least two items (what a cloze batch can train on).
    pub(crate) fn training_sequences(&self, dataset: &Dataset) -> (Vec<Vec<ItemId>>, Vec<usize>) {
        let sequences: Vec<Vec<ItemId>> = dataset.train_sequences().iter().map(|s| self.history(dataset, s)).collect();
        let users = (0..sequences.len()).filter(|&u| sequences[u].len() >= 2).collect();
        (sequences, users)
    }

    /// The model as a scorer, served or from its weights alone.
    pub fn view(&self, view: View) -> Scorer<'_> {
        Scorer { edited: self, view }
    }
}

/// An [`EditedModel`] seen one way ([`View`]); evaluation and recommending take it.
#[derive(Clone, Copy, Debug)]
pub struct Scorer<'a> {
    pub edited: &'a EditedModel,
    pub view: View,
}

impl NextItemScorer for Scorer<'_> {
    fn num_items(&self) -> usize {
        self.edited.model.num_items
    }
    fn max_len(&self) -> usize {
        self.edited.model.max_len
    }
    /// The edited model's own hook applies; `hook` must be [`FfnHook::None`].
    fn next_item_scores(&self, input: &ModelInput, hook: &FfnHook) -> Result<Tensor<2>> {
        if !matches!(hook, FfnHook::None) {
            return Err(Error::Config("an edited model applies its own edits; pass no hook".into()));
        }
        let scores = self.edited.model.next_item_scores(input, &self.edited.hook()); // [batch, num_items]
        if self.view == View::Weights || !self.edited.filters() {
            return Ok(scores);
        }
        let n = self.edited.hidden.len();
        let mask: Vec<f32> = self.edited.hidden.iter().map(|&h| if h { f32::NEG_INFINITY } else { 0.0 }).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [1, n]), &scores.device()); // [1, num_items]
        Ok(scores + mask)
    }
    fn queries(&self, histories: &[&[ItemId]]) -> SequenceBatch {
        self.edited.model.queries(histories)
    }
}
