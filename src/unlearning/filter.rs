//! The output filter: the genre's items get −∞ at the output. The model is unchanged, so this
//! is a reference, not unlearning: what the served recommendations show, and what the weights
//! alone still know, differ.

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Genre};
use crate::unlearning::{EditedModel, StageTimes, Work};

/// What the filter did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterDetails {
    /// Items hidden at the output.
    pub items: usize,
}

pub(crate) fn run(state: &mut EditedModel, dataset: &Dataset, genre: Genre) -> (FilterDetails, StageTimes, Work) {
    let mut items = 0;
    for (flag, item) in state.hidden.iter_mut().zip(&dataset.items) {
        if item.genres.contains(genre) {
            *flag = true;
            items += 1;
        }
    }
    (FilterDetails { items }, StageTimes::default(), Work::default())
}
