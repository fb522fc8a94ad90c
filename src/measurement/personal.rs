//! One person's deletion request ("forget me", or "forget my Action history"), granted and
//! audited: their interactions leave training by a weight-level method and leave their history,
//! and an auditor asks the original, the unlearned model and, when the request is one of the
//! deletion set D's, the model retrained without D whether those interactions were in training.
//! The page and `recforget forget --user` show the same [`PersonalAudit`].

use serde::{Deserialize, Serialize};

use super::audit::{AuditContext, AuditSettings, Audited, OthersMemo, audit};
use super::table::MeasureRow;
use super::{Histories, RETRAINED};
use crate::data::{Dataset, Deletion, DeletionSet, Scope, Users};
use crate::error::{Error, Result};
use crate::model::Bert4Rec;
use crate::unlearning::deletion::{DeletionConfig, DeletionMethod, unlearn};
use crate::unlearning::{EditedModel, RunContext};

/// A person's request: who, which of their interactions, and the method that unlearns them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalRequest {
    pub user: String,
    pub scope: Scope,
    pub method: DeletionMethod,
}

/// What an auditor reads off one model about the person's deleted interactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalColumn {
    /// `original`, the method's name, or `retrained`.
    pub model: String,
    /// Of the `pairs` deleted interactions asked, how many the membership test judges were in
    /// training.
    pub judged_members: usize,
    pub pairs: usize,
    /// Share of the deleted items the model still puts in its top 10, each given what came
    /// before it.
    pub hr10: f64,
    /// Mean 0-based rank of the deleted items.
    pub mean_rank: f64,
    /// Everyone else's test HR@10 (the sample users the audit drew): what the edit costs them.
    pub others_hr10: f64,
}

/// A person's request as audited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalAudit {
    pub user: String,
    pub scope: Scope,
    pub method: DeletionMethod,
    /// Training interactions the request deletes.
    pub deleted: usize,
    /// The table's caption: whose request, how many interactions it deletes and how many the
    /// audit asks about (the most recent).
    pub caption: String,
    /// Original, after the method, and retrained when there is an exact reference.
    pub columns: Vec<PersonalColumn>,
    /// Whether a model retrained without exactly this request (as part of D) is the reference.
    pub exact_reference: bool,
    /// The finding in plain words, with the numbers.
    pub summary: String,
    /// The columns as the page's table shows them.
    pub table: AuditTable,
}

/// The audit as a table: a header per model, a row per measure, every cell formatted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditTable {
    pub headers: Vec<String>,
    pub rows: Vec<MeasureRow>,
}

/// The audit's table for `columns`, with the number of items ranked and of other users asked.
fn audit_table(columns: &[PersonalColumn], items: usize, others: usize) -> AuditTable {
    type Row = (String, &'static str, fn(&PersonalColumn) -> String);
    let rows: [Row; 4] = [
        ("Judged “was in training” by a membership test".into(), "membership-test", |c| format!("{} of {}", c.judged_members, c.pairs)),
        (
            "Deleted films the weights still rank in the top 10, each asked with the history that came before it (a probe of memory, not what you are shown)".into(),
            "memory-probe",
            |c| format!("{:.0}%", 100.0 * c.hr10),
        ),
        (format!("Mean rank of the deleted films (0 = first of {items})"), "rank", |c| format!("{:.0}", c.mean_rank)),
        (format!("Everyone else’s test HR@10 ({others} other users, full ranking)"), "others-hr10", |c| format!("{:.1}%", 100.0 * c.others_hr10)),
    ];
    let header = |c: &PersonalColumn| match c.model.as_str() {
        ORIGINAL => "Original".to_string(),
        RETRAINED => "Retrained without D (the baseline)".to_string(),
        method => format!("After {method}"),
    };
    AuditTable {
        headers: columns.iter().map(header).collect(),
        rows: rows
            .into_iter()
            .map(|(measure, term, cell)| MeasureRow { measure, term: term.into(), cells: columns.iter().map(cell).collect() })
            .collect(),
    }
}

/// The model retrained without the deletion set `set`, for the requests that are part of it.
pub struct Reference<'a> {
    pub model: &'a EditedModel,
    pub set: &'a DeletionSet,
    /// How it is introduced in the summary ("retrained without D's 200 requests").
    pub label: &'a str,
}

/// The name the original has in a personal audit.
pub const ORIGINAL: &str = "original";

/// A memo for the personal audits of one original and one model retrained without D: their
/// answers about everyone else are asked once, not on every request.
pub fn personal_memo() -> OthersMemo {
    OthersMemo::new(&[ORIGINAL, RETRAINED])
}

/// What a history typed on the page (never trained on) has to forget.
pub const NEVER_TRAINED: &str = "This history was typed here and never trained on: there is nothing in the weights to forget, only the input. Clearing it is the whole deletion.";

/// The deletion set of one request, checked to delete something.
fn request_set(dataset: &Dataset, request: &PersonalRequest) -> Result<(DeletionSet, usize)> {
    let user = dataset
        .users
        .iter()
        .find(|u| u.key == request.user)
        .ok_or_else(|| Error::Config(format!("no user `{}` in the data; pick one of its users", request.user)))?;
    let training = &user.items[..user.items.len().saturating_sub(2)];
    let deleted = training.iter().filter(|&&i| request.scope.covers(dataset, i)).count();
    if deleted == 0 {
        let what = match request.scope {
            Scope::All => "training interactions".to_string(),
            Scope::Genre(genre) => format!("{genre} interactions in training"),
        };
        return Err(Error::Config(format!("user {} has no {what}: there is nothing to delete", request.user)));
    }
    let deletion = Deletion { users: Users::Keys(vec![request.user.clone()]), scope: request.scope };
    Ok((DeletionSet { name: format!("{} ({})", request.user, request.scope), requests: vec![deletion] }, deleted))
}

/// Grants `request` on `original` and audits it. Returns the unlearned model and the audit.
#[allow(clippy::too_many_arguments)]
pub async fn forget_me(
    original: &Bert4Rec,
    dataset: &Dataset,
    request: &PersonalRequest,
    reference: Option<&Reference<'_>>,
    config: &DeletionConfig,
    settings: &AuditSettings,
    memo: Option<&OthersMemo>,
    device: &burn::tensor::Device,
    threads: usize,
) -> Result<(Bert4Rec, PersonalAudit)> {
    let (set, deleted) = request_set(dataset, request)?;
    let user = dataset.users.iter().find(|u| u.key == request.user).expect("found by request_set");
    // The reference is exact only when D holds this very request (this user, this scope).
    let exact = reference.filter(|r| r.set.requests.iter().any(|d| d.scope == request.scope && d.reaches(user)));
    let unlearned = unlearn(original, dataset, &set, request.method, config, &RunContext { device, threads }).await?;
    let (before, after) = (EditedModel::new(original.clone()), EditedModel::new(unlearned.clone()));
    let models = [
        Audited { name: ORIGINAL, model: &before, histories: Histories::Kept },
        Audited { name: request.method.name(), model: &after, histories: Histories::Deleted },
    ];
    let ctx = AuditContext { dataset, deletions: &set, also_deleted: reference.map(|r| r.set), memo, device };
    let audit = audit(&ctx, &models, exact.map(|r| r.model), None, settings, threads).await?;
    let scope = &audit.scopes[0];
    let columns: Vec<PersonalColumn> = scope
        .models
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let f = &scope.figures[i];
            PersonalColumn {
                model: name.clone(),
                judged_members: ((1.0 - f.mia_efficacy) * f.forget_pairs as f64).round() as usize,
                pairs: f.forget_pairs,
                hr10: f.forget_hr10,
                mean_rank: scope.per_user.first().map_or(f64::NAN, |u| u.mean_rank[i]),
                others_hr10: f.test_hr10,
            }
        })
        .collect();
    let summary = summary(request, &columns, exact.map(|r| r.label));
    let asked = columns.first().map_or(0, |c| c.pairs);
    let caption = if asked < deleted {
        format!("Audit of {}'s request: {deleted} training interactions deleted, the {asked} most recent asked about", request.user)
    } else {
        format!("Audit of {}'s request: {deleted} training interactions deleted, each asked about", request.user)
    };
    let audit = PersonalAudit {
        user: request.user.clone(),
        scope: request.scope,
        method: request.method,
        deleted,
        caption,
        table: audit_table(&columns, dataset.num_items(), settings.others),
        columns,
        exact_reference: exact.is_some(),
        summary,
    };
    Ok((unlearned, audit))
}

/// Fewer deleted interactions asked than this, and the audit's shares are anecdotes.
const FEW_PAIRS: usize = 5;

/// The finding in plain words: what the membership test judges of each model, and what that
/// means against the retrained model when there is one (the baseline: a model that never saw
/// the interactions, not zero).
fn summary(request: &PersonalRequest, columns: &[PersonalColumn], reference: Option<&str>) -> String {
    let judged = |c: &PersonalColumn| format!("{} of {}", c.judged_members, c.pairs);
    let (original, after) = (&columns[0], &columns[1]);
    let mut text = format!(
        "Of your deleted interactions asked about, a membership test fitted to each model's answers judges {} as seen in training by the original model, and {} after {}",
        judged(original),
        judged(after),
        request.method.name()
    );
    match (reference, columns.get(2)) {
        (Some(label), Some(retrained)) => {
            text += &format!(
                "; a model {label} gets {}. That model never saw them, so its figures are the baseline a deletion aims at, not zero: it still ranks {:.0}% of them in its top 10, from everyone else's tastes.",
                judged(retrained),
                100.0 * retrained.hr10
            );
            // On fewer pairs than this, one judgement more or less is no finding (said below).
            if original.pairs >= FEW_PAIRS {
                text += &against_baseline(request, [original, after, retrained]);
            }
        }
        _ => {
            text += ". No model was retrained without exactly this request, so there is no exact reference to judge against (the users of the deletion set D have one)."
        }
    }
    if original.pairs < FEW_PAIRS {
        text += &format!(
            " Only {} deleted interaction{} could be asked about: too few for the test to tell much, so read these figures as anecdotes, not measurements.",
            original.pairs,
            if original.pairs == 1 { "" } else { "s" }
        );
    }
    text
}

/// What the original's and the method's answers mean beside the retrained model's: like it
/// (the membership test within one judgement of it, and the deleted films ranked no more than a
/// tenth higher than it ranks them: an auditor reads both), or not yet.
fn against_baseline(request: &PersonalRequest, [original, after, retrained]: [&PersonalColumn; 3]) -> String {
    let off = |c: &PersonalColumn| c.judged_members.abs_diff(retrained.judged_members);
    let like = |c: &PersonalColumn| off(c) <= 1 && c.mean_rank >= 0.9 * retrained.mean_rank;
    let what = match request.scope {
        Scope::All => "your history".to_string(),
        Scope::Genre(genre) => format!("your {genre} history"),
    };
    let noise = format!("a difference of one in {} is within the test's noise", original.pairs);
    if like(original) {
        format!(
            " Even the original answers about them like a model that never saw them ({noise}, and it ranks them no higher): for this model, what it knew of {what} came mostly from the input, and removing it from the input is most of the deletion."
        )
    } else if like(after) {
        format!(" After the method the model answers about them like one that never saw them ({noise}, and it ranks them no higher).")
    } else if off(original) <= 1 {
        format!(
            " The membership test tells the original from the baseline no better than its noise ({noise}), but the original ranks them higher (mean rank {:.0} against {:.0}; after {}: {:.0}): some memory of them is left in its weights.",
            original.mean_rank,
            retrained.mean_rank,
            request.method.name(),
            after.mean_rank
        )
    } else {
        " The method has not yet made the model answer like one that never saw them.".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(model: &str, judged: usize) -> PersonalColumn {
        PersonalColumn { model: model.into(), judged_members: judged, pairs: 10, hr10: 0.0, mean_rank: 0.0, others_hr10: 0.0 }
    }

    #[test]
    fn the_summary_says_what_the_reference_shows() {
        let request = PersonalRequest { user: "1m_5".into(), scope: Scope::All, method: DeletionMethod::NegGradPlus };
        let close = summary(&request, &[column("original", 6), column("neggrad+", 5), column("retrained", 6)], Some("retrained without D"));
        assert!(close.contains("6 of 10") && close.contains("what it knew of your history came mostly from the input"), "{close}");
        let helped =
            summary(&request, &[column("original", 9), column("neggrad+", 5), column("retrained", 4)], Some("retrained without D"));
        assert!(helped.contains("answers about them like one that never saw them"), "{helped}");
        assert!(helped.contains("the baseline a deletion aims at, not zero"), "{helped}");
        // The membership test within its noise, but the original still ranks them far higher.
        let ranked = |model: &str, judged: usize, mean_rank: f64| PersonalColumn { mean_rank, ..column(model, judged) };
        let memory = summary(
            &request,
            &[ranked("original", 3, 580.0), ranked("neggrad+", 3, 610.0), ranked("retrained", 4, 750.0)],
            Some("retrained without D"),
        );
        assert!(memory.contains("some memory of them is left") && !memory.contains("came mostly from the input"), "{memory}");
        let none = summary(&request, &[column("original", 9), column("neggrad+", 5)], None);
        assert!(none.contains("no exact reference") && !none.contains("anecdotes"), "{none}");
        let two = |model: &str| PersonalColumn { pairs: 2, judged_members: 1, ..column(model, 0) };
        let few = summary(&request, &[two("original"), two("neggrad+"), two("retrained")], Some("retrained without D"));
        assert!(few.contains("Only 2 deleted interactions could be asked about"), "{few}");
        assert!(!few.contains("never saw them ("), "no finding from two pairs: {few}");
    }
}
