//! What every command runs with: the global flags ([`GlobalArgs`]), and the context built
//! from them (`Ctx`): the wallet directory and its password sources, the key to use, the
//! output mode, and the node's JSON-RPC client (connected on first use, so key commands work
//! without a node).
//!
//! `call!` calls one RPC method and turns a client error into one a person can act
//! on (`rpc_err`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use infernet_crypto::{Address, Identity};
use infernet_rpc::client::{ClientError, HttpClient, domain_error, http_client};
use serde::Serialize;

use crate::keys::{PasswordSources, WalletDir, default_wallet_dir};

/// The flags every command takes (`global = true`: they may follow the subcommand).
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Node JSON-RPC URL.
    #[arg(
        long,
        global = true,
        env = "INFERNET_RPC",
        default_value = "http://127.0.0.1:8545"
    )]
    pub rpc: String,
    /// Wallet directory (keys in `<DIR>/keys/NAME.json`).
    #[arg(long, global = true, env = "INFERNET_WALLET_DIR")]
    pub wallet_dir: Option<PathBuf>,
    /// Key to use (default: the only key in the wallet).
    #[arg(long, global = true, env = "INFERNET_KEY")]
    pub key: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the key password from the first line of FILE (else INFERNET_PASSWORD, else a
    /// hidden prompt).
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,
    /// Never prompt; fail with a clear error when input would be needed.
    #[arg(long, global = true)]
    pub no_input: bool,
    /// Print debug lines (to stderr) about what the wallet assumed.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

/// Everything a command needs: flags, the wallet directory and (lazily) the node.
pub(crate) struct Ctx {
    cli_key: Option<String>,
    pub(crate) json: bool,
    verbose: bool,
    pub(crate) url: String,
    pub(crate) wallet: WalletDir,
    pub(crate) passwords: PasswordSources,
    node: Option<HttpClient>,
}

impl Ctx {
    /// The context for `flags`: the wallet directory (the default one unless given), the
    /// password sources (a prompt only on a terminal and without `--no-input`).
    pub(crate) fn new(flags: &GlobalArgs) -> Result<Ctx> {
        let root = match &flags.wallet_dir {
            Some(d) => d.clone(),
            None => default_wallet_dir()?,
        };
        let interactive = !flags.no_input && std::io::stdin().is_terminal();
        Ok(Ctx {
            cli_key: flags.key.clone(),
            json: flags.json,
            verbose: flags.verbose,
            url: flags.rpc.clone(),
            wallet: WalletDir::new(root),
            passwords: PasswordSources {
                file: flags.password_file.clone(),
                env: std::env::var("INFERNET_PASSWORD").ok(),
                interactive,
            },
            node: None,
        })
    }

    /// The node's client, connected on first use.
    pub(crate) fn node(&mut self) -> Result<&HttpClient> {
        if self.node.is_none() {
            let client = http_client(&self.url)
                .with_context(|| format!("invalid --rpc URL {:?}", self.url))?;
            self.node = Some(client);
        }
        self.node.as_ref().ok_or_else(|| anyhow!("no node client"))
    }

    /// The key to use: `--key`, else the only key in the wallet.
    pub(crate) fn key_name(&self) -> Result<String> {
        if let Some(k) = &self.cli_key {
            return Ok(k.clone());
        }
        let keys = self.wallet.list()?;
        match keys.as_slice() {
            [only] => Ok(only.name.clone()),
            [] => bail!(
                "the wallet in {} has no keys: create one with `infernet-wallet key new NAME` or `key import NAME --dev-account 0`",
                self.wallet.root().display()
            ),
            _ => bail!(
                "the wallet has {} keys: choose one with --key NAME (see `infernet-wallet key list`)",
                keys.len()
            ),
        }
    }

    /// Unlocks the key to use (asking for its password as the flags allow).
    pub(crate) fn unlock(&self) -> Result<(String, Identity)> {
        let name = self.key_name()?;
        self.wallet.info(&name)?;
        let pw = self
            .passwords
            .get(&format!("Password for key {name}: "), false)?;
        let id = self.wallet.unlock(&name, &pw)?;
        Ok((name, id))
    }

    /// An address typed by a person: `inf1…`, or the name of a key in the wallet.
    pub(crate) fn resolve_address(&self, s: &str) -> Result<Address> {
        if let Ok(a) = Address::from_str(s) {
            return Ok(a);
        }
        match self.wallet.info(s) {
            Ok(k) => Ok(k.address),
            Err(_) => bail!("{s:?} is neither an address (inf1…) nor a key in the wallet"),
        }
    }

    /// A debug line on stderr with `--verbose`.
    pub(crate) fn debug(&self, line: &str) {
        if self.verbose {
            eprintln!("debug: {line}");
        }
    }

    /// Prints `value` as pretty JSON with `--json`, else runs `human`.
    pub(crate) fn print<T: Serialize>(&self, value: &T, human: impl FnOnce()) -> Result<()> {
        if self.json {
            println!("{}", crate::commands::output::pretty_json(value)?);
        } else {
            human();
        }
        Ok(())
    }
}

/// Turns a client error into one a person can act on.
pub(crate) fn rpc_err(url: &str) -> impl Fn(ClientError) -> anyhow::Error + '_ {
    move |e| {
        if let Some(d) = domain_error(&e) {
            return anyhow!("the node refused: {d}");
        }
        match e {
            ClientError::Call(obj) => anyhow!("the node refused: {}", obj.message()),
            ClientError::Transport(_)
            | ClientError::RestartNeeded(_)
            | ClientError::RequestTimeout => anyhow!(
                "cannot reach an Infernet node at {url} ({e}); start one with `infernet-miner --dev` or point --rpc / INFERNET_RPC at a running node"
            ),
            other => anyhow!("RPC call to {url} failed: {other}"),
        }
    }
}

/// Calls one RPC method on the context's node: `call!(ctx, method(args…))`, errors through
/// [`rpc_err`].
macro_rules! call {
    ($ctx:expr, $method:ident ( $($arg:expr),* )) => {{
        let url = $ctx.url.clone();
        ::infernet_rpc::client::InfernetApiClient::$method($ctx.node()?, $($arg),*)
            .await
            .map_err($crate::commands::context::rpc_err(&url))
    }};
}
pub(crate) use call;
