//! The import pipeline: the one path every block takes (from gossip, from sync, from the
//! local producer), the mempool beside it, and the broadcast channels that announce changes.
//!
//! [`Chain::import_block`] checks a block against its parent with the consensus crate
//! (`apply_block` for a child of the tip, `check_header` for a side-branch block), writes it
//! with the storage crate, and when a side branch becomes heavier (consensus fork choice)
//! reorganises onto it, re-checking every block of the branch. After every change of the best
//! chain the mempool is updated: transactions included are removed, those of disconnected
//! blocks are re-admitted. Imports are serialised by one lock; readers never take it.
//!
//! Everything here is synchronous and may block on disk: async callers run it with
//! `tokio::task::spawn_blocking`.

use std::time::{SystemTime, UNIX_EPOCH};

use infernet_consensus::context::MEDIAN_TIME_SPAN;
use infernet_consensus::{
    BlockContext, BlockError, BlockTemplate, StateDelta, apply_block, build_block, check_header,
    is_better_chain,
};
use infernet_mempool::{Mempool, MempoolConfig, MempoolError};
use infernet_rpc::views::{HeaderView, JobView, RecordView};
use infernet_storage::{StorageError, Store};
use infernet_types::{
    Address, Block, ChainSpec, Hash, JobStatus, SignedTransaction, StateKey, StateValue,
};
use parking_lot::Mutex;
use tokio::sync::broadcast;

/// Capacity of each broadcast channel; a subscriber slower than this many events misses
/// the oldest (it sees a `Lagged` error), the node never waits for it.
pub const EVENT_CAPACITY: usize = 256;

/// The current time, unix seconds (the node owns the clock; consensus is handed it).
#[must_use]
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why a block was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The block breaks a consensus rule: its sender should be penalised.
    #[error("invalid block {hash}: {source}")]
    Invalid {
        /// The block.
        hash: Hash,
        /// The rule it breaks.
        source: BlockError,
    },
    /// A block of a heavier branch breaks a rule (found while reorganising onto it).
    #[error("invalid block on a side branch: {0}")]
    InvalidBranch(String),
    /// Its parent is unknown: fetch the missing blocks with sync first.
    #[error("block {hash} has an unknown parent {parent}; sync the chain first")]
    UnknownParent {
        /// The block.
        hash: Hash,
        /// Its parent.
        parent: Hash,
    },
    /// The database failed (the node's problem, not the sender's).
    #[error("storage failed while importing: {0}")]
    Storage(#[from] StorageError),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The block became the new tip, extending the old one.
    Extended,
    /// The block made a side branch heavier than the main chain: the node reorganised.
    Reorganised {
        /// How many blocks were taken off the old main chain.
        disconnected: usize,
        /// How many transactions of those went back to the mempool.
        readmitted: usize,
    },
    /// Stored on a side branch that is not (yet) heavier.
    SideBranch,
    /// Already stored.
    Known,
}

/// Why a block template could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Reading the chain failed.
    #[error("storage failed while building a template: {0}")]
    Storage(#[from] StorageError),
    /// The consensus builder refused (a state read failed or the reward overflowed).
    #[error("cannot build a block: {0}")]
    Build(#[from] BlockError),
    /// The tip's header is missing.
    #[error("the tip block {0} is not stored")]
    MissingTip(Hash),
}

/// Broadcast channels of chain events, for RPC subscriptions and other services.
#[derive(Debug, Clone)]
pub struct ChainEvents {
    /// Every new best header.
    pub new_heads: broadcast::Sender<HeaderView>,
    /// Jobs that became completed or expired.
    pub job_results: broadcast::Sender<JobView>,
    /// Records minted or transferred (the view shows the new owner).
    pub records: broadcast::Sender<RecordView>,
}

impl ChainEvents {
    fn new() -> Self {
        ChainEvents {
            new_heads: broadcast::channel(EVENT_CAPACITY).0,
            job_results: broadcast::channel(EVENT_CAPACITY).0,
            records: broadcast::channel(EVENT_CAPACITY).0,
        }
    }

    /// Announces what a connected block's state delta changed for subscribers.
    fn announce(&self, block: &Block, delta: &StateDelta) {
        for (key, new) in &delta.changes {
            match (key, new) {
                (StateKey::Job(_), Some(StateValue::Job(job))) => {
                    let was_pending = matches!(
                        delta.previous.get(key),
                        Some(Some(StateValue::Job(old))) if old.status == JobStatus::Pending
                    );
                    if job.status != JobStatus::Pending && was_pending {
                        let _ = self.job_results.send(JobView::from(job));
                    }
                }
                (StateKey::Record(_), Some(StateValue::Record(rec))) => {
                    let changed = match delta.previous.get(key) {
                        Some(Some(StateValue::Record(old))) => old.owner != rec.owner,
                        _ => true,
                    };
                    if changed {
                        let _ = self.records.send(RecordView::from(rec));
                    }
                }
                _ => {}
            }
        }
        let _ = self.new_heads.send(HeaderView::from(&block.header));
    }
}

/// The node's chain: store, mempool and the import pipeline.
pub struct Chain {
    spec: ChainSpec,
    store: Store,
    mempool: Mutex<Mempool>,
    /// Serialises imports (decide, check, write, update the mempool) so two blocks never
    /// race on the tip.
    import_lock: Mutex<()>,
    events: ChainEvents,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("chain", &self.spec.name)
            .field("tip", &self.store.tip().hash)
            .finish_non_exhaustive()
    }
}

impl Chain {
    /// Opens (or initialises with the spec's genesis) the store at `path`.
    pub fn open(spec: ChainSpec, path: &std::path::Path) -> Result<Chain, StorageError> {
        let store = Store::open_or_init(path, &spec)?;
        let tip_height = store.tip().height();
        let mempool = Mempool::new(spec.clone(), MempoolConfig::default(), tip_height);
        Ok(Chain {
            spec,
            store,
            mempool: Mutex::new(mempool),
            import_lock: Mutex::new(()),
            events: ChainEvents::new(),
        })
    }

    /// The chain spec.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The store (read access; writes go through [`Chain::import_block`]).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The mempool, locked (keep the guard short).
    pub fn mempool(&self) -> parking_lot::MutexGuard<'_, Mempool> {
        self.mempool.lock()
    }

    /// The event channels.
    pub fn events(&self) -> &ChainEvents {
        &self.events
    }

    fn context_for<'a>(
        &'a self,
        parent: &infernet_types::Header,
        now: u64,
    ) -> Result<BlockContext<'a>, StorageError> {
        let ts = self
            .store
            .recent_timestamps(&parent.hash(), MEDIAN_TIME_SPAN)?;
        Ok(BlockContext::new(&self.spec, parent, &ts, now))
    }

    /// Imports `block` (from a peer, from sync or from the local producer: all the same).
    pub fn import_block(&self, block: &Block) -> Result<ImportOutcome, ImportError> {
        let _import = self.import_lock.lock();
        let hash = block.hash();
        if self.store.block_info(&hash)?.is_some() {
            return Ok(ImportOutcome::Known);
        }
        let parent =
            self.store
                .block_info(&block.header.prev_hash)?
                .ok_or(ImportError::UnknownParent {
                    hash,
                    parent: block.header.prev_hash,
                })?;
        let now = now_secs();
        let ctx = self.context_for(&parent.header, now)?;
        let tip = self.store.tip();
        if parent.hash == tip.hash {
            let delta = apply_block(&self.store, block, &ctx)
                .map_err(|source| ImportError::Invalid { hash, source })?;
            self.store.import_block(block, &delta)?;
            self.after_connect(block)?;
            self.events.announce(block, &delta);
            tracing::debug!(height = block.header.height, %hash, txs = block.txs.len(), "block connected");
            return Ok(ImportOutcome::Extended);
        }
        // A side branch: the header must carry real work before it costs us disk.
        check_header(&block.header, &ctx)
            .map_err(|source| ImportError::Invalid { hash, source })?;
        let info = self.store.store_side_block(block)?;
        if !is_better_chain(tip.work, info.work) {
            tracing::debug!(height = block.header.height, %hash, "side-branch block stored");
            return Ok(ImportOutcome::SideBranch);
        }
        let mut applied: Vec<(Block, StateDelta)> = Vec::new();
        let outcome = self.store.reorg_to(&hash, |view, b| {
            let parent = self
                .store
                .header(&b.header.prev_hash)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("parent {} missing", b.header.prev_hash))?;
            let ctx = self.context_for(&parent, now).map_err(|e| e.to_string())?;
            let delta = apply_block(view, b, &ctx).map_err(|e| e.to_string())?;
            applied.push((b.clone(), delta.clone()));
            Ok::<_, String>(delta)
        });
        let outcome = match outcome {
            Ok(o) => o,
            Err(StorageError::InvalidBranchBlock { block, reason }) => {
                return Err(ImportError::InvalidBranch(format!("{block}: {reason}")));
            }
            Err(e) => return Err(e.into()),
        };
        for (b, _) in &applied {
            self.after_connect(b)?;
        }
        let txs = outcome.disconnected_txs();
        let readmitted = self
            .mempool
            .lock()
            .on_block_disconnected(txs, &self.store, self.store.tip().height())
            .map_err(|e| StorageError::State(e.to_string()))?;
        for (b, d) in &applied {
            self.events.announce(b, d);
        }
        tracing::info!(
            height = block.header.height,
            %hash,
            disconnected = outcome.disconnected.len(),
            readmitted,
            "reorganised onto a heavier branch"
        );
        Ok(ImportOutcome::Reorganised {
            disconnected: outcome.disconnected.len(),
            readmitted,
        })
    }

    fn after_connect(&self, block: &Block) -> Result<(), StorageError> {
        self.mempool
            .lock()
            .on_block_connected(block, &self.store)
            .map_err(|e| StorageError::State(e.to_string()))?;
        Ok(())
    }

    /// Checks a transaction against the tip state and admits it to the mempool; returns its
    /// id.
    pub fn submit_tx(&self, tx: SignedTransaction) -> Result<Hash, MempoolError> {
        let txid = tx.txid();
        self.mempool.lock().insert(tx, &self.store)?;
        Ok(txid)
    }

    /// A block template on the current tip paying `coinbase`, filled from the mempool
    /// (transactions the builder rejects are dropped from the mempool).
    pub fn template(&self, coinbase: Address) -> Result<BlockTemplate, TemplateError> {
        let tip = self.store.tip();
        let ctx = self.context_for(&tip.header, now_secs())?;
        let candidates = self.mempool.lock().select(
            self.spec.limits.max_block_bytes as usize,
            self.spec.limits.max_jobs_per_block as usize,
        );
        // Dev chains seal on demand, possibly hundreds of blocks in a second: their block
        // times follow the spec's block time from the parent (never past the clock), so
        // timestamps stay within the future-drift rule however fast blocks are sealed.
        let now = now_secs();
        let timestamp = if self.spec.dev {
            now.min(
                tip.header
                    .timestamp
                    .saturating_add(self.spec.block_time_secs),
            )
        } else {
            now
        };
        let template = build_block(&self.store, &ctx, timestamp, coinbase, candidates)?;
        if template.block.header.prev_hash != self.store.tip().hash {
            // The tip moved while building: the caller retries on the new tip.
            tracing::debug!("tip moved while building a template");
        }
        if !template.rejected.is_empty() {
            let ids: Vec<Hash> = template.rejected.iter().map(|(id, _)| *id).collect();
            self.mempool.lock().remove_rejected(ids.iter());
        }
        Ok(template)
    }
}
