//! The refusal catalogue (`tests/fixtures/refusals.txt`): the CLI, run in a scratch folder laid
//! out like a clone, fails every case with the text the catalogue names and leaves every file of
//! the scratch folder as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch clone: `.git/`, a finished checkpoint, someone else's `src/` and `notes.txt`, a
/// results folder with its manifest, and a tiny dataset (`data.json`; `other.json` differs only
/// in its name).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(".git/HEAD", "ref: refs/heads/main\n");
    write("src/main.rs", "fn main() {}\n");
    write("notes.txt", "my notes\n");
    write("results/.recforget-output.json", r#"{"kind":"report","files":["report.md"]}"#);
    write("results/report.md", "# results\n");
    let dataset = |name: &str| {
        format!(
            r#"{{"name":"{name}","items":[{{"title":"A (1990)","genres":1}},{{"title":"B (1990)","genres":16}}],"users":[{{"key":"u1","items":[0,1,0,1,0,1]}},{{"key":"u2","items":[1,0,1,0,1,0]}}]}}"#
        )
    };
    write("data.json", &dataset("tiny"));
    // MovieLens files that are not MovieLens-1M as GroupLens ships it.
    write("ml-dup/movies.dat", "1::A (1990)::Drama\n1::B (1990)::Drama\n");
    write("ml-dup/ratings.dat", "1::1::5::10\n");
    write("ml-twice/movies.dat", "1::A (1990)::Drama\n");
    write("ml-twice/ratings.dat", "1::1::5::10\n1::1::4::11\n");
    write("ml-utf8/movies.dat", "1::Misérables, Les (1995)::Drama\n");
    write("ml-utf8/ratings.dat", "1::1::5::10\n");
    write("ml-few/movies.dat", "1::A (1990)::Drama\n");
    write("ml-few/ratings.dat", "1::1::5::10\n");
    write("other.json", &dataset("other"));
    write(
        "checkpoints/finished/meta.json",
        r#"{"dataset":"tiny","vocabularyFingerprint":1,"epochs":1,"seed":42,"trainSeconds":1.0,"command":"recforget train"}"#,
    );
    write("checkpoints/finished/config.json", "{}");
    // A model retrained without Action, and an edited one: neither may stand in for the original.
    let meta = |extra: &str| {
        format!(r#"{{"dataset":"tiny{extra}","vocabularyFingerprint":1,"epochs":1,"seed":42,"trainSeconds":1.0,"command":"recforget"}}"#)
    };
    write("checkpoints/retrained/meta.json", &meta("-without-Action"));
    write(
        "checkpoints/edited/meta.json",
        r#"{"dataset":"tiny","vocabularyFingerprint":1,"epochs":1,"seed":42,"trainSeconds":1.0,"command":"recforget","edit":{"method":"rows","forgot":"Action","original":"checkpoints/x"}}"#,
    );
    // A checkpoint whose weights no longer match their checksum.
    write(
        "checkpoints/damaged/meta.json",
        r#"{"dataset":"tiny","vocabularyFingerprint":1,"epochs":1,"seed":42,"trainSeconds":1.0,"command":"recforget","weightsChecksum":"0000000000000000"}"#,
    );
    write("checkpoints/damaged/config.json", "{}");
    write("checkpoints/damaged/model.bpk", "weights");
    write("ml-banana/movies.dat", "1::A (1990)::Drama\n");
    write("ml-banana/ratings.dat", "1::1::banana::10\n");
    write("ml-bom/movies.dat", "\u{feff}1::A (1990)::Drama\n");
    write("ml-bom/ratings.dat", "1::1::5::10\n");
    write("empty.json", r#"{"name":"empty","items":[{"title":"A (1990)","genres":1}],"users":[]}"#);
    write("checkpoints/finished/model.bpk", "weights");
    // Someone's safetensors file (a header without recforget's writer mark), and a user with no
    // interactions.
    let header = r#"{"__metadata__":{"format":"pt"}}"#;
    write("foreign.safetensors", &format!("{}\0\0\0\0\0\0\0{header}", char::from(header.len() as u8)));
    write(
        "hollow.json",
        r#"{"name":"hollow","items":[{"title":"A (1990)","genres":1}],"users":[{"key":"u1","items":[0,0,0]},{"key":"u2","items":[]}]}"#,
    );
    dir
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn every_case_of_the_catalogue_is_refused_and_leaves_everything_as_it_was() {
    let catalogue = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/refusals.txt")).unwrap();
    let cases: Vec<(&str, &str)> = catalogue
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(" | ").unwrap_or_else(|| panic!("`{l}`: a case is `arguments | expected text`")))
        .collect();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (args, expected) in cases {
        let dir = scratch();
        let before = snapshot(dir.path());
        let out = Command::new(env!("CARGO_BIN_EXE_recforget"))
            .args(args.split_whitespace())
            .current_dir(dir.path())
            .env("XDG_RUNTIME_DIR", "/tmp")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !stderr.contains(expected) {
            failures.push(format!("recforget {args}: exit {:?}, expected `{expected}` in:\n{stderr}", out.status.code()));
        } else if out.status.code() != Some(1) && out.status.code() != Some(2) {
            failures.push(format!("recforget {args}: exit {:?} (a crash, not a refusal)", out.status.code()));
        } else if snapshot(dir.path()) != before {
            failures.push(format!("recforget {args}: refused, but changed files in the scratch folder"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
