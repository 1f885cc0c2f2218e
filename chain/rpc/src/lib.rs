//! Infernet JSON-RPC API: methods, types, server and typed client.
//!
//! This crate owns the node's public API: the JSON views of chain objects ([`views`]), the
//! spelling of primitive values ([`primitives`]), error codes ([`error`]), the method
//! definitions ([`api`]) and their documentation table with the OpenRPC document
//! ([`methods`]). Behind feature `server` it provides [`start`] and the [`RpcBackend`] trait
//! that the node implements; behind feature `client` the typed HTTP/WebSocket client
//! ([`client`]) used by the wallet, without pulling in any server or node code.
//!
//! It leaves to the node everything about what the answers contain: reading storage, the
//! mempool, the network and producing blocks all happen behind [`RpcBackend`].
//!
//! Method names, parameters, results and error codes are documented in `specs/rpc.md`, and
//! served by `rpc.discover` as an OpenRPC document (committed as `specs/openrpc.json`).
//!
//! The node's side, in outline:
//!
//! ```text
//! struct NodeRpc { store: …, mempool: …, network: …, heads: broadcast::Sender<HeaderView>, … }
//! #[async_trait] impl infernet_rpc::RpcBackend for NodeRpc { … }   // views via `convert`
//! let server = infernet_rpc::start(addr, Arc::new(node_rpc), RpcLimits::default()).await?;
//! // on shutdown:
//! server.stop();
//! server.stopped().await;
//! ```
//!
//! A client's side:
//!
//! ```text
//! use infernet_rpc::client::{InfernetApiClient, http_client};
//! let tip = http_client("http://127.0.0.1:9933")?.chain_get_tip().await?;
//! ```

#[cfg(feature = "client")]
pub mod api;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod convert;
pub mod error;
pub mod methods;
pub mod primitives;
#[cfg(feature = "server")]
pub mod server;
pub mod views;

pub use error::RpcError;
pub use primitives::{Address, Amount, Bytes, H256, U64String, Work};
#[cfg(feature = "server")]
pub use server::{
    ComplaintQuery, ListingQuery, PageQuery, RpcBackend, RpcLimits, RpcServerHandle, ServerError,
    rpc_module, start,
};
