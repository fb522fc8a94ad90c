//! The deletion page (`results/deletion.md`): the audit of the deletion set D, one table per
//! scope with the field's figures, and the per-user view for a few users.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::checkpoint::CheckpointMeta;
use crate::data::Scope;
use crate::measurement::audit::Audit;

/// The audit with what it was measured against.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionReport {
    pub command: String,
    /// How D is drawn, in words.
    pub drawn: String,
    /// The retrained models' state: finished, or how far their training is.
    pub retrained: Vec<String>,
    /// The weight-level methods measured, each with its description and time.
    pub methods: Vec<String>,
    pub config: crate::unlearning::deletion::DeletionConfig,
    pub audit: Audit,
    pub seconds: f64,
}

/// Where a retrained model's training stands, in words.
pub fn training_state(name: &str, meta: Option<&CheckpointMeta>, epochs_done: Option<usize>, schedule_end: usize) -> String {
    match (meta, epochs_done) {
        (_, Some(done)) if done >= schedule_end => {
            format!("{name}: finished, {}", meta.map(CheckpointMeta::training_summary).unwrap_or_default())
        }
        (_, Some(done)) => format!("{name}: training, epoch {done} of {schedule_end} — not yet the yardstick"),
        (Some(_), None) => format!("{name}: a checkpoint without its training record"),
        (None, None) => format!("{name}: not trained yet (`recforget retrain --delete standard`)"),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// The page in Markdown.
pub fn markdown(r: &DeletionReport) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Forget me: auditing a person's deletion\n");
    let _ = writeln!(
        md,
        "A deletion request removes a person's interactions from training; the films stay for everyone else. \
         The deletion set D: {}. Each model is asked the same (history, item) pairs; shares are in per cent.\n",
        r.drawn
    );
    let _ = writeln!(md, "Measured by `{}` in {:.0} s. Yardsticks:\n", r.command, r.seconds);
    for line in &r.retrained {
        let _ = writeln!(md, "- {line}");
    }
    let c = &r.config;
    let _ = writeln!(
        md,
        "\nMethods ({} Adam steps of {} sequences at learning rate {}, NegGrad+'s forget weight {}, seed {}), \
         beside *deletion only* (the original's weights, the deleted items left out of the histories):\n",
        c.steps, c.batch_size, c.learning_rate, c.forget_weight, c.seed
    );
    for line in &r.methods {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(
        md,
        "\n**Columns.** *forget HR@10*: the deleted items ranked in the top 10 given the history before them \
         (lower = forgotten); *log-lik.*: their mean log-probability; *retain HR@10*: everyone else's most recent \
         training item; *test HR@10 / NDCG@10*: everyone else's test item; *D test HR@10*: the deleting users' own \
         test item, given their history without the deleted items (— when nothing is left of it); *MIA-efficacy*: the share of the deleted pairs a \
         membership classifier, fitted on the model's own signals (log-probability, rank, entropy) of training against \
         never-trained pairs, judges *not* in training (higher = forgotten; the retrained model sets the mark); \
         *MIA acc.*: that classifier's held-out accuracy (50 = the model's signals tell nothing); *gap*: the mean \
         absolute difference to the retrained model over forget, retain and test HR@10 and MIA-efficacy, in points.\n"
    );
    for scope in &r.audit.scopes {
        scope_section(&mut md, scope);
    }
    md
}

/// One scope's section: the audit table, what it finds, and the first users' view.
fn scope_section(md: &mut String, scope: &crate::measurement::audit::ScopeAudit) {
    let title = match scope.scope {
        Scope::All => "all their interactions".to_string(),
        Scope::Genre(g) => format!("their {g} interactions"),
    };
    let pairs = scope.figures.first().map_or(0, |f| f.forget_pairs);
    let _ = writeln!(md, "## {} users delete {title}\n", scope.users);
    let _ = writeln!(md, "{pairs} deleted pairs asked (the most recent of each user).\n");
    let _ = writeln!(
        md,
        "| model | forget HR@10 | log-lik. | retain HR@10 | test HR@10 | test NDCG@10 | D test HR@10 | MIA-efficacy | MIA acc. | gap |"
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, f) in scope.models.iter().zip(&scope.figures) {
        let gap = f.gap.map_or("—".to_string(), |g| format!("{g:.1}"));
        let _ = writeln!(
            md,
            "| {name} | {} | {:.2} | {} | {} | {} | {} | {} | {} | {gap} |",
            pct(f.forget_hr10),
            f.forget_log_likelihood,
            pct(f.retain_hr10),
            pct(f.test_hr10),
            pct(f.test_ndcg10),
            f.scope_test_hr10.map_or("—".to_string(), pct),
            pct(f.mia_efficacy),
            pct(f.mia_accuracy),
        );
    }
    if let Some(finding) = scope.finding() {
        let _ = writeln!(md, "\n**What it finds.** {finding}");
    }
    let _ = writeln!(md, "\nPer user (the first five): mean rank of their deleted items under each model ({}).\n", scope.models.join(", "));
    if scope.scope == Scope::All {
        let _ = writeln!(
            md,
            "(Overlap and KL compare recommendations; a user who deleted everything has no history left to recommend from.)\n"
        );
    }
    let _ = writeln!(md, "| user | deleted | mean rank per model | top-10 overlap with retrained | KL(retrained ‖ model) |");
    let _ = writeln!(md, "| --- | ---: | --- | --- | --- |");
    for u in scope.per_user.iter().take(5) {
        let list = |v: &[Option<f64>], f: fn(f64) -> String| v.iter().map(|x| x.map_or("—".into(), f)).collect::<Vec<_>>().join(" / ");
        let ranks = u.mean_rank.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(" / ");
        let _ = writeln!(
            md,
            "| {} | {} | {ranks} | {} | {} |",
            u.user,
            u.deleted,
            list(&u.overlap, |x| format!("{:.1}", 10.0 * x)),
            list(&u.kl, |x| format!("{x:.3}"))
        );
    }
    let _ = writeln!(md);
}
