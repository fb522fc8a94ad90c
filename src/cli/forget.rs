//! `recforget forget`: forget one genre with one or more methods and measure what changed.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};
use recforget::data::{Dataset, Genre, Split};
use recforget::measurement::{EvalContext, Figures, Histories, MeasureSettings, Measurement, RelearnStrength, measure, relearn};
use recforget::metrics::{NegativeSampler, Protocol};
use recforget::output::{self, OutputKind};
use recforget::readback::Wait;
use recforget::unlearning::{
    EditedModel, ForgetConfig, ForgetReport, ForgetStage, RowBias, RunContext, Trainable, forget as forget_genre, methods_name,
    parse_methods,
};

use super::common::{SampleArgs, SourceArgs, command_line, load_dataset, retrained_dir, second_seed_dir};
use super::settings::SettingFlags;

#[derive(Args, Debug)]
#[group(id = "request", required = true, multiple = false, args = ["genre", "user", "deletion_set"])]
pub(crate) struct ForgetArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    #[command(flatten)]
    pub(crate) sample: SampleArgs,
    /// The genre to forget for everyone (e.g. Action, Sci-Fi, Children's).
    #[arg(long)]
    pub(crate) genre: Option<String>,
    /// A person's deletion instead: this user's interactions go (`1m_5`), the films stay.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Many people's deletions at once: `standard` (the deletion set D) or a deletion-set JSON
    /// file; audited against the model retrained without it.
    #[arg(long)]
    pub(crate) deletion_set: Option<String>,
    /// With --user: `all` their interactions, or one genre's.
    #[arg(long, default_value = "all", requires = "user")]
    pub(crate) scope: String,
    /// With --genre, the methods applied in order: neurons (the paper's, the default), rows,
    /// distill, filter; e.g. `rows,distill`. With --user: finetune or neggrad+ (the default).
    #[arg(long)]
    pub(crate) method: Option<String>,
    /// The model retrained without the genre (default: checkpoints/retrain-<genre>, if present;
    /// a second one with another seed, `<retrained>-seed2`, gives the noise floor).
    #[arg(long)]
    pub(crate) retrained: Option<PathBuf>,
    /// The methods' settings, each `--<key> VALUE` from the library's table (e.g.
    /// `--sequences`, `--steps`, `--distill-steps`, `--rows-refit`).
    #[command(flatten)]
    pub(crate) settings: SettingFlags,
    /// distill: which parameters move.
    #[arg(long, value_enum, default_value_t = TrainableArg::All)]
    pub(crate) trainable: TrainableArg,
    /// distill with `--trainable salient`: how many attribution-ranked FFN neurons may move.
    #[arg(long, default_value_t = 32, value_parser = super::common::whole(1, 4096))]
    pub(crate) salient_neurons: usize,
    /// rows: where the genre's output bias goes.
    #[arg(long, value_enum, default_value_t = RowBiasArg::BelowLowest)]
    pub(crate) row_bias: RowBiasArg,
    /// Give models that forgot the genre their histories as recorded instead of without it.
    #[arg(long)]
    pub(crate) keep_histories: bool,
    /// Also run the relearn test on the edited and the retrained models.
    #[arg(long)]
    pub(crate) relearn: bool,
    /// With --relearn, the attack strengths (weak: 16 users, 30 steps at 3e-4; standard: 64,
    /// 60 at 1e-3; strong: 256, 120 at 3e-3), e.g. `weak,standard,strong`.
    #[arg(long, value_delimiter = ',', default_value = "standard")]
    pub(crate) relearn_strength: Vec<RelearnStrength>,
    /// Save the edited model's weights as a checkpoint here (output filters and suppression
    /// are not weights: they are refused).
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub(crate) backend: Backend,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum TrainableArg {
    All,
    Shared,
    OutputSide,
    Salient,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum RowBiasArg {
    BelowLowest,
    Initial,
}

impl ForgetArgs {
    fn config(&self) -> Result<ForgetConfig> {
        let mut config = self.settings.apply(ForgetConfig::with_methods(parse_methods(self.method.as_deref().unwrap_or("neurons"))?))?;
        config.distill.trainable = match self.trainable {
            TrainableArg::All => Trainable::All,
            TrainableArg::Shared => Trainable::Shared,
            TrainableArg::Salient => Trainable::Salient { neurons: self.salient_neurons },
            TrainableArg::OutputSide => Trainable::OutputSide,
        };
        config.rows.bias = match self.row_bias {
            RowBiasArg::BelowLowest => RowBias::default(),
            RowBiasArg::Initial => RowBias::Initial,
        };
        config.validate()?;
        Ok(config)
    }
}

/// Errors unless `forget --save` may write into `dir`: a new or empty folder, or an edited model
/// saved there before, and never the checkpoint it edits (or a folder around or inside it).
pub(crate) fn claim_edited_folder(dir: &Path, original: &Path) -> Result<()> {
    output::claim(dir, OutputKind::Checkpoint, &[original])?;
    let meta = checkpoint::CheckpointMeta::load(dir);
    if dir.join(checkpoint::META_FILE).exists() && !meta.as_ref().is_ok_and(|m| m.edit.is_some()) {
        bail!(
            "will not write to {}: it holds a checkpoint that is not an edited model saved by `forget --save`; choose a new --save folder",
            dir.display()
        );
    }
    Ok(())
}

/// A retrained checkpoint as an edited model that forgot `genre`, if the folder holds one.
pub(crate) fn load_retrained(
    dir: &Path,
    genre: Genre,
    dataset: &Dataset,
    device: &burn::tensor::Device,
) -> Result<Option<(EditedModel, checkpoint::CheckpointMeta)>> {
    if !dir.join(checkpoint::META_FILE).exists() {
        return Ok(None);
    }
    let r: Checkpoint = Checkpoint::load(dir, device)?;
    r.meta.check_vocabulary(dataset)?;
    let deleted = r.meta.deleted_genres();
    if !deleted.contains(&genre) {
        bail!("{} was not retrained without {genre} (its data: {}); pass the right --retrained folder", dir.display(), r.meta.dataset);
    }
    let mut edited = EditedModel::new(r.model);
    edited.forget(genre, dataset);
    Ok(Some((edited, r.meta)))
}

pub(crate) fn forget(args: ForgetArgs) -> Result<()> {
    if args.deletion_set.is_some() {
        return super::forget_me::forget_deletion_set(&args);
    }
    let Some(genre) = &args.genre else { return super::forget_me::forget_me(&args) };
    let genre: Genre = genre.parse()?;
    let config = args.config()?;
    // Before any work: what is saved must live in the weights, and where it goes must be free.
    if let Some(dir) = &args.save {
        if !config.edits_weights_only() {
            bail!(
                "--save keeps weights only; an output filter or a suppress-at-mask edit is not in the weights: leave out --save, or choose other methods"
            );
        }
        claim_edited_folder(dir, &args.source.checkpoint)?;
    }
    super::common::check_asked_reference(args.retrained.as_deref())?;
    let dataset = load_dataset(&args.source.data)?;
    let device = args.backend.device()?;
    let original: Checkpoint = Checkpoint::load_original(&args.source.checkpoint, &device, &dataset)?;
    let start = EditedModel::new(original.model.clone());
    let context = RunContext::new(&device);
    let (reports, edited) = forget_genre(&start, &original.model, &dataset, genre, &config, &context, stage_printer(args.json)).wait()?;
    if !args.json {
        eprintln!();
    }
    if let Some(dir) = &args.save {
        save_edited(dir, &args, &original, &edited, genre, &config)?;
    }
    let retrained_path = args.retrained.clone().unwrap_or_else(|| retrained_dir(genre));
    let retrained = load_retrained(&retrained_path, genre, &dataset, &device)?;
    let second = load_retrained(&second_seed_dir(&retrained_path), genre, &dataset, &device)?;
    let cases = args.sample.cases(&dataset, Split::Test);
    let sampler = NegativeSampler::new(&dataset, args.sample.seed);
    let ctx = EvalContext { dataset: &dataset, cases: &cases, sampler: &sampler, device: &device };
    let settings =
        MeasureSettings { histories: if args.keep_histories { Histories::Kept } else { Histories::Deleted }, ..MeasureSettings::default() };
    let name = methods_name(&config.methods);
    let references = [retrained.as_ref().map(|(m, _)| m), second.as_ref().map(|(m, _)| m)];
    let models = [("original", &start), (name.as_str(), &edited)];
    let measurement = measure(&ctx, genre, &models, references[0], references[1], &settings, context.threads).wait()?;
    let curves = if args.relearn { Some(relearn_curves(&ctx, genre, &args.relearn_strength, (&name, &edited), references)?) } else { None };
    let seconds: f64 = reports.iter().map(|r| r.times.total).sum();
    let retrain_seconds = retrained.as_ref().and_then(|(_, meta)| meta.cpu_train_seconds());
    if args.json {
        let retrained_path = retrained.as_ref().map(|_| retrained_path.as_path());
        return print_json(genre, &config, &reports, seconds, &measurement, curves.as_deref(), retrained_path, retrain_seconds);
    }
    print_text(genre, &reports, seconds, retrain_seconds, &measurement, curves.as_deref());
    Ok(())
}

/// Prints attribution and distillation progress on one line of stderr (nothing when `quiet`).
fn stage_printer(quiet: bool) -> impl FnMut(ForgetStage) + Send {
    move |stage| {
        if quiet {
            return;
        }
        match stage {
            ForgetStage::Attribution(p) => {
                eprint!("\rattribution: {}/{} sequences   ", p.sequences_done, p.sequences)
            }
            ForgetStage::Training { step, steps, loss } => eprint!("\rdistill: step {step}/{steps}, loss {loss:.4}   "),
            _ => {}
        }
    }
}

/// The forget as one JSON object: what was asked, what each method did, the measurement and
/// the relearn curves, and the retraining it is compared with.
#[allow(clippy::too_many_arguments)]
fn print_json(
    genre: Genre,
    config: &ForgetConfig,
    reports: &[ForgetReport],
    seconds: f64,
    measurement: &Measurement,
    curves: Option<&[RelearnCurve]>,
    retrained: Option<&Path>,
    retrain_seconds: Option<f64>,
) -> Result<()> {
    let json = serde_json::json!({
        "genre": genre,
        "methods": config.methods,
        "config": config,
        "reports": reports,
        "seconds": seconds,
        "measurement": measurement,
        "relearn": curves.map(|c| c.iter().map(|(strength, model, points)| serde_json::json!({
            "strength": strength, "settings": strength.settings(), "model": model, "points": points,
        })).collect::<Vec<_>>()),
        "retrained": retrained,
        "retrainSeconds": retrain_seconds,
        "speedup": retrain_seconds.map(|t| t / seconds),
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// `forget --save`: the edited model's weights as a checkpoint that records how it was edited.
fn save_edited(
    dir: &Path,
    args: &ForgetArgs,
    original: &Checkpoint,
    edited: &EditedModel,
    genre: Genre,
    config: &ForgetConfig,
) -> Result<()> {
    debug_assert!(!edited.filters() && edited.suppressed.is_empty(), "ForgetConfig::edits_weights_only refused this before the forget");
    claim_edited_folder(dir, &args.source.checkpoint)?;
    let method = methods_name(&config.methods);
    let meta = checkpoint::CheckpointMeta {
        notes: format!("{} after forgetting {genre} with {method}", args.source.checkpoint.display()),
        command: command_line(),
        edit: Some(checkpoint::EditRecord { method, forgot: genre.to_string(), original: args.source.checkpoint.display().to_string() }),
        ..original.meta.clone()
    };
    checkpoint::save_parts(&edited.model, &original.config, &meta, dir)?;
    Ok(())
}

/// One relearn curve per attack strength and model: the edited model, then each retrained one.
type RelearnCurve = (RelearnStrength, String, Vec<recforget::measurement::RelearnPoint>);

fn relearn_curves(
    ctx: &EvalContext<'_>,
    genre: Genre,
    strengths: &[RelearnStrength],
    (name, edited): (&str, &EditedModel),
    references: [Option<&EditedModel>; 2],
) -> Result<Vec<RelearnCurve>> {
    let mut curves = Vec::new();
    for &strength in strengths {
        let settings = strength.settings();
        let models = std::iter::once((name.to_string(), Some(edited)))
            .chain([("retrained".to_string(), references[0]), ("retrained seed 2".to_string(), references[1])]);
        for (model, edited) in models {
            if let Some(edited) = edited {
                curves.push((strength, model, relearn(ctx, genre, edited, &settings)?));
            }
        }
    }
    Ok(curves)
}

fn print_text(
    genre: Genre,
    reports: &[ForgetReport],
    seconds: f64,
    retrain_seconds: Option<f64>,
    measurement: &Measurement,
    curves: Option<&[RelearnCurve]>,
) {
    for report in reports {
        print_report(report);
    }
    print!("forgetting took {seconds:.2}s");
    match retrain_seconds {
        Some(t) => println!(" (retraining without {genre}: {t:.0}s on the CPU, ×{:.0})", t / seconds),
        None => println!(),
    }
    println!();
    print_measurement(measurement);
    if let Some(curves) = curves {
        println!("\nrelearn test ({genre} HR@10 pop100 at each fine-tuning step):");
        for (strength, name, points) in curves {
            let s = strength.settings();
            let line: Vec<String> = points.iter().map(|p| format!("{}: {:.3}", p.step, p.genre_hr10)).collect();
            println!("  {:<8} ({} users, lr {}) {name:<18} {}", strength.name(), s.users, s.learning_rate, line.join("  "));
        }
    }
}

fn print_report(report: &ForgetReport) {
    let t = &report.times;
    println!("{}: {} ({:.2}s)", report.method(), report.summary(), t.total);
    if report.neurons().is_some() {
        println!(
            "  attribution {:.2}s, screening {:.3}s, editing {:.3}s; {} forward, {} backward sequence passes",
            t.attribution, t.screening, t.editing, report.work.forward, report.work.backward
        );
    }
}

fn print_figures(name: &str, f: &Figures) {
    let pop = &f.overall.pop100;
    let removal = f.removal_at(Protocol::Pop100).map(|r| format!("{:>5.1}%", 100.0 * r.rate)).unwrap_or_else(|| "     -".into());
    let closeness = f.closeness.map(|c| format!("{:>5.1}% {:>6.3}", 100.0 * c.overlap, c.kl)).unwrap_or_default();
    println!(
        "{name:<24} {removal} {:>6.1}% {:>7.4} {:>7.4} {:>7.4} {:>6.3} {:>7.2} {:>6.3} {:>6.3}  {closeness}",
        100.0 * f.share,
        pop.hr10(),
        f.retain.pop100.hr10(),
        f.retain.full.hr10(),
        f.deleted.hr10,
        f.deleted.mean_log_prob,
        f.membership.item_auc,
        f.membership.user_auc,
    );
}

fn print_measurement(m: &Measurement) {
    println!(
        "{} test users in the forget set ({}); membership on {} users; histories: {:?}",
        m.forget_set_users, m.genre, m.settings.membership_users, m.settings.histories
    );
    println!(
        "{:<24} {:>6} {:>7} {:>7} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6}  overlap / KL with retrained",
        "model", "remov.", "share", "HR@10", "ret.HR", "ret.full", "del.HR", "del.lp", "AUCi", "AUCu"
    );
    for model in &m.models {
        print_figures(&model.name, &model.served);
        if let Some(w) = &model.weights {
            print_figures(&format!("{} (weights)", model.name), w);
        }
    }
    if let Some(f) = &m.floor {
        println!("noise floor (two retrained models): overlap {:.1}%, KL {:.3}", 100.0 * f.overlap, f.kl);
    }
    println!(
        "(remov. = removal rate pop100; HR@10 pop100 overall; ret. = retain users; del. = deleted training interactions, full ranking; AUCi/AUCu = membership per item / per user, 0.5 = cannot tell)"
    );
}
