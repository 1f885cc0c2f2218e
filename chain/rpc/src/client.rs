//! The typed client (feature `client`): HTTP and WebSocket constructors and error helpers.
//!
//! This module owns how a program outside the node (the wallet, the explorer, tests) connects
//! to a node. Import [`InfernetApiClient`] to call methods by their Rust names on either client
//! (`client.chain_get_tip().await?`); subscriptions need the WebSocket client. It depends on no
//! server or node code.

use std::time::Duration;

pub use crate::api::InfernetApiClient;
use crate::error::RpcError;
pub use jsonrpsee::core::ClientError;
pub use jsonrpsee::core::client::Subscription;
pub use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
pub use jsonrpsee::ws_client::{WsClient, WsClientBuilder};

/// How long a call may take before the client gives up.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for `http://…` (or `https://…`) URLs. Cheap to clone; no connection is made until
/// the first call.
pub fn http_client(url: &str) -> Result<HttpClient, ClientError> {
    HttpClientBuilder::default()
        .request_timeout(DEFAULT_REQUEST_TIMEOUT)
        .build(url)
}

/// A client for `ws://…` (or `wss://…`) URLs; connects before returning. Needed for
/// subscriptions.
pub async fn ws_client(url: &str) -> Result<WsClient, ClientError> {
    WsClientBuilder::default()
        .request_timeout(DEFAULT_REQUEST_TIMEOUT)
        .build(url)
        .await
}

/// The domain error inside a failed call, if the server returned one of [`RpcError`]'s codes
/// with its `data`.
pub fn domain_error(err: &ClientError) -> Option<RpcError> {
    match err {
        ClientError::Call(obj) => RpcError::from_error_object(obj),
        _ => None,
    }
}
