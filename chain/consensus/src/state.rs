//! The state boundary: the [`StateView`] trait that storage implements, the [`StateDelta`] a
//! block produces, the in-memory [`MemoryState`] for tests and tools, and the write overlay
//! the state transition works in.
//!
//! The transition only ever *reads* through a view and returns a delta; writing the delta (and
//! keeping its `previous` values as undo data) is the caller's business. That keeps this
//! crate free of I/O and lets a rejected block leave the state untouched by construction.

use std::collections::BTreeMap;

use infernet_crypto::Hash;
use infernet_types::Encode;
use infernet_types::state::{StateKey, StateValue};

use crate::accumulator::StateAccumulator;
use crate::error::StateError;

/// Read access to a state, as of one block (the parent of the block being applied).
pub trait StateView {
    /// The value stored under `key`, if any.
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError>;

    /// The state-root accumulator of this state (see `specs/consensus.md` § State root).
    fn accumulator(&self) -> Result<StateAccumulator, StateError>;
}

impl<V: StateView + ?Sized> StateView for &V {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        (**self).get(key)
    }

    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        (**self).accumulator()
    }
}

/// What applying a block changes: new values, the values they replace (undo data), and the
/// new state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDelta {
    /// New value per changed key; `None` deletes the key.
    pub changes: BTreeMap<StateKey, Option<StateValue>>,
    /// The value each changed key had before the block (`None`: absent). Same key set as
    /// `changes`; applying `previous` as a delta undoes the block.
    pub previous: BTreeMap<StateKey, Option<StateValue>>,
    /// The accumulator after the block.
    pub accumulator: StateAccumulator,
    /// The accumulator before the block.
    pub previous_accumulator: StateAccumulator,
    /// `accumulator.root()`: what the block's header commits to.
    pub state_root: Hash,
}

impl StateDelta {
    /// The delta that undoes this one (swaps new and previous values).
    #[must_use]
    pub fn inverse(&self) -> StateDelta {
        StateDelta {
            changes: self.previous.clone(),
            previous: self.changes.clone(),
            accumulator: self.previous_accumulator.clone(),
            previous_accumulator: self.accumulator.clone(),
            state_root: self.previous_accumulator.root(),
        }
    }

    /// Number of keys the block changed.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether the block changed nothing (never true for a valid block: its coinbase always
    /// adds a pending reward).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// A complete state held in memory: for tests, tools and other crates' tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryState {
    entries: BTreeMap<StateKey, StateValue>,
    accumulator: StateAccumulator,
}

impl MemoryState {
    /// The empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a delta produced against this state (or against an equal one).
    pub fn apply(&mut self, delta: &StateDelta) {
        for (key, value) in &delta.changes {
            match value {
                Some(v) => {
                    self.entries.insert(*key, v.clone());
                }
                None => {
                    self.entries.remove(key);
                }
            }
        }
        self.accumulator = delta.accumulator.clone();
    }

    /// Undoes a delta that was the last one applied.
    pub fn revert(&mut self, delta: &StateDelta) {
        self.apply(&delta.inverse());
    }

    /// All entries in key order.
    pub fn entries(&self) -> &BTreeMap<StateKey, StateValue> {
        &self.entries
    }

    /// The current state root.
    pub fn state_root(&self) -> Hash {
        self.accumulator.root()
    }

    /// Recomputes the accumulator from every entry (O(state)); tests compare it with the
    /// incrementally maintained one.
    pub fn recompute_accumulator(&self) -> StateAccumulator {
        let mut acc = StateAccumulator::empty();
        for (k, v) in &self.entries {
            acc.insert(&k.encode(), &v.encode());
        }
        acc
    }
}

impl StateView for MemoryState {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        Ok(self.entries.get(key).cloned())
    }

    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        Ok(self.accumulator.clone())
    }
}

/// Pending writes over a base view, in two layers: the block's committed writes and the
/// current transaction's writes, so a failed transaction can be dropped without touching
/// the block's other changes.
pub(crate) struct Overlay<'a, V: StateView + ?Sized> {
    base: &'a V,
    /// Values read from the base (the `previous` side of the delta).
    base_values: BTreeMap<StateKey, Option<StateValue>>,
    block: BTreeMap<StateKey, Option<StateValue>>,
    tx: BTreeMap<StateKey, Option<StateValue>>,
}

impl<'a, V: StateView + ?Sized> Overlay<'a, V> {
    pub(crate) fn new(base: &'a V) -> Self {
        Overlay {
            base,
            base_values: BTreeMap::new(),
            block: BTreeMap::new(),
            tx: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&mut self, key: &StateKey) -> Result<Option<StateValue>, StateError> {
        if let Some(v) = self.tx.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.block.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.base_values.get(key) {
            return Ok(v.clone());
        }
        let v = self.base.get(key)?;
        self.base_values.insert(*key, v.clone());
        Ok(v)
    }

    pub(crate) fn put(&mut self, key: StateKey, value: Option<StateValue>) {
        self.tx.insert(key, value);
    }

    /// Keeps the current transaction's writes.
    pub(crate) fn commit_tx(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Drops the current transaction's writes.
    pub(crate) fn discard_tx(&mut self) {
        self.tx.clear();
    }

    /// Turns the committed writes into a delta (keys whose value did not change are left out).
    pub(crate) fn into_delta(mut self) -> Result<StateDelta, StateError> {
        self.commit_tx();
        let previous_accumulator = self.base.accumulator()?;
        let mut accumulator = previous_accumulator.clone();
        let mut changes = BTreeMap::new();
        let mut previous = BTreeMap::new();
        for (key, new) in self.block {
            let old = match self.base_values.remove(&key) {
                Some(v) => v,
                None => self.base.get(&key)?,
            };
            if old == new {
                continue;
            }
            let key_bytes = key.encode();
            if let Some(o) = &old {
                accumulator.remove(&key_bytes, &o.encode());
            }
            if let Some(n) = &new {
                accumulator.insert(&key_bytes, &n.encode());
            }
            previous.insert(key, old);
            changes.insert(key, new);
        }
        let state_root = accumulator.root();
        Ok(StateDelta {
            changes,
            previous,
            accumulator,
            previous_accumulator,
            state_root,
        })
    }
}
