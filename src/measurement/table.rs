//! A measurement as the page's table: one column per model (as served and, where an output
//! filter makes them differ, from its weights), one row per measure, every cell formatted here.
//! The page renders it as it is.

use serde::{Deserialize, Serialize};

use super::{Figures, Measurement};
use crate::metrics::Protocol;

/// One measure across the models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasureRow {
    pub measure: String,
    /// The glossary entry that explains it.
    pub term: String,
    pub cells: Vec<String>,
}

/// The measured table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredTable {
    /// The condition it was measured under, in words.
    pub condition: String,
    pub columns: Vec<String>,
    pub rows: Vec<MeasureRow>,
}

/// A measure: its label, its glossary entry, and how one model's figures read in it.
type Measure = (String, &'static str, fn(&Figures) -> String);

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn measures(genre: &str) -> Vec<Measure> {
    vec![
        ("HR@10 (pop100)".into(), "hr10", |f| format!("{:.4}", f.overall.pop100.hr10())),
        ("NDCG@10 (pop100)".into(), "ndcg10", |f| format!("{:.4}", f.overall.pop100.ndcg10())),
        (format!("{genre} share of top-10"), "share", |f| percent(f.share)),
        (
            format!("membership AUC per user: the model tells which {genre} films a user watched (0.5 = cannot tell)"),
            "membership-auc",
            |f| format!("{:.3}", f.membership.user_auc),
        ),
        (
            "membership AUC per item: which users watched one of its films (– : too few watchers among the users measured)".into(),
            "membership-auc",
            |f| if f.membership.items > 0 { format!("{:.3}", f.membership.item_auc) } else { "–".into() },
        ),
        (format!("deleted {genre} interactions still in the top-10 (HR@10, full ranking)"), "hr10", |f| percent(f.deleted.hr10)),
        (
            format!("removal rate, {genre} (pop100, histories without the genre; the claims below use the histories as recorded)"),
            "removal",
            |f| f.removal_at(Protocol::Pop100).map(|r| percent(r.rate)).unwrap_or_default(),
        ),
    ]
}

/// The table of `m`; the model named `after` is labelled with `after` (e.g. "after (rows)").
pub fn measured_table(m: &Measurement, users: usize, after: &str) -> MeasuredTable {
    let mut columns: Vec<(String, &Figures)> = Vec::new();
    for model in &m.models {
        let name = if model.name == "after" { after.to_string() } else { model.name.clone() };
        if let Some(weights) = &model.weights {
            columns.push((name.clone(), &model.served));
            columns.push((format!("{name}, from the weights"), weights));
        } else {
            columns.push((name, &model.served));
        }
    }
    let genre = m.genre.name();
    MeasuredTable {
        condition: format!("{genre}, {users} sample users ({} in the forget set), histories without the genre, pop100", m.forget_set_users),
        columns: columns.iter().map(|(name, _)| name.clone()).collect(),
        rows: measures(genre)
            .into_iter()
            .map(|(measure, term, cell)| MeasureRow { measure, term: term.into(), cells: columns.iter().map(|(_, f)| cell(f)).collect() })
            .collect(),
    }
}
