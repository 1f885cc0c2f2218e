//! Network configuration: identity, addresses, discovery switches and every limit the
//! network layer enforces (connections, gossip sizes, sync message sizes, queues, bans).
//!
//! Defaults are the protocol's documented limits (see `specs/network.md`); a node normally
//! builds a [`NetworkConfig`] with [`NetworkConfig::new`] and overrides a few fields from its
//! own configuration and the chain spec.

use std::time::Duration;

use infernet_types::spec::{ChainSpec, Limits};
use libp2p::{Multiaddr, identity::Keypair};

use crate::{error::NetworkError, protocol::SyncLimits};

/// Everything [`crate::Network::new`] needs to build the swarm.
#[derive(Clone)]
pub struct NetworkConfig {
    /// The node's libp2p identity (ed25519), separate from any wallet key.
    pub keypair: Keypair,
    /// Chain id; it names the gossip topics and the protocol ids, so nodes of different
    /// chains never exchange blocks.
    pub chain_id: String,
    /// Addresses to listen on when the network is built (`/ip4/0.0.0.0/tcp/30333`,
    /// `/ip4/0.0.0.0/udp/30333/quic-v1`, ...). More can be added with `Client::listen_on`.
    pub listen_addrs: Vec<Multiaddr>,
    /// Bootnodes: full multiaddrs ending in `/p2p/<peer id>`; they seed Kademlia and are
    /// dialed when the event loop starts.
    pub bootnodes: Vec<Multiaddr>,
    /// Local-network discovery with mDNS. It multicasts on every interface as soon as it
    /// exists, so it is off unless the node turns it on (dev and testnet chains).
    pub mdns: bool,
    /// Whether the QUIC transport is built besides TCP + Noise + Yamux.
    pub quic: bool,
    /// Agent version announced through identify (`infernet-node/0.1.0`).
    pub agent_version: String,
    /// Connection limits.
    pub connections: ConnectionConfig,
    /// Gossipsub settings.
    pub gossip: GossipConfig,
    /// Sync request-response settings.
    pub sync: SyncConfig,
    /// Misbehaviour accounting and bans.
    pub peers: PeerPolicy,
    /// Capacity of the command channel from `Client`s to the event loop.
    pub command_capacity: usize,
    /// Capacity of the event channel from the event loop to the node. When the node falls
    /// behind, gossip and sync requests beyond this are dropped (never queued unboundedly).
    pub event_capacity: usize,
}

impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keypair is a secret: show only the identity it gives.
        f.debug_struct("NetworkConfig")
            .field("peer_id", &self.keypair.public().to_peer_id())
            .field("chain_id", &self.chain_id)
            .field("listen_addrs", &self.listen_addrs)
            .field("bootnodes", &self.bootnodes)
            .field("mdns", &self.mdns)
            .field("quic", &self.quic)
            .field("agent_version", &self.agent_version)
            .field("connections", &self.connections)
            .field("gossip", &self.gossip)
            .field("sync", &self.sync)
            .field("peers", &self.peers)
            .field("command_capacity", &self.command_capacity)
            .field("event_capacity", &self.event_capacity)
            .finish()
    }
}

impl NetworkConfig {
    /// The configuration for a chain: its id names the topics and protocols, its bootnodes
    /// seed discovery, its block and transaction size limits cap gossip and sync messages.
    /// mDNS stays off; the node turns it on for dev and testnet chains unless `--no-mdns`.
    pub fn for_chain(keypair: Keypair, spec: &ChainSpec) -> Result<Self, NetworkError> {
        let mut config = Self::new(keypair, spec.chain_id.to_string());
        config.bootnodes = spec
            .bootnodes
            .iter()
            .map(|b| {
                b.parse().map_err(
                    |e: libp2p::multiaddr::Error| NetworkError::InvalidBootnode {
                        addr: b.clone(),
                        reason: e.to_string(),
                    },
                )
            })
            .collect::<Result<_, _>>()?;
        config.gossip.max_block_bytes = spec.limits.max_block_bytes as usize;
        config.gossip.max_tx_bytes = spec.limits.max_tx_bytes as usize;
        config.sync.limits = SyncLimits::for_limits(&spec.limits);
        Ok(config)
    }

    /// A configuration with the protocol's default limits, no listen address, no bootnode,
    /// mDNS off and QUIC on.
    pub fn new(keypair: Keypair, chain_id: impl Into<String>) -> Self {
        Self {
            keypair,
            chain_id: chain_id.into(),
            listen_addrs: Vec::new(),
            bootnodes: Vec::new(),
            mdns: false,
            quic: true,
            agent_version: concat!("infernet/", env!("CARGO_PKG_VERSION")).to_owned(),
            connections: ConnectionConfig::default(),
            gossip: GossipConfig::default(),
            sync: SyncConfig::default(),
            peers: PeerPolicy::default(),
            command_capacity: 256,
            event_capacity: 1024,
        }
    }
}

/// Connection limits (enforced by `libp2p::connection_limits`) and discovery targets.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Most established inbound connections.
    pub max_incoming: u32,
    /// Most established outbound connections.
    pub max_outgoing: u32,
    /// Most connections being set up at once, each way.
    pub max_pending: u32,
    /// Most established connections to a single peer.
    pub max_per_peer: u32,
    /// The event loop dials peers found by Kademlia or mDNS while it has fewer than this
    /// many connected peers.
    pub target_peers: usize,
    /// A connection with no protocol activity is closed after this long.
    pub idle_timeout: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            max_incoming: 64,
            max_outgoing: 32,
            max_pending: 32,
            max_per_peer: 2,
            target_peers: 16,
            idle_timeout: Duration::from_secs(600),
        }
    }
}

/// Gossipsub settings.
#[derive(Debug, Clone)]
pub struct GossipConfig {
    /// Largest block message accepted or published on the blocks topic.
    pub max_block_bytes: usize,
    /// Largest transaction message accepted or published on the transactions topic.
    pub max_tx_bytes: usize,
    /// Gossipsub heartbeat (mesh maintenance, gossip emission). Tests shorten it.
    pub heartbeat_interval: Duration,
}

impl Default for GossipConfig {
    fn default() -> Self {
        let limits = Limits::default_limits();
        Self {
            max_block_bytes: limits.max_block_bytes as usize,
            max_tx_bytes: limits.max_tx_bytes as usize,
            heartbeat_interval: Duration::from_millis(700),
        }
    }
}

/// Sync request-response settings.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Message size and count limits, checked before anything is allocated.
    pub limits: SyncLimits,
    /// An outbound request with no response after this long fails with a timeout.
    pub request_timeout: Duration,
    /// Most sync streams open at once on one connection.
    pub max_concurrent_streams: usize,
    /// Most inbound requests from one peer waiting for the node's response; more are
    /// dropped, so a flooding peer cannot crowd out the others.
    pub max_inbound_per_peer: usize,
    /// Most outbound requests in flight (all peers together).
    pub max_outbound: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            limits: SyncLimits::default(),
            request_timeout: Duration::from_secs(10),
            max_concurrent_streams: 32,
            max_inbound_per_peer: 16,
            max_outbound: 256,
        }
    }
}

/// How misbehaviour is counted and punished.
///
/// Each offence adds penalty points to the peer; at `ban_threshold` points the peer is
/// disconnected and refused for `ban_duration`. Points are forgotten after `forget_after`
/// without a new offence.
#[derive(Debug, Clone)]
pub struct PeerPolicy {
    /// Points for a gossip block the node reported `Reject`.
    pub invalid_block: u32,
    /// Points for a gossip transaction the node reported `Reject`.
    pub invalid_tx: u32,
    /// Points for an oversized or undecodable sync message.
    pub bad_sync_message: u32,
    /// Points at which a peer is banned.
    pub ban_threshold: u32,
    /// How long a ban lasts.
    pub ban_duration: Duration,
    /// Penalty points are forgotten after this long without a new offence.
    pub forget_after: Duration,
    /// Most peers with penalty points or bans remembered at once (oldest forgotten first).
    pub max_tracked: usize,
}

impl Default for PeerPolicy {
    fn default() -> Self {
        Self {
            invalid_block: 50,
            invalid_tx: 25,
            bad_sync_message: 50,
            ban_threshold: 100,
            ban_duration: Duration::from_secs(30 * 60),
            forget_after: Duration::from_secs(30 * 60),
            max_tracked: 4096,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_spec_sets_topics_bootnodes_and_limits() {
        let mut spec = ChainSpec::testnet();
        let peer = Keypair::generate_ed25519().public().to_peer_id();
        spec.bootnodes = vec![format!("/ip4/10.0.0.1/tcp/30333/p2p/{peer}")];
        spec.limits.max_block_bytes = 2 << 20;
        let config = NetworkConfig::for_chain(Keypair::generate_ed25519(), &spec).unwrap();
        assert_eq!(config.chain_id, spec.chain_id.to_string());
        assert_eq!(config.bootnodes.len(), 1);
        assert_eq!(config.gossip.max_block_bytes, 2 << 20);
        assert_eq!(config.sync.limits.decode.max_block_bytes, 2 << 20);
        assert!(!config.mdns);

        spec.bootnodes = vec!["not a multiaddr".to_owned()];
        let err = NetworkConfig::for_chain(Keypair::generate_ed25519(), &spec).unwrap_err();
        assert!(matches!(err, NetworkError::InvalidBootnode { .. }), "{err}");
    }
}
