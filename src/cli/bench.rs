//! `recforget bench`: training, evaluation and attribution speed per backend.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use recforget::Backend;
use recforget::data::{Genre, Split};
use recforget::metrics::{NegativeSampler, evaluate_cases};
use recforget::model::{FfnHook, Recommender};

use super::common::{DEFAULT_DATA, ModelArgs, load_dataset};

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Backends to measure.
    #[arg(long, value_enum, num_args = 1.., default_values_t = [Backend::Flex, Backend::Wgpu])]
    pub(crate) backend: Vec<Backend>,
    /// Timed training steps per backend (after one warm-up step).
    #[arg(long, default_value_t = 3, value_parser = super::common::positive)]
    pub(crate) steps: usize,
    #[arg(long, default_value_t = 128, value_parser = super::common::positive)]
    pub(crate) batch_size: usize,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// CPU threads per training step (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
    /// Users in the timed evaluation.
    #[arg(long, default_value_t = 512)]
    pub(crate) eval_users: usize,
    /// Sequences in the timed attribution of one genre (Action), both layers, 20 steps (0: skip).
    #[arg(long, default_value_t = 256)]
    pub(crate) attribution_sequences: usize,
    /// Also write the figures (and the shapes they were measured on) as JSON here, for
    /// scripts/bench.sh's side-by-side with PyTorch.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

/// One backend's figures, as `--json` writes them.
#[derive(serde::Serialize)]
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
    attribution_sequences: usize,
    attribution_steps: usize,
    attribution_seconds: Option<f64>,
    distill_batch: usize,
    distill_step_seconds: Option<f64>,
    num_items: usize,
    d_model: usize,
    layers: usize,
    heads: usize,
    d_ff: usize,
}

pub(crate) fn bench(args: BenchArgs) -> Result<()> {
    use burn::optim::AdamConfig;
    use rand::SeedableRng;
    use recforget::data::ClozeConfig;
    use recforget::train::{step_threads, train_step};

    let dataset = load_dataset(&args.data)?;
    let config = args.model.config(&dataset);
    let max_len = config.max_len();
    let train = dataset.train_sequences();
    let windows: Vec<_> = train.iter().take(args.batch_size).map(|s| &s[s.len().saturating_sub(max_len)..]).collect();
    let users: Vec<usize> = (0..windows.len()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let batch = config.training_batch(&windows, &users, ClozeConfig::default(), &mut rng);
    println!("training step: batch {} x {max_len} items, {} target positions, {config:?}", windows.len(), batch.positions.len(),);
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
        evaluate_cases(&model, &cases[..cases.len().min(8)], &sampler, &FfnHook::None, recforget::metrics::EVAL_BATCH, &device)?;
        let started = Instant::now();
        evaluate_cases(&model, &cases, &sampler, &FfnHook::None, recforget::metrics::EVAL_BATCH, &device)?;
        let eval = started.elapsed().as_secs_f64();
        let mut attribution = String::new();
        let mut attribution_seconds = None;
        let mut distill = None;
        if let (Recommender::Bert4Rec(model), true) = (&model, args.attribution_sequences > 0) {
            use recforget::attribution::{IgConfig, Query, integrated_gradients};
            let cases = recforget::unlearning::neurons::attribution_cases(&dataset, Genre::Action, &[], args.attribution_sequences, 7);
            let queries: Vec<Query> = cases.iter().map(|c| Query { history: &c.history, target: c.target }).collect();
            integrated_gradients(
                model,
                &queries[..queries.len().min(2)],
                None,
                &IgConfig::default(),
                &recforget::model::FfnHook::None,
                &device,
                |_| {},
            )?;
            let started = Instant::now();
            integrated_gradients(model, &queries, None, &IgConfig::default(), &recforget::model::FfnHook::None, &device, |_| {})?;
            let seconds = started.elapsed().as_secs_f64();
            attribution_seconds = Some(seconds);
            attribution = format!(
                "      attribution {seconds:.2} s per genre ({} sequences, 2 layers, 20 steps), {:.1} ms per sequence",
                queries.len(),
                1000.0 * seconds / queries.len().max(1) as f64
            );
        }
        if let Recommender::Bert4Rec(model) = &model {
            // The distill method's step (the page's default batch), timed through `forget`.
            use recforget::unlearning::{EditedModel, ForgetConfig, Method, forget};
            let mut config = ForgetConfig::with_methods(vec![Method::Distill]);
            config.distill.steps = 3;
            let start = EditedModel::new(model.clone());
            let (reports, _) = forget(&start, model, &dataset, Genre::Action, &config, &device, |_| {})?;
            distill = Some((reports[0].times.training / config.distill.steps as f64, config.distill.batch_size));
            println!("      distill {:.3} s per step (batch {})", distill.unwrap().0, config.distill.batch_size);
        }
        if let Some(path) = &args.json {
            let (d_model, layers, d_ff, heads) = match &model {
                Recommender::Bert4Rec(m) => {
                    let (d, l, f) = m.dims();
                    (d, l, f, m.layers[0].attention.n_heads)
                }
                _ => (0, 0, 0, 0),
            };
            let figures = BackendFigures {
                backend: backend.name().into(),
                threads,
                batch: windows.len(),
                max_len,
                targets: batch.positions.len(),
                train_step_seconds: mean,
                eval_users: cases.len(),
                eval_seconds: eval,
                attribution_sequences: args.attribution_sequences,
                attribution_steps: 20,
                attribution_seconds,
                distill_batch: distill.map_or(0, |d| d.1),
                distill_step_seconds: distill.map(|d| d.0),
                num_items: dataset.num_items(),
                d_model,
                layers,
                heads,
                d_ff,
            };
            std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
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
