//! The paper's report (`results/report.{json,md}` and its charts): one serde type built by
//! [`build`]; the Markdown and the SVG charts are renderings of it, so the JSON and the page
//! cannot disagree.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use strum::IntoEnumIterator;

use super::{ComparisonRow, GenreOutcome, PUBLISHED, SweepPoint, comparison_svg, genre_outcome, sweep, sweep_svg};
use crate::checkpoint::{Checkpoint, CheckpointMeta};
use crate::data::Genre;
use crate::error::Result;
use crate::measurement::{EvalContext, percent_of};
use crate::metrics::{EVAL_BATCH, Protocol, ProtocolMetrics, evaluate_cases};
use crate::model::{Architecture, FfnHook, Recommender};
use crate::readback::Wait;
use crate::unlearning::ForgetConfig;
use crate::unlearning::RunContext;

/// A baseline recommender compared with BERT4Rec.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    pub path: PathBuf,
    pub model: Architecture,
    pub meta: CheckpointMeta,
}

/// The trade-off sweep of one genre.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreSweep {
    pub genre: Genre,
    pub points: Vec<SweepPoint>,
}

/// Everything the paper's report shows.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaperReport {
    /// The command that produced it.
    pub command: String,
    pub checkpoint: PathBuf,
    pub checkpoint_meta: CheckpointMeta,
    pub test_users: usize,
    /// Seed of the sampled negatives.
    pub seed: u64,
    pub forget_config: ForgetConfig,
    /// Every genre under the paper's rule, in MovieLens' order.
    pub genres: Vec<GenreOutcome>,
    pub sweep_users: usize,
    pub sweeps: Vec<GenreSweep>,
    /// The model comparison (the paper's Figures 3 and 4): the original first.
    pub comparison: Vec<ComparisonRow>,
    pub baselines: Vec<Baseline>,
    /// Baseline folders that were asked for but are not there.
    pub missing_baselines: Vec<PathBuf>,
    pub seconds: f64,
}

/// What the paper's report is built from: the models (loaded by the caller) and the settings.
pub struct PaperInputs<'a> {
    pub command: String,
    pub original: &'a Checkpoint,
    pub original_path: PathBuf,
    /// The model retrained without each genre, where there is one.
    pub retrained: Vec<(Genre, Option<Checkpoint>)>,
    /// Baselines: the folder, and the checkpoint when it is there.
    pub baselines: Vec<(PathBuf, Option<Checkpoint<Recommender>>)>,
    pub sweep_genres: Vec<Genre>,
    pub sweep_users: usize,
    pub seed: u64,
    pub config: ForgetConfig,
}

/// The paper's three genres (its Tables 2 and 3).
pub const PAPER_GENRES: [Genre; 3] = [Genre::Action, Genre::Drama, Genre::Comedy];

/// Runs the paper's method on every genre, the sweep and the model comparison.
pub fn build(ctx: &EvalContext<'_>, inputs: PaperInputs<'_>, mut log: impl FnMut(&str)) -> Result<PaperReport> {
    let started = crate::clock::now_seconds();
    let model = &inputs.original.model;
    let mut genres = Vec::new();
    for (genre, retrained) in &inputs.retrained {
        log(&format!("{genre}: forgetting and measuring"));
        genres.push(genre_outcome(ctx, model, retrained.as_ref(), *genre, &inputs.config)?);
    }
    let sweep_cases: Vec<_> = ctx.cases.iter().take(inputs.sweep_users).cloned().collect();
    let sweep_ctx = EvalContext { cases: &sweep_cases, ..*ctx };
    let mut sweeps = Vec::new();
    for &genre in &inputs.sweep_genres {
        log(&format!("{genre}: sweep"));
        let outcome = genres
            .iter()
            .find(|o| o.genre == genre)
            .ok_or_else(|| crate::Error::Config(format!("the sweep's genre {genre} was not among the report's genres")))?;
        let points = sweep(&sweep_ctx, model, genre, outcome.neurons(), &inputs.config)?;
        sweeps.push(GenreSweep { genre, points });
    }
    let mut comparison = vec![ComparisonRow { model: "Original BERT4Rec".into(), metrics: overall(ctx, model)? }];
    for o in genres.iter().filter(|o| PAPER_GENRES.contains(&o.genre)) {
        if let Some(r) = o.retrained() {
            comparison.push(ComparisonRow { model: format!("Retrained ({})", o.genre), metrics: r.overall });
        }
        comparison.push(ComparisonRow { model: format!("Unlearned by neurons ({})", o.genre), metrics: o.unlearned().overall });
    }
    let (mut baselines, mut missing_baselines) = (Vec::new(), Vec::new());
    for (path, checkpoint) in inputs.baselines {
        let Some(baseline) = checkpoint else {
            missing_baselines.push(path);
            continue;
        };
        log(&format!("{}: evaluating", baseline.architecture().title()));
        comparison.push(ComparisonRow { model: baseline.architecture().title().into(), metrics: overall(ctx, &baseline.model)? });
        baselines.push(Baseline { path, model: baseline.architecture(), meta: baseline.meta });
    }
    Ok(PaperReport {
        command: inputs.command,
        checkpoint: inputs.original_path,
        checkpoint_meta: inputs.original.meta.clone(),
        test_users: ctx.cases.len(),
        seed: inputs.seed,
        forget_config: inputs.config,
        genres,
        sweep_users: sweep_cases.len(),
        sweeps,
        comparison,
        baselines,
        missing_baselines,
        seconds: crate::clock::now_seconds() - started,
    })
}

/// A model's figures over all test users (the model comparison).
fn overall(ctx: &EvalContext<'_>, model: &(impl crate::model::NextItemScorer + Sync)) -> Result<ProtocolMetrics> {
    let results = evaluate_cases(model, ctx.cases, ctx.sampler, &FfnHook::None, EVAL_BATCH, &RunContext::new(ctx.device)).wait()?;
    Ok(ProtocolMetrics::from_results(results.iter()))
}

/// The report's charts: `(file name, SVG)` for each sweep and each protocol's comparison.
pub fn charts(r: &PaperReport) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for GenreSweep { genre, points } in &r.sweeps {
        let slug = genre.slug();
        out.push((
            format!("sweep-{slug}-removal.svg"),
            sweep_svg(points, &format!("{genre}: removal rate (pop100)"), |p| p.removal, "removal"),
        ));
        out.push((
            format!("sweep-{slug}-hr.svg"),
            sweep_svg(points, &format!("{genre}: overall HR@10, % of original"), |p| p.hr_percent / 100.0, "HR@10 / original"),
        ));
    }
    for protocol in Protocol::iter() {
        out.push((format!("comparison-{}.svg", protocol.name()), comparison_svg(&r.comparison, protocol)));
    }
    out
}

/// The report as Markdown (`results/report.md`).
pub fn markdown(r: &PaperReport) -> String {
    let mut md = String::new();
    write_markdown(r, &mut md).expect("writing to a String cannot fail");
    md
}

fn write_markdown(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    let m = &r.checkpoint_meta;
    writeln!(md, "# recforget results\n")?;
    writeln!(md, "The paper checked here: {}.\n", crate::claims::PAPER)?;
    writeln!(md, "Produced by `{}` from the committed code and checkpoints ({:.0} s).\n", r.command, r.seconds)?;
    writeln!(
        md,
        "Original model: `{}`, {} epochs, seed {}, {}; validation NDCG@10 (full) {}.",
        r.checkpoint.display(),
        m.epochs,
        m.seed,
        m.training_summary(),
        m.validation_ndcg10.map_or("not measured".to_string(), |v| format!("{v:.4}"))
    )?;
    writeln!(
        md,
        "Test users: {} (leave-one-out last item); negatives seeded with {}. Attribution uses up to {} users whose *validation* item is of the genre, so it never sees the test items the removal is measured on. Defaults: m = {} steps ({:?} Riemann), ratio {}, P from {}% by {} into [{}, {}].\n",
        r.test_users,
        r.seed,
        r.forget_config.neurons.sequences,
        r.forget_config.neurons.ig.steps,
        r.forget_config.neurons.ig.riemann,
        r.forget_config.neurons.screening.ratio,
        r.forget_config.neurons.screening.p_start,
        r.forget_config.neurons.screening.p_step,
        r.forget_config.neurons.screening.band.0,
        r.forget_config.neurons.screening.band.1
    )?;
    writeln!(
        md,
        "Removal rate = 1 − HR@10(forget set after) ÷ HR@10(forget set before); forget set = test users whose target is of the genre; 95% bootstrap interval. Removal and overall HR trade off arithmetically: if the forget set holds x% of the hits, removing a share r of them costs r·x% of overall HR, whatever the method.\n"
    )?;
    paper_tables(r, md)?;
    time_and_closeness(r, md)?;
    every_genre(r, md)?;
    sweeps(r, md)?;
    comparison(r, md)?;
    Ok(())
}

/// The paper's genres (its Tables 2 and 3), with the retrained rows and the claims.
fn paper_tables(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    let m = &r.checkpoint_meta;
    writeln!(md, "## The paper's genres (Tables 2 and 3): pop100 protocol\n")?;
    writeln!(
        md,
        "| genre | model | HR@1 | HR@5 | HR@10 | NDCG@1 | NDCG@5 | NDCG@10 | HR@10 % of orig. | NDCG@10 % of orig. | removal (pop100) | genre share of top-10 |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in r.genres.iter().filter(|o| PAPER_GENRES.contains(&o.genre)) {
        for m in &o.measurement.models {
            let (name, f) = (m.name.as_str(), &m.served);
            let p = f.overall.pop100;
            let pct = percent_of(&o.original().overall, &f.overall, Protocol::Pop100);
            let removal = f
                .removal_at(Protocol::Pop100)
                .map(|r| format!("{:.1}% [{:.1}, {:.1}]", 100.0 * r.rate, 100.0 * r.low, 100.0 * r.high))
                .unwrap_or_default();
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
                100.0 * f.share
            )?;
        }
        if o.retrained().is_none() {
            writeln!(
                md,
                "| {} | retrained | not available: run `recforget retrain --exclude-genre {}` | | | | | | | | | |",
                o.genre, o.genre
            )?;
        }
    }
    writeln!(md, "\nThe paper's claims: {}.\n", crate::claims::summary())?;
    let short: Vec<String> =
        r.genres.iter().filter_map(|o| o.retrain_epochs.filter(|&e| e < m.epochs).map(|e| format!("{} ({e})", o.genre))).collect();
    write!(
        md,
        "The unlearned rows are given the histories as recorded (the paper's condition); deletion only (the original given the histories without the genre, no edit) and retrained are given them without the genre. **Read the retrained rows with care:** they count every test user, including those whose target is of the genre, which a model that never saw it cannot hit (`results/methods.md` gives the retain users' figures)."
    )?;
    if !short.is_empty() {
        write!(
            md,
            " Their saved epoch is earlier than the original's {}: {}; `results/training.md` says how far each trained and why that epoch was kept.",
            m.epochs,
            short.join(", ")
        )?;
    }
    writeln!(md, "\n")?;
    Ok(())
}

/// Forgetting time against retraining, and closeness to the retrained model.
fn time_and_closeness(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    writeln!(md, "### Time, and closeness to the retrained model\n")?;
    writeln!(
        md,
        "Forgetting = attribution + screening + editing on this machine's CPU; retraining = the shipped retrained checkpoint's training time on the CPU: its measured seconds per CPU epoch × every epoch it trained, so epochs trained on a GPU count at the CPU's pace, and a model whose best epoch is earlier than its last is charged its whole schedule (choosing the best epoch takes training through it); the checkpoint's `meta.json` records each stretch of epochs. Closeness is measured on the retain users (test users whose target is not of the genre), KL on the first 500 of them.\n"
    )?;
    writeln!(
        md,
        "| genre | forget s | forward / backward passes | retrain s (epochs trained; saved) | speedup | top-10 overlap with retrained, retain users: unlearned / original | KL(retrained ‖ unlearned) / (‖ original) |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|")?;
    let mut records = Vec::new();
    for o in r.genres.iter().filter(|o| PAPER_GENRES.contains(&o.genre)) {
        if let (Some(record), Some(epochs)) = (&o.retrain_record, o.retrain_epochs) {
            records.push(format!("- Retrained without {}: {epochs} epochs, {record}.", o.genre));
        }
        let t = o.forget.times.total;
        match (o.retrain_seconds, o.retrain_trained_through.zip(o.retrain_epochs), o.unlearned().closeness, o.original().closeness) {
            (Some(rs), Some((trained, saved)), Some(c), Some(original)) => {
                writeln!(
                    md,
                    "| {} | {t:.2} | {} / {} | {rs:.0} ({trained}; {saved}) | ×{:.0} | {:.1}% / {:.1}% | {:.3} / {:.3} |",
                    o.genre,
                    o.forget.work.forward,
                    o.forget.work.backward,
                    rs / t,
                    100.0 * c.overlap,
                    100.0 * original.overlap,
                    c.kl,
                    original.kl
                )?;
            }
            _ => writeln!(md, "| {} | {t:.2} | {} / {} | not available | | | |", o.genre, o.forget.work.forward, o.forget.work.backward)?,
        }
    }
    writeln!(md)?;
    for line in &records {
        writeln!(md, "{line}")?;
    }
    writeln!(md)?;
    Ok(())
}

/// Every genre under the paper's rule.
fn every_genre(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    writeln!(md, "## Every genre, the paper's rule\n")?;
    writeln!(
        md,
        "| genre | forget-set users | neurons | P | in band | attribution s | removal full | removal pop100 | HR@10 % (pop100) | NDCG@10 % (pop100) | retain HR@10 % | share before → after |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for o in &r.genres {
        let (original, unlearned) = (o.original(), o.unlearned());
        let pct = percent_of(&original.overall, &unlearned.overall, Protocol::Pop100);
        let retain = percent_of(&original.retain, &unlearned.retain, Protocol::Pop100);
        let removal = |p: Protocol| unlearned.removal_at(p).map_or(0.0, |r| 100.0 * r.rate);
        writeln!(
            md,
            "| {} | {} | {} | {}% | {} | {:.2} | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {:.1}% → {:.1}% |",
            o.genre,
            o.measurement.forget_set_users,
            o.neurons().screening.neurons.len(),
            o.neurons().screening.p,
            if o.neurons().screening.converged { "yes" } else { "no" },
            o.forget.times.attribution,
            removal(Protocol::Full),
            removal(Protocol::Pop100),
            pct[2],
            pct[5],
            retain[2],
            100.0 * original.share,
            100.0 * unlearned.share
        )?;
    }
    Ok(())
}

/// The trade-off sweeps.
fn sweeps(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    writeln!(md, "\n## Trade-off sweep: zeroing the top-k neurons ({} test users)\n", r.sweep_users)?;
    writeln!(md, "Rankings: mean attribution for the genre; contrastive (genre minus other genres); random (control).\n")?;
    for GenreSweep { genre, points } in &r.sweeps {
        let slug = genre.slug();
        writeln!(md, "### {genre}\n\n![removal](sweep-{slug}-removal.svg) ![HR](sweep-{slug}-hr.svg)\n")?;
        writeln!(md, "| k | ranking | removal (pop100) | HR@10 % | retain HR@10 % |\n|---|---|---|---|---|")?;
        for p in points {
            writeln!(md, "| {} | {} | {:.1}% | {:.1}% | {:.1}% |", p.k, p.ranking, 100.0 * p.removal, p.hr_percent, p.retain_hr_percent)?;
        }
        writeln!(md)?;
    }
    Ok(())
}

/// The model comparison (the paper's Figures 3 and 4) and the published figures.
fn comparison(r: &PaperReport, md: &mut String) -> std::fmt::Result {
    writeln!(md, "## Model comparison (the paper's Figures 3 and 4)\n")?;
    writeln!(
        md,
        "All models on the same {} test users, candidates and negatives. Retrained and unlearned rows are the per-genre models above.\n",
        r.test_users
    )?;
    for Baseline { path: dir, model: architecture, meta } in &r.baselines {
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
    for dir in &r.missing_baselines {
        writeln!(
            md,
            "- `{}` is missing: train it with `recforget train --model {}`.",
            dir.display(),
            dir.file_name().and_then(|n| n.to_str()).and_then(|n| n.split('-').next()).unwrap_or("gru4rec")
        )?;
    }
    writeln!(md)?;
    for protocol in Protocol::iter() {
        let file = format!("comparison-{}.svg", protocol.name());
        writeln!(md, "### {} protocol\n\n![comparison, {}]({file})\n", protocol.name(), protocol.name())?;
        writeln!(
            md,
            "| model | HR@1 | HR@5 | HR@10 | NDCG@1 | NDCG@5 | NDCG@10 | HR@10 % of orig. | NDCG@10 % of orig. |\n|---|---|---|---|---|---|---|---|---|"
        )?;
        for row in &r.comparison {
            let m = row.metrics.get(protocol);
            let pct = percent_of(&r.comparison[0].metrics, &row.metrics, protocol);
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
    Ok(())
}
