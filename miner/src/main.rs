//! `infernet-miner`: the Infernet miner's command line.
//!
//! Subcommands, one module each under [`cmd`]:
//! - `model fetch [--from PATH]`, `model info PATH`: get and inspect model files;
//! - `infer`: run one prompt through the engine, streaming or as JSON;
//! - `bench`: prefill / decode speed and peak memory.
//!
//! The daemon (mining, serving jobs) is added next to these by a later issue: global
//! flags go on [`Cli`], new subcommands on [`Command`].

mod cmd;

use clap::{Parser, Subcommand};

/// Infernet miner: serves private inference and mines blocks.
#[derive(Debug, Parser)]
#[command(name = "infernet-miner", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        Command::Model(c) => cmd::model::run(c),
        Command::Infer(a) => cmd::infer::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    }
}
