//! The recforget command line: prepare data, train, evaluate, forget, report, serve.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

use cli::{bench, data, evaluate, export, forget, report, serve, site, train, web_data};

/// Gradient-attribution machine unlearning for a BERT4Rec recommender.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Obtain MovieLens-1M (or read a Steam file) and write the prepared dataset.
    Data(data::DataArgs),
    /// Train BERT4Rec with the cloze objective (resumes from the output folder).
    Train(train::TrainArgs),
    /// Evaluate a checkpoint: HR/NDCG@1,5,10 under three protocols, and per genre.
    Evaluate(evaluate::EvaluateArgs),
    /// Export a checkpoint's weights as safetensors.
    Export(export::ExportArgs),
    /// Forget a genre: find its privacy neurons, zero them, and measure what changed.
    Forget(forget::ForgetArgs),
    /// Retrain from scratch without a genre's interactions (the exact-unlearning baseline).
    Retrain(train::RetrainArgs),
    /// Write the results page (markdown, JSON, SVG): the paper's tables, every genre, the sweep.
    Report(report::ReportArgs),
    /// Print training throughput and evaluation time per backend.
    Bench(bench::BenchArgs),
    /// Write the web page's data: the item catalog and a seeded sample of users.
    WebData(web_data::WebDataArgs),
    /// Write the page as a static site (`site/`) with no MovieLens-derived file in it.
    Site(site::SiteArgs),
    /// Serve the page on 127.0.0.1 (static files only, with a same-origin Content-Security-Policy).
    Serve(serve::ServeArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Data(args) => data::data(args),
        Command::Train(args) => train::train(args),
        Command::Evaluate(args) => evaluate::evaluate(args),
        Command::Export(args) => export::export(args),
        Command::Forget(args) => forget::forget(args),
        Command::Retrain(args) => train::retrain(args),
        Command::Report(args) => report::report(args),
        Command::Bench(args) => bench::bench(args),
        Command::WebData(args) => web_data::web_data(args),
        Command::Site(args) => site::site(args),
        Command::Serve(args) => serve::run(&args.root, args.port),
    }
}
