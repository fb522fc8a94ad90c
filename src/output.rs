//! Where recforget may write: a new or empty folder, or one it wrote itself — never a folder
//! holding anything else, never its own input, and never `/`, the working folder, a repository's
//! root or the home folder.
//!
//! recforget recognises its own folders by their content, not their name: a checkpoint by its
//! `meta.json` (and nothing but checkpoint files beside it); a site or a results folder by the
//! manifest [`MANIFEST`] that lists every file it wrote there.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::{write_atomically, write_files};

/// The manifest of a site or results folder: what kind it is, and the files recforget wrote.
pub const MANIFEST: &str = ".recforget-output.json";

/// What a folder recforget writes holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// A checkpoint (`train`, `retrain`, `forget --save`).
    Checkpoint,
    /// The static site (`site`).
    Site,
    /// Results pages with their JSON and charts (`report`).
    Report,
}

impl OutputKind {
    fn noun(self) -> &'static str {
        match self {
            OutputKind::Checkpoint => "checkpoint",
            OutputKind::Site => "site",
            OutputKind::Report => "results folder",
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    kind: Option<OutputKind>,
    files: BTreeSet<String>,
}

/// The files a checkpoint folder may hold (`resume/` holds the resume files).
const CHECKPOINT_FILES: [&str; 7] = ["config.json", "meta.json", "model.bpk", "optimizer.bpk", "state.json", ".commit", "resume"];

fn refuse(dir: &Path, why: impl std::fmt::Display) -> Error {
    Error::Output { path: dir.to_path_buf(), message: why.to_string() }
}

/// `path` made absolute and free of `.`/`..`, following links in the part that exists.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name().map(ToOwned::to_owned), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        match Path::new(&name).components().next() {
            Some(Component::ParentDir) => {
                resolved.pop();
            }
            Some(Component::CurDir) | None => {}
            _ => resolved.push(name),
        }
    }
    resolved
}

/// Checks that recforget may write `kind` into `dir`, reading `inputs`: errors (saying why and
/// what to do) when `dir` is `/`, the working folder, a repository's root or the home folder,
/// when it is, holds or lies inside one of `inputs`, or when it holds anything recforget did not
/// write as a `kind` (a finished checkpoint counts as written unless `resumable` files are
/// expected: then only a folder with resume files may be trained on).
pub fn claim(dir: &Path, kind: OutputKind, inputs: &[&Path]) -> Result<()> {
    let at = resolve(dir);
    let home = std::env::var_os("HOME").map(|h| resolve(Path::new(&h)));
    let cwd = resolve(Path::new("."));
    if at.parent().is_none() || Some(&at) == home.as_ref() || at == cwd || at.join(".git").exists() {
        return Err(refuse(
            dir,
            format!("is the root, the home folder, the working folder or a repository; write the {} into a folder of its own", kind.noun()),
        ));
    }
    for input in inputs {
        let input = resolve(input);
        if input.starts_with(&at) || at.starts_with(&input) {
            return Err(refuse(dir, format!("is or holds this command's input {}; write the output elsewhere", input.display())));
        }
    }
    if !at.exists() {
        return Ok(());
    }
    if !at.is_dir() {
        return Err(refuse(dir, format!("is a file, not a folder; name a new folder for the {}", kind.noun())));
    }
    let foreign = foreign_files(&at, kind)?;
    match foreign.first() {
        None => Ok(()),
        Some(first) => Err(refuse(
            dir,
            format!(
                "holds {} file(s) recforget did not write as a {} (e.g. {first}); choose a new or empty folder, or move them away yourself",
                foreign.len(),
                kind.noun()
            ),
        )),
    }
}

/// Checks that recforget may write the file `path`: not a folder, not one of `inputs` or inside
/// one, and, when it exists, a file `is_ours` recognises as recforget's own output.
pub fn claim_file(path: &Path, inputs: &[&Path], is_ours: impl Fn(&[u8]) -> bool) -> Result<()> {
    let at = resolve(path);
    if at.is_dir() {
        return Err(refuse(path, "is a folder; name a file"));
    }
    for input in inputs {
        let input = resolve(input);
        if at.starts_with(&input) || input == at {
            return Err(refuse(path, format!("is or lies inside this command's input {}; write the output elsewhere", input.display())));
        }
    }
    if at.exists() && !std::fs::read(&at).is_ok_and(|bytes| is_ours(&bytes)) {
        return Err(refuse(path, "is a file recforget did not write; choose a new file name, or move it away yourself"));
    }
    Ok(())
}

/// The files under `dir` (relative paths) that recforget did not write as a `kind`.
fn foreign_files(dir: &Path, kind: OutputKind) -> Result<Vec<String>> {
    let files = files_under(dir)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let known: Box<dyn Fn(&str) -> bool> = match kind {
        OutputKind::Checkpoint => {
            if crate::checkpoint::CheckpointMeta::load(dir).is_err() && !dir.join("resume").is_dir() {
                return Ok(files);
            }
            Box::new(|f: &str| {
                let f = f.strip_suffix(".partial").unwrap_or(f);
                let mut parts = f.split('/');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(name), None, _) => CHECKPOINT_FILES.contains(&name) && name != "resume",
                    (Some("resume"), Some(name), None) => CHECKPOINT_FILES.contains(&name),
                    _ => false,
                }
            })
        }
        OutputKind::Site | OutputKind::Report => {
            let manifest = read_manifest(dir);
            if manifest.as_ref().and_then(|m| m.kind) != Some(kind) {
                return Ok(files);
            }
            let listed = manifest.map(|m| m.files).unwrap_or_default();
            // A write stopped part-way leaves its `.partial` files, the manifest's and the journal's too.
            Box::new(move |f: &str| {
                let f = f.strip_suffix(".partial").unwrap_or(f);
                f == MANIFEST || f == crate::fsutil::COMMIT_MARK || listed.contains(f)
            })
        }
    };
    Ok(files.into_iter().filter(|f| !known(f)).collect())
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).ok()?).ok()
}

/// Every file and link under `dir`, as paths relative to it with `/` between folders.
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))? {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            let path = entry.path();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                out.push(relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes `files` (names relative to `dir`) into a results folder as one journaled set after
/// [`claim`]ing it, and lists them in its manifest beside what earlier reports wrote there. The
/// manifest is written first, so a write stopped part-way leaves nothing it does not list.
pub fn write_report(dir: &Path, files: &[(String, Vec<u8>)], inputs: &[&Path]) -> Result<()> {
    claim(dir, OutputKind::Report, inputs)?;
    let mut manifest = read_manifest(dir).unwrap_or_default();
    manifest.kind = Some(OutputKind::Report);
    manifest.files.extend(files.iter().map(|(name, _)| name.clone()));
    write_manifest(dir, &manifest)?;
    let parts: Vec<(&str, &[u8])> = files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())).collect();
    write_files(dir, &parts)
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(manifest).map_err(|source| Error::Json { path: dir.join(MANIFEST), source })?;
    write_atomically(&dir.join(MANIFEST), &bytes)
}

/// Replaces the folder `dir` as a whole with what `fill` writes into a fresh sibling: `dir` is
/// [`claim`]ed first, and swapped for the new folder only once `fill` succeeded, so a failure
/// leaves the previous folder as it was. The new folder's manifest lists every file in it.
///
/// The swap is two renames (`dir` aside to `.NAME.recforget-old`, the new folder into place).
/// A failed second rename puts the previous folder back; a stop between them leaves it aside,
/// and the next call puts it back before anything else.
pub fn replace_folder<E: From<Error>>(
    dir: &Path,
    kind: OutputKind,
    inputs: &[&Path],
    fill: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let at = resolve(dir);
    let name = at.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = at.parent().map(Path::to_path_buf).unwrap_or_default();
    let fresh = parent.join(format!(".{name}.recforget-new"));
    let old = parent.join(format!(".{name}.recforget-old"));
    if old.exists() && !at.exists() {
        std::fs::rename(&old, &at).map_err(|e| Error::io(&at, e))?;
    }
    claim(dir, kind, inputs)?;
    for leftover in [&fresh, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).map_err(|e| Error::io(leftover, e))?;
        }
    }
    std::fs::create_dir_all(&fresh).map_err(|e| Error::io(&fresh, e))?;
    if let Err(e) = fill(&fresh) {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    let manifest = Manifest { kind: Some(kind), files: files_under(&fresh)?.into_iter().collect() };
    write_manifest(&fresh, &manifest)?;
    let had_one = at.exists();
    if had_one {
        std::fs::rename(&at, &old).map_err(|e| Error::io(&at, e))?;
    }
    if let Err(e) = std::fs::rename(&fresh, &at) {
        if had_one {
            let _ = std::fs::rename(&old, &at);
        }
        return Err(Error::io(&at, e).into());
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_root_the_home_a_repository_and_its_input() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        for dir in [Path::new("/"), repo.as_path()] {
            let err = claim(dir, OutputKind::Site, &[]).unwrap_err().to_string();
            assert!(err.contains("repository"), "{err}");
        }
        let input = tmp.path().join("in");
        std::fs::create_dir_all(&input).unwrap();
        assert!(claim(&input, OutputKind::Checkpoint, &[&input]).unwrap_err().to_string().contains("input"));
        assert!(claim(tmp.path(), OutputKind::Checkpoint, &[&input]).unwrap_err().to_string().contains("input"));
        assert!(claim(&input.join("sub"), OutputKind::Checkpoint, &[&input]).unwrap_err().to_string().contains("input"));
        // A new folder and an empty one are fine.
        claim(&tmp.path().join("new"), OutputKind::Site, &[]).unwrap();
        claim(&input, OutputKind::Site, &[]).unwrap();
    }

    #[test]
    fn refuses_a_folder_of_someone_elses_files_and_replaces_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("thesis.tex"), "mine").unwrap();
        let err = replace_folder(&dir, OutputKind::Site, &[], |_| Ok::<(), Error>(())).unwrap_err().to_string();
        assert!(err.contains("thesis.tex") && err.contains("did not write"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.join("thesis.tex")).unwrap(), "mine");
        std::fs::remove_file(dir.join("thesis.tex")).unwrap();
        let fill = |text: &'static str| move |at: &Path| -> Result<()> { write_atomically(&at.join("a/index.html"), text.as_bytes()) };
        replace_folder(&dir, OutputKind::Site, &[], fill("one")).unwrap();
        replace_folder(&dir, OutputKind::Site, &[], fill("two")).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a/index.html")).unwrap(), "two");
        // A failing fill leaves the previous site; a site is not a results folder.
        let failed: Result<()> = replace_folder(&dir, OutputKind::Site, &[], |_| Err(Error::Config("no".into())));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(dir.join("a/index.html")).unwrap(), "two");
        assert!(claim(&dir, OutputKind::Report, &[]).is_err());
        // A file added by hand makes it someone else's again.
        std::fs::write(dir.join("a/notes.txt"), "mine").unwrap();
        assert!(claim(&dir, OutputKind::Site, &[]).unwrap_err().to_string().contains("notes.txt"));
    }

    #[test]
    fn a_swap_stopped_between_its_renames_puts_the_previous_folder_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        let fill = |text: &'static str| move |at: &Path| -> Result<()> { write_atomically(&at.join("index.html"), text.as_bytes()) };
        replace_folder(&dir, OutputKind::Site, &[], fill("one")).unwrap();
        // Stopped after the first rename: the site is aside.
        std::fs::rename(&dir, tmp.path().join(".site.recforget-old")).unwrap();
        let failed: Result<()> = replace_folder(&dir, OutputKind::Site, &[], |_| Err(Error::Config("no".into())));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(dir.join("index.html")).unwrap(), "one");
        assert!(!tmp.path().join(".site.recforget-old").exists());
    }

    #[test]
    fn a_results_folder_grows_by_report_and_keeps_its_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("results");
        write_report(&dir, &[("report.md".into(), b"# r".to_vec())], &[]).unwrap();
        write_report(&dir, &[("methods.md".into(), b"# m".to_vec())], &[]).unwrap();
        claim(&dir, OutputKind::Report, &[]).unwrap();
        std::fs::write(dir.join("draft.md"), "mine").unwrap();
        assert!(write_report(&dir, &[("report.md".into(), b"# r2".to_vec())], &[]).is_err());
        assert_eq!(std::fs::read_to_string(dir.join("report.md")).unwrap(), "# r");
    }

    #[test]
    fn a_report_stopped_at_any_point_leaves_a_folder_the_next_report_writes() {
        use crate::fsutil::{CrashAfter, write_files_until};
        for n in 0..12 {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("results");
            write_report(&dir, &[("report.md".into(), b"# r".to_vec())], &[]).unwrap();
            // A new file's report stopped part-way (after its manifest, as write_report orders it),
            // and a manifest write stopped part-way.
            let mut manifest = read_manifest(&dir).unwrap();
            manifest.files.insert("deletion.json".into());
            write_manifest(&dir, &manifest).unwrap();
            let _ = write_files_until(&dir, &[("deletion.json", b"{}"), ("report.md", b"# r2")], &mut CrashAfter(Some(n)));
            std::fs::write(dir.join(format!("{MANIFEST}.partial")), "{").unwrap();
            write_report(&dir, &[("deletion.json".into(), b"{\"a\": 1}".to_vec())], &[])
                .unwrap_or_else(|e| panic!("after a stop at {n}: {e}"));
            assert_eq!(std::fs::read_to_string(dir.join("deletion.json")).unwrap(), "{\"a\": 1}");
        }
    }
}
