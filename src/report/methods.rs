//! The methods side by side (the paper's Tables 2 and 3, extended): for each genre, the paper's
//! method, the methods that forget, the output filter and the retrained model, through the one
//! measurement; the relearn curves; and a trade-off curve for `distill` over its steps K.
//! Built as data ([`MethodsReport`], saved as JSON) and rendered to markdown and SVG from it.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::data::Genre;
use crate::error::Result;
use crate::measurement::{EvalContext, Figures, MeasureSettings, Measurement, RelearnPoint, RelearnSettings, measure, relearn};
use crate::metrics::Protocol;
use crate::model::Bert4Rec;
use crate::parallel::threads_for;
use crate::readback::Wait;
use crate::unlearning::{EditedModel, ForgetConfig, ForgetReport, Method, RunContext, Trainable, forget, methods_name};

/// The compositions the report compares, in table order.
pub fn compared_methods() -> Vec<Vec<Method>> {
    vec![vec![Method::Neurons], vec![Method::Rows], vec![Method::Distill], vec![Method::Rows, Method::Distill], vec![Method::Filter]]
}

/// A retrained model and what its checkpoint records.
pub struct RetrainedModel<'a> {
    pub model: &'a EditedModel,
    /// Training time as if on the CPU (`CheckpointMeta::cpu_train_seconds`).
    pub cpu_seconds: Option<f64>,
    /// `CheckpointMeta::training_summary`, epochs and optimizer steps.
    pub record: String,
}

/// One composition's run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodRun {
    pub name: String,
    pub methods: Vec<Method>,
    pub reports: Vec<ForgetReport>,
    /// Wall time of all its methods.
    pub seconds: f64,
}

/// One point of the distill trade-off.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeoffPoint {
    pub steps: usize,
    pub seconds: f64,
    /// Removal rate (pop100).
    pub removal: f64,
    /// Retain-user HR@10 (pop100) as a share of the original's.
    pub retain_hr10: f64,
    pub overlap: Option<f64>,
    pub item_auc: f64,
    pub user_auc: f64,
}

/// A named relearn curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelearnCurve {
    pub name: String,
    pub points: Vec<RelearnPoint>,
}

/// Everything the report says about one genre.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenreMethods {
    pub genre: Genre,
    /// The command line that measured this genre.
    pub command: String,
    pub runs: Vec<MethodRun>,
    pub measurement: Measurement,
    pub relearn: Vec<RelearnCurve>,
    pub tradeoff: Vec<TradeoffPoint>,
    pub retrain_cpu_seconds: Option<f64>,
    pub retrained_record: Option<String>,
}

/// The methods report.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodsReport {
    /// The original model measured: its checkpoint, epochs and optimizer steps.
    pub original: String,
    pub test_users: usize,
    pub config: ForgetConfig,
    pub settings: MeasureSettings,
    pub relearn_settings: RelearnSettings,
    pub genres: Vec<GenreMethods>,
}

impl MethodsReport {
    /// Whether `other` measured the same original on the same test users with the same settings,
    /// so that genres from both can stand in one report.
    pub fn measured_alike(&self, other: &MethodsReport) -> bool {
        let key = |r: &MethodsReport| serde_json::to_value((&r.original, r.test_users, &r.config, &r.settings, &r.relearn_settings)).ok();
        key(self) == key(other)
    }

    /// Keeps the genres of an earlier report that this one did not measure again, in the earlier
    /// report's order (genres measured again take their place; new ones follow), so that a genre
    /// can be measured on its own. Returns false, keeping nothing, when `earlier` measured another
    /// original or with other settings.
    pub fn keep_earlier(&mut self, earlier: MethodsReport) -> bool {
        if !self.measured_alike(&earlier) {
            return false;
        }
        let mut fresh = std::mem::take(&mut self.genres);
        for old in earlier.genres {
            match fresh.iter().position(|g| g.genre == old.genre) {
                Some(i) => self.genres.push(fresh.remove(i)),
                None => self.genres.push(old),
            }
        }
        self.genres.extend(fresh);
        true
    }
}

/// What the methods part runs and measures for every genre.
pub struct MethodsPlan<'a> {
    /// The command line that runs it, recorded with each genre.
    pub command: &'a str,
    pub config: &'a ForgetConfig,
    pub settings: &'a MeasureSettings,
    /// The relearn test's settings; `None` skips it.
    pub relearn: Option<&'a RelearnSettings>,
    /// Distill steps of the trade-off curve (empty: no curve).
    pub tradeoff_steps: &'a [usize],
}

/// Runs every compared method on `genre`, measures them with the retrained models (`second`:
/// the one with another seed, the noise floor), and records the relearn curves and the distill
/// trade-off.
pub fn genre_methods(
    ctx: &EvalContext<'_>,
    original: &Bert4Rec,
    genre: Genre,
    plan: &MethodsPlan<'_>,
    retrained: Option<&RetrainedModel<'_>>,
    second: Option<&EditedModel>,
) -> Result<GenreMethods> {
    let MethodsPlan { command, config, settings, relearn: relearn_settings, tradeoff_steps } = *plan;
    let start = EditedModel::new(original.clone());
    let (runs, edited) = run_methods(ctx, original, genre, config)?;
    let mut models: Vec<(&str, &EditedModel)> = vec![("original", &start)];
    models.extend(runs.iter().map(|r| r.name.as_str()).zip(edited.iter()));
    let measurement = measure(ctx, genre, &models, retrained.map(|r| r.model), second, settings, threads_for(ctx.device)).wait()?;
    let mut curves = Vec::new();
    if let Some(relearn_settings) = relearn_settings {
        // The filter's weights are the original's.
        for (name, model) in models.iter().filter(|(name, _)| *name != "filter") {
            curves.push(RelearnCurve { name: name.to_string(), points: relearn(ctx, genre, model, relearn_settings)? });
        }
        if let Some(r) = retrained {
            curves.push(RelearnCurve { name: "retrained".into(), points: relearn(ctx, genre, r.model, relearn_settings)? });
        }
    }
    let original_retain = measurement.models[0].served.retain.pop100.hr10();
    let tradeoff = tradeoff_steps
        .iter()
        .map(|&steps| tradeoff_point(ctx, original, genre, (config, settings), retrained, steps, original_retain))
        .collect::<Result<Vec<_>>>()?;
    Ok(GenreMethods {
        genre,
        command: command.to_string(),
        runs,
        measurement,
        relearn: curves,
        tradeoff,
        retrain_cpu_seconds: retrained.and_then(|r| r.cpu_seconds),
        retrained_record: retrained.map(|r| r.record.clone()),
    })
}

/// Each compared method (and composition) forgets `genre` from the original.
fn run_methods(
    ctx: &EvalContext<'_>,
    original: &Bert4Rec,
    genre: Genre,
    config: &ForgetConfig,
) -> Result<(Vec<MethodRun>, Vec<EditedModel>)> {
    let start = EditedModel::new(original.clone());
    let (mut runs, mut edited) = (Vec::new(), Vec::new());
    for methods in compared_methods() {
        let mut config = ForgetConfig { methods: methods.clone(), ..config.clone() };
        if methods.contains(&Method::Rows) {
            // Distillation after `rows` leaves the re-drawn rows as drawn.
            config.distill.trainable = Trainable::Shared;
        }
        let (reports, model) = forget(&start, original, ctx.dataset, genre, &config, &RunContext::new(ctx.device), |_| {}).wait()?;
        let seconds = reports.iter().map(|r| r.times.total).sum();
        runs.push(MethodRun { name: methods_name(&methods), methods, reports, seconds });
        edited.push(model);
    }
    Ok((runs, edited))
}

/// Distillation with `steps` steps, measured lightly (no bootstrap, no deletion only).
fn tradeoff_point(
    ctx: &EvalContext<'_>,
    original: &Bert4Rec,
    genre: Genre,
    (config, settings): (&ForgetConfig, &MeasureSettings),
    retrained: Option<&RetrainedModel<'_>>,
    steps: usize,
    original_retain: f64,
) -> Result<TradeoffPoint> {
    let start = EditedModel::new(original.clone());
    let mut config = ForgetConfig { methods: vec![Method::Distill], ..config.clone() };
    config.distill.steps = steps;
    let (reports, model) = forget(&start, original, ctx.dataset, genre, &config, &RunContext::new(ctx.device), |_| {}).wait()?;
    let light = MeasureSettings { draws: 0, deletion_only: false, ..*settings };
    let models = [("original", &start), ("distill", &model)];
    let m = measure(ctx, genre, &models, retrained.map(|r| r.model), None, &light, threads_for(ctx.device)).wait()?;
    let f = &m.get("distill").expect("the distilled model is measured").served;
    Ok(TradeoffPoint {
        steps,
        seconds: reports.iter().map(|r| r.times.total).sum(),
        removal: f.removal_at(Protocol::Pop100).map_or(0.0, |r| r.rate),
        retain_hr10: if original_retain > 0.0 { f.retain.pop100.hr10() / original_retain } else { 0.0 },
        overlap: f.closeness.map(|c| c.overlap),
        item_auc: f.membership.item_auc,
        user_auc: f.membership.user_auc,
    })
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn figures_row(md: &mut String, name: &str, f: &Figures, original: &Figures, seconds: Option<f64>, retrain: Option<f64>) {
    let removal = |p: Protocol| {
        f.removal_at(p).map(|r| format!("{} [{:.1}, {:.1}]", pct(r.rate), 100.0 * r.low, 100.0 * r.high)).unwrap_or_else(|| "–".into())
    };
    let keep = |a: f64, b: f64| if b > 0.0 { pct(a / b) } else { "–".into() };
    let closeness = f.closeness.map(|c| format!("{} / {:.3}", pct(c.overlap), c.kl)).unwrap_or_else(|| "–".into());
    let time = match (seconds, retrain) {
        (Some(s), Some(r)) => format!("{s:.1} s (×{:.0})", r / s.max(1e-9)),
        (Some(s), None) => format!("{s:.1} s"),
        _ => "–".into(),
    };
    let _ = writeln!(
        md,
        "| {name} | {} | {} | {} | {:.4} ({}) | {:.4} ({}) | {:.4} | {:.3} / {:.2} | {:.3} | {:.3} | {closeness} | {time} |",
        removal(Protocol::Pop100),
        removal(Protocol::Full),
        pct(f.share),
        f.retain.pop100.hr10(),
        keep(f.retain.pop100.hr10(), original.retain.pop100.hr10()),
        f.retain.full.hr10(),
        keep(f.retain.full.hr10(), original.retain.full.hr10()),
        f.overall.pop100.ndcg10(),
        f.deleted.hr10,
        f.deleted.mean_log_prob,
        f.membership.item_auc,
        f.membership.user_auc,
    );
}

/// The report as markdown; chart files are named `relearn-<genre>.svg` and `tradeoff-<genre>.svg`.
pub fn markdown(report: &MethodsReport) -> String {
    let mut md = String::new();
    let s = &report.settings;
    let _ = writeln!(md, "# Forgetting that forgets: the methods side by side\n");
    let _ = writeln!(md, "The paper's method (**neurons**) is from {}.\n", crate::claims::PAPER);
    let _ = writeln!(
        md,
        "Original: {}. {} test users; a model that forgot the genre is given histories without its items ({:?}); the original, the histories as recorded. Each genre names the command that measured it (`recforget report --part methods --method-genres G` measures one genre and keeps the others).\n",
        report.original, report.test_users, s.histories
    );
    let _ = writeln!(
        md,
        "Rows: **original** = the model as trained, histories as recorded; **deletion only** = the same model given histories without the genre (no edit: what deleting the interactions alone does, the baseline every method's removal should be read against); **neurons** = the paper's (zero the privacy neurons); **rows** = re-draw the genre's item rows, output bias below every other item; **distill** = {} steps of {} sequences distilling from the original with the genre deleted (KL + CE, {:?} parameters); **rows+distill** = both in turn (distillation then leaves the re-drawn rows alone); **filter** = −∞ at the output, a reference that leaves the model unchanged (its row *weights* is the same model read without the filter).\n",
        report.config.distill.steps, report.config.distill.batch_size, report.config.distill.trainable
    );
    let _ = writeln!(
        md,
        "Columns: removal = 1 − HR@10(forget set after) ÷ HR@10(before), 95% bootstrap interval; share = the genre's share of all users' top-10; retain HR@10 with its share of the original's; deleted = the genre's deleted training interactions ({} sampled): HR@10 (full ranking) / mean log-probability given the history before it without the genre; AUC item / user = membership ({} users; items with ≥ {} watchers), 0.5 = cannot tell who watched what; overlap / KL = top-10 overlap with the retrained model and KL(retrained ‖ model) on the retain users ({} users for KL); time and speedup over retraining on the CPU.\n",
        s.deleted_interactions, s.membership_users, s.min_watchers, s.kl_users
    );
    for g in &report.genres {
        genre_section(&mut md, g);
    }
    md
}

/// One genre's section: its yardstick, the methods' table and the noise floor.
fn genre_section(md: &mut String, g: &GenreMethods) {
    let _ = writeln!(md, "## {}\n", g.genre);
    let _ = writeln!(md, "Measured by `{}`.\n", g.command);
    if let Some(record) = &g.retrained_record {
        let _ = writeln!(md, "Retrained without {}: {record}.\n", g.genre);
    } else {
        let _ = writeln!(md, "No retrained model for {}: `recforget retrain --exclude-genre {}` trains one.\n", g.genre, g.genre);
    }
    let _ = writeln!(
        md,
        "| model | removal pop100 | removal full | share | retain HR@10 pop100 | retain HR@10 full | NDCG@10 pop100 | deleted HR@10 / log p | AUC item | AUC user | overlap / KL with retrained | time |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    let original = &g.measurement.models[0].served;
    for m in &g.measurement.models {
        let seconds = g.runs.iter().find(|r| r.name == m.name).map(|r| r.seconds);
        figures_row(md, &m.name, &m.served, original, seconds, g.retrain_cpu_seconds);
        if let Some(w) = &m.weights {
            figures_row(md, &format!("{} (weights)", m.name), w, original, None, None);
        }
    }
    if let Some(f) = &g.measurement.floor {
        let _ = writeln!(
            md,
            "\nNoise floor: the two retrained models (seeds differ) overlap {} in their top-10 with KL {:.3}; no method can be expected closer.",
            pct(f.overlap),
            f.kl
        );
    }
    let _ = writeln!(md);
    curves_section(md, g);
}

/// One genre's relearn and trade-off curves, as charts and tables.
fn curves_section(md: &mut String, g: &GenreMethods) {
    let slug = g.genre.slug();
    if !g.relearn.is_empty() {
        let _ = writeln!(md, "![relearn](relearn-{slug}.svg)\n");
        let steps: Vec<usize> = g.relearn[0].points.iter().map(|p| p.step).collect();
        let _ = writeln!(md, "Relearn test ({} HR@10 pop100 after K fine-tuning steps on genre-rich users):\n", g.genre);
        let _ = writeln!(md, "| model | {} |", steps.iter().map(|k| format!("K = {k}")).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(steps.len()));
        for c in &g.relearn {
            let _ = writeln!(
                md,
                "| {} | {} |",
                c.name,
                c.points.iter().map(|p| format!("{:.3}", p.genre_hr10)).collect::<Vec<_>>().join(" | ")
            );
        }
        let _ = writeln!(md);
    }
    if !g.tradeoff.is_empty() {
        let _ = writeln!(md, "![trade-off](tradeoff-{slug}.svg)\n");
        let _ = writeln!(
            md,
            "| distill steps K | seconds | removal pop100 | retain HR@10 / original | overlap with retrained | AUC item | AUC user |\n|---|---|---|---|---|---|---|"
        );
        for p in &g.tradeoff {
            let _ = writeln!(
                md,
                "| {} | {:.1} | {} | {} | {} | {:.3} | {:.3} |",
                p.steps,
                p.seconds,
                pct(p.removal),
                pct(p.retain_hr10),
                p.overlap.map_or("–".into(), pct),
                p.item_auc,
                p.user_auc
            );
        }
        let _ = writeln!(md);
    }
}

/// A line chart: x = step, one series per curve, y = the genre's HR@10.
pub fn relearn_svg(curves: &[RelearnCurve], title: &str) -> String {
    let series: Vec<(String, Vec<(f64, f64)>)> =
        curves.iter().map(|c| (c.name.clone(), c.points.iter().map(|p| (p.step as f64, p.genre_hr10)).collect())).collect();
    super::chart::lines(&series, &super::chart::Labels { title, x: "fine-tuning steps K", y: "genre HR@10 (pop100)" })
}

/// Removal, retain HR@10 share, overlap and the membership AUCs against K.
pub fn tradeoff_svg(points: &[TradeoffPoint], title: &str) -> String {
    let curve = |name: &str, f: &dyn Fn(&TradeoffPoint) -> Option<f64>| {
        (name.to_string(), points.iter().filter_map(|p| f(p).map(|v| (p.steps as f64, v))).collect::<Vec<_>>())
    };
    let series = vec![
        curve("removal", &|p| Some(p.removal)),
        curve("retain HR@10 / orig.", &|p| Some(p.retain_hr10)),
        curve("overlap w. retrained", &|p| p.overlap),
        curve("AUC item", &|p| Some(p.item_auc)),
        curve("AUC user", &|p| Some(p.user_auc)),
    ];
    super::chart::lines(&series, &super::chart::Labels { title, x: "distill steps K", y: "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new method cannot be left out of the methods report.
    #[test]
    fn every_method_is_compared() {
        use strum::IntoEnumIterator;
        for method in Method::iter() {
            assert!(compared_methods().contains(&vec![method]), "{method} is not in the methods report");
        }
    }
}
