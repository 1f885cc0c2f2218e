//! `infernet-wallet`: the command-line wallet, talking JSON-RPC to an Infernet node.
//!
//! Commands: `key` (new/import/list/show), `balance`, `send`, `tx`, `models`, `miners`,
//! `prompt`, `chat`, `records` (list/show/decrypt/transfer/export; decrypt and export check
//! provenance), `explore` (tip/block/tx/miner/model/record/listing), `market` (see
//! `src/market/cli.rs`) and `completions`. Every command takes `--json` for scripts; the fee
//! rate is the node's (`chain_getInfo.min_fee_per_byte`). The library (`infernet_wallet`)
//! does the keys, sealing and decryption; this file parses flags, calls the node and prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey};
use infernet_rpc::client::{ClientError, HttpClient, InfernetApiClient, domain_error, http_client};
use infernet_rpc::views::{
    AttestationView, JobStatus, JobView, MinerView, ModelView, PageRequest, RecordEventKind,
    RecordEventView, RecordView, TxKindView,
};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, SamplingParams, SignedTransaction, TxKind, request_hash};
use infernet_types::{SubmitJob, Transfer, TransferRecord};
use infernet_wallet::amount::{format_inf, parse_amount};
use infernet_wallet::export::{self, ExportRecord};
use infernet_wallet::job::{self, Conversation, JobTerms, Message, SealedRecord};
use infernet_wallet::keys::{PasswordSources, WalletDir, default_wallet_dir};
use infernet_wallet::market::provenance::{self, Check};
use infernet_wallet::{WalletError, ranking, tx};
use serde_json::{Value, json};

pub(crate) const AMOUNT_HELP: &str = "Amounts: INF with up to nine decimals (`1.5`, `1.5inf`) or base units with an explicit unit (`1500000000base`); 1 INF = 10^9 base units. --json output gives amounts in base units (decimal strings) next to INF.";

/// Infernet wallet: keys, private prompts, records and an explorer, over a node's JSON-RPC.
#[derive(Parser, Debug)]
#[command(name = "infernet-wallet", version, about, after_help = AMOUNT_HELP)]
struct Cli {
    /// Node JSON-RPC URL.
    #[arg(
        long,
        global = true,
        env = "INFERNET_RPC",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc: String,
    /// Wallet directory (keys in `<DIR>/keys/NAME.json`).
    #[arg(long, global = true, env = "INFERNET_WALLET_DIR")]
    wallet_dir: Option<PathBuf>,
    /// Key to use (default: the only key in the wallet).
    #[arg(long, global = true, env = "INFERNET_KEY")]
    key: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Read the key password from the first line of FILE (else INFERNET_PASSWORD, else a
    /// hidden prompt).
    #[arg(long, global = true)]
    password_file: Option<PathBuf>,
    /// Never prompt; fail with a clear error when input would be needed.
    #[arg(long, global = true)]
    no_input: bool,
    /// Print debug lines (to stderr) about what the wallet assumed.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Manage keys.
    #[command(subcommand)]
    Key(KeyCmd),
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
        #[command(flatten)]
        job: JobArgs,
    },
    /// An interactive conversation (one job per turn, keeping the conversation).
    Chat {
        #[command(flatten)]
        job: JobArgs,
    },
    /// Records owned by the wallet key.
    #[command(subcommand)]
    Records(RecordsCmd),
    /// Explore the chain.
    #[command(subcommand)]
    Explore(ExploreCmd),
    /// The record market: sell and buy records as training data.
    #[command(subcommand)]
    Market(market_cli::MarketCmd),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum KeyCmd {
    /// Create a key from a new 24-word mnemonic (printed once: write it down).
    New {
        /// Key name.
        name: String,
    },
    /// Import a key from a mnemonic or a dev account.
    Import {
        /// Key name.
        name: String,
        /// The mnemonic phrase (12 or 24 words).
        #[arg(
            long,
            conflicts_with = "dev_account",
            required_unless_present = "dev_account"
        )]
        mnemonic: Option<String>,
        /// Dev account N of the dev chain (its keys are public: dev chains only).
        #[arg(long)]
        dev_account: Option<u32>,
    },
    /// List keys.
    List,
    /// Show a key's address (and with --reply-key, its reply key, which needs the password).
    Show {
        /// Key name.
        name: String,
        /// Also unlock the key and show the X25519 reply key others seal records to.
        #[arg(long)]
        reply_key: bool,
    },
}

#[derive(clap::Args, Debug, Clone)]
struct JobArgs {
    /// Model name or id (default: the best miner's cheapest model).
    #[arg(long)]
    model: Option<String>,
    /// Miner address, or `auto` (best reputation for the price).
    #[arg(long, default_value = "auto")]
    miner: String,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 128)]
    max_tokens: u32,
    /// Most prompt tokens paid for (default: prompt bytes + 64).
    #[arg(long)]
    max_input_tokens: Option<u32>,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// Top-p cut-off (1 = none).
    #[arg(long, default_value_t = 1.0)]
    top_p: f64,
    /// Top-k cut-off (0 = none).
    #[arg(long, default_value_t = 0)]
    top_k: u32,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Only attested miners; the result must carry attestation evidence.
    #[arg(long)]
    require_attestation: bool,
    /// Blocks until the job expires and is refunded if no result came.
    #[arg(long, default_value_t = 20)]
    expiry_blocks: u64,
    /// Give up waiting after this many seconds (the job stays on chain).
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

#[derive(Subcommand, Debug)]
enum RecordsCmd {
    /// Records owned by the key.
    List {
        /// Only records of this model (id).
        #[arg(long)]
        model: Option<String>,
    },
    /// A record's public data.
    Show {
        /// Record id.
        id: String,
    },
    /// Decrypt a record and check its provenance (key, payload, the miner's commitment, the
    /// receipt): prints the prompt, the answer and verified / FAILED; exits non-zero when a
    /// check fails.
    Decrypt {
        /// Record id.
        id: String,
    },
    /// Give a record to another address (the record key is sealed to its reply key).
    Transfer {
        /// Record id.
        id: String,
        /// New owner (`inf1…` or key name).
        to: String,
        /// The new owner's reply key (hex), when the chain does not know it yet (it learns
        /// it from their first job); `infernet-wallet key show NAME --reply-key` prints it.
        #[arg(long)]
        reply_key: Option<String>,
    },
    /// Export records as JSONL training data with a provenance sidecar and a dataset card;
    /// each record's provenance is checked first (verified / FAILED per record), failed ones
    /// are skipped unless --include-unverified, and the exit is non-zero only when none
    /// verified.
    Export {
        /// Record ids (default: every record the key owns).
        ids: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "openai")]
        format: FormatArg,
        /// Output JSONL file.
        #[arg(long)]
        out: PathBuf,
        /// Also export records that fail the provenance checks (marked `"verified": false`
        /// in the sidecar); by default they are skipped with a message.
        #[arg(long)]
        include_unverified: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    /// `{"messages":[…]}` per line.
    Openai,
    /// `{"prompt":…,"completion":…}` per line.
    Trl,
}

#[derive(Subcommand, Debug)]
enum ExploreCmd {
    /// Chain tip and status.
    Tip,
    /// A block by height or hash.
    Block {
        /// Height or hash.
        block: String,
    },
    /// A transaction.
    Tx {
        /// Transaction id.
        txid: String,
    },
    /// A miner.
    Miner {
        /// Address.
        address: String,
    },
    /// A model.
    Model {
        /// Model id.
        id: String,
    },
    /// A record (public data only) with its ownership history and sales.
    Record {
        /// Record id.
        id: String,
    },
    /// A listing: records, models, token totals, price, the seller and the seller's history,
    /// status, the purchase (buyer, deadline, delivery) and complaints.
    Listing {
        /// Listing id.
        id: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
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
    match rt.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if json {
                let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
                println!("{}", json!({ "error": format!("{e:#}"), "causes": chain }));
            } else {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything a command needs: flags, the wallet directory and (lazily) the node.
struct Ctx {
    cli_key: Option<String>,
    json: bool,
    verbose: bool,
    url: String,
    wallet: WalletDir,
    passwords: PasswordSources,
    node: Option<HttpClient>,
}

impl Ctx {
    fn node(&mut self) -> Result<&HttpClient> {
        if self.node.is_none() {
            let client = http_client(&self.url)
                .with_context(|| format!("invalid --rpc URL {:?}", self.url))?;
            self.node = Some(client);
        }
        self.node.as_ref().ok_or_else(|| anyhow!("no node client"))
    }

    fn key_name(&self) -> Result<String> {
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

    fn unlock(&self) -> Result<(String, Identity)> {
        let name = self.key_name()?;
        self.wallet.info(&name)?;
        let pw = self
            .passwords
            .get(&format!("Password for key {name}: "), false)?;
        let id = self.wallet.unlock(&name, &pw)?;
        Ok((name, id))
    }

    /// An address typed by a person: `inf1…`, or the name of a key in the wallet.
    fn resolve_address(&self, s: &str) -> Result<Address> {
        if let Ok(a) = Address::from_str(s) {
            return Ok(a);
        }
        match self.wallet.info(s) {
            Ok(k) => Ok(k.address),
            Err(_) => bail!("{s:?} is neither an address (inf1…) nor a key in the wallet"),
        }
    }

    /// A debug line on stderr with `--verbose`.
    fn debug(&self, line: &str) {
        if self.verbose {
            eprintln!("debug: {line}");
        }
    }

    fn print(&self, value: &Value, human: impl FnOnce()) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            human();
        }
    }
}

/// Turns a client error into one a person can act on.
fn rpc_err(url: &str) -> impl Fn(ClientError) -> anyhow::Error + '_ {
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

macro_rules! call {
    ($ctx:expr, $method:ident ( $($arg:expr),* )) => {{
        let url = $ctx.url.clone();
        $ctx.node()?.$method($($arg),*).await.map_err(rpc_err(&url))
    }};
}

async fn run(cli: Cli) -> Result<()> {
    let root = match &cli.wallet_dir {
        Some(d) => d.clone(),
        None => default_wallet_dir()?,
    };
    let interactive = !cli.no_input && std::io::stdin().is_terminal();
    let mut ctx = Ctx {
        cli_key: cli.key.clone(),
        json: cli.json,
        verbose: cli.verbose,
        url: cli.rpc.clone(),
        wallet: WalletDir::new(root),
        passwords: PasswordSources {
            file: cli.password_file.clone(),
            env: std::env::var("INFERNET_PASSWORD").ok(),
            interactive,
        },
        node: None,
    };
    match cli.cmd {
        Cmd::Key(k) => key_cmd(&ctx, k),
        Cmd::Balance { address } => balance(&mut ctx, address).await,
        Cmd::Send { to, amount, wait } => send(&mut ctx, &to, &amount, wait).await,
        Cmd::Tx { txid } => show_tx(&mut ctx, &txid).await,
        Cmd::Models => models(&mut ctx).await,
        Cmd::Miners { model } => miners(&mut ctx, model).await,
        Cmd::Prompt { text, job } => prompt(&mut ctx, &text, &job).await,
        Cmd::Chat { job } => chat(&mut ctx, &job).await,
        Cmd::Records(r) => records(&mut ctx, r).await,
        Cmd::Explore(e) => explore(&mut ctx, e).await,
        Cmd::Market(m) => market_cli::run(&mut ctx, m).await,
        Cmd::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "infernet-wallet",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- keys

fn key_cmd(ctx: &Ctx, cmd: KeyCmd) -> Result<()> {
    match cmd {
        KeyCmd::New { name } => {
            ctx.wallet.key_path(&name)?;
            let pw = ctx
                .passwords
                .get(&format!("New password for key {name}: "), true)?;
            let (info, phrase) = ctx.wallet.create(&name, &pw)?;
            ctx.print(
                &json!({ "name": info.name, "address": info.address.to_string(), "path": info.path, "mnemonic": phrase.as_str() }),
                || {
                    println!("Created key {} at {}", info.name, info.path.display());
                    println!("Address: {}", info.address);
                    println!();
                    println!("Mnemonic (shown once; write it down, anyone who has it owns the key):");
                    println!("  {}", phrase.as_str());
                },
            );
        }
        KeyCmd::Import {
            name,
            mnemonic,
            dev_account,
        } => {
            ctx.wallet.key_path(&name)?;
            let pw = ctx
                .passwords
                .get(&format!("New password for key {name}: "), true)?;
            let info = match (mnemonic, dev_account) {
                (Some(m), _) => ctx.wallet.import_mnemonic(&name, &m, &pw)?,
                (None, Some(n)) => ctx.wallet.import_dev_account(&name, n, &pw)?,
                (None, None) => bail!("pass --mnemonic \"…\" or --dev-account N"),
            };
            ctx.print(
                &json!({ "name": info.name, "address": info.address.to_string(), "path": info.path }),
                || println!("Imported key {} ({}) at {}", info.name, info.address, info.path.display()),
            );
        }
        KeyCmd::List => {
            let keys = ctx.wallet.list()?;
            let v: Vec<Value> = keys
                .iter()
                .map(
                    |k| json!({ "name": k.name, "address": k.address.to_string(), "path": k.path }),
                )
                .collect();
            ctx.print(&json!(v), || {
                if keys.is_empty() {
                    println!("No keys in {}.", ctx.wallet.keys_dir().display());
                }
                table(
                    &["NAME", "ADDRESS"],
                    keys.iter()
                        .map(|k| vec![k.name.clone(), k.address.to_string()])
                        .collect(),
                );
            });
        }
        KeyCmd::Show { name, reply_key } => {
            let info = ctx.wallet.info(&name)?;
            let reply = if reply_key {
                let pw = ctx
                    .passwords
                    .get(&format!("Password for key {name}: "), false)?;
                let id = ctx.wallet.unlock(&name, &pw)?;
                Some(id.reply_secret().public_key().to_string())
            } else {
                None
            };
            ctx.print(
                &json!({ "name": info.name, "address": info.address.to_string(), "path": info.path, "reply_key": reply }),
                || {
                    let mut rows = vec![
                        vec!["name".into(), info.name.clone()],
                        vec!["address".into(), info.address.to_string()],
                        vec!["file".into(), info.path.display().to_string()],
                    ];
                    if let Some(r) = &reply {
                        rows.push(vec!["reply key".into(), r.clone()]);
                    }
                    kv(rows);
                },
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- accounts and txs

fn amount_json(a: Amount) -> Value {
    json!({ "base": a.0.to_string(), "inf": a.to_inf_string() })
}

async fn balance(ctx: &mut Ctx, address: Option<String>) -> Result<()> {
    let addr = match address {
        Some(a) => ctx.resolve_address(&a)?,
        None => ctx.wallet.info(&ctx.key_name()?)?.address,
    };
    let acc = call!(ctx, state_get_account(rpc::Address(addr.0)))?;
    let bal = Amount(acc.balance.0);
    ctx.print(
        &json!({ "address": addr.to_string(), "balance": amount_json(bal), "nonce": acc.nonce, "next_nonce": acc.next_nonce }),
        || println!("{}  {}", addr, format_inf(bal)),
    );
    Ok(())
}

/// Chain identity the wallet signs for.
struct ChainCtx {
    name: String,
    chain_id: u64,
    fee_per_byte: Amount,
    tip: u64,
}

async fn chain_ctx(ctx: &mut Ctx) -> Result<ChainCtx> {
    let info = call!(ctx, chain_get_info())?;
    // The node says its chain's minimum fee; a node older than that field answers without
    // it (read as 0), and the built-in spec of its chain (or the default) stands in.
    let fee_per_byte = if info.min_fee_per_byte.0 > 0 {
        Amount(info.min_fee_per_byte.0)
    } else {
        let f = tx::fee_per_byte_for(&info.chain);
        ctx.debug(&format!(
            "the node's chain_getInfo has no min_fee_per_byte (an older node); using {} base units per byte from the built-in spec of chain {:?}",
            f.0, info.chain
        ));
        f
    };
    Ok(ChainCtx {
        fee_per_byte,
        name: info.chain,
        chain_id: info.chain_id,
        tip: info.tip.height,
    })
}

/// Checks the sender can pay `spend + fee`, then submits.
async fn submit(ctx: &mut Ctx, signed: &SignedTransaction, spend: Amount) -> Result<Hash> {
    let sender = signed.tx.sender;
    let acc = call!(ctx, state_get_account(rpc::Address(sender.0)))?;
    let needed = spend
        .checked_add(signed.tx.fee)
        .map_err(|_| anyhow!("amount overflow"))?;
    if acc.balance.0 < needed.0 {
        bail!(
            "insufficient balance: {} has {} but needs {} ({} + fee {}); fund it with `infernet-wallet --key FUNDED send {} AMOUNT`",
            sender,
            format_inf(Amount(acc.balance.0)),
            format_inf(needed),
            format_inf(spend),
            format_inf(signed.tx.fee),
            sender
        );
    }
    let id = call!(ctx, tx_send(tx::to_hex(signed)))?;
    Ok(Hash(id.0))
}

async fn next_nonce(ctx: &mut Ctx, who: &Address) -> Result<u64> {
    Ok(call!(ctx, state_get_account(rpc::Address(who.0)))?.next_nonce)
}

async fn wait_confirmed(ctx: &mut Ctx, txid: Hash, timeout: Duration) -> Result<u64> {
    let start = std::time::Instant::now();
    loop {
        match call!(ctx, tx_get(H256(txid.0)))? {
            Some(t) if t.block_height.is_some() => return Ok(t.block_height.unwrap_or(0)),
            Some(_) => {}
            None => bail!(
                "transaction {txid} was dropped by the node (see its logs); nothing was spent"
            ),
        }
        if start.elapsed() > timeout {
            bail!(
                "transaction {txid} is still pending after {}s",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn send(ctx: &mut Ctx, to: &str, amount: &str, wait: bool) -> Result<()> {
    let to = ctx.resolve_address(to)?;
    let amount = parse_amount(amount)?;
    let (_, id) = ctx.unlock()?;
    let chain = chain_ctx(ctx).await?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let signed = tx::sign(
        &id,
        chain.chain_id,
        nonce,
        chain.fee_per_byte,
        TxKind::Transfer(Transfer { to, amount }),
    )?;
    let txid = submit(ctx, &signed, amount).await?;
    let height = if wait {
        Some(wait_confirmed(ctx, txid, Duration::from_secs(120)).await?)
    } else {
        None
    };
    ctx.print(
        &json!({ "txid": txid.to_hex(), "from": id.address().to_string(), "to": to.to_string(), "amount": amount_json(amount), "fee": amount_json(signed.tx.fee), "block_height": height }),
        || {
            println!("Sent {} to {} (fee {})", format_inf(amount), to, format_inf(signed.tx.fee));
            println!("txid {txid}");
            if let Some(h) = height {
                println!("in block {h}");
            }
        },
    );
    Ok(())
}

fn parse_hash(s: &str, what: &str) -> Result<Hash> {
    Hash::from_str(s.trim_start_matches("0x"))
        .map_err(|_| anyhow!("{what} {s:?} is not 64 hex digits"))
}

async fn show_tx(ctx: &mut Ctx, txid: &str) -> Result<()> {
    let id = parse_hash(txid, "transaction id")?;
    let Some(t) = call!(ctx, tx_get(H256(id.0)))? else {
        bail!("no transaction {id} on the best chain or in the mempool");
    };
    ctx.print(&serde_json::to_value(&t)?, || {
        kv(vec![
            vec!["txid".into(), id.to_hex()],
            vec!["status".into(), format!("{:?}", t.status).to_lowercase()],
            vec![
                "block".into(),
                t.block_height.map_or("-".into(), |h| h.to_string()),
            ],
            vec!["confirmations".into(), t.confirmations.to_string()],
            vec!["sender".into(), addr(&t.tx.sender)],
            vec!["nonce".into(), t.tx.nonce.to_string()],
            vec!["fee".into(), format_inf(Amount(t.tx.fee.0))],
            vec!["kind".into(), kind_summary(&t.tx.kind)],
        ]);
    });
    Ok(())
}

fn addr(a: &rpc::Address) -> String {
    Address(a.0).to_string()
}

fn short(h: &H256) -> String {
    let s = hex::encode(h.0);
    format!("{}…", &s[..12])
}

fn kind_summary(k: &TxKindView) -> String {
    match k {
        TxKindView::Transfer { to, amount } => {
            format!("transfer {} to {}", format_inf(Amount(amount.0)), addr(to))
        }
        TxKindView::SubmitJob {
            miner,
            model,
            max_output_tokens,
            ..
        } => format!(
            "submit_job to {} model {} (≤{} tokens)",
            addr(miner),
            short(model),
            max_output_tokens
        ),
        TxKindView::PostResult {
            job,
            input_tokens,
            output_tokens,
            ..
        } => format!(
            "post_result job {} ({input_tokens} in, {output_tokens} out)",
            short(job)
        ),
        TxKindView::TransferRecord { record, to, .. } => {
            format!("transfer_record {} to {}", short(record), addr(to))
        }
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "transaction".into()),
    }
}

// ---------------------------------------------------------------- models and miners

const MAX_PAGES: usize = 1000;

macro_rules! all_pages {
    ($ctx:expr, $method:ident ( $($arg:expr,)* )) => {{
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = PageRequest { cursor: cursor.clone(), limit: None };
            let p = call!($ctx, $method($($arg,)* Some(page)))?;
            items.extend(p.items);
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok::<_, anyhow::Error>(items)
    }};
}

async fn all_models(ctx: &mut Ctx) -> Result<Vec<ModelView>> {
    all_pages!(ctx, state_get_models())
}

async fn all_miners(ctx: &mut Ctx) -> Result<Vec<MinerView>> {
    all_pages!(ctx, state_get_miners())
}

/// A model given by name or id.
async fn resolve_model(ctx: &mut Ctx, query: &str) -> Result<ModelView> {
    if let Ok(id) = Hash::from_str(query.trim_start_matches("0x"))
        && let Some(m) = call!(ctx, state_get_model(H256(id.0)))?
    {
        return Ok(m);
    }
    let models = all_models(ctx).await?;
    let matches: Vec<ModelView> = models
        .into_iter()
        .filter(|m| {
            m.name.eq_ignore_ascii_case(query)
                || hex::encode(m.id.0).starts_with(&query.to_ascii_lowercase())
        })
        .collect();
    match matches.len() {
        0 => Err(WalletError::UnknownModel {
            query: query.to_owned(),
        }
        .into()),
        1 => Ok(matches
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("no model"))?),
        count => Err(WalletError::AmbiguousModel {
            query: query.to_owned(),
            count,
        }
        .into()),
    }
}

async fn models(ctx: &mut Ctx) -> Result<()> {
    let models = all_models(ctx).await?;
    ctx.print(&serde_json::to_value(&models)?, || {
        table(
            &["ID", "NAME", "ARCH", "CONTEXT", "ROYALTY", "OWNER"],
            models
                .iter()
                .map(|m| {
                    vec![
                        hex::encode(m.id.0),
                        m.name.clone(),
                        m.architecture.clone(),
                        m.context_length.to_string(),
                        format!("{:.2}%", f64::from(m.royalty_bps) / 100.0),
                        addr(&m.owner),
                    ]
                })
                .collect(),
        );
    });
    Ok(())
}

async fn miners(ctx: &mut Ctx, model: Option<String>) -> Result<()> {
    let model = match model {
        Some(q) => Some(resolve_model(ctx, &q).await?.id),
        None => None,
    };
    let miners = all_miners(ctx).await?;
    let ranked = ranking::rank(&miners, model.as_ref());
    let v: Vec<Value> = ranked
        .iter()
        .map(|r| {
            json!({
                "address": addr(&r.miner.address),
                "reputation": r.reputation,
                "offer": r.offer,
                "served": r.miner.reputation.served,
                "expired": r.miner.reputation.expired,
                "attestation": ranking::attestation_name(&r.miner),
                "unbonding_at": r.miner.unbonding_at,
                "miner": r.miner,
            })
        })
        .collect();
    ctx.print(&json!(v), || {
        table(
            &[
                "#",
                "MINER",
                "REP",
                "MODEL",
                "PRICE IN",
                "PRICE OUT",
                "MAX OUT",
                "SERVED",
                "EXPIRED",
                "ATTEST",
            ],
            ranked
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let (m, pi, po, mo) = match &r.offer {
                        Some(o) => (
                            short(&o.model),
                            format_inf(Amount(o.price_in.0)),
                            format_inf(Amount(o.price_out.0)),
                            o.max_output_tokens.to_string(),
                        ),
                        None => ("-".into(), "-".into(), "-".into(), "-".into()),
                    };
                    vec![
                        (i + 1).to_string(),
                        addr(&r.miner.address),
                        format!("{:.2}", r.reputation),
                        m,
                        pi,
                        po,
                        mo,
                        r.miner.reputation.served.to_string(),
                        r.miner.reputation.expired.to_string(),
                        ranking::attestation_name(&r.miner).into(),
                    ]
                })
                .collect(),
        );
    });
    Ok(())
}

// ---------------------------------------------------------------- prompt and chat

/// The outcome of one job.
struct JobOutcome {
    job_id: Hash,
    miner: Address,
    model: Hash,
    answer: String,
    tokens_in: u32,
    tokens_out: u32,
    cost: Amount,
    refund: Amount,
    fee: Amount,
}

fn sampling_from(args: &JobArgs) -> Result<SamplingParams> {
    let milli = |v: f64, name: &str| -> Result<u32> {
        if !(0.0..=100.0).contains(&v) || v.is_nan() {
            bail!("--{name} {v} is out of range");
        }
        Ok((v * 1000.0).round() as u32)
    };
    Ok(SamplingParams {
        temperature_milli: milli(args.temperature, "temperature")?,
        top_p_milli: milli(args.top_p, "top-p")?,
        top_k: args.top_k,
        seed: args.seed,
    })
}

async fn run_job(
    ctx: &mut Ctx,
    key_name: &str,
    id: &Identity,
    args: &JobArgs,
    plaintext: &[u8],
) -> Result<JobOutcome> {
    let chain = chain_ctx(ctx).await?;
    let miners = all_miners(ctx).await?;
    let model_id: H256 = match &args.model {
        Some(q) => resolve_model(ctx, q).await?.id,
        None => ranking::rank(&miners, None)
            .into_iter()
            .find_map(|r| r.offer.map(|o| o.model))
            .ok_or_else(|| WalletError::NoMiner {
                model: "(any)".into(),
                extra: String::new(),
            })?,
    };
    let model_hex = hex::encode(model_id.0);
    let chosen = if args.miner == "auto" {
        ranking::pick(&miners, &model_id, args.require_attestation).ok_or_else(|| {
            WalletError::NoMiner {
                model: model_hex.clone(),
                extra: if args.require_attestation {
                    " with an attestation".into()
                } else {
                    String::new()
                },
            }
        })?
    } else {
        let want = ctx.resolve_address(&args.miner)?;
        let m = miners
            .iter()
            .find(|m| m.address.0 == want.0)
            .ok_or_else(|| {
                anyhow!("{want} is not a registered miner; see `infernet-wallet miners`")
            })?;
        let r = ranking::rank(std::slice::from_ref(m), Some(&model_id));
        r.into_iter()
            .next()
            .ok_or_else(|| WalletError::MinerLacksModel {
                miner: want.to_string(),
                model: model_hex.clone(),
            })?
    };
    let offer = chosen
        .offer
        .clone()
        .ok_or_else(|| anyhow!("the chosen miner has no offer"))?;
    if args.require_attestation && !ranking::is_attested(&chosen.miner) {
        bail!(
            "miner {} is not attested; drop --require-attestation or pick another miner",
            addr(&chosen.miner.address)
        );
    }
    let max_out = args.max_tokens.min(offer.max_output_tokens).max(1);
    let lifetime = infernet_types::ChainSpec::builtin(&chain.name)
        .map(|s| s.limits.max_job_lifetime)
        .unwrap_or(args.expiry_blocks);
    let terms = JobTerms {
        miner: Address(chosen.miner.address.0),
        serving_key: ReplyPublicKey(chosen.miner.serving_key.0),
        model: Hash(model_id.0),
        max_input_tokens: args
            .max_input_tokens
            .unwrap_or_else(|| job::input_token_bound(plaintext.len())),
        max_output_tokens: max_out,
        price_in: Amount(offer.price_in.0),
        price_out: Amount(offer.price_out.0),
        sampling: sampling_from(args)?,
        expiry: chain.tip + args.expiry_blocks.clamp(2, lifetime.max(2)),
        require_attestation: args.require_attestation,
    };
    let escrow = job::max_cost(&terms)?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let kind = job::submit_job_kind(id, chain.chain_id, nonce, &terms, plaintext)?;
    let TxKind::SubmitJob(SubmitJob { sealed_prompt, .. }) = &kind else {
        bail!("internal: not a SubmitJob");
    };
    let req_hash = request_hash(sealed_prompt);
    let signed = tx::sign(id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let job_id = submit(ctx, &signed, escrow).await?;

    let spinner = if ctx.json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let s = indicatif::ProgressBar::new_spinner();
        s.enable_steady_tick(Duration::from_millis(100));
        s
    };
    spinner.set_message(format!(
        "job {} sent to {}; waiting for the result (expires at height {})",
        short(&H256(job_id.0)),
        terms.miner,
        terms.expiry
    ));
    let job = wait_job(ctx, job_id, Duration::from_secs(args.timeout)).await;
    spinner.finish_and_clear();
    let job = job?;
    match job.status {
        JobStatus::Completed => {}
        JobStatus::Expired => bail!(
            "job {job_id} expired at height {} without a result: the escrow of {} was refunded in full",
            job.expiry,
            format_inf(Amount(job.escrow.0))
        ),
        JobStatus::Pending => bail!("job {job_id} is still pending"),
    }
    let record_id = job
        .record
        .ok_or_else(|| anyhow!("job {job_id} completed without a record"))?;
    let rec = call!(ctx, state_get_record(record_id))?
        .ok_or_else(|| anyhow!("record {} is not on chain", hex::encode(record_id.0)))?;
    // The receipt on chain must describe our request.
    if rec.request_hash.0 != req_hash.0
        || rec.model.0 != model_id.0
        || rec.miner.0 != terms.miner.0
        || rec.user.0 != id.address().0
    {
        bail!(
            "record {} does not match the job sent (request hash, model, miner or user differ)",
            hex::encode(record_id.0)
        );
    }
    let s = rec.sampling;
    if (s.temperature_milli, s.top_p_milli, s.top_k, s.seed.0)
        != (
            terms.sampling.temperature_milli,
            terms.sampling.top_p_milli,
            terms.sampling.top_k,
            terms.sampling.seed,
        )
    {
        bail!(
            "record {} was produced with other sampling parameters than asked",
            hex::encode(record_id.0)
        );
    }
    let pt = job::open_record(
        &id.reply_secret(),
        chain.chain_id,
        &sealed_record(&rec),
        key_name,
    )?;
    if pt.prompt != plaintext {
        bail!(
            "record {}: the decrypted prompt is not the prompt sent",
            hex::encode(record_id.0)
        );
    }
    let cost = job::cost(
        terms.price_in,
        terms.price_out,
        rec.input_tokens,
        rec.output_tokens,
    )?;
    let refund = Amount(job.escrow.0.saturating_sub(cost.0));
    Ok(JobOutcome {
        job_id,
        miner: terms.miner,
        model: terms.model,
        answer: String::from_utf8_lossy(&pt.answer).into_owned(),
        tokens_in: rec.input_tokens,
        tokens_out: rec.output_tokens,
        cost,
        refund,
        fee: signed.tx.fee,
    })
}

fn sealed_record(rec: &RecordView) -> SealedRecord {
    SealedRecord {
        id: Hash(rec.id.0),
        owner: Address(rec.owner.0),
        sealed_key: infernet_crypto::SealedBox {
            enc: rec.sealed_key.enc.0,
            ciphertext: rec.sealed_key.ciphertext.0.clone(),
        },
        payload: rec.payload.0.clone(),
        commitment: Hash(rec.commitment.0),
    }
}

async fn wait_job(ctx: &mut Ctx, job_id: Hash, timeout: Duration) -> Result<JobView> {
    let start = std::time::Instant::now();
    loop {
        let job = match ctx.node()?.state_get_job(H256(job_id.0)).await {
            Ok(j) => j,
            Err(e) if matches!(domain_error(&e), Some(rpc::RpcError::UnknownJob { .. })) => None,
            Err(e) => return Err(rpc_err(&ctx.url.clone())(e)),
        };
        match job {
            Some(j) if j.status != JobStatus::Pending => return Ok(j),
            Some(_) => {}
            None => {
                if call!(ctx, tx_get(H256(job_id.0)))?.is_none() {
                    bail!(
                        "the job transaction {job_id} was dropped by the node; nothing was spent"
                    );
                }
            }
        }
        if start.elapsed() > timeout {
            bail!(
                "no result for job {job_id} after {}s; it stays on chain: check it with `infernet-wallet explore tx {job_id}` (it is refunded in full if it expires)",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn outcome_json(o: &JobOutcome) -> Value {
    json!({
        "job_id": o.job_id.to_hex(),
        "record_id": o.job_id.to_hex(),
        "miner": o.miner.to_string(),
        "model_id": o.model.to_hex(),
        "answer": o.answer,
        "tokens_in": o.tokens_in,
        "tokens_out": o.tokens_out,
        "cost": o.cost.0.to_string(),
        "refund": o.refund.0.to_string(),
        "fee": o.fee.0.to_string(),
    })
}

fn print_outcome_footer(o: &JobOutcome) {
    eprintln!(
        "[{} in + {} out tokens · cost {} · refund {} · fee {} · record {}]",
        o.tokens_in,
        o.tokens_out,
        format_inf(o.cost),
        format_inf(o.refund),
        format_inf(o.fee),
        o.job_id
    );
}

async fn prompt(ctx: &mut Ctx, text: &str, args: &JobArgs) -> Result<()> {
    let (name, id) = ctx.unlock()?;
    let o = run_job(ctx, &name, &id, args, text.as_bytes()).await?;
    ctx.print(&outcome_json(&o), || {
        println!("{}", o.answer);
        print_outcome_footer(&o);
    });
    Ok(())
}

async fn chat(ctx: &mut Ctx, args: &JobArgs) -> Result<()> {
    let (name, id) = ctx.unlock()?;
    let mut convo = Conversation::default();
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal() && !ctx.json;
    if interactive {
        eprintln!(
            "Chat: one paid job per turn, the whole conversation is sealed each time. Empty line or Ctrl-D ends."
        );
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!("> ");
            std::io::stderr().flush().ok();
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("cannot read from stdin")?;
        if line.trim().is_empty() || line.trim() == "/exit" {
            break;
        }
        convo.messages.push(Message {
            role: "user".into(),
            content: line,
        });
        let pt = convo.to_plaintext()?;
        let o = run_job(ctx, &name, &id, args, &pt).await?;
        if ctx.json {
            println!("{}", outcome_json(&o));
        } else {
            println!("{}", o.answer);
            print_outcome_footer(&o);
        }
        convo.messages.push(Message {
            role: "assistant".into(),
            content: o.answer,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- records

async fn owned_records(ctx: &mut Ctx, owner: Address) -> Result<Vec<RecordView>> {
    all_pages!(ctx, state_get_records_by_owner(rpc::Address(owner.0),))
}

async fn get_record(ctx: &mut Ctx, id: &str) -> Result<RecordView> {
    let h = parse_hash(id, "record id")?;
    call!(ctx, state_get_record(H256(h.0)))?
        .ok_or_else(|| anyhow!("no record {h} on the best chain"))
}

fn record_json(r: &RecordView) -> Value {
    json!({
        "id": hex::encode(r.id.0),
        "owner": addr(&r.owner),
        "miner": addr(&r.miner),
        "model": hex::encode(r.model.0),
        "user": addr(&r.user),
        "commitment": hex::encode(r.commitment.0),
        "request_hash": hex::encode(r.request_hash.0),
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "sampling": r.sampling,
        "minted_at": r.minted_at,
        "listing": r.listing.map(|l| hex::encode(l.0)),
        "payload_bytes": r.payload.0.len(),
    })
}

fn record_rows(r: &RecordView) -> Vec<Vec<String>> {
    vec![
        vec!["record".into(), hex::encode(r.id.0)],
        vec!["owner".into(), addr(&r.owner)],
        vec!["user".into(), addr(&r.user)],
        vec!["miner".into(), addr(&r.miner)],
        vec!["model".into(), hex::encode(r.model.0)],
        vec![
            "tokens".into(),
            format!("{} in, {} out", r.input_tokens, r.output_tokens),
        ],
        vec![
            "sampling".into(),
            format!(
                "temperature {} top_p {} top_k {} seed {}",
                f64::from(r.sampling.temperature_milli) / 1000.0,
                f64::from(r.sampling.top_p_milli) / 1000.0,
                r.sampling.top_k,
                r.sampling.seed.0
            ),
        ],
        vec!["commitment".into(), hex::encode(r.commitment.0)],
        vec!["request hash".into(), hex::encode(r.request_hash.0)],
        vec!["minted at".into(), r.minted_at.to_string()],
        vec![
            "payload".into(),
            format!("{} bytes (encrypted)", r.payload.0.len()),
        ],
    ]
}

async fn records(ctx: &mut Ctx, cmd: RecordsCmd) -> Result<()> {
    match cmd {
        RecordsCmd::List { model } => {
            let owner = ctx.wallet.info(&ctx.key_name()?)?.address;
            let model = match model {
                Some(q) => Some(resolve_model(ctx, &q).await?.id),
                None => None,
            };
            let recs: Vec<RecordView> = owned_records(ctx, owner)
                .await?
                .into_iter()
                .filter(|r| model.is_none_or(|m| r.model == m))
                .collect();
            let v: Vec<Value> = recs.iter().map(record_json).collect();
            ctx.print(&json!(v), || {
                table(
                    &["RECORD", "MODEL", "MINER", "TOKENS", "MINTED"],
                    recs.iter()
                        .map(|r| {
                            vec![
                                hex::encode(r.id.0),
                                short(&r.model),
                                addr(&r.miner),
                                format!("{}+{}", r.input_tokens, r.output_tokens),
                                r.minted_at.to_string(),
                            ]
                        })
                        .collect(),
                );
            });
        }
        RecordsCmd::Show { id } => {
            let r = get_record(ctx, &id).await?;
            ctx.print(&record_json(&r), || kv(record_rows(&r)));
        }
        RecordsCmd::Decrypt { id } => {
            let r = get_record(ctx, &id).await?;
            let (name, ident) = ctx.unlock()?;
            let chain = chain_ctx(ctx).await?;
            let (v, pair) = verify_held(ctx, &ident, &name, chain.chain_id, &r).await?;
            let commitment_ok = !matches!(
                v.failed_check,
                Some(Check::Key | Check::Payload | Check::Commitment)
            );
            let prompt = pair
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.prompt).into_owned());
            let answer = pair
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.answer).into_owned());
            ctx.print(
                &json!({
                    "record_id": hex::encode(r.id.0),
                    "prompt": prompt,
                    "answer": answer,
                    "commitment_ok": commitment_ok,
                    "verified": v.verified,
                    "failed_check": v.failed_check,
                    "reason": v.reason,
                }),
                || {
                    if let (Some(p), Some(a)) = (&prompt, &answer) {
                        println!("prompt:\n{p}\n\nanswer:\n{a}\n");
                    }
                    eprintln!("{}", verdict_line(&v));
                },
            );
            if !v.verified {
                bail!(
                    "record {} failed the {} check: {}",
                    v.record,
                    v.failed_check.map_or("provenance", Check::name),
                    v.reason.as_deref().unwrap_or("")
                );
            }
        }
        RecordsCmd::Transfer { id, to, reply_key } => {
            let r = get_record(ctx, &id).await?;
            let to = ctx.resolve_address(&to)?;
            let (name, ident) = ctx.unlock()?;
            if r.owner.0 != ident.address().0 {
                bail!(
                    "record {} is owned by {}, not by key {name}",
                    hex::encode(r.id.0),
                    addr(&r.owner)
                );
            }
            let to_reply = match reply_key {
                Some(k) => ReplyPublicKey::from_str(k.trim_start_matches("0x"))
                    .map_err(|_| anyhow!("--reply-key must be 64 hex digits"))?,
                None => {
                    let acc = call!(ctx, state_get_account(rpc::Address(to.0)))?;
                    let k = acc.reply_key.ok_or_else(|| anyhow!(
                        "{to} has no reply key on chain yet (it is recorded with their first job); ask them for `infernet-wallet key show NAME --reply-key` and pass --reply-key"
                    ))?;
                    ReplyPublicKey(k.0)
                }
            };
            let chain = chain_ctx(ctx).await?;
            let sealed = sealed_record(&r);
            let key = job::open_record_key(&ident.reply_secret(), chain.chain_id, &sealed, &name)?;
            // Check the key decrypts the payload before handing it on.
            job::decrypt_record(&key, chain.chain_id, &sealed)?;
            let sealed_key =
                job::seal_record_key_to(&key, chain.chain_id, &sealed.id, &to, &to_reply)?;
            let nonce = next_nonce(ctx, &ident.address()).await?;
            let signed = tx::sign(
                &ident,
                chain.chain_id,
                nonce,
                chain.fee_per_byte,
                TxKind::TransferRecord(TransferRecord {
                    record: sealed.id,
                    to,
                    sealed_key,
                }),
            )?;
            let txid = submit(ctx, &signed, Amount::ZERO).await?;
            ctx.print(
                &json!({ "txid": txid.to_hex(), "record_id": sealed.id.to_hex(), "to": to.to_string(), "fee": amount_json(signed.tx.fee) }),
                || println!("Record {} transferred to {to} (txid {txid})", sealed.id),
            );
        }
        RecordsCmd::Export {
            ids,
            format,
            out,
            include_unverified,
        } => {
            let (name, ident) = ctx.unlock()?;
            let chain = chain_ctx(ctx).await?;
            let recs = if ids.is_empty() {
                owned_records(ctx, ident.address()).await?
            } else {
                let mut v = Vec::new();
                for id in &ids {
                    v.push(get_record(ctx, id).await?);
                }
                v
            };
            let mut rows = Vec::with_capacity(recs.len());
            let mut verdicts = Vec::with_capacity(recs.len());
            let mut skipped = Vec::new();
            for r in &recs {
                let (v, pair) = verify_held(ctx, &ident, &name, chain.chain_id, r).await?;
                if !ctx.json {
                    eprintln!("{}", verdict_line(&v));
                }
                match pair {
                    Some(pt) if v.verified || include_unverified => rows.push(ExportRecord {
                        record_id: hex::encode(r.id.0),
                        model_id: hex::encode(r.model.0),
                        miner: addr(&r.miner),
                        user: addr(&r.user),
                        commitment: hex::encode(r.commitment.0),
                        request_hash: hex::encode(r.request_hash.0),
                        input_tokens: r.input_tokens,
                        output_tokens: r.output_tokens,
                        minted_at: r.minted_at,
                        sampling: serde_json::to_value(r.sampling)?,
                        verified: v.verified,
                        failed_check: v.failed_check,
                        failure: v.reason.clone(),
                        prompt: String::from_utf8_lossy(&pt.prompt).into_owned(),
                        answer: String::from_utf8_lossy(&pt.answer).into_owned(),
                    }),
                    _ => skipped.push(v.record.clone()),
                }
                verdicts.push(v);
            }
            let verified = verdicts.iter().filter(|v| v.verified).count();
            let fmt = match format {
                FormatArg::Openai => export::Format::OpenAi,
                FormatArg::Trl => export::Format::Trl,
            };
            let paths = if rows.is_empty() && !recs.is_empty() {
                None
            } else {
                Some(export::write(
                    &out,
                    fmt,
                    &chain.name,
                    chain.chain_id,
                    &rows,
                )?)
            };
            let path_json = |i: usize| paths.as_ref().map(|p| p[i].display().to_string());
            ctx.print(
                &json!({
                    "records": rows.len(),
                    "verified": verified,
                    "skipped": skipped,
                    "verification": verdicts,
                    "jsonl": path_json(0),
                    "provenance": path_json(1),
                    "card": path_json(2),
                }),
                || {
                    if let Some(paths) = &paths {
                        println!("Exported {} records to {}", rows.len(), paths[0].display());
                        println!("provenance: {}", paths[1].display());
                        println!("dataset card: {}", paths[2].display());
                    }
                    if !skipped.is_empty() {
                        println!(
                            "skipped {} record(s) that failed verification (keep them with --include-unverified): {}",
                            skipped.len(),
                            skipped.join(", ")
                        );
                    }
                },
            );
            if verified == 0 && !recs.is_empty() {
                bail!(
                    "none of the {} records passed the provenance checks; nothing verified was exported",
                    recs.len()
                );
            }
        }
    }
    Ok(())
}

/// Runs the provenance checks on a record the key holds (its own prompt or a bought one).
async fn verify_held(
    ctx: &mut Ctx,
    ident: &Identity,
    name: &str,
    chain_id: u64,
    r: &RecordView,
) -> Result<(provenance::Verdict, Option<infernet_types::RecordPlaintext>)> {
    let job = match ctx.node()?.state_get_job(r.id).await {
        Ok(j) => j,
        Err(e) if matches!(domain_error(&e), Some(rpc::RpcError::UnknownJob { .. })) => None,
        Err(e) => return Err(rpc_err(&ctx.url.clone())(e)),
    };
    Ok(provenance::verify_record(
        &ident.reply_secret(),
        chain_id,
        name,
        r,
        job.as_ref(),
    ))
}

/// `<record>  verified (…)` or `<record>  FAILED <check>: <reason>`.
fn verdict_line(v: &provenance::Verdict) -> String {
    match v.failed_check {
        None => format!(
            "{}  verified (model {}, {} in / {} out tokens)",
            v.record,
            v.model.get(..12).unwrap_or(&v.model),
            v.input_tokens,
            v.output_tokens
        ),
        Some(c) => format!(
            "{}  FAILED {}: {}",
            v.record,
            c.name(),
            v.reason.as_deref().unwrap_or("")
        ),
    }
}

// ---------------------------------------------------------------- explorer

async fn explore(ctx: &mut Ctx, cmd: ExploreCmd) -> Result<()> {
    match cmd {
        ExploreCmd::Tip => {
            let info = call!(ctx, chain_get_info())?;
            ctx.print(&serde_json::to_value(&info)?, || {
                kv(vec![
                    vec![
                        "chain".into(),
                        format!("{} (id {})", info.chain, info.chain_id),
                    ],
                    vec!["height".into(), info.tip.height.to_string()],
                    vec!["hash".into(), hex::encode(info.tip.hash.0)],
                    vec!["genesis".into(), hex::encode(info.genesis_hash.0)],
                    vec!["block time".into(), format!("{}s", info.block_time_secs)],
                    vec!["peers".into(), info.sync.peers.to_string()],
                    vec!["syncing".into(), info.sync.syncing.to_string()],
                    vec![
                        "mempool".into(),
                        format!("{} txs, {} bytes", info.mempool.count, info.mempool.bytes),
                    ],
                ]);
            });
        }
        ExploreCmd::Block { block } => {
            let b = if let Ok(h) = block.parse::<u64>() {
                call!(ctx, chain_get_block_by_height(h))?
            } else {
                let h = parse_hash(&block, "block hash")?;
                call!(ctx, chain_get_block_by_hash(H256(h.0)))?
            };
            let b = b.ok_or_else(|| anyhow!("no block {block}"))?;
            ctx.print(&serde_json::to_value(&b)?, || {
                kv(vec![
                    vec!["height".into(), b.header.height.to_string()],
                    vec!["hash".into(), hex::encode(b.header.hash.0)],
                    vec!["parent".into(), hex::encode(b.header.prev_hash.0)],
                    vec!["timestamp".into(), b.header.timestamp.to_string()],
                    vec!["size".into(), format!("{} bytes", b.size)],
                    vec![
                        "coinbase".into(),
                        format!(
                            "{} to {}",
                            format_inf(Amount(b.coinbase.amount.0)),
                            addr(&b.coinbase.recipient)
                        ),
                    ],
                    vec!["transactions".into(), b.transactions.len().to_string()],
                ]);
                if !b.transactions.is_empty() {
                    println!();
                    table(
                        &["TXID", "SENDER", "FEE", "KIND"],
                        b.transactions
                            .iter()
                            .map(|t| {
                                vec![
                                    hex::encode(t.txid.0),
                                    addr(&t.sender),
                                    format_inf(Amount(t.fee.0)),
                                    kind_summary(&t.kind),
                                ]
                            })
                            .collect(),
                    );
                }
            });
        }
        ExploreCmd::Tx { txid } => show_tx(ctx, &txid).await?,
        ExploreCmd::Miner { address } => {
            let a = ctx.resolve_address(&address)?;
            let m = call!(ctx, state_get_miner(rpc::Address(a.0)))?
                .ok_or_else(|| anyhow!("{a} is not a registered miner"))?;
            ctx.print(&serde_json::to_value(&m)?, || {
                kv(vec![
                    vec!["miner".into(), addr(&m.address)],
                    vec!["serving key".into(), hex::encode(m.serving_key.0)],
                    vec!["p2p".into(), m.p2p_addr.clone()],
                    vec![
                        "attestation".into(),
                        match &m.attestation {
                            AttestationView::None => "none".into(),
                            AttestationView::Simulated { report_data } => {
                                format!("simulated (report data {})", hex::encode(report_data.0))
                            }
                            AttestationView::Tdx { quote } => {
                                format!("tdx ({} byte quote)", quote.0.len())
                            }
                        },
                    ],
                    vec!["bond".into(), format_inf(Amount(m.bond.0))],
                    vec!["registered at".into(), m.registered_at.to_string()],
                    vec![
                        "unbonding at".into(),
                        m.unbonding_at.map_or("-".into(), |h| h.to_string()),
                    ],
                    vec![
                        "served / expired".into(),
                        format!("{} / {}", m.reputation.served, m.reputation.expired),
                    ],
                    vec![
                        "rating".into(),
                        if m.reputation.ratings_count == 0 {
                            "-".into()
                        } else {
                            format!(
                                "{:.2} ({} ratings)",
                                m.reputation.ratings_sum as f64 / m.reputation.ratings_count as f64,
                                m.reputation.ratings_count
                            )
                        },
                    ],
                    vec![
                        "reputation".into(),
                        format!("{:.2}", ranking::reputation(&m)),
                    ],
                ]);
                println!();
                table(
                    &["MODEL", "PRICE IN", "PRICE OUT", "MAX OUT"],
                    m.offers
                        .iter()
                        .map(|o| {
                            vec![
                                hex::encode(o.model.0),
                                format_inf(Amount(o.price_in.0)),
                                format_inf(Amount(o.price_out.0)),
                                o.max_output_tokens.to_string(),
                            ]
                        })
                        .collect(),
                );
            });
        }
        ExploreCmd::Model { id } => {
            let m = resolve_model(ctx, &id).await?;
            ctx.print(&serde_json::to_value(&m)?, || {
                kv(vec![
                    vec!["model".into(), hex::encode(m.id.0)],
                    vec!["name".into(), m.name.clone()],
                    vec!["architecture".into(), m.architecture.clone()],
                    vec!["context".into(), m.context_length.to_string()],
                    vec![
                        "royalty".into(),
                        format!("{:.2}%", f64::from(m.royalty_bps) / 100.0),
                    ],
                    vec!["owner".into(), addr(&m.owner)],
                    vec![
                        "parent".into(),
                        m.parent.map_or("-".into(), |p| {
                            format!(
                                "{} ({:.2}% share)",
                                hex::encode(p.model.0),
                                f64::from(p.share_bps) / 100.0
                            )
                        }),
                    ],
                    vec!["registered at".into(), m.registered_at.to_string()],
                ]);
            });
        }
        ExploreCmd::Record { id } => {
            let r = get_record(ctx, &id).await?;
            let events = call!(ctx, state_get_record_history(r.id))?;
            let mut v = record_json(&r);
            v["history"] = json!(events.iter().map(record_event_json).collect::<Vec<_>>());
            ctx.print(&v, || {
                kv(record_rows(&r));
                println!();
                table(
                    &["HEIGHT", "EVENT", "FROM", "TO", "PRICE", "TXID"],
                    events
                        .iter()
                        .map(|e| {
                            vec![
                                e.height.to_string(),
                                record_event_name(e.kind).to_owned(),
                                e.from.as_ref().map_or("-".into(), addr),
                                e.to.as_ref().map_or("-".into(), addr),
                                e.price.map_or("-".into(), |p| format_inf(Amount(p.0))),
                                hex::encode(e.txid.0),
                            ]
                        })
                        .collect(),
                );
            });
        }
        ExploreCmd::Listing { id } => {
            let (value, human) = market_cli::listing_detail(ctx, &id).await?;
            ctx.print(&value, human);
        }
    }
    Ok(())
}

fn record_event_name(k: RecordEventKind) -> &'static str {
    match k {
        RecordEventKind::Minted => "minted",
        RecordEventKind::Transferred => "transferred",
        RecordEventKind::Listed => "listed",
        RecordEventKind::ListingCancelled => "listing_cancelled",
        RecordEventKind::Sold => "sold",
        RecordEventKind::Complained => "complained",
    }
}

fn record_event_json(e: &RecordEventView) -> Value {
    json!({
        "height": e.height,
        "txid": hex::encode(e.txid.0),
        "kind": record_event_name(e.kind),
        "from": e.from.as_ref().map(addr),
        "to": e.to.as_ref().map(addr),
        "price": e.price.map(|p| amount_json(Amount(p.0))),
        "listing": e.listing.map(|l| hex::encode(l.0)),
        "purchase": e.purchase.map(|p| hex::encode(p.0)),
    })
}

// ---------------------------------------------------------------- tables

/// Prints rows under a header, columns padded to their widest cell.
fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    if rows.is_empty() {
        println!("(none)");
    }
    for r in rows {
        line(r);
    }
}

/// Prints `key: value` rows, keys aligned.
fn kv(rows: Vec<Vec<String>>) {
    let w = rows
        .iter()
        .filter_map(|r| r.first())
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    for r in rows {
        if let [k, v] = r.as_slice() {
            println!("{k:<w$}  {v}");
        }
    }
}

// The record market's commands (engineer K); a child module so it can use `call!`, `Ctx`
// and the helpers above.
#[path = "market/cli.rs"]
mod market_cli;
