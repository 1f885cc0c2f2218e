//! Errors of the storage layer.
//!
//! Three families: rocksdb failures (I/O, corruption reported by rocksdb itself), decoding
//! failures of stored bytes (the store was written by something else or damaged), and
//! consistency failures found by the open-time check or by a caller's misuse (importing a
//! block whose parent is not the tip, reorging to an unknown block). Every message names
//! what to do about it.

use std::path::PathBuf;

use infernet_crypto::Hash;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// rocksdb could not open the database.
    #[error(
        "cannot open the chain database at {path}: {source} (is another node using this data directory?)"
    )]
    Open {
        /// The data directory.
        path: PathBuf,
        /// rocksdb's error.
        source: rocksdb::Error,
    },
    /// A read from rocksdb failed.
    #[error("reading column family `{cf}` failed: {source}")]
    Rocks {
        /// The column family read.
        cf: &'static str,
        /// rocksdb's error.
        source: rocksdb::Error,
    },
    /// Committing a write batch failed; nothing of the batch was applied.
    #[error("committing to the chain database failed (nothing was written): {source}")]
    Write {
        /// rocksdb's error.
        source: rocksdb::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {reason}")]
    Init {
        /// The data directory.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The chain spec's genesis block could not be built.
    #[error("cannot build the genesis block of the chain spec: {0}")]
    Genesis(String),
    /// The directory holds no initialised store.
    #[error("no chain database at {0}: initialise it with the chain spec first (open_or_init)")]
    NotInitialised(PathBuf),
    /// The store was written by a different schema version.
    #[error(
        "the chain database has schema version {found} but this build reads version {expected}: \
         resync into a new data directory"
    )]
    SchemaVersion {
        /// Version on disk.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// The store belongs to another chain.
    #[error(
        "the chain database was created for chain id {found} but the chain spec has chain id \
         {expected}: use another data directory for this chain"
    )]
    ChainMismatch {
        /// Chain id on disk.
        found: u64,
        /// Chain id of the spec.
        expected: u64,
    },
    /// The store's genesis block differs from the spec's genesis.
    #[error(
        "the chain database has genesis {found} but the chain spec's genesis is {expected}: \
         use another data directory for this chain"
    )]
    GenesisMismatch {
        /// Genesis hash on disk.
        found: Hash,
        /// Genesis hash of the spec.
        expected: Hash,
    },
    /// Stored bytes did not decode.
    #[error(
        "stored {what} under key {key} is corrupt: {reason}; the database is damaged, resync it"
    )]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// The key, hex.
        key: String,
        /// Why it did not decode.
        reason: String,
    },
    /// The open-time consistency check failed.
    #[error(
        "the chain database is inconsistent: {0}; refusing to start (resync into a new data directory)"
    )]
    Inconsistent(Inconsistency),
    /// A block was imported on top of something other than the tip.
    #[error("block {block} extends {parent}, not the current tip {tip}: reorg to it instead")]
    NotOnTip {
        /// The block.
        block: Hash,
        /// Its parent.
        parent: Hash,
        /// The current tip.
        tip: Hash,
    },
    /// The state delta handed in does not produce the block's state root.
    #[error(
        "the state changes given for block {block} lead to state root {delta}, but its header \
         commits to {header}: pass the delta that apply_block returned for this block"
    )]
    DeltaMismatch {
        /// The block.
        block: Hash,
        /// Root in its header.
        header: Hash,
        /// Root the delta leads to.
        delta: Hash,
    },
    /// The state delta handed in lacks a value a transaction of the block must have changed
    /// (what the record history index is built from).
    #[error(
        "the state changes given for block {block} lack the {missing} that transaction {txid} \
         changes: pass the delta that apply_block returned for this block"
    )]
    DeltaIncomplete {
        /// The block.
        block: Hash,
        /// The transaction.
        txid: Hash,
        /// What is missing.
        missing: &'static str,
    },
    /// A block's header or body is unknown.
    #[error("block {0} is not stored")]
    UnknownBlock(Hash),
    /// A side-branch block's parent is unknown.
    #[error("block {block} has parent {parent}, which is not stored: fetch the parent first")]
    UnknownParent {
        /// The block.
        block: Hash,
        /// Its missing parent.
        parent: Hash,
    },
    /// Disconnecting the genesis block was requested.
    #[error("the genesis block cannot be disconnected")]
    DisconnectGenesis,
    /// The caller-supplied state transition rejected a block during a reorg; nothing was written.
    #[error("block {block} of the new branch is invalid, the reorg was abandoned: {reason}")]
    InvalidBranchBlock {
        /// The rejected block.
        block: Hash,
        /// The transition's error, displayed.
        reason: String,
    },
    /// A state read through the consensus view failed.
    #[error("state error: {0}")]
    State(String),
}

/// What the open-time check found wrong (`specs/storage.md` §6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    /// `meta` has a schema version but no tip.
    #[error("meta has no tip")]
    MissingTip,
    /// `meta` has no state accumulator.
    #[error("meta has no state accumulator")]
    MissingAccumulator,
    /// The tip's header is not stored.
    #[error("the tip header {0} is missing")]
    MissingTipHeader(Hash),
    /// The main-chain index disagrees with the tip.
    #[error("the main-chain index at height {height} holds {found:?}, expected {expected}")]
    MainIndex {
        /// The height.
        height: u64,
        /// What the index holds (None = nothing).
        found: Option<Hash>,
        /// What it should hold.
        expected: Hash,
    },
    /// The main-chain index has an entry above the tip.
    #[error("the main-chain index has an entry at height {0}, above the tip")]
    IndexAboveTip(u64),
    /// The record history index holds events of a height above the tip.
    #[error("the record history index holds events at height {0}, above the tip")]
    HistoryAboveTip(u64),
    /// The stored accumulator does not give the tip header's state root.
    #[error("the state accumulator gives root {computed} but the tip header commits to {header}")]
    StateRoot {
        /// Root computed from the stored accumulator.
        computed: Hash,
        /// Root in the tip header.
        header: Hash,
    },
    /// Recomputing the accumulator from every state entry gave another value.
    #[error("the state column family does not add up to the stored accumulator")]
    StateContents,
    /// A recent main-chain block has no undo data.
    #[error("undo data of main-chain block {hash} at height {height} is missing")]
    MissingUndo {
        /// The block.
        hash: Hash,
        /// Its height.
        height: u64,
    },
    /// A recent main-chain block has no body.
    #[error("body of main-chain block {hash} at height {height} is missing")]
    MissingBody {
        /// The block.
        hash: Hash,
        /// Its height.
        height: u64,
    },
}
