//! Infernet node: wiring, import pipeline, sync driver and block production.
//!
//! This crate turns the chain core (types, consensus, storage, mempool) plus the network and
//! RPC crates into a running node. It holds no rule logic of its own: every validity decision
//! is the consensus crate's, every write goes through the storage crate.
//!
//! # Services [`Node::start`] starts (the architecture map)
//! 1. **Store and mempool** ([`chain::Chain`]): opens the rocksdb store in the data dir
//!    (writing the spec's genesis on first run) and an empty mempool at its tip.
//! 2. **Import pipeline** ([`chain::Chain::import_block`]): the one path for blocks from
//!    gossip, from sync and from the local producer; side branches are stored and adopted
//!    when heavier (reorg), and the mempool is updated on connect and disconnect.
//! 3. **Block producer** ([`producer`]): one dedicated OS thread (plus scoped nonce-search
//!    threads), never a tokio worker; dev chains seal at the block time or on `dev_mine`,
//!    proof-of-work chains mine continuously with `--mine`.
//! 4. **Network** (`infernet-network`'s event loop task) and the node's side of it
//!    ([`net::NetService`]): gossip validation reported back (accept / reject / ignore),
//!    sync requests answered from the store, produced blocks and RPC transactions published.
//! 5. **Sync driver** ([`net::NetService::run_sync`]): status exchange on connect and on a
//!    timer; headers by locator, then bodies in chunks with bounded requests in flight.
//! 6. **JSON-RPC server** (`infernet-rpc`) over [`backend::NodeBackend`], with subscriptions
//!    fed by the chain's broadcast channels ([`chain::ChainEvents`]).
//!
//! [`NodeHandle::shutdown`] stops them in reverse order; the binary calls it on SIGINT and
//! SIGTERM. Every block write is one synced rocksdb batch, so a SIGKILL at any moment leaves
//! a store that reopens on a consistent tip.
//!
//! Configuration ([`config`]) merges flags over `INFERNET_*` variables over a TOML file over
//! defaults; the flags themselves ([`cli::NodeArgs`]) live here too, so every binary that runs
//! a node takes the same ones.

pub mod backend;
pub mod chain;
pub mod cli;
pub mod config;
pub mod net;
pub mod node;
pub mod producer;

pub use config::{ChainChoice, ConfigError, DataDir, NodeConfig, PartialConfig};
pub use node::{Node, NodeError, NodeHandle};
