//! `recforget bench`: training, scoring, attribution and distill speed per backend (and, with
//! `--json`, the figures scripts/bench.sh sets beside PyTorch's).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use burn::tensor::Device;
use recforget::Backend;
use recforget::attribution::IgConfig;
use recforget::data::{Dataset, Genre, Split, TrainingBatch};
use recforget::metrics::{EVAL_BATCH, NegativeSampler, evaluate_cases};
use recforget::model::{Bert4Rec, FfnHook, Recommender, RecommenderConfig};
use recforget::readback::Wait;

use super::common::{COUNT, DEFAULT_DATA, ModelArgs, THREADS, load_dataset, whole};

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Backends to measure.
    #[arg(long, value_enum, num_args = 1.., default_values_t = [Backend::Flex, Backend::Wgpu])]
    pub(crate) backend: Vec<Backend>,
    /// Timed training steps per backend (after one warm-up step); the median is reported.
    #[arg(long, default_value_t = 5, value_parser = whole(1, 1000))]
    pub(crate) steps: usize,
    #[arg(long, default_value_t = 128, value_parser = whole(1, 4096))]
    pub(crate) batch_size: usize,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// CPU threads per training step (0: all cores).
    #[arg(long, default_value_t = 0, value_parser = whole(THREADS.0, THREADS.1))]
    pub(crate) threads: usize,
    /// Users in the timed evaluation.
    #[arg(long, default_value_t = 512, value_parser = whole(1, COUNT))]
    pub(crate) eval_users: usize,
    /// Sequences in the timed attribution of one genre (Action), both layers, 20 steps.
    #[arg(long, default_value_t = 256, value_parser = whole(1, COUNT))]
    pub(crate) attribution_sequences: usize,
    /// Also write the figures (and the shapes they were measured on) as JSON here, for
    /// scripts/bench.sh's side-by-side with PyTorch (one backend's: name one --backend).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

/// One backend's figures, as `--json` writes them.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackendFigures {
    backend: String,
    threads: usize,
    batch: usize,
    max_len: usize,
    targets: usize,
    train_step_seconds: f64,
    eval_users: usize,
    eval_seconds: f64,
    /// The scored histories' lengths, and how many are scored per batch (sorted by length).
    eval_history_lengths: Vec<usize>,
    eval_batch: usize,
    attribution_sequences: usize,
    attribution_steps: usize,
    attribution_seconds: Option<f64>,
    /// The attributed histories' lengths, and how many are attributed per chunk.
    attribution_history_lengths: Vec<usize>,
    attribution_chunk: usize,
    distill_batch: usize,
    distill_window: usize,
    distill_step_seconds: Option<f64>,
    /// The process's peak resident memory during each row.
    #[serde(default)]
    peak_mib: PeakMib,
    num_items: usize,
    d_model: usize,
    layers: usize,
    heads: usize,
    d_ff: usize,
}

/// Peak resident memory (MiB) of the process during each timed row (none where the kernel
/// does not report it).
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct PeakMib {
    train: Option<f64>,
    scoring: Option<f64>,
    attribution: Option<f64>,
    distill: Option<f64>,
}

impl std::fmt::Display for PeakMib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |x: Option<f64>| x.map_or("–".to_string(), |m| format!("{m:.0} MiB"));
        write!(
            f,
            "peak RSS: train {}, scoring {}, attribution {}, distill {}",
            mib(self.train),
            mib(self.scoring),
            mib(self.attribution),
            mib(self.distill)
        )
    }
}

/// Runs `f` and returns what it gave with the process's peak resident memory (MiB) while it ran:
/// Linux's high-water mark (`VmHWM`), reset first through `/proc/self/clear_refs`.
fn with_peak<T>(f: impl FnOnce() -> T) -> (T, Option<f64>) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let out = f();
    let status = std::fs::read_to_string("/proc/self/status").ok();
    let kib = status
        .as_deref()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    (out, kib.map(|k| k / 1024.0))
}

/// The training batch every backend is timed on.
struct Workload<'a> {
    dataset: &'a Dataset,
    config: &'a RecommenderConfig,
    batch: &'a TrainingBatch,
    sequences: usize,
}

pub(crate) fn bench(args: BenchArgs) -> Result<()> {
    use rand::SeedableRng;
    use recforget::data::ClozeConfig;

    // The figures file is claimed before any work: only a file bench wrote may be replaced.
    if let Some(path) = &args.json {
        anyhow::ensure!(
            args.backend.len() == 1,
            "--json holds one backend's figures, and {} backends were asked for; name one, e.g. --backend flex",
            args.backend.len()
        );
        let ours = |bytes: &[u8]| serde_json::from_slice::<BackendFigures>(bytes).is_ok();
        recforget::output::claim_file(path, &[&args.data], ours)?;
    }
    let dataset = load_dataset(&args.data)?;
    let config = args.model.config(&dataset)?;
    let max_len = config.max_len();
    let train = dataset.train_sequences();
    let windows: Vec<_> = train.iter().take(args.batch_size).map(|s| &s[s.len().saturating_sub(max_len)..]).collect();
    let users: Vec<usize> = (0..windows.len()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let batch = config.training_batch(&windows, &users, ClozeConfig::default(), &mut rng);
    println!("training step: batch {} x {max_len} items, {} target positions, {config:?}", windows.len(), batch.positions.len());
    let work = Workload { dataset: &dataset, config: &config, batch: &batch, sequences: windows.len() };
    for &backend in &args.backend {
        match backend.device() {
            Ok(device) => bench_backend(&args, backend, &device, &work)?,
            Err(e) => println!("{:<5} unavailable: {e}", backend.name()),
        }
    }
    Ok(())
}

/// Times one backend: a training step, scoring, attribution and a distill step.
fn bench_backend(args: &BenchArgs, backend: Backend, device: &Device, work: &Workload<'_>) -> Result<()> {
    let Workload { dataset, config, batch, sequences } = *work;
    let threads = recforget::train::step_threads(args.threads, device);
    let ((model, step_seconds), train_peak) = with_peak(|| time_training(config, batch, args.steps, threads, device));
    let (scoring, scoring_peak) = with_peak(|| time_scoring(&model, dataset, args.eval_users, device));
    let (eval_lengths, eval_seconds) = scoring?;
    let eval_users = eval_lengths.len();
    println!(
        "{:<5} ({threads} thread(s)) train {step_seconds:.3} s/step ({:.1} sequences/s); evaluation {eval_seconds:.2} s for {eval_users} users ({:.0} users/s); est. epoch {:.0} s",
        backend.name(),
        sequences as f64 / step_seconds,
        eval_users as f64 / eval_seconds,
        step_seconds * dataset.users.len().div_ceil(args.batch_size) as f64
    );
    let Recommender::Bert4Rec(model) = &model else { return Ok(()) };
    let (attribution, attribution_peak) = with_peak(|| attribution_timing(model, dataset, args.attribution_sequences, device));
    let (attribution_lengths, attribution_seconds) = attribution?;
    let (distill, distill_peak) = with_peak(|| time_distill(model, dataset, device));
    let (distill_seconds, distill_batch) = distill?;
    println!("      distill {distill_seconds:.3} s per step (batch {distill_batch})");
    let peak_mib = PeakMib { train: train_peak, scoring: scoring_peak, attribution: attribution_peak, distill: distill_peak };
    println!("      {peak_mib}");
    let Some(path) = &args.json else { return Ok(()) };
    let (d_model, layers, d_ff) = model.dims();
    let figures = BackendFigures {
        backend: backend.name().into(),
        threads,
        batch: sequences,
        max_len: config.max_len(),
        targets: batch.positions.len(),
        train_step_seconds: step_seconds,
        eval_users,
        eval_seconds,
        eval_history_lengths: eval_lengths,
        eval_batch: EVAL_BATCH,
        attribution_sequences: args.attribution_sequences,
        attribution_steps: IgConfig::default().steps,
        attribution_seconds,
        attribution_history_lengths: attribution_lengths,
        attribution_chunk: IgConfig::default().chunk,
        distill_batch,
        distill_window: recforget::unlearning::DistillConfig::default().window,
        distill_step_seconds: Some(distill_seconds),
        peak_mib,
        num_items: dataset.num_items(),
        d_model,
        layers,
        heads: model.layers[0].attention.n_heads,
        d_ff,
    };
    recforget::fsutil::write_atomically(path, serde_json::to_string_pretty(&figures)?.as_bytes())?;
    Ok(())
}

/// Attribution of `sequences` sequences timed and printed (nothing when none are asked for).
fn attribution_timing(model: &Bert4Rec, dataset: &Dataset, sequences: usize, device: &Device) -> Result<(Vec<usize>, Option<f64>)> {
    if sequences == 0 {
        return Ok((Vec::new(), None));
    }
    let (lengths, seconds) = time_attribution(model, dataset, sequences, device)?;
    println!(
        "      attribution {seconds:.2} s per genre ({} sequences, 2 layers, 20 steps), {:.1} ms per sequence",
        lengths.len(),
        1000.0 * seconds / lengths.len().max(1) as f64
    );
    Ok((lengths, Some(seconds)))
}

/// Trains a fresh model `steps` times on `batch` (after one warm-up step); returns it, in
/// validation mode, and the median seconds per step.
fn time_training(config: &RecommenderConfig, batch: &TrainingBatch, steps: usize, threads: usize, device: &Device) -> (Recommender, f64) {
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use recforget::train::train_step;
    let ad = device.clone().autodiff();
    let mut model = config.init(&ad);
    let mut optimizer = AdamConfig::new().init();
    let mut times = Vec::new();
    for step in 0..=steps {
        let started = Instant::now();
        model = train_step(model, &mut optimizer, batch, 1e-3, threads, &ad).0;
        ad.sync().ok();
        if step > 0 {
            times.push(started.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    (model.valid(), times[times.len() / 2])
}

/// How many timed runs each row takes after its warm-up run (PyTorch's side times the same).
const SCORING_RUNS: usize = 5;
const ATTRIBUTION_RUNS: usize = 3;
const DISTILL_STEPS: usize = 5;

/// The median seconds of `runs` runs of `f`, after one warm-up run: each row is timed warm, on
/// both sides of scripts/bench.sh.
fn median_seconds(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Scores and ranks the first `users` test users; returns their histories' lengths and the
/// median seconds.
fn time_scoring(model: &Recommender, dataset: &Dataset, users: usize, device: &Device) -> Result<(Vec<usize>, f64)> {
    let cases: Vec<_> = dataset.eval_cases(Split::Test).into_iter().take(users).collect();
    let sampler = NegativeSampler::new(dataset, 1);
    let context = recforget::unlearning::RunContext::new(device);
    let seconds = median_seconds(SCORING_RUNS, || {
        evaluate_cases(model, &cases, &sampler, &FfnHook::None, EVAL_BATCH, &context).wait()?;
        Ok(())
    })?;
    Ok((cases.iter().map(|c| c.history.len()).collect(), seconds))
}

/// Integrated gradients for Action on up to `sequences` sequences; returns their histories'
/// lengths and the median seconds.
fn time_attribution(model: &Bert4Rec, dataset: &Dataset, sequences: usize, device: &Device) -> Result<(Vec<usize>, f64)> {
    use recforget::attribution::{Query, integrated_gradients};
    let cases = recforget::unlearning::neurons::attribution_cases(dataset, Genre::Action, &[], sequences, 7);
    let queries: Vec<Query> = cases.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
    let context = recforget::unlearning::RunContext::new(device);
    let seconds = median_seconds(ATTRIBUTION_RUNS, || {
        integrated_gradients(model, &queries, None, &IgConfig::default(), &FfnHook::None, &context, |_| {}).wait()?;
        Ok(())
    })?;
    Ok((queries.iter().map(|q| q.history.len()).collect(), seconds))
}

/// The distill method's step at its default batch, timed through `forget`: the median of
/// [`DISTILL_STEPS`] steps after the first (the time from one step's end to the next's, so
/// preparing the data and the teacher is not counted, as PyTorch's side does not count it).
/// Returns seconds per step and the batch.
fn time_distill(model: &Bert4Rec, dataset: &Dataset, device: &Device) -> Result<(f64, usize)> {
    use recforget::unlearning::{EditedModel, ForgetConfig, ForgetStage, Method, forget};
    let mut config = ForgetConfig::with_methods(vec![Method::Distill]);
    config.distill.steps = DISTILL_STEPS + 1;
    let start = EditedModel::new(model.clone());
    let mut ends = Vec::with_capacity(config.distill.steps);
    let context = recforget::unlearning::RunContext::new(device);
    forget(&start, model, dataset, Genre::Action, &config, &context, |stage| {
        if let ForgetStage::Training { .. } = stage {
            ends.push(Instant::now());
        }
    })
    .wait()?;
    let mut times: Vec<f64> = ends.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
    anyhow::ensure!(times.len() == DISTILL_STEPS, "the distillation reported {} steps, not {}", ends.len(), DISTILL_STEPS + 1);
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], config.distill.batch_size))
}
