//! `recforget judge`: the paper's claims judged on saved claim inputs, as the page judges them.
//! The inputs are JSON (`claims::ClaimInputs`: the measurement on the paper's condition, the one
//! on the histories without the genre, the forget's methods and changed settings, the speedup);
//! the verdicts are printed as JSON. The browser tests feed it what the page measured and compare
//! its verdicts with the page's.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use recforget::claims::{ClaimInputs, judge as judge_claims};

#[derive(Args, Debug)]
pub(crate) struct JudgeArgs {
    /// The claim inputs (JSON): `paper` and `deleted` measurements, `methods`, `changedSettings`,
    /// `speedup`.
    #[arg(long)]
    pub(crate) inputs: PathBuf,
}

pub(crate) fn judge(args: JudgeArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.inputs).with_context(|| format!("cannot read {}", args.inputs.display()))?;
    let inputs: ClaimInputs = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not claim inputs: it should hold `paper` and `deleted` measurements, `methods`, `changedSettings` and `speedup`, as the page's measurement gives them",
            args.inputs.display()
        )
    })?;
    println!("{}", serde_json::to_string_pretty(&judge_claims(&inputs))?);
    Ok(())
}
