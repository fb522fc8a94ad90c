//! `recforget report`: the results page.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};
use recforget::data::{Genre, Split};
use recforget::metrics::NegativeSampler;
use recforget::model::Recommender;
use recforget::output;
use recforget::readback::Wait;
use recforget::report::methods::MethodsReport;
use recforget::unlearning::{ForgetConfig, RunContext};
use strum::IntoEnumIterator;

use super::common::{SampleArgs, SourceArgs, command_line, load_dataset, retrained_dir, second_seed_dir};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    #[command(flatten)]
    pub(crate) sample: SampleArgs,
    /// Test users in each point of the sweep.
    #[arg(long, default_value_t = 1000, value_parser = super::common::whole(1, super::common::COUNT))]
    pub(crate) sweep_users: usize,
    /// Genres of the sweep (default: Action, Drama, Comedy).
    #[arg(long, num_args = 1..)]
    pub(crate) sweep_genres: Vec<String>,
    #[arg(long, default_value = "results")]
    pub(crate) out: PathBuf,
    /// Which part to write: all, the paper's (report.md), the methods (methods.md), or how each
    /// model was trained (training.md, read from the checkpoints' records in a second).
    #[arg(long, value_enum, default_value_t = ReportPart::All)]
    pub(crate) part: ReportPart,
    /// Genres of the methods part. The genres of an earlier `methods.json` that are not measured
    /// again are kept when it measured the same original with the same settings.
    #[arg(long, num_args = 1.., default_values = ["Action", "Drama", "Comedy"])]
    pub(crate) method_genres: Vec<String>,
    /// Distill steps of the methods part's trade-off curve (none: no curve).
    #[arg(long, num_args = 0.., default_values_t = [10usize, 30, 60], value_parser = super::common::setting::<usize>("distill-steps"))]
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
    Training,
    Deletion,
}

pub(crate) fn report(args: ReportArgs) -> Result<()> {
    // Before any measuring: the results folder must be new, empty or recforget's own.
    output::claim(&args.out, output::OutputKind::Report, &[Path::new("checkpoints")])?;
    let all = args.part == ReportPart::All;
    if all || args.part == ReportPart::Training {
        training_report(&args)?;
    }
    if all || args.part == ReportPart::Methods {
        methods_report(&args)?;
    }
    if all || args.part == ReportPart::Paper {
        paper_report(&args)?;
    }
    if all || args.part == ReportPart::Deletion {
        deletion_report(&args)?;
    }
    Ok(())
}

/// A model retrained without D, when its training has reached the end of the replayed schedule;
/// and its state in words either way.
fn finished_retrain(
    dir: &Path,
    name: &str,
    deletions: &recforget::data::DeletionSet,
    schedule_end: usize,
    dataset: &recforget::data::Dataset,
    device: &burn::tensor::Device,
) -> Result<(Option<recforget::unlearning::EditedModel>, String)> {
    use recforget::report::deletion::training_state;
    let meta = checkpoint::CheckpointMeta::load(dir).ok();
    let done = recforget::train::ResumeState::load(dir).ok().flatten().map(|s| s.epochs_done);
    let state = training_state(name, meta.as_ref(), done, schedule_end);
    let Some(meta) = meta else { return Ok((None, state)) };
    if meta.deletions != deletions.requests {
        anyhow::bail!("{} was retrained without another deletion set than D; pass the right folder or retrain", dir.display());
    }
    if done.is_some_and(|d| d < schedule_end) {
        return Ok((None, state));
    }
    let model: Checkpoint = Checkpoint::load(dir, device)?;
    model.meta.check_vocabulary(dataset)?;
    Ok((Some(recforget::unlearning::EditedModel::new(model.model)), state))
}

/// `results/deletion.{md,json}`: the audit of the deletion set D (forget me).
fn deletion_report(args: &ReportArgs) -> Result<()> {
    use recforget::data::{DELETION_SET, DELETION_SET_GENRE, DeletionSet, WEB_SAMPLE};
    use recforget::measurement::Histories;
    use recforget::measurement::audit::{AuditContext, AuditSettings, Audited, audit};
    use recforget::report::deletion::{DeletionReport, markdown};
    use recforget::unlearning::EditedModel;
    use recforget::unlearning::deletion::{DeletionConfig, DeletionMethod, unlearn};

    let started = Instant::now();
    let dataset = load_dataset(&args.source.data)?;
    let device = Backend::Flex.device()?;
    let original: Checkpoint = Checkpoint::load_original(&args.source.checkpoint, &device, &dataset)?;
    let deletions = DeletionSet::standard(&dataset.web_sample(WEB_SAMPLE.0, WEB_SAMPLE.1));
    let schedule_end = original.meta.schedule().last().map_or(original.meta.epochs, |s| s.last_epoch);
    let dir = super::common::retrained_dir_for(&deletions);
    let (retrained, first) = finished_retrain(&dir, "seed 42", &deletions, schedule_end, &dataset, &device)?;
    let (second, other) = finished_retrain(&second_seed_dir(&dir), "seed 7", &deletions, schedule_end, &dataset, &device)?;
    let edited = EditedModel::new(original.model.clone());
    let config = DeletionConfig::default();
    let mut unlearned = Vec::new();
    let mut method_seconds = Vec::new();
    for method in DeletionMethod::iter() {
        let started = Instant::now();
        let model = unlearn(&original.model, &dataset, &deletions, method, &config, &RunContext::new(&device)).wait()?;
        method_seconds.push(format!("{}: {:.1} s", method.name(), started.elapsed().as_secs_f64()));
        unlearned.push((method, EditedModel::new(model)));
    }
    let mut models = vec![
        Audited { name: "original", model: &edited, histories: Histories::Kept },
        Audited { name: "deletion only", model: &edited, histories: Histories::Deleted },
    ];
    models.extend(unlearned.iter().map(|(method, model)| Audited { name: method.name(), model, histories: Histories::Deleted }));
    let ctx = AuditContext { dataset: &dataset, deletions: &deletions, also_deleted: None, memo: None, device: &device };
    eprintln!("auditing D: {} models, {} retrained", models.len(), retrained.iter().chain(&second).count());
    let audit =
        audit(&ctx, &models, retrained.as_ref(), second.as_ref(), &AuditSettings::default(), recforget::parallel::threads_for(ctx.device))
            .wait()?;
    let (per_scope, seed) = DELETION_SET;
    let report = DeletionReport {
        command: command_line(),
        drawn: format!(
            "from the page's sample ({} users, seed {}), shuffled with seed {seed}: the first {per_scope} delete all their \
             interactions; of the rest, the first {per_scope} whose training history has {DELETION_SET_GENRE} films delete \
             their {DELETION_SET_GENRE} interactions",
            WEB_SAMPLE.0, WEB_SAMPLE.1
        ),
        retrained: vec![first, other],
        methods: DeletionMethod::iter().zip(&method_seconds).map(|(m, t)| format!("{} — {} ({t})", m.name(), m.description())).collect(),
        config,
        audit,
        seconds: started.elapsed().as_secs_f64(),
    };
    let files = vec![
        ("deletion.json".to_string(), serde_json::to_vec_pretty(&report)?),
        ("deletion.md".to_string(), markdown(&report).into_bytes()),
    ];
    output::write_report(&args.out, &files, &[Path::new("checkpoints")])?;
    println!("wrote {}/deletion.md and deletion.json in {:.0}s", args.out.display(), report.seconds);
    Ok(())
}

/// `results/training.{md,json}` and `validation.svg`: the original and, for each of the methods'
/// genres, the retrained model and its second seed, each also where it is still training
/// (`checkpoints/in-progress/<folder>`).
fn training_report(args: &ReportArgs) -> Result<()> {
    use recforget::report::training::{Role, TrainingRecord, TrainingReport, markdown, validation_svg};

    let dataset = load_dataset(&args.source.data)?;
    // The original's role is checked as everywhere: not a retrained or edited model.
    checkpoint::CheckpointMeta::load(&args.source.checkpoint)?.check_original(&args.source.checkpoint)?;
    let in_progress = |dir: &std::path::Path| PathBuf::from("checkpoints/in-progress").join(dir.file_name().unwrap_or_default());
    let original = TrainingRecord::read(Role::Original, &args.source.checkpoint, &dataset, None)?
        .with_context(|| format!("{} holds no checkpoint", args.source.checkpoint.display()))?;
    let continued = TrainingRecord::read(Role::Original, &in_progress(&args.source.checkpoint), &dataset, None)?;
    // The retrained models replay the schedule of the original being continued, where it is.
    let target = Some(continued.as_ref().unwrap_or(&original).meta.epochs);
    let mut models: Vec<TrainingRecord> = std::iter::once(original).chain(continued).collect();
    for name in &args.method_genres {
        let genre: Genre = name.parse()?;
        let without = dataset.without_genre_in_training(genre);
        let dir = retrained_dir(genre);
        let seed2 = second_seed_dir(&dir);
        let dirs = [
            (Role::Retrained(genre), in_progress(&dir)),
            (Role::Retrained(genre), dir),
            (Role::RetrainedSecondSeed(genre), in_progress(&seed2)),
            (Role::RetrainedSecondSeed(genre), seed2),
        ];
        for (role, dir) in dirs {
            models.extend(TrainingRecord::read(role, &dir, &without, target)?);
        }
    }
    let report = TrainingReport { command: command_line(), models };
    let files = vec![
        ("validation.svg".to_string(), validation_svg(&report).into_bytes()),
        ("training.json".to_string(), serde_json::to_vec_pretty(&report)?),
        ("training.md".to_string(), markdown(&report).into_bytes()),
    ];
    output::write_report(&args.out, &files, &[Path::new("checkpoints")])?;
    println!("wrote {}/training.md, training.json and validation.svg", args.out.display());
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
        let original: Checkpoint = Checkpoint::load_original(&args.source.checkpoint, &device, &dataset)?;
        let cases = args.sample.cases(&dataset, Split::Test);
        let sampler = NegativeSampler::new(&dataset, args.sample.seed);
        Ok(Inputs { dataset, device, original, cases, sampler })
    }
}

/// `results/methods.{md,json}` and their charts.
fn methods_report(args: &ReportArgs) -> Result<()> {
    use recforget::measurement::{EvalContext, MeasureSettings, RelearnSettings};
    use recforget::report::methods::{MethodsPlan, RetrainedModel, genre_methods, markdown, relearn_svg, tradeoff_svg};

    let started = Instant::now();
    let Inputs { dataset, device, original, cases, sampler } = Inputs::load(args)?;
    let ctx = EvalContext { dataset: &dataset, cases: &cases, sampler: &sampler, device: &device };
    let config = ForgetConfig::default();
    let settings = MeasureSettings::default();
    let relearn_settings = RelearnSettings::default();
    let command = command_line();
    let mut genres = Vec::new();
    for name in &args.method_genres {
        let genre: Genre = name.parse()?;
        eprintln!("{genre}: methods, measurement{}", if args.no_relearn { "" } else { ", relearn" });
        let dir = retrained_dir(genre);
        let retrained = super::forget::load_retrained(&dir, genre, &dataset, &device)?;
        let second = super::forget::load_retrained(&second_seed_dir(&dir), genre, &dataset, &device)?;
        let reference = retrained.as_ref().map(|(model, meta)| RetrainedModel {
            model,
            cpu_seconds: meta.cpu_train_seconds(),
            record: checkpoint_record(&dir, meta),
        });
        let plan = MethodsPlan {
            command: &command,
            config: &config,
            settings: &settings,
            relearn: (!args.no_relearn).then_some(&relearn_settings),
            tradeoff_steps: &args.tradeoff_steps,
        };
        genres.push(genre_methods(&ctx, &original.model, genre, &plan, reference.as_ref(), second.as_ref().map(|(m, _)| m))?);
    }
    let measured = checkpoint_record(&args.source.checkpoint, &original.meta);
    let mut report = MethodsReport { original: measured, test_users: cases.len(), config, settings, relearn_settings, genres };
    keep_earlier_genres(&mut report, &args.out.join("methods.json"));
    let mut files = Vec::new();
    for g in &report.genres {
        let slug = g.genre.slug();
        if !g.relearn.is_empty() {
            files
                .push((format!("relearn-{slug}.svg"), relearn_svg(&g.relearn, &format!("{}: relearning the genre", g.genre)).into_bytes()));
        }
        if !g.tradeoff.is_empty() {
            files.push((format!("tradeoff-{slug}.svg"), tradeoff_svg(&g.tradeoff, &format!("{}: distill over K", g.genre)).into_bytes()));
        }
    }
    files.push(("methods.json".to_string(), serde_json::to_vec_pretty(&report)?));
    files.push(("methods.md".to_string(), markdown(&report).into_bytes()));
    output::write_report(&args.out, &files, &[Path::new("checkpoints")])?;
    println!("wrote {}/methods.md, methods.json and their charts in {:.0}s", args.out.display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// A checkpoint as the methods report names it: folder, epochs and how it was trained.
fn checkpoint_record(dir: &std::path::Path, meta: &recforget::checkpoint::CheckpointMeta) -> String {
    format!("`{}`, {} epochs, {}", dir.display(), meta.epochs, meta.training_summary())
}

/// Adds the genres of the methods report at `path` that `report` did not measure again, and says
/// so when it cannot (an unreadable file, another original or other settings).
fn keep_earlier_genres(report: &mut MethodsReport, path: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    match serde_json::from_str::<MethodsReport>(&text) {
        Err(e) => eprintln!(
            "note: {} is not a methods report this version reads ({e}); it is replaced by the genres measured now",
            path.display()
        ),
        Ok(earlier) => {
            let dropped: Vec<String> = earlier.genres.iter().map(|g| g.genre.to_string()).collect();
            if !report.keep_earlier(earlier) {
                eprintln!(
                    "note: {} measured another original or with other settings; its genres ({}) are left out: measure them again with --method-genres",
                    path.display(),
                    dropped.join(", ")
                );
            }
        }
    }
}

/// `results/report.{md,json}` and their charts: the paper's tables, every genre, the sweep, the
/// comparison (built and rendered by `recforget::report::paper`).
fn paper_report(args: &ReportArgs) -> Result<()> {
    use recforget::measurement::EvalContext;
    use recforget::report::paper::{PAPER_GENRES, PaperInputs, build, charts, markdown};

    let Inputs { dataset, device, original, cases, sampler } = Inputs::load(args)?;
    let ctx = EvalContext { dataset: &dataset, cases: &cases, sampler: &sampler, device: &device };
    let mut retrained = Vec::new();
    for genre in Genre::iter() {
        let dir = retrained_dir(genre);
        retrained.push((
            genre,
            if dir.join(checkpoint::META_FILE).exists() { Some(Checkpoint::load_for(&dir, &device, &dataset)?) } else { None },
        ));
    }
    let mut baselines = Vec::new();
    for dir in &args.baselines {
        let baseline: Option<Checkpoint<Recommender>> =
            if dir.join(checkpoint::META_FILE).exists() { Some(Checkpoint::load_for(dir, &device, &dataset)?) } else { None };
        if let Some(b) = &baseline {
            b.meta.check_vocabulary(&dataset)?;
        }
        baselines.push((dir.clone(), baseline));
    }
    let sweep_genres = if args.sweep_genres.is_empty() {
        PAPER_GENRES.to_vec()
    } else {
        args.sweep_genres.iter().map(|g| g.parse()).collect::<Result<_, _>>()?
    };
    let inputs = PaperInputs {
        command: command_line(),
        original: &original,
        original_path: args.source.checkpoint.clone(),
        retrained,
        baselines,
        sweep_genres,
        sweep_users: args.sweep_users,
        seed: args.sample.seed,
        config: ForgetConfig::default(),
    };
    let report = build(&ctx, inputs, |line| eprintln!("{line}"))?;
    let mut files: Vec<(String, Vec<u8>)> = charts(&report).into_iter().map(|(file, svg)| (file, svg.into_bytes())).collect();
    files.push(("report.json".to_string(), serde_json::to_vec_pretty(&report)?));
    files.push(("report.md".to_string(), markdown(&report).into_bytes()));
    output::write_report(&args.out, &files, &[Path::new("checkpoints")])?;
    println!("wrote {}/report.md, report.json, the sweep and comparison charts in {:.0}s", args.out.display(), report.seconds);
    Ok(())
}
