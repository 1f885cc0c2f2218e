//! Error codes of the API and the domain error type.
//!
//! This module owns every error code a method can return and the machine-readable `data`
//! that comes with it. Codes:
//!
//! | code | meaning |
//! |---|---|
//! | -32700 | parse error: the body is not JSON |
//! | -32600 | invalid request: not a JSON-RPC 2.0 request object |
//! | -32601 | method not found |
//! | -32602 | invalid params (wrong type, malformed hex/address/amount, over a size cap) |
//! | -32603 | internal error (the node failed to answer; see `data.message`) |
//! | -32000 … -32049 | reserved for the transport (jsonrpsee): -32006 too many subscriptions, -32007 request too big, -32008 response too big, -32009 server busy, -32010 batch too big |
//! | -32050 … -32099 | domain errors, one code per [`RpcError`] variant, with `data.reason` |
//!
//! Every error this crate produces carries `data` as an object whose `reason` is a stable
//! `snake_case` string (see [`RpcError::reason`]); other fields depend on the reason.

use serde::{Deserialize, Serialize};

use crate::primitives::H256;

/// JSON-RPC 2.0 standard codes.
pub mod codes {
    /// The body is not valid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// Request body larger than the server's limit (set by jsonrpsee).
    pub const OVERSIZED_REQUEST: i32 = -32007;
    /// Batch with more calls than the server's limit (set by jsonrpsee).
    pub const TOO_BIG_BATCH: i32 = -32010;
    /// Lowest code of the domain range.
    pub const DOMAIN_MIN: i32 = -32099;
    /// Highest code of the domain range.
    pub const DOMAIN_MAX: i32 = -32050;
    /// The transaction bytes do not decode.
    pub const TX_DECODE: i32 = -32050;
    /// The transaction is invalid against the current state or the chain's rules.
    pub const TX_REJECTED: i32 = -32051;
    /// The transaction is already in the mempool or the chain.
    pub const TX_KNOWN: i32 = -32052;
    /// The mempool is full and the transaction does not pay enough to displace another.
    pub const MEMPOOL_FULL: i32 = -32053;
    /// No job with this id.
    pub const UNKNOWN_JOB: i32 = -32060;
    /// The node does not run a dev chain.
    pub const DEV_DISABLED: i32 = -32070;
    /// No such peer.
    pub const UNKNOWN_PEER: i32 = -32080;
    /// The node cannot serve this now (shutting down, a subsystem is stopped).
    pub const UNAVAILABLE: i32 = -32090;
}

/// An error a method returns: the domain errors of the node, plus invalid parameters and
/// internal failures.
///
/// The node's [`RpcBackend`](crate::RpcBackend) returns these; the server turns them into
/// JSON-RPC error objects with [`RpcError::code`], the `Display` message and the variant's
/// fields as `data` (tagged by `reason`). A client gets them back with
/// [`RpcError::from_error_object`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RpcError {
    /// A parameter was malformed or over a cap.
    #[error("invalid params: {message}")]
    InvalidParams {
        /// What was wrong and what is accepted.
        message: String,
    },
    /// The transaction bytes do not decode as a canonical signed transaction.
    #[error(
        "transaction does not decode: {message}; send the hex of the canonical signed transaction"
    )]
    TxDecode {
        /// The decoder's complaint.
        message: String,
    },
    /// The transaction breaks a rule against the current state.
    #[error("transaction rejected ({rule}): {message}")]
    TxRejected {
        /// Stable rule identifier: the spec rule id of a consensus rule (`R-031`), or for a
        /// mempool policy the same string as `name` (`nonce_too_low`, `mempool_full`, …).
        rule: String,
        /// Stable snake_case name of the broken rule (`insufficient_balance`), defined next
        /// to the rule's error variant; empty when a node older than this field answered.
        #[serde(default)]
        name: String,
        /// Explanation for a person.
        message: String,
    },
    /// The transaction is already known.
    #[error("transaction {txid} is already known")]
    TxKnown {
        /// Its id.
        txid: H256,
    },
    /// The mempool is full.
    #[error("mempool is full: {message}; raise the fee or retry later")]
    MempoolFull {
        /// Details (e.g. the fee rate needed).
        message: String,
    },
    /// No job with this id.
    #[error("no job {job} on the best chain or in the mempool")]
    UnknownJob {
        /// The id asked for.
        job: H256,
    },
    /// `dev_*` methods need a node started with `--dev`.
    #[error("dev methods are disabled: start the node with --dev")]
    DevDisabled,
    /// No such peer.
    #[error("unknown peer {peer_id}")]
    UnknownPeer {
        /// The peer id asked for.
        peer_id: String,
    },
    /// The node cannot serve the request now.
    #[error("node unavailable: {message}")]
    Unavailable {
        /// What is unavailable.
        message: String,
    },
    /// The node failed while answering.
    #[error("internal error: {message}")]
    Internal {
        /// What failed.
        message: String,
    },
}

impl RpcError {
    /// Shorthand for [`RpcError::InvalidParams`].
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RpcError::InvalidParams {
            message: message.into(),
        }
    }

    /// Shorthand for [`RpcError::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        RpcError::Internal {
            message: message.into(),
        }
    }

    /// The JSON-RPC error code of this error.
    pub fn code(&self) -> i32 {
        match self {
            RpcError::InvalidParams { .. } => codes::INVALID_PARAMS,
            RpcError::TxDecode { .. } => codes::TX_DECODE,
            RpcError::TxRejected { .. } => codes::TX_REJECTED,
            RpcError::TxKnown { .. } => codes::TX_KNOWN,
            RpcError::MempoolFull { .. } => codes::MEMPOOL_FULL,
            RpcError::UnknownJob { .. } => codes::UNKNOWN_JOB,
            RpcError::DevDisabled => codes::DEV_DISABLED,
            RpcError::UnknownPeer { .. } => codes::UNKNOWN_PEER,
            RpcError::Unavailable { .. } => codes::UNAVAILABLE,
            RpcError::Internal { .. } => codes::INTERNAL_ERROR,
        }
    }

    /// The stable `data.reason` string of this error.
    pub fn reason(&self) -> &'static str {
        match self {
            RpcError::InvalidParams { .. } => "invalid_params",
            RpcError::TxDecode { .. } => "tx_decode",
            RpcError::TxRejected { .. } => "tx_rejected",
            RpcError::TxKnown { .. } => "tx_known",
            RpcError::MempoolFull { .. } => "mempool_full",
            RpcError::UnknownJob { .. } => "unknown_job",
            RpcError::DevDisabled => "dev_disabled",
            RpcError::UnknownPeer { .. } => "unknown_peer",
            RpcError::Unavailable { .. } => "unavailable",
            RpcError::Internal { .. } => "internal",
        }
    }

    /// The machine-readable `data` object: the variant's fields plus `reason`.
    pub fn data(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .unwrap_or_else(|_| serde_json::json!({ "reason": self.reason() }))
    }

    /// Every variant once, with placeholder fields: the table `specs/rpc.md` documents.
    pub fn catalogue() -> Vec<RpcError> {
        vec![
            RpcError::invalid_params("…"),
            RpcError::TxDecode {
                message: "…".into(),
            },
            RpcError::TxRejected {
                rule: "…".into(),
                name: "…".into(),
                message: "…".into(),
            },
            RpcError::TxKnown { txid: H256::ZERO },
            RpcError::MempoolFull {
                message: "…".into(),
            },
            RpcError::UnknownJob { job: H256::ZERO },
            RpcError::DevDisabled,
            RpcError::UnknownPeer {
                peer_id: "…".into(),
            },
            RpcError::Unavailable {
                message: "…".into(),
            },
            RpcError::internal("…"),
        ]
    }

    /// Recover a domain error from a JSON-RPC error object's code and `data`, if it is one
    /// this crate produced.
    #[cfg(any(feature = "server", feature = "client"))]
    pub fn from_error_object(err: &jsonrpsee::types::ErrorObject<'_>) -> Option<RpcError> {
        let data = err.data()?;
        let parsed: RpcError = serde_json::from_str(data.get()).ok()?;
        (parsed.code() == err.code()).then_some(parsed)
    }
}

#[cfg(any(feature = "server", feature = "client"))]
impl From<RpcError> for jsonrpsee::types::ErrorObjectOwned {
    fn from(err: RpcError) -> Self {
        jsonrpsee::types::ErrorObject::owned(err.code(), err.to_string(), Some(err.data()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_domain_codes_in_range() {
        let all = RpcError::catalogue();
        let mut seen = std::collections::BTreeSet::new();
        for e in &all {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            let standard = [codes::INVALID_PARAMS, codes::INTERNAL_ERROR].contains(&e.code());
            let domain = (codes::DOMAIN_MIN..=codes::DOMAIN_MAX).contains(&e.code());
            assert!(
                standard || domain,
                "{e:?} has code {} outside the documented ranges",
                e.code()
            );
        }
    }

    #[cfg(any(feature = "server", feature = "client"))]
    #[test]
    fn data_carries_reason_and_round_trips() {
        for e in RpcError::catalogue() {
            let data = e.data();
            assert_eq!(data["reason"], e.reason());
            let obj: jsonrpsee::types::ErrorObjectOwned = e.clone().into();
            assert_eq!(obj.code(), e.code());
            assert_eq!(RpcError::from_error_object(&obj), Some(e));
        }
        let foreign = jsonrpsee::types::ErrorObject::owned(-32601, "nope", None::<()>);
        assert_eq!(RpcError::from_error_object(&foreign), None);
    }
}
