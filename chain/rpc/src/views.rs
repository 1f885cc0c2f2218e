//! JSON views of chain objects as the API returns them.
//!
//! This module owns the shape of every object a method returns or a subscription delivers:
//! tips, headers, blocks, transactions (with status and confirmations), accounts, models,
//! miners (offers and reputation), jobs, records, listings, purchases, complaints, seller
//! market history, record history events, peers, node and chain info. The
//! node builds these from its protocol values; clients read them. Field names are
//! `snake_case`; hashes and keys are lowercase hex, addresses bech32m, amounts decimal
//! strings in base units (see [`crate::primitives`]).
//!
//! Records never carry plaintext: only the ciphertext, sealed keys, commitments and metadata
//! that are public on chain.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::primitives::{Address, Amount, Bytes, H256, U64String, Work};

/// The node's current best block (`chain_getTip`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TipView {
    /// Height of the tip (genesis = 0).
    pub height: u64,
    /// Hash of the tip block.
    pub hash: H256,
    /// Total proof-of-work of the chain ending at the tip.
    pub cumulative_work: Work,
}

/// A block header with its hash and height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeaderView {
    /// Block hash (hash of the canonical header).
    pub hash: H256,
    /// Height of the block.
    pub height: u64,
    /// Header format version.
    pub version: u32,
    /// Hash of the parent block (all zeros for genesis).
    pub prev_hash: H256,
    /// Block timestamp, unix seconds.
    pub timestamp: u64,
    /// Proof-of-work target as a 256-bit big-endian value in hex.
    pub target: H256,
    /// Proof-of-work nonce (a decimal string: it can exceed 2^53).
    pub nonce: U64String,
    /// Merkle root of the block's transaction ids, coinbase first.
    pub tx_root: H256,
    /// Commitment to the state after this block.
    pub state_root: H256,
}

/// The coinbase of a block: the reward plus fees paid to the miner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoinbaseView {
    /// Who receives the reward.
    pub recipient: Address,
    /// Reward plus fees, in base units.
    pub amount: Amount,
}

/// A full block (`chain_getBlockByHeight`, `chain_getBlockByHash`): the header fields, with
/// `hash` and `height`, at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockView {
    /// The header, flattened into the block object.
    #[serde(flatten)]
    pub header: HeaderView,
    /// Size of the canonical block encoding in bytes.
    pub size: u64,
    /// The coinbase.
    pub coinbase: CoinbaseView,
    /// The block's transactions in block order.
    pub transactions: Vec<TransactionView>,
}

/// A signed transaction as it appears on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TransactionView {
    /// Transaction id (hash of the canonical signed transaction).
    pub txid: H256,
    /// The signer.
    pub sender: Address,
    /// The sender's account nonce this transaction uses.
    pub nonce: u64,
    /// Fee paid, in base units.
    pub fee: Amount,
    /// Size of the canonical signed encoding in bytes.
    pub size: u64,
    /// What the transaction does.
    pub kind: TxKindView,
}

/// Where a transaction is, seen from the answering node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    /// In the node's mempool, not yet in a block of the best chain.
    Pending,
    /// In a block of the best chain.
    Confirmed,
}

/// A transaction with its status (`tx_get`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TxView {
    /// The transaction, flattened into this object.
    #[serde(flatten)]
    pub tx: TransactionView,
    /// Pending or confirmed.
    pub status: TxStatus,
    /// Hash of the including block (confirmed only).
    pub block_hash: Option<H256>,
    /// Height of the including block (confirmed only).
    pub block_height: Option<u64>,
    /// Number of best-chain blocks from the including block to the tip, inclusive (1 = in the
    /// tip); 0 when pending.
    pub confirmations: u64,
}

/// An HPKE sealed box: the encapsulated key and the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SealedBoxView {
    /// Encapsulated X25519 key.
    pub enc: H256,
    /// AEAD ciphertext.
    pub ciphertext: Bytes,
}

/// Sampling parameters of a job, in fixed point so that no floats reach consensus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SamplingView {
    /// Temperature × 1000 (0 = greedy).
    pub temperature_milli: u32,
    /// Top-p × 1000.
    pub top_p_milli: u32,
    /// Top-k (0 = off).
    pub top_k: u32,
    /// Sampler seed (a decimal string: it can exceed 2^53).
    pub seed: U64String,
}

/// A model's parent, for a model registered as a fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ParentView {
    /// The parent model id.
    pub model: H256,
    /// The parent's share of this model's royalty, basis points.
    pub share_bps: u16,
}

/// A miner's price offer for one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OfferView {
    /// The model served.
    pub model: H256,
    /// Price per input token, base units.
    pub price_in: Amount,
    /// Price per output token, base units.
    pub price_out: Amount,
    /// Most output tokens the miner generates per job.
    pub max_output_tokens: u32,
}

/// A miner's attestation as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AttestationView {
    /// No attestation.
    None,
    /// A simulated attestation (dev and test chains only).
    Simulated {
        /// The report data binding the serving key and model ids.
        report_data: H256,
    },
    /// An Intel TDX quote.
    Tdx {
        /// The raw quote.
        quote: Bytes,
    },
}

/// What a transaction does, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TxKindView {
    /// Move INF.
    Transfer {
        /// Recipient.
        to: Address,
        /// Amount moved, base units.
        amount: Amount,
    },
    /// Register a model.
    RegisterModel {
        /// Model id (BLAKE3 of the weights file).
        model: H256,
        /// Display name.
        name: String,
        /// Architecture name (e.g. `llama`).
        architecture: String,
        /// Context length in tokens.
        context_length: u32,
        /// Royalty on jobs and sales, basis points.
        royalty_bps: u16,
        /// Parent model, for a fork.
        parent: Option<ParentView>,
    },
    /// Register as a miner.
    RegisterMiner {
        /// X25519 key prompts are sealed to.
        serving_key: H256,
        /// Offers per model.
        offers: Vec<OfferView>,
        /// The miner's p2p address.
        p2p_addr: String,
        /// Attestation.
        attestation: AttestationView,
        /// Bond locked, base units.
        bond: Amount,
    },
    /// Update a miner's registration.
    UpdateMiner {
        /// X25519 key prompts are sealed to.
        serving_key: H256,
        /// Offers per model.
        offers: Vec<OfferView>,
        /// The miner's p2p address.
        p2p_addr: String,
        /// Attestation.
        attestation: AttestationView,
        /// Extra bond added (0 for none).
        bond_top_up: Amount,
    },
    /// Start unbonding and leave the miner set.
    Unregister,
    /// Submit a private inference job.
    SubmitJob {
        /// The chosen miner.
        miner: Address,
        /// The model.
        model: H256,
        /// The prompt sealed to the miner's serving key.
        sealed_prompt: SealedBoxView,
        /// The user's X25519 reply key.
        reply_key: H256,
        /// Input token limit.
        max_input_tokens: u32,
        /// Output token limit.
        max_output_tokens: u32,
        /// Price cap per input token.
        price_in: Amount,
        /// Price cap per output token.
        price_out: Amount,
        /// Sampling parameters.
        sampling: SamplingView,
        /// Height at which an unanswered job is refunded.
        expiry: u64,
        /// Whether only an attested miner may serve it.
        require_attestation: bool,
    },
    /// Post a job's result; mints a record.
    PostResult {
        /// The job answered.
        job: H256,
        /// Input tokens consumed.
        input_tokens: u32,
        /// Output tokens produced.
        output_tokens: u32,
        /// Record ciphertext (prompt and answer under the record key).
        payload: Bytes,
        /// The record key sealed to the user.
        sealed_record_key: SealedBoxView,
        /// The miner's commitment to the plaintext pair.
        commitment: H256,
        /// Whether attestation evidence was attached.
        attested: bool,
    },
    /// Transfer a record to a new owner.
    TransferRecord {
        /// The record.
        record: H256,
        /// The new owner.
        to: Address,
        /// The record key sealed to the new owner.
        sealed_key: SealedBoxView,
    },
    /// List one record or a bundle for sale.
    ListRecords {
        /// Records offered.
        records: Vec<H256>,
        /// Price, base units.
        price: Amount,
        /// Last height the listing is open.
        until: u64,
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
    /// Cancel a listing.
    CancelListing {
        /// The listing.
        listing: H256,
    },
    /// Buy a listing (escrows the price).
    Buy {
        /// The listing.
        listing: H256,
        /// The buyer's X25519 reply key.
        reply_key: H256,
    },
    /// Deliver a purchase: record keys sealed to the buyer.
    Deliver {
        /// The purchase.
        purchase: H256,
        /// One sealed key per record, in listing order.
        sealed_keys: Vec<SealedBoxView>,
    },
    /// Rate a served job.
    RateJob {
        /// The job.
        job: H256,
        /// Score, 1 to 5.
        score: u8,
    },
    /// The buyer of a delivered purchase complains about one of its records.
    Complain {
        /// The delivered purchase.
        purchase: H256,
        /// Index of the record in the listing's `records`.
        record_index: u32,
        /// What the buyer's check found.
        reason: ComplaintReasonView,
        /// The buyer's free text.
        detail: String,
    },
}

/// Why a buyer complains about a delivered record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintReasonView {
    /// The delivered sealed key does not open with the buyer's reply key, or the record does
    /// not decrypt with it.
    KeyDoesNotOpen,
    /// The decrypted pair does not match the miner's commitment.
    CommitmentMismatch,
    /// Model id or token counts do not match the miner's receipt.
    ReceiptMismatch,
    /// Anything else (see `detail`).
    Other,
}

/// An account (`state_getAccount`). An address never seen has balance 0 and nonce 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccountView {
    /// The address.
    pub address: Address,
    /// Spendable balance, base units.
    pub balance: Amount,
    /// Nonce the next transaction must use, per the best chain's state.
    pub nonce: u64,
    /// Nonce the next transaction should use counting this node's pending transactions.
    pub next_nonce: u64,
    /// The account's X25519 reply key, if it has published one.
    pub reply_key: Option<H256>,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModelView {
    /// Model id (BLAKE3 of the weights file).
    pub id: H256,
    /// Who registered it and receives royalties.
    pub owner: Address,
    /// Display name.
    pub name: String,
    /// Architecture name.
    pub architecture: String,
    /// Context length in tokens.
    pub context_length: u32,
    /// Royalty, basis points.
    pub royalty_bps: u16,
    /// Parent model, for a fork.
    pub parent: Option<ParentView>,
    /// Height of registration.
    pub registered_at: u64,
}

/// A miner's reputation counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReputationView {
    /// Jobs answered in time.
    pub served: u64,
    /// Jobs that expired without an answer.
    pub expired: u64,
    /// Sum of the ratings received.
    pub ratings_sum: u64,
    /// Number of ratings received.
    pub ratings_count: u64,
}

/// A registered miner with its offers and reputation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MinerView {
    /// The miner's account address.
    pub address: Address,
    /// X25519 key prompts are sealed to.
    pub serving_key: H256,
    /// Offers per model.
    pub offers: Vec<OfferView>,
    /// The miner's p2p address.
    pub p2p_addr: String,
    /// Attestation.
    pub attestation: AttestationView,
    /// Bond locked, base units.
    pub bond: Amount,
    /// Height of registration.
    pub registered_at: u64,
    /// Height at which the bond is released, once unregistering.
    pub unbonding_at: Option<u64>,
    /// Reputation counters.
    pub reputation: ReputationView,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for the miner's result.
    Pending,
    /// Answered: the result is on chain and a record was minted.
    Completed,
    /// Expired without an answer and refunded.
    Expired,
}

/// A job (`state_getJob`, `state_subscribeJobResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JobView {
    /// Job id (txid of the `SubmitJob`).
    pub id: H256,
    /// The user who submitted it.
    pub user: Address,
    /// The chosen miner.
    pub miner: Address,
    /// The model.
    pub model: H256,
    /// Status.
    pub status: JobStatus,
    /// Height of the block that included the `SubmitJob`.
    pub submitted_at: u64,
    /// Height at which an unanswered job is refunded.
    pub expiry: u64,
    /// Input token limit.
    pub max_input_tokens: u32,
    /// Output token limit.
    pub max_output_tokens: u32,
    /// Price cap per input token.
    pub price_in: Amount,
    /// Price cap per output token.
    pub price_out: Amount,
    /// Amount escrowed from the user.
    pub escrow: Amount,
    /// Sampling parameters asked for.
    pub sampling: SamplingView,
    /// Whether only an attested miner may serve it.
    pub require_attestation: bool,
    /// Height at which the job was completed or expired.
    pub settled_at: Option<u64>,
    /// The minted record's id (equal to the job id), once completed.
    pub record: Option<H256>,
    /// The user's rating, once given.
    pub rating: Option<u8>,
}

/// A record: the sealed result of a job, owned by a user. No plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordView {
    /// Record id (= the job id it came from).
    pub id: H256,
    /// Current owner.
    pub owner: Address,
    /// The miner that produced it.
    pub miner: Address,
    /// The model.
    pub model: H256,
    /// The record key sealed to the current owner.
    pub sealed_key: SealedBoxView,
    /// The ciphertext of the prompt and answer under the record key.
    pub payload: Bytes,
    /// The miner's commitment to the plaintext pair.
    pub commitment: H256,
    /// Input tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Sampling parameters used.
    pub sampling: SamplingView,
    /// The user the job was served for (the first owner).
    pub user: Address,
    /// Hash of the sealed prompt the miner answered.
    pub request_hash: H256,
    /// Height at which it was minted.
    pub minted_at: u64,
    /// The open listing that offers it, if any.
    pub listing: Option<H256>,
}

/// Where a listing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// Open for a buyer.
    Open,
    /// Bought; waiting for the seller's delivery.
    Purchased,
    /// Delivered to the buyer.
    Delivered,
    /// Cancelled by the seller.
    Cancelled,
    /// Still open on chain but past its `until` height: it can no longer be bought.
    Expired,
}

/// A market listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListingView {
    /// Listing id (txid of the `ListRecords`).
    pub id: H256,
    /// The seller.
    pub seller: Address,
    /// Records offered.
    pub records: Vec<H256>,
    /// Price, base units.
    pub price: Amount,
    /// Last height the listing is open.
    pub until: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Height of the `ListRecords`.
    pub created_at: u64,
    /// Status.
    pub status: ListingStatus,
    /// The purchase, once bought.
    pub purchase: Option<H256>,
}

/// Where a purchase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatusView {
    /// The price is in escrow; waiting for the seller's delivery.
    Pending,
    /// Delivered: the records belong to the buyer and the price was paid out.
    Delivered,
    /// Not delivered by the deadline: the price went back to the buyer.
    Refunded,
}

/// A purchase of a listing (`state_getPurchase`, and inside `state_getListing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PurchaseView {
    /// Purchase id (txid of the `Buy`).
    pub id: H256,
    /// The listing bought.
    pub listing: H256,
    /// The buyer.
    pub buyer: Address,
    /// The seller (the listing's).
    pub seller: Address,
    /// The buyer's X25519 key the record keys are sealed to.
    pub reply_key: H256,
    /// The price paid (held in escrow until delivery or refund), base units.
    pub price: Amount,
    /// Last height at which the seller may deliver.
    pub deadline: u64,
    /// Height of the `Buy`.
    pub created_at: u64,
    /// Status.
    pub status: PurchaseStatusView,
    /// Height of the `Deliver`, once delivered.
    pub delivered_at: Option<u64>,
    /// Height of the refund, once refunded.
    pub refunded_at: Option<u64>,
    /// Last height at which the buyer may complain (`delivered_at + complaint_window`), once
    /// delivered.
    pub complaint_deadline: Option<u64>,
}

/// A listing with its current purchase (`state_getListing`): every field of
/// [`ListingView`] at the top level, plus `purchase_detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListingDetailView {
    /// The listing.
    #[serde(flatten)]
    pub listing: ListingView,
    /// The purchase named by `purchase` (pending or delivered), if any.
    pub purchase_detail: Option<PurchaseView>,
}

/// A complaint recorded on chain (`state_getComplaints`). The chain checked who complained
/// and when, not whether the complaint is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ComplaintView {
    /// The purchase complained about.
    pub purchase: H256,
    /// Index of the record in the listing.
    pub record_index: u32,
    /// The listing bought.
    pub listing: H256,
    /// The record complained about.
    pub record: H256,
    /// The buyer who complained.
    pub buyer: Address,
    /// The seller complained about.
    pub seller: Address,
    /// What the buyer's check found.
    pub reason: ComplaintReasonView,
    /// The buyer's free text.
    pub detail: String,
    /// Height of the `Complain`.
    pub height: u64,
    /// Txid of the `Complain`, when the node's indexes know it.
    pub txid: Option<H256>,
}

/// Which complaints `state_getComplaints` returns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ComplaintFilter {
    /// Only complaints about this seller.
    #[serde(default)]
    pub seller: Option<Address>,
    /// Only complaints about this purchase.
    #[serde(default)]
    pub purchase: Option<H256>,
    /// Paging: `limit` caps the answer; to continue, pass as `cursor` the
    /// `"<purchase>:<record_index>"` of the last complaint received.
    #[serde(default)]
    pub page: PageRequest,
}

/// A seller's market history (`state_getSellerStats`); all zero for an address that never
/// sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SellerStatsView {
    /// The seller.
    pub address: Address,
    /// Listings created.
    pub listings: u64,
    /// Purchases delivered.
    pub sales: u64,
    /// Purchases refunded because the seller did not deliver by the deadline.
    pub refunded: u64,
    /// Listings cancelled.
    pub cancelled: u64,
    /// Complaints buyers filed about the seller's deliveries.
    pub complaints: u64,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordEventKind {
    /// Minted by the miner's `PostResult` (`from`: the miner, `to`: the job's user).
    Minted,
    /// Given away by `TransferRecord` (`from` → `to`).
    Transferred,
    /// Offered in a listing (`from`: the seller, `price`: the listing's price).
    Listed,
    /// Its listing was cancelled (`from`: the seller).
    ListingCancelled,
    /// Sold: delivered to the buyer (`from`: the seller, `to`: the buyer, `price`: the
    /// listing's price).
    Sold,
    /// The buyer complained about it (`from`: the buyer, `to`: the seller).
    Complained,
}

/// One event of a record's ownership and sales history (`state_getRecordHistory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordEventView {
    /// Height of the block.
    pub height: u64,
    /// The transaction.
    pub txid: H256,
    /// What happened.
    pub kind: RecordEventKind,
    /// The party the record came from or the event's sender (see the kind).
    pub from: Option<Address>,
    /// The party the record went to or the event's counterparty (see the kind).
    pub to: Option<Address>,
    /// Price of the listing, for `listed` and `sold`, base units.
    pub price: Option<Amount>,
    /// The listing, for `listed`, `listing_cancelled`, `sold` and `complained`.
    pub listing: Option<H256>,
    /// The purchase, for `sold` and `complained`.
    pub purchase: Option<H256>,
}

/// A page of results with an opaque cursor for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Pass this as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which page of a listing to return.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct PageRequest {
    /// The `next_cursor` of the previous page; absent for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Items per page; absent means the server's default, more than the server's maximum is
    /// an error.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Which listings `state_getListings` returns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListingFilter {
    /// Only this seller's listings.
    #[serde(default)]
    pub seller: Option<Address>,
    /// Only listings containing records of this model.
    #[serde(default)]
    pub model: Option<H256>,
    /// Only listings with this status (default: any).
    #[serde(default)]
    pub status: Option<ListingStatus>,
    /// Paging.
    #[serde(default)]
    pub page: PageRequest,
}

/// Direction of a peer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeerDirection {
    /// The peer dialled us.
    Inbound,
    /// We dialled the peer.
    Outbound,
}

/// A connected peer (`net_peers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PeerView {
    /// libp2p peer id (base58).
    pub peer_id: String,
    /// Addresses the peer is connected on.
    pub addresses: Vec<String>,
    /// Who dialled.
    pub direction: PeerDirection,
    /// The peer's identify agent string, once known.
    pub agent: Option<String>,
    /// The peer's tip height from its last status message, once known.
    pub tip_height: Option<u64>,
    /// The peer's gossip score, once known.
    pub score: Option<f64>,
}

/// This node (`net_nodeInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodeInfoView {
    /// libp2p peer id (base58).
    pub peer_id: String,
    /// Multiaddresses the node listens on.
    pub listen_addrs: Vec<String>,
    /// Software name and version.
    pub version: String,
    /// Chain spec name.
    pub chain: String,
    /// Chain id (bound into every signature).
    pub chain_id: u64,
    /// Genesis block hash.
    pub genesis_hash: H256,
    /// Whether the node runs a dev chain (`dev_mine` available).
    pub dev: bool,
    /// Whether the node mines.
    pub mining: bool,
}

/// Sync progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SyncStatusView {
    /// True while the node is downloading blocks it knows it lacks.
    pub syncing: bool,
    /// The local tip height.
    pub current_height: u64,
    /// The best height announced by a connected peer, once known.
    pub best_peer_height: Option<u64>,
    /// Connected peers.
    pub peers: u32,
}

/// Mempool occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MempoolView {
    /// Pending transactions.
    pub count: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Chain information with sync status (`chain_getInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChainInfoView {
    /// Chain spec name.
    pub chain: String,
    /// Chain id (bound into every signature).
    pub chain_id: u64,
    /// Genesis block hash.
    pub genesis_hash: H256,
    /// The best block.
    pub tip: TipView,
    /// Target block interval, seconds.
    pub block_time_secs: u64,
    /// Minimum fee per byte of signed transaction, base units (the chain spec's).
    #[serde(default)]
    pub min_fee_per_byte: Amount,
    /// Blocks after a delivery during which the buyer may complain (the chain spec's).
    #[serde(default)]
    pub complaint_window: u64,
    /// Sync progress.
    pub sync: SyncStatusView,
    /// Mempool occupancy.
    pub mempool: MempoolView,
}

/// What `dev_mine` produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DevMineView {
    /// Hashes of the sealed blocks, in order.
    pub blocks: Vec<H256>,
    /// The tip after sealing.
    pub tip: TipView,
}

/// A block reference: a height (JSON number) or a block hash (hex string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BlockRef {
    /// By height in the best chain.
    Height(u64),
    /// By hash (any known block).
    Hash(H256),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> HeaderView {
        HeaderView {
            hash: H256([1; 32]),
            height: 7,
            version: 1,
            prev_hash: H256([2; 32]),
            timestamp: 1_700_000_000,
            target: H256([0xff; 32]),
            nonce: U64String(u64::MAX),
            tx_root: H256([3; 32]),
            state_root: H256([4; 32]),
        }
    }

    #[test]
    fn block_has_hash_and_height_at_top_level() {
        let block = BlockView {
            header: header(),
            size: 200,
            coinbase: CoinbaseView {
                recipient: Address([9; 32]),
                amount: Amount(50),
            },
            transactions: vec![TransactionView {
                txid: H256([5; 32]),
                sender: Address([6; 32]),
                nonce: 0,
                fee: Amount(10),
                size: 120,
                kind: TxKindView::Transfer {
                    to: Address([8; 32]),
                    amount: Amount(1),
                },
            }],
        };
        let v = serde_json::to_value(&block).unwrap();
        assert_eq!(v["hash"], "01".repeat(32));
        assert_eq!(v["height"], 7);
        assert_eq!(v["nonce"], "18446744073709551615");
        assert_eq!(v["transactions"][0]["kind"]["type"], "transfer");
        assert_eq!(v["transactions"][0]["kind"]["amount"], "1");
        let back: BlockView = serde_json::from_value(v).unwrap();
        assert_eq!(back, block);
    }

    #[test]
    fn block_ref_accepts_number_or_hash() {
        assert_eq!(
            serde_json::from_str::<BlockRef>("12").unwrap(),
            BlockRef::Height(12)
        );
        let h = format!("\"{}\"", "0a".repeat(32));
        assert_eq!(
            serde_json::from_str::<BlockRef>(&h).unwrap(),
            BlockRef::Hash(H256([10; 32]))
        );
        assert!(serde_json::from_str::<BlockRef>("\"xyz\"").is_err());
        assert!(serde_json::from_str::<BlockRef>("-1").is_err());
    }

    #[test]
    fn listing_filter_fields_are_optional() {
        let f: ListingFilter = serde_json::from_str("{}").unwrap();
        assert_eq!(f, ListingFilter::default());
        let f: ListingFilter =
            serde_json::from_str(r#"{"status":"open","page":{"limit":5}}"#).unwrap();
        assert_eq!(f.status, Some(ListingStatus::Open));
        assert_eq!(f.page.limit, Some(5));
    }
}
