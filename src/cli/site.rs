//! `recforget site`: the page as a static site any host can serve — the page, its wasm, the
//! checkpoints it uses and the results pages as HTML — with nothing derived from MovieLens, so it
//! may be published (the visitor gives the page their own copy of the data).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use recforget::data::Dataset;
use recforget::output::{self, OutputKind};
use recforget::report::html::markdown_page;

use super::common::DEFAULT_DATA;

#[derive(Args, Debug)]
pub(crate) struct SiteArgs {
    /// The folder to write: new, empty, or an earlier site (replaced as a whole once the new one
    /// is complete). A folder holding anything else is refused.
    #[arg(long, default_value = "site")]
    pub(crate) out: PathBuf,
    /// The prepared dataset, read only to check that none of its titles or user keys reached the
    /// site (when it exists).
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
}

/// The checkpoint files the page loads (no resume files).
const CHECKPOINT_FILES: [&str; 3] = ["config.json", "meta.json", "model.bpk"];

fn copy(from: &Path, to: &Path) -> Result<u64> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to).with_context(|| format!("cannot copy {} (build the page first: scripts/build-web.sh)", from.display()))
}

/// What the site is made of: refused as its output folder, and never written.
const INPUTS: [&str; 7] = ["index.html", "sw.js", "www", "pkg", "pkg-threads", "checkpoints", "results"];

pub(crate) fn site(args: SiteArgs) -> Result<()> {
    let out = &args.out;
    // Only the default may be absent (a clone without the data): a dataset named on purpose that
    // is not there would silently weaken the check that nothing of MovieLens is published.
    if !args.data.exists() && args.data != Path::new(DEFAULT_DATA) {
        bail!("--data {} does not exist; name the prepared dataset to check the site against, or leave --data out", args.data.display());
    }
    let mut files = vec![
        PathBuf::from("index.html"),
        PathBuf::from("sw.js"),
        PathBuf::from("www/main.js"),
        PathBuf::from("www/text.js"),
        PathBuf::from("www/worker.js"),
        PathBuf::from("www/style.css"),
        PathBuf::from("pkg/recforget.js"),
        PathBuf::from("pkg/recforget_bg.wasm"),
    ];
    // The original and every retrained BERT4Rec without a genre the page loads. Not the
    // baselines, not the second seeds (the noise floor is the report's), and not the model
    // retrained without the deletion set D: its record names MovieLens users, which may not be
    // published, so the static site's Forget me has no exact reference (the local demo has).
    let mut checkpoints = vec![PathBuf::from("checkpoints/bert4rec-ml1m")];
    for entry in std::fs::read_dir("checkpoints")? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // `retrain-<genre>` only: `retrain-action-seed2` and `retrain-deletion-set` name no genre.
        if name.strip_prefix("retrain-").is_some_and(|g| g.parse::<recforget::data::Genre>().is_ok()) {
            checkpoints.push(path);
        }
    }
    checkpoints.sort();
    for dir in &checkpoints {
        files.extend(CHECKPOINT_FILES.iter().map(|f| dir.join(f)));
    }
    for entry in std::fs::read_dir("results")? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "svg") {
            files.push(path);
        }
    }
    let mut inputs: Vec<&Path> = INPUTS.iter().map(Path::new).collect();
    inputs.push(&args.data);
    let mut bytes = 0;
    output::replace_folder(out, OutputKind::Site, &inputs, |at| fill(at, &files, &args.data).map(|b| bytes = b))?;
    println!("wrote {} ({:.1} MB; no MovieLens-derived file)", out.display(), bytes as f64 / 1e6);
    Ok(())
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() { files.extend(files_under(&path)?) } else { files.push(path) }
    }
    files.sort();
    Ok(files)
}

/// Writes the site into the fresh folder `out`: `files`, the results pages as HTML, and the page
/// linking them; checks that no MovieLens-derived file reached it. Returns the bytes written.
fn fill(out: &Path, files: &[PathBuf], data: &Path) -> Result<u64> {
    let mut bytes = 0;
    for file in files {
        bytes += copy(file, &out.join(file))?;
    }
    // The threaded build, with the worker helper wasm-bindgen-rayon's snippet brings.
    let threaded = files_under(Path::new("pkg-threads"))
        .context("pkg-threads/ is missing or unreadable (build the page first: scripts/build-web.sh)")?;
    for file in &threaded {
        bytes += copy(file, &out.join(file))?;
    }
    // The results pages as HTML.
    for page in ["report", "methods", "training"] {
        let md = std::fs::read_to_string(format!("results/{page}.md"))?;
        let html = markdown_page(&md, &format!("recforget — results: {page}"));
        bytes += html.len() as u64;
        std::fs::write(out.join(format!("results/{page}.html")), html)?;
    }
    // The page links the Markdown results; the site serves them as HTML.
    let index = std::fs::read_to_string("index.html")?
        .replace("results/report.md", "results/report.html")
        .replace("results/methods.md", "results/methods.html")
        .replace("results/training.md", "results/training.html");
    std::fs::write(out.join("index.html"), index)?;
    check_no_movielens(out, data)?;
    Ok(bytes)
}

/// Fails if the site holds the prepared data, the page's user sample, or any title or user key of
/// the dataset (when it is at hand to compare with).
fn check_no_movielens(site: &Path, data: &Path) -> Result<()> {
    let (titles, users) = if data.exists() {
        let dataset = Dataset::load(data)?;
        (
            dataset.items.iter().map(|i| i.title.clone()).filter(|t| t.len() > 12).collect::<Vec<_>>(),
            dataset.users.iter().take(50).map(|u| format!("\"{}\"", u.key)).collect::<Vec<_>>(),
        )
    } else {
        (vec!["Toy Story (1995)".to_string()], Vec::new())
    };
    let mut stack = vec![site.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("dataset") || name.ends_with(".dat") || name.ends_with(".inter") || name.ends_with(".item") {
                bail!("{} is MovieLens data and may not be published", path.display());
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue }; // binary: weights, wasm
            if let Some(title) = titles.iter().find(|t| text.contains(t.as_str())) {
                bail!("{} names the MovieLens title `{title}`: MovieLens-derived text may not be published", path.display());
            }
            if let Some(user) = users.iter().find(|u| text.contains(u.as_str())) {
                bail!("{} names the MovieLens user {user}: MovieLens-derived text may not be published", path.display());
            }
        }
    }
    Ok(())
}
