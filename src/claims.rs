//! The paper's claims, each with the figure ours must reach to count as reproduced. The report
//! and the page both read them from here.

use std::fmt;

use serde::Serialize;

/// What a claim is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ClaimKind {
    /// HR@10 after forgetting, % of the original's.
    HrKept,
    /// NDCG@10 after forgetting, % of the original's.
    NdcgKept,
    /// Share of the genre's test hits the edit removes, %.
    Removal,
    /// Retraining time ÷ forgetting time.
    Speedup,
}

/// One claimed figure: the paper's range, and the unit it is read in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub kind: ClaimKind,
    pub statement: &'static str,
    /// The paper's range (lowest and highest over its genres).
    pub low: f64,
    pub high: f64,
    /// "%" or "×".
    pub unit: &'static str,
}

/// Whether our figure reproduces a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Ours reaches the paper's lowest figure (or goes beyond it).
    Reproduced,
    /// Ours falls short of the paper's lowest figure.
    NotReproduced,
}

/// The paper's claims (Action, Drama, Comedy; HR and NDCG at k = 1, 5, 10).
pub const CLAIMS: [Claim; 4] = [
    Claim { kind: ClaimKind::HrKept, statement: "HR@k keeps 94.03–96.49% of the original's", low: 94.03, high: 96.49, unit: "%" },
    Claim { kind: ClaimKind::NdcgKept, statement: "NDCG@k keeps 90.15–94.25% of the original's", low: 90.15, high: 94.25, unit: "%" },
    Claim {
        kind: ClaimKind::Removal,
        statement: "the edit removes 70.53–74.82% of the genre's test hits (retraining: 100%)",
        low: 70.53,
        high: 74.82,
        unit: "%",
    },
    Claim {
        kind: ClaimKind::Speedup,
        statement: "forgetting is ×10.1–11.0 faster than retraining without the genre",
        low: 10.1,
        high: 11.0,
        unit: "×",
    },
];

impl Claim {
    pub fn get(kind: ClaimKind) -> Claim {
        CLAIMS.into_iter().find(|c| c.kind == kind).expect("every kind has a claim")
    }

    /// The paper's range as written, e.g. "94.03–96.49%" or "×10.1–11.0".
    pub fn range(&self) -> String {
        match self.unit {
            "×" => format!("×{}–{}", self.low, self.high),
            unit => format!("{}–{}{unit}", self.low, self.high),
        }
    }

    /// Ours against the paper's lowest figure.
    pub fn verdict(&self, ours: f64) -> Verdict {
        if ours >= self.low { Verdict::Reproduced } else { Verdict::NotReproduced }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
        })
    }
}

/// One line naming every claim, for reports.
pub fn summary() -> String {
    CLAIMS.iter().map(|c| c.statement).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_reproduced_from_its_lowest_figure_up() {
        let removal = Claim::get(ClaimKind::Removal);
        assert_eq!(removal.verdict(7.0), Verdict::NotReproduced);
        assert_eq!(removal.verdict(70.53), Verdict::Reproduced);
        assert_eq!(removal.range(), "70.53–74.82%");
        assert_eq!(Claim::get(ClaimKind::Speedup).range(), "×10.1–11");
    }
}
