//! `recforget report`: the results page.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};
use recforget::data::{Genre, Split};
use recforget::measurement::percent_of;
use recforget::metrics::{NegativeSampler, Protocol, ProtocolMetrics, evaluate_cases};
use recforget::model::{FfnHook, Recommender};
use recforget::unlearning::ForgetConfig;

use super::common::{SampleArgs, SourceArgs, command_line, load_dataset, retrained_dir};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    #[command(flatten)]
    pub(crate) sample: SampleArgs,
    /// Test users in each point of the sweep.
    #[arg(long, default_value_t = 1000, value_parser = super::common::positive)]
    pub(crate) sweep_users: usize,
    /// Genres of the sweep (default: Action, Drama, Comedy).
    #[arg(long, num_args = 1..)]
    pub(crate) sweep_genres: Vec<String>,
    #[arg(long, default_value = "results")]
    pub(crate) out: PathBuf,
    /// Which part to write: all, the paper's (report.md), or the methods (methods.md).
    #[arg(long, value_enum, default_value_t = ReportPart::All)]
    pub(crate) part: ReportPart,
    /// Genres of the methods part.
    #[arg(long, num_args = 1.., default_values = ["Action", "Drama", "Comedy"])]
    pub(crate) method_genres: Vec<String>,
    /// Distill steps of the methods part's trade-off curve (none: no curve).
    #[arg(long, num_args = 0.., default_values_t = [10usize, 30, 60])]
    pub(crate) tradeoff_steps: Vec<usize>,
    /// Skip the relearn curves of the methods part.
    #[arg(long)]
    pub(crate) no_relearn: bool,
    /// Baseline checkpoints compared with BERT4Rec (skipped with a note when missing).
    #[arg(long, num_args = 1.., default_values = ["checkpoints/gru4rec-ml1m", "checkpoints/caser-ml1m"])]
    pub(crate) baselines: Vec<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportPart {
    All,
    Paper,
    Methods,
}

pub(crate) fn report(args: ReportArgs) -> Result<()> {
    if args.part != ReportPart::Paper {
        methods_report(&args)?;
    }
    if args.part != ReportPart::Methods {
        paper_report(&args)?;
    }
    Ok(())
}

/// What both parts read: the data, the CPU device, the original model, the test cases (the first
/// `--users`) and the seeded negatives.
struct Inputs {
    dataset: recforget::data::Dataset,
    device: burn::tensor::Device,
    original: Checkpoint,
    cases: Vec<recforget::data::EvalCase>,
    sampler: NegativeSampler,
}

impl Inputs {
    fn load(args: &ReportArgs) -> Result<Inputs> {
        let dataset = load_dataset(&args.source.data)?;
        let device = Backend::Flex.device()?;
        let original: Checkpoint = Checkpoint::load(&args.source.checkpoint, &device)?;
        original.meta.check_vocabulary(&dataset)?;
        let cases = args.sample.cases(&dataset, Split::Test);
        let sampler = NegativeSampler::new(&dataset, args.sample.seed);
        Ok(Inputs { dataset, device, original, cases, sampler })
    }
}

/// `results/methods.{md,json}` and their charts.
fn methods_report(args: &ReportArgs) -> Result<()> {
    use recforget::measurement::{EvalContext, MeasureSettings, RelearnSettings};
    use recforget::report::methods::{MethodsReport, RetrainedModel, genre_methods, markdown, relearn_svg, tradeoff_svg};

    let started = Instant::now();
    let Inputs { dataset, device, original, cases, sampler } = Inputs::load(args)?;
    let ctx = EvalContext { dataset: &dataset, cases: &cases, sampler: &sampler, device: &device };
    let config = ForgetConfig::default();
    let settings = MeasureSettings::default();
    let relearn_settings = RelearnSettings::default();
    let mut genres = Vec::new();
    for name in &args.method_genres {
        let genre: Genre = name.parse()?;
        eprintln!("{genre}: methods, measurement{}", if args.no_relearn { "" } else { ", relearn" });
        let dir = retrained_dir(genre);
        let retrained = super::forget::load_retrained(&dir, genre, &dataset, &device)?;
        let second = super::forget::load_retrained(&PathBuf::from(format!("{}-seed2", dir.display())), genre, &dataset, &device)?;
        let reference = retrained.as_ref().map(|(model, meta)| RetrainedModel {
            model,
            cpu_seconds: meta.cpu_train_seconds(),
            record: format!("`{}`, {} epochs, {}", dir.display(), meta.epochs, meta.training_summary()),
        });
        genres.push(genre_methods(
            &ctx,
            &original.model,
            genre,
            &config,
            reference.as_ref(),
            second.as_ref().map(|(m, _)| m),
            &settings,
            (!args.no_relearn).then_some(&relearn_settings),
            &args.tradeoff_steps,
        )?);
    }
    let report = MethodsReport { command: command_line(), test_users: cases.len(), config, settings, relearn_settings, genres };
    std::fs::create_dir_all(&args.out)?;
    for g in &report.genres {
        let slug = g.genre.slug();
        if !g.relearn.is_empty() {
            std::fs::write(
                args.out.join(format!("relearn-{slug}.svg")),
                relearn_svg(&g.relearn, &format!("{}: relearning the genre", g.genre)),
            )?;
        }
        if !g.tradeoff.is_empty() {
            std::fs::write(
                args.out.join(format!("tradeoff-{slug}.svg")),
                tradeoff_svg(&g.tradeoff, &format!("{}: distill over K", g.genre)),
            )?;
        }
    }
    std::fs::write(args.out.join("methods.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(args.out.join("methods.md"), markdown(&report))?;
    println!("wrote {}/methods.md, methods.json and their charts in {:.0}s", args.out.display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// `results/report.{md,json}`: the paper's tables, every genre, the sweep, the comparison.
fn paper_report(args: &ReportArgs) -> Result<()> {
    use recforget::report::{ComparisonRow, PUBLISHED, comparison_svg, genre_outcome, sweep, sweep_svg};
    use std::fmt::Write as _;

    let started = Instant::now();
    let Inputs { dataset, device, original, cases, sampler } = Inputs::load(args)?;
    let before = evaluate_cases(&original.model, &cases, &sampler, &FfnHook::None, recforget::metrics::EVAL_BATCH, &device)?;
    let config = ForgetConfig::default();
    let mut outcomes = Vec::new();
    for genre in Genre::ALL {
        let dir = retrained_dir(genre);
        let retrained: Option<Checkpoint> =
            if dir.join(checkpoint::META_FILE).exists() { Some(Checkpoint::load(&dir, &device)?) } else { None };
        eprintln!("{genre}: forgetting and evaluating");
        outcomes.push(genre_outcome(&original.model, &before, retrained.as_ref(), &dataset, &cases, &sampler, genre, &config, &device)?);
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
        sweeps.push((
            *genre,
            sweep(&original.model, &sweep_before, &dataset, &sweep_cases, &sampler, *genre, outcome.neurons(), &config, &device)?,
        ));
    }
    let paper_genres = [Genre::Action, Genre::Drama, Genre::Comedy];
    let mut comparison = vec![ComparisonRow { model: "Original BERT4Rec".into(), metrics: ProtocolMetrics::from_results(before.iter()) }];
    for o in outcomes.iter().filter(|o| paper_genres.contains(&o.genre)) {
        if let Some(r) = &o.retrained {
            comparison.push(ComparisonRow { model: format!("Retrained ({})", o.genre), metrics: r.overall });
        }
        comparison.push(ComparisonRow { model: format!("Unlearned ({})", o.genre), metrics: o.unlearned.overall });
    }
    let mut baselines = Vec::new();
    let mut missing_baselines = Vec::new();
    for dir in &args.baselines {
        if !dir.join(checkpoint::META_FILE).exists() {
            missing_baselines.push(dir.clone());
            continue;
        }
        let baseline: Checkpoint<Recommender> = Checkpoint::load(dir, &device)?;
        baseline.meta.check_vocabulary(&dataset)?;
        eprintln!("{}: evaluating", baseline.architecture().title());
        let results = evaluate_cases(&baseline.model, &cases, &sampler, &FfnHook::None, recforget::metrics::EVAL_BATCH, &device)?;
        comparison
            .push(ComparisonRow { model: baseline.architecture().title().into(), metrics: ProtocolMetrics::from_results(results.iter()) });
        baselines.push((dir.clone(), baseline.architecture(), baseline.meta));
    }
    std::fs::create_dir_all(&args.out)?;
    let command = command_line();
    let json = serde_json::json!({
        "command": command,
        "checkpoint": { "path": args.source.checkpoint, "meta": original.meta },
        "testUsers": cases.len(),
        "seed": args.sample.seed,
        "forgetConfig": config,
        "genres": outcomes,
        "comparison": comparison,
        "baselines": baselines.iter().map(|(dir, a, meta)| serde_json::json!({"path": dir, "model": a, "meta": meta})).collect::<Vec<_>>(),
        "sweeps": sweeps.iter().map(|(g, p)| serde_json::json!({"genre": g, "users": sweep_cases.len(), "points": p})).collect::<Vec<_>>(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    std::fs::write(args.out.join("report.json"), serde_json::to_string_pretty(&json)?)?;

    let mut md = String::new();
    let m = &original.meta;
    writeln!(md, "# recforget results\n")?;
    writeln!(md, "Produced by `{command}` from the committed code and checkpoints ({:.0} s).\n", started.elapsed().as_secs_f64())?;
    writeln!(
        md,
        "Original model: `{}`, {} epochs, seed {}, {}; validation NDCG@10 (full) {}.",
        args.source.checkpoint.display(),
        m.epochs,
        m.seed,
        m.training_summary(),
        m.validation_ndcg10.map_or("not measured".to_string(), |v| format!("{v:.4}"))
    )?;
    writeln!(
        md,
        "Test users: {} (leave-one-out last item); negatives seeded with {}. Attribution uses up to {} users whose *validation* item is of the genre, so it never sees the test items the removal is measured on. Defaults: m = {} steps ({:?} Riemann), ratio {}, P from {}% by {} into [{}, {}].\n",
        cases.len(),
        args.sample.seed,
        config.neurons.sequences,
        config.neurons.ig.steps,
        config.neurons.ig.riemann,
        config.neurons.screening.ratio,
        config.neurons.screening.p_start,
        config.neurons.screening.p_step,
        config.neurons.screening.band.0,
        config.neurons.screening.band.1
    )?;
    writeln!(
        md,
        "Removal rate = 1 − HR@10(forget set after) ÷ HR@10(forget set before); forget set = test users whose target is of the genre; 95% bootstrap interval. Removal and overall HR trade off arithmetically: if the forget set holds x% of the hits, removing a share r of them costs r·x% of overall HR, whatever the method.\n"
    )?;
    writeln!(md, "## The paper's genres (Tables 2 and 3): pop100 protocol\n")?;
    writeln!(
        md,
        "| genre | model | HR@1 | HR@5 | HR@10 | NDCG@1 | NDCG@5 | NDCG@10 | HR@10 % of orig. | NDCG@10 % of orig. | removal (pop100) | genre share of top-10 |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in outcomes.iter().filter(|o| matches!(o.genre, Genre::Action | Genre::Drama | Genre::Comedy)) {
        let mut rows = vec![("original", &o.original, None), ("unlearned", &o.unlearned, Some(o.removal_unlearned[2]))];
        if let (Some(f), Some(r)) = (&o.retrained, &o.removal_retrained) {
            rows.push(("retrained", f, Some(r[2])));
        }
        for (name, f, removal) in rows {
            let p = f.overall.pop100;
            let pct = percent_of(&o.original.overall, &f.overall, Protocol::Pop100);
            let removal =
                removal.map(|r| format!("{:.1}% [{:.1}, {:.1}]", 100.0 * r.rate, 100.0 * r.low, 100.0 * r.high)).unwrap_or_default();
            writeln!(
                md,
                "| {} | {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1}% | {:.1}% | {removal} | {:.1}% |",
                o.genre,
                p.hr[0],
                p.hr[1],
                p.hr[2],
                p.ndcg[0],
                p.ndcg[1],
                p.ndcg[2],
                pct[2],
                pct[5],
                100.0 * f.exposure
            )?;
        }
        if o.retrained.is_none() {
            writeln!(
                md,
                "| {} | retrained | not available: run `recforget retrain --exclude-genre {}` | | | | | | | | | |",
                o.genre, o.genre
            )?;
        }
    }
    writeln!(md, "\nThe paper's claims: {}.\n", recforget::claims::summary())?;
    let short: Vec<String> =
        outcomes.iter().filter_map(|o| o.retrain_epochs.filter(|&e| e < m.epochs).map(|e| format!("{} ({e})", o.genre))).collect();
    if !short.is_empty() {
        writeln!(
            md,
            "**Read the retrained rows with care:** the retrained models were trained for fewer epochs than the original's {} — {}. Their lower HR/NDCG reflects that shorter training as well as the missing genre; their removal rates and genre shares are what retraining without the genre does. `recforget retrain --exclude-genre G --epochs {}` continues them from their resume files.\n",
            m.epochs,
            short.join(", "),
            m.epochs
        )?;
    }
    writeln!(md, "### Time, and closeness to the retrained model\n")?;
    writeln!(
        md,
        "Forgetting = attribution + screening + editing on this machine's CPU; retraining = the shipped retrained checkpoint's training time on the CPU (its measured seconds per CPU epoch × its epochs, so epochs trained on a GPU count at the CPU's pace; the checkpoint's `meta.json` records each stretch of epochs). Where the retrained model was trained for fewer epochs than the original, the last column scales its time to the original's epochs (time per epoch × {} epochs).\n",
        m.epochs
    )?;
    writeln!(
        md,
        "| genre | forget s | forward / backward passes | retrain s (epochs) | speedup | speedup at {} epochs | top-10 overlap with retrained: unlearned / original | KL(retrained ‖ unlearned) / (‖ original) |",
        m.epochs
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|")?;
    let mut records = Vec::new();
    for o in outcomes.iter().filter(|o| matches!(o.genre, Genre::Action | Genre::Drama | Genre::Comedy)) {
        if let (Some(record), Some(epochs)) = (&o.retrain_record, o.retrain_epochs) {
            records.push(format!("- Retrained without {}: {epochs} epochs, {record}.", o.genre));
        }
        let t = o.forget.times.total;
        match (o.retrain_seconds, o.retrain_epochs, &o.closeness) {
            (Some(rs), Some(re), Some(c)) => {
                let projected = rs / re.max(1) as f64 * m.epochs as f64;
                writeln!(
                    md,
                    "| {} | {t:.2} | {} / {} | {rs:.0} ({re}) | ×{:.0} | ×{:.0} | {:.1}% / {:.1}% | {:.3} / {:.3} |",
                    o.genre,
                    o.forget.work.forward,
                    o.forget.work.backward,
                    rs / t,
                    projected / t,
                    100.0 * c.top10_overlap_unlearned,
                    100.0 * c.top10_overlap_original,
                    c.kl_retrained_to_unlearned,
                    c.kl_retrained_to_original
                )?;
            }
            _ => writeln!(md, "| {} | {t:.2} | {} / {} | not available | | | | |", o.genre, o.forget.work.forward, o.forget.work.backward)?,
        }
    }
    writeln!(md)?;
    for line in &records {
        writeln!(md, "{line}")?;
    }
    writeln!(md)?;
    writeln!(md, "## Every genre, the paper's rule\n")?;
    writeln!(
        md,
        "| genre | forget-set users | neurons | P | in band | attribution s | removal full | removal pop100 | HR@10 % (pop100) | NDCG@10 % (pop100) | retain HR@10 % | share before → after |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in &outcomes {
        let pct = percent_of(&o.original.overall, &o.unlearned.overall, Protocol::Pop100);
        let retain = percent_of(&o.original.retain, &o.unlearned.retain, Protocol::Pop100);
        writeln!(
            md,
            "| {} | {} | {} | {}% | {} | {:.2} | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% → {:.1}% |",
            o.genre,
            o.forget_set_users,
            o.neurons().screening.neurons.len(),
            o.neurons().screening.p,
            if o.neurons().screening.converged { "yes" } else { "no" },
            o.forget.times.attribution,
            100.0 * o.removal_unlearned[0].rate,
            100.0 * o.removal_unlearned[2].rate,
            pct[2],
            pct[5],
            retain[2],
            100.0 * o.original.exposure,
            100.0 * o.unlearned.exposure
        )?;
    }
    writeln!(md, "\n## Trade-off sweep: zeroing the top-k neurons ({} test users)\n", sweep_cases.len())?;
    writeln!(md, "Rankings: mean attribution for the genre; contrastive (genre minus other genres); random (control).\n")?;
    for (genre, points) in &sweeps {
        let slug = genre.slug();
        std::fs::write(
            args.out.join(format!("sweep-{slug}-removal.svg")),
            sweep_svg(points, &format!("{genre}: removal rate (pop100)"), |p| p.removal, "removal"),
        )?;
        std::fs::write(
            args.out.join(format!("sweep-{slug}-hr.svg")),
            sweep_svg(points, &format!("{genre}: overall HR@10, % of original"), |p| p.hr_percent / 100.0, "HR@10 / original"),
        )?;
        writeln!(md, "### {genre}\n\n![removal](sweep-{slug}-removal.svg) ![HR](sweep-{slug}-hr.svg)\n")?;
        writeln!(md, "| k | ranking | removal (pop100) | HR@10 % | retain HR@10 % |\n|---|---|---|---|---|")?;
        for p in points {
            writeln!(md, "| {} | {} | {:.1}% | {:.1}% | {:.1}% |", p.k, p.ranking, 100.0 * p.removal, p.hr_percent, p.retain_hr_percent)?;
        }
        writeln!(md)?;
    }
    writeln!(md, "## Model comparison (the paper's Figures 3 and 4)\n")?;
    writeln!(
        md,
        "All models on the same {} test users, candidates and negatives. Retrained and unlearned rows are the per-genre models above.\n",
        cases.len()
    )?;
    for (dir, architecture, meta) in &baselines {
        writeln!(
            md,
            "- {}: `{}`, {} epochs, seed {}, {}, by `{}`.",
            architecture.title(),
            dir.display(),
            meta.epochs,
            meta.seed,
            meta.training_summary(),
            meta.command
        )?;
    }
    for dir in &missing_baselines {
        writeln!(
            md,
            "- `{}` is missing: train it with `recforget train --model {}`.",
            dir.display(),
            dir.file_name().and_then(|n| n.to_str()).and_then(|n| n.split('-').next()).unwrap_or("gru4rec")
        )?;
    }
    writeln!(md)?;
    for protocol in Protocol::ALL {
        let file = format!("comparison-{}.svg", protocol.name());
        std::fs::write(args.out.join(&file), comparison_svg(&comparison, protocol))?;
        writeln!(md, "### {} protocol\n\n![comparison, {}]({file})\n", protocol.name(), protocol.name())?;
        writeln!(
            md,
            "| model | HR@1 | HR@5 | HR@10 | NDCG@1 | NDCG@5 | NDCG@10 | HR@10 % of orig. | NDCG@10 % of orig. |\n|---|---|---|---|---|---|---|---|---|"
        )?;
        for row in &comparison {
            let m = row.metrics.get(protocol);
            let pct = percent_of(&comparison[0].metrics, &row.metrics, protocol);
            writeln!(
                md,
                "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1}% | {:.1}% |",
                row.model, m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2], pct[2], pct[5]
            )?;
        }
        writeln!(md)?;
    }
    writeln!(
        md,
        "Published figures on ML-1M for reference (their own preprocessing and training; transcribed by hand from the papers: Sun et al., *BERT4Rec*, CIKM 2019, Table 2, popularity-sampled 100 negatives; Petrov & Macdonald, *A Systematic Review and Replicability Study of BERT4Rec*, RecSys 2022, expected BERT4Rec figures):\n"
    )?;
    writeln!(md, "| source | model | protocol | HR@10 | NDCG@10 |\n|---|---|---|---|---|")?;
    for (source, model, protocol, hr, ndcg) in PUBLISHED {
        writeln!(md, "| {source} | {model} | {} | {hr:.4} | {ndcg:.4} |", protocol.name())?;
    }
    writeln!(md)?;
    std::fs::write(args.out.join("report.md"), md)?;
    println!(
        "wrote {}/report.md, report.json, the sweep and comparison charts in {:.0}s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
