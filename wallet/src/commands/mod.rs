//! The `infernet-wallet` commands: their flags (clap) and what they do, one module per
//! command group. The binary (`src/main.rs`) only parses the command line and calls [`run`].
//!
//! Command groups:
//! - [`keys`]: `key new|import|list|show` (no node needed);
//! - [`accounts`]: `balance`, `send`, `tx`;
//! - [`models`]: `models`, `miners` (ranked), and resolving a model by name or id;
//! - [`jobs`]: `prompt` and `chat` (sealing, paying, opening the record);
//! - [`records`]: `records list|show|decrypt|transfer|export`;
//! - [`explore`]: `explore tip|block|tx|miner|model|record|listing`;
//! - [`market`]: `market list|listings|show|buy|deliver|watch|cancel|verify|complain|complaints`.
//!
//! Shared by all of them:
//! - [`context`]: the global flags ([`GlobalArgs`]) and the command context (wallet
//!   directory, passwords, the key to use, the node's RPC client);
//! - [`node`]: chain identity and fee rate, nonces, submitting and confirming transactions,
//!   paging;
//! - [`output`]: JSON, tables and `key: value` rows.
//!
//! Every command takes `--json`; each prints a typed struct of its module (`…Json`, or the
//! RPC view itself where the command shows one unchanged). The command layer reports errors
//! with [`anyhow`] context, as a binary does; the library modules below it return
//! [`WalletError`](crate::WalletError) and friends.
//!
//! # Adding a command
//!
//! A subcommand of an existing group: its variant in the group's enum and its arm in the
//! group's `run` (one file). A new group: its module here, with its enum and `run`, plus its
//! variant in [`Command`] and its arm in [`run`] (this file).

pub mod accounts;
pub mod context;
pub mod explore;
pub mod jobs;
pub mod keys;
pub mod market;
pub mod models;
pub mod node;
pub mod output;
pub mod records;

use anyhow::Result;
use clap::Subcommand;

pub use context::GlobalArgs;

use context::Ctx;

/// The help text on amounts, shown under the commands that take one.
pub const AMOUNT_HELP: &str = "Amounts: INF with up to nine decimals (`1.5`, `1.5inf`) or base units with an explicit unit (`1500000000base`); 1 INF = 10^9 base units. --json output gives amounts in base units (decimal strings) next to INF.";

/// A wallet command (every subcommand but `completions`, which the binary handles).
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Balance and nonce of an address (default: the wallet key's).
    Balance {
        /// Address (`inf1…`) or key name.
        address: Option<String>,
    },
    /// Send INF.
    #[command(after_help = AMOUNT_HELP)]
    Send {
        /// Recipient address (`inf1…`) or key name.
        to: String,
        /// Amount (`1.5`, `1.5inf`, `1500000000base`).
        amount: String,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
    },
    /// A transaction's status.
    Tx {
        /// Transaction id (hex).
        txid: String,
    },
    /// Registered models.
    Models,
    /// Registered miners, best first (reputation for the price).
    Miners {
        /// Only miners offering this model (name or id).
        #[arg(long)]
        model: Option<String>,
    },
    /// Seal a prompt to a miner, pay for it and print the decrypted answer.
    Prompt {
        /// The prompt.
        text: String,
        /// The job's terms.
        #[command(flatten)]
        job: jobs::JobArgs,
    },
    /// An interactive conversation (one job per turn, keeping the conversation).
    Chat {
        /// The job's terms.
        #[command(flatten)]
        job: jobs::JobArgs,
    },
    /// Records owned by the wallet key.
    #[command(subcommand)]
    Records(records::RecordsCommand),
    /// Explore the chain.
    #[command(subcommand)]
    Explore(explore::ExploreCommand),
    /// The record market: sell and buy records as training data.
    #[command(subcommand)]
    Market(market::MarketCommand),
}

/// Runs `cmd` with the global flags `flags`.
pub async fn run(flags: &GlobalArgs, cmd: Command) -> Result<()> {
    let mut ctx = Ctx::new(flags)?;
    match cmd {
        Command::Key(k) => keys::run(&ctx, k),
        Command::Balance { address } => accounts::balance(&mut ctx, address).await,
        Command::Send { to, amount, wait } => accounts::send(&mut ctx, &to, &amount, wait).await,
        Command::Tx { txid } => accounts::show_tx(&mut ctx, &txid).await,
        Command::Models => models::models(&mut ctx).await,
        Command::Miners { model } => models::miners(&mut ctx, model).await,
        Command::Prompt { text, job } => jobs::prompt(&mut ctx, &text, &job).await,
        Command::Chat { job } => jobs::chat(&mut ctx, &job).await,
        Command::Records(r) => records::run(&mut ctx, r).await,
        Command::Explore(e) => explore::run(&mut ctx, e).await,
        Command::Market(m) => market::run(&mut ctx, m).await,
    }
}
