//! Helpers shared by the commands.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use recforget::data::{Dataset, Genre, Split};
use recforget::metrics::{Protocol, ProtocolMetrics, RankingMetrics};


/// The default prepared dataset.
pub(crate) const DEFAULT_DATA: &str = "data/ml-1m/dataset.json";

pub(crate) fn load_dataset(path: &Path) -> Result<Dataset> {
    if !path.exists() {
        bail!("{} does not exist: run `recforget data` first", path.display());
    }
    Ok(Dataset::load(path)?)
}

pub(crate) fn metrics_row(name: &str, width: usize, m: &RankingMetrics) -> String {
    format!(
        "{name:<width$} {:>6.4} {:>6.4} {:>6.4}  {:>6.4} {:>6.4} {:>7.4}",
        m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2]
    )
}

pub(crate) fn print_protocols(metrics: &ProtocolMetrics) {
    println!("{:<11} {:>6} {:>6} {:>6}  {:>6} {:>6} {:>7}", "protocol", "HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10");
    for p in Protocol::ALL {
        println!("{}", metrics_row(p.name(), 11, metrics.get(p)));
    }
}

/// The default folder of a model retrained without `genre`.
pub(crate) fn retrained_dir(genre: Genre) -> PathBuf {
    PathBuf::from(format!("checkpoints/retrain-{}", genre.name().to_lowercase().replace('\'', "")))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum SplitArg {
    Validation,
    Test,
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Split {
        match s {
            SplitArg::Validation => Split::Validation,
            SplitArg::Test => Split::Test,
        }
    }
}

/// The command as typed, with the program named `recforget` whatever path ran it (recorded in
/// checkpoints and results).
pub(crate) fn command_line() -> String {
    std::iter::once("recforget".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}
