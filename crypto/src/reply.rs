//! Reply keys: the X25519 key a user receives sealed results on, derived from the same seed as
//! the ed25519 identity.
//!
//! `x25519_sk = BLAKE3-derive_key(context = REPLY_KEY_KDF, seed)` (32 bytes, stored as is; X25519
//! clamps it when used), `x25519_pk = X25519(x25519_sk, 9)`. Miners' serving keys use the same
//! types.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::domain;
use crate::hash::hash;
use crate::sign::Seed;

/// An X25519 public key (a reply key or a serving key). Shown and serialized as hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyPublicKey(pub [u8; 32]);

/// A string that is not 64 hex characters was parsed as a key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("a key is 64 hex characters (32 bytes): {0}")]
pub struct KeyParseError(#[from] hex::FromHexError);

impl ReplyPublicKey {
    /// Wraps 32 bytes (a Montgomery u-coordinate).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        ReplyPublicKey(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ReplyPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyPublicKey({})", hex::encode(self.0))
    }
}

impl fmt::Display for ReplyPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for ReplyPublicKey {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(ReplyPublicKey(out))
    }
}

impl Serialize for ReplyPublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::hex_serde::serialize(self.0, s)
    }
}

impl<'de> Deserialize<'de> for ReplyPublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::hex_serde::deserialize_array(d).map(ReplyPublicKey)
    }
}

/// An X25519 static secret (with its public key, computed once). Zeroized on drop; `Debug`
/// prints `ReplySecret(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ReplySecret {
    sk: [u8; 32],
    pk: [u8; 32],
}

impl ReplySecret {
    /// The reply secret of `seed`: `hash(REPLY_KEY_KDF, seed)`.
    pub fn derive(seed: &Seed) -> Self {
        ReplySecret::from_bytes(hash(domain::REPLY_KEY_KDF, seed.as_bytes()).0)
    }

    /// A fresh random secret (e.g. a miner's serving key).
    ///
    /// # Panics
    /// If the operating system's random source fails.
    pub fn generate() -> Self {
        ReplySecret::from_bytes(crate::rng::array_or_panic())
    }

    /// Wraps 32 secret bytes (used unclamped; X25519 clamps) and computes the public key.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // Fixed-base multiplication (precomputed tables), several times faster than the ladder.
        let secret = x25519_dalek::StaticSecret::from(bytes);
        let pk = x25519_dalek::PublicKey::from(&secret).to_bytes();
        ReplySecret { sk: bytes, pk }
    }

    /// The secret bytes, in a buffer that zeroizes itself.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.sk)
    }

    /// The matching public key, `X25519(sk, 9)`.
    pub fn public_key(&self) -> ReplyPublicKey {
        ReplyPublicKey(self.pk)
    }

    /// Raw X25519 with a peer's public key (RFC 7748). Returns the all-zero output for
    /// small-order peers; callers that need a contributory result must check (the
    /// [`crate::seal`] functions do).
    pub fn diffie_hellman(&self, peer: &ReplyPublicKey) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(x25519_dalek::x25519(self.sk, peer.0))
    }

    /// X25519 that refuses an all-zero output (a small-order peer key), as RFC 9180 §7.1.4
    /// requires; the check is constant time.
    pub fn diffie_hellman_checked(
        &self,
        peer: &ReplyPublicKey,
    ) -> Result<Zeroizing<[u8; 32]>, crate::SealError> {
        let out = self.diffie_hellman(peer);
        if bool::from(subtle::ConstantTimeEq::ct_eq(&out[..], &[0u8; 32][..])) {
            return Err(crate::SealError::ZeroSharedSecret);
        }
        Ok(out)
    }
}

impl fmt::Debug for ReplySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplySecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_seed_and_dh_agrees() {
        let a = ReplySecret::derive(&Seed::from_bytes([1; 32]));
        let b = ReplySecret::derive(&Seed::from_bytes([2; 32]));
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(
            *a.diffie_hellman(&b.public_key()),
            *b.diffie_hellman(&a.public_key())
        );
        assert_eq!(
            *a.to_bytes(),
            crate::hash::hash(domain::REPLY_KEY_KDF, &[1; 32]).0
        );
        assert_eq!(format!("{a:?}"), "ReplySecret(<redacted>)");
        // The cached public key is X25519(sk, 9), computed by the ladder as well.
        assert_eq!(
            a.public_key().0,
            x25519_dalek::x25519(*a.to_bytes(), x25519_dalek::X25519_BASEPOINT_BYTES)
        );
        let pk = a.public_key();
        assert_eq!(pk.to_string().parse::<ReplyPublicKey>().unwrap(), pk);
        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(serde_json::from_str::<ReplyPublicKey>(&json).unwrap(), pk);
    }
}
