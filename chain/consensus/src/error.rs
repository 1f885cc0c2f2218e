//! Consensus errors: one variant per numbered rule of `specs/protocol.md`.
//!
//! Enumerating [`BlockError`] and [`TxError`] enumerates the rules; each variant's doc names
//! its rule id. [`StateError`] is the one error that is not a rule: the state backend failed,
//! and the block is neither valid nor invalid.

use infernet_crypto::Hash;
use infernet_types::money::MoneyError;
use infernet_types::{Address, Amount, Height};

/// Declares a rule error enum whose every variant carries, next to its declaration, its rule
/// id (`"R-031"`) and its stable snake_case name (`"insufficient_balance"`), and generates
/// [`TxError::rule`]-style accessors and the `RULES` table from them, so an id cannot drift
/// from its variant.
macro_rules! rule_enum {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $( { $($field:tt)* } )? $( ( $($tuple:tt)* ) )? => $rule:literal, $name:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $enum {
            $(
                $(#[$vmeta])*
                $variant $( { $($field)* } )? $( ( $($tuple)* ) )?
            ),*
        }

        impl $enum {
            /// Every variant's `(rule id, name)`, in declaration order.
            pub const RULES: &'static [(&'static str, &'static str)] = &[$(($rule, $name)),*];

            /// The rule id of `specs/protocol.md` this error reports (`"R-031"`); `"state"`
            /// for a backend failure, which is no rule.
            #[must_use]
            pub fn rule(&self) -> &'static str {
                match self {
                    $($enum::$variant { .. } => $rule),*
                }
            }

            /// The stable snake_case name of the error (`"insufficient_balance"`), for
            /// clients that match on it.
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self {
                    $($enum::$variant { .. } => $name),*
                }
            }
        }
    };
}

/// A failure of the state backend behind a [`crate::StateView`] (I/O, corruption). Not a
/// consensus verdict: a block that hits it must be retried, not marked invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The backend could not read a value.
    #[error("state backend failed: {0}")]
    Backend(String),
    /// A stored value could not be decoded.
    #[error("stored state for {key} is corrupt: {reason}")]
    Corrupt {
        /// The key whose value failed to decode (display form).
        key: String,
        /// What the decoder reported.
        reason: String,
    },
}

rule_enum! {
/// Why a block is invalid (or, for [`BlockError::State`], could not be checked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// the encoded block is larger than `limits.max_block_bytes`.
    #[error("R-001: block is {size} bytes, the limit is {max}")]
    BlockTooLarge {
        /// Encoded size.
        size: usize,
        /// The chain spec's limit.
        max: u64,
    } => "R-001", "block_too_large",
    /// the header version is not one this implementation knows.
    #[error("R-002: header version {version} is not supported (expected {expected})")]
    UnsupportedVersion {
        /// The header's version.
        version: u32,
        /// The supported version.
        expected: u32,
    } => "R-002", "unsupported_version",
    /// the height is not the parent's height plus one.
    #[error("R-003: block height {got}, expected {expected} (parent height + 1)")]
    WrongHeight {
        /// Parent height + 1.
        expected: Height,
        /// The header's height.
        got: Height,
    } => "R-003", "wrong_height",
    /// `prev_hash` is not the hash of the parent the block is applied to.
    #[error("R-004: block builds on {got}, but its parent is {expected}")]
    WrongParent {
        /// The parent's hash.
        expected: Hash,
        /// The header's `prev_hash`.
        got: Hash,
    } => "R-004", "wrong_parent",
    /// the header's target is not the one the difficulty rule requires.
    #[error("R-005: header target {got} differs from the required target {expected}")]
    WrongTarget {
        /// The ASERT target (hex).
        expected: String,
        /// The header's target (hex).
        got: String,
    } => "R-005", "wrong_target",
    /// the PoW hash is above the target.
    #[error("R-006: proof of work hash {pow_hash} is above the target")]
    InsufficientWork {
        /// The header's PoW hash.
        pow_hash: Hash,
    } => "R-006", "insufficient_work",
    /// the timestamp is not above the median of the last 11 blocks.
    #[error("R-007: timestamp {timestamp} is not above the median time past {median}")]
    TimestampTooOld {
        /// The header's timestamp.
        timestamp: u64,
        /// The median time past.
        median: u64,
    } => "R-007", "timestamp_too_old",
    /// the timestamp is more than 2 minutes ahead of the node's clock.
    #[error(
        "R-008: timestamp {timestamp} is more than 120 s ahead of local time (limit {limit}); retry later"
    )]
    TimestampInFuture {
        /// The header's timestamp.
        timestamp: u64,
        /// `now + 120`.
        limit: u64,
    } => "R-008", "timestamp_in_future",
    /// the header's `tx_root` does not commit to the block's coinbase and transactions.
    #[error("R-009: tx_root {header} does not match the block's transactions ({computed})")]
    TxRootMismatch {
        /// The header's value.
        header: Hash,
        /// The value computed from the body.
        computed: Hash,
    } => "R-009", "tx_root_mismatch",
    /// the header's `state_root` is not the root of the post-state.
    #[error("R-010: state_root {header} does not match the state after the block ({computed})")]
    StateRootMismatch {
        /// The header's value.
        header: Hash,
        /// The value computed by applying the block.
        computed: Hash,
    } => "R-010", "state_root_mismatch",
    /// the coinbase amount is not the block reward plus the block's fees.
    #[error("R-011: coinbase pays {got}, but reward + fees = {expected}")]
    CoinbaseAmount {
        /// Block reward + fees.
        expected: Amount,
        /// The coinbase's amount.
        got: Amount,
    } => "R-011", "coinbase_amount",
    /// the block carries more `SubmitJob` transactions than `limits.max_jobs_per_block`.
    #[error("R-012: block has {count} SubmitJob transactions, the limit is {max}")]
    TooManyJobs {
        /// Number of SubmitJob transactions.
        count: u64,
        /// The chain spec's limit.
        max: u64,
    } => "R-012", "too_many_jobs",
    /// the same transaction appears twice in the block.
    #[error("R-013: transaction {txid} appears more than once in the block")]
    DuplicateTransaction {
        /// The repeated txid.
        txid: Hash,
    } => "R-013", "duplicate_transaction",
    /// the fees or the coinbase overflow `u64`.
    #[error("R-014: the block's fees plus reward overflow")]
    RewardOverflow => "R-014", "reward_overflow",
    /// the genesis block differs from the one the chain spec defines.
    #[error("R-015: genesis block {got} differs from the chain spec's genesis {expected}")]
    GenesisMismatch {
        /// Hash of the spec's genesis block.
        expected: Hash,
        /// Hash of the block offered as genesis.
        got: Hash,
    } => "R-015", "genesis_mismatch",
    /// the coinbase's height is not the block's height.
    #[error("R-016: coinbase is for height {got}, the block is at {expected}")]
    CoinbaseHeight {
        /// The block's height.
        expected: Height,
        /// The coinbase's height.
        got: Height,
    } => "R-016", "coinbase_height",
    /// A transaction of the block breaks a rule (R-020 and above).
    #[error("transaction {index} ({txid}) is invalid: {source}")]
    Tx {
        /// Position of the transaction in `block.txs`.
        index: usize,
        /// Its txid.
        txid: Hash,
        /// The rule it breaks.
        #[source]
        source: TxError,
    } => "tx", "invalid_transaction",
    /// The state backend failed; the block was not judged.
    #[error(transparent)]
    State(#[from] StateError) => "state", "state_backend",
}
}

impl BlockError {
    /// Whether the block might become valid later (only R-008 and backend failures): a node
    /// should not remember such a block as invalid.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            BlockError::TimestampInFuture { .. } | BlockError::State(_)
        )
    }
}

rule_enum! {
/// Why a transaction is invalid (against the stateless rules or the state it is applied to).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// the encoded signed transaction is larger than `limits.max_tx_bytes`.
    #[error("R-020: transaction is {size} bytes, the limit is {max}")]
    TxTooLarge {
        /// Encoded size.
        size: usize,
        /// The chain spec's limit.
        max: u64,
    } => "R-020", "tx_too_large",
    /// the signature does not verify for the sender over this chain's signing bytes.
    #[error("R-021: signature does not verify for sender {sender} on this chain")]
    BadSignature {
        /// The claimed sender.
        sender: Address,
    } => "R-021", "bad_signature",
    /// the fee is below `encoded size × min_fee_per_byte`.
    #[error("R-022: fee {fee} is below the minimum {min} for this transaction's size")]
    FeeTooLow {
        /// The transaction's fee.
        fee: Amount,
        /// The minimum fee.
        min: Amount,
    } => "R-022", "fee_too_low",
    /// a variable-size field is over its chain-spec limit.
    #[error("R-023: field `{field}` has length {len}, the limit is {max}")]
    FieldTooLarge {
        /// The field.
        field: &'static str,
        /// Its length (bytes or items).
        len: u64,
        /// The limit.
        max: u64,
    } => "R-023", "field_too_large",
    /// the nonce is not the sender's next nonce.
    #[error("R-030: nonce {got}, but the sender's next nonce is {expected}")]
    BadNonce {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    } => "R-030", "bad_nonce",
    /// the sender cannot pay the fee plus what the transaction debits.
    #[error("R-031: sender needs {needed} but has {available}")]
    InsufficientBalance {
        /// Fee plus debits.
        needed: Amount,
        /// The sender's balance.
        available: Amount,
    } => "R-031", "insufficient_balance",
    /// an amount computation overflows `u64` (or a counter overflows).
    #[error("R-032: amount arithmetic overflows in {what}")]
    Overflow {
        /// The computation that overflowed.
        what: &'static str,
    } => "R-032", "overflow",
    /// a transfer of zero.
    #[error("R-040: transfer amount must be above zero")]
    ZeroTransfer => "R-040", "zero_transfer",
    /// the model id is already registered.
    #[error("R-041: model {model} is already registered")]
    ModelExists {
        /// The model id.
        model: Hash,
    } => "R-041", "model_exists",
    /// the royalty is above `max_royalty_bps`.
    #[error("R-042: royalty {bps} bps is above the chain's maximum {max} bps")]
    RoyaltyTooHigh {
        /// The requested royalty.
        bps: u16,
        /// The chain spec's maximum.
        max: u16,
    } => "R-042", "royalty_too_high",
    /// the parent model of a fork is not registered.
    #[error("R-043: parent model {model} is not registered")]
    UnknownParentModel {
        /// The parent id.
        model: Hash,
    } => "R-043", "unknown_parent_model",
    /// a fork's parent share is above 10,000 bps.
    #[error("R-044: parent share {bps} bps is above 10000")]
    ParentShareTooHigh {
        /// The requested share.
        bps: u16,
    } => "R-044", "parent_share_too_high",
    /// the sender is already a registered (active or unbonding) miner.
    #[error("R-050: {miner} is already registered as a miner")]
    MinerExists {
        /// The miner.
        miner: Address,
    } => "R-050", "miner_exists",
    /// the bond is below `min_miner_bond`.
    #[error("R-051: bond {bond} is below the minimum {min}")]
    BondTooLow {
        /// The offered bond.
        bond: Amount,
        /// The chain spec's minimum.
        min: Amount,
    } => "R-051", "bond_too_low",
    /// two offers (or none) name the same model, or the offer list is empty.
    #[error("R-052: offers must be non-empty and name each model once ({model} repeats)")]
    BadOffers {
        /// The repeated model (zero hash when the list is empty).
        model: Hash,
    } => "R-052", "bad_offers",
    /// an offer names a model that is not registered.
    #[error("R-053: offer names unregistered model {model}")]
    OfferUnknownModel {
        /// The model id.
        model: Hash,
    } => "R-053", "offer_unknown_model",
    /// an offer's `max_output_tokens` is zero or above the chain's limit.
    #[error("R-054: offer max_output_tokens {tokens} must be in 1..={max}")]
    OfferTokenLimit {
        /// The offer's value.
        tokens: u32,
        /// The chain spec's limit.
        max: u32,
    } => "R-054", "offer_token_limit",
    /// the attestation is not acceptable on this chain.
    #[error("R-055: attestation rejected: {reason}")]
    AttestationRejected {
        /// Why.
        reason: &'static str,
    } => "R-055", "attestation_rejected",
    /// the miner is not registered.
    #[error("R-056: {miner} is not a registered miner")]
    UnknownMiner {
        /// The address.
        miner: Address,
    } => "R-056", "unknown_miner",
    /// the miner is unbonding or unregistered and can take no new jobs or updates.
    #[error("R-057: miner {miner} is unbonding or unregistered; it takes no new jobs or updates")]
    MinerUnbonding {
        /// The miner.
        miner: Address,
    } => "R-057", "miner_unbonding",
    /// the miner has no offer for the model.
    #[error("R-060: the miner has no offer for model {model}")]
    NoOffer {
        /// The model id.
        model: Hash,
    } => "R-060", "no_offer",
    /// a job's price is above the miner's offer.
    #[error("R-061: job prices ({price_in}, {price_out}) exceed the miner's offer")]
    PriceAboveOffer {
        /// Job price per input token.
        price_in: Amount,
        /// Job price per output token.
        price_out: Amount,
    } => "R-061", "price_above_offer",
    /// the job's token limits are zero or above the offer's or the chain's limits.
    #[error(
        "R-062: job token limits (in {max_in}, out {max_out}) are zero or above the allowed {allowed_out} output tokens"
    )]
    JobTokenLimit {
        /// The job's `max_input_tokens`.
        max_in: u32,
        /// The job's `max_output_tokens`.
        max_out: u32,
        /// The smaller of the offer's and the chain's output limit.
        allowed_out: u32,
    } => "R-062", "job_token_limit",
    /// the job's expiry is not after the current height, or too far ahead.
    #[error("R-063: job expiry {expiry} must be in {min}..={max}")]
    BadJobExpiry {
        /// The requested expiry height.
        expiry: Height,
        /// Lowest allowed.
        min: Height,
        /// Highest allowed.
        max: Height,
    } => "R-063", "bad_job_expiry",
    /// the job requires attestation and the miner registered without one.
    #[error("R-064: the job requires an attested miner and {miner} is not attested")]
    MinerNotAttested {
        /// The miner.
        miner: Address,
    } => "R-064", "miner_not_attested",
    /// `max_jobs_per_block` jobs already expire at this height.
    #[error("R-065: {max} jobs already expire at height {expiry}; choose another expiry")]
    ExpiryHeightFull {
        /// The requested expiry height.
        expiry: Height,
        /// The cap (`limits.max_jobs_per_block`).
        max: u32,
    } => "R-065", "expiry_height_full",
    /// no job with this id exists.
    #[error("R-070: job {job} does not exist")]
    UnknownJob {
        /// The job id.
        job: Hash,
    } => "R-070", "unknown_job",
    /// the job is not waiting for a result (already settled or expired).
    #[error("R-071: job {job} is not pending")]
    JobNotPending {
        /// The job id.
        job: Hash,
    } => "R-071", "job_not_pending",
    /// the sender is not the job's miner.
    #[error("R-072: only the job's miner may post its result")]
    NotJobMiner => "R-072", "not_job_miner",
    /// the token counts are above the job's limits.
    #[error("R-073: token counts ({input}, {output}) exceed the job's limits")]
    TokenCountsExceedLimits {
        /// Input tokens claimed.
        input: u32,
        /// Output tokens claimed.
        output: u32,
    } => "R-073", "token_counts_exceed_limits",
    /// a receipt field disagrees with the job or the transaction.
    #[error("R-074: receipt field `{field}` does not match the job")]
    ReceiptMismatch {
        /// The field.
        field: &'static str,
    } => "R-074", "receipt_mismatch",
    /// the receipt signature does not verify for the job's miner.
    #[error("R-075: receipt signature does not verify for the job's miner")]
    BadReceiptSignature => "R-075", "bad_receipt_signature",
    /// a job that requires attestation got a result without acceptable evidence.
    #[error("R-076: attestation evidence rejected: {reason}")]
    EvidenceRejected {
        /// Why.
        reason: &'static str,
    } => "R-076", "evidence_rejected",
    /// no record with this id exists.
    #[error("R-080: record {record} does not exist")]
    UnknownRecord {
        /// The record id.
        record: Hash,
    } => "R-080", "unknown_record",
    /// the sender does not own the record.
    #[error("R-081: the sender does not own record {record}")]
    NotRecordOwner {
        /// The record id.
        record: Hash,
    } => "R-081", "not_record_owner",
    /// the listed bundle is empty or names a record twice.
    #[error("R-082: a listing needs at least one record and no repeats")]
    BadBundle => "R-082", "bad_bundle",
    /// the listing's `until` height is not after the current height, or too far.
    #[error("R-083: listing end {until} must be in {min}..={max}")]
    BadListingEnd {
        /// The requested end.
        until: Height,
        /// Lowest allowed.
        min: Height,
        /// Highest allowed.
        max: Height,
    } => "R-083", "bad_listing_end",
    /// no listing with this id exists.
    #[error("R-084: listing {listing} does not exist")]
    UnknownListing {
        /// The listing id.
        listing: Hash,
    } => "R-084", "unknown_listing",
    /// the sender is not the listing's seller.
    #[error("R-085: only the seller may do this with listing {listing}")]
    NotSeller {
        /// The listing id.
        listing: Hash,
    } => "R-085", "not_seller",
    /// the listing is not open (sold, cancelled, awaiting delivery, or past its end).
    #[error("R-086: listing {listing} is not open")]
    ListingNotOpen {
        /// The listing id.
        listing: Hash,
    } => "R-086", "listing_not_open",
    /// no purchase awaiting delivery exists with this id.
    #[error("R-087: purchase {purchase} is unknown or not awaiting delivery")]
    NoPendingPurchase {
        /// The purchase id.
        purchase: Hash,
    } => "R-087", "no_pending_purchase",
    /// `Deliver` must carry exactly one sealed key per listed record.
    #[error("R-088: {got} sealed keys for {expected} records")]
    SealedKeyCount {
        /// Records in the listing.
        expected: usize,
        /// Keys given.
        got: usize,
    } => "R-088", "sealed_key_count",
    /// the record is part of a live listing (open, or awaiting delivery).
    #[error("R-089: record {record} is listed for sale; cancel the listing first")]
    RecordListed {
        /// The record id.
        record: Hash,
    } => "R-089", "record_listed",
    /// the job has no result to rate.
    #[error("R-090: job {job} has no result to rate")]
    JobNotCompleted {
        /// The job id.
        job: Hash,
    } => "R-090", "job_not_completed",
    /// the sender is not the job's user.
    #[error("R-091: only the job's user may rate it")]
    NotJobUser => "R-091", "not_job_user",
    /// the job was rated already.
    #[error("R-092: job {job} was already rated")]
    AlreadyRated {
        /// The job id.
        job: Hash,
    } => "R-092", "already_rated",
    /// the score is not in 1..=5.
    #[error("R-093: score {score} is not in 1..=5")]
    BadScore {
        /// The score given.
        score: u8,
    } => "R-093", "bad_score",
    /// `Complain` names a purchase that does not exist or was not delivered.
    #[error(
        "R-094: purchase {purchase} is unknown or not delivered; only a delivered purchase can \
         be complained about"
    )]
    PurchaseNotDelivered {
        /// The purchase id.
        purchase: Hash,
    } => "R-094", "purchase_not_delivered",
    /// the sender of `Complain` is not the purchase's buyer.
    #[error("R-095: only the buyer of purchase {purchase} may complain about it")]
    NotBuyer {
        /// The purchase id.
        purchase: Hash,
    } => "R-095", "not_buyer",
    /// the complaint's record index is not an index of the listing's records.
    #[error("R-096: record index {index} is out of range: the listing has {records} record(s)")]
    BadRecordIndex {
        /// The index given.
        index: u32,
        /// Records in the listing.
        records: usize,
    } => "R-096", "bad_record_index",
    /// the buyer already complained about this record of this purchase.
    #[error("R-097: record {index} of purchase {purchase} already has a complaint")]
    AlreadyComplained {
        /// The purchase id.
        purchase: Hash,
        /// The record index.
        index: u32,
    } => "R-097", "already_complained",
    /// the complaint comes after `delivered_at + complaint_window`.
    #[error("R-098: the complaint window of purchase {purchase} closed at height {deadline}")]
    ComplaintWindowClosed {
        /// The purchase id.
        purchase: Hash,
        /// The last height at which a complaint was allowed.
        deadline: Height,
    } => "R-098", "complaint_window_closed",
    /// The state backend failed; the transaction was not judged.
    #[error(transparent)]
    State(#[from] StateError) => "state", "state_backend",
}
}

impl From<MoneyError> for TxError {
    fn from(e: MoneyError) -> Self {
        TxError::Overflow { what: e.what }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn check_table(rules: &[(&str, &str)], not_rules: &[&str]) {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for (rule, name) in rules {
            assert!(names.insert(*name), "name {name} repeats");
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !name.starts_with('_')
                    && !name.ends_with('_'),
                "name {name} is not snake_case"
            );
            if not_rules.contains(name) {
                continue;
            }
            assert!(ids.insert(*rule), "rule {rule} repeats");
            let digits = rule.strip_prefix("R-").unwrap_or("");
            assert!(
                digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()),
                "rule id {rule} is not R-ddd"
            );
        }
    }

    #[test]
    fn every_rule_has_a_unique_well_formed_id_and_name() {
        check_table(TxError::RULES, &["state_backend"]);
        check_table(BlockError::RULES, &["invalid_transaction", "state_backend"]);
        let tx_ids: HashSet<_> = TxError::RULES.iter().map(|(r, _)| *r).collect();
        for (rule, _) in BlockError::RULES {
            if rule.starts_with("R-") {
                assert!(
                    !tx_ids.contains(rule),
                    "{rule} is both a block and a tx rule"
                );
            }
        }
    }

    #[test]
    fn rule_and_name_come_from_the_variant_and_match_the_message() {
        let e = TxError::InsufficientBalance {
            needed: Amount(5),
            available: Amount(1),
        };
        assert_eq!((e.rule(), e.name()), ("R-031", "insufficient_balance"));
        assert!(e.to_string().starts_with("R-031:"));
        let e = TxError::NotJobMiner;
        assert_eq!((e.rule(), e.name()), ("R-072", "not_job_miner"));
        let e = BlockError::RewardOverflow;
        assert_eq!((e.rule(), e.name()), ("R-014", "reward_overflow"));
        assert_eq!(
            TxError::State(StateError::Backend("x".into())).rule(),
            "state"
        );
    }
}
