//! Infernet mempool: pending transactions, ordering, limits and eviction.
//!
//! [`Mempool`] holds signed transactions that are valid against the current tip state (as far
//! as a transaction can be checked on its own), and hands the block producer the best of them
//! ([`Mempool::select`]): highest fee rate (fee / encoded size) first, each sender's nonces in
//! order. It is bounded by count and bytes, accepts at most a window of nonces per sender and
//! no nonce gaps, evicts the lowest fee rates when full, replaces a pending transaction only
//! for a fee-rate bump, and drops transactions that stay pending too many blocks.
//!
//! Validation is the consensus crate's: [`infernet_consensus::check_tx`] against the tip
//! state, where for a sender's later nonces the view shows the sender's account as it will be
//! after its earlier pending transactions (nonce advanced; balance reduced by their fees,
//! transfers, bonds and job escrows). Effects that depend on other senders' pending
//! transactions can't be known here; the block producer's `build_block` rejects those and the
//! node removes them with [`Mempool::remove_rejected`].
//!
//! The node calls [`Mempool::on_block_connected`] after each imported block (removes included
//! and stale transactions, expires old ones, rechecks the affected senders) and
//! [`Mempool::on_block_disconnected`] with the transactions of blocks a reorg took off the
//! chain (re-admits them). No networking, no storage writes, no clock: everything is a
//! deterministic function of the calls made.

pub mod pool;

use std::collections::{BTreeMap, BTreeSet};

use infernet_consensus::{StateAccumulator, StateError, StateView, TxError, TxRules, check_tx};
use infernet_crypto::{Address, Hash};
use infernet_types::{
    Amount, Block, ChainSpec, Encode, Height, SignedTransaction, StateKey, StateValue, TxKind,
};

pub use pool::{Admitted, FeeRate, MempoolConfig, Pool, PoolReject, TxMeta};

/// Why a transaction was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The pool's own rules refused it (duplicate, nonce, capacity).
    #[error("mempool: {0}")]
    Pool(#[from] PoolReject),
    /// A consensus rule refused it against the tip state.
    #[error("invalid transaction: {0}")]
    Invalid(TxError),
    /// The state could not be read; the transaction was neither accepted nor judged.
    #[error("cannot check the transaction, the state is unavailable: {0}")]
    State(StateError),
}

impl From<TxError> for MempoolError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::State(s) => MempoolError::State(s),
            other => MempoolError::Invalid(other),
        }
    }
}

/// What [`Mempool::on_block_connected`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockCleanup {
    /// Included in the block or made stale by it (nonce used).
    pub included: Vec<Hash>,
    /// Pending for `expiry_blocks` or more.
    pub expired: Vec<Hash>,
    /// No longer valid against the new tip (with their senders' later nonces).
    pub invalid: Vec<Hash>,
}

/// The mempool of one node.
#[derive(Debug, Clone)]
pub struct Mempool {
    spec: ChainSpec,
    pool: Pool<SignedTransaction>,
    /// Height of the tip the pool is validated against.
    tip_height: Height,
    /// How many heads of senders not in a block are rechecked per connected block.
    revalidate_per_block: usize,
    /// Where the rotating recheck resumes (a sender address).
    revalidate_cursor: Option<Address>,
}

/// The tip state with one sender's account shown as it will be after the sender's earlier
/// pending transactions.
struct SenderAhead<'a, V: StateView + ?Sized> {
    base: &'a V,
    sender: Address,
    nonce: u64,
    spent: Amount,
}

impl<V: StateView + ?Sized> StateView for SenderAhead<'_, V> {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        let value = self.base.get(key)?;
        if *key != StateKey::Account(self.sender) {
            return Ok(value);
        }
        let mut account = match value {
            Some(StateValue::Account(a)) => a,
            Some(other) => return Ok(Some(other)),
            None => infernet_types::Account::default(),
        };
        account.nonce = self.nonce;
        account.balance = account
            .balance
            .checked_sub(self.spent)
            .unwrap_or(Amount::ZERO);
        Ok(Some(StateValue::Account(account)))
    }

    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        self.base.accumulator()
    }
}

/// What a transaction takes from its sender's spendable balance, as far as it can be told
/// from the transaction alone: the fee plus its kind's [`TxRules::upfront_debit`] (transfer
/// amount, bond, bond top-up or job escrow).
/// Saturates (an overflowing transaction is refused by consensus anyway).
#[must_use]
pub fn upfront_debit(tx: &SignedTransaction) -> Amount {
    let fee = tx.tx.fee;
    let extra = tx.tx.kind.upfront_debit();
    fee.checked_add(extra).unwrap_or(Amount::MAX)
}

fn account_nonce<V: StateView + ?Sized>(view: &V, sender: &Address) -> Result<u64, StateError> {
    Ok(match view.get(&StateKey::Account(*sender))? {
        Some(StateValue::Account(a)) => a.nonce,
        _ => 0,
    })
}

impl Mempool {
    /// An empty mempool for `spec`, validating against a tip at `tip_height`.
    #[must_use]
    pub fn new(spec: ChainSpec, config: MempoolConfig, tip_height: Height) -> Self {
        Mempool {
            spec,
            pool: Pool::new(config),
            tip_height,
            revalidate_per_block: 256,
            revalidate_cursor: None,
        }
    }

    /// Sets how many heads of other senders are rechecked per connected block (default 256).
    #[must_use]
    pub fn with_revalidation(mut self, per_block: usize) -> Self {
        self.revalidate_per_block = per_block;
        self
    }

    /// The underlying pool (read-only), for views and statistics.
    #[must_use]
    pub fn pool(&self) -> &Pool<SignedTransaction> {
        &self.pool
    }

    /// Number of pending transactions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pool.len()
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pool.is_empty()
    }

    /// Encoded bytes pending.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.pool.bytes()
    }

    /// Whether `txid` is pending.
    #[must_use]
    pub fn contains(&self, txid: &Hash) -> bool {
        self.pool.contains(txid)
    }

    /// The pending transaction `txid`.
    #[must_use]
    pub fn get(&self, txid: &Hash) -> Option<&SignedTransaction> {
        self.pool.get(txid)
    }

    /// The pending transactions of `sender`, in nonce order (for wallets and RPC).
    #[must_use]
    pub fn sender_pending(&self, sender: &Address) -> Vec<&SignedTransaction> {
        self.pool
            .sender_txs(sender)
            .filter_map(|(_, id)| self.pool.get(&id))
            .collect()
    }

    /// Height of the tip the pool is validated against.
    #[must_use]
    pub fn tip_height(&self) -> Height {
        self.tip_height
    }

    /// The nonce the next transaction of `sender` should carry, counting pending ones (what a
    /// wallet asks for).
    pub fn next_nonce<V: StateView + ?Sized>(
        &self,
        sender: &Address,
        view: &V,
    ) -> Result<u64, StateError> {
        Ok(self.pool.next_nonce(sender, account_nonce(view, sender)?))
    }

    fn meta_of(tx: &SignedTransaction, txid: Hash) -> TxMeta {
        TxMeta {
            id: txid,
            sender: tx.tx.sender,
            nonce: tx.tx.nonce,
            fee: tx.tx.fee.base_units(),
            size: tx.encoded_len() as u64,
            is_job: matches!(tx.tx.kind, TxKind::SubmitJob(_)),
        }
    }

    /// Checks `tx` against the tip state `view` (with the sender's earlier pending
    /// transactions taken into account) and admits it, evicting lower fee rates if full.
    pub fn insert<V: StateView + ?Sized>(
        &mut self,
        tx: SignedTransaction,
        view: &V,
    ) -> Result<Admitted, MempoolError> {
        let txid = tx.txid();
        let meta = Self::meta_of(&tx, txid);
        let nonce = account_nonce(view, &meta.sender).map_err(MempoolError::State)?;
        // The pool's cheap checks first (duplicates, nonces, room) so a flood of junk costs no
        // signature verification.
        self.pool.check_insert(&meta, nonce)?;
        let spent = self
            .pool
            .sender_txs(&meta.sender)
            .filter(|(n, _)| *n < meta.nonce)
            .filter_map(|(_, id)| self.pool.get(&id))
            .fold(Amount::ZERO, |acc, t| {
                acc.checked_add(upfront_debit(t)).unwrap_or(Amount::MAX)
            });
        let ahead = SenderAhead {
            base: view,
            sender: meta.sender,
            nonce: meta.nonce,
            spent,
        };
        check_tx(&ahead, &self.spec, self.tip_height.saturating_add(1), &tx)?;
        Ok(self.pool.insert(meta, tx, nonce, self.tip_height)?)
    }

    /// Transactions for the next block template: best fee rate first, nonce order per sender,
    /// at most `max_bytes` encoded bytes and `max_jobs` `SubmitJob`s. Hand them to the
    /// consensus crate's `build_block` in this order.
    #[must_use]
    pub fn select(&self, max_bytes: usize, max_jobs: usize) -> Vec<SignedTransaction> {
        self.pool
            .select(max_bytes, max_jobs)
            .into_iter()
            .map(|(_, tx)| tx.clone())
            .collect()
    }

    /// Removes transactions the block producer found invalid (`BlockTemplate::rejected`),
    /// with their senders' later nonces. Returns every id removed.
    pub fn remove_rejected<'a>(&mut self, ids: impl IntoIterator<Item = &'a Hash>) -> Vec<Hash> {
        let mut removed = Vec::new();
        for id in ids {
            removed.extend(self.pool.remove_with_successors(id));
        }
        removed
    }

    /// Rechecks the head (next-nonce transaction) of each sender in `senders` against `view`;
    /// a failing head goes with its sender's later nonces.
    fn recheck_heads<V: StateView + ?Sized>(
        &mut self,
        senders: impl IntoIterator<Item = Address>,
        view: &V,
    ) -> Result<Vec<Hash>, StateError> {
        let mut removed = Vec::new();
        for sender in senders {
            let Some((nonce, id)) = self.pool.sender_txs(&sender).next() else {
                continue;
            };
            let state_nonce = account_nonce(view, &sender)?;
            let verdict = if nonce != state_nonce {
                Err(TxError::BadNonce {
                    expected: state_nonce,
                    got: nonce,
                })
            } else {
                match self.pool.get(&id) {
                    Some(tx) => check_tx(view, &self.spec, self.tip_height.saturating_add(1), tx),
                    None => Ok(()),
                }
            };
            match verdict {
                Ok(()) => {}
                Err(TxError::State(s)) => return Err(s),
                Err(_) => removed.extend(self.pool.remove_sender_from(&sender, nonce)),
            }
        }
        Ok(removed)
    }

    /// Updates the pool after `block` became the tip; `view` is the state after it.
    ///
    /// Removes the block's transactions and any made stale (nonce used), expires old ones,
    /// and rechecks the next transaction of every sender in the block plus up to
    /// `revalidate_per_block` other senders in rotation.
    pub fn on_block_connected<V: StateView + ?Sized>(
        &mut self,
        block: &Block,
        view: &V,
    ) -> Result<BlockCleanup, StateError> {
        self.tip_height = block.header.height;
        let senders: BTreeSet<Address> = block.txs.iter().map(|t| t.tx.sender).collect();
        let mut cleanup = BlockCleanup::default();
        for sender in &senders {
            let nonce = account_nonce(view, sender)?;
            cleanup
                .included
                .extend(self.pool.remove_sender_below(sender, nonce));
        }
        cleanup.expired = self.pool.expire(self.tip_height);
        cleanup.invalid = self.recheck_heads(senders.iter().copied(), view)?;
        // Rotate through the other senders, a bounded number per block.
        let start = self.revalidate_cursor;
        let mut others: Vec<Address> = match start {
            Some(c) => self.pool.senders().filter(|s| **s > c).copied().collect(),
            None => self.pool.senders().copied().collect(),
        };
        if others.len() < self.revalidate_per_block {
            let wrap: Vec<Address> = self
                .pool
                .senders()
                .filter(|s| start.is_some_and(|c| **s <= c))
                .copied()
                .collect();
            others.extend(wrap);
        }
        others.retain(|s| !senders.contains(s));
        others.truncate(self.revalidate_per_block);
        self.revalidate_cursor = others.last().copied();
        cleanup.invalid.extend(self.recheck_heads(others, view)?);
        Ok(cleanup)
    }

    /// Re-admits the transactions of blocks a reorg took off the chain (`txs` oldest block
    /// first, in block order) against the new tip state `view` at `tip_height`. Pending
    /// transactions of the same senders are re-inserted after them so nonce chains stay
    /// contiguous. Returns how many of the given transactions were admitted.
    pub fn on_block_disconnected<V: StateView + ?Sized>(
        &mut self,
        txs: Vec<SignedTransaction>,
        view: &V,
        tip_height: Height,
    ) -> Result<usize, StateError> {
        self.tip_height = tip_height;
        let senders: BTreeSet<Address> = txs.iter().map(|t| t.tx.sender).collect();
        // Take the affected senders' pending transactions out, then put everything back in
        // nonce order per sender.
        let mut by_sender: BTreeMap<Address, BTreeMap<u64, (bool, SignedTransaction)>> =
            BTreeMap::new();
        for sender in &senders {
            let ids: Vec<Hash> = self.pool.sender_txs(sender).map(|(_, id)| id).collect();
            for id in ids {
                if let Some(tx) = self.pool.get(&id).cloned() {
                    by_sender
                        .entry(*sender)
                        .or_default()
                        .insert(tx.tx.nonce, (false, tx));
                }
            }
            self.pool.remove_sender_from(sender, 0);
        }
        for tx in txs {
            // A re-admitted transaction wins over a pending one with the same nonce.
            by_sender
                .entry(tx.tx.sender)
                .or_default()
                .insert(tx.tx.nonce, (true, tx));
        }
        let mut admitted = 0;
        for (_, chain) in by_sender {
            for (_, (readmitted, tx)) in chain {
                match self.insert(tx, view) {
                    Ok(_) => admitted += usize::from(readmitted),
                    Err(MempoolError::State(s)) => return Err(s),
                    Err(_) => {}
                }
            }
        }
        // Senders whose chains no longer start at their account nonce can't be mined (only
        // the disconnected transactions' senders had their nonces moved).
        for sender in &senders {
            let first = self.pool.sender_txs(sender).next().map(|(n, _)| n);
            if let Some(first) = first
                && account_nonce(view, sender)? != first
            {
                self.pool.remove_sender_from(sender, 0);
            }
        }
        Ok(admitted)
    }
}
