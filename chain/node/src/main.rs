//! `infernet-node`: a full Infernet node (mines only with `--mine --coinbase ADDRESS`; `--dev`
//! runs a single-node dev chain with funded, well-known accounts).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use infernet_node::config::{PartialConfig, platform_data_dir};
use infernet_node::{Node, NodeConfig};
use infernet_types::spec::{DEV_ACCOUNT_BALANCE, DEV_MNEMONIC};
use infernet_types::{ChainSpec, dev_accounts};
use serde::Serialize;

/// Command-line flags; each overrides its `INFERNET_*` variable and the config file.
#[derive(Debug, Parser)]
#[command(name = "infernet-node", version, about = "An Infernet full node")]
struct Cli {
    /// TOML config file (keys as in `PartialConfig`: chain, data_dir, rpc_addr, …).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Chain: `dev`, `testnet` or a chain spec JSON file.
    #[arg(long, value_name = "dev|testnet|PATH")]
    chain: Option<String>,
    /// Single-node dev chain: dev accounts funded at genesis, blocks sealed every
    /// `--block-time` seconds or on `dev_mine`.
    #[arg(long)]
    dev: bool,
    /// Data directory (default: the platform's data dir for Infernet, per chain).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Use a fresh temporary data directory, deleted at exit.
    #[arg(long)]
    tmp: bool,
    /// JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long, value_name = "IP:PORT")]
    rpc_addr: Option<String>,
    /// libp2p listen multiaddr (repeatable).
    #[arg(long = "p2p-addr", value_name = "MULTIADDR")]
    p2p_addrs: Vec<String>,
    /// Bootnode multiaddr ending in /p2p/<peer id> (repeatable).
    #[arg(long = "bootnode", value_name = "MULTIADDR")]
    bootnodes: Vec<String>,
    /// Turn mDNS local discovery off (it is on by default for dev and testnet).
    #[arg(long)]
    no_mdns: bool,
    /// Produce blocks.
    #[arg(long)]
    mine: bool,
    /// Address (bech32m `inf1…`) that receives block rewards.
    #[arg(long, value_name = "ADDRESS")]
    coinbase: Option<String>,
    /// Dev chains: seconds between sealed blocks (0: only on `dev_mine`).
    #[arg(long, value_name = "SECS")]
    block_time: Option<u64>,
    /// Nonce-search threads when mining.
    #[arg(long, value_name = "N")]
    miner_threads: Option<usize>,
    /// Write the dev accounts, RPC URL and chain id as JSON to this file.
    #[arg(long, value_name = "FILE")]
    config_out: Option<PathBuf>,
}

impl Cli {
    fn layer(&self) -> PartialConfig {
        let flag = |b: bool| b.then_some(true);
        PartialConfig {
            chain: self.chain.clone(),
            data_dir: self.data_dir.clone(),
            tmp: flag(self.tmp),
            rpc_addr: self.rpc_addr.clone(),
            p2p_addrs: (!self.p2p_addrs.is_empty()).then(|| self.p2p_addrs.clone()),
            bootnodes: (!self.bootnodes.is_empty()).then(|| self.bootnodes.clone()),
            mdns: self.no_mdns.then_some(false),
            mine: flag(self.mine),
            coinbase: self.coinbase.clone(),
            block_time: self.block_time,
            miner_threads: self.miner_threads,
            dev: flag(self.dev),
        }
    }
}

#[derive(Serialize)]
struct DevAccountOut {
    index: u32,
    address: String,
    balance: String,
    seed_hex: String,
}

#[derive(Serialize)]
struct StartInfo {
    chain: String,
    chain_id: u64,
    rpc_url: String,
    ws_url: String,
    p2p_addrs: Vec<String>,
    data_dir: String,
    mnemonic: Option<&'static str>,
    accounts: Vec<DevAccountOut>,
}

fn dev_account_list(spec: &ChainSpec) -> Vec<DevAccountOut> {
    if !spec.dev {
        return Vec::new();
    }
    dev_accounts()
        .into_iter()
        .filter(|a| {
            spec.genesis
                .allocations
                .iter()
                .any(|al| al.address == a.address)
        })
        .map(|a| DevAccountOut {
            index: a.index,
            address: a.address.to_bech32(),
            balance: DEV_ACCOUNT_BALANCE.0.to_string(),
            seed_hex: hex::encode(a.seed.as_bytes()),
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let file = match &cli.config {
        Some(path) => PartialConfig::from_toml_file(path)?,
        None => PartialConfig::default(),
    };
    let env = PartialConfig::from_env(std::env::vars())?;
    let config: NodeConfig = cli
        .layer()
        .merge(env)
        .merge(file)
        .resolve(platform_data_dir)
        .context("invalid configuration")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("infernet-rt")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(config, cli.config_out))
}

async fn run(config: NodeConfig, config_out: Option<PathBuf>) -> anyhow::Result<()> {
    let spec = config.spec.clone();
    let node = Node::start(config).await.context("cannot start the node")?;
    let info = StartInfo {
        chain: spec.name.clone(),
        chain_id: spec.chain_id,
        rpc_url: node.rpc_url(),
        ws_url: node.ws_url(),
        p2p_addrs: node.p2p_addrs().iter().map(ToString::to_string).collect(),
        data_dir: node.data_dir().display().to_string(),
        mnemonic: spec.dev.then_some(DEV_MNEMONIC),
        accounts: dev_account_list(&spec),
    };
    println!("Infernet node running");
    println!("  chain     {} (chain id {})", info.chain, info.chain_id);
    println!("  rpc       {}  (WebSocket {})", info.rpc_url, info.ws_url);
    for a in &info.p2p_addrs {
        println!("  p2p       {a}");
    }
    println!("  data dir  {}", info.data_dir);
    if !info.accounts.is_empty() {
        println!(
            "Dev accounts (mnemonic \"{DEV_MNEMONIC}\"; import a seed into a wallet to use it):"
        );
        for a in &info.accounts {
            println!(
                "  #{:<2} {}  balance {} base units  seed {}",
                a.index, a.address, a.balance, a.seed_hex
            );
        }
    }
    if let Some(path) = config_out {
        let json = serde_json::to_string_pretty(&info).context("cannot encode start info")?;
        std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    wait_for_signal().await?;
    tracing::info!("shutting down");
    node.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
