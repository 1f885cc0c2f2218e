//! The daemon: `infernet-miner [FLAGS]` with no subcommand.
//!
//! Start-up, in order: the compute pool (`--threads`); the models (`--model`, default the
//! fetched reference model, fetched through `model fetch` when absent); the node, in process,
//! through `infernet_node::Node::start` (RPC, p2p, block production when mining); the miner
//! key (`--miner-key`, an encrypted keystore created on first run; see
//! `infernet_miner::daemon::identity` for the password sources); on a dev chain, funding of the
//! miner from dev account 0; `RegisterModel` for models the chain does not know and
//! `RegisterMiner` / `UpdateMiner` when the registration is absent or stale. Then, on every
//! new head (and every half second for the mempool), `SubmitJob`s addressed to this miner go
//! to the bounded worker queue; each result is signed and submitted as a `PostResult` through
//! the node's own mempool. Plaintexts never leave the worker threads.
//!
//! Flags: the miner's own, then every `infernet-node` flag, flattened from
//! `infernet_node::cli::NodeArgs` (one definition, so the two binaries cannot drift); the
//! miner mines unless `--no-mine`. Mining yields the CPU to inference: every queued or running
//! job holds the producer's `MiningPause`, so a proof-of-work nonce search stops between
//! batches until the queue is idle (dev-chain sealing is one hash and goes on, so results are
//! still mined). When stderr is a terminal a one-line status shows the height, the peer count,
//! the jobs served, tokens/s and the earnings.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use infernet_consensus::StateView;
use infernet_crypto::{Address, Identity, KdfParams};
use infernet_miner::daemon::backend::chat_template_of;
use infernet_miner::daemon::queue::JobOutcome;
use infernet_miner::daemon::register::with_min_fee;
use infernet_miner::daemon::{
    AttestationMode, EngineSet, Inference, JobQueue, JobRequest, MinerKey, PasswordSource,
    Registration, ServeContext,
};
use infernet_node::chain::Chain;
use infernet_node::cli::{NodeArgs, StartInfo};
use infernet_node::config::{DataDir, PartialConfig};
use infernet_node::{Node, NodeConfig, NodeHandle};
use infernet_types::spec::DEV_MNEMONIC;
use infernet_types::{
    Amount, BASE_UNITS_PER_INF, Offer, SignedTransaction, StateKey, StateValue, TxKind,
    dev_accounts,
};
use infernet_types::{PostResult, Transfer};

/// Flags of the daemon: the miner's, then every flag of `infernet-node` (flattened from
/// [`NodeArgs`], under their own help heading).
#[derive(Debug, Args)]
#[command(next_help_heading = "Miner options")]
pub struct DaemonArgs {
    /// GGUF model to serve (repeatable; default: the reference model, fetched if absent).
    #[arg(long = "model", value_name = "PATH")]
    models: Vec<PathBuf>,
    /// Do not produce blocks (the miner mines by default; `--mine` turns it back on).
    #[arg(long, overrides_with = "mine")]
    no_mine: bool,
    /// Serve jobs (default).
    #[arg(long, overrides_with = "no_serve")]
    serve: bool,
    /// Do not serve jobs (register nothing).
    #[arg(long)]
    no_serve: bool,
    /// Price per input token, base units.
    #[arg(long, value_name = "UNITS", default_value_t = 1_000)]
    price_in: u64,
    /// Price per output token, base units.
    #[arg(long, value_name = "UNITS", default_value_t = 3_000)]
    price_out: u64,
    /// Most output tokens per job.
    #[arg(long, value_name = "N", default_value_t = 512)]
    max_output_tokens: u32,
    /// Compute threads for inference (default: one per core); jobs are served one at a time,
    /// each on all of them.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Miner key file (created on first run, encrypted; default: `<data dir>/miner-key.json`).
    #[arg(long, value_name = "FILE")]
    miner_key: Option<PathBuf>,
    /// File holding the miner key's password (else `INFERNET_PASSWORD`; in `--dev` a generated
    /// password is kept in `<miner key>.password`, mode 0600).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Attestation: `none` or `simulated` (dev and test chains only).
    #[arg(long, value_name = "none|simulated", default_value = "none", value_parser = parse_attestation)]
    attestation: AttestationMode,
    /// Jobs that may wait in the queue; more are left to expire and be refunded.
    #[arg(long, value_name = "N", default_value_t = 16)]
    queue: usize,
    /// The node's flags (`infernet-node --help`); `--coinbase` defaults to the miner key's
    /// address, `--dev` also serves the default model and prints the wallet commands to try.
    #[command(flatten)]
    node: NodeArgs,
}

fn parse_attestation(s: &str) -> Result<AttestationMode, String> {
    s.parse()
        .map_err(|e: infernet_miner::daemon::AttestError| e.to_string())
}

impl DaemonArgs {
    /// The node's flag layer, with the miner's default: mine unless `--no-mine`.
    fn node_layer(&self) -> PartialConfig {
        let mut layer = self.node.layer();
        layer.mine = Some(!self.no_mine);
        layer
    }
}

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(
    args: DaemonArgs,
    fetch_default: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    crate::cmd::set_threads(args.threads)?;
    let config: NodeConfig = args
        .node
        .resolve_layer(args.node_layer(), std::env::vars())
        .context("invalid configuration")?;
    args.attestation.check_allowed(&config.spec)?;

    let serve = !args.no_serve;
    let mut engines = EngineSet::new();
    if serve {
        let mut paths = args.models.clone();
        if paths.is_empty() {
            let default = infernet_engine::default_model_path();
            if !default.exists() {
                eprintln!("fetching the default model to {}", default.display());
                fetch_default().context("fetching the default model")?;
            }
            paths.push(default);
        }
        for p in &paths {
            let engine = crate::cmd::load_engine(p)?;
            let id = infernet_crypto::Hash(engine.model_id());
            if engines.infos().any(|i| i.id == id) {
                tracing::warn!(model = %id, path = %p.display(), "the same model was given twice; serving it once");
                continue;
            }
            let template = chat_template_of(p)?;
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".to_owned());
            let info = engines.add(name, engine, template);
            tracing::info!(model = %info.id, name = %info.name, "model loaded");
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("infernet-rt")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(daemon(args, config, engines, serve))
}

/// Where the miner key lives: `--miner-key`, else `<data dir>/miner-key.json` (known before
/// the node starts unless the data dir is temporary).
fn key_path(args: &DaemonArgs, data_dir: Option<&std::path::Path>) -> Option<PathBuf> {
    args.miner_key
        .clone()
        .or_else(|| data_dir.map(|d| d.join("miner-key.json")))
}

fn miner_key(args: &DaemonArgs, path: PathBuf, dev: bool) -> anyhow::Result<MinerKey> {
    let source = PasswordSource::choose(
        &path,
        args.password_file.clone(),
        std::env::var("INFERNET_PASSWORD").ok(),
        dev,
    )?;
    let params = if dev {
        // Dev keys live on throwaway chains: cheap enough to start in a test.
        KdfParams::INSECURE_FOR_TESTS
    } else {
        KdfParams::INTERACTIVE
    };
    let key = MinerKey::load_or_create(&path, &source, params)?;
    if key.created {
        eprintln!(
            "created miner key {} ({})",
            path.display(),
            key.address().to_bech32()
        );
        if let PasswordSource::DevGenerated(p) = &source {
            eprintln!("  its password is in {} (mode 0600)", p.display());
        }
    }
    Ok(key)
}

fn account_of(chain: &Chain, a: &Address) -> anyhow::Result<(Amount, u64)> {
    Ok(match chain.store().get(&StateKey::Account(*a))? {
        Some(StateValue::Account(acc)) => (acc.balance, acc.nonce),
        _ => (Amount::ZERO, 0),
    })
}

fn submit(chain: &Chain, who: &Identity, kind: TxKind) -> anyhow::Result<infernet_crypto::Hash> {
    let spec = chain.spec();
    let nonce = chain
        .mempool()
        .next_nonce(&who.address(), chain.store())
        .context("reading the account nonce")?;
    let tx =
        with_min_fee(who.address(), nonce, kind, spec.min_fee_per_byte)?.sign(who, spec.chain_id);
    chain
        .submit_tx(tx)
        .context("the node refused the transaction")
}

async fn wait_until(
    chain: &Chain,
    what: &str,
    mut done: impl FnMut(&Chain) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(chain)? {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what} (is the chain producing blocks? try --mine)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn daemon(
    args: DaemonArgs,
    config: NodeConfig,
    engines: EngineSet,
    serve: bool,
) -> anyhow::Result<()> {
    // Listen before anything slow starts, so a stop request is never the default kill.
    let mut shutdown = Shutdown::listen()?;
    let mut config = config;
    let spec = config.spec.clone();
    let dev = config.dev;
    let early_path = match &config.data_dir {
        DataDir::Path(d) => key_path(&args, Some(d)),
        DataDir::Temporary => key_path(&args, None),
    };
    // Load the key before the node when its path is known, so block rewards go to it.
    let early = match early_path {
        Some(p) => Some(miner_key(&args, p, dev)?),
        None => None,
    };
    if let (Some(k), None, false) = (&early, &config.coinbase, dev) {
        config.coinbase = Some(k.address());
    }
    let pow_mining = config.mine && !spec.dev;
    let node = Node::start(config).await.context("cannot start the node")?;
    let chain = Arc::clone(node.chain());
    let key = match early {
        Some(k) => k,
        None => miner_key(&args, node.data_dir().join("miner-key.json"), dev)?,
    };
    let me = key.identity.clone();

    let offers: Vec<Offer> = engines
        .infos()
        .map(|i| Offer {
            model: i.id,
            price_in: Amount(args.price_in),
            price_out: Amount(args.price_out),
            max_output_tokens: args.max_output_tokens.min(spec.limits.max_output_tokens),
        })
        .collect();

    if serve && !offers.is_empty() {
        // A signal during funding or registration stops the daemon cleanly too.
        let registered = tokio::select! {
            r = fund_and_register(&args, &node, &chain, &me, &engines, &offers) => Some(r),
            _ = shutdown.recv() => None,
        };
        match registered {
            Some(r) => r?,
            None => {
                tracing::info!("shutting down before the registration finished");
                node.shutdown().await;
                return Ok(());
            }
        }
    }

    print_start(&node, &spec, &me, dev);
    if let Some(path) = &args.node.config_out {
        StartInfo::new(&node, &spec)
            .write(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let stats = Arc::new(Stats::default());
    let queue = if serve && !offers.is_empty() {
        let ctx = Arc::new(ServeContext::new(
            spec.chain_id,
            me.clone(),
            offers,
            args.attestation,
        ));
        let tip = Arc::new(AtomicU64::new(chain.store().tip().header.height));
        let (tx, rx) = tokio::sync::mpsc::channel::<JobOutcome>(args.queue.max(1));
        let on_outcome = Arc::new(move |o: JobOutcome| {
            // The worker blocks while the poster catches up: the queue stays bounded.
            let _ = tx.blocking_send(o);
        });
        let inference: Arc<dyn Inference> = Arc::new(engines);
        // Mining yields to inference: the nonce search pauses while a job waits or runs.
        let pause = Some(node.producer().pause().clone());
        let queue = JobQueue::start(
            1,
            args.queue,
            ctx,
            inference,
            Arc::clone(&tip),
            on_outcome,
            pause,
        )?;
        tokio::spawn(post_results(
            Arc::clone(&chain),
            me.clone(),
            rx,
            Arc::clone(&stats),
        ));
        Some((queue, tip))
    } else {
        None
    };

    let mut heads = chain.events().new_heads.subscribe();
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    let start_balance = account_of(&chain, &me.address())?.0;
    let started = Instant::now();
    let status = std::io::IsTerminal::is_terminal(&std::io::stderr());
    loop {
        tokio::select! {
            _ = shutdown.recv() => break,
            head = heads.recv() => {
                if let (Ok(h), Some((queue, tip))) = (head, &queue) {
                    tip.store(h.height, Ordering::Release);
                    if let Some(block) = chain.store().block_at(h.height)? {
                        offer_jobs(queue, &me.address(), block.txs.iter());
                    }
                }
            }
            _ = ticker.tick() => {
                if let Some((queue, _)) = &queue {
                    let pending: Vec<SignedTransaction> = chain.mempool().select(usize::MAX, usize::MAX);
                    offer_jobs(queue, &me.address(), pending.iter());
                }
                if status {
                    let line = StatusLine {
                        height: chain.store().tip().header.height,
                        peers: node.peer_count().await,
                        served: stats.served.load(Ordering::Relaxed),
                        tokens: stats.tokens.load(Ordering::Relaxed),
                        elapsed: started.elapsed(),
                        earned: account_of(&chain, &me.address())?.0.0.saturating_sub(start_balance.0),
                        mining_paused: pow_mining && node.producer().pause().is_paused(),
                    };
                    eprint!("\r\x1b[2K{line}");
                }
            }
        }
    }
    if status {
        eprintln!();
    }
    tracing::info!("shutting down");
    drop(queue);
    node.shutdown().await;
    Ok(())
}

/// On a dev chain, funds the miner from dev account 0; registers the served models the chain
/// does not know, then the miner (or updates a stale registration), waiting for each to be mined.
async fn fund_and_register(
    args: &DaemonArgs,
    node: &NodeHandle,
    chain: &Chain,
    me: &Identity,
    engines: &EngineSet,
    offers: &[Offer],
) -> anyhow::Result<()> {
    let spec = chain.spec().clone();
    let dev = spec.dev;
    let needed = spec
        .min_miner_bond
        .checked_add(Amount(10 * BASE_UNITS_PER_INF))?;
    if dev && account_of(chain, &me.address())?.0 < needed {
        let funder = dev_accounts()
            .into_iter()
            .next()
            .context("the dev chain has no dev account")?
            .identity();
        let amount = needed.checked_add(Amount(1_000 * BASE_UNITS_PER_INF))?;
        submit(
            chain,
            &funder,
            TxKind::Transfer(Transfer {
                to: me.address(),
                amount,
            }),
        )?;
        wait_until(chain, "the miner's funding", |c| {
            Ok(account_of(c, &me.address())?.0 >= needed)
        })
        .await?;
    }
    for info in engines.infos() {
        if chain.store().get(&StateKey::Model(info.id))?.is_none() {
            submit(chain, me, info.register_kind(0))?;
            tracing::info!(model = %info.id, "RegisterModel sent");
        }
    }
    // The mempool judges the registration against the tip: the models must be mined first.
    let ids: Vec<_> = engines.infos().map(|i| i.id).collect();
    wait_until(chain, "the model registrations", |c| {
        for id in &ids {
            if c.store().get(&StateKey::Model(*id))?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await?;
    let serving = me.reply_secret().public_key();
    let ids: Vec<_> = offers.iter().map(|o| o.model).collect();
    let registration = Registration {
        serving_key: serving,
        offers: offers.to_vec(),
        p2p_addr: node
            .p2p_addrs()
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        attestation: args.attestation.registration(&serving, &ids),
    };
    let current = match chain.store().get(&StateKey::Miner(me.address()))? {
        Some(StateValue::Miner(m)) => Some(m),
        _ => None,
    };
    if let Some(kind) = registration.kind_for(current.as_ref(), spec.min_miner_bond) {
        submit(chain, me, kind)?;
        tracing::info!("miner registration sent");
        wait_until(chain, "the miner registration", |c| {
            Ok(match c.store().get(&StateKey::Miner(me.address()))? {
                Some(StateValue::Miner(m)) => registration.is_current(&m),
                _ => false,
            })
        })
        .await?;
    }
    tracing::info!(miner = %me.address().to_bech32(), "registered");
    Ok(())
}

/// The live one-line status (printed when stderr is a terminal).
struct StatusLine {
    height: u64,
    peers: usize,
    served: u64,
    tokens: u64,
    elapsed: Duration,
    earned: u64,
    mining_paused: bool,
}

impl std::fmt::Display for StatusLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rate = self.tokens as f64 / self.elapsed.as_secs_f64().max(1.0);
        write!(
            f,
            "height {}  peers {}  jobs served {}  {rate:.1} tok/s  earned {}.{:09} INF",
            self.height,
            self.peers,
            self.served,
            self.earned / BASE_UNITS_PER_INF,
            self.earned % BASE_UNITS_PER_INF,
        )?;
        if self.mining_paused {
            f.write_str("  (mining paused: serving)")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Stats {
    served: AtomicU64,
    tokens: AtomicU64,
}

fn offer_jobs<'a>(
    queue: &JobQueue,
    me: &Address,
    txs: impl Iterator<Item = &'a SignedTransaction>,
) {
    for tx in txs {
        let Some(job) = JobRequest::from_tx(tx) else {
            continue;
        };
        if &job.miner != me {
            continue;
        }
        match queue.offer(job) {
            Ok(true) => tracing::info!(job = %tx.txid(), "job queued"),
            Ok(false) => {}
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

async fn post_results(
    chain: Arc<Chain>,
    me: Identity,
    mut rx: tokio::sync::mpsc::Receiver<JobOutcome>,
    stats: Arc<Stats>,
) {
    // One poster task, so the miner's nonces are taken in order. A job served from the
    // mempool finishes before its `SubmitJob` is mined; the node only admits the result once
    // the job exists on chain, so such results wait here (bounded by the queue's size) and
    // are retried on a timer until the job's expiry.
    let mut waiting: Vec<(JobRequest, Box<TxKind>)> = Vec::new();
    let mut retry = tokio::time::interval(Duration::from_millis(300));
    loop {
        tokio::select! {
            outcome = rx.recv() => match outcome {
                None => return,
                Some(JobOutcome::Served { job, result }) => waiting.push((job, result)),
                Some(JobOutcome::Failed { job, error }) => {
                    tracing::warn!(job = %job.id, "job not served: {error}");
                }
                Some(JobOutcome::Expired { job }) => {
                    tracing::warn!(job = %job.id, "job expired while waiting");
                }
            },
            _ = retry.tick() => {}
        }
        let tip = chain.store().tip().header.height;
        let mut still = Vec::new();
        for (job, result) in waiting.drain(..) {
            if !infernet_miner::daemon::queue::servable(tip, job.expiry) {
                tracing::warn!(job = %job.id, "result not posted before expiry");
                continue;
            }
            let on_chain = matches!(chain.store().get(&StateKey::Job(job.id)), Ok(Some(_)));
            if !on_chain {
                still.push((job, result));
                continue;
            }
            let out = match result.as_ref() {
                TxKind::PostResult(PostResult { output_tokens, .. }) => u64::from(*output_tokens),
                _ => 0,
            };
            match submit(&chain, &me, *result) {
                Ok(txid) => {
                    stats.served.fetch_add(1, Ordering::Relaxed);
                    stats.tokens.fetch_add(out, Ordering::Relaxed);
                    tracing::info!(job = %job.id, tx = %txid, "result posted");
                }
                Err(e) => tracing::warn!(job = %job.id, "result not posted: {e:#}"),
            }
        }
        waiting = still;
    }
}

fn print_start(node: &NodeHandle, spec: &infernet_types::ChainSpec, me: &Identity, dev: bool) {
    println!("Infernet miner running");
    println!("  chain     {} (chain id {})", spec.name, spec.chain_id);
    println!("  rpc       {}", node.rpc_url());
    println!("  miner     {}", me.address().to_bech32());
    println!("  data dir  {}", node.data_dir().display());
    if dev {
        println!("Dev accounts (mnemonic \"{DEV_MNEMONIC}\"):");
        for a in dev_accounts().iter().take(4) {
            println!("  #{} {}", a.index, a.address.to_bech32());
        }
        let rpc = node.rpc_url();
        println!("Try:");
        println!("  export INFERNET_RPC={rpc}");
        println!("  infernet-wallet key import alice --dev-account 0");
        println!("  infernet-wallet --key alice balance");
        println!(
            "  infernet-wallet --key alice prompt \"Explain what a blockchain is in one sentence.\""
        );
    }
}

/// SIGTERM and SIGINT, listened for from the moment it is made: a signal that arrives while
/// the daemon is still starting is kept until [`Shutdown::recv`] reads it, instead of killing
/// the process mid-start.
struct Shutdown {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
        })
    }

    /// Waits for either signal.
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Bin {
        #[command(flatten)]
        daemon: DaemonArgs,
    }

    fn parse(args: &[&str]) -> DaemonArgs {
        let mut all = vec!["infernet-miner"];
        all.extend_from_slice(args);
        match Bin::try_parse_from(all) {
            Ok(b) => b.daemon,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_miner_mines_unless_told_not_to_and_the_last_flag_wins() {
        assert_eq!(parse(&[]).node_layer().mine, Some(true));
        assert_eq!(parse(&["--no-mine"]).node_layer().mine, Some(false));
        assert_eq!(
            parse(&["--no-mine", "--mine"]).node_layer().mine,
            Some(true)
        );
        assert_eq!(
            parse(&["--mine", "--no-mine"]).node_layer().mine,
            Some(false)
        );
    }

    #[test]
    fn every_node_flag_is_taken_by_the_miner() {
        let a = parse(&[
            "--dev",
            "--tmp",
            "--chain",
            "dev",
            "--rpc-addr",
            "127.0.0.1:0",
            "--p2p-addr",
            "/ip4/127.0.0.1/tcp/0",
            "--bootnode",
            "/ip4/127.0.0.1/tcp/1",
            "--no-mdns",
            "--block-time",
            "1",
            "--miner-threads",
            "1",
            "--config-out",
            "/tmp/x.json",
            "--model",
            "a.gguf",
            "--model",
            "b.gguf",
            "--price-in",
            "5",
        ]);
        let l = a.node_layer();
        assert_eq!(l.dev, Some(true));
        assert_eq!(l.tmp, Some(true));
        assert_eq!(l.rpc_addr.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(l.mdns, Some(false));
        assert_eq!(l.block_time, Some(1));
        assert_eq!(a.node.config_out, Some(PathBuf::from("/tmp/x.json")));
        assert_eq!(a.models.len(), 2);
        assert_eq!(a.price_in, 5);
    }

    #[test]
    fn the_status_line_shows_height_peers_jobs_rate_and_earnings() {
        let mut line = StatusLine {
            height: 12,
            peers: 3,
            served: 2,
            tokens: 50,
            elapsed: Duration::from_secs(10),
            earned: 1_500_000_000,
            mining_paused: false,
        };
        let text = line.to_string();
        assert!(text.contains("height 12"), "{text}");
        assert!(text.contains("peers 3"), "{text}");
        assert!(text.contains("jobs served 2"), "{text}");
        assert!(text.contains("5.0 tok/s"), "{text}");
        assert!(
            text.contains(&format!(
                "earned {}.{:09} INF",
                1_500_000_000 / BASE_UNITS_PER_INF,
                1_500_000_000 % BASE_UNITS_PER_INF
            )),
            "{text}"
        );
        assert!(!text.contains("paused"));
        line.mining_paused = true;
        assert!(line.to_string().contains("mining paused"));
    }
}
