//! The state root: an additive multiset hash (LtHash) over every `(key, value)` entry.
//!
//! Each entry maps to a *leaf*: 2048 bytes of BLAKE3 extendable output (key derivation mode
//! with the `STATE_LEAF` context) over `u32_le(len(key)) ‖ key ‖ value`, read as 1024
//! little-endian `u16` lanes. The accumulator is the lane-wise sum of all leaves mod 2^16.
//! Changing an entry subtracts its old leaf and adds its new one, so a block costs
//! O(entries it changes), independent of the size of the state; no tree is stored. The header
//! commits to `hash(STATE_NODE, accumulator bytes)`. See `specs/consensus.md` § State root.

use infernet_crypto::Hash;

/// Number of 16-bit lanes in the accumulator.
pub const LANES: usize = 1024;
/// Size of the accumulator (and of one leaf) in bytes.
pub const ACCUMULATOR_BYTES: usize = 2 * LANES;

/// The LtHash accumulator of a whole state.
#[derive(Clone, PartialEq, Eq)]
pub struct StateAccumulator {
    lanes: Box<[u16; LANES]>,
}

impl Default for StateAccumulator {
    fn default() -> Self {
        Self::empty()
    }
}

impl std::fmt::Debug for StateAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateAccumulator(root {})", self.root())
    }
}

impl StateAccumulator {
    /// The accumulator of the empty state (all lanes zero).
    pub fn empty() -> Self {
        StateAccumulator {
            lanes: Box::new([0u16; LANES]),
        }
    }

    /// The leaf of one entry, given the canonical encodings of its key and value.
    fn leaf(key: &[u8], value: &[u8]) -> Box<[u16; LANES]> {
        let mut hasher = blake3::Hasher::new_derive_key(infernet_crypto::domain::STATE_LEAF);
        // Keys are at most a few dozen bytes; a length that does not fit u32 is impossible.
        let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
        hasher.update(&len.to_le_bytes());
        hasher.update(key);
        hasher.update(value);
        let mut bytes = [0u8; ACCUMULATOR_BYTES];
        hasher.finalize_xof().fill(&mut bytes);
        let mut lanes = Box::new([0u16; LANES]);
        for (lane, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *lane = u16::from_le_bytes([chunk[0], chunk[1]]);
        }
        lanes
    }

    /// Adds the entry `(key, value)` (canonical encodings) to the multiset.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) {
        let leaf = Self::leaf(key, value);
        for (acc, l) in self.lanes.iter_mut().zip(leaf.iter()) {
            *acc = acc.wrapping_add(*l);
        }
    }

    /// Removes the entry `(key, value)` (canonical encodings) from the multiset.
    pub fn remove(&mut self, key: &[u8], value: &[u8]) {
        let leaf = Self::leaf(key, value);
        for (acc, l) in self.lanes.iter_mut().zip(leaf.iter()) {
            *acc = acc.wrapping_sub(*l);
        }
    }

    /// The accumulator as 2048 bytes (lanes little-endian), the form storage keeps.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ACCUMULATOR_BYTES);
        for lane in self.lanes.iter() {
            out.extend_from_slice(&lane.to_le_bytes());
        }
        out
    }

    /// Reads the form written by [`StateAccumulator::to_bytes`]; `None` if the length is not
    /// exactly [`ACCUMULATOR_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ACCUMULATOR_BYTES {
            return None;
        }
        let mut lanes = Box::new([0u16; LANES]);
        for (lane, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *lane = u16::from_le_bytes([chunk[0], chunk[1]]);
        }
        Some(StateAccumulator { lanes })
    }

    /// The state root committed in headers: `hash(STATE_NODE, to_bytes())`.
    pub fn root(&self) -> Hash {
        infernet_crypto::hash::hash(infernet_crypto::domain::STATE_NODE, &self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_independent_and_removable() {
        let mut a = StateAccumulator::empty();
        a.insert(b"k1", b"v1");
        a.insert(b"k2", b"v2");
        let mut b = StateAccumulator::empty();
        b.insert(b"k2", b"v2");
        b.insert(b"k1", b"v1");
        assert_eq!(a, b);
        assert_eq!(a.root(), b.root());
        b.remove(b"k2", b"v2");
        let mut c = StateAccumulator::empty();
        c.insert(b"k1", b"v1");
        assert_eq!(b, c);
        assert_ne!(a.root(), c.root());
    }

    #[test]
    fn key_value_boundary_is_unambiguous() {
        let mut a = StateAccumulator::empty();
        a.insert(b"ab", b"c");
        let mut b = StateAccumulator::empty();
        b.insert(b"a", b"bc");
        assert_ne!(a, b);
    }

    #[test]
    fn bytes_roundtrip() {
        let mut a = StateAccumulator::empty();
        a.insert(b"k", b"v");
        let back = StateAccumulator::from_bytes(&a.to_bytes()).unwrap();
        assert_eq!(a, back);
        assert!(StateAccumulator::from_bytes(&[0u8; 5]).is_none());
    }
}
