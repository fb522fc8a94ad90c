//! Writing files so that a crash at any byte leaves the previous version readable.
//!
//! One file: [`write_atomically`] writes a temporary sibling and renames it into place. Several
//! files that must agree (a checkpoint's config, weights and meta; the resume files):
//! [`write_files`] journals them.
//!
//! ```text
//! 1. every file to <name>.partial              crash here: the old files stand, partials ignored
//! 2. .commit.partial → .commit (names listed)  the commit point (a rename)
//! 3. each <name>.partial → <name>              crash here: readers take the partials .commit lists
//! 4. .commit removed
//! ```
//!
//! Readers go through [`read_committed`], which sees exactly the last whole write; the next
//! [`write_files`] into the folder first finishes (after 2) or discards (before 2) an
//! interrupted one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The journal's commit mark inside a folder written by [`write_files`].
pub const COMMIT_MARK: &str = ".commit";
const PARTIAL: &str = ".partial";

/// How many more units of work (a byte written, a rename) may happen before a simulated crash;
/// `None`: no limit. Tests use it to stop a write at every point.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrashAfter(pub Option<usize>);

impl CrashAfter {
    fn spend(&mut self, units: usize) -> std::io::Result<usize> {
        match &mut self.0 {
            None => Ok(units),
            Some(0) => Err(std::io::Error::other("simulated crash")),
            Some(left) => {
                let spent = units.min(*left);
                *left -= spent;
                Ok(spent)
            }
        }
    }
}

fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(PARTIAL);
    PathBuf::from(name)
}

fn write_file(path: &Path, bytes: &[u8], crash: &mut CrashAfter) -> Result<()> {
    let io = |e| Error::io(path, e);
    let mut file = std::fs::File::create(path).map_err(io)?;
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = crash.spend(rest.len().min(1 << 16)).map_err(io)?;
        file.write_all(&rest[..n]).map_err(io)?;
        rest = &rest[n..];
    }
    file.sync_all().map_err(io)
}

fn rename(from: &Path, to: &Path, crash: &mut CrashAfter) -> Result<()> {
    crash.spend(1).map_err(|e| Error::io(to, e))?;
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))
}

fn create_parent(path: &Path) -> Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e)),
        None => Ok(()),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// readers never see a half-written file and a failed write leaves the old file intact.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_until(path, bytes, &mut CrashAfter::default())
}

/// [`write_atomically`], stopping with an error where `crash` runs out.
pub fn write_atomically_until(path: &Path, bytes: &[u8], crash: &mut CrashAfter) -> Result<()> {
    create_parent(path)?;
    let tmp = partial(path);
    write_file(&tmp, bytes, crash)?;
    rename(&tmp, path, crash)
}

/// Writes several files into `dir` as one: after a crash at any point, [`read_committed`] reads
/// either all the old files or all the new ones (see the module's journal).
pub fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    write_files_until(dir, files, &mut CrashAfter::default())
}

/// [`write_files`], stopping with an error where `crash` runs out.
pub fn write_files_until(dir: &Path, files: &[(&str, &[u8])], crash: &mut CrashAfter) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    recover(dir)?;
    for (name, bytes) in files {
        write_file(&partial(&dir.join(name)), bytes, crash)?;
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    write_atomically_until(&dir.join(COMMIT_MARK), names.join("\n").as_bytes(), crash)?;
    finish(dir, &names, crash)
}

/// Step 3 and 4 of the journal: the committed partials into place, then the mark removed.
fn finish(dir: &Path, names: &[&str], crash: &mut CrashAfter) -> Result<()> {
    for name in names {
        let from = partial(&dir.join(name));
        if from.exists() {
            rename(&from, &dir.join(name), crash)?;
        }
    }
    crash.spend(1).map_err(|e| Error::io(dir, e))?;
    let mark = dir.join(COMMIT_MARK);
    std::fs::remove_file(&mark).map_err(|e| Error::io(&mark, e))
}

/// The names an unfinished commit lists, when `dir` has one.
fn committed_names(dir: &Path) -> Result<Option<Vec<String>>> {
    let mark = dir.join(COMMIT_MARK);
    match std::fs::read_to_string(&mark) {
        Ok(text) => Ok(Some(text.lines().map(str::to_string).collect())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&mark, e)),
    }
}

/// Finishes a write that passed its commit point, or discards the partials of one that did not.
pub fn recover(dir: &Path) -> Result<()> {
    if let Some(names) = committed_names(dir)? {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        return finish(dir, &names, &mut CrashAfter::default());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() && path.to_string_lossy().ends_with(PARTIAL) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// Reads `name` in `dir` as the last whole [`write_files`] left it (never half of a write).
pub fn read_committed(dir: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(committed_path(dir, name))
}

/// Where `name` in `dir` is as the last whole [`write_files`] left it: the file itself, or its
/// staged copy while a commit is being finished.
pub fn committed_path(dir: &Path, name: &str) -> PathBuf {
    let listed = committed_names(dir).ok().flatten().is_some_and(|names| names.iter().any(|n| n == name));
    let staged = partial(&dir.join(name));
    if listed && staged.exists() { staged } else { dir.join(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(dir: &Path) -> Vec<Vec<u8>> {
        ["a", "b", "c"].iter().map(|n| read_committed(dir, n).unwrap()).collect()
    }

    #[test]
    fn a_crash_at_any_point_leaves_the_old_files_or_the_new_ones() {
        let old: [&[u8]; 3] = [b"old a", b"old bbbbbb", b"old c"];
        let new: [&[u8]; 3] = [b"new aaaa", b"new b", b"new cccccccc"];
        let pairs = |v: [&'static [u8]; 3]| -> Vec<(&'static str, &'static [u8])> { vec![("a", v[0]), ("b", v[1]), ("c", v[2])] };
        let (mut saw_old, mut saw_new) = (false, false);
        for n in 0..80 {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            write_files(dir, &pairs(old)).unwrap();
            let crashed = write_files_until(dir, &pairs(new), &mut CrashAfter(Some(n))).is_err();
            let seen = read_all(dir);
            let is = |v: [&[u8]; 3]| seen.iter().zip(v).all(|(s, v)| s == v);
            assert!(is(old) || is(new), "after a crash at unit {n}: {seen:?}");
            saw_old |= is(old);
            saw_new |= is(new);
            // The next write recovers whatever was left, and succeeds.
            write_files(dir, &pairs(old)).unwrap();
            assert!(read_all(dir).iter().zip(old).all(|(s, v)| s == v));
            assert!(!dir.join(COMMIT_MARK).exists());
            if !crashed {
                break;
            }
        }
        assert!(saw_old && saw_new);
    }

    #[test]
    fn one_file_is_replaced_whole_or_not_at_all() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        write_atomically(&path, b"before").unwrap();
        for n in 0..10 {
            let _ = write_atomically_until(&path, b"after!", &mut CrashAfter(Some(n)));
            let seen = std::fs::read(&path).unwrap();
            assert!(seen == b"before" || seen == b"after!", "{seen:?}");
        }
    }
}
