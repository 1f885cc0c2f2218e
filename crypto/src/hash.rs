//! BLAKE3 hashing: domain-separated hashes, Merkle roots, and plain file hashes.
//!
//! Every protocol hash is BLAKE3 in `derive_key` mode with a context string from
//! [`crate::domain`] ([`hash`], [`DomainHasher`]). The one exception is the model id, the plain
//! BLAKE3 hash of a weights file ([`plain_hash`], [`file_hash`]), so `b3sum` computes it too.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain;

/// A 32-byte BLAKE3 output. Shown and serialized as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

/// A string that is not 64 hex characters was parsed as a [`Hash`](struct@Hash).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("a hash is 64 hex characters (32 bytes): {0}")]
pub struct HashParseError(#[from] hex::FromHexError);

impl Hash {
    /// The all-zero hash (also [`Hash::default`]).
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// Wraps 32 bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Hash(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(Hash(out))
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Self {
        Hash(bytes)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::hex_serde::serialize(self.0, s)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::hex_serde::deserialize_array(d).map(Hash)
    }
}

/// BLAKE3 in `derive_key` mode keyed by the context string `domain`, over `data`.
///
/// `domain` should be one of the constants in [`crate::domain`].
pub fn hash(domain: &str, data: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(domain);
    h.update(data);
    Hash(*h.finalize().as_bytes())
}

/// Incremental form of [`hash`]: feeding the same bytes in pieces gives the same hash.
#[derive(Clone)]
pub struct DomainHasher(blake3::Hasher);

impl DomainHasher {
    /// Starts a hash in `derive_key` mode keyed by `domain`.
    pub fn new(domain: &str) -> Self {
        DomainHasher(blake3::Hasher::new_derive_key(domain))
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) -> &mut Self {
        self.0.update(data);
        self
    }

    /// The hash of everything fed so far (the hasher can keep going).
    pub fn finalize(&self) -> Hash {
        Hash(*self.0.finalize().as_bytes())
    }
}

impl fmt::Debug for DomainHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DomainHasher")
    }
}

/// A context string prepared once: BLAKE3 hashes the context itself on every [`hash`] call,
/// so hot paths (Merkle and state trees) keep one of these instead. Same output as [`hash`].
#[derive(Clone, Copy)]
pub struct PreparedDomain([u8; 32]);

impl PreparedDomain {
    /// Hashes the context string `domain` (the first half of `derive_key` mode).
    pub fn new(domain: &str) -> Self {
        PreparedDomain(blake3::hazmat::hash_derive_key_context(domain))
    }

    /// Equal to [`hash`]`(domain, data)`.
    pub fn hash(&self, data: &[u8]) -> Hash {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }

    /// Equal to [`DomainHasher::new`]`(domain)`.
    pub fn hasher(&self) -> DomainHasher {
        use blake3::hazmat::HasherExt;
        DomainHasher(blake3::Hasher::new_from_context_key(&self.0))
    }
}

impl fmt::Debug for PreparedDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PreparedDomain")
    }
}

fn merkle_leaf_domain() -> &'static PreparedDomain {
    static D: std::sync::OnceLock<PreparedDomain> = std::sync::OnceLock::new();
    D.get_or_init(|| PreparedDomain::new(domain::MERKLE_LEAF))
}

fn merkle_node_domain() -> &'static PreparedDomain {
    static D: std::sync::OnceLock<PreparedDomain> = std::sync::OnceLock::new();
    D.get_or_init(|| PreparedDomain::new(domain::MERKLE_NODE))
}

/// Plain BLAKE3 (no key, no context) of `data`: what `b3sum` prints.
pub fn plain_hash(data: &[u8]) -> Hash {
    Hash(*blake3::hash(data).as_bytes())
}

/// Plain BLAKE3 of everything `reader` yields: the model id of a weights file.
///
/// Reads in 64 KiB pieces, so the file is never held in memory.
pub fn file_hash(mut reader: impl Read) -> std::io::Result<Hash> {
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
    }
    Ok(Hash(*h.finalize().as_bytes()))
}

/// The root of an empty list: `hash(MERKLE_EMPTY, b"")`.
pub fn merkle_empty_root() -> Hash {
    hash(domain::MERKLE_EMPTY, b"")
}

/// Binary Merkle root over `leaves` (themselves hashes), with leaf/node domain separation.
///
/// - each leaf `x` becomes `hash(MERKLE_LEAF, x)`;
/// - each level pairs neighbours left to right, `hash(MERKLE_NODE, left || right)`;
/// - a level with an odd count carries its last element up unchanged (never duplicated, so no
///   two different lists share a root the way Bitcoin's duplication allows);
/// - one leaf: the root is that leaf's leaf hash; no leaves: [`merkle_empty_root`].
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return merkle_empty_root();
    }
    let leaf = merkle_leaf_domain();
    let mut level: Vec<Hash> = leaves.iter().map(|l| leaf.hash(&l.0)).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            match pair {
                [left, right] => next.push(merkle_node(left, right)),
                [odd] => next.push(*odd),
                _ => {}
            }
        }
        level = next;
    }
    level[0]
}

/// One inner node: `hash(MERKLE_NODE, left || right)`.
pub fn merkle_node(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&left.0);
    buf[32..].copy_from_slice(&right.0);
    merkle_node_domain().hash(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_display_roundtrip() {
        let h = hash(domain::TX_ID, b"abc");
        let s = h.to_string();
        assert_eq!(s.len(), 64);
        assert_eq!(s, s.to_lowercase());
        assert_eq!(s.parse::<Hash>().unwrap(), h);
        assert_eq!(format!("{h:?}"), s);
        assert!("zz".parse::<Hash>().is_err());
        assert!(s[..62].parse::<Hash>().is_err());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert_eq!(Hash::default(), Hash::ZERO);
    }

    #[test]
    fn domains_separate() {
        assert_ne!(hash(domain::TX_ID, b"x"), hash(domain::JOB_ID, b"x"));
        assert_ne!(hash(domain::TX_ID, b"x"), plain_hash(b"x"));
    }

    #[test]
    fn prepared_domain_equals_hash() {
        for d in domain::ALL {
            let p = PreparedDomain::new(d);
            assert_eq!(p.hash(b"data"), hash(d, b"data"));
            let mut h = p.hasher();
            h.update(b"da").update(b"ta");
            assert_eq!(h.finalize(), hash(d, b"data"));
        }
    }

    #[test]
    fn incremental_equals_one_shot() {
        let mut h = DomainHasher::new(domain::RECORD_ID);
        h.update(b"hello ").update(b"world");
        assert_eq!(h.finalize(), hash(domain::RECORD_ID, b"hello world"));
    }

    #[test]
    fn file_hash_equals_plain_hash() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(file_hash(&data[..]).unwrap(), plain_hash(&data));
    }

    #[test]
    fn merkle_shapes() {
        let l: Vec<Hash> = (0u8..5).map(|i| plain_hash(&[i])).collect();
        let leaf = |h: &Hash| hash(domain::MERKLE_LEAF, &h.0);
        assert_eq!(merkle_root(&[]), merkle_empty_root());
        assert_eq!(merkle_root(&l[..1]), leaf(&l[0]));
        let ab = merkle_node(&leaf(&l[0]), &leaf(&l[1]));
        assert_eq!(merkle_root(&l[..2]), ab);
        assert_eq!(merkle_root(&l[..3]), merkle_node(&ab, &leaf(&l[2])));
        let cd = merkle_node(&leaf(&l[2]), &leaf(&l[3]));
        let abcd = merkle_node(&ab, &cd);
        assert_eq!(merkle_root(&l[..4]), abcd);
        assert_eq!(merkle_root(&l), merkle_node(&abcd, &leaf(&l[4])));
        // No duplication malleability: [a, b, c] and [a, b, c, c] differ.
        let mut dup = l[..3].to_vec();
        dup.push(l[2]);
        assert_ne!(merkle_root(&dup), merkle_root(&l[..3]));
    }
}
