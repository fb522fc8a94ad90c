//! `recforget export`: a checkpoint's weights as safetensors, for PyTorch users.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use recforget::Backend;
use recforget::checkpoint::{self, Checkpoint};

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    #[arg(long, default_value_os_t = checkpoint::default_checkpoint_dir())]
    pub(crate) checkpoint: PathBuf,
    /// The safetensors file to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

pub(crate) fn export(args: ExportArgs) -> Result<()> {
    let device = Backend::Flex.device()?;
    recforget::output::claim_file(&args.out, &[&args.checkpoint], checkpoint::is_export)?;
    let checkpoint: Checkpoint = Checkpoint::load(&args.checkpoint, &device)?;
    checkpoint::export_safetensors(&checkpoint.model, &args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
