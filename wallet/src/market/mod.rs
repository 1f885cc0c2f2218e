//! The record market's wallet side: everything about selling and buying records that needs
//! no node — building listings, sealing record keys to a buyer, checking a bought record's
//! provenance, the sale split, and the buyer's complaints.
//!
//! The `market` subcommand's flags and handlers live in [`crate::commands::market`]; they
//! call these functions with what they fetched over JSON-RPC.
//! The state transition itself (escrow, deadlines, refunds, the split credited on chain) is
//! the consensus crate's; what is and is not enforced on chain is written down in
//! `specs/market.md`.
//!
//! Modules:
//! - [`listing`]: validating and building `ListRecords`, summarising a bundle for a buyer;
//! - [`delivery`]: sealing each record key to the buyer for `Deliver`;
//! - [`provenance`]: checking a decrypted record against the miner's on-chain commitment and
//!   receipt;
//! - [`split`]: the sale split between seller, miners and model owners (preview of what
//!   the chain credits);
//! - [`complaint`]: the buyer's on-chain `Complain` about a record that failed verification.

pub mod complaint;
pub mod delivery;
pub mod listing;
pub mod provenance;
pub mod split;

/// Why a market operation failed in the wallet, before anything reached the chain.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// `market list` without a record.
    #[error("name at least one record to list (`market list RECORD_ID… --price AMOUNT`)")]
    NoRecords,
    /// The same record twice in one listing.
    #[error("record {record} is named twice; a bundle lists each record once")]
    RepeatedRecord {
        /// The record id (hex).
        record: String,
    },
    /// More records than the chain allows in one listing.
    #[error(
        "a listing holds at most {max} records, {given} were given; split the dataset into several listings"
    )]
    TooManyRecords {
        /// Records given.
        given: usize,
        /// The chain's `max_bundle_records`.
        max: u32,
    },
    /// A title or description over the chain's string limit.
    #[error("the {field} is {len} bytes, the chain allows at most {max}; shorten it")]
    TextTooLong {
        /// `title` or `description`.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The chain's `max_string_bytes`.
        max: u32,
    },
    /// `--until` not after the tip, or too far ahead.
    #[error(
        "--until {until} must be above the tip {tip} and at most {max} (the chain's listing lifetime)"
    )]
    BadUntil {
        /// Height asked for.
        until: u64,
        /// Current tip.
        tip: u64,
        /// Highest allowed.
        max: u64,
    },
    /// A record the node does not know.
    #[error("record {record} does not exist on this chain; check the id with `records list`")]
    UnknownRecord {
        /// The record id (hex).
        record: String,
    },
    /// Listing a record someone else owns.
    #[error("record {record} is owned by {owner}, not by {you}; only the owner can list it")]
    NotOwner {
        /// The record id (hex).
        record: String,
        /// Its owner.
        owner: String,
        /// The seller's address.
        you: String,
    },
    /// Listing a record that an open listing already offers.
    #[error(
        "record {record} is already offered by listing {listing}; cancel that listing first (`market cancel {listing}`)"
    )]
    AlreadyListed {
        /// The record id (hex).
        record: String,
        /// The listing offering it (hex).
        listing: String,
    },
    /// The seller's key does not open a record key it must deliver.
    #[error("cannot open the key of record {record} with key {key:?}: {reason}")]
    CannotOpenKey {
        /// The record id (hex).
        record: String,
        /// The wallet key used.
        key: String,
        /// Why.
        reason: String,
    },
    /// Sealing a record key to the buyer failed.
    #[error("sealing the key of record {record} to the buyer failed: {reason}")]
    Seal {
        /// The record id (hex).
        record: String,
        /// Why.
        reason: String,
    },
    /// An amount computation overflowed (a price above what `u64` base units hold).
    #[error("amount overflow computing {what}; the price is too large")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// Basis points above 10 000.
    #[error("royalty rates {miner_bps} + {owner_bps} basis points exceed 10000")]
    BadRates {
        /// Miner share.
        miner_bps: u32,
        /// Model owner share.
        owner_bps: u32,
    },
}
