//! The recforget command line: prepare data, train, evaluate, forget, report, serve.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

use cli::{bench, data, evaluate, export, forget, judge, report, serve, site, train, web_data};

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
    /// Judge the paper's claims on saved claim inputs (JSON), as the page does; prints the verdicts.
    Judge(judge::JudgeArgs),
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
    keep_freed_memory();
    run(Cli::parse().command)
}

/// glibc hands every freed block over 128 KiB (a batch's attention scores, its logits) back to
/// the kernel, which zeroes fresh pages for the next batch: a fifth of an evaluation went to page
/// faults and clearing pages. Blocks up to 32 MiB (glibc's most) now stay in the heap, and the
/// heap is not trimmed; evaluation ran about a fifth faster for about 10% more peak memory.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two of the allocator's tuning values, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Data(args) => data::data(args),
        Command::Train(args) => train::train(args),
        Command::Evaluate(args) => evaluate::evaluate(args),
        Command::Export(args) => export::export(args),
        Command::Forget(args) => forget::forget(args),
        Command::Judge(args) => judge::judge(args),
        Command::Retrain(args) => train::retrain(args),
        Command::Report(args) => report::report(args),
        Command::Bench(args) => bench::bench(args),
        Command::WebData(args) => web_data::web_data(args),
        Command::Site(args) => site::site(args),
        Command::Serve(args) => serve::run(&args.root, args.port),
    }
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;
    use std::path::Path;

    use clap::{CommandFactory, Parser};

    use super::{Cli, run};

    /// Each numeric type's ends and the values just past the usual bounds.
    const EXTREMES: &[&str] = &[
        "-1",
        "0",
        "1",
        "2",
        "16",
        "17",
        "1024",
        "1025",
        "4096",
        "8192",
        "65535",
        "65536",
        "100000",
        "100001",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "0.5",
        "1e308",
        "-1e308",
        "NaN",
        "inf",
        "-inf",
        "",
        "x",
    ];

    /// The arguments each command runs with besides the flag under test: the scratch folder's
    /// tiny dataset and checkpoint, outputs inside it, and short time limits.
    fn base(command: &str, dir: &Path, run: usize) -> Vec<String> {
        let at = |name: &str| dir.join(name).display().to_string();
        let (data, model, retrained, out) = (at("data.json"), at("model"), at("retrained"), at(&format!("out-{run}")));
        let web = format!("{out}.json");
        let args: Vec<&str> = match command {
            "train" => vec!["--data", &data, "--out", &out, "--epochs", "1", "--time-limit", "2"],
            "retrain" => vec!["--data", &data, "--like", &model, "--exclude-genre", "Action", "--out", &out, "--time-limit", "2"],
            "evaluate" => vec!["--data", &data, "--checkpoint", &model],
            "forget" => vec!["--data", &data, "--checkpoint", &model, "--genre", "Action", "--retrained", &retrained],
            "report" => vec!["--data", &data, "--checkpoint", &model, "--part", "paper", "--out", &out, "--baselines", &out],
            "bench" => vec!["--data", &data, "--steps", "1"],
            "web-data" => vec!["--data", &data, "--out", &web],
            "export" => vec!["--checkpoint", &model, "--out", &web],
            "judge" => vec!["--inputs", &web],
            _ => Vec::new(),
        };
        args.into_iter().map(String::from).collect()
    }

    /// The command line of `command` with `flag=value` after its base arguments (a flag given
    /// twice takes the last value).
    fn parse(command: &str, flag: &str, value: &str, dir: &Path, run: usize) -> Result<Cli, clap::Error> {
        let mut args = vec!["recforget".to_string(), command.to_string()];
        args.extend(base(command, dir, run));
        args.push(format!("--{flag}={value}"));
        Cli::try_parse_from(args)
    }

    #[test]
    fn no_numeric_flag_of_any_command_panics_at_its_types_extremes() {
        let dir = tempfile::tempdir().unwrap();
        let tiny = r#"{"name":"tiny","items":[{"title":"A (1990)","genres":1},{"title":"B (1990)","genres":16},{"title":"C (1990)","genres":3}],"users":[{"key":"u1","items":[0,1,2,0,1,2,0]},{"key":"u2","items":[1,0,2,1,0,2,1]},{"key":"u3","items":[2,2,0,1,1,0,2]}]}"#;
        std::fs::write(dir.path().join("data.json"), tiny).unwrap();
        let data = dir.path().join("data.json").display().to_string();
        let model = dir.path().join("model").display().to_string();
        let retrained = dir.path().join("retrained").display().to_string();
        run(Cli::try_parse_from(["recforget", "train", "--data", &data, "--out", &model, "--epochs", "1"]).unwrap().command).unwrap();
        let retrain = ["recforget", "retrain", "--data", &data, "--like", &model, "--exclude-genre", "Action", "--out", &retrained];
        run(Cli::try_parse_from(retrain).unwrap().command).unwrap();

        let numeric = [TypeId::of::<usize>(), TypeId::of::<u64>(), TypeId::of::<u16>(), TypeId::of::<f64>(), TypeId::of::<f32>()];
        let mut runs = 0;
        let mut flags = 0;
        for command in Cli::command().get_subcommands() {
            let name = command.get_name().to_string();
            Cli::try_parse_from([vec!["recforget".to_string(), name.clone()], base(&name, dir.path(), 0)].concat())
                .unwrap_or_else(|e| panic!("`{name}` with its base arguments: {e}"));
            for arg in command.get_arguments().filter(|a| numeric.iter().any(|t| a.get_value_parser().type_id() == *t)) {
                let flag = arg.get_long().unwrap().to_string();
                flags += 1;
                let accepted: Vec<&str> = EXTREMES.iter().copied().filter(|v| parse(&name, &flag, v, dir.path(), 0).is_ok()).collect();
                // Seeds take any u64 and the port any u16: nothing sizes, divides or loops by them.
                let unbounded = flag == "seed" || flag == "port";
                assert!(unbounded || !accepted.contains(&"18446744073709551615"), "{name} --{flag} takes u64::MAX");
                for refused in ["NaN", "inf", "-inf", "", "x", "-1", "18446744073709551616", "1e308"] {
                    assert!(!accepted.contains(&refused), "{name} --{flag} takes {refused:?}");
                }
                if name == "serve" {
                    continue;
                }
                // Run the command at the smallest and the largest accepted extreme.
                let ends = [
                    accepted.first(),
                    accepted
                        .iter()
                        .filter(|v| v.parse::<f64>().is_ok())
                        .max_by(|a, b| a.parse::<f64>().unwrap().total_cmp(&b.parse::<f64>().unwrap())),
                ];
                for value in ends.into_iter().flatten() {
                    runs += 1;
                    let cli = parse(&name, &flag, value, dir.path(), runs).unwrap();
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli.command)));
                    assert!(outcome.is_ok(), "{name} --{flag}={value} panicked");
                }
            }
        }
        assert!(flags >= 35, "found only {flags} numeric flags");
        eprintln!("{flags} numeric flags, {runs} runs at their ends");
    }
}
