//! MovieLens' 18 genres, as a typed enum and a compact set.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use crate::error::Error;

/// One of the 18 MovieLens genres.
/// Variants are in MovieLens' order; each is named as MovieLens writes it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::EnumCount,
    strum::IntoStaticStr,
    strum::Display,
)]
pub enum Genre {
    Action,
    Adventure,
    Animation,
    #[strum(serialize = "Children's")]
    Children,
    Comedy,
    Crime,
    Documentary,
    Drama,
    Fantasy,
    #[strum(serialize = "Film-Noir")]
    FilmNoir,
    Horror,
    Musical,
    Mystery,
    Romance,
    #[strum(serialize = "Sci-Fi")]
    SciFi,
    Thriller,
    War,
    Western,
}

impl Genre {
    /// The name as MovieLens writes it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The name in file and folder names: lower case, no apostrophe (`childrens`, `sci-fi`).
    pub fn slug(self) -> String {
        self.name().to_lowercase().replace('\'', "")
    }
}

impl FromStr for Genre {
    type Err = Error;

    /// Accepts MovieLens' spelling and forgiving variants: case, `'`, `-` and spaces are ignored
    /// (`sci-fi`, `SciFi`, `childrens`, `film noir`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fold = |t: &str| t.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect::<String>();
        let wanted = fold(s);
        Genre::iter()
            .find(|g| fold(g.name()) == wanted || (wanted == "childrens" && *g == Genre::Children))
            .ok_or_else(|| Error::UnknownGenre(s.to_string()))
    }
}

/// A set of genres as an 18-bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GenreSet(u32);

impl GenreSet {
    /// The empty set.
    pub const EMPTY: GenreSet = GenreSet(0);

    /// Whether `genre` is in the set.
    pub fn contains(self, genre: Genre) -> bool {
        self.0 & (1 << genre as u32) != 0
    }

    /// The set with `genre` added.
    pub fn with(self, genre: Genre) -> GenreSet {
        GenreSet(self.0 | (1 << genre as u32))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The genres in the set, in MovieLens' order.
    pub fn iter(self) -> impl Iterator<Item = Genre> {
        Genre::iter().filter(move |g| self.contains(*g))
    }
}

impl FromIterator<Genre> for GenreSet {
    fn from_iter<T: IntoIterator<Item = Genre>>(iter: T) -> Self {
        iter.into_iter().fold(GenreSet::EMPTY, GenreSet::with)
    }
}

impl fmt::Display for GenreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Genre::name).collect();
        f.write_str(&names.join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_movielens_names_and_variants() {
        for (g, name) in Genre::iter().map(|g| (g, g.name())) {
            assert_eq!(name.parse::<Genre>().unwrap(), g);
        }
        assert_eq!("sci-fi".parse::<Genre>().unwrap(), Genre::SciFi);
        assert_eq!("childrens".parse::<Genre>().unwrap(), Genre::Children);
        assert_eq!("film noir".parse::<Genre>().unwrap(), Genre::FilmNoir);
        let err = "Cooking".parse::<Genre>().unwrap_err().to_string();
        assert!(err.contains("Cooking") && err.contains("Sci-Fi"), "{err}");
    }

    #[test]
    fn set_round_trips() {
        let set: GenreSet = [Genre::Comedy, Genre::Action].into_iter().collect();
        assert!(set.contains(Genre::Action) && !set.contains(Genre::Drama));
        assert_eq!(set.to_string(), "Action|Comedy");
    }
}
