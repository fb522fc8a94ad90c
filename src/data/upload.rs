//! The visitor's own copy of MovieLens-1M, as a browser hands it over: GroupLens' `ml-1m.zip`
//! (or the `ratings.dat` and `movies.dat` inside it), or RecBole's atomic files `ml-1m.inter` and
//! `ml-1m.item`. Prepared by the same code as `recforget data`, and checked against the
//! vocabulary a checkpoint was trained on, so that a page serving no MovieLens file can still run.

use std::io::{Cursor, Read};
use std::path::Path;

use crate::data::Dataset;
use crate::data::source::{self, RawData, check_ml1m};
use crate::error::{Error, Result};

/// One file as picked or dropped: its name and contents.
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The most bytes one file may hold, as picked or as unpacked from a zip: RecBole's
/// `ml-1m.inter`, the largest file MovieLens-1M comes in, has 45 MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// The most bytes all the files together may unpack to (`ml-1m.inter` and `ml-1m.item` together
/// are 46 MB; GroupLens' files 25 MB).
pub const MAX_UNPACKED_BYTES: u64 = 96 << 20;

const EXPECTED: &str = "GroupLens' ml-1m.zip (or the ratings.dat and movies.dat inside it), or RecBole's ml-1m.inter and ml-1m.item";

/// The file whose name ends with `suffix` (a folder inside a zip is ignored).
fn named<'a>(files: &'a [UploadedFile], suffix: &str) -> Option<&'a UploadedFile> {
    files.iter().find(|f| f.name.rsplit(['/', '\\']).next().is_some_and(|base| base.eq_ignore_ascii_case(suffix)))
}

/// The files of a zip archive (GroupLens' `ml-1m.zip` holds `ml-1m/ratings.dat`, ...) that
/// MovieLens-1M comes in; every other entry is skipped unread. An entry's declared size only
/// refuses early, never sizes an allocation: each entry is read through a limit of
/// [`MAX_FILE_BYTES`] and all of them through [`MAX_UNPACKED_BYTES`], so a zip bomb or a lying
/// header stops at the limit with an error.
fn unzip(file: &UploadedFile) -> Result<Vec<UploadedFile>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(&file.bytes[..]))
        .map_err(|e| Error::NoDataSource(format!("{} is not a readable zip archive ({e}); expected {EXPECTED}", file.name)))?;
    let mut out = Vec::new();
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|e| Error::NoDataSource(format!("{} is damaged ({e}); download ml-1m.zip again", file.name)))?;
        let name = entry.name().to_string();
        let wanted = ["ratings.dat", "movies.dat", "ml-1m.inter", "ml-1m.item"];
        if entry.is_dir() || !wanted.iter().any(|w| name.to_ascii_lowercase().ends_with(w)) {
            continue;
        }
        let too_big = || {
            Error::NoDataSource(format!(
                "{}: {name} unpacks to more than {} MiB (all of it: {} MiB), far more than MovieLens-1M holds; this is not ml-1m.zip",
                file.name,
                MAX_FILE_BYTES >> 20,
                MAX_UNPACKED_BYTES >> 20
            ))
        };
        let limit = MAX_FILE_BYTES.min(MAX_UNPACKED_BYTES - unpacked);
        if entry.size() > limit {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        entry
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::NoDataSource(format!("{}: {name} could not be unpacked ({e}); download ml-1m.zip again", file.name)))?;
        if bytes.len() as u64 > limit {
            return Err(too_big());
        }
        unpacked += bytes.len() as u64;
        out.push(UploadedFile { name, bytes });
    }
    Ok(out)
}

/// Errors unless a file of `bytes` bytes may be read at all: no MovieLens-1M file is larger than
/// [`MAX_FILE_BYTES`]. The page asks before it reads a picked file into memory.
pub fn check_size(name: &str, bytes: u64) -> Result<()> {
    if bytes > MAX_FILE_BYTES {
        return Err(Error::NoDataSource(format!(
            "{name} has {} MiB, more than the {} MiB any MovieLens-1M file has; expected {EXPECTED}",
            bytes >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(())
}

/// The raw ratings and catalog in `files` (zips are opened), whichever of the accepted forms
/// they are in.
pub fn raw_from_files(files: Vec<UploadedFile>) -> Result<RawData> {
    let mut all = Vec::new();
    for file in files {
        check_size(&file.name, file.bytes.len() as u64)?;
        if file.bytes.starts_with(b"PK\x03\x04") {
            all.extend(unzip(&file)?);
        } else {
            all.push(file);
        }
    }
    if let (Some(ratings), Some(movies)) = (named(&all, "ratings.dat"), named(&all, "movies.dat")) {
        return source::read_official_bytes(&movies.bytes, Path::new(&movies.name), &ratings.bytes, Path::new(&ratings.name));
    }
    if let (Some(inter), Some(item)) = (named(&all, "ml-1m.inter"), named(&all, "ml-1m.item")) {
        return Ok(RawData {
            interactions: source::read_atomic_inter(&inter.bytes[..], Path::new(&inter.name))?,
            catalog: source::read_atomic_item(&item.bytes[..], Path::new(&item.name))?,
        });
    }
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    Err(Error::NoDataSource(format!(
        "expected {EXPECTED}; got {}",
        if names.is_empty() { "no usable file".to_string() } else { names.join(", ") }
    )))
}

/// MovieLens-1M prepared from the visitor's files exactly as `recforget data` prepares it, and
/// checked to be the vocabulary `fingerprint` (a checkpoint's) was trained on.
pub fn prepare_ml1m(files: Vec<UploadedFile>, fingerprint: u64) -> Result<Dataset> {
    let raw = raw_from_files(files)?;
    check_ml1m(&raw)?;
    let dataset = Dataset::from_raw("ml-1m", &raw, 5)?;
    if dataset.fingerprint() != fingerprint {
        return Err(Error::VocabularyMismatch { checkpoint: fingerprint, dataset: dataset.fingerprint() });
    }
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> UploadedFile {
        UploadedFile { name: name.into(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn reads_grouplens_files_loose_and_zipped() {
        let movies = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Heat (1995)::Action|Crime|Thriller\n";
        let ratings = "1::1::5::978300760\n1::2::3::978302109\n";
        let loose = raw_from_files(vec![file("ratings.dat", ratings), file("movies.dat", movies)]).unwrap();
        assert_eq!(loose.interactions.len(), 2);
        assert_eq!(loose.interactions[1].item, "Heat (1995)");

        let mut zipped = Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut zipped);
            let options = zip::write::SimpleFileOptions::default();
            for (name, text) in [("ml-1m/movies.dat", movies), ("ml-1m/ratings.dat", ratings), ("ml-1m/README", "x")] {
                writer.start_file(name, options).unwrap();
                std::io::Write::write_all(&mut writer, text.as_bytes()).unwrap();
            }
            writer.finish().unwrap();
        }
        let from_zip = raw_from_files(vec![UploadedFile { name: "ml-1m.zip".into(), bytes: zipped.into_inner() }]).unwrap();
        assert_eq!(from_zip.interactions, loose.interactions);
        assert_eq!(from_zip.catalog, loose.catalog);
    }

    #[test]
    fn wrong_or_damaged_files_say_what_was_expected() {
        let wrong = raw_from_files(vec![file("notes.txt", "hello")]).unwrap_err().to_string();
        assert!(wrong.contains("expected GroupLens' ml-1m.zip") && wrong.contains("notes.txt"), "{wrong}");
        let damaged = UploadedFile { name: "ml-1m.zip".into(), bytes: b"PK\x03\x04 truncated".to_vec() };
        let message = raw_from_files(vec![damaged]).unwrap_err().to_string();
        assert!(message.contains("ml-1m.zip"), "{message}");
        let partial = raw_from_files(vec![file("ratings.dat", "1::1::5::978300760\n"), file("movies.dat", "")]).unwrap_err();
        assert!(partial.to_string().contains("movie 1 is not in movies.dat"), "{partial}");
        // A few ratings are not MovieLens-1M.
        let few = prepare_ml1m(vec![file("ratings.dat", "1::1::5::978300760\n"), file("movies.dat", "1::A (1990)::Drama\n")], 0);
        assert!(few.unwrap_err().to_string().contains("MovieLens-1M has 1000209"));
    }

    /// A zip holding `entries`, deflated.
    fn zipped(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zipped = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut zipped);
        for (name, bytes) in entries {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut writer, bytes).unwrap();
        }
        writer.finish().unwrap();
        zipped.into_inner()
    }

    /// `zip` with every header's uncompressed size set to `size` (local header offset 22,
    /// central directory offset 24).
    fn declaring(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let starts: Vec<usize> = zip.windows(4).enumerate().filter(|(_, w)| w == signature).map(|(i, _)| i).collect();
            for start in starts {
                zip[start + offset..start + offset + 4].copy_from_slice(&size.to_le_bytes());
            }
        }
        zip
    }

    fn refusal(bytes: Vec<u8>) -> String {
        let started = std::time::Instant::now();
        let message = raw_from_files(vec![UploadedFile { name: "ml-1m.zip".into(), bytes }]).unwrap_err().to_string();
        assert!(started.elapsed().as_secs_f64() < 5.0, "took {:?}", started.elapsed());
        message
    }

    #[test]
    fn zip_bombs_lying_headers_and_huge_files_stop_at_the_limit() {
        // 200 MiB of zeros deflate to about 200 KB.
        let zeros = vec![0u8; 200 << 20];
        let bomb = zipped(&[("ml-1m/ratings.dat", &zeros), ("ml-1m/movies.dat", b"1::A (1990)::Drama\n")]);
        assert!(bomb.len() < 1 << 20);
        assert!(refusal(bomb.clone()).contains("unpacks to more than 64 MiB"));
        // Headers that say the entry is small: reading still stops at the limit.
        let lying = refusal(declaring(bomb.clone(), 100));
        assert!(lying.contains("unpacks to more than") || lying.contains("could not be unpacked"), "{lying}");
        // Headers that say 4 GiB: refused before reading, and nothing that size is allocated.
        assert!(refusal(declaring(bomb, u32::MAX)).contains("unpacks to more than"));
        // Several entries that each fit but together do not.
        let big = vec![b'1'; 50 << 20];
        let message = refusal(zipped(&[("a/ratings.dat", &big), ("b/ml-1m.inter", &big)]));
        assert!(message.contains("all of it: 96 MiB"), "{message}");
        // A picked file larger than any MovieLens-1M file is refused before it is parsed.
        let huge = raw_from_files(vec![UploadedFile { name: "ratings.dat".into(), bytes: vec![b'1'; (64 << 20) + 1] }]).unwrap_err();
        assert!(huge.to_string().contains("more than the 64 MiB"), "{huge}");
    }
}
