//! The pool's bookkeeping, independent of what a transaction means: entries by id, per-sender
//! nonce chains, the fee-rate order, the caps, eviction, expiry and block-template selection.
//!
//! Invariants (checked by [`Pool::check_invariants`] in tests):
//! - every sender's pending nonces are contiguous (no gaps), and no more than the nonce
//!   window of them are pending;
//! - the entry count and total encoded bytes are within the caps;
//! - the fee-rate index holds exactly the entries.
//!
//! Nothing here reads state: the caller tells [`Pool::insert`] the sender's account nonce.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use infernet_crypto::{Address, Hash};

/// Caps and windows of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_count: usize,
    /// Most encoded bytes held (sum of the transactions' canonical sizes).
    pub max_bytes: usize,
    /// Most pending transactions per sender: nonces `account nonce ..< account nonce + window`
    /// are accepted.
    pub nonce_window: u64,
    /// A transaction still pending this many blocks after it entered the pool is dropped.
    pub expiry_blocks: u64,
    /// A transaction replaces a pending one with the same sender and nonce only if its fee
    /// rate is higher by at least this many percent.
    pub replace_bump_percent: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_count: 50_000,
            max_bytes: 64 * 1024 * 1024,
            nonce_window: 64,
            expiry_blocks: 720,
            replace_bump_percent: 10,
        }
    }
}

/// A fee rate `fee / size` (base units per byte), compared exactly by cross-multiplication.
#[derive(Debug, Clone, Copy)]
pub struct FeeRate {
    /// Fee in base units.
    pub fee: u64,
    /// Encoded size in bytes (at least 1).
    pub size: u64,
}

impl FeeRate {
    /// The rate of a transaction paying `fee` for `size` encoded bytes.
    #[must_use]
    pub fn new(fee: u64, size: u64) -> Self {
        FeeRate {
            fee,
            size: size.max(1),
        }
    }

    /// Whether `self` is at least `percent`% above `other`.
    fn exceeds_by_percent(self, other: FeeRate, percent: u64) -> bool {
        // self.fee / self.size ≥ other.fee / other.size × (100 + percent) / 100
        let lhs = u128::from(self.fee) * u128::from(other.size) * 100;
        let rhs = u128::from(other.fee) * u128::from(self.size) * (100 + u128::from(percent));
        lhs >= rhs && self > other
    }
}

impl PartialEq for FeeRate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for FeeRate {}
impl PartialOrd for FeeRate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for FeeRate {
    fn cmp(&self, other: &Self) -> Ordering {
        (u128::from(self.fee) * u128::from(other.size))
            .cmp(&(u128::from(other.fee) * u128::from(self.size)))
    }
}

/// What the pool needs to know about a transaction to order and cap it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxMeta {
    /// Transaction id.
    pub id: Hash,
    /// Sender.
    pub sender: Address,
    /// Sender's nonce.
    pub nonce: u64,
    /// Fee in base units.
    pub fee: u64,
    /// Canonical encoded size in bytes.
    pub size: u64,
    /// Whether it is a `SubmitJob` (counted against the per-block job cap in selection).
    pub is_job: bool,
}

impl TxMeta {
    fn rate(&self) -> FeeRate {
        FeeRate::new(self.fee, self.size)
    }
}

/// Why the pool refused a transaction (before any state check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolReject {
    /// The transaction is already pending.
    #[error("transaction {0} is already in the mempool")]
    Duplicate(Hash),
    /// The nonce was already used on chain.
    #[error("nonce {nonce} is already used: the sender's next nonce is {next}")]
    NonceTooLow {
        /// The transaction's nonce.
        nonce: u64,
        /// The account's next nonce.
        next: u64,
    },
    /// The nonce leaves a gap after the sender's pending transactions.
    #[error(
        "nonce {nonce} leaves a gap: the sender's next pending nonce is {expected}; send the missing nonces first"
    )]
    NonceGap {
        /// The transaction's nonce.
        nonce: u64,
        /// The next nonce the pool accepts for this sender.
        expected: u64,
    },
    /// The sender already has the maximum number of pending transactions.
    #[error(
        "the sender already has {window} pending transactions (the mempool's nonce window); wait for some to be mined"
    )]
    NonceWindow {
        /// The window.
        window: u64,
    },
    /// Same sender and nonce as a pending transaction, without a high enough fee rate.
    #[error(
        "a transaction with nonce {nonce} is already pending ({existing}); a replacement must pay a fee rate at least {percent}% higher"
    )]
    ReplacementUnderpriced {
        /// The nonce.
        nonce: u64,
        /// The pending transaction.
        existing: Hash,
        /// Required bump.
        percent: u64,
    },
    /// The transaction alone is larger than the pool.
    #[error("transaction of {size} bytes exceeds the mempool's capacity of {max} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The byte cap.
        max: usize,
    },
    /// The pool is full of transactions paying at least as much.
    #[error(
        "the mempool is full and this transaction's fee rate does not beat the lowest pending one; raise the fee"
    )]
    Full,
}

/// What an accepted insert changed besides adding the transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admitted {
    /// A pending transaction with the same sender and nonce that was replaced.
    pub replaced: Option<Hash>,
    /// Transactions evicted to make room (lowest fee rates and their successors).
    pub evicted: Vec<Hash>,
}

#[derive(Debug, Clone)]
struct Entry<T> {
    meta: TxMeta,
    added_height: u64,
    tx: T,
}

/// Key of the fee-rate index: lowest rate first; ties broken by id so the order is total and
/// deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RateKey {
    rate: FeeRate,
    id: Hash,
}

/// The pool: entries of type `T` indexed by id, sender chain and fee rate.
#[derive(Debug, Clone)]
pub struct Pool<T> {
    config: MempoolConfig,
    entries: HashMap<Hash, Entry<T>>,
    by_sender: BTreeMap<Address, BTreeMap<u64, Hash>>,
    by_rate: BTreeSet<RateKey>,
    bytes: usize,
}

impl<T: Clone> Pool<T> {
    /// An empty pool.
    #[must_use]
    pub fn new(config: MempoolConfig) -> Self {
        Pool {
            config,
            entries: HashMap::new(),
            by_sender: BTreeMap::new(),
            by_rate: BTreeSet::new(),
            bytes: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Number of pending transactions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total encoded bytes pending.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `id` is pending.
    #[must_use]
    pub fn contains(&self, id: &Hash) -> bool {
        self.entries.contains_key(id)
    }

    /// The pending transaction `id`.
    #[must_use]
    pub fn get(&self, id: &Hash) -> Option<&T> {
        self.entries.get(id).map(|e| &e.tx)
    }

    /// The metadata of pending transaction `id`.
    #[must_use]
    pub fn meta(&self, id: &Hash) -> Option<&TxMeta> {
        self.entries.get(id).map(|e| &e.meta)
    }

    /// The next nonce the pool would accept for `sender` whose account nonce is `account_nonce`.
    #[must_use]
    pub fn next_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        match self.by_sender.get(sender).and_then(|m| m.last_key_value()) {
            Some((last, _)) => last.saturating_add(1).max(account_nonce),
            None => account_nonce,
        }
    }

    /// The pending `(nonce, id)` of `sender`, in nonce order.
    pub fn sender_txs(&self, sender: &Address) -> impl Iterator<Item = (u64, Hash)> + '_ {
        self.by_sender
            .get(sender)
            .into_iter()
            .flat_map(|m| m.iter().map(|(n, id)| (*n, *id)))
    }

    /// Every sender with pending transactions.
    pub fn senders(&self) -> impl Iterator<Item = &Address> + '_ {
        self.by_sender.keys()
    }

    /// Checks everything [`Pool::insert`] checks without changing the pool.
    ///
    /// `account_nonce` is the sender's next nonce in the tip state.
    pub fn check_insert(
        &self,
        meta: &TxMeta,
        account_nonce: u64,
    ) -> Result<(Option<Hash>, Vec<Hash>), PoolReject> {
        if self.entries.contains_key(&meta.id) {
            return Err(PoolReject::Duplicate(meta.id));
        }
        if meta.nonce < account_nonce {
            return Err(PoolReject::NonceTooLow {
                nonce: meta.nonce,
                next: account_nonce,
            });
        }
        if meta.size as usize > self.config.max_bytes {
            return Err(PoolReject::TooLarge {
                size: meta.size,
                max: self.config.max_bytes,
            });
        }
        let chain = self.by_sender.get(&meta.sender);
        let replaced = chain.and_then(|m| m.get(&meta.nonce)).copied();
        if let Some(existing) = replaced {
            let old = self.entries.get(&existing).map(|e| e.meta.rate());
            if let Some(old) = old
                && !meta
                    .rate()
                    .exceeds_by_percent(old, self.config.replace_bump_percent)
            {
                return Err(PoolReject::ReplacementUnderpriced {
                    nonce: meta.nonce,
                    existing,
                    percent: self.config.replace_bump_percent,
                });
            }
        } else {
            let expected = self.next_nonce(&meta.sender, account_nonce);
            if meta.nonce != expected {
                return Err(PoolReject::NonceGap {
                    nonce: meta.nonce,
                    expected,
                });
            }
            if meta.nonce - account_nonce >= self.config.nonce_window {
                return Err(PoolReject::NonceWindow {
                    window: self.config.nonce_window,
                });
            }
        }
        // Room: the replaced entry leaves, then the lowest fee rates go (with their sender's
        // later nonces, which would be stuck behind a gap) until the new one fits.
        let freed_bytes = replaced
            .and_then(|id| self.entries.get(&id))
            .map_or(0, |e| e.meta.size as usize);
        let mut count = self.entries.len() - usize::from(replaced.is_some()) + 1;
        let mut bytes = self.bytes - freed_bytes + meta.size as usize;
        let mut evicted: Vec<Hash> = Vec::new();
        let mut gone: BTreeSet<Hash> = replaced.into_iter().collect();
        let mut candidates = self.by_rate.iter();
        while count > self.config.max_count || bytes > self.config.max_bytes {
            let Some(victim) = candidates.next() else {
                return Err(PoolReject::Full);
            };
            if gone.contains(&victim.id) {
                continue;
            }
            if victim.rate >= meta.rate() {
                return Err(PoolReject::Full);
            }
            let Some(v) = self.entries.get(&victim.id) else {
                continue;
            };
            if v.meta.sender == meta.sender && v.meta.nonce < meta.nonce {
                // Evicting our own predecessor would leave the new transaction stuck.
                return Err(PoolReject::Full);
            }
            for (_, id) in self
                .by_sender
                .get(&v.meta.sender)
                .into_iter()
                .flat_map(|m| m.range(v.meta.nonce..))
            {
                if gone.insert(*id)
                    && let Some(e) = self.entries.get(id)
                {
                    count -= 1;
                    bytes -= e.meta.size as usize;
                    evicted.push(*id);
                }
            }
        }
        Ok((replaced, evicted))
    }

    /// Adds a transaction whose sender's account nonce is `account_nonce`, at `height` (the
    /// tip height, for expiry). Replaces a same-nonce transaction paying enough more and
    /// evicts the lowest fee rates if the pool is full.
    pub fn insert(
        &mut self,
        meta: TxMeta,
        tx: T,
        account_nonce: u64,
        height: u64,
    ) -> Result<Admitted, PoolReject> {
        let (replaced, evicted) = self.check_insert(&meta, account_nonce)?;
        if let Some(id) = replaced {
            self.remove_one(&id);
        }
        for id in &evicted {
            self.remove_one(id);
        }
        self.by_sender
            .entry(meta.sender)
            .or_default()
            .insert(meta.nonce, meta.id);
        self.by_rate.insert(RateKey {
            rate: meta.rate(),
            id: meta.id,
        });
        self.bytes += meta.size as usize;
        self.entries.insert(
            meta.id,
            Entry {
                meta,
                added_height: height,
                tx,
            },
        );
        Ok(Admitted { replaced, evicted })
    }

    /// Removes exactly one entry, leaving its sender's other transactions in place.
    fn remove_one(&mut self, id: &Hash) -> Option<T> {
        let entry = self.entries.remove(id)?;
        self.by_rate.remove(&RateKey {
            rate: entry.meta.rate(),
            id: *id,
        });
        self.bytes -= entry.meta.size as usize;
        if let Some(chain) = self.by_sender.get_mut(&entry.meta.sender) {
            chain.remove(&entry.meta.nonce);
            if chain.is_empty() {
                self.by_sender.remove(&entry.meta.sender);
            }
        }
        Some(entry.tx)
    }

    /// Removes `id` and every later-nonce transaction of its sender (they could no longer be
    /// mined). Returns the ids removed.
    pub fn remove_with_successors(&mut self, id: &Hash) -> Vec<Hash> {
        let Some(meta) = self.entries.get(id).map(|e| e.meta) else {
            return Vec::new();
        };
        self.remove_sender_from(&meta.sender, meta.nonce)
    }

    /// Removes every pending transaction of `sender` with nonce ≥ `nonce`.
    pub fn remove_sender_from(&mut self, sender: &Address, nonce: u64) -> Vec<Hash> {
        let ids: Vec<Hash> = self
            .by_sender
            .get(sender)
            .map(|m| m.range(nonce..).map(|(_, id)| *id).collect())
            .unwrap_or_default();
        for id in &ids {
            self.remove_one(id);
        }
        ids
    }

    /// Removes every pending transaction of `sender` with nonce < `account_nonce` (mined or
    /// made stale by a mined transaction). Returns the ids removed.
    pub fn remove_sender_below(&mut self, sender: &Address, account_nonce: u64) -> Vec<Hash> {
        let ids: Vec<Hash> = self
            .by_sender
            .get(sender)
            .map(|m| m.range(..account_nonce).map(|(_, id)| *id).collect())
            .unwrap_or_default();
        for id in &ids {
            self.remove_one(id);
        }
        ids
    }

    /// Removes transactions that entered the pool `expiry_blocks` or more blocks before
    /// `height`, with their senders' later nonces. Returns the ids removed.
    pub fn expire(&mut self, height: u64) -> Vec<Hash> {
        let mut stale: Vec<(Address, u64)> = self
            .entries
            .values()
            .filter(|e| height.saturating_sub(e.added_height) >= self.config.expiry_blocks)
            .map(|e| (e.meta.sender, e.meta.nonce))
            .collect();
        stale.sort();
        let mut removed = Vec::new();
        for (sender, nonce) in stale {
            removed.extend(self.remove_sender_from(&sender, nonce));
        }
        removed
    }

    /// Transactions for a block template, best fee rate first while respecting each sender's
    /// nonce order: at most `max_bytes` encoded bytes and `max_jobs` `SubmitJob`s. A
    /// transaction that does not fit ends its sender's run (later nonces would be invalid).
    #[must_use]
    pub fn select(&self, max_bytes: usize, max_jobs: usize) -> Vec<(Hash, &T)> {
        #[derive(PartialEq, Eq)]
        struct Head {
            rate: FeeRate,
            id: Hash,
            sender: Address,
            nonce: u64,
        }
        impl Ord for Head {
            fn cmp(&self, other: &Self) -> Ordering {
                // Max-heap: highest rate first, then smallest id.
                self.rate
                    .cmp(&other.rate)
                    .then_with(|| other.id.cmp(&self.id))
            }
        }
        impl PartialOrd for Head {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        let head_of = |sender: &Address, nonce: u64| -> Option<Head> {
            let id = *self.by_sender.get(sender)?.get(&nonce)?;
            let e = self.entries.get(&id)?;
            Some(Head {
                rate: e.meta.rate(),
                id,
                sender: *sender,
                nonce,
            })
        };
        let mut heap: BinaryHeap<Head> = self
            .by_sender
            .iter()
            .filter_map(|(sender, chain)| {
                chain
                    .first_key_value()
                    .and_then(|(n, _)| head_of(sender, *n))
            })
            .collect();
        let mut out = Vec::new();
        let (mut bytes, mut jobs) = (0usize, 0usize);
        while let Some(head) = heap.pop() {
            let Some(e) = self.entries.get(&head.id) else {
                continue;
            };
            let size = e.meta.size as usize;
            if bytes + size > max_bytes || (e.meta.is_job && jobs >= max_jobs) {
                continue;
            }
            bytes += size;
            jobs += usize::from(e.meta.is_job);
            out.push((head.id, &e.tx));
            if let Some(next) = head
                .nonce
                .checked_add(1)
                .and_then(|n| head_of(&head.sender, n))
            {
                heap.push(next);
            }
        }
        out
    }

    /// Every pending id with its metadata, in id order (for views and tests).
    #[must_use]
    pub fn all(&self) -> Vec<TxMeta> {
        let mut v: Vec<TxMeta> = self.entries.values().map(|e| e.meta).collect();
        v.sort_by_key(|m| m.id);
        v
    }

    /// Checks the structural invariants; `Err` names the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        if self.entries.len() > self.config.max_count {
            return Err(format!(
                "{} entries above the cap {}",
                self.entries.len(),
                self.config.max_count
            ));
        }
        let bytes: usize = self.entries.values().map(|e| e.meta.size as usize).sum();
        if bytes != self.bytes || bytes > self.config.max_bytes {
            return Err(format!(
                "byte count {} (tracked {}) vs cap {}",
                bytes, self.bytes, self.config.max_bytes
            ));
        }
        if self.by_rate.len() != self.entries.len() {
            return Err("fee-rate index size differs from the entries".into());
        }
        let mut indexed = 0;
        for (sender, chain) in &self.by_sender {
            if chain.is_empty() {
                return Err("empty sender chain kept".into());
            }
            if chain.len() as u64 > self.config.nonce_window {
                return Err(format!(
                    "sender {sender} has {} pending, above the window",
                    chain.len()
                ));
            }
            let first = chain.keys().next().copied().unwrap_or(0);
            for (i, (nonce, id)) in chain.iter().enumerate() {
                if *nonce != first + i as u64 {
                    return Err(format!("sender {sender} has a nonce gap at {nonce}"));
                }
                match self.entries.get(id) {
                    Some(e) if e.meta.sender == *sender && e.meta.nonce == *nonce => indexed += 1,
                    _ => return Err(format!("sender index entry {id} does not match an entry")),
                }
            }
        }
        if indexed != self.entries.len() {
            return Err("entries missing from the sender index".into());
        }
        Ok(())
    }
}
