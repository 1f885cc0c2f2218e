//! `infernet-testnet`: start, inspect and stop a local multi-node Infernet network, and
//! measure it (`bench`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use infernet_rpc::client::{InfernetApiClient, http_client};
use infernet_testnet::{Manifest, Testnet, TestnetConfig, signal};

#[derive(Debug, Parser)]
#[command(
    name = "infernet-testnet",
    version,
    about = "Local multi-node Infernet networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start N nodes on 127.0.0.1, wait until they are connected, write DIR/testnet.json.
    Up {
        /// Number of nodes.
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// How many of them produce blocks (default: all).
        #[arg(long)]
        miners: Option<usize>,
        /// Testnet directory.
        #[arg(long)]
        dir: PathBuf,
        /// First port (node i: RPC base+2i, p2p base+2i+1).
        #[arg(long, default_value_t = 40000)]
        base_port: u16,
        /// Seconds between blocks.
        #[arg(long, default_value_t = 1)]
        block_time: u64,
    },
    /// Show every node's tip and peer count.
    Status {
        /// Testnet directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Stop every node (SIGTERM).
    Down {
        /// Testnet directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Measure block propagation across NODES nodes and the sync rate of a fresh node.
    Bench {
        /// Scratch directory.
        #[arg(long)]
        dir: PathBuf,
        /// Nodes for the propagation measurement.
        #[arg(long, default_value_t = 10)]
        nodes: usize,
        /// Blocks to propagate.
        #[arg(long, default_value_t = 50)]
        blocks: u32,
        /// Blocks for the fresh node to sync.
        #[arg(long, default_value_t = 10_000)]
        sync_blocks: u32,
        /// First port.
        #[arg(long, default_value_t = 41000)]
        base_port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        match cli.command {
            Cmd::Up {
                nodes,
                miners,
                dir,
                base_port,
                block_time,
            } => up(nodes, miners.unwrap_or(nodes), dir, base_port, block_time).await,
            Cmd::Status { dir } => status(dir).await,
            Cmd::Down { dir } => down(dir),
            Cmd::Bench {
                dir,
                nodes,
                blocks,
                sync_blocks,
                base_port,
            } => bench(dir, nodes, blocks, sync_blocks, base_port).await,
        }
    })
}

async fn up(
    nodes: usize,
    miners: usize,
    dir: PathBuf,
    base_port: u16,
    block_time: u64,
) -> anyhow::Result<()> {
    let config = TestnetConfig {
        nodes,
        miners: miners.min(nodes),
        dir: dir.clone(),
        base_port,
        block_time_secs: block_time,
    };
    let net = Testnet::up(config, Duration::from_secs(60))
        .await
        .context("the testnet did not come up")?;
    let manifest = net.detach();
    for (i, n) in manifest.nodes.iter().enumerate() {
        println!("node{i}  rpc {}  p2p {}  pid {}", n.rpc, n.p2p, n.pid);
    }
    println!("wrote {}", dir.join(infernet_testnet::MANIFEST).display());
    Ok(())
}

async fn status(dir: PathBuf) -> anyhow::Result<()> {
    let manifest = Manifest::load(&dir)?;
    for (i, n) in manifest.nodes.iter().enumerate() {
        let client = http_client(&n.rpc)?;
        match (client.chain_get_tip().await, client.net_peers().await) {
            (Ok(tip), Ok(peers)) => println!(
                "node{i}  height {:>6}  tip {}  peers {}  pid {}",
                tip.height,
                tip.hash,
                peers.len(),
                n.pid
            ),
            (Err(e), _) | (_, Err(e)) => println!("node{i}  down ({e})  pid {}", n.pid),
        }
    }
    Ok(())
}

fn down(dir: PathBuf) -> anyhow::Result<()> {
    let manifest = Manifest::load(&dir)?;
    for (i, n) in manifest.nodes.iter().enumerate() {
        match signal(n.pid, "TERM") {
            Ok(()) => println!("node{i} (pid {}) stopping", n.pid),
            Err(_) => println!("node{i} (pid {}) was not running", n.pid),
        }
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn bench(
    dir: PathBuf,
    nodes: usize,
    blocks: u32,
    sync_blocks: u32,
    base_port: u16,
) -> anyhow::Result<()> {
    // Propagation: node 0 seals one block at a time; every other node is polled until it
    // reports that block as its tip.
    let config = TestnetConfig {
        nodes,
        miners: 0,
        dir: dir.join("propagation"),
        base_port,
        block_time_secs: 1,
    };
    let net = Testnet::up(config, Duration::from_secs(120)).await?;
    let producer = net.nodes[0].client()?;
    let clients = net
        .nodes
        .iter()
        .skip(1)
        .map(|n| n.client())
        .collect::<Result<Vec<_>, _>>()?;
    let mut delays = Vec::new();
    for _ in 0..blocks {
        let mined = producer.dev_mine(1).await?;
        let start = Instant::now();
        let target = mined.tip.hash;
        let mut pending: Vec<usize> = (0..clients.len()).collect();
        while !pending.is_empty() && start.elapsed() < Duration::from_secs(10) {
            let mut still = Vec::new();
            for i in pending {
                match clients[i].chain_get_tip().await {
                    Ok(t) if t.hash == target => {
                        delays.push(start.elapsed().as_secs_f64() * 1000.0)
                    }
                    _ => still.push(i),
                }
            }
            pending = still;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    delays.sort_by(f64::total_cmp);
    println!(
        "block propagation across {nodes} nodes ({} samples): p50 {:.1} ms, p99 {:.1} ms",
        delays.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99)
    );
    drop(net);

    // Sync: one node seals `sync_blocks` blocks alone, then a fresh node joins.
    let config = TestnetConfig {
        nodes: 1,
        miners: 0,
        dir: dir.join("sync"),
        base_port: base_port + 100,
        block_time_secs: 1,
    };
    let mut net = Testnet::up(config, Duration::from_secs(60)).await?;
    let source = net.nodes[0].client()?;
    let mut left = sync_blocks;
    while left > 0 {
        let n = left.min(1000);
        source.dev_mine(n).await?;
        left -= n;
    }
    let target = source.chain_get_tip().await?;
    let start = Instant::now();
    let idx = net.add_node()?;
    let fresh = net.nodes[idx].client()?;
    loop {
        if let Ok(t) = fresh.chain_get_tip().await
            && t.height >= target.height
        {
            break;
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(600),
            "the fresh node did not sync in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fresh node synced {} blocks in {secs:.1} s: {:.0} blocks/s (includes process start)",
        target.height,
        f64::from(u32::try_from(target.height).unwrap_or(u32::MAX)) / secs
    );
    Ok(())
}
