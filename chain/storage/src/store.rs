//! The typed store: block import, disconnection, atomic reorgs, side blocks, queries and the
//! open-time consistency check (`specs/storage.md` §5–§7).
//!
//! Every write is one rocksdb batch committed with `sync = true`; the in-memory tip is
//! updated only after the batch is durable. Writers are serialised by an internal lock, so
//! `Store` can be shared (`Arc<Store>`) between the import pipeline and readers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use infernet_consensus::accumulator::StateAccumulator;
use infernet_consensus::error::StateError;
use infernet_consensus::genesis_block;
use infernet_consensus::pow::cumulative_work;
use infernet_consensus::state::StateDelta;
use infernet_consensus::state::StateView;
use infernet_consensus::u256::U256;
use infernet_crypto::{Address, Hash};
use infernet_types::{
    Block, ChainSpec, DecodeLimits, Encode, Header, Height, RecordId, SignedTransaction, StateKey,
    StateValue, TxId, decode_exact,
};
use parking_lot::{Mutex, RwLock};

use crate::db::{Batch, Cf, Db, SCHEMA_VERSION, meta};
use crate::error::{Inconsistency, StorageError};
use crate::history::{HISTORY_KEY_LEN, RecordEvent, events_of};
use crate::records::{
    UndoRecord, hash32, header_entry, height_key, owner_key, parse_tx_location, split_header_entry,
    tx_location,
};

/// How many of the most recent main-chain blocks the open-time check walks.
pub const CHECK_DEPTH: u64 = 64;

/// The main-chain tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipInfo {
    /// Its block hash.
    pub hash: Hash,
    /// Its header.
    pub header: Header,
    /// Cumulative chain work up to and including it.
    pub work: U256,
}

impl TipInfo {
    /// The tip's height.
    #[must_use]
    pub fn height(&self) -> Height {
        self.header.height
    }
}

/// What the store knows about one stored block (main chain or side branch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// Its hash.
    pub hash: Hash,
    /// Its header.
    pub header: Header,
    /// Cumulative chain work up to and including it.
    pub work: U256,
    /// Whether it is on the main chain.
    pub on_main_chain: bool,
}

/// Where a main-chain transaction is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxLocation {
    /// The block holding it.
    pub block: Hash,
    /// That block's height.
    pub height: Height,
    /// Index in `Block.txs`.
    pub position: u32,
    /// The transaction.
    pub tx: SignedTransaction,
}

/// A block taken off the main chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisconnectedBlock {
    /// The block (its transactions are the ones to re-admit to the mempool).
    pub block: Block,
}

/// What a reorg did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReorgOutcome {
    /// The common ancestor of the old and the new tip.
    pub fork_point: Hash,
    /// Blocks taken off the main chain, newest first.
    pub disconnected: Vec<Block>,
    /// Hashes of the blocks put on the main chain, oldest first.
    pub connected: Vec<Hash>,
}

impl ReorgOutcome {
    /// Every transaction of the disconnected blocks, oldest block first and in block order:
    /// the order in which the mempool should re-admit them.
    #[must_use]
    pub fn disconnected_txs(&self) -> Vec<SignedTransaction> {
        self.disconnected
            .iter()
            .rev()
            .flat_map(|b| b.txs.iter().cloned())
            .collect()
    }
}

/// The chain database.
pub struct Store {
    db: Db,
    path: PathBuf,
    chain_id: u64,
    genesis: Hash,
    /// The tip, updated after each write is durable.
    tip: RwLock<TipInfo>,
    /// Serialises writers (held across a whole write; readers never take it).
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("tip", &*self.tip.read())
            .finish()
    }
}

/// Decoding limits for values read back from the store: the protocol maxima (the values were
/// validated under a spec's tighter limits before they were written).
const STORED: DecodeLimits = DecodeLimits::PROTOCOL_MAX;

fn corrupt(what: &'static str, key: &[u8], reason: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        what,
        key: hex_of(key),
        reason: reason.to_string(),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn target_of(header: &Header) -> U256 {
    U256::from_be_bytes(header.target.0)
}

fn read_u64(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_le_bytes)
}

fn read_u64_be(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

fn read_u32(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_le_bytes)
}

fn record_owner(value: Option<&StateValue>) -> Option<Address> {
    match value {
        Some(StateValue::Record(r)) => Some(r.owner),
        _ => None,
    }
}

/// Queues the `record_owner` index change of one state key going from `old` to `new`.
fn index_record(
    batch: &mut Batch<'_>,
    key: &StateKey,
    old: Option<&StateValue>,
    new: Option<&StateValue>,
) {
    let StateKey::Record(id) = key else { return };
    let (old_owner, new_owner) = (record_owner(old), record_owner(new));
    if old_owner == new_owner {
        return;
    }
    if let Some(owner) = old_owner {
        batch.delete(Cf::RecordOwner, &owner_key(&owner.0, &id.0));
    }
    if let Some(owner) = new_owner {
        batch.put(Cf::RecordOwner, &owner_key(&owner.0, &id.0), &[]);
    }
}

fn undo_of(delta: &StateDelta) -> UndoRecord {
    let mut entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = delta
        .previous
        .iter()
        .map(|(k, v)| (k.encode(), v.as_ref().map(Encode::encode)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    UndoRecord {
        entries,
        previous_accumulator: delta.previous_accumulator.to_bytes(),
    }
}

impl Store {
    /// Opens an existing store and runs the consistency check (`specs/storage.md` §6).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref();
        if !path.join("CURRENT").exists() {
            return Err(StorageError::NotInitialised(path.to_path_buf()));
        }
        let db = Db::open(path, false)?;
        Self::from_db(db, path)
    }

    /// Opens the store at `path`, or creates it holding the genesis block of `spec` (the
    /// consensus crate's [`genesis_block`]). An existing store must belong to the same chain
    /// and genesis.
    pub fn open_or_init(path: impl AsRef<Path>, spec: &ChainSpec) -> Result<Self, StorageError> {
        let (genesis, delta) =
            genesis_block(spec).map_err(|e| StorageError::Genesis(e.to_string()))?;
        Self::open_or_init_with(path, spec.chain_id, &genesis, &delta)
    }

    /// [`Store::open_or_init`] with an explicit genesis block and its state delta (for tools
    /// and tests that build their own genesis).
    pub fn open_or_init_with(
        path: impl AsRef<Path>,
        chain_id: u64,
        genesis: &Block,
        genesis_delta: &StateDelta,
    ) -> Result<Self, StorageError> {
        let path = path.as_ref();
        std::fs::create_dir_all(path).map_err(|e| StorageError::Init {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let db = Db::open(path, true)?;
        // A store is initialised once its first batch (schema version, genesis) is durable; a
        // directory left by a crash before that point is initialised again.
        if db.contains(Cf::Meta, meta::SCHEMA_VERSION)? {
            let store = Self::from_db(db, path)?;
            if store.chain_id != chain_id {
                return Err(StorageError::ChainMismatch {
                    found: store.chain_id,
                    expected: chain_id,
                });
            }
            if store.genesis != genesis.hash() {
                return Err(StorageError::GenesisMismatch {
                    found: store.genesis,
                    expected: genesis.hash(),
                });
            }
            return Ok(store);
        }
        let hash = genesis.hash();
        let work = cumulative_work(U256::ZERO, target_of(&genesis.header));
        let mut batch = db.batch();
        batch.put(
            Cf::Meta,
            meta::SCHEMA_VERSION,
            &SCHEMA_VERSION.to_le_bytes(),
        );
        batch.put(Cf::Meta, meta::CHAIN_ID, &chain_id.to_le_bytes());
        batch.put(Cf::Meta, meta::GENESIS, &hash.0);
        Self::queue_connect(
            &mut batch,
            genesis,
            &hash,
            work,
            delta_state_writes(genesis_delta),
            genesis_delta,
            &events_of(genesis, genesis_delta)?,
        );
        db.write(batch, true)?;
        Self::from_db(db, path)
    }

    fn from_db(db: Db, path: &Path) -> Result<Self, StorageError> {
        let version = db
            .get(Cf::Meta, meta::SCHEMA_VERSION)?
            .ok_or_else(|| StorageError::NotInitialised(path.to_path_buf()))?;
        let found = read_u32(&version)
            .ok_or_else(|| corrupt("schema version", meta::SCHEMA_VERSION, "not 4 bytes"))?;
        if found != SCHEMA_VERSION {
            return Err(StorageError::SchemaVersion {
                found,
                expected: SCHEMA_VERSION,
            });
        }
        let chain_id = db
            .get(Cf::Meta, meta::CHAIN_ID)?
            .and_then(|b| read_u64(&b))
            .ok_or_else(|| corrupt("chain id", meta::CHAIN_ID, "missing or not 8 bytes"))?;
        let genesis = db
            .get(Cf::Meta, meta::GENESIS)?
            .and_then(|b| hash32(&b).ok())
            .map(Hash)
            .ok_or_else(|| corrupt("genesis hash", meta::GENESIS, "missing or not 32 bytes"))?;
        let tip = check_consistency(&db)?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
            chain_id,
            genesis,
            tip: RwLock::new(tip),
            write_lock: Mutex::new(()),
        })
    }

    /// The data directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Chain id the store was created for.
    #[must_use]
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Hash of the genesis block.
    #[must_use]
    pub fn genesis_hash(&self) -> Hash {
        self.genesis
    }

    /// The current main-chain tip.
    #[must_use]
    pub fn tip(&self) -> TipInfo {
        self.tip.read().clone()
    }

    // ----- writes -------------------------------------------------------------------------

    /// Queues everything of connecting `block`: header, body, main index, state, undo, tx
    /// index, record-owner index, meta tip and accumulator.
    fn queue_connect(
        batch: &mut Batch<'_>,
        block: &Block,
        hash: &Hash,
        work: U256,
        state_writes: Vec<(&StateKey, Option<&StateValue>, Option<&StateValue>)>,
        delta: &StateDelta,
        events: &[RecordEvent],
    ) {
        batch.put(
            Cf::Headers,
            &hash.0,
            &header_entry(work.to_be_bytes(), &block.header.encode()),
        );
        batch.put(Cf::Bodies, &hash.0, &block.encode());
        batch.put(Cf::MainIndex, &height_key(block.header.height), &hash.0);
        for (key, old, new) in state_writes {
            let k = key.encode();
            match new {
                Some(v) => batch.put(Cf::State, &k, &v.encode()),
                None => batch.delete(Cf::State, &k),
            }
            index_record(batch, key, old, new);
        }
        if block.header.height > 0 {
            batch.put(Cf::Undo, &hash.0, &undo_of(delta).encode());
        }
        for (i, tx) in block.txs.iter().enumerate() {
            let pos = u32::try_from(i).unwrap_or(u32::MAX);
            batch.put(Cf::TxIndex, &tx.txid().0, &tx_location(&hash.0, pos));
        }
        queue_events(batch, events);
        batch.put(Cf::Meta, meta::TIP, &hash.0);
        batch.put(Cf::Meta, meta::STATE_ACC, &delta.accumulator.to_bytes());
    }

    /// Appends `block` to the main chain with the state changes `delta` (the consensus crate's
    /// `apply_block` output against this store's current state), in one synced batch.
    pub fn import_block(&self, block: &Block, delta: &StateDelta) -> Result<(), StorageError> {
        let _writer = self.write_lock.lock();
        let tip = self.tip.read().clone();
        let hash = block.hash();
        if block.header.prev_hash != tip.hash {
            return Err(StorageError::NotOnTip {
                block: hash,
                parent: block.header.prev_hash,
                tip: tip.hash,
            });
        }
        check_delta(block, &hash, delta)?;
        let events = events_of(block, delta)?;
        let work = cumulative_work(tip.work, target_of(&block.header));
        let mut batch = self.db.batch();
        Self::queue_connect(
            &mut batch,
            block,
            &hash,
            work,
            delta_state_writes(delta),
            delta,
            &events,
        );
        self.db.write(batch, true)?;
        *self.tip.write() = TipInfo {
            hash,
            header: block.header,
            work,
        };
        Ok(())
    }

    /// Stores a block that is not (yet) on the main chain, with its cumulative work. Its parent
    /// must be stored. The caller checks the header (PoW, target) first, so that stored side
    /// blocks each cost their sender real work. Returns what the store now knows of it; the caller compares its work
    /// with the tip's (consensus fork choice) and calls [`Store::reorg_to`] if it wins.
    pub fn store_side_block(&self, block: &Block) -> Result<BlockInfo, StorageError> {
        let _writer = self.write_lock.lock();
        let hash = block.hash();
        if let Some(info) = self.block_info(&hash)? {
            return Ok(info);
        }
        let parent =
            self.block_info(&block.header.prev_hash)?
                .ok_or(StorageError::UnknownParent {
                    block: hash,
                    parent: block.header.prev_hash,
                })?;
        let work = cumulative_work(parent.work, target_of(&block.header));
        let mut batch = self.db.batch();
        batch.put(
            Cf::Headers,
            &hash.0,
            &header_entry(work.to_be_bytes(), &block.header.encode()),
        );
        batch.put(Cf::Bodies, &hash.0, &block.encode());
        self.db.write(batch, true)?;
        Ok(BlockInfo {
            hash,
            header: block.header,
            work,
            on_main_chain: false,
        })
    }

    /// Takes the tip off the main chain, restoring the state from its undo data, in one synced
    /// batch. The block stays stored as a side block.
    pub fn disconnect_tip(&self) -> Result<DisconnectedBlock, StorageError> {
        let _writer = self.write_lock.lock();
        let tip = self.tip.read().clone();
        if tip.header.height == 0 {
            return Err(StorageError::DisconnectGenesis);
        }
        let block = self
            .block(&tip.hash)?
            .ok_or(StorageError::UnknownBlock(tip.hash))?;
        let undo = self.undo(&tip.hash)?;
        let mut overlay = PendingState::new(self);
        overlay.apply_undo(&undo)?;
        let parent = self
            .block_info(&block.header.prev_hash)?
            .ok_or(StorageError::UnknownBlock(block.header.prev_hash))?;
        let mut batch = self.db.batch();
        self.queue_disconnect(&mut batch, &block, &tip.hash)?;
        overlay.queue_state(&mut batch)?;
        batch.put(Cf::Meta, meta::TIP, &parent.hash.0);
        batch.put(Cf::Meta, meta::STATE_ACC, &overlay.acc.to_bytes());
        self.db.write(batch, true)?;
        *self.tip.write() = TipInfo {
            hash: parent.hash,
            header: parent.header,
            work: parent.work,
        };
        Ok(DisconnectedBlock { block })
    }

    fn queue_disconnect(
        &self,
        batch: &mut Batch<'_>,
        block: &Block,
        hash: &Hash,
    ) -> Result<(), StorageError> {
        for tx in &block.txs {
            batch.delete(Cf::TxIndex, &tx.txid().0);
        }
        batch.delete(Cf::MainIndex, &height_key(block.header.height));
        batch.delete(Cf::Undo, &hash.0);
        // The block's record events: found through the by-height index.
        let h = height_key(block.header.height);
        for (key, _) in self.db.scan_from(Cf::HistoryByHeight, &h, &h, usize::MAX)? {
            if key.len() != HISTORY_KEY_LEN {
                return Err(corrupt("history by height", &key, "key is not 44 bytes"));
            }
            let mut history_key = Vec::with_capacity(HISTORY_KEY_LEN);
            history_key.extend_from_slice(&key[12..]);
            history_key.extend_from_slice(&key[..12]);
            batch.delete(Cf::RecordHistory, &history_key);
            batch.delete(Cf::HistoryByHeight, &key);
        }
        Ok(())
    }

    /// Makes the stored block `new_tip` the main-chain tip in one synced batch: disconnects the
    /// main chain down to the fork point and connects the new branch, applying each of its
    /// blocks with `connect` (the caller's state transition, handed a view of the state just
    /// before that block). If `connect` rejects a block, nothing is written.
    ///
    /// Fork choice is the caller's: this does what it is asked even if the new branch has
    /// less work. `connect` runs while the store's writer lock is held: it may read from the
    /// store (headers, blocks, timestamps; [`Store::tip`] still shows the old tip) but must
    /// not write to it.
    /// Returns the disconnected blocks, whose transactions go back to the mempool.
    pub fn reorg_to<F, E>(
        &self,
        new_tip: &Hash,
        mut connect: F,
    ) -> Result<ReorgOutcome, StorageError>
    where
        F: FnMut(&dyn StateView, &Block) -> Result<StateDelta, E>,
        E: std::fmt::Display,
    {
        let _writer = self.write_lock.lock();
        let tip = self.tip.read().clone();
        // The new branch, newest first, down to the first main-chain ancestor.
        let mut branch = Vec::new();
        let mut cursor = *new_tip;
        let fork = loop {
            let info = self
                .block_info(&cursor)?
                .ok_or(StorageError::UnknownBlock(cursor))?;
            if info.on_main_chain {
                break info;
            }
            let block = self
                .block(&cursor)?
                .ok_or(StorageError::UnknownBlock(cursor))?;
            cursor = block.header.prev_hash;
            branch.push((info, block));
        };
        branch.reverse();
        let mut overlay = PendingState::new(self);
        let mut batch = self.db.batch();
        // Disconnect the old main chain, newest first.
        let mut disconnected = Vec::new();
        for height in (fork.header.height + 1..=tip.header.height).rev() {
            let hash = self
                .hash_at(height)?
                .ok_or_else(|| corrupt("main index", &height_key(height), "missing"))?;
            let block = self.block(&hash)?.ok_or(StorageError::UnknownBlock(hash))?;
            overlay.apply_undo(&self.undo(&hash)?)?;
            self.queue_disconnect(&mut batch, &block, &hash)?;
            disconnected.push(block);
        }
        // Connect the new branch, oldest first.
        let mut connected = Vec::new();
        let mut new_info = TipInfo {
            hash: fork.hash,
            header: fork.header,
            work: fork.work,
        };
        for (info, block) in &branch {
            let delta = connect(&overlay, block).map_err(|e| StorageError::InvalidBranchBlock {
                block: info.hash,
                reason: e.to_string(),
            })?;
            check_delta(block, &info.hash, &delta)?;
            queue_events(&mut batch, &events_of(block, &delta)?);
            overlay.apply_delta(&delta);
            batch.put(
                Cf::MainIndex,
                &height_key(block.header.height),
                &info.hash.0,
            );
            batch.put(Cf::Undo, &info.hash.0, &undo_of(&delta).encode());
            for (i, tx) in block.txs.iter().enumerate() {
                let pos = u32::try_from(i).unwrap_or(u32::MAX);
                batch.put(Cf::TxIndex, &tx.txid().0, &tx_location(&info.hash.0, pos));
            }
            connected.push(info.hash);
            new_info = TipInfo {
                hash: info.hash,
                header: info.header,
                work: info.work,
            };
        }
        overlay.queue_state(&mut batch)?;
        batch.put(Cf::Meta, meta::TIP, &new_info.hash.0);
        batch.put(Cf::Meta, meta::STATE_ACC, &overlay.acc.to_bytes());
        self.db.write(batch, true)?;
        *self.tip.write() = new_info;
        Ok(ReorgOutcome {
            fork_point: fork.hash,
            disconnected,
            connected,
        })
    }

    // ----- reads --------------------------------------------------------------------------

    /// Header, work and main-chain membership of a stored block.
    pub fn block_info(&self, hash: &Hash) -> Result<Option<BlockInfo>, StorageError> {
        let Some(bytes) = self.db.get(Cf::Headers, &hash.0)? else {
            return Ok(None);
        };
        let (work, header_bytes) =
            split_header_entry(&bytes).map_err(|e| corrupt("header", &hash.0, e))?;
        let header: Header =
            decode_exact(header_bytes, &STORED).map_err(|e| corrupt("header", &hash.0, e))?;
        let on_main_chain = self.hash_at(header.height)? == Some(*hash);
        Ok(Some(BlockInfo {
            hash: *hash,
            header,
            work: U256::from_be_bytes(work),
            on_main_chain,
        }))
    }

    /// The header of a stored block.
    pub fn header(&self, hash: &Hash) -> Result<Option<Header>, StorageError> {
        Ok(self.block_info(hash)?.map(|i| i.header))
    }

    /// A stored block (main chain or side branch) by hash.
    pub fn block(&self, hash: &Hash) -> Result<Option<Block>, StorageError> {
        let Some(bytes) = self.db.get(Cf::Bodies, &hash.0)? else {
            return Ok(None);
        };
        decode_exact(&bytes, &STORED)
            .map(Some)
            .map_err(|e| corrupt("block", &hash.0, e))
    }

    /// The hash of the main-chain block at `height`.
    pub fn hash_at(&self, height: Height) -> Result<Option<Hash>, StorageError> {
        let Some(bytes) = self.db.get(Cf::MainIndex, &height_key(height))? else {
            return Ok(None);
        };
        hash32(&bytes)
            .map(|h| Some(Hash(h)))
            .map_err(|e| corrupt("main index", &height_key(height), e))
    }

    /// The main-chain block at `height`.
    pub fn block_at(&self, height: Height) -> Result<Option<Block>, StorageError> {
        match self.hash_at(height)? {
            Some(hash) => self.block(&hash),
            None => Ok(None),
        }
    }

    /// Up to `limit` main-chain headers from `from` upwards, in height order (for
    /// headers-first sync and explorers).
    pub fn main_headers(&self, from: Height, limit: usize) -> Result<Vec<Header>, StorageError> {
        let rows = self
            .db
            .scan_from(Cf::MainIndex, &height_key(from), &[], limit)?;
        let mut out = Vec::with_capacity(rows.len());
        for (key, value) in rows {
            let hash = Hash(hash32(&value).map_err(|e| corrupt("main index", &key, e))?);
            let header = self
                .header(&hash)?
                .ok_or(StorageError::UnknownBlock(hash))?;
            out.push(header);
        }
        Ok(out)
    }

    /// A main-chain transaction by id, with its position.
    pub fn transaction(&self, txid: &TxId) -> Result<Option<TxLocation>, StorageError> {
        let Some(bytes) = self.db.get(Cf::TxIndex, &txid.0)? else {
            return Ok(None);
        };
        let (block_hash, position) =
            parse_tx_location(&bytes).map_err(|e| corrupt("tx index", &txid.0, e))?;
        let block_hash = Hash(block_hash);
        let block = self
            .block(&block_hash)?
            .ok_or(StorageError::UnknownBlock(block_hash))?;
        let tx = block.txs.get(position as usize).cloned().ok_or_else(|| {
            corrupt(
                "tx index",
                &txid.0,
                "position beyond the block's transactions",
            )
        })?;
        Ok(Some(TxLocation {
            block: block_hash,
            height: block.header.height,
            position,
            tx,
        }))
    }

    /// Ids of records owned by `owner`, in id order, starting after `after` (exclusive; for
    /// paging), at most `limit`.
    pub fn records_by_owner(
        &self,
        owner: &Address,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<RecordId>, StorageError> {
        let start = match after {
            Some(id) => {
                // The smallest key strictly after owner ‖ id.
                let mut k = owner_key(&owner.0, &id.0).to_vec();
                k.push(0);
                k
            }
            None => owner.0.to_vec(),
        };
        let rows = self
            .db
            .scan_from(Cf::RecordOwner, &start, &owner.0, limit)?;
        rows.into_iter()
            .map(|(k, _)| {
                hash32(&k[32..])
                    .map(Hash)
                    .map_err(|e| corrupt("record owner index", &k, e))
            })
            .collect()
    }

    /// The main-chain history of a record (`specs/storage.md` §3), oldest first, at most
    /// `limit` events; empty for an unknown record.
    pub fn record_history(
        &self,
        record: &RecordId,
        limit: usize,
    ) -> Result<Vec<RecordEvent>, StorageError> {
        let rows = self
            .db
            .scan_from(Cf::RecordHistory, &record.0, &record.0, limit)?;
        rows.iter()
            .map(|(k, v)| RecordEvent::decode(k, v).map_err(|e| corrupt("record history", k, e)))
            .collect()
    }

    /// The state entries whose canonical key starts with `prefix` (e.g. a key tag byte), in
    /// key-byte order, at most `limit`.
    pub fn state_with_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<(StateKey, StateValue)>, StorageError> {
        let rows = self.db.scan_from(Cf::State, prefix, prefix, limit)?;
        rows.iter()
            .map(|(k, v)| {
                let key: StateKey =
                    decode_exact(k, &STORED).map_err(|e| corrupt("state key", k, e))?;
                let value: StateValue =
                    decode_exact(v, &STORED).map_err(|e| corrupt("state value", k, e))?;
                Ok((key, value))
            })
            .collect()
    }

    /// Timestamps of up to `n` blocks ending with `hash` (that block first, then its
    /// ancestors): what the median-time-past rule needs for a child of `hash`.
    pub fn recent_timestamps(&self, hash: &Hash, n: usize) -> Result<Vec<u64>, StorageError> {
        let mut out = Vec::with_capacity(n);
        let mut cursor = *hash;
        while out.len() < n {
            let Some(header) = self.header(&cursor)? else {
                break;
            };
            out.push(header.timestamp);
            if header.height == 0 {
                break;
            }
            cursor = header.prev_hash;
        }
        Ok(out)
    }

    fn undo(&self, hash: &Hash) -> Result<UndoRecord, StorageError> {
        let bytes = self
            .db
            .get(Cf::Undo, &hash.0)?
            .ok_or(StorageError::Inconsistent(Inconsistency::MissingUndo {
                hash: *hash,
                height: self.header(hash)?.map_or(0, |h| h.height),
            }))?;
        UndoRecord::decode(&bytes).map_err(|e| corrupt("undo record", &hash.0, e))
    }

    fn state_value(&self, key: &StateKey) -> Result<Option<StateValue>, StorageError> {
        let k = key.encode();
        let Some(bytes) = self.db.get(Cf::State, &k)? else {
            return Ok(None);
        };
        decode_exact(&bytes, &STORED)
            .map(Some)
            .map_err(|e| corrupt("state value", &k, e))
    }

    /// A view of the current state to layer uncommitted block deltas on
    /// ([`PendingState::apply_delta`]).
    #[must_use]
    pub fn pending(&self) -> PendingState<'_> {
        PendingState::new(self)
    }

    /// The stored state accumulator (state after the tip).
    pub fn accumulator(&self) -> Result<StateAccumulator, StorageError> {
        read_accumulator(&self.db)
    }

    /// Recomputes the accumulator from every state entry and compares it with the stored one
    /// (O(state): for tools and tests).
    pub fn verify_state(&self) -> Result<(), StorageError> {
        let mut acc = StateAccumulator::empty();
        self.db.for_each(Cf::State, |k, v| {
            acc.insert(k, v);
            Ok(())
        })?;
        if acc != self.accumulator()? {
            return Err(StorageError::Inconsistent(Inconsistency::StateContents));
        }
        Ok(())
    }

    /// Every state entry, decoded (O(state): for tests and tools comparing states).
    pub fn state_entries(&self) -> Result<BTreeMap<StateKey, StateValue>, StorageError> {
        let mut out = BTreeMap::new();
        self.db.for_each(Cf::State, |k, v| {
            let key: StateKey = decode_exact(k, &STORED).map_err(|e| corrupt("state key", k, e))?;
            let value: StateValue =
                decode_exact(v, &STORED).map_err(|e| corrupt("state value", k, e))?;
            out.insert(key, value);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Queues the record history entries of a block's events.
fn queue_events(batch: &mut Batch<'_>, events: &[RecordEvent]) {
    for e in events {
        batch.put(Cf::RecordHistory, &e.key(), &e.encode_value());
        batch.put(Cf::HistoryByHeight, &e.height_key(), &[]);
    }
}

/// Refuses a delta that does not lead to the block's state root (a caller mixing up blocks
/// and deltas would otherwise write a store that fails its next open-time check).
fn check_delta(block: &Block, hash: &Hash, delta: &StateDelta) -> Result<(), StorageError> {
    let root = delta.accumulator.root();
    if root != block.header.state_root {
        return Err(StorageError::DeltaMismatch {
            block: *hash,
            header: block.header.state_root,
            delta: root,
        });
    }
    Ok(())
}

/// `(key, previous, new)` of every change of a delta.
fn delta_state_writes(
    delta: &StateDelta,
) -> Vec<(&StateKey, Option<&StateValue>, Option<&StateValue>)> {
    delta
        .changes
        .iter()
        .map(|(k, new)| {
            (
                k,
                delta.previous.get(k).and_then(Option::as_ref),
                new.as_ref(),
            )
        })
        .collect()
}

fn read_accumulator(db: &Db) -> Result<StateAccumulator, StorageError> {
    let bytes = db
        .get(Cf::Meta, meta::STATE_ACC)?
        .ok_or(StorageError::Inconsistent(
            Inconsistency::MissingAccumulator,
        ))?;
    StateAccumulator::from_bytes(&bytes)
        .ok_or_else(|| corrupt("state accumulator", meta::STATE_ACC, "not 2048 bytes"))
}

impl StateView for Store {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        self.state_value(key)
            .map_err(|e| StateError::Backend(e.to_string()))
    }

    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        read_accumulator(&self.db).map_err(|e| StateError::Backend(e.to_string()))
    }
}

/// Pending state changes over the stored state, readable as a consensus [`StateView`].
///
/// A reorg builds one before it writes (the new branch's blocks are applied against it); the
/// node can use one to look at the state after blocks it has not committed (a block template,
/// a chain of them) with [`Store::pending`] and [`PendingState::apply_delta`]. Nothing is
/// written to the store through it.
pub struct PendingState<'a> {
    store: &'a Store,
    /// Net new value per touched key (None = deleted).
    changes: BTreeMap<StateKey, Option<StateValue>>,
    acc: StateAccumulator,
    acc_loaded: bool,
}

impl<'a> PendingState<'a> {
    fn new(store: &'a Store) -> Self {
        PendingState {
            store,
            changes: BTreeMap::new(),
            acc: StateAccumulator::empty(),
            acc_loaded: false,
        }
    }

    fn apply_undo(&mut self, undo: &UndoRecord) -> Result<(), StorageError> {
        for (k, v) in &undo.entries {
            let key: StateKey = decode_exact(k, &STORED).map_err(|e| corrupt("undo key", k, e))?;
            let value = match v {
                Some(bytes) => Some(
                    decode_exact::<StateValue>(bytes, &STORED)
                        .map_err(|e| corrupt("undo value", k, e))?,
                ),
                None => None,
            };
            self.changes.insert(key, value);
        }
        self.acc = StateAccumulator::from_bytes(&undo.previous_accumulator)
            .ok_or_else(|| corrupt("undo accumulator", &[], "not 2048 bytes"))?;
        self.acc_loaded = true;
        Ok(())
    }

    /// Layers the changes of `delta` (a block applied to this view) on top.
    pub fn apply_delta(&mut self, delta: &StateDelta) {
        for (k, v) in &delta.changes {
            self.changes.insert(*k, v.clone());
        }
        self.acc = delta.accumulator.clone();
        self.acc_loaded = true;
    }

    /// Queues the net state writes and record-owner index changes.
    fn queue_state(&self, batch: &mut Batch<'_>) -> Result<(), StorageError> {
        for (key, new) in &self.changes {
            let old = self.store.state_value(key)?;
            if old.as_ref() == new.as_ref() {
                continue;
            }
            let k = key.encode();
            match new {
                Some(v) => batch.put(Cf::State, &k, &v.encode()),
                None => batch.delete(Cf::State, &k),
            }
            index_record(batch, key, old.as_ref(), new.as_ref());
        }
        Ok(())
    }
}

impl StateView for PendingState<'_> {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.store.get(key),
        }
    }

    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        if self.acc_loaded {
            Ok(self.acc.clone())
        } else {
            StateView::accumulator(self.store)
        }
    }
}

/// The open-time check (`specs/storage.md` §6); returns the tip.
fn check_consistency(db: &Db) -> Result<TipInfo, StorageError> {
    let bad = |i: Inconsistency| StorageError::Inconsistent(i);
    let tip_bytes = db
        .get(Cf::Meta, meta::TIP)?
        .ok_or(bad(Inconsistency::MissingTip))?;
    let tip_hash = Hash(hash32(&tip_bytes).map_err(|e| corrupt("tip", meta::TIP, e))?);
    let acc = read_accumulator(db)?;
    let entry = db
        .get(Cf::Headers, &tip_hash.0)?
        .ok_or(bad(Inconsistency::MissingTipHeader(tip_hash)))?;
    let (work, header_bytes) =
        split_header_entry(&entry).map_err(|e| corrupt("header", &tip_hash.0, e))?;
    let header: Header =
        decode_exact(header_bytes, &STORED).map_err(|e| corrupt("header", &tip_hash.0, e))?;
    let tip_height = header.height;
    if db.contains(Cf::MainIndex, &height_key(tip_height + 1))? {
        return Err(bad(Inconsistency::IndexAboveTip(tip_height + 1)));
    }
    // No record event above the tip (the history index moves with the main chain).
    if let Some((key, _)) = db
        .scan_from(Cf::HistoryByHeight, &height_key(tip_height + 1), &[], 1)?
        .first()
    {
        let height = key
            .get(..8)
            .and_then(read_u64_be)
            .ok_or_else(|| corrupt("history by height", key, "key shorter than a height"))?;
        return Err(bad(Inconsistency::HistoryAboveTip(height)));
    }
    let computed = acc.root();
    if computed != header.state_root {
        return Err(bad(Inconsistency::StateRoot {
            computed,
            header: header.state_root,
        }));
    }
    // Walk the last CHECK_DEPTH main-chain blocks.
    let mut expected = tip_hash;
    let lowest = tip_height.saturating_sub(CHECK_DEPTH - 1);
    for height in (lowest..=tip_height).rev() {
        let found = db
            .get(Cf::MainIndex, &height_key(height))?
            .and_then(|b| hash32(&b).ok())
            .map(Hash);
        if found != Some(expected) {
            return Err(bad(Inconsistency::MainIndex {
                height,
                found,
                expected,
            }));
        }
        let entry = db
            .get(Cf::Headers, &expected.0)?
            .ok_or(bad(Inconsistency::MissingTipHeader(expected)))?;
        let (_, hb) = split_header_entry(&entry).map_err(|e| corrupt("header", &expected.0, e))?;
        let h: Header = decode_exact(hb, &STORED).map_err(|e| corrupt("header", &expected.0, e))?;
        if !db.contains(Cf::Bodies, &expected.0)? {
            return Err(bad(Inconsistency::MissingBody {
                hash: expected,
                height,
            }));
        }
        if height > 0 {
            let undo = db
                .get(Cf::Undo, &expected.0)?
                .ok_or(bad(Inconsistency::MissingUndo {
                    hash: expected,
                    height,
                }))?;
            UndoRecord::decode(&undo).map_err(|e| corrupt("undo record", &expected.0, e))?;
        }
        expected = h.prev_hash;
    }
    Ok(TipInfo {
        hash: tip_hash,
        header,
        work: U256::from_be_bytes(work),
    })
}
