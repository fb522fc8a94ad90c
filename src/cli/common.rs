//! Helpers shared by the commands.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use recforget::data::{Dataset, Genre, Split};
use recforget::metrics::{Protocol, ProtocolMetrics, RankingMetrics};
use recforget::model::{Architecture, Bert4RecConfig, CaserConfig, Gru4RecConfig, RecommenderConfig};
use strum::IntoEnumIterator;

/// A whole-number flag's parser: a number from `lo` to `hi`, or an error naming the range. Every
/// numeric flag has one, so that no value reaches the code that would divide by it, allocate
/// with it or loop on it unchecked.
pub(crate) fn whole(lo: usize, hi: usize) -> impl Fn(&str) -> std::result::Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} is out of range: {lo} to {hi}")),
        Err(_) => Err(format!("`{s}` is not a whole number from {lo} to {hi}")),
    }
}

/// A real-number flag's parser: a finite number above `lo` and at most `hi`.
pub(crate) fn real_above(lo: f64, hi: f64) -> impl Fn(&str) -> std::result::Result<f64, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().parse::<f64>() {
        Ok(x) if x > lo && x <= hi => Ok(x),
        Ok(x) => Err(format!("{x} is out of range: above {lo}, at most {hi}")),
        Err(_) => Err(format!("`{s}` is not a number above {lo}, at most {hi}")),
    }
}

/// A flag's parser for the forgetting setting `key` of the settings table
/// (`unlearning::params`): the same range and the same words as the page.
pub(crate) fn setting<T: std::str::FromStr>(
    key: &'static str,
) -> impl Fn(&str) -> std::result::Result<T, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        recforget::unlearning::check_number(key, s).map_err(|e| e.message)?;
        s.trim().parse::<T>().map_err(|_| format!("`{s}` is not a whole number"))
    }
}

/// Worker threads: 0 (every core) to 256.
pub(crate) const THREADS: (usize, usize) = (0, 256);
/// Epochs, users and other counts that only cost time: up to 100,000.
pub(crate) const COUNT: usize = 100_000;

/// The deletion set a flag names: `standard` (D, drawn from the page's sample) or a JSON file.
pub(crate) fn deletion_set(named: &str, dataset: &Dataset) -> Result<recforget::data::DeletionSet> {
    use recforget::data::{DeletionSet, WEB_SAMPLE};
    let set = match named {
        "standard" => DeletionSet::standard(&dataset.web_sample(WEB_SAMPLE.0, WEB_SAMPLE.1)),
        file => DeletionSet::load(Path::new(file))
            .map_err(|e| anyhow::anyhow!("takes `standard` or a deletion-set JSON file; {file} is neither ({e})"))?,
    };
    set.check(dataset)?;
    Ok(set)
}

/// Errors unless `dataset` has something to train on: a user with at least two training items
/// (a cloze step needs one to mask and one to see), and a validation item to judge it by.
pub(crate) fn ensure_trainable(dataset: &Dataset, what: &str) -> Result<()> {
    if !dataset.train_sequences().iter().any(|s| s.len() >= 2) {
        bail!(
            "{what} has no user with at least 4 interactions (two to train on, one to validate, one to test): there is nothing to train on"
        );
    }
    Ok(())
}

/// The default prepared dataset.
pub(crate) const DEFAULT_DATA: &str = "data/ml-1m/dataset.json";

pub(crate) fn load_dataset(path: &Path) -> Result<Dataset> {
    if !path.exists() {
        bail!("{} does not exist: run `recforget data` first", path.display());
    }
    Ok(Dataset::load(path)?)
}

pub(crate) fn metrics_row(name: &str, width: usize, m: &RankingMetrics) -> String {
    format!("{name:<width$} {:>6.4} {:>6.4} {:>6.4}  {:>6.4} {:>6.4} {:>7.4}", m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2])
}

pub(crate) fn print_protocols(metrics: &ProtocolMetrics) {
    println!("{:<11} {:>6} {:>6} {:>6}  {:>6} {:>6} {:>7}", "protocol", "HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10");
    for p in Protocol::iter() {
        println!("{}", metrics_row(p.name(), 11, metrics.get(p)));
    }
}

/// The model and the data a command reads.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct SourceArgs {
    /// The checkpoint folder.
    #[arg(long, default_value_os_t = recforget::checkpoint::default_checkpoint_dir())]
    pub(crate) checkpoint: PathBuf,
    /// The prepared dataset.
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
}

/// Which test users a command measures, and the seed of their sampled negatives.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct SampleArgs {
    /// Only the first N test users (0: all).
    #[arg(long, default_value_t = 0, value_parser = whole(0, COUNT))]
    pub(crate) users: usize,
    /// Seed of the sampled negatives.
    #[arg(long, default_value_t = recforget::metrics::NEGATIVES_SEED)]
    pub(crate) seed: u64,
}

impl SampleArgs {
    /// The cases of `split`, cut to the first `--users`.
    pub(crate) fn cases(&self, dataset: &Dataset, split: Split) -> Vec<recforget::data::EvalCase> {
        let mut cases = dataset.eval_cases(split);
        if self.users > 0 {
            cases.truncate(self.users);
        }
        cases
    }
}

/// The default folder of a model retrained without `genre`.
pub(crate) fn retrained_dir(genre: Genre) -> PathBuf {
    retrained_dir_for(&recforget::data::DeletionSet::genre_wide(genre))
}

/// Errors when the `--retrained` folder asked for holds no checkpoint: a mistyped folder is never
/// taken for "no reference". Commands call it before any work.
pub(crate) fn check_asked_reference(asked: Option<&Path>) -> Result<()> {
    match asked {
        Some(dir) if !dir.join(recforget::checkpoint::META_FILE).exists() => bail!(
            "--retrained {}: no checkpoint there (no {}); name a folder that `retrain` wrote",
            dir.display(),
            recforget::checkpoint::META_FILE
        ),
        _ => Ok(()),
    }
}

/// Where the retrained reference is: the `--retrained` folder asked for (see
/// [`check_asked_reference`]), else `default` when it holds a checkpoint; `None` when neither.
pub(crate) fn reference_dir(asked: Option<&Path>, default: PathBuf) -> Result<Option<PathBuf>> {
    check_asked_reference(asked)?;
    let dir = asked.map_or(default, Path::to_path_buf);
    Ok(dir.join(recforget::checkpoint::META_FILE).exists().then_some(dir))
}

/// The folder of the model retrained without a deletion set (`checkpoints/retrain-<name>`).
pub(crate) fn retrained_dir_for(deletions: &recforget::data::DeletionSet) -> PathBuf {
    PathBuf::from(format!("checkpoints/retrain-{}", deletions.name))
}

/// How the folder of a second retrained model (another seed, the noise floor of closeness) ends.
const SECOND_SEED_SUFFIX: &str = "-seed2";

/// The folder of the second retrained model beside the retrained model in `dir`.
pub(crate) fn second_seed_dir(dir: &Path) -> PathBuf {
    PathBuf::from(format!("{}{SECOND_SEED_SUFFIX}", dir.display()))
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
    std::iter::once("recforget".to_string()).chain(std::env::args().skip(1).map(|a| shell_quoted(&a))).collect::<Vec<_>>().join(" ")
}

/// An argument as a POSIX shell reads it back.
fn shell_quoted(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

/// The network to build, and its shape (flags a model does not have are ignored by it).
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ModelArgs {
    /// Which recommender: bert4rec, gru4rec or caser.
    #[arg(long, default_value = "bert4rec")]
    pub(crate) model: Architecture,
    /// Longest sequence, the query's [MASK] included (2 to 1024).
    #[arg(long, default_value_t = 200, value_parser = whole(2, 1024))]
    pub(crate) max_len: usize,
    /// Width of embeddings (default: 64; Caser 50).
    #[arg(long, value_parser = whole(1, 1024))]
    pub(crate) d_model: Option<usize>,
    /// BERT4Rec: Transformer layers.
    #[arg(long, default_value_t = 2, value_parser = whole(1, 16))]
    pub(crate) layers: usize,
    /// BERT4Rec: attention heads.
    #[arg(long, default_value_t = 2, value_parser = whole(1, 16))]
    pub(crate) heads: usize,
    /// BERT4Rec: FFN width (the neurons attribution scores).
    #[arg(long, default_value_t = 256, value_parser = whole(1, 8192))]
    pub(crate) d_ff: usize,
    /// Dropout (default: BERT4Rec 0.1, GRU4Rec 0.25, Caser 0.5), in [0, 1).
    #[arg(long, value_parser = dropout)]
    pub(crate) dropout: Option<f64>,
    /// Caser: items in the convolved window.
    #[arg(long, default_value_t = 5, value_parser = whole(1, 1024))]
    pub(crate) window: usize,
}

/// `--dropout`: a probability in [0, 1).
fn dropout(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..1.0).contains(&p) { Ok(p) } else { Err(format!("{p} is out of range: 0 to below 1")) }
}

impl ModelArgs {
    /// The model's config; errors, naming the flags, when the shape cannot work.
    pub(crate) fn config(&self, dataset: &Dataset) -> anyhow::Result<RecommenderConfig> {
        let width = self.d_model.unwrap_or(64);
        if self.model == Architecture::Bert4Rec && !width.is_multiple_of(self.heads) {
            anyhow::bail!("--heads {} must divide --d-model {width} (each head takes an equal share of the width)", self.heads);
        }
        if self.model == Architecture::Caser && self.window >= self.max_len {
            anyhow::bail!("--window {} must be below --max-len {} (Caser convolves over the last items)", self.window, self.max_len);
        }
        let config = self.shape(dataset);
        if let Some(problem) = config.problem() {
            anyhow::bail!("{problem}: choose a smaller --d-model, --d-ff or --layers");
        }
        Ok(config)
    }

    fn shape(&self, dataset: &Dataset) -> RecommenderConfig {
        let items = dataset.num_items();
        match self.model {
            Architecture::Bert4Rec => {
                let mut c = Bert4RecConfig::new(items)
                    .with_max_len(self.max_len)
                    .with_n_layers(self.layers)
                    .with_n_heads(self.heads)
                    .with_d_ff(self.d_ff);
                c.d_model = self.d_model.unwrap_or(c.d_model);
                c.dropout = self.dropout.unwrap_or(c.dropout);
                RecommenderConfig::Bert4Rec(c)
            }
            Architecture::Gru4Rec => {
                let mut c = Gru4RecConfig::new(items).with_max_len(self.max_len);
                c.d_model = self.d_model.unwrap_or(c.d_model);
                c.d_hidden = c.d_model;
                c.dropout = self.dropout.unwrap_or(c.dropout);
                RecommenderConfig::Gru4Rec(c)
            }
            Architecture::Caser => {
                let mut c = CaserConfig::new(items, dataset.users.len()).with_max_len(self.max_len).with_window(self.window);
                c.d_model = self.d_model.unwrap_or(c.d_model);
                c.dropout = self.dropout.unwrap_or(c.dropout);
                RecommenderConfig::Caser(c)
            }
        }
    }
}

/// A table the library formatted (the page shows the same cells), as text: the column headers,
/// then each measure's cells followed by its name.
pub(crate) fn print_table(headers: &[String], rows: &[recforget::measurement::table::MeasureRow]) {
    let cells = headers.iter().chain(rows.iter().flat_map(|r| &r.cells));
    let width = cells.map(|c| c.chars().count()).max().unwrap_or(0);
    let line = |cells: &[String]| cells.iter().map(|c| format!("{c:>width$}")).collect::<Vec<_>>().join("  ");
    println!("{}", line(headers));
    for row in rows {
        println!("{}  {}", line(&row.cells), row.measure);
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quoted;

    #[test]
    fn recorded_commands_read_back_in_a_shell() {
        assert_eq!(shell_quoted("--epochs"), "--epochs");
        assert_eq!(shell_quoted("NVIDIA H200 (wgpu)"), "'NVIDIA H200 (wgpu)'");
        assert_eq!(shell_quoted("Children's"), r"'Children'\''s'");
        assert_eq!(shell_quoted(""), "''");
    }
}
