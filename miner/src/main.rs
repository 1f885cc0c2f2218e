//! `infernet-miner`: the Infernet miner's command line.
//!
//! Subcommands, one module each under [`cmd`]:
//! - `model fetch [--from PATH]`, `model info PATH`: get and inspect model files;
//! - `infer`: run one prompt through the engine, streaming or as JSON;
//! - `bench`: prefill / decode speed and peak memory.
//!
//! Without a subcommand it runs the daemon ([`run`]): a full node in process that mines and
//! serves sealed jobs (`infernet-miner --dev` is a single-node dev chain).

mod cmd;
mod run;

use clap::{Parser, Subcommand};

/// Infernet miner: serves private inference and mines blocks.
#[derive(Debug, Parser)]
#[command(
    name = "infernet-miner",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand: run the daemon (node, mining, serving).
    #[command(flatten)]
    daemon: run::DaemonArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch or inspect model files.
    #[command(subcommand)]
    Model(cmd::model::ModelCommand),
    /// Run one prompt through a model.
    Infer(cmd::infer::InferArgs),
    /// Measure prefill and decode speed and peak memory.
    Bench(cmd::bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Model(c)) => cmd::model::run(c),
        Some(Command::Infer(a)) => cmd::infer::run(a),
        Some(Command::Bench(a)) => cmd::bench::run(a),
        None => run::run(cli.daemon, fetch_default_model),
    }
}

/// `infernet-miner model fetch` with its defaults: the daemon's way to get the default model.
fn fetch_default_model() -> anyhow::Result<()> {
    match Cli::try_parse_from(["infernet-miner", "model", "fetch"])?.command {
        Some(Command::Model(c)) => cmd::model::run(c),
        _ => anyhow::bail!("`model fetch` did not parse"),
    }
}
