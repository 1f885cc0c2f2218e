//! Errors of the network layer.

use std::path::PathBuf;

use libp2p::{Multiaddr, PeerId};

use crate::protocol::WireError;

/// What can go wrong when building the network or talking to it through a `Client`.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The event loop has stopped (shutdown, or it was dropped); nothing can be sent.
    #[error("the network event loop is not running (it was shut down)")]
    Shutdown,
    /// The chain id cannot be used in a protocol name.
    #[error("chain id {0:?} cannot name a libp2p protocol: use letters, digits, '-' or '_'")]
    InvalidChainId(String),
    /// A bootnode of the chain spec is not a multiaddr.
    #[error(
        "bootnode {addr:?} is not a libp2p multiaddr ({reason}); expected /ip4/A.B.C.D/tcp/PORT/p2p/PEER_ID"
    )]
    InvalidBootnode {
        /// The bootnode as written.
        addr: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A libp2p behaviour could not be built from the configuration.
    #[error("cannot build the {what} behaviour: {reason}")]
    Behaviour {
        /// Which behaviour.
        what: &'static str,
        /// libp2p's reason.
        reason: String,
    },
    /// A transport could not be built (TCP, Noise, Yamux, QUIC).
    #[error("cannot build the transport: {0}")]
    Transport(String),
    /// Listening on an address failed.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// Dialing an address failed.
    #[error("cannot dial {addr}: {reason}")]
    Dial {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// Publishing a gossip message failed.
    #[error("cannot publish on {topic}: {reason}")]
    Publish {
        /// The topic.
        topic: String,
        /// Why (no subscribed peer yet, duplicate, too large, queues full).
        reason: String,
    },
    /// A message is larger than the protocol allows.
    #[error("message of {len} bytes exceeds the {max}-byte limit for {what}")]
    TooLarge {
        /// What kind of message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A sync request failed (dial failure, timeout, connection closed, bad response).
    #[error("sync request to {peer} failed: {reason}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// Too many outbound sync requests are already in flight.
    #[error("{0} sync requests already in flight: wait for some to finish")]
    TooManyRequests(usize),
    /// A sync message breaks the protocol's limits or format.
    #[error("invalid sync message: {0}")]
    Wire(#[from] WireError),
    /// The response could not be sent: the requesting peer is gone or the request timed out.
    #[error("cannot respond to {peer}: the request is no longer open (peer gone or timed out)")]
    ResponseFailed {
        /// The requesting peer.
        peer: PeerId,
    },
    /// Too many dials are pending.
    #[error("{0} dials already pending: wait for some to finish")]
    TooManyDials(usize),
    /// The node key file could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Errors loading or saving the node key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("node key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not hold a protobuf-encoded libp2p keypair.
    #[error(
        "node key file {path} is not a libp2p keypair ({reason}); move it away to generate a new one"
    )]
    Decode {
        /// The file.
        path: PathBuf,
        /// Why decoding failed.
        reason: String,
    },
    /// The key is not ed25519.
    #[error("node key file {path} holds a {kind} key; Infernet node keys are ed25519")]
    NotEd25519 {
        /// The file.
        path: PathBuf,
        /// The key type found.
        kind: String,
    },
    /// The keypair could not be encoded.
    #[error("cannot encode the node key: {0}")]
    Encode(String),
}
