//! Deletion requests: which users' interactions leave training, and which of them.
//!
//! Genre-wide forgetting is the deletion "every user, genre G"; a person's request is "this user,
//! all" or "this user, genre G". The deleted interactions leave the histories that every unlearned
//! and retrained model is given; the items themselves stay in the vocabulary for everyone.

use std::fmt;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Genre, ItemId, User};
use crate::error::{Error, Result};

/// Which of a user's interactions a deletion removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Every interaction.
    All,
    /// The interactions with items of one genre.
    Genre(Genre),
}

impl Scope {
    /// Whether an interaction with `item` falls under the scope.
    pub fn covers(self, dataset: &Dataset, item: ItemId) -> bool {
        match self {
            Scope::All => true,
            Scope::Genre(genre) => dataset.has_genre(item, genre),
        }
    }
}

impl Scope {
    /// `all`, or the genre's MovieLens name: what the CLI's `--scope` and the page take.
    pub fn name(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Genre(genre) => genre.name(),
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = Error;

    /// `all` (any case), or a genre as MovieLens names it.
    fn from_str(s: &str) -> Result<Scope> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Scope::All);
        }
        s.parse().map(Scope::Genre).map_err(|e| Error::Config(format!("scope: `all`, or a genre ({e})")))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all interactions"),
            Scope::Genre(genre) => write!(f, "{genre} interactions"),
        }
    }
}

/// Whose interactions a deletion removes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Users {
    /// Every user (genre-wide forgetting).
    Everyone,
    /// The users with these keys (`1m_42`), in key order.
    Keys(Vec<String>),
}

/// One deletion request: which users, and which of their interactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub users: Users,
    pub scope: Scope,
}

impl Deletion {
    /// Genre-wide forgetting: every user's interactions with the genre.
    pub fn genre_wide(genre: Genre) -> Deletion {
        Deletion { users: Users::Everyone, scope: Scope::Genre(genre) }
    }

    /// Whether the deletion reaches `user` at all.
    pub fn reaches(&self, user: &User) -> bool {
        match &self.users {
            Users::Everyone => true,
            Users::Keys(keys) => keys.binary_search(&user.key).is_ok(),
        }
    }

    /// The genre when this is genre-wide forgetting.
    pub fn genre_wide_genre(&self) -> Option<Genre> {
        match (&self.users, self.scope) {
            (Users::Everyone, Scope::Genre(genre)) => Some(genre),
            _ => None,
        }
    }
}

/// A set of deletion requests applied together (e.g. the audit's deletion set D).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionSet {
    /// A short name for folder and dataset names (`deletion-set`, `action`).
    pub name: String,
    pub requests: Vec<Deletion>,
}

/// How the standard deletion set D is drawn from the page's sample: users per scope, and the seed.
pub const DELETION_SET: (usize, u64) = (100, 27);

/// The genre of D's second half.
pub const DELETION_SET_GENRE: Genre = Genre::Action;

impl DeletionSet {
    /// Genre-wide forgetting of one genre.
    pub fn genre_wide(genre: Genre) -> DeletionSet {
        DeletionSet { name: genre.slug(), requests: vec![Deletion::genre_wide(genre)] }
    }

    /// The standard deletion set D, drawn from the page's sample (`sample`: the users of
    /// [`Dataset::web_sample`], the same whether drawn natively or in the browser): the sample's
    /// users shuffled with the seed of [`DELETION_SET`]; the first `per_scope` delete all their
    /// interactions, and the next `per_scope` who have a training interaction with an
    /// [`DELETION_SET_GENRE`] film delete those.
    pub fn standard(sample: &Dataset) -> DeletionSet {
        let (per_scope, seed) = DELETION_SET;
        let mut order: Vec<&User> = sample.users.iter().collect();
        order.sort_by(|a, b| a.key.cmp(&b.key));
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let all: Vec<&User> = order.iter().copied().take(per_scope).collect();
        let genre: Vec<&User> = order[all.len()..]
            .iter()
            .copied()
            .filter(|u| training_part(u).iter().any(|&i| sample.has_genre(i, DELETION_SET_GENRE)))
            .take(per_scope)
            .collect();
        let keys = |users: Vec<&User>| {
            let mut keys: Vec<String> = users.into_iter().map(|u| u.key.clone()).collect();
            keys.sort();
            Users::Keys(keys)
        };
        DeletionSet {
            name: "deletion-set".into(),
            requests: vec![
                Deletion { users: keys(all), scope: Scope::All },
                Deletion { users: keys(genre), scope: Scope::Genre(DELETION_SET_GENRE) },
            ],
        }
    }

    /// Reads a deletion set from JSON (the shape [`DeletionSet`] serialises to).
    pub fn load(path: &Path) -> Result<DeletionSet> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut set: DeletionSet = serde_json::from_slice(&bytes).map_err(|source| Error::Json { path: path.to_path_buf(), source })?;
        for request in &mut set.requests {
            if let Users::Keys(keys) = &mut request.users {
                keys.sort();
                keys.dedup();
            }
        }
        Ok(set)
    }

    /// Whether the interaction of `user` with `item` is deleted.
    pub fn deletes(&self, dataset: &Dataset, user: &User, item: ItemId) -> bool {
        self.requests.iter().any(|r| r.scope.covers(dataset, item) && r.reaches(user))
    }

    /// The requests' scopes that reach `user` (empty: the user deleted nothing).
    pub fn scopes_of<'a>(&'a self, user: &'a User) -> impl Iterator<Item = Scope> + 'a {
        self.requests.iter().filter(move |r| r.reaches(user)).map(|r| r.scope)
    }

    /// The genres deleted for everyone (genre-wide requests).
    pub fn genre_wide_genres(&self) -> Vec<Genre> {
        self.requests.iter().filter_map(Deletion::genre_wide_genre).collect()
    }

    /// Errors when a named user is not in `dataset`, or the set deletes nothing.
    pub fn check(&self, dataset: &Dataset) -> Result<()> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(Error::Config(format!(
                "the deletion set's name {:?} must be lower-case letters, digits and '-' (it names folders)",
                self.name
            )));
        }
        if self.requests.is_empty() {
            return Err(Error::Config("the deletion set has no request: name users and a scope".into()));
        }
        for request in &self.requests {
            if let Users::Keys(keys) = &request.users {
                if keys.is_empty() {
                    return Err(Error::Config(format!("a deletion of {} names no user", request.scope)));
                }
                if let Some(missing) = keys.iter().find(|k| !dataset.users.iter().any(|u| &u.key == *k)) {
                    return Err(Error::Config(format!(
                        "the deletion set names user {missing}, who is not in the dataset {}",
                        dataset.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A user's training part under leave-one-out (all but the last two items).
fn training_part(user: &User) -> &[ItemId] {
    &user.items[..user.items.len().saturating_sub(2)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{GenreSet, Item};

    fn dataset() -> Dataset {
        let item = |g: Genre| Item { title: format!("{g:?}"), genres: GenreSet::default().with(g) };
        let users = (0..40).map(|u| User { key: format!("u{u:02}"), items: (0..6).map(|i| ItemId((u + i) % 2)).collect() }).collect();
        Dataset { name: "t".into(), items: vec![item(Genre::Action), item(Genre::Drama)], users }
    }

    #[test]
    fn the_standard_set_is_seeded_disjoint_and_deletes_what_it_says() {
        let ds = dataset();
        let set = DeletionSet::standard(&ds);
        assert_eq!(set, DeletionSet::standard(&ds));
        let [all, action] = &set.requests[..] else { panic!("two requests") };
        let (Users::Keys(a), Users::Keys(b)) = (&all.users, &action.users) else { panic!("keys") };
        // 40 users: 40 all, none left for Action (per scope is 100).
        assert_eq!((a.len(), b.len()), (40, 0));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((all.scope, action.scope), (Scope::All, Scope::Genre(Genre::Action)));
        let user = &ds.users[0];
        assert!(set.deletes(&ds, user, ItemId(1)));
    }

    #[test]
    fn a_user_scope_deletes_only_that_users_genre() {
        let ds = dataset();
        let set = DeletionSet {
            name: "x".into(),
            requests: vec![Deletion { users: Users::Keys(vec!["u01".into()]), scope: Scope::Genre(Genre::Action) }],
        };
        let (u0, u1) = (&ds.users[0], &ds.users[1]);
        assert!(set.deletes(&ds, u1, ItemId(0)) && !set.deletes(&ds, u1, ItemId(1)));
        assert!(!set.deletes(&ds, u0, ItemId(0)));
        set.check(&ds).unwrap();
        let missing = DeletionSet { requests: vec![Deletion { users: Users::Keys(vec!["nobody".into()]), scope: Scope::All }], ..set };
        assert!(missing.check(&ds).unwrap_err().to_string().contains("nobody"));
    }
}
