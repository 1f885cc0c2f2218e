//! Infernet protocol types, checked amounts, the canonical bounded encoding and the chain spec.
//!
//! This crate owns the *data* of the protocol and its bytes:
//!
//! - [`encoding`]: the [`Encode`] / [`Decode`] traits every hashed or signed value uses,
//!   with decoding bounded by [`DecodeLimits`] before it allocates, and rejection of
//!   trailing bytes and non-canonical forms (byte layout: `specs/encoding.md`);
//! - [`amount`]: [`Amount`] with checked arithmetic only;
//! - [`primitives`]: [`Height`], the id aliases, the PoW [`Target`];
//! - [`transaction`]: [`Transaction`], [`SignedTransaction`] with signing, verification and
//!   txids, and the [`Coinbase`];
//! - [`tx_kinds`]: [`TxKind`] and one struct per kind (fourteen), each with its encoding;
//! - [`money`]: the job cost and settlement, royalty lineage, sale split and minimum fee, the
//!   one implementation consensus, mempool, miner and wallet share;
//! - [`inference`]: offers, sampling parameters, attestations, the miner's [`Receipt`] and
//!   the record plaintext commitment;
//! - [`block`]: [`Header`] (block hash, PoW hash) and [`Block`] (tx root);
//! - [`state`]: the key-value state model ([`StateKey`] → [`StateValue`]) and its objects;
//! - [`sealing`]: the HPKE `info`/`aad` binding prompts and record keys to their chain, job and
//!   parties (shared by the wallet and the miner);
//! - [`spec`]: the [`ChainSpec`] (JSON; built-in `dev` and `testnet`) and the dev accounts;
//! - `test_utils` (feature `proptest`): proptest strategies for every type, for property
//!   tests here and in the consensus and storage crates.
//!
//! It leaves the rules to others: validity, the state transition, the state root and the
//! difficulty rule are in `infernet-consensus`; keys, signatures, hashing and sealing in
//! `infernet-crypto`. No I/O (besides reading a spec file), no clock, no async.
//! JSON views (serde) show bytes as hex, amounts as decimal strings of base units and
//! addresses as bech32m `inf1…`; serde is never used for consensus bytes.

pub mod amount;
pub mod block;
pub mod encoding;
pub mod inference;
pub mod money;
#[cfg(test)]
mod money_props;
pub mod primitives;
#[cfg(test)]
mod proptests;
pub mod sealing;
pub mod spec;
pub mod state;
#[cfg(any(test, feature = "proptest"))]
pub mod test_utils;
pub mod transaction;
pub mod tx_kinds;
#[cfg(test)]
mod unit_tests;

pub use amount::{Amount, AmountError, BASE_UNITS_PER_INF};
pub use block::{Block, Header};
pub use encoding::{Decode, DecodeError, DecodeLimits, Encode, Reader, decode_exact};
pub use inference::{
    Attestation, AttestationEvidence, Offer, Receipt, RecordPlaintext, SamplingParams, request_hash,
};
pub use primitives::{
    BlockHash, Height, JobId, ListingId, ModelId, PurchaseId, RecordId, Target, TxId,
};
pub use spec::{
    Allocation, ChainSpec, DevAccount, Genesis, Limits, SaleRoyalties, SpecError, dev_accounts,
};
pub use state::{
    Account, Complaint, Job, JobStatus, Listing, ListingStatus, Miner, Model, Payout, Purchase,
    PurchaseStatus, Record, Reputation, SellerStats, StateKey, StateValue,
};
pub use transaction::{Coinbase, SignedTransaction, Transaction};
pub use tx_kinds::{
    Buy, CancelListing, Complain, ComplaintReason, Deliver, ListRecords, ParentModel, PostResult,
    RateJob, RegisterMiner, RegisterModel, SubmitJob, Transfer, TransferRecord, TxKind,
    UpdateMiner,
};

/// Re-exported crypto types that appear in this crate's public API.
pub use infernet_crypto::{Address, Hash, ReplyPublicKey, SealedBox, Signature};

/// BLAKE3 context of [`request_hash`] (the hash of a job's sealed prompt).
///
/// Listed here rather than in `infernet_crypto::domain` because only the chain uses it;
/// `specs/encoding.md` lists it with the crypto contexts.
pub const REQUEST_HASH_DOMAIN: &str = "infernet/v1/request-hash";
