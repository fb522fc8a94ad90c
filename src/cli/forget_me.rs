//! `recforget forget --user KEY [--scope all|GENRE] [--method finetune|neggrad+]`: a person's
//! deletion request, granted and audited as the page does it (`measurement::personal`).

use std::time::Instant;

use anyhow::{Result, bail};

use recforget::checkpoint::{self, Checkpoint, CheckpointMeta};
use recforget::data::{DeletionSet, Scope, WEB_SAMPLE};
use recforget::measurement::audit::AuditSettings;
use recforget::measurement::personal::{self, PersonalRequest, Reference};
use recforget::readback::Wait;
use recforget::unlearning::deletion::{DeletionConfig, DeletionMethod};
use recforget::unlearning::{EditedModel, RunContext};

use super::common::{command_line, load_dataset, retrained_dir_for};
use super::forget::ForgetArgs;

pub(crate) fn forget_me(args: &ForgetArgs) -> Result<()> {
    let user = args.user.clone().expect("clap requires --genre or --user");
    let method: DeletionMethod = args.method.as_deref().unwrap_or("neggrad+").parse()?;
    let request = PersonalRequest { user, scope: args.scope.parse::<Scope>()?, method };
    if let Some(dir) = &args.save {
        super::forget::claim_edited_folder(dir, &args.source.checkpoint)?;
    }
    super::common::check_asked_reference(args.retrained.as_deref())?;
    let dataset = load_dataset(&args.source.data)?;
    let device = args.backend.device()?;
    let original: Checkpoint = Checkpoint::load_original(&args.source.checkpoint, &device, &dataset)?;
    // D's retrained model is the exact reference of D's own requests (finished or not: its
    // record says how far it got).
    let set = DeletionSet::standard(&dataset.web_sample(WEB_SAMPLE.0, WEB_SAMPLE.1));
    let retrained = if let Some(dir) = super::common::reference_dir(args.retrained.as_deref(), retrained_dir_for(&set))? {
        let r: Checkpoint = Checkpoint::load_for(&dir, &device, &dataset)?;
        if r.meta.deletions != set.requests {
            bail!("{} was not retrained without the deletion set D; pass the right --retrained folder", dir.display());
        }
        Some((EditedModel::new(r.model), format!("retrained without D ({}, epoch {})", dir.display(), r.meta.epochs)))
    } else {
        None
    };
    let reference = retrained.as_ref().map(|(model, label)| Reference { model, set: &set, label });
    let started = Instant::now();
    let (unlearned, audit) = personal::forget_me(
        &original.model,
        &dataset,
        &request,
        reference.as_ref(),
        &DeletionConfig::default(),
        &AuditSettings::default(),
        None,
        &device,
        recforget::parallel::threads_for(&device),
    )
    .wait()?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(dir) = &args.save {
        save_unlearned(dir, args, &original, &unlearned, method, format!("{}: {}", request.user, request.scope))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "audit": audit, "seconds": seconds }))?);
        return Ok(());
    }
    println!("{}: {} deleted from training by {} in {seconds:.1} s", audit.user, audit.scope, method.name());
    println!("{}", audit.caption);
    super::common::print_table(&audit.table.headers, &audit.table.rows);
    println!("{}", audit.summary);
    Ok(())
}

/// `recforget forget --deletion-set standard|FILE [--method neggrad+|finetune]`: every request of
/// a deletion set unlearned at once, then audited per scope (the report's audit) against the
/// model retrained without it, when there is one.
pub(crate) fn forget_deletion_set(args: &ForgetArgs) -> Result<()> {
    use recforget::measurement::Histories;
    use recforget::measurement::audit::{AuditContext, Audited, audit};
    use recforget::unlearning::deletion::unlearn;

    let method: DeletionMethod = args.method.as_deref().unwrap_or("neggrad+").parse()?;
    if let Some(dir) = &args.save {
        super::forget::claim_edited_folder(dir, &args.source.checkpoint)?;
    }
    super::common::check_asked_reference(args.retrained.as_deref())?;
    let dataset = load_dataset(&args.source.data)?;
    let set = super::common::deletion_set(args.deletion_set.as_deref().expect("dispatched on it"), &dataset)?;
    let device = args.backend.device()?;
    let original: Checkpoint = Checkpoint::load_original(&args.source.checkpoint, &device, &dataset)?;
    let retrained = deletion_set_reference(args, &set, &dataset, &device)?;
    let started = Instant::now();
    let unlearned = unlearn(&original.model, &dataset, &set, method, &DeletionConfig::default(), &RunContext::new(&device)).wait()?;
    let unlearn_seconds = started.elapsed().as_secs_f64();
    let before = EditedModel::new(original.model.clone());
    let after = EditedModel::new(unlearned.clone());
    let models = [
        Audited { name: "original", model: &before, histories: Histories::Kept },
        Audited { name: "deletion only", model: &before, histories: Histories::Deleted },
        Audited { name: method.name(), model: &after, histories: Histories::Deleted },
    ];
    let ctx = AuditContext { dataset: &dataset, deletions: &set, also_deleted: None, memo: None, device: &device };
    let audit =
        audit(&ctx, &models, retrained.as_ref(), None, &AuditSettings::default(), recforget::parallel::threads_for(ctx.device)).wait()?;
    if let Some(dir) = &args.save {
        let forgot = set.requests.iter().map(|r| r.scope.to_string()).collect::<Vec<_>>().join(", ");
        save_unlearned(dir, args, &original, &unlearned, method, format!("deletion set {} ({forgot})", set.name))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "audit": audit, "unlearnSeconds": unlearn_seconds }))?);
        return Ok(());
    }
    println!(
        "{}: {} unlearned in {unlearn_seconds:.1} s; audited in {:.1} s",
        set.name,
        method.name(),
        started.elapsed().as_secs_f64() - unlearn_seconds
    );
    print_scopes(&audit);
    Ok(())
}

/// The model retrained without `set` (`--retrained`, else its usual folder), when there is one;
/// refused if it was retrained without anything else.
fn deletion_set_reference(
    args: &ForgetArgs,
    set: &DeletionSet,
    dataset: &recforget::data::Dataset,
    device: &burn::tensor::Device,
) -> Result<Option<EditedModel>> {
    let Some(dir) = super::common::reference_dir(args.retrained.as_deref(), retrained_dir_for(set))? else {
        return Ok(None);
    };
    let r: Checkpoint = Checkpoint::load_for(&dir, device, dataset)?;
    if r.meta.deletions != set.requests {
        bail!("{} was not retrained without this deletion set; pass the right --retrained folder", dir.display());
    }
    eprintln!("reference: {} (epoch {})", dir.display(), r.meta.epochs);
    Ok(Some(EditedModel::new(r.model)))
}

/// Each scope's audit as a text table.
fn print_scopes(audit: &recforget::measurement::audit::Audit) {
    for scope in &audit.scopes {
        println!("\nscope {} ({} users)", scope.scope, scope.users);
        println!(
            "{:<20} {:>10} {:>10} {:>10} {:>10} {:>8} {:>6}",
            "model", "forget HR", "retain HR", "test HR", "MIA-eff", "MIA acc", "gap"
        );
        for (name, f) in scope.models.iter().zip(&scope.figures) {
            let gap = f.gap.map_or("—".to_string(), |g| format!("{g:.1}"));
            println!(
                "{name:<20} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>8.3} {gap:>6}",
                f.forget_hr10, f.retain_hr10, f.test_hr10, f.mia_efficacy, f.mia_accuracy
            );
        }
    }
}

/// Saves `unlearned` into `dir` as an edited model: the original's record, with what the method
/// forgot and from which original.
fn save_unlearned(
    dir: &std::path::Path,
    args: &ForgetArgs,
    original: &Checkpoint,
    unlearned: &recforget::model::Bert4Rec,
    method: DeletionMethod,
    forgot: String,
) -> Result<()> {
    let meta = CheckpointMeta {
        notes: format!("{} after {forgot} with {}", args.source.checkpoint.display(), method.name()),
        command: command_line(),
        edit: Some(checkpoint::EditRecord { method: method.name().into(), forgot, original: args.source.checkpoint.display().to_string() }),
        ..original.meta.clone()
    };
    Ok(checkpoint::save_parts(unlearned, &original.config, &meta, dir)?)
}
