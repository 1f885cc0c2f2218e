//! `infernet-node`: a full Infernet node (mines only with `--mine --coinbase ADDRESS`; `--dev`
//! runs a single-node dev chain with funded, well-known accounts).

use anyhow::Context;
use clap::Parser;
use infernet_node::cli::{NodeArgs, StartInfo};
use infernet_node::{Node, NodeConfig};
use infernet_types::spec::DEV_MNEMONIC;

/// Command-line flags: the node's (shared with `infernet-miner`, which flattens them).
#[derive(Debug, Parser)]
#[command(name = "infernet-node", version, about = "An Infernet full node")]
struct Cli {
    #[command(flatten)]
    node: NodeArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config: NodeConfig = cli.node.resolve().context("invalid configuration")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("infernet-rt")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(config, cli.node.config_out))
}

async fn run(config: NodeConfig, config_out: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let spec = config.spec.clone();
    let node = Node::start(config).await.context("cannot start the node")?;
    let info = StartInfo::new(&node, &spec);
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
        info.write(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
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
