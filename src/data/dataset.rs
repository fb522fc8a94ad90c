//! The prepared dataset: dense item ids, chronological user sequences, the leave-one-out split.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use crate::data::source::RawData;
use crate::data::{DeletionSet, Genre, GenreSet};
use crate::error::{Error, Result};

/// A dense item id: an index into [`Dataset::items`] and into the model's score vector.
/// The model's token ids for PAD and MASK are kept apart in [`crate::data::Token`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub u32);

impl ItemId {
    /// As a `usize` index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One item of the vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The title (MovieLens) or the raw key (other sources).
    pub title: String,
    /// Its genres (empty for sources without genres).
    pub genres: GenreSet,
}

/// One user's chronological interactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's key in the source (`1m_42` or `42`).
    pub key: String,
    /// Items in time order, oldest first.
    pub items: Vec<ItemId>,
}

/// A prepared dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// A short name, e.g. `ml-1m`.
    pub name: String,
    /// The item vocabulary, indexed by [`ItemId`].
    pub items: Vec<Item>,
    /// The users, in ascending order of their key.
    pub users: Vec<User>,
}

/// Counts printed by `recforget data` and checked against the published figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DatasetStats {
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub min_length: usize,
    pub max_length: usize,
}

/// One evaluation case: a user's history and the item that really came next.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalCase {
    /// Index into [`Dataset::users`].
    pub user: usize,
    /// Items before the target, oldest first.
    pub history: Vec<ItemId>,
    /// The held-out next item.
    pub target: ItemId,
}

/// Which held-out item a leave-one-out case predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The second-to-last item of each user (tuning, attribution).
    Validation,
    /// The last item of each user (reported figures).
    #[default]
    Test,
}

/// Orders user keys numerically where they end in a number (`1m_2` before `1m_10`).
fn user_order(key: &str) -> (u64, &str) {
    let digits = key.rsplit(|c: char| !c.is_ascii_digit()).next().unwrap_or("");
    (digits.parse().unwrap_or(u64::MAX), key)
}

impl Dataset {
    /// Builds the dataset as BERT4Rec does: group by user, sort each user's interactions by time
    /// (stable, so ties keep file order), then repeatedly drop items and users with fewer than
    /// `min_count` interactions until none is left, and number the items in order of first
    /// appearance.
    pub fn from_raw(name: &str, raw: &RawData, min_count: usize) -> Result<Dataset> {
        let mut by_user: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
        for event in &raw.interactions {
            by_user.entry(event.user.as_str()).or_default().push((event.timestamp, event.item.as_str()));
        }
        let mut users: Vec<(&str, Vec<(i64, &str)>)> = by_user.into_iter().collect();
        users.sort_by(|a, b| user_order(a.0).cmp(&user_order(b.0)));
        for (_, events) in &mut users {
            events.sort_by_key(|(time, _)| *time);
        }
        loop {
            let mut item_counts: HashMap<&str, usize> = HashMap::new();
            for (_, events) in &users {
                for (_, item) in events {
                    *item_counts.entry(item).or_default() += 1;
                }
            }
            let before: usize = users.iter().map(|(_, e)| e.len()).sum();
            for (_, events) in &mut users {
                events.retain(|(_, item)| item_counts[item] >= min_count);
            }
            users.retain(|(_, events)| events.len() >= min_count);
            let after: usize = users.iter().map(|(_, e)| e.len()).sum();
            if after == before {
                break;
            }
        }
        if users.is_empty() {
            return Err(Error::DatasetCheck(format!(
                "no user has {min_count} or more interactions with items that have {min_count} or more"
            )));
        }
        let mut ids: HashMap<&str, ItemId> = HashMap::new();
        let mut items = Vec::new();
        let users = users
            .into_iter()
            .map(|(key, events)| User {
                key: key.to_string(),
                items: events
                    .into_iter()
                    .map(|(_, title)| {
                        *ids.entry(title).or_insert_with(|| {
                            items.push(Item { title: title.to_string(), genres: raw.catalog.get(title).copied().unwrap_or_default() });
                            ItemId(items.len() as u32 - 1)
                        })
                    })
                    .collect(),
            })
            .collect();
        Ok(Dataset { name: name.to_string(), items, users })
    }

    /// Number of items in the vocabulary.
    pub fn num_items(&self) -> usize {
        self.items.len()
    }

    /// The counts of the prepared data.
    pub fn stats(&self) -> DatasetStats {
        let lengths = self.users.iter().map(|u| u.items.len());
        DatasetStats {
            users: self.users.len(),
            items: self.items.len(),
            interactions: lengths.clone().sum(),
            min_length: lengths.clone().min().unwrap_or(0),
            max_length: lengths.max().unwrap_or(0),
        }
    }

    /// A 64-bit FNV-1a fingerprint of the vocabulary (titles in id order). A checkpoint records
    /// it so that loading it against a differently numbered vocabulary is an error.
    pub fn fingerprint(&self) -> u64 {
        crate::fingerprint::fnv1a64(self.items.iter().flat_map(|item| item.title.bytes().chain(std::iter::once(b'\n'))))
    }

    /// Finds an item by exact title.
    pub fn item_by_title(&self, title: &str) -> Option<ItemId> {
        self.items.iter().position(|i| i.title == title).map(|i| ItemId(i as u32))
    }

    /// Whether `item` has `genre`.
    pub fn has_genre(&self, item: ItemId, genre: Genre) -> bool {
        self.items[item.index()].genres.contains(genre)
    }

    /// The training part of each user's sequence under leave-one-out: all but the last two items.
    pub fn train_sequences(&self) -> Vec<&[ItemId]> {
        self.users.iter().map(|u| &u.items[..u.items.len().saturating_sub(2)]).collect()
    }

    /// The evaluation cases of a split, one per user.
    pub fn eval_cases(&self, split: Split) -> Vec<EvalCase> {
        let back = match split {
            Split::Validation => 2,
            Split::Test => 1,
        };
        self.users
            .iter()
            .enumerate()
            .filter(|(_, u)| u.items.len() > back)
            .map(|(index, u)| {
                let cut = u.items.len() - back;
                EvalCase { user: index, history: u.items[..cut].to_vec(), target: u.items[cut] }
            })
            .collect()
    }

    /// `cases` with the interactions of `genres` deleted: their items leave every history, and a
    /// case whose history is left empty is dropped (it has nothing to recommend from). Targets
    /// stay: a case whose target is of a deleted genre is what the removal rate measures.
    pub fn delete_from_histories(&self, cases: Vec<EvalCase>, genres: &[Genre]) -> Vec<EvalCase> {
        if genres.is_empty() {
            return cases;
        }
        let deleted = |item: ItemId| genres.iter().any(|&g| self.has_genre(item, g));
        cases
            .into_iter()
            .map(|mut case| {
                case.history.retain(|&item| !deleted(item));
                case
            })
            .filter(|case| !case.history.is_empty())
            .collect()
    }

    /// Counts of items per genre across the vocabulary.
    pub fn genre_item_counts(&self) -> Vec<(Genre, usize)> {
        Genre::iter().map(|g| (g, self.items.iter().filter(|i| i.genres.contains(g)).count())).collect()
    }

    /// A copy with every interaction with an item of `genre` removed from the training part of
    /// each user (the retrain-without-genre baseline): [`Dataset::without_in_training`] of the
    /// genre-wide deletion.
    pub fn without_genre_in_training(&self, genre: Genre) -> Dataset {
        self.without_in_training(&DeletionSet::genre_wide(genre))
    }

    /// A copy with the interactions `deletions` deletes removed from the training part of each
    /// user (the exact-unlearning baseline retrains on it). The validation and test items are
    /// kept so that all models are judged on the same cases; the vocabulary stays whole. Named
    /// `<name>-without-<Genre>` for one genre-wide deletion, else `<name>-without-<set name>`.
    pub fn without_in_training(&self, deletions: &DeletionSet) -> Dataset {
        let users = self
            .users
            .iter()
            .map(|u| {
                let cut = u.items.len().saturating_sub(2);
                let mut items: Vec<ItemId> = u.items[..cut].iter().copied().filter(|&i| !deletions.deletes(self, u, i)).collect();
                items.extend_from_slice(&u.items[cut..]);
                User { key: u.key.clone(), items }
            })
            .collect();
        let what = match deletions.genre_wide_genres()[..] {
            [genre] if deletions.requests.len() == 1 => genre.name().to_string(),
            _ => deletions.name.clone(),
        };
        Dataset { name: format!("{}-without-{what}", self.name), items: self.items.clone(), users }
    }

    /// `cases` as a model that honours `deletions` is asked them: a case whose target falls under
    /// a deletion of its user is dropped (the model cannot be asked to predict it), the deleted
    /// items leave the other histories, and a case whose history is left empty is dropped.
    pub fn cases_after(&self, deletions: &DeletionSet, cases: Vec<EvalCase>) -> Vec<EvalCase> {
        if deletions.requests.is_empty() {
            return cases;
        }
        cases
            .into_iter()
            .filter(|c| !deletions.deletes(self, &self.users[c.user], c.target))
            .map(|mut case| {
                let user = &self.users[case.user];
                case.history.retain(|&item| !deletions.deletes(self, user, item));
                case
            })
            .filter(|case| !case.history.is_empty())
            .collect()
    }

    /// The page's sample: `users` users drawn with `seed`, in key order, with every item (so the
    /// vocabulary, and its fingerprint, stay the full dataset's). The CLI's `web-data` and the
    /// browser's preparation of a visitor's file both draw it here.
    pub fn web_sample(&self, users: usize, seed: u64) -> Dataset {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let mut sample = self.users.clone();
        sample.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        sample.truncate(users);
        sample.sort_by(|a, b| user_order(&a.key).cmp(&user_order(&b.key)));
        Dataset { name: format!("{}-web-{}", self.name, sample.len()), items: self.items.clone(), users: sample }
    }

    /// The dataset as JSON bytes (what [`Dataset::from_json`] reads).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|source| Error::Json { path: "dataset.json".into(), source })
    }

    /// Writes the dataset as JSON. Writes to a temporary file first and renames it, so a failed
    /// write never leaves a damaged file behind.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|source| Error::Json { path: path.to_path_buf(), source })?;
        crate::fsutil::write_atomically(path, &json)
    }

    /// Reads a dataset written by [`Dataset::save`].
    pub fn load(path: &Path) -> Result<Dataset> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Dataset::from_json(&bytes, path)
    }

    /// Parses a dataset from JSON bytes and checks it is consistent.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Dataset> {
        let dataset: Dataset = serde_json::from_slice(bytes).map_err(|source| Error::Json { path: path.to_path_buf(), source })?;
        let n = dataset.items.len() as u32;
        let check = |message: String| Error::DatasetCheck(format!("{}: {message}; prepare it again with `recforget data`", path.display()));
        let mut titles = std::collections::HashSet::new();
        if let Some(item) = dataset.items.iter().find(|i| !titles.insert(i.title.as_str())) {
            return Err(check(format!("the title `{}` names two items (titles are the items' keys)", item.title)));
        }
        let mut keys = std::collections::HashSet::new();
        if let Some(user) = dataset.users.iter().find(|u| !keys.insert(u.key.as_str())) {
            return Err(check(format!("the user key `{}` is given twice", user.key)));
        }
        for user in &dataset.users {
            if user.items.is_empty() {
                return Err(check(format!(
                    "user `{}` has no interactions (an empty history cannot be trained on or asked about)",
                    user.key
                )));
            }
            if let Some(bad) = user.items.iter().find(|i| i.0 >= n) {
                return Err(Error::DatasetCheck(format!(
                    "{}: user {} has item id {} but the vocabulary has {n} items",
                    path.display(),
                    user.key,
                    bad.0
                )));
            }
        }
        Ok(dataset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::GenreSet;

    #[test]
    fn deleting_a_genre_removes_its_items_from_histories_and_drops_empty_ones() {
        let item = |g: Genre| Item { title: format!("{g:?}"), genres: GenreSet::default().with(g) };
        let ds = Dataset {
            name: "t".into(),
            items: vec![item(Genre::Action), item(Genre::Drama)],
            users: vec![
                User { key: "a".into(), items: vec![ItemId(0), ItemId(1), ItemId(0), ItemId(1)] },
                User { key: "b".into(), items: vec![ItemId(0), ItemId(0), ItemId(1)] },
            ],
        };
        let cases = ds.delete_from_histories(ds.eval_cases(Split::Test), &[Genre::Action]);
        // User a keeps [1] before its target 1; user b's history [0, 0] is all Action: dropped.
        assert_eq!(cases.len(), 1);
        assert_eq!((cases[0].history.clone(), cases[0].target), (vec![ItemId(1)], ItemId(1)));
        assert_eq!(ds.delete_from_histories(ds.eval_cases(Split::Test), &[]).len(), 2);
    }

    #[test]
    fn a_dataset_with_a_title_or_user_key_twice_is_refused() {
        let json = |titles: [&str; 2], keys: [&str; 2]| {
            format!(
                r#"{{"name":"t","items":[{{"title":"{}","genres":1}},{{"title":"{}","genres":2}}],"users":[{{"key":"{}","items":[0,1,0]}},{{"key":"{}","items":[1,0,1]}}]}}"#,
                titles[0], titles[1], keys[0], keys[1]
            )
        };
        let path = Path::new("d.json");
        assert!(Dataset::from_json(json(["A", "B"], ["u", "v"]).as_bytes(), path).is_ok());
        let twice = Dataset::from_json(json(["A", "A"], ["u", "v"]).as_bytes(), path).unwrap_err().to_string();
        assert!(twice.contains("the title `A` names two items"), "{twice}");
        let twice = Dataset::from_json(json(["A", "B"], ["u", "u"]).as_bytes(), path).unwrap_err().to_string();
        assert!(twice.contains("the user key `u` is given twice"), "{twice}");
    }
}
