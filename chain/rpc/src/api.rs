//! The typed client's API definition (feature `client`): one `#[rpc(client)]` trait listing
//! every method and subscription with its parameter and result types.
//!
//! jsonrpsee's macro turns the trait into `InfernetApiClient`, an extension trait on its HTTP
//! and WebSocket clients, so `client.chain_get_tip().await` calls `chain_getTip`. Method names
//! are `namespace_method` and are frozen: tools outside the project call them.
//!
//! The server does not use this trait: [`crate::server`] registers the same names by hand
//! (jsonrpsee's server macro emits `cfg(debug_assertions)` code that does not link against a
//! jsonrpsee built without debug assertions, as the workspace's dev profile builds
//! dependencies). Tests call every method of this trait against the server, and check that the
//! server's registered names equal the method table in [`crate::methods`].

use jsonrpsee::proc_macros::rpc;

use crate::primitives::{Address, H256};
use crate::views::{
    AccountView, BlockRef, BlockView, ChainInfoView, ComplaintFilter, ComplaintView, DevMineView,
    HeaderView, JobView, ListingDetailView, ListingFilter, ListingView, MinerView, ModelView,
    NodeInfoView, Page, PageRequest, PeerView, PurchaseView, RecordEventView, RecordView,
    SellerStatsView, TipView, TransactionView, TxView,
};

/// Every method of the Infernet JSON-RPC API (see `specs/rpc.md`).
#[rpc(client)]
pub trait InfernetApi {
    /// `chain_getTip`: the best block's height, hash and cumulative work.
    #[method(name = "chain_getTip")]
    async fn chain_get_tip(&self) -> RpcResult<TipView>;

    /// `chain_getBlockByHeight`: the best chain's block at `height`, or null.
    #[method(name = "chain_getBlockByHeight")]
    async fn chain_get_block_by_height(&self, height: u64) -> RpcResult<Option<BlockView>>;

    /// `chain_getBlockByHash`: any known block by hash, or null.
    #[method(name = "chain_getBlockByHash")]
    async fn chain_get_block_by_hash(&self, hash: H256) -> RpcResult<Option<BlockView>>;

    /// `chain_getHeader`: a header by height (number) or hash (hex string), or null.
    #[method(name = "chain_getHeader")]
    async fn chain_get_header(&self, block: BlockRef) -> RpcResult<Option<HeaderView>>;

    /// `chain_getInfo`: chain identity, tip, sync status and mempool occupancy.
    #[method(name = "chain_getInfo")]
    async fn chain_get_info(&self) -> RpcResult<ChainInfoView>;

    /// `tx_send`: submit the hex of a canonical signed transaction; returns its id.
    #[method(name = "tx_send")]
    async fn tx_send(&self, tx: String) -> RpcResult<H256>;

    /// `tx_get`: a transaction with status and confirmations, or null.
    #[method(name = "tx_get")]
    async fn tx_get(&self, txid: H256) -> RpcResult<Option<TxView>>;

    /// `tx_pending`: up to `limit` mempool transactions, best fee rate first.
    #[method(name = "tx_pending")]
    async fn tx_pending(&self, limit: Option<u32>) -> RpcResult<Vec<TransactionView>>;

    /// `state_getAccount`: balance and nonce of an address.
    #[method(name = "state_getAccount")]
    async fn state_get_account(&self, address: Address) -> RpcResult<AccountView>;

    /// `state_getModel`: a registered model, or null.
    #[method(name = "state_getModel")]
    async fn state_get_model(&self, id: H256) -> RpcResult<Option<ModelView>>;

    /// `state_getModels`: registered models, paged.
    #[method(name = "state_getModels")]
    async fn state_get_models(&self, page: Option<PageRequest>) -> RpcResult<Page<ModelView>>;

    /// `state_getMiner`: a registered miner with offers and reputation, or null.
    #[method(name = "state_getMiner")]
    async fn state_get_miner(&self, address: Address) -> RpcResult<Option<MinerView>>;

    /// `state_getMiners`: registered miners, paged.
    #[method(name = "state_getMiners")]
    async fn state_get_miners(&self, page: Option<PageRequest>) -> RpcResult<Page<MinerView>>;

    /// `state_getJob`: a job, or null.
    #[method(name = "state_getJob")]
    async fn state_get_job(&self, id: H256) -> RpcResult<Option<JobView>>;

    /// `state_getRecord`: a record (ciphertext and metadata only), or null.
    #[method(name = "state_getRecord")]
    async fn state_get_record(&self, id: H256) -> RpcResult<Option<RecordView>>;

    /// `state_getRecordsByOwner`: the records an address owns, paged.
    #[method(name = "state_getRecordsByOwner")]
    async fn state_get_records_by_owner(
        &self,
        owner: Address,
        page: Option<PageRequest>,
    ) -> RpcResult<Page<RecordView>>;

    /// `state_getListings`: market listings matching a filter, paged.
    #[method(name = "state_getListings")]
    async fn state_get_listings(
        &self,
        filter: Option<ListingFilter>,
    ) -> RpcResult<Page<ListingView>>;

    /// `state_getListing`: one listing with its current purchase, or null.
    #[method(name = "state_getListing")]
    async fn state_get_listing(&self, id: H256) -> RpcResult<Option<ListingDetailView>>;

    /// `state_getPurchase`: one purchase, or null.
    #[method(name = "state_getPurchase")]
    async fn state_get_purchase(&self, id: H256) -> RpcResult<Option<PurchaseView>>;

    /// `state_getComplaints`: complaints by seller and/or purchase.
    #[method(name = "state_getComplaints")]
    async fn state_get_complaints(
        &self,
        filter: Option<ComplaintFilter>,
    ) -> RpcResult<Vec<ComplaintView>>;

    /// `state_getSellerStats`: a seller's market history (zeros when none).
    #[method(name = "state_getSellerStats")]
    async fn state_get_seller_stats(&self, address: Address) -> RpcResult<SellerStatsView>;

    /// `state_getRecordHistory`: a record's ownership and sales events, oldest first.
    #[method(name = "state_getRecordHistory")]
    async fn state_get_record_history(&self, id: H256) -> RpcResult<Vec<RecordEventView>>;

    /// `net_peers`: connected peers.
    #[method(name = "net_peers")]
    async fn net_peers(&self) -> RpcResult<Vec<PeerView>>;

    /// `net_nodeInfo`: this node's identity and addresses.
    #[method(name = "net_nodeInfo")]
    async fn net_node_info(&self) -> RpcResult<NodeInfoView>;

    /// `dev_mine`: seal `n` blocks now (dev chains only).
    #[method(name = "dev_mine")]
    async fn dev_mine(&self, n: u32) -> RpcResult<DevMineView>;

    /// `admin_blockPeer`: disconnect a peer and refuse it until unblocked; true if newly
    /// blocked.
    #[method(name = "admin_blockPeer")]
    async fn admin_block_peer(&self, peer_id: String) -> RpcResult<bool>;

    /// `admin_unblockPeer`: lift a block; true if the peer was blocked.
    #[method(name = "admin_unblockPeer")]
    async fn admin_unblock_peer(&self, peer_id: String) -> RpcResult<bool>;

    /// `rpc.discover`: the OpenRPC document of this API.
    #[method(name = "rpc.discover")]
    async fn rpc_discover(&self) -> RpcResult<serde_json::Value>;

    /// `chain_subscribeNewHeads`: a header for every new best block.
    #[subscription(
        name = "chain_subscribeNewHeads",
        unsubscribe = "chain_unsubscribeNewHeads",
        item = HeaderView
    )]
    async fn chain_subscribe_new_heads(&self) -> SubscriptionResult;

    /// `state_subscribeJobResult`: the job once it is completed or expired, then the
    /// subscription ends.
    #[subscription(
        name = "state_subscribeJobResult",
        unsubscribe = "state_unsubscribeJobResult",
        item = JobView
    )]
    async fn state_subscribe_job_result(&self, job: H256) -> SubscriptionResult;

    /// `state_subscribeOwnerRecords`: every record that becomes owned by `owner`.
    #[subscription(
        name = "state_subscribeOwnerRecords",
        unsubscribe = "state_unsubscribeOwnerRecords",
        item = RecordView
    )]
    async fn state_subscribe_owner_records(&self, owner: Address) -> SubscriptionResult;
}
