//! `recforget web-data`: the page's sample of users (every item, a seeded sample of users).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::common::{DEFAULT_DATA, load_dataset};

#[derive(Args, Debug)]
pub(crate) struct WebDataArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Users in the page's sample.
    #[arg(long, default_value_t = recforget::data::WEB_SAMPLE.0, value_parser = super::common::whole(1, super::common::COUNT))]
    pub(crate) users: usize,
    #[arg(long, default_value_t = recforget::data::WEB_SAMPLE.1)]
    pub(crate) seed: u64,
    #[arg(long, default_value = "data/web/dataset.json")]
    pub(crate) out: PathBuf,
}

pub(crate) fn web_data(args: WebDataArgs) -> Result<()> {
    let ours = |bytes: &[u8]| recforget::data::Dataset::from_json(bytes, &args.out).is_ok();
    recforget::output::claim_file(&args.out, &[&args.data], ours)?;
    let sample = load_dataset(&args.data)?.web_sample(args.users, args.seed);
    sample.save(&args.out)?;
    let size = std::fs::metadata(&args.out)?.len();
    println!("wrote {} ({} users, {} items, {:.0} KB)", args.out.display(), sample.users.len(), sample.items.len(), size as f64 / 1024.0);
    Ok(())
}
