//! The rocksdb plumbing: column families, opening, the schema version, raw reads and atomic
//! batches.
//!
//! Everything above this module talks in typed keys and values; this module is the only one
//! that names rocksdb column families by string or builds `WriteBatch`es. The layouts of the
//! keys and values are written down in `specs/storage.md`.

use std::path::Path;

use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch,
    WriteOptions,
};

use crate::error::StorageError;

/// The on-disk schema version this build reads and writes (`specs/storage.md` §1).
pub const SCHEMA_VERSION: u32 = 2;

/// The column families of the store (`specs/storage.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cf {
    /// Schema version, tip, state accumulator, genesis hash, chain id.
    Meta,
    /// Block hash → cumulative work ‖ canonical header (every known block, main or side).
    Headers,
    /// Block hash → canonical body (coinbase and transactions).
    Bodies,
    /// Height (u64 big-endian) → block hash, main chain only.
    MainIndex,
    /// Canonical state key → canonical state value.
    State,
    /// Block hash → undo record (main-chain blocks only).
    Undo,
    /// Txid → block hash ‖ position (main chain only).
    TxIndex,
    /// Owner address ‖ record id → empty.
    RecordOwner,
    /// Record id ‖ height (u64 BE) ‖ position (u32 BE) → record event (schema 2).
    RecordHistory,
    /// Height (u64 BE) ‖ position (u32 BE) ‖ record id → empty (schema 2).
    HistoryByHeight,
}

impl Cf {
    /// Every column family, in the order they are created.
    pub(crate) const ALL: [Cf; 10] = [
        Cf::Meta,
        Cf::Headers,
        Cf::Bodies,
        Cf::MainIndex,
        Cf::State,
        Cf::Undo,
        Cf::TxIndex,
        Cf::RecordOwner,
        Cf::RecordHistory,
        Cf::HistoryByHeight,
    ];

    /// The rocksdb name of the column family.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Cf::Meta => "meta",
            Cf::Headers => "headers",
            Cf::Bodies => "bodies",
            Cf::MainIndex => "main_index",
            Cf::State => "state",
            Cf::Undo => "undo",
            Cf::TxIndex => "tx_index",
            Cf::RecordOwner => "record_owner",
            Cf::RecordHistory => "record_history",
            Cf::HistoryByHeight => "history_by_height",
        }
    }
}

/// Keys of the `meta` column family.
pub(crate) mod meta {
    /// u32 big-endian schema version.
    pub(crate) const SCHEMA_VERSION: &[u8] = b"schema_version";
    /// Hash of the main-chain tip.
    pub(crate) const TIP: &[u8] = b"tip";
    /// The state-root accumulator after the tip.
    pub(crate) const STATE_ACC: &[u8] = b"state_acc";
    /// Hash of the genesis block.
    pub(crate) const GENESIS: &[u8] = b"genesis";
    /// u64 big-endian chain id of the spec the store was created with.
    pub(crate) const CHAIN_ID: &[u8] = b"chain_id";
}

/// Raw `(key, value)` rows read from a column family.
pub(crate) type KvRows = Vec<(Vec<u8>, Vec<u8>)>;

/// An open rocksdb database with the store's column families.
pub(crate) struct Db {
    db: DB,
}

/// Atomic set of writes, committed with [`Db::write`].
pub(crate) struct Batch<'a> {
    db: &'a Db,
    inner: WriteBatch,
}

impl Batch<'_> {
    /// Queues `key → value` in `cf`.
    pub(crate) fn put(&mut self, cf: Cf, key: &[u8], value: &[u8]) {
        self.inner.put_cf(self.db.cf(cf), key, value);
    }

    /// Queues the deletion of `key` in `cf`.
    pub(crate) fn delete(&mut self, cf: Cf, key: &[u8]) {
        self.inner.delete_cf(self.db.cf(cf), key);
    }
}

impl Db {
    /// Opens the database at `path` (with `create`, creating it), creating any missing column
    /// family.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Self, StorageError> {
        let mut opts = Options::default();
        opts.create_if_missing(create);
        // Missing column families are created even when opening an existing store, so that a
        // store of an older schema opens far enough to be refused by its schema version with
        // a clear message (rather than by rocksdb's "column family not found").
        opts.create_missing_column_families(true);
        // Atomic flushes keep the column families consistent with each other even when the
        // WAL is lost; with the WAL kept (the default) every batch is atomic anyway.
        opts.set_atomic_flush(true);
        opts.set_max_background_jobs(2);
        opts.increase_parallelism(2);
        // rocksdb's info LOG files otherwise pile up (one per open, 1000 kept).
        opts.set_keep_log_file_num(4);
        let descriptors = Cf::ALL
            .iter()
            .map(|cf| ColumnFamilyDescriptor::new(cf.name(), Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, descriptors).map_err(|source| {
            StorageError::Open {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(Self { db })
    }

    fn cf(&self, cf: Cf) -> &ColumnFamily {
        // Every column family in `Cf::ALL` is opened (or created) by `open`, so the handle
        // exists for the lifetime of `self`; rocksdb returns None only for unknown names.
        match self.db.cf_handle(cf.name()) {
            Some(handle) => handle,
            None => unreachable!("column family {} is opened with the database", cf.name()),
        }
    }

    /// Reads `key` from `cf`.
    pub(crate) fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.db
            .get_cf(self.cf(cf), key)
            .map_err(|source| StorageError::Rocks {
                cf: cf.name(),
                source,
            })
    }

    /// Whether `key` exists in `cf`.
    pub(crate) fn contains(&self, cf: Cf, key: &[u8]) -> Result<bool, StorageError> {
        Ok(self
            .db
            .get_pinned_cf(self.cf(cf), key)
            .map_err(|source| StorageError::Rocks {
                cf: cf.name(),
                source,
            })?
            .is_some())
    }

    /// The `(key, value)`s of `cf` from `start` on whose key starts with `prefix`, in key
    /// order, at most `limit`.
    pub(crate) fn scan_from(
        &self,
        cf: Cf,
        start: &[u8],
        prefix: &[u8],
        limit: usize,
    ) -> Result<KvRows, StorageError> {
        let mut out = Vec::new();
        let iter = self
            .db
            .iterator_cf(self.cf(cf), IteratorMode::From(start, Direction::Forward));
        for item in iter {
            if out.len() >= limit {
                break;
            }
            let (key, value) = item.map_err(|source| StorageError::Rocks {
                cf: cf.name(),
                source,
            })?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.into_vec(), value.into_vec()));
        }
        Ok(out)
    }

    /// Calls `f` on every `(key, value)` of `cf`, in key order.
    pub(crate) fn for_each(
        &self,
        cf: Cf,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        for item in self.db.iterator_cf(self.cf(cf), IteratorMode::Start) {
            let (key, value) = item.map_err(|source| StorageError::Rocks {
                cf: cf.name(),
                source,
            })?;
            f(&key, &value)?;
        }
        Ok(())
    }

    /// A new, empty batch.
    pub(crate) fn batch(&self) -> Batch<'_> {
        Batch {
            db: self,
            inner: WriteBatch::default(),
        }
    }

    /// Commits `batch` atomically; with `sync`, waits until the WAL is on disk.
    pub(crate) fn write(&self, batch: Batch<'_>, sync: bool) -> Result<(), StorageError> {
        let mut opts = WriteOptions::default();
        opts.set_sync(sync);
        self.db
            .write_opt(batch.inner, &opts)
            .map_err(|source| StorageError::Write { source })
    }
}
