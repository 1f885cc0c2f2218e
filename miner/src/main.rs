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

const EXAMPLES: &str = "Examples:
  infernet-miner --dev                      local dev chain: mine and serve the default model
  infernet-miner --chain testnet --model M.gguf --price-out 2000
                                            join testnet, serve M.gguf at 2000 base units/token
  infernet-miner model fetch                download the reference model (SmolLM2-135M-Instruct)
  infernet-miner infer --chat \"Hi!\"         one prompt, no chain
  infernet-miner bench --threads 1          prefill/decode tokens/s and peak memory

Talk to a running miner with `infernet-wallet` (its RPC URL is printed at start).";

/// Infernet miner: serves private inference and mines blocks.
#[derive(Debug, Parser)]
#[command(
    name = "infernet-miner",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = EXAMPLES
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command line of the `--help` examples parses as printed.
    #[test]
    fn help_examples_parse() {
        let mut n = 0;
        for line in EXAMPLES.lines() {
            let Some(rest) = line.trim_start().strip_prefix("infernet-miner") else {
                continue;
            };
            // The command ends where the two-space gap before its explanation starts.
            let cmd = rest.split("   ").next().unwrap_or_default();
            let mut args = vec!["infernet-miner".to_owned()];
            let mut quoted: Option<String> = None;
            for word in cmd.split_whitespace() {
                match (&mut quoted, word.strip_prefix('"')) {
                    (None, Some(w)) if w.ends_with('"') => {
                        args.push(w.trim_end_matches('"').to_owned())
                    }
                    (None, Some(w)) => quoted = Some(w.to_owned()),
                    (None, None) => args.push(word.to_owned()),
                    (Some(q), _) => {
                        q.push(' ');
                        q.push_str(word.trim_end_matches('"'));
                        if word.ends_with('"') {
                            args.extend(quoted.take());
                        }
                    }
                }
            }
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("{args:?}: {e}");
            }
            n += 1;
        }
        assert_eq!(n, 5, "examples found");
    }
}
