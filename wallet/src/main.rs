//! `infernet-wallet`: the command-line wallet, talking JSON-RPC to an Infernet node.
//!
//! This file only parses the command line and hands the command to the library
//! ([`infernet_wallet::commands`], one module per command group), except `completions`,
//! which needs the whole parser. Every command takes `--json` for scripts; a failed command
//! prints `{"error": …, "causes": […]}` then, and exits non-zero.

use clap::{CommandFactory, Parser, Subcommand};
use infernet_wallet::commands::output::{ErrorJson, json_line};
use infernet_wallet::commands::{self, AMOUNT_HELP, GlobalArgs};

/// Infernet wallet: keys, private prompts, records and an explorer, over a node's JSON-RPC.
#[derive(Parser, Debug)]
#[command(name = "infernet-wallet", version, about, after_help = AMOUNT_HELP)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    #[command(flatten)]
    Wallet(commands::Command),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cmd = match cli.cmd {
        Cmd::Wallet(cmd) => cmd,
        Cmd::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "infernet-wallet",
                &mut std::io::stdout(),
            );
            return std::process::ExitCode::SUCCESS;
        }
    };
    let json = cli.global.json;
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(commands::run(&cli.global, cmd)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!("{}", json_line(&ErrorJson::new(&e)).unwrap_or_default());
            } else {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
