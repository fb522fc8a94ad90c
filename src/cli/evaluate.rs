//! `recforget evaluate` and `recforget export`.

use std::time::Instant;

use anyhow::Result;
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::Checkpoint;
use recforget::metrics::{Evaluation, NegativeSampler, RankingMetrics, evaluate_cases};
use recforget::model::{FfnHook, Recommender};
use recforget::readback::Wait;

use super::common::{SampleArgs, SourceArgs, SplitArg, load_dataset, print_protocols};

#[derive(Args, Debug)]
pub(crate) struct EvaluateArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    #[command(flatten)]
    pub(crate) sample: SampleArgs,
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub(crate) split: SplitArg,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub(crate) backend: Backend,
}

pub(crate) fn evaluate(args: EvaluateArgs) -> Result<()> {
    let dataset = load_dataset(&args.source.data)?;
    let device = args.backend.device()?;
    let checkpoint: Checkpoint<Recommender> = Checkpoint::load(&args.source.checkpoint, &device)?;
    checkpoint.meta.check_vocabulary(&dataset)?;
    if let Some(edit) = &checkpoint.meta.edit {
        eprintln!("an edited model: {} with {}, forgetting {}", edit.original, edit.method, edit.forgot);
    }
    let mut cases = args.sample.cases(&dataset, args.split.into());
    if cases.is_empty() {
        anyhow::bail!("{} has no user with a history and a held-out item to evaluate on", args.source.data.display());
    }
    // A retrained model never saw its deleted genre: its histories leave those items out.
    let deleted = checkpoint.meta.deleted_genres();
    if !deleted.is_empty() {
        let before = cases.len();
        cases = dataset.delete_from_histories(cases, &deleted);
        eprintln!(
            "histories without {} (deleted from this model's training; {} users left with no history skipped)",
            deleted.iter().map(|g| g.name()).collect::<Vec<_>>().join(", "),
            before - cases.len()
        );
    }
    let sampler = NegativeSampler::new(&dataset, args.sample.seed);
    let started = Instant::now();
    let results = evaluate_cases(
        &checkpoint.model,
        &cases,
        &sampler,
        &FfnHook::None,
        recforget::metrics::EVAL_BATCH,
        &recforget::unlearning::RunContext::new(&device),
    )
    .wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let evaluation = Evaluation::summarize(&results, &dataset);
    if args.json {
        let json = serde_json::json!({
            "checkpoint": args.source.checkpoint,
            "model": checkpoint.architecture(),
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
    print_text(&args, &checkpoint, &evaluation, seconds);
    Ok(())
}

/// The evaluation as text: the protocols overall, then by genre of the target item.
fn print_text(args: &EvaluateArgs, checkpoint: &Checkpoint<Recommender>, evaluation: &Evaluation, seconds: f64) {
    println!(
        "{} ({}) on {} {:?} users ({} epochs trained), {:.1}s on {}",
        args.source.checkpoint.display(),
        checkpoint.architecture().title(),
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
}
