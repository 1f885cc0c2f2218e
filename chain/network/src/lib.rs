//! Infernet peer-to-peer network on libp2p: gossip, sync and peer scoring.
//!
//! # What this crate owns
//! - The swarm: TCP + Noise + Yamux and QUIC transports, identify, ping, Kademlia seeded
//!   from bootnodes, mDNS (off unless configured), connection limits and a block list.
//! - Gossipsub on `/infernet/<chain_id>/blocks/1` and `/infernet/<chain_id>/txs/1` with
//!   manual validation: nothing is forwarded before the node's verdict
//!   ([`Client::report_validation`]), peer scoring on, a size cap per topic.
//! - The sync request-response protocol `/infernet/<chain_id>/sync/1` ([`protocol`]):
//!   status, headers by locator, bodies by hash, with every message size-capped before it
//!   is decoded.
//! - Misbehaviour accounting: rejected gossip and malformed sync messages cost penalty
//!   points; enough points disconnect and ban the peer for a while.
//! - The node key file ([`keys`]).
//!
//! # What it leaves to others
//! Gossip carries blocks and transactions as opaque canonical bytes: decoding and validating
//! them is the node's job (it answers with a [`Validation`]). Sync responses are decoded here
//! into `infernet_types` headers and blocks under the chain's decode limits (undecodable
//! bytes are a protocol violation), but never validated. Choosing what to request and when
//! (the sync driver) belongs to the node (`chain/node`), which needs no libp2p type beyond
//! the re-exports below.
//!
//! # Shape
//! [`Network::new`] returns a [`Client`] (cloneable, bounded command channel, oneshot
//! replies), an [`EventLoop`] that alone owns the swarm (spawn [`EventLoop::run`]), and a
//! bounded receiver of [`NetworkEvent`]s. The wire formats and limits are written down in
//! `specs/network.md`.

mod behaviour;
mod client;
mod codec;
pub mod config;
mod error;
mod event_loop;
pub mod keys;
mod peers;
pub mod protocol;

pub use behaviour::Protocols;
pub use client::{
    Client, GossipId, GossipKind, NetworkEvent, PeerInfo, ResponseChannel, Validation,
};
pub use config::{ConnectionConfig, GossipConfig, NetworkConfig, PeerPolicy, SyncConfig};
pub use error::{KeyError, NetworkError};
pub use event_loop::EventLoop;
pub use libp2p::{Multiaddr, PeerId, gossipsub::MessageId, identity::Keypair};
pub use peers::Offence;
pub use protocol::{BlockHash, Status, SyncLimits, SyncRequest, SyncResponse, WireError};

use tokio::sync::mpsc;

/// Builds the network.
#[derive(Debug)]
pub struct Network;

impl Network {
    /// Builds the swarm from `config`, starts listening on `config.listen_addrs`, and returns
    /// the client handle, the event loop to spawn, and the receiver of network events (its
    /// capacity is `config.event_capacity`). Must be called inside a tokio runtime.
    #[allow(
        clippy::new_ret_no_self,
        reason = "the network is its three parts; there is no `Network` value to keep"
    )]
    pub fn new(
        config: NetworkConfig,
    ) -> Result<(Client, EventLoop, mpsc::Receiver<NetworkEvent>), NetworkError> {
        let protocols = Protocols::new(&config.chain_id)?;
        let mut swarm = behaviour::build_swarm(&config, &protocols)?;
        for addr in &config.listen_addrs {
            swarm
                .listen_on(addr.clone())
                .map_err(|e| NetworkError::Listen {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
        }
        let (command_tx, command_rx) = mpsc::channel(config.command_capacity.max(1));
        let (event_tx, event_rx) = mpsc::channel(config.event_capacity.max(1));
        let client = Client::new(command_tx, *swarm.local_peer_id(), config.sync.limits);
        let event_loop =
            event_loop::EventLoop::new(swarm, protocols, &config, command_rx, event_tx);
        Ok((client, event_loop, event_rx))
    }
}
