//! Starting and stopping a node: [`Node::start`] wires the services together and returns a
//! [`NodeHandle`]; [`NodeHandle::shutdown`] stops them in order (production first, then the
//! network and RPC), after which the store closes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use infernet_network::{
    Multiaddr, Network, NetworkConfig, PeerId, keys::load_or_generate_node_key,
};
use infernet_rpc::{RpcLimits, RpcServerHandle};
use infernet_types::{Address, dev_accounts};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::backend::NodeBackend;
use crate::chain::Chain;
use crate::config::{DataDir, NodeConfig};
use crate::net::NetService;
use crate::producer::{Producer, ProducerConfig, ProducerHandle};

/// Capacity of the channel carrying produced blocks to the network.
const MINED_CAPACITY: usize = 64;

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data directory could not be prepared.
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The chain database could not be opened.
    #[error("cannot open the chain database: {0}")]
    Storage(#[from] infernet_storage::StorageError),
    /// The node key could not be loaded.
    #[error("cannot load the node key: {0}")]
    Key(#[from] infernet_network::KeyError),
    /// A p2p address or bootnode does not parse.
    #[error("invalid multiaddr {addr:?}: {reason}")]
    Multiaddr {
        /// The text.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The network could not start.
    #[error("cannot start the p2p network: {0}")]
    Network(#[from] infernet_network::NetworkError),
    /// The RPC server could not start.
    #[error("cannot start the JSON-RPC server: {0}")]
    Rpc(#[from] infernet_rpc::ServerError),
    /// The producer thread could not be spawned.
    #[error("cannot start the block producer thread: {0}")]
    Producer(std::io::Error),
}

/// The entry point of the node library.
#[derive(Debug)]
pub struct Node;

/// A running node.
#[derive(Debug)]
pub struct NodeHandle {
    chain: Arc<Chain>,
    rpc: RpcServerHandle,
    producer: Option<Producer>,
    producer_handle: ProducerHandle,
    net: Option<Arc<NetService>>,
    p2p_addrs: Vec<Multiaddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    data_dir: PathBuf,
    /// Kept so a `--tmp` directory lives as long as the node.
    _tmp: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts every service of `config` (see the crate docs for the list). Must be called
    /// inside a multi-threaded tokio runtime.
    pub async fn start(config: NodeConfig) -> Result<NodeHandle, NodeError> {
        let (tmp, data_dir) = match &config.data_dir {
            DataDir::Path(p) => (None, p.clone()),
            DataDir::Temporary => {
                let t = tempfile::Builder::new()
                    .prefix("infernet-node-")
                    .tempdir()
                    .map_err(|source| NodeError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        std::fs::create_dir_all(&data_dir).map_err(|source| NodeError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let spec = config.spec.clone();
        let db_path = data_dir.join("chain");
        let chain = Arc::new(
            tokio::task::spawn_blocking(move || Chain::open(spec, &db_path))
                .await
                .map_err(|e| NodeError::Producer(std::io::Error::other(e)))??,
        );
        tracing::info!(
            chain = %chain.spec().name,
            chain_id = chain.spec().chain_id,
            height = chain.store().tip().height(),
            data_dir = %data_dir.display(),
            "chain opened"
        );
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = Vec::new();

        // Block production.
        let coinbase = config.coinbase.unwrap_or_else(|| {
            dev_accounts()
                .first()
                .map_or(Address::from_bytes([0; 32]), |a| a.address)
        });
        let interval = config.seal_interval_secs();
        let producer_config = ProducerConfig {
            coinbase,
            seal_interval: (config.seals_on_interval() && interval > 0)
                .then(|| Duration::from_secs(interval)),
            continuous: config.mine && !config.spec.dev,
            threads: config.miner_threads,
        };
        let (mined_tx, mined_rx) = mpsc::channel(MINED_CAPACITY);
        let (producer, producer_handle) = Producer::spawn(chain.clone(), producer_config, mined_tx)
            .map_err(NodeError::Producer)?;

        // Network.
        let mut p2p_addrs = Vec::new();
        let net = if config.p2p_addrs.is_empty() {
            None
        } else {
            let keypair =
                load_or_generate_node_key(&data_dir.join(infernet_network::keys::NODE_KEY_FILE))?;
            let mut net_config = NetworkConfig::new(keypair, config.spec.chain_id.to_string());
            net_config.listen_addrs = parse_addrs(&config.p2p_addrs)?;
            net_config.bootnodes = parse_addrs(&config.bootnodes)?;
            net_config.mdns = config.mdns;
            net_config.quic = config.p2p_addrs.iter().any(|a| a.contains("quic"));
            net_config.agent_version = concat!("infernet-node/", env!("CARGO_PKG_VERSION")).into();
            net_config.sync.limits = infernet_network::SyncLimits::for_limits(&config.spec.limits);
            let limits = net_config.sync.limits;
            let (client, event_loop, events) = Network::new(net_config)?;
            let mut stop = shutdown_rx.clone();
            tasks.push(tokio::spawn(event_loop.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            })));
            let (service, sync_rx) = NetService::new(chain.clone(), client.clone(), limits);
            tasks.push(tokio::spawn(service.clone().run_events(
                events,
                mined_rx,
                shutdown_rx.clone(),
            )));
            tasks.push(tokio::spawn(
                service.clone().run_sync(sync_rx, shutdown_rx.clone()),
            ));
            // Wait briefly for the listeners to bind so the addresses can be reported.
            for _ in 0..50 {
                let addrs = client.listen_addrs().await.unwrap_or_default();
                if !addrs.is_empty() {
                    let id = client.local_peer_id();
                    p2p_addrs = addrs.into_iter().map(|a| with_peer(a, id)).collect();
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tracing::info!(peer_id = %client.local_peer_id(), addrs = ?p2p_addrs, "p2p network started");
            Some(service)
        };

        // RPC.
        let backend = NodeBackend::new(
            chain.clone(),
            net.clone(),
            producer_handle.clone(),
            config.mine,
            config.p2p_addrs.clone(),
        );
        let rpc =
            infernet_rpc::start(config.rpc_addr, Arc::new(backend), RpcLimits::default()).await?;
        Ok(NodeHandle {
            chain,
            rpc,
            producer: Some(producer),
            producer_handle,
            net,
            p2p_addrs,
            shutdown,
            tasks,
            data_dir,
            _tmp: tmp,
        })
    }
}

fn parse_addrs(addrs: &[String]) -> Result<Vec<Multiaddr>, NodeError> {
    addrs
        .iter()
        .map(|a| {
            a.parse::<Multiaddr>().map_err(|e| NodeError::Multiaddr {
                addr: a.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

fn with_peer(addr: Multiaddr, id: PeerId) -> Multiaddr {
    let text = format!("{addr}/p2p/{id}");
    text.parse().unwrap_or(addr)
}

impl NodeHandle {
    /// The chain (store, mempool, import pipeline).
    pub fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// The bound RPC address.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc.local_addr()
    }

    /// `http://…` URL of the RPC server.
    pub fn rpc_url(&self) -> String {
        self.rpc.http_url()
    }

    /// `ws://…` URL of the RPC server.
    pub fn ws_url(&self) -> String {
        self.rpc.ws_url()
    }

    /// The p2p addresses the node listens on, each ending in `/p2p/<peer id>` (empty without
    /// a network).
    pub fn p2p_addrs(&self) -> &[Multiaddr] {
        &self.p2p_addrs
    }

    /// The node's peer id, if it runs a network.
    pub fn peer_id(&self) -> Option<PeerId> {
        self.net.as_ref().map(|n| n.client().local_peer_id())
    }

    /// The network service, if any.
    pub fn network(&self) -> Option<&Arc<NetService>> {
        self.net.as_ref()
    }

    /// How many peers are connected now (0 without a network, or when the network task has
    /// stopped): what `net_status` reports as `peers`.
    pub async fn peer_count(&self) -> usize {
        match &self.net {
            Some(n) => n.client().peers().await.map_or(0, |p| p.len()),
            None => 0,
        }
    }

    /// The handle that asks the producer for blocks (and pauses its nonce search).
    pub fn producer(&self) -> &ProducerHandle {
        &self.producer_handle
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Stops the node: production first (the nonce search ends within one batch), then the
    /// RPC server, the network and the sync driver; the store closes when the last service
    /// lets go of it. Every block write is a synced batch, so nothing needs flushing.
    pub async fn shutdown(mut self) {
        if let Some(p) = self.producer.take() {
            let _ = tokio::task::spawn_blocking(move || p.stop()).await;
        }
        self.rpc.stop();
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        self.rpc.clone().stopped().await;
        // The store closes when the last service lets go of the chain; wait for that (the
        // RPC server drops its module a moment after it stops), so a restart in the same
        // process finds the database unlocked.
        self.net = None;
        for _ in 0..250 {
            if Arc::strong_count(&self.chain) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if Arc::strong_count(&self.chain) > 1 {
            tracing::warn!("a service still holds the chain after shutdown");
        }
        tracing::info!("node stopped");
    }
}
