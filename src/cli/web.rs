//! `recforget web-data` and `recforget serve`: the page's data and its server.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use recforget::data::Dataset;

use super::common::{DEFAULT_DATA, load_dataset};

#[derive(Args, Debug)]
pub(crate) struct WebDataArgs {
    #[arg(long, default_value = DEFAULT_DATA)]
    pub(crate) data: PathBuf,
    /// Users in the page's sample.
    #[arg(long, default_value_t = 600)]
    pub(crate) users: usize,
    #[arg(long, default_value_t = 11)]
    pub(crate) seed: u64,
    #[arg(long, default_value = "data/web/dataset.json")]
    pub(crate) out: PathBuf,
}

pub(crate) fn web_data(args: WebDataArgs) -> Result<()> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let dataset = load_dataset(&args.data)?;
    let mut users = dataset.users.clone();
    users.shuffle(&mut rand::rngs::StdRng::seed_from_u64(args.seed));
    users.truncate(args.users);
    users.sort_by_key(|u| u.key.trim_start_matches(|c: char| !c.is_ascii_digit()).parse::<u64>().unwrap_or(u64::MAX));
    let sample = Dataset {
        name: format!("{}-web-{}", dataset.name, users.len()),
        items: dataset.items.clone(),
        users,
    };
    sample.save(&args.out)?;
    let size = std::fs::metadata(&args.out)?.len();
    println!("wrote {} ({} users, {} items, {:.0} KB)", args.out.display(), sample.users.len(), sample.items.len(), size as f64 / 1024.0);
    Ok(())
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The folder to serve (the repository root).
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
}
