//! The [`Client`] handle: a cheap, cloneable sender of commands to the event loop, each
//! answered through a oneshot channel, and the events the event loop sends to the node.
//!
//! Every method is safe to cancel: dropping its future drops the reply channel. The command
//! may still be carried out (a publish, a dial, a response), only its outcome is lost.

use libp2p::{Multiaddr, PeerId, gossipsub, request_response};
use tokio::sync::{mpsc, oneshot};

use crate::{
    codec::WireResponse,
    error::NetworkError,
    protocol::{SyncLimits, SyncRequest, SyncResponse},
};

/// The two gossip topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GossipKind {
    /// `/infernet/<chain_id>/blocks/1`: canonically encoded blocks.
    Block,
    /// `/infernet/<chain_id>/txs/1`: canonically encoded signed transactions.
    Tx,
}

/// Identifies a received gossip message awaiting the node's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GossipId {
    /// Gossipsub's message id (content-addressed: BLAKE3 of topic and data).
    pub id: gossipsub::MessageId,
    /// Which topic it came on; decides the penalty of a `Reject`.
    pub kind: GossipKind,
}

/// The node's verdict on a gossip message, from which gossipsub decides whether to forward
/// it and how to score the peer that sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Valid: forward it to the mesh.
    Accept,
    /// Invalid: drop it, penalise the sender (gossipsub score and penalty points; enough
    /// points ban the peer).
    Reject,
    /// Not forwarded but not the sender's fault (a race: already known, stale, duplicate
    /// nonce).
    Ignore,
}

/// A connected peer, as reported by [`Client::peers`].
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// The peer.
    pub peer_id: PeerId,
    /// Remote addresses of its open connections.
    pub addresses: Vec<Multiaddr>,
    /// Whether at least one connection was dialed by us.
    pub outbound: bool,
    /// Agent version the peer announced through identify, once known.
    pub agent_version: Option<String>,
    /// Penalty points against it (see `PeerPolicy`).
    pub penalty: u32,
    /// Its gossipsub score, if gossipsub knows the peer.
    pub gossip_score: Option<f64>,
}

/// Where the answer to an inbound sync request goes; hand it back with [`Client::respond`].
/// Dropping it without responding closes the request's stream (the requester sees a failure).
#[derive(Debug)]
pub struct ResponseChannel {
    pub(crate) inner: request_response::ResponseChannel<WireResponse>,
    pub(crate) peer: PeerId,
}

impl ResponseChannel {
    /// The peer that made the request.
    pub fn peer(&self) -> PeerId {
        self.peer
    }
}

/// What the network tells the node.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A block arrived on the blocks topic. The node must answer with
    /// [`Client::report_validation`]; until then it is not forwarded.
    GossipBlock {
        /// The peer that forwarded it (not necessarily its author).
        peer: PeerId,
        /// Its id, for the verdict.
        msg_id: GossipId,
        /// The canonical block bytes (at most `GossipConfig::max_block_bytes`).
        data: Vec<u8>,
    },
    /// A transaction arrived on the transactions topic; answer as for blocks.
    GossipTx {
        /// The peer that forwarded it.
        peer: PeerId,
        /// Its id, for the verdict.
        msg_id: GossipId,
        /// The canonical transaction bytes (at most `GossipConfig::max_tx_bytes`).
        data: Vec<u8>,
    },
    /// A peer asks for sync data; answer with [`Client::respond`].
    SyncRequest {
        /// The requesting peer.
        peer: PeerId,
        /// What it asks for (already checked against the protocol limits).
        request: SyncRequest,
        /// Where the answer goes.
        channel: ResponseChannel,
    },
    /// The first connection to a peer opened.
    PeerConnected {
        /// The peer.
        peer: PeerId,
        /// The connection's remote address.
        address: Multiaddr,
        /// Whether we dialed it.
        outbound: bool,
    },
    /// The last connection to a peer closed.
    PeerDisconnected {
        /// The peer.
        peer: PeerId,
    },
}

/// Commands from [`Client`] to the event loop.
#[derive(Debug)]
pub(crate) enum Command {
    ListenOn {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<Multiaddr, NetworkError>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<PeerId, NetworkError>>,
    },
    Publish {
        kind: GossipKind,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<gossipsub::MessageId, NetworkError>>,
    },
    ReportValidation {
        msg_id: GossipId,
        peer: PeerId,
        validation: Validation,
        reply: oneshot::Sender<bool>,
    },
    Request {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetworkError>>,
    },
    Respond {
        channel: ResponseChannel,
        payload: Vec<u8>,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    BlockPeer {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    UnblockPeer {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
}

/// A handle to the network. Clone it freely; all clones talk to the same event loop
/// through one bounded channel, so a burst of commands waits for room instead of growing
/// a queue.
#[derive(Debug, Clone)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    limits: SyncLimits,
}

impl Client {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        local_peer_id: PeerId,
        limits: SyncLimits,
    ) -> Self {
        Self {
            commands,
            local_peer_id,
            limits,
        }
    }

    /// The sync protocol limits this network enforces (a responder must stay within them).
    pub fn sync_limits(&self) -> &SyncLimits {
        &self.limits
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(make(reply))
            .await
            .map_err(|_| NetworkError::Shutdown)?;
        answer.await.map_err(|_| NetworkError::Shutdown)
    }

    /// Starts listening on `addr` and returns the address actually bound (port 0 becomes
    /// the chosen port).
    pub async fn listen_on(&self, addr: Multiaddr) -> Result<Multiaddr, NetworkError> {
        self.call(|reply| Command::ListenOn { addr, reply }).await?
    }

    /// Dials `addr` (ending in `/p2p/<peer id>` or not) and returns the peer reached once
    /// the connection is established.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NetworkError> {
        self.call(|reply| Command::Dial { addr, reply }).await?
    }

    /// Publishes a canonically encoded block on the blocks topic.
    pub async fn publish_block(&self, data: Vec<u8>) -> Result<gossipsub::MessageId, NetworkError> {
        self.call(|reply| Command::Publish {
            kind: GossipKind::Block,
            data,
            reply,
        })
        .await?
    }

    /// Publishes a canonically encoded transaction on the transactions topic.
    pub async fn publish_tx(&self, data: Vec<u8>) -> Result<gossipsub::MessageId, NetworkError> {
        self.call(|reply| Command::Publish {
            kind: GossipKind::Tx,
            data,
            reply,
        })
        .await?
    }

    /// Gives the node's verdict on a gossip message received from `peer`. Returns whether
    /// the message was still awaiting validation (false once gossipsub's cache expired it;
    /// a `Reject` still penalises the peer then).
    pub async fn report_validation(
        &self,
        msg_id: GossipId,
        peer: PeerId,
        validation: Validation,
    ) -> Result<bool, NetworkError> {
        self.call(|reply| Command::ReportValidation {
            msg_id,
            peer,
            validation,
            reply,
        })
        .await
    }

    /// Sends a sync request to a connected peer and waits for its response, at most the
    /// configured request timeout.
    pub async fn request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, NetworkError> {
        self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Answers an inbound sync request. The response is encoded here, on the caller's task,
    /// and checked against the protocol limits: one that breaks them is refused with
    /// [`NetworkError::Wire`] and the request is dropped unanswered.
    pub async fn respond(
        &self,
        channel: ResponseChannel,
        response: SyncResponse,
    ) -> Result<(), NetworkError> {
        let payload = response.encode(&self.limits)?;
        self.call(|reply| Command::Respond {
            channel,
            payload,
            reply,
        })
        .await?
    }

    /// The connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetworkError> {
        self.call(|reply| Command::Peers { reply }).await
    }

    /// Disconnects `peer` and refuses it until [`Self::unblock_peer`] (an operator action,
    /// also used by partition tests). Returns whether it was newly blocked.
    pub async fn block_peer(&self, peer: PeerId) -> Result<bool, NetworkError> {
        self.call(|reply| Command::BlockPeer { peer, reply }).await
    }

    /// Lifts an operator block or a misbehaviour ban. Returns whether the peer was refused.
    pub async fn unblock_peer(&self, peer: PeerId) -> Result<bool, NetworkError> {
        self.call(|reply| Command::UnblockPeer { peer, reply })
            .await
    }

    /// The addresses this node listens on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetworkError> {
        self.call(|reply| Command::ListenAddrs { reply }).await
    }
}
