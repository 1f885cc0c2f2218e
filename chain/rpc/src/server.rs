//! The JSON-RPC server (feature `server`): the [`RpcBackend`] boundary, limits, and [`start`].
//!
//! This module owns everything between the socket and the node: it binds HTTP and WebSocket
//! on one port (jsonrpsee), enforces the body, batch, connection and subscription limits,
//! validates and caps every parameter (hex lengths, page sizes, block counts, peer ids),
//! turns [`RpcError`]s into JSON-RPC error objects, and pumps the node's broadcast channels
//! into subscriptions. What the answers contain is the node's business: it implements
//! [`RpcBackend`] over its storage, mempool, network client and block producer.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use jsonrpsee::core::{RegisterMethodError, SubscriptionResult};
use jsonrpsee::server::{
    BatchRequestConfig, PendingSubscriptionSink, RpcModule, Server, ServerConfig, ServerHandle,
    SubscriptionSink,
};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::params::ParamsSequence;
use tokio::sync::broadcast;

use crate::error::RpcError;
use crate::methods::openrpc_document;
use crate::primitives::{Address, H256};
use crate::views::{
    AccountView, BlockRef, BlockView, ChainInfoView, ComplaintFilter, ComplaintView, DevMineView,
    HeaderView, JobStatus, JobView, ListingDetailView, ListingFilter, ListingView, MinerView,
    ModelView, NodeInfoView, Page, PageRequest, PeerView, PurchaseView, RecordEventView,
    RecordView, SellerStatsView, TipView, TransactionView, TxView,
};

/// A validated page request handed to the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// The opaque cursor from the previous page's `next_cursor` (at most
    /// [`RpcLimits::max_cursor_chars`] characters), or `None` for the first page.
    pub cursor: Option<String>,
    /// Items wanted, between 1 and [`RpcLimits::max_page_size`].
    pub limit: u32,
}

/// A validated listing filter handed to the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingQuery {
    /// Only this seller's listings.
    pub seller: Option<Address>,
    /// Only listings with records of this model.
    pub model: Option<H256>,
    /// Only listings with this status.
    pub status: Option<crate::views::ListingStatus>,
    /// Paging.
    pub page: PageQuery,
}

/// A validated complaint filter handed to the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintQuery {
    /// Only complaints about this seller.
    pub seller: Option<Address>,
    /// Only complaints about this purchase.
    pub purchase: Option<H256>,
    /// Start strictly after this `(purchase, record_index)` (the parsed cursor).
    pub after: Option<(H256, u32)>,
    /// Most complaints returned, between 1 and [`RpcLimits::max_page_size`].
    pub limit: u32,
}

/// Parses a complaint cursor `"<purchase hex>:<record_index>"`.
fn parse_complaint_cursor(cursor: &str) -> Result<(H256, u32), RpcError> {
    let bad = || {
        RpcError::invalid_params(
            "complaint cursor must be \"<purchase hex>:<record_index>\" of the last complaint \
             received",
        )
    };
    let (purchase, index) = cursor.split_once(':').ok_or_else(bad)?;
    let purchase: H256 = purchase.parse().map_err(|_| bad())?;
    let index: u32 = index.parse().map_err(|_| bad())?;
    Ok((purchase, index))
}

/// What the node provides to the RPC server.
///
/// Every method may be called concurrently from many connections; implementations must not
/// block the async runtime (run storage reads that can take long with
/// `tokio::task::spawn_blocking`). Parameters arrive validated and capped as documented on
/// each method. Return `Ok(None)` for "not found"; [`RpcError`] for domain failures.
///
/// A call's future is dropped if its client disconnects, so methods must be cancel-safe:
/// hand work that must complete (admitting a transaction, sealing blocks) to a task or
/// channel that owns it rather than doing half of it in the future itself.
///
/// The broadcast receivers feed subscriptions: one receiver per subscription, taken when the
/// subscription starts. Size the channels for bursts (a reorg's heads, a block's records); a
/// subscriber that falls behind skips heads but has its record or job subscription closed
/// with an error, so it never silently misses one.
#[async_trait]
pub trait RpcBackend: Send + Sync + 'static {
    /// The best block.
    async fn tip(&self) -> Result<TipView, RpcError>;
    /// Chain identity, tip, sync status and mempool occupancy.
    async fn chain_info(&self) -> Result<ChainInfoView, RpcError>;
    /// The best chain's block at `height`.
    async fn block_by_height(&self, height: u64) -> Result<Option<BlockView>, RpcError>;
    /// Any stored block by hash.
    async fn block_by_hash(&self, hash: H256) -> Result<Option<BlockView>, RpcError>;
    /// A header by height (best chain) or hash.
    async fn header(&self, block: BlockRef) -> Result<Option<HeaderView>, RpcError>;
    /// A transaction with status and confirmations.
    async fn tx(&self, txid: H256) -> Result<Option<TxView>, RpcError>;
    /// Decode, validate and admit a signed transaction (at most
    /// [`RpcLimits::max_tx_bytes`] bytes); returns its id. Errors: [`RpcError::TxDecode`],
    /// [`RpcError::TxRejected`], [`RpcError::TxKnown`], [`RpcError::MempoolFull`].
    async fn send_tx(&self, bytes: Vec<u8>) -> Result<H256, RpcError>;
    /// Up to `limit` mempool transactions, best fee rate first (`limit` ≤
    /// [`RpcLimits::max_pending`]).
    async fn pending(&self, limit: u32) -> Result<Vec<TransactionView>, RpcError>;
    /// An account (zero balance and nonce if never seen).
    async fn account(&self, address: Address) -> Result<AccountView, RpcError>;
    /// A model.
    async fn model(&self, id: H256) -> Result<Option<ModelView>, RpcError>;
    /// Models, paged.
    async fn models(&self, page: PageQuery) -> Result<Page<ModelView>, RpcError>;
    /// A miner.
    async fn miner(&self, address: Address) -> Result<Option<MinerView>, RpcError>;
    /// Miners, paged.
    async fn miners(&self, page: PageQuery) -> Result<Page<MinerView>, RpcError>;
    /// A job.
    async fn job(&self, id: H256) -> Result<Option<JobView>, RpcError>;
    /// A record.
    async fn record(&self, id: H256) -> Result<Option<RecordView>, RpcError>;
    /// Records owned by `owner`, paged.
    async fn records_by_owner(
        &self,
        owner: Address,
        page: PageQuery,
    ) -> Result<Page<RecordView>, RpcError>;
    /// Listings matching a filter, paged.
    async fn listings(&self, filter: ListingQuery) -> Result<Page<ListingView>, RpcError>;
    /// One listing with its current purchase.
    async fn listing(&self, id: H256) -> Result<Option<ListingDetailView>, RpcError>;
    /// One purchase.
    async fn purchase(&self, id: H256) -> Result<Option<PurchaseView>, RpcError>;
    /// Complaints matching the query, in `(purchase, record_index)` order.
    async fn complaints(&self, query: ComplaintQuery) -> Result<Vec<ComplaintView>, RpcError>;
    /// A seller's market history (zeros when none).
    async fn seller_stats(&self, address: Address) -> Result<SellerStatsView, RpcError>;
    /// A record's history events, oldest first, at most `limit` (≥ 1).
    async fn record_history(&self, id: H256, limit: u32) -> Result<Vec<RecordEventView>, RpcError>;
    /// Connected peers.
    async fn peers(&self) -> Result<Vec<PeerView>, RpcError>;
    /// This node.
    async fn node_info(&self) -> Result<NodeInfoView, RpcError>;
    /// Seal `n` blocks (1 ≤ n ≤ [`RpcLimits::max_dev_mine`]); [`RpcError::DevDisabled`] unless
    /// the node runs a dev chain.
    async fn dev_mine(&self, n: u32) -> Result<DevMineView, RpcError>;
    /// Block a peer (syntactically valid base58 id); true if newly blocked.
    async fn block_peer(&self, peer_id: String) -> Result<bool, RpcError>;
    /// Unblock a peer; true if it was blocked.
    async fn unblock_peer(&self, peer_id: String) -> Result<bool, RpcError>;
    /// A receiver of every new best header (one per subscription).
    fn subscribe_new_heads(&self) -> broadcast::Receiver<HeaderView>;
    /// A receiver of jobs as they become completed or expired.
    fn subscribe_job_results(&self) -> broadcast::Receiver<JobView>;
    /// A receiver of records as they are minted or change owner (the view shows the new owner).
    fn subscribe_records(&self) -> broadcast::Receiver<RecordView>;
}

/// Limits the server enforces before the backend sees a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcLimits {
    /// Largest request body, bytes (HTTP body or WebSocket message).
    pub max_request_body_bytes: u32,
    /// Largest response body, bytes.
    pub max_response_body_bytes: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Most calls in one batch.
    pub max_batch_len: u32,
    /// Most subscriptions on one WebSocket connection.
    pub max_subscriptions_per_connection: u32,
    /// Largest signed transaction `tx_send` accepts, bytes (hex is twice this).
    pub max_tx_bytes: usize,
    /// Largest page size.
    pub max_page_size: u32,
    /// Page size when the request gives none.
    pub default_page_size: u32,
    /// Longest page cursor, characters.
    pub max_cursor_chars: usize,
    /// Most transactions `tx_pending` returns.
    pub max_pending: u32,
    /// Most blocks one `dev_mine` call seals.
    pub max_dev_mine: u32,
}

impl Default for RpcLimits {
    fn default() -> Self {
        RpcLimits {
            max_request_body_bytes: 4 * 1024 * 1024,
            max_response_body_bytes: 16 * 1024 * 1024,
            max_connections: 100,
            max_batch_len: 50,
            max_subscriptions_per_connection: 64,
            max_tx_bytes: 1024 * 1024,
            max_page_size: 500,
            default_page_size: 100,
            max_cursor_chars: 256,
            max_pending: 1000,
            max_dev_mine: 1000,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot bind the RPC server to {addr}: {source} (is another process using the port?)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The limits are inconsistent.
    #[error("invalid RPC limits: {0}")]
    Limits(String),
    /// Two methods were registered under one name (a bug in this crate).
    #[error("cannot register RPC methods: {0}")]
    Register(#[from] RegisterMethodError),
}

/// A running server: its address and the handle that stops it.
#[derive(Debug, Clone)]
pub struct RpcServerHandle {
    handle: ServerHandle,
    local_addr: SocketAddr,
}

impl RpcServerHandle {
    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` for HTTP clients.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// `ws://ADDR` for WebSocket clients.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.local_addr)
    }

    /// Ask the server to stop; connections are closed. Returns false if it had already
    /// stopped.
    pub fn stop(&self) -> bool {
        self.handle.stop().is_ok()
    }

    /// Wait until the server has stopped. Safe to cancel.
    pub async fn stopped(self) {
        self.handle.stopped().await
    }
}

/// Bind `addr` and serve the API over HTTP and WebSocket until stopped.
///
/// The API is answered by `backend`; `limits` bound every request. Binding port 0 picks a free
/// port: read it from [`RpcServerHandle::local_addr`].
pub async fn start(
    addr: SocketAddr,
    backend: Arc<dyn RpcBackend>,
    limits: RpcLimits,
) -> Result<RpcServerHandle, ServerError> {
    let module = rpc_module(backend, limits.clone())?;
    let max_batch = limits.max_batch_len;
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_body_bytes)
        .max_response_body_size(limits.max_response_body_bytes)
        .max_connections(limits.max_connections)
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .set_batch_request_config(if max_batch == 0 {
            BatchRequestConfig::Disabled
        } else {
            BatchRequestConfig::Limit(max_batch)
        })
        .build();
    let server = Server::builder()
        .set_config(config)
        .build(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local_addr = server
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let handle = server.start(module);
    tracing::info!(%local_addr, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok(RpcServerHandle { handle, local_addr })
}

/// The API's methods as a jsonrpsee module, for embedding in another server or for listing
/// the registered method names. [`start`] serves exactly this module.
pub fn rpc_module(
    backend: Arc<dyn RpcBackend>,
    limits: RpcLimits,
) -> Result<RpcModule<()>, ServerError> {
    if limits.default_page_size == 0 || limits.default_page_size > limits.max_page_size {
        return Err(ServerError::Limits(format!(
            "default_page_size {} must be between 1 and max_page_size {}",
            limits.default_page_size, limits.max_page_size
        )));
    }
    let api = Api {
        backend,
        limits,
        openrpc: Arc::new(openrpc_document()),
    };
    let mut methods = RpcModule::new(api);
    register_all(&mut methods)?;
    let mut module = RpcModule::new(());
    module.merge(methods)?;
    Ok(module)
}

/// The server's state behind every method: validation, then the backend.
struct Api {
    backend: Arc<dyn RpcBackend>,
    limits: RpcLimits,
    openrpc: Arc<serde_json::Value>,
}

impl Api {
    fn page(&self, page: Option<PageRequest>) -> Result<PageQuery, RpcError> {
        let page = page.unwrap_or_default();
        let limit = match page.limit {
            None => self.limits.default_page_size,
            Some(0) => return Err(RpcError::invalid_params("page limit must be at least 1")),
            Some(n) if n > self.limits.max_page_size => {
                return Err(RpcError::invalid_params(format!(
                    "page limit {n} exceeds the maximum of {}",
                    self.limits.max_page_size
                )));
            }
            Some(n) => n,
        };
        if let Some(cursor) = &page.cursor
            && cursor.len() > self.limits.max_cursor_chars
        {
            return Err(RpcError::invalid_params(format!(
                "cursor of {} characters exceeds the maximum of {}; pass back `next_cursor` as \
                 returned",
                cursor.len(),
                self.limits.max_cursor_chars
            )));
        }
        Ok(PageQuery {
            cursor: page.cursor,
            limit,
        })
    }
}

/// Check a libp2p peer id's shape (base58, bounded) before it reaches the node.
fn validate_peer_id(peer_id: &str) -> Result<(), RpcError> {
    const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if peer_id.is_empty() || peer_id.len() > 128 || !peer_id.chars().all(|c| BASE58.contains(c)) {
        return Err(RpcError::invalid_params(
            "peer_id must be a base58 libp2p peer id of 1 to 128 characters",
        ));
    }
    Ok(())
}

/// Decode the hex of a signed transaction, refusing oversize input before decoding it.
fn decode_tx_hex(tx: &str, max_tx_bytes: usize) -> Result<Vec<u8>, RpcError> {
    let max_chars = max_tx_bytes.saturating_mul(2);
    if tx.len() > max_chars {
        return Err(RpcError::invalid_params(format!(
            "transaction hex is {} characters; the limit is {max_chars} ({max_tx_bytes} bytes)",
            tx.len()
        )));
    }
    if tx.is_empty()
        || !tx.len().is_multiple_of(2)
        || !tx.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(RpcError::invalid_params(
            "tx must be the canonical signed transaction as lowercase hex: an even number of \
             0-9a-f characters, no 0x prefix",
        ));
    }
    hex::decode(tx).map_err(|e| RpcError::invalid_params(format!("tx hex: {e}")))
}

/// Forward items from a broadcast receiver to a subscription until either side closes.
///
/// `filter` picks and maps items; returning `Some((item, last))` sends `item` and ends the
/// subscription after it when `last` is true. A lagging receiver skips missed items when
/// `lag_is_fatal` is false (heads: only the newest matter) and ends the subscription with an
/// error when true (records: the client must re-read to not miss any).
async fn pump<T, U, F>(
    sink: SubscriptionSink,
    mut rx: broadcast::Receiver<T>,
    lag_is_fatal: bool,
    mut filter: F,
) -> SubscriptionResult
where
    T: Clone,
    U: serde::Serialize,
    F: FnMut(T) -> Option<(U, bool)>,
{
    loop {
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            received = rx.recv() => match received {
                Ok(item) => {
                    if let Some((out, last)) = filter(item) {
                        let msg = serde_json::value::to_raw_value(&out)?;
                        if sink.send(msg).await.is_err() {
                            return Ok(());
                        }
                        if last {
                            return Ok(());
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    if lag_is_fatal {
                        return Err(format!(
                            "subscription fell behind and missed {missed} notifications; \
                             re-read the current state and subscribe again"
                        )
                        .into());
                    }
                    tracing::debug!(missed, "subscriber lagged; skipping missed items");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return Err("the node stopped publishing notifications".into());
                }
            }
        }
    }
}

/// Read the next required positional parameter.
fn required<'a, T: serde::Deserialize<'a>>(
    seq: &mut ParamsSequence<'a>,
    name: &str,
) -> Result<T, RpcError> {
    seq.next::<T>()
        .map_err(|e| RpcError::invalid_params(format!("parameter `{name}`: {}", e.message())))
}

/// Read the next optional positional parameter (missing or `null` = `None`).
fn optional<'a, T: serde::Deserialize<'a>>(
    seq: &mut ParamsSequence<'a>,
    name: &str,
) -> Result<Option<T>, RpcError> {
    seq.optional_next::<T>()
        .map_err(|e| RpcError::invalid_params(format!("parameter `{name}`: {}", e.message())))
}

/// Refuse parameters beyond those the method takes.
fn no_more(mut seq: ParamsSequence<'_>, method: &str, takes: usize) -> Result<(), RpcError> {
    match seq.optional_next::<serde_json::Value>() {
        Ok(None) => Ok(()),
        _ => Err(RpcError::invalid_params(format!(
            "{method} takes {takes} positional parameter(s); see rpc.discover"
        ))),
    }
}

/// Register one method whose handler reads its parameters from a `ParamsSequence` and calls
/// an `Api` method returning `Result<T, RpcError>`.
macro_rules! register {
    ($module:expr, $name:literal, |$api:ident $(, $kind:ident $arg:ident)*| $call:expr) => {{
        $module.register_async_method($name, |params, ctx, _| async move {
            let $api: &Api = &ctx;
            #[allow(unused_mut)]
            let mut seq = params.sequence();
            let mut _takes = 0usize;
            $(
                _takes += 1;
                let $arg = $kind(&mut seq, stringify!($arg))?;
            )*
            no_more(seq, $name, _takes)?;
            $call.await.map_err(ErrorObjectOwned::from)
        })?;
    }};
}

/// Register the three subscriptions.
macro_rules! subscription {
    ($module:expr, $name:literal, $unsub:literal, |$api:ident, $pending:ident $(, $arg:ident)*| $call:expr) => {{
        $module.register_subscription($name, $name, $unsub, |params, $pending, ctx, _| async move {
            let $api: &Api = &ctx;
            #[allow(unused_mut)]
            let mut seq = params.sequence();
            let mut _takes = 0usize;
            $(
                _takes += 1;
                let $arg = match required(&mut seq, stringify!($arg)) {
                    Ok(v) => v,
                    Err(e) => {
                        $pending.reject(e).await;
                        return Ok(());
                    }
                };
            )*
            if let Err(e) = no_more(seq, $name, _takes) {
                $pending.reject(e).await;
                return Ok(());
            }
            $call.await
        })?;
    }};
}

fn register_all(module: &mut RpcModule<Api>) -> Result<(), RegisterMethodError> {
    register!(module, "chain_getTip", |api| api.backend.tip());
    register!(module, "chain_getBlockByHeight", |api, required height| api
        .backend
        .block_by_height(height));
    register!(module, "chain_getBlockByHash", |api, required hash| api
        .backend
        .block_by_hash(hash));
    register!(module, "chain_getHeader", |api, required block| api.backend.header(block));
    register!(module, "chain_getInfo", |api| api.backend.chain_info());
    register!(module, "tx_send", |api, required tx| api.tx_send(tx));
    register!(module, "tx_get", |api, required txid| api.backend.tx(txid));
    register!(module, "tx_pending", |api, optional limit| api.tx_pending(limit));
    register!(module, "state_getAccount", |api, required address| api
        .backend
        .account(address));
    register!(module, "state_getModel", |api, required id| api.backend.model(id));
    register!(module, "state_getModels", |api, optional page| api.models(page));
    register!(module, "state_getMiner", |api, required address| api.backend.miner(address));
    register!(module, "state_getMiners", |api, optional page| api.miners(page));
    register!(module, "state_getJob", |api, required id| api.backend.job(id));
    register!(module, "state_getRecord", |api, required id| api.backend.record(id));
    register!(module, "state_getRecordsByOwner", |api, required owner, optional page| api
        .records_by_owner(owner, page));
    register!(module, "state_getListings", |api, optional filter| api.listings(filter));
    register!(module, "state_getListing", |api, required id| api.backend.listing(id));
    register!(module, "state_getPurchase", |api, required id| api.backend.purchase(id));
    register!(module, "state_getComplaints", |api, optional filter| api.complaints(filter));
    register!(module, "state_getSellerStats", |api, required address| api
        .backend
        .seller_stats(address));
    register!(module, "state_getRecordHistory", |api, required id| api
        .backend
        .record_history(id, api.limits.max_page_size));
    register!(module, "net_peers", |api| api.backend.peers());
    register!(module, "net_nodeInfo", |api| api.backend.node_info());
    register!(module, "dev_mine", |api, required n| api.dev_mine(n));
    register!(module, "admin_blockPeer", |api, required peer_id| api.block_peer(peer_id));
    register!(module, "admin_unblockPeer", |api, required peer_id| api.unblock_peer(peer_id));
    register!(module, "rpc.discover", |api| api.discover());
    subscription!(
        module,
        "chain_subscribeNewHeads",
        "chain_unsubscribeNewHeads",
        |api, pending| api.subscribe_new_heads(pending)
    );
    subscription!(
        module,
        "state_subscribeJobResult",
        "state_unsubscribeJobResult",
        |api, pending, job| api.subscribe_job_result(pending, job)
    );
    subscription!(
        module,
        "state_subscribeOwnerRecords",
        "state_unsubscribeOwnerRecords",
        |api, pending, owner| api.subscribe_owner_records(pending, owner)
    );
    Ok(())
}

impl Api {
    async fn tx_send(&self, tx: String) -> Result<H256, RpcError> {
        let bytes = decode_tx_hex(&tx, self.limits.max_tx_bytes)?;
        self.backend.send_tx(bytes).await
    }

    async fn tx_pending(&self, limit: Option<u32>) -> Result<Vec<TransactionView>, RpcError> {
        let limit = limit.unwrap_or(100).min(self.limits.max_pending);
        if limit == 0 {
            return Err(RpcError::invalid_params("limit must be at least 1"));
        }
        self.backend.pending(limit).await
    }

    async fn models(&self, page: Option<PageRequest>) -> Result<Page<ModelView>, RpcError> {
        let page = self.page(page)?;
        self.backend.models(page).await
    }

    async fn miners(&self, page: Option<PageRequest>) -> Result<Page<MinerView>, RpcError> {
        let page = self.page(page)?;
        self.backend.miners(page).await
    }

    async fn records_by_owner(
        &self,
        owner: Address,
        page: Option<PageRequest>,
    ) -> Result<Page<RecordView>, RpcError> {
        let page = self.page(page)?;
        self.backend.records_by_owner(owner, page).await
    }

    async fn listings(&self, filter: Option<ListingFilter>) -> Result<Page<ListingView>, RpcError> {
        let filter = filter.unwrap_or_default();
        let query = ListingQuery {
            seller: filter.seller,
            model: filter.model,
            status: filter.status,
            page: self.page(Some(filter.page))?,
        };
        self.backend.listings(query).await
    }

    async fn complaints(
        &self,
        filter: Option<ComplaintFilter>,
    ) -> Result<Vec<ComplaintView>, RpcError> {
        let filter = filter.unwrap_or_default();
        let page = self.page(Some(filter.page))?;
        let after = page
            .cursor
            .as_deref()
            .map(parse_complaint_cursor)
            .transpose()?;
        let query = ComplaintQuery {
            seller: filter.seller,
            purchase: filter.purchase,
            after,
            limit: page.limit,
        };
        self.backend.complaints(query).await
    }

    async fn dev_mine(&self, n: u32) -> Result<DevMineView, RpcError> {
        if n == 0 || n > self.limits.max_dev_mine {
            return Err(RpcError::invalid_params(format!(
                "n must be between 1 and {}",
                self.limits.max_dev_mine
            )));
        }
        self.backend.dev_mine(n).await
    }

    async fn block_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        validate_peer_id(&peer_id)?;
        self.backend.block_peer(peer_id).await
    }

    async fn unblock_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        validate_peer_id(&peer_id)?;
        self.backend.unblock_peer(peer_id).await
    }

    async fn discover(&self) -> Result<serde_json::Value, RpcError> {
        Ok((*self.openrpc).clone())
    }

    async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let rx = self.backend.subscribe_new_heads();
        let sink = pending.accept().await?;
        pump(sink, rx, false, |head| Some((head, false))).await
    }

    async fn subscribe_job_result(
        &self,
        pending: PendingSubscriptionSink,
        job: H256,
    ) -> SubscriptionResult {
        // Subscribe before reading the job, so a result landing in between is not missed.
        let rx = self.backend.subscribe_job_results();
        let current = match self.backend.job(job).await {
            Ok(Some(view)) => view,
            Ok(None) => {
                pending.reject(RpcError::UnknownJob { job }).await;
                return Ok(());
            }
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        };
        let sink = pending.accept().await?;
        if current.status != JobStatus::Pending {
            let msg = serde_json::value::to_raw_value(&current)?;
            // A send error means the client went away: nothing left to do.
            let _ = sink.send(msg).await;
            return Ok(());
        }
        pump(sink, rx, true, |view: JobView| {
            (view.id == job && view.status != JobStatus::Pending).then_some((view, true))
        })
        .await
    }

    async fn subscribe_owner_records(
        &self,
        pending: PendingSubscriptionSink,
        owner: Address,
    ) -> SubscriptionResult {
        let rx = self.backend.subscribe_records();
        let sink = pending.accept().await?;
        pump(sink, rx, true, |record: RecordView| {
            (record.owner == owner).then_some((record, false))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_hex_is_capped_before_decoding() {
        assert_eq!(decode_tx_hex("0aff", 10).unwrap(), vec![0x0a, 0xff]);
        let err = decode_tx_hex(&"00".repeat(11), 10).unwrap_err();
        assert!(err.to_string().contains("limit is 20"), "{err}");
        for bad in ["", "0", "0x00", "ZZ", "0A"] {
            assert!(
                matches!(decode_tx_hex(bad, 10), Err(RpcError::InvalidParams { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn complaint_cursors_parse_or_are_refused() {
        let hex = "11".repeat(32);
        assert_eq!(
            parse_complaint_cursor(&format!("{hex}:7")).unwrap(),
            (H256([0x11; 32]), 7)
        );
        for bad in [
            String::new(),
            hex.clone(),
            format!("{hex}:"),
            format!("{hex}:-1"),
            "zz:1".to_owned(),
            format!("{hex}:4294967296"),
        ] {
            assert!(
                matches!(
                    parse_complaint_cursor(&bad),
                    Err(RpcError::InvalidParams { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn peer_ids_are_base58_and_bounded() {
        assert!(validate_peer_id("12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN").is_ok());
        assert!(validate_peer_id("").is_err());
        assert!(validate_peer_id("0OIl").is_err());
        assert!(validate_peer_id(&"a".repeat(129)).is_err());
    }
}
