//! The one test kit for tests that start real Infernet processes.
//!
//! It owns, for every crate's multi-process tests:
//! - [`bin`]: finding the `infernet-node`, `infernet-miner` and `infernet-wallet` binaries of
//!   the same target directory (or the `INFERNET_*_BIN` override);
//! - [`process`]: free ports, polling with a deadline, and the [`process::Proc`] guard that
//!   kills a child on drop and shows its log's last lines when it dies early;
//! - [`rpc`]: a minimal blocking JSON-RPC client that keeps every raw response (for scans);
//! - [`node`]: an `infernet-node --dev --tmp` process ([`node::Node`]);
//! - [`miner`]: an `infernet-miner --dev` daemon ([`miner::DaemonSpec`], [`miner::Daemon`]);
//! - [`wallet`]: the one runner of the `infernet-wallet` CLI ([`wallet::Wallet`]);
//! - [`tx`]: signed transactions for tests (fees, signing, hex).
//!
//! It leaves to each test what is specific to it (models, keys, scans, assertions), and links
//! none of the binaries' libraries: it drives them as processes only.
// Test-only code (a dev-dependency of the test suites): a step that cannot go on is a failed
// test, and its panic message is the report, so unwrap is the intended failure mode here.
#![allow(clippy::unwrap_used)]

pub mod bin;
pub mod miner;
pub mod node;
pub mod process;
pub mod rpc;
pub mod tx;
pub mod wallet;

pub use miner::{Daemon, DaemonSpec};
pub use node::Node;
pub use process::{free_port, wait_for};
pub use rpc::{Rpc, RpcFailure};
pub use wallet::Wallet;

use infernet_crypto::Address;
use serde_json::Value;

/// A base-unit amount from RPC JSON (a decimal string or a number).
pub fn amount(v: &Value) -> u64 {
    v.as_str()
        .map_or_else(|| v.as_u64().unwrap(), |s| s.parse().unwrap())
}

/// 32 bytes from a hex JSON string.
pub fn h256(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// An address from RPC or wallet JSON.
pub fn address(v: &Value) -> Address {
    v.as_str().unwrap().parse().unwrap()
}
