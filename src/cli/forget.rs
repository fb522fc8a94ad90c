//! `recforget forget`: forget one genre and measure what changed.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};
use recforget::comparison::{ModelFigures, percent_of, removal_rate};
use recforget::data::{Genre, Split};
use recforget::forgetting::{ForgetConfig, ForgetStage, forget_genre};
use recforget::metrics::{NegativeSampler, Protocol, evaluate_cases};
use recforget::model::FfnHook;
use recforget::unlearning::Edit;

use super::common::{DEFAULT_DATA, load_dataset, metrics_row, retrained_dir, command_line};

#[derive(Args, Debug)]
pub(crate) struct ForgetArgs {
    /// The genre to forget (e.g. Action, Sci-Fi, Children's).
    #[arg(long)]
    pub(crate) genre: String,
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    pub(crate) checkpoint: PathBuf,
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// The model retrained without the genre (default: checkpoints/retrain-<genre>, if present).
    #[arg(long)]
    pub(crate) retrained: Option<PathBuf>,
    /// Attribution sequences (users whose validation item is of the genre).
    #[arg(long, default_value_t = 256)]
    pub(crate) sequences: usize,
    /// Integrated-gradients steps m.
    #[arg(long, default_value_t = 20)]
    pub(crate) steps: usize,
    /// Keep neurons above this × the sequence's maximum attribution.
    #[arg(long, default_value_t = 0.3)]
    pub(crate) ratio: f32,
    #[arg(long, value_enum, default_value_t = EditArg::ZeroWeights)]
    pub(crate) edit: EditArg,
    /// Evaluate only the first N test users (0: all).
    #[arg(long, default_value_t = 0)]
    pub(crate) users: usize,
    /// Seed of the sampled negatives.
    #[arg(long, default_value_t = 2024)]
    pub(crate) seed: u64,
    /// Save the unlearned model as a checkpoint here.
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub(crate) backend: Backend,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum EditArg {
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

pub(crate) fn forget(args: ForgetArgs) -> Result<()> {
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
        let r: Checkpoint = Checkpoint::load(&retrained_path, &device)?;
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
    // Closeness to the retrained model (distributions on the first 300 users).
    let closeness = match (&retrained, &retrained_results) {
        (Some(r), Some(rr)) => Some(recforget::report::closeness(&original.model, &unlearned, &r.model, &cases, [&before, &after, rr], 300, &device)?),
        _ => None,
    };
    if let Some(dir) = &args.save {
        let meta = checkpoint::CheckpointMeta {
            notes: format!("{} with the {} privacy neurons of {genre} zeroed", args.checkpoint.display(), report.screening.neurons.len()),
            command: command_line(),
            ..original.meta.clone()
        };
        checkpoint::save_parts(&unlearned.model, &original.config, &meta, dir)?;
    }
    let retrain_seconds = retrained.as_ref().and_then(|r| r.meta.cpu_train_seconds());
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
        println!("  retraining takes {t:.0}s on the CPU: forgetting is {:.1}x faster", t / report.times.total);
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
        println!(
            "closeness to retrained: top-10 overlap {:.1}% (original {:.1}%), KL(retrained ‖ unlearned) {:.3} (‖ original {:.3}) on {} users",
            100.0 * c.top10_overlap_unlearned,
            100.0 * c.top10_overlap_original,
            c.kl_retrained_to_unlearned,
            c.kl_retrained_to_original,
            c.users
        );
    }
    Ok(())
}
