//! The chain state as a generic key-value model: [`StateKey`] → [`StateValue`], with a
//! canonical encoding for both (storage keeps the bytes; the state root hashes them).
//!
//! The objects: [`Account`], [`Model`], [`Miner`] (offers, bond, [`Reputation`]), [`Job`],
//! [`Record`], [`Listing`], [`Purchase`], and the height-indexed queues the state transition
//! uses to act at a height without scanning (job expiries, purchase deadlines, maturing
//! rewards, bond releases), the buyers' [`Complaint`]s and each seller's [`SellerStats`]
//! (market history). What each transaction does to them is the consensus crate's
//! business (`specs/protocol.md`); this module only fixes their shape and bytes.

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, ReplyPublicKey, Signature};
use serde::{Deserialize, Serialize};

use crate::Amount;
use crate::encoding::{
    Decode, DecodeError, Encode, Reader, put_bool, put_bytes, put_list, put_option,
};
use crate::inference::{Attestation, Offer, Receipt, SamplingParams};
use crate::primitives::{
    Height, JobId, ListingId, ModelId, PurchaseId, RecordId, hex_bytes, put_sealed_box,
    read_sealed_box,
};
use crate::transaction::{ComplaintReason, ParentModel};

/// The key of a state entry. Encoded as a tag byte and the fields (see `specs/encoding.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "key", rename_all = "snake_case")]
pub enum StateKey {
    /// Tag 0: an account → [`StateValue::Account`].
    Account(Address),
    /// Tag 1: a registered model → [`StateValue::Model`].
    Model(ModelId),
    /// Tag 2: a miner registration → [`StateValue::Miner`].
    Miner(Address),
    /// Tag 3: a job → [`StateValue::Job`].
    Job(JobId),
    /// Tag 4: a record → [`StateValue::Record`].
    Record(RecordId),
    /// Tag 5: a listing → [`StateValue::Listing`].
    Listing(ListingId),
    /// Tag 6: a purchase → [`StateValue::Purchase`].
    Purchase(PurchaseId),
    /// Tag 7: jobs whose expiry height is this height → [`StateValue::JobQueue`].
    JobExpiry(Height),
    /// Tag 8: purchases whose delivery deadline is this height → [`StateValue::PurchaseQueue`].
    PurchaseDeadline(Height),
    /// Tag 9: rewards that mature (become spendable) at this height →
    /// [`StateValue::RewardQueue`].
    PendingReward(Height),
    /// Tag 10: miners whose bond is released at this height → [`StateValue::UnbondingQueue`].
    Unbonding(Height),
    /// Tag 11: the buyer's complaint about record `index` of a purchase →
    /// [`StateValue::Complaint`].
    Complaint(PurchaseId, u32),
    /// Tag 12: a seller's market history → [`StateValue::SellerStats`].
    SellerStats(Address),
}

impl StateKey {
    /// The tag byte (first byte of the encoding; storage can use it as a prefix).
    #[must_use]
    pub fn tag(&self) -> u8 {
        match self {
            StateKey::Account(_) => 0,
            StateKey::Model(_) => 1,
            StateKey::Miner(_) => 2,
            StateKey::Job(_) => 3,
            StateKey::Record(_) => 4,
            StateKey::Listing(_) => 5,
            StateKey::Purchase(_) => 6,
            StateKey::JobExpiry(_) => 7,
            StateKey::PurchaseDeadline(_) => 8,
            StateKey::PendingReward(_) => 9,
            StateKey::Unbonding(_) => 10,
            StateKey::Complaint(..) => 11,
            StateKey::SellerStats(_) => 12,
        }
    }
}

impl Encode for StateKey {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
        match self {
            StateKey::Account(a) | StateKey::Miner(a) | StateKey::SellerStats(a) => {
                a.encode_to(out);
            }
            StateKey::Complaint(purchase, index) => {
                purchase.encode_to(out);
                index.encode_to(out);
            }
            StateKey::Model(h)
            | StateKey::Job(h)
            | StateKey::Record(h)
            | StateKey::Listing(h)
            | StateKey::Purchase(h) => h.encode_to(out),
            StateKey::JobExpiry(h)
            | StateKey::PurchaseDeadline(h)
            | StateKey::PendingReward(h)
            | StateKey::Unbonding(h) => h.encode_to(out),
        }
    }
}

impl Decode for StateKey {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("StateKey")? {
            0 => StateKey::Account(Address::decode(r)?),
            1 => StateKey::Model(Hash::decode(r)?),
            2 => StateKey::Miner(Address::decode(r)?),
            3 => StateKey::Job(Hash::decode(r)?),
            4 => StateKey::Record(Hash::decode(r)?),
            5 => StateKey::Listing(Hash::decode(r)?),
            6 => StateKey::Purchase(Hash::decode(r)?),
            7 => StateKey::JobExpiry(r.u64("StateKey.height")?),
            8 => StateKey::PurchaseDeadline(r.u64("StateKey.height")?),
            9 => StateKey::PendingReward(r.u64("StateKey.height")?),
            10 => StateKey::Unbonding(r.u64("StateKey.height")?),
            11 => StateKey::Complaint(Hash::decode(r)?, r.u32("StateKey.record_index")?),
            12 => StateKey::SellerStats(Address::decode(r)?),
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "StateKey",
                    tag,
                });
            }
        })
    }
}

/// An account: spendable balance, nonce, and the reply key others may seal records to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Account {
    /// Spendable balance (escrows, bonds and immature rewards are held elsewhere).
    pub balance: Amount,
    /// Number of transactions this account has sent; the next one must carry this nonce.
    pub nonce: u64,
    /// The reply key of the account's latest `SubmitJob` or `Buy`, if any.
    pub reply_key: Option<ReplyPublicKey>,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// Model id (plain BLAKE3 of the weights file).
    pub id: ModelId,
    /// Who registered it and receives its royalties.
    pub owner: Address,
    /// Human-readable name.
    pub name: String,
    /// Architecture name.
    pub architecture: String,
    /// Context length in tokens.
    pub context_length: u32,
    /// Royalty on each job's cost, basis points.
    pub royalty_bps: u16,
    /// For a fork: the parent and its share.
    pub parent: Option<ParentModel>,
    /// Height of registration.
    pub registered_at: Height,
}

/// A miner's reputation counters, updated by the state transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reputation {
    /// Jobs completed with a result.
    pub served: u64,
    /// Jobs that expired without a result.
    pub expired: u64,
    /// Sum of the scores users gave.
    pub ratings_sum: u64,
    /// Number of ratings.
    pub ratings_count: u64,
}

/// A miner registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Miner {
    /// The miner's account.
    pub address: Address,
    /// X25519 key prompts are sealed to.
    pub serving_key: ReplyPublicKey,
    /// Models served and their prices.
    pub offers: Vec<Offer>,
    /// libp2p multiaddr.
    pub p2p_addr: String,
    /// Attestation given at registration or last update.
    pub attestation: Attestation,
    /// Locked bond.
    pub bond: Amount,
    /// Reputation counters.
    pub reputation: Reputation,
    /// Height of registration.
    pub registered_at: Height,
    /// Set by `Unregister`: the height at which the bond is released.
    pub unbonding_at: Option<Height>,
}

impl Miner {
    /// The offer for `model`, if the miner serves it.
    #[must_use]
    pub fn offer(&self, model: &ModelId) -> Option<&Offer> {
        self.offers.iter().find(|o| &o.model == model)
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobStatus {
    /// Tag 0: waiting for a result.
    Pending,
    /// Tag 1: settled by a `PostResult` included at `height`.
    Completed {
        /// Height of the block with the result.
        height: Height,
    },
    /// Tag 2: expired without a result and refunded at `height`.
    Expired {
        /// The expiry height.
        height: Height,
    },
}

/// A job and its escrow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Job id (txid of the `SubmitJob`).
    pub id: JobId,
    /// The user who submitted and pays.
    pub user: Address,
    /// The miner asked to serve.
    pub miner: Address,
    /// The model.
    pub model: ModelId,
    /// [`crate::request_hash`] of the sealed prompt.
    pub request_hash: Hash,
    /// The user's reply key.
    pub reply_key: ReplyPublicKey,
    /// Most input tokens paid for.
    pub max_input_tokens: u32,
    /// Most output tokens paid for.
    pub max_output_tokens: u32,
    /// Price per input token.
    pub price_in: Amount,
    /// Price per output token.
    pub price_out: Amount,
    /// Amount held in escrow (the maximum cost) until settlement or expiry.
    pub escrow: Amount,
    /// Sampling parameters.
    pub sampling: SamplingParams,
    /// Expiry height.
    pub expiry: Height,
    /// Whether the result must carry attestation evidence.
    pub require_attestation: bool,
    /// Height of the block with the `SubmitJob`.
    pub submitted_at: Height,
    /// Status.
    pub status: JobStatus,
    /// The user's score, once rated.
    pub rating: Option<u8>,
}

/// A record: the result of a job, owned and tradable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Record id (= the job id).
    pub id: RecordId,
    /// Current owner.
    pub owner: Address,
    /// The record key, sealed to the current owner.
    pub sealed_key: SealedBox,
    /// The payload ciphertext (never changes).
    #[serde(with = "hex_bytes")]
    pub payload: Vec<u8>,
    /// The miner's receipt (model, tokens, sampling, commitment, …).
    pub receipt: Receipt,
    /// The miner's signature over the receipt.
    pub receipt_signature: Signature,
    /// Height at which the record was minted.
    pub created_at: Height,
    /// The open or pending listing the record is part of; a listed record can't be
    /// transferred or listed again.
    pub listing: Option<ListingId>,
}

/// Where a listing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ListingStatus {
    /// Tag 0: can be bought.
    Open,
    /// Tag 1: bought, waiting for delivery.
    Pending {
        /// The purchase.
        purchase: PurchaseId,
    },
    /// Tag 2: delivered; ownership moved.
    Sold {
        /// The purchase.
        purchase: PurchaseId,
    },
    /// Tag 3: cancelled by the seller.
    Cancelled,
}

/// A market listing of one record or a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// Listing id (txid of the `ListRecords`).
    pub id: ListingId,
    /// The seller.
    pub seller: Address,
    /// The records offered, in order.
    pub records: Vec<RecordId>,
    /// Price of the whole listing.
    pub price: Amount,
    /// Last height at which it can be bought.
    pub until: Height,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Height of the `ListRecords`.
    pub created_at: Height,
    /// Status.
    pub status: ListingStatus,
}

/// Where a purchase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Tag 0: price in escrow, waiting for the seller's `Deliver`.
    Pending,
    /// Tag 1: delivered at `height`.
    Delivered {
        /// Height of the `Deliver`.
        height: Height,
    },
    /// Tag 2: not delivered by the deadline; refunded at `height`.
    Refunded {
        /// Height of the refund.
        height: Height,
    },
}

/// A purchase of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// Purchase id (txid of the `Buy`).
    pub id: PurchaseId,
    /// The listing bought.
    pub listing: ListingId,
    /// The buyer.
    pub buyer: Address,
    /// The buyer's X25519 key the record keys are sealed to.
    pub reply_key: ReplyPublicKey,
    /// The price held in escrow.
    pub escrow: Amount,
    /// Last height at which the seller may deliver; refunded after.
    pub deadline: Height,
    /// Height of the `Buy`.
    pub created_at: Height,
    /// Status.
    pub status: PurchaseStatus,
}

/// A buyer's complaint about one record of a delivered purchase, as recorded on chain. The
/// chain checks who may complain and when, never whether the complaint is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// The purchase complained about.
    pub purchase: PurchaseId,
    /// Index of the record in the listing.
    pub record_index: u32,
    /// The listing bought.
    pub listing: ListingId,
    /// The record complained about.
    pub record: RecordId,
    /// The buyer (the complaint's sender).
    pub buyer: Address,
    /// The seller complained about.
    pub seller: Address,
    /// What the buyer's check found.
    pub reason: ComplaintReason,
    /// The buyer's free text.
    pub detail: String,
    /// Height of the `Complain`.
    pub height: Height,
}

/// A seller's market history, kept by the state transition so that every buyer sees the
/// same record. Counters only grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SellerStats {
    /// Listings created (`ListRecords`).
    pub listings: u64,
    /// Purchases delivered (`Deliver`).
    pub sales: u64,
    /// Purchases that reached their deadline undelivered and were refunded.
    pub refunded: u64,
    /// Listings cancelled (`CancelListing`).
    pub cancelled: u64,
    /// Complaints buyers filed against the seller's deliveries (`Complain`).
    pub complaints: u64,
}

impl SellerStats {
    /// Encoded size (fixed).
    pub const ENCODED_LEN: usize = 5 * 8;
}

/// An amount owed to an address (an entry of the reward queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// Who is paid.
    pub to: Address,
    /// How much.
    pub amount: Amount,
}

impl Payout {
    /// Encoded size (fixed).
    pub const ENCODED_LEN: usize = 32 + 8;
}

/// The value of a state entry; which variant goes with which [`StateKey`] is given on the key.
// Boxing the large variants would make every constructor and match noisier for callers;
// the size (a few hundred bytes per value) is irrelevant next to the bytes they carry.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum StateValue {
    /// Tag 0.
    Account(Account),
    /// Tag 1.
    Model(Model),
    /// Tag 2.
    Miner(Miner),
    /// Tag 3.
    Job(Job),
    /// Tag 4.
    Record(Record),
    /// Tag 5.
    Listing(Listing),
    /// Tag 6.
    Purchase(Purchase),
    /// Tag 7: job ids, in the order they were queued.
    JobQueue(Vec<JobId>),
    /// Tag 8: purchase ids, in the order they were queued.
    PurchaseQueue(Vec<PurchaseId>),
    /// Tag 9: rewards that mature at the key's height.
    RewardQueue(Vec<Payout>),
    /// Tag 10: miners whose bond is released at the key's height.
    UnbondingQueue(Vec<Address>),
    /// Tag 11.
    Complaint(Complaint),
    /// Tag 12.
    SellerStats(SellerStats),
}

impl StateValue {
    /// The tag byte.
    #[must_use]
    pub fn tag(&self) -> u8 {
        match self {
            StateValue::Account(_) => 0,
            StateValue::Model(_) => 1,
            StateValue::Miner(_) => 2,
            StateValue::Job(_) => 3,
            StateValue::Record(_) => 4,
            StateValue::Listing(_) => 5,
            StateValue::Purchase(_) => 6,
            StateValue::JobQueue(_) => 7,
            StateValue::PurchaseQueue(_) => 8,
            StateValue::RewardQueue(_) => 9,
            StateValue::UnbondingQueue(_) => 10,
            StateValue::Complaint(_) => 11,
            StateValue::SellerStats(_) => 12,
        }
    }

    /// Whether this value is of the variant that `key` holds (same tag).
    #[must_use]
    pub fn matches_key(&self, key: &StateKey) -> bool {
        self.tag() == key.tag()
    }
}

// ---- encodings of the state objects ----

impl Encode for Account {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.balance.encode_to(out);
        self.nonce.encode_to(out);
        put_option(out, self.reply_key.as_ref());
    }
}

impl Decode for Account {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Account {
            balance: Amount::decode(r)?,
            nonce: r.u64("Account.nonce")?,
            reply_key: decode_option(r, "Option<ReplyPublicKey>")?,
        })
    }
}

fn decode_option<T: Decode>(
    r: &mut Reader<'_>,
    type_name: &'static str,
) -> Result<Option<T>, DecodeError> {
    if r.option_tag(type_name)? {
        Ok(Some(T::decode(r)?))
    } else {
        Ok(None)
    }
}

impl Encode for Model {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        self.owner.encode_to(out);
        put_bytes(out, self.name.as_bytes());
        put_bytes(out, self.architecture.as_bytes());
        self.context_length.encode_to(out);
        self.royalty_bps.encode_to(out);
        put_option(out, self.parent.as_ref());
        self.registered_at.encode_to(out);
    }
}

impl Decode for Model {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let max = r.limits().max_string_bytes;
        Ok(Model {
            id: Hash::decode(r)?,
            owner: Address::decode(r)?,
            name: r.string(max, "Model.name")?,
            architecture: r.string(max, "Model.architecture")?,
            context_length: r.u32("Model.context_length")?,
            royalty_bps: r.u16("Model.royalty_bps")?,
            parent: decode_option(r, "Option<ParentModel>")?,
            registered_at: r.u64("Model.registered_at")?,
        })
    }
}

impl Encode for Reputation {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.served.encode_to(out);
        self.expired.encode_to(out);
        self.ratings_sum.encode_to(out);
        self.ratings_count.encode_to(out);
    }
}

impl Decode for Reputation {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Reputation {
            served: r.u64("Reputation.served")?,
            expired: r.u64("Reputation.expired")?,
            ratings_sum: r.u64("Reputation.ratings_sum")?,
            ratings_count: r.u64("Reputation.ratings_count")?,
        })
    }
}

impl Encode for Miner {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.address.encode_to(out);
        self.serving_key.encode_to(out);
        put_list(out, &self.offers);
        put_bytes(out, self.p2p_addr.as_bytes());
        self.attestation.encode_to(out);
        self.bond.encode_to(out);
        self.reputation.encode_to(out);
        self.registered_at.encode_to(out);
        put_option(out, self.unbonding_at.as_ref());
    }
}

impl Decode for Miner {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(Miner {
            address: Address::decode(r)?,
            serving_key: ReplyPublicKey::decode(r)?,
            offers: r.list(l.max_offers, Offer::ENCODED_LEN, "Miner.offers")?,
            p2p_addr: r.string(l.max_string_bytes, "Miner.p2p_addr")?,
            attestation: Attestation::decode(r)?,
            bond: Amount::decode(r)?,
            reputation: Reputation::decode(r)?,
            registered_at: r.u64("Miner.registered_at")?,
            unbonding_at: decode_option(r, "Option<Height>")?,
        })
    }
}

impl Encode for JobStatus {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            JobStatus::Pending => out.push(0),
            JobStatus::Completed { height } => {
                out.push(1);
                height.encode_to(out);
            }
            JobStatus::Expired { height } => {
                out.push(2);
                height.encode_to(out);
            }
        }
    }
}

impl Decode for JobStatus {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("JobStatus")? {
            0 => JobStatus::Pending,
            1 => JobStatus::Completed {
                height: r.u64("JobStatus.height")?,
            },
            2 => JobStatus::Expired {
                height: r.u64("JobStatus.height")?,
            },
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "JobStatus",
                    tag,
                });
            }
        })
    }
}

impl Encode for Job {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        self.user.encode_to(out);
        self.miner.encode_to(out);
        self.model.encode_to(out);
        self.request_hash.encode_to(out);
        self.reply_key.encode_to(out);
        self.max_input_tokens.encode_to(out);
        self.max_output_tokens.encode_to(out);
        self.price_in.encode_to(out);
        self.price_out.encode_to(out);
        self.escrow.encode_to(out);
        self.sampling.encode_to(out);
        self.expiry.encode_to(out);
        put_bool(out, self.require_attestation);
        self.submitted_at.encode_to(out);
        self.status.encode_to(out);
        put_option(out, self.rating.as_ref());
    }
}

impl Decode for Job {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Job {
            id: Hash::decode(r)?,
            user: Address::decode(r)?,
            miner: Address::decode(r)?,
            model: Hash::decode(r)?,
            request_hash: Hash::decode(r)?,
            reply_key: ReplyPublicKey::decode(r)?,
            max_input_tokens: r.u32("Job.max_input_tokens")?,
            max_output_tokens: r.u32("Job.max_output_tokens")?,
            price_in: Amount::decode(r)?,
            price_out: Amount::decode(r)?,
            escrow: Amount::decode(r)?,
            sampling: SamplingParams::decode(r)?,
            expiry: r.u64("Job.expiry")?,
            require_attestation: r.bool("Job.require_attestation")?,
            submitted_at: r.u64("Job.submitted_at")?,
            status: JobStatus::decode(r)?,
            rating: decode_option(r, "Option<u8>")?,
        })
    }
}

impl Encode for Record {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        self.owner.encode_to(out);
        put_sealed_box(out, &self.sealed_key);
        put_bytes(out, &self.payload);
        self.receipt.encode_to(out);
        self.receipt_signature.encode_to(out);
        self.created_at.encode_to(out);
        put_option(out, self.listing.as_ref());
    }
}

impl Decode for Record {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(Record {
            id: Hash::decode(r)?,
            owner: Address::decode(r)?,
            sealed_key: read_sealed_box(r, l.max_sealed_key_bytes, "Record.sealed_key")?,
            payload: r.bytes(l.max_payload_bytes, "Record.payload")?,
            receipt: Receipt::decode(r)?,
            receipt_signature: Signature::decode(r)?,
            created_at: r.u64("Record.created_at")?,
            listing: decode_option(r, "Option<ListingId>")?,
        })
    }
}

impl Encode for ListingStatus {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            ListingStatus::Open => out.push(0),
            ListingStatus::Pending { purchase } => {
                out.push(1);
                purchase.encode_to(out);
            }
            ListingStatus::Sold { purchase } => {
                out.push(2);
                purchase.encode_to(out);
            }
            ListingStatus::Cancelled => out.push(3),
        }
    }
}

impl Decode for ListingStatus {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("ListingStatus")? {
            0 => ListingStatus::Open,
            1 => ListingStatus::Pending {
                purchase: Hash::decode(r)?,
            },
            2 => ListingStatus::Sold {
                purchase: Hash::decode(r)?,
            },
            3 => ListingStatus::Cancelled,
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "ListingStatus",
                    tag,
                });
            }
        })
    }
}

impl Encode for Listing {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        self.seller.encode_to(out);
        put_list(out, &self.records);
        self.price.encode_to(out);
        self.until.encode_to(out);
        put_bytes(out, self.title.as_bytes());
        put_bytes(out, self.description.as_bytes());
        self.created_at.encode_to(out);
        self.status.encode_to(out);
    }
}

impl Decode for Listing {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(Listing {
            id: Hash::decode(r)?,
            seller: Address::decode(r)?,
            records: r.list(l.max_bundle_records, 32, "Listing.records")?,
            price: Amount::decode(r)?,
            until: r.u64("Listing.until")?,
            title: r.string(l.max_string_bytes, "Listing.title")?,
            description: r.string(l.max_string_bytes, "Listing.description")?,
            created_at: r.u64("Listing.created_at")?,
            status: ListingStatus::decode(r)?,
        })
    }
}

impl Encode for PurchaseStatus {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            PurchaseStatus::Pending => out.push(0),
            PurchaseStatus::Delivered { height } => {
                out.push(1);
                height.encode_to(out);
            }
            PurchaseStatus::Refunded { height } => {
                out.push(2);
                height.encode_to(out);
            }
        }
    }
}

impl Decode for PurchaseStatus {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("PurchaseStatus")? {
            0 => PurchaseStatus::Pending,
            1 => PurchaseStatus::Delivered {
                height: r.u64("PurchaseStatus.height")?,
            },
            2 => PurchaseStatus::Refunded {
                height: r.u64("PurchaseStatus.height")?,
            },
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "PurchaseStatus",
                    tag,
                });
            }
        })
    }
}

impl Encode for Purchase {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        self.listing.encode_to(out);
        self.buyer.encode_to(out);
        self.reply_key.encode_to(out);
        self.escrow.encode_to(out);
        self.deadline.encode_to(out);
        self.created_at.encode_to(out);
        self.status.encode_to(out);
    }
}

impl Decode for Purchase {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Purchase {
            id: Hash::decode(r)?,
            listing: Hash::decode(r)?,
            buyer: Address::decode(r)?,
            reply_key: ReplyPublicKey::decode(r)?,
            escrow: Amount::decode(r)?,
            deadline: r.u64("Purchase.deadline")?,
            created_at: r.u64("Purchase.created_at")?,
            status: PurchaseStatus::decode(r)?,
        })
    }
}

impl Encode for Complaint {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.purchase.encode_to(out);
        self.record_index.encode_to(out);
        self.listing.encode_to(out);
        self.record.encode_to(out);
        self.buyer.encode_to(out);
        self.seller.encode_to(out);
        self.reason.encode_to(out);
        put_bytes(out, self.detail.as_bytes());
        self.height.encode_to(out);
    }
}

impl Decode for Complaint {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(Complaint {
            purchase: Hash::decode(r)?,
            record_index: r.u32("Complaint.record_index")?,
            listing: Hash::decode(r)?,
            record: Hash::decode(r)?,
            buyer: Address::decode(r)?,
            seller: Address::decode(r)?,
            reason: ComplaintReason::decode(r)?,
            detail: r.string(l.max_string_bytes, "Complaint.detail")?,
            height: r.u64("Complaint.height")?,
        })
    }
}

impl Encode for SellerStats {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.listings.encode_to(out);
        self.sales.encode_to(out);
        self.refunded.encode_to(out);
        self.cancelled.encode_to(out);
        self.complaints.encode_to(out);
    }
}

impl Decode for SellerStats {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SellerStats {
            listings: r.u64("SellerStats.listings")?,
            sales: r.u64("SellerStats.sales")?,
            refunded: r.u64("SellerStats.refunded")?,
            cancelled: r.u64("SellerStats.cancelled")?,
            complaints: r.u64("SellerStats.complaints")?,
        })
    }
}

impl Encode for Payout {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.to.encode_to(out);
        self.amount.encode_to(out);
    }
}

impl Decode for Payout {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Payout {
            to: Address::decode(r)?,
            amount: Amount::decode(r)?,
        })
    }
}

impl Encode for StateValue {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
        match self {
            StateValue::Account(v) => v.encode_to(out),
            StateValue::Model(v) => v.encode_to(out),
            StateValue::Miner(v) => v.encode_to(out),
            StateValue::Job(v) => v.encode_to(out),
            StateValue::Record(v) => v.encode_to(out),
            StateValue::Listing(v) => v.encode_to(out),
            StateValue::Purchase(v) => v.encode_to(out),
            StateValue::JobQueue(v) | StateValue::PurchaseQueue(v) => put_list(out, v),
            StateValue::RewardQueue(v) => put_list(out, v),
            StateValue::UnbondingQueue(v) => put_list(out, v),
            StateValue::Complaint(v) => v.encode_to(out),
            StateValue::SellerStats(v) => v.encode_to(out),
        }
    }
}

impl Decode for StateValue {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let max = r.limits().max_queue_entries;
        Ok(match r.u8("StateValue")? {
            0 => StateValue::Account(Account::decode(r)?),
            1 => StateValue::Model(Model::decode(r)?),
            2 => StateValue::Miner(Miner::decode(r)?),
            3 => StateValue::Job(Job::decode(r)?),
            4 => StateValue::Record(Record::decode(r)?),
            5 => StateValue::Listing(Listing::decode(r)?),
            6 => StateValue::Purchase(Purchase::decode(r)?),
            7 => StateValue::JobQueue(r.list(max, 32, "JobQueue")?),
            8 => StateValue::PurchaseQueue(r.list(max, 32, "PurchaseQueue")?),
            9 => StateValue::RewardQueue(r.list(max, Payout::ENCODED_LEN, "RewardQueue")?),
            10 => StateValue::UnbondingQueue(r.list(max, 32, "UnbondingQueue")?),
            11 => StateValue::Complaint(Complaint::decode(r)?),
            12 => StateValue::SellerStats(SellerStats::decode(r)?),
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "StateValue",
                    tag,
                });
            }
        })
    }
}
