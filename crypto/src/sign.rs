//! Seeds, ed25519 identities and domain-separated signatures.
//!
//! Every signed message is wrapped by [`signing_bytes`], which binds a context string (from
//! [`crate::domain`]) and the chain id, so a signature made for one purpose or one chain is
//! never valid for another. Verification is `ed25519-dalek`'s `verify_strict`, the one rule of
//! the protocol: it rejects non-canonical `s`, small-order public keys and small-order `R`
//! (see `specs/crypto.md` for the exact policy).

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::address::Address;
use crate::domain;
use crate::reply::ReplySecret;

/// A 32-byte secret seed: the ed25519 secret key, from which the reply key is also derived.
///
/// Zeroized on drop; `Debug` prints `Seed(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed([u8; 32]);

impl Seed {
    /// A fresh random seed from the operating system.
    ///
    /// # Panics
    /// If the operating system's random source fails (see [`Seed::try_generate`]).
    pub fn generate() -> Self {
        Seed(crate::rng::array_or_panic())
    }

    /// A fresh random seed, or an error if the operating system's random source fails.
    pub fn try_generate() -> Result<Self, crate::RngError> {
        let mut s = Seed([0u8; 32]);
        crate::rng::fill(&mut s.0)?;
        Ok(s)
    }

    /// Wraps 32 secret bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Seed(bytes)
    }

    /// The secret bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// A 64-byte ed25519 signature (`R || s`). Serialized as 128 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// Wraps 64 bytes.
    pub const fn from_bytes(bytes: [u8; 64]) -> Self {
        Signature(bytes)
    }

    /// The 64 bytes.
    pub const fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Reads a signature from a slice, which must be exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SignatureError> {
        bytes
            .try_into()
            .map(Signature)
            .map_err(|_| SignatureError::WrongLength(bytes.len()))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::hex_serde::serialize(self.0, s)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::hex_serde::deserialize_array(d).map(Signature)
    }
}

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The address is not a valid ed25519 public key (not a curve point).
    #[error("address is not a valid ed25519 public key")]
    InvalidPublicKey,
    /// The signature does not verify under the strict rule for this key, context, chain and
    /// message.
    #[error(
        "signature does not verify (wrong key, context, chain id or message, or a non-strict signature)"
    )]
    Invalid,
    /// A signature is 64 bytes.
    #[error("a signature is 64 bytes, got {0}")]
    WrongLength(usize),
    /// Item `index` of a batch failed (see [`verify_batch`]).
    #[error("signature {index} of the batch is invalid: {source}")]
    BatchItem {
        /// Position of the first failing item.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<SignatureError>,
    },
}

/// An ed25519 keypair made from a [`Seed`]. `Debug` shows only the address.
#[derive(Clone)]
pub struct Identity {
    seed: Seed,
    signing: SigningKey,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("address", &self.address())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The identity whose ed25519 secret key (RFC 8032) is the seed.
    pub fn from_seed(seed: &Seed) -> Self {
        Identity {
            seed: seed.clone(),
            signing: SigningKey::from_bytes(seed.as_bytes()),
        }
    }

    /// A fresh random identity.
    ///
    /// # Panics
    /// If the operating system's random source fails.
    pub fn generate() -> Self {
        Identity::from_seed(&Seed::generate())
    }

    /// The seed this identity was made from.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The address: the ed25519 public key.
    pub fn address(&self) -> Address {
        Address(self.signing.verifying_key().to_bytes())
    }

    /// Signs `message` for `context` on chain `chain_id`: an ed25519 signature over
    /// [`signing_bytes`]`(context, chain_id, message)`.
    pub fn sign(&self, context: &str, chain_id: u64, message: &[u8]) -> Signature {
        self.sign_raw(&signing_bytes(context, chain_id, message))
    }

    /// Signs bytes that already went through [`signing_bytes`].
    pub fn sign_raw(&self, signed_bytes: &[u8]) -> Signature {
        Signature(self.signing.sign(signed_bytes).to_bytes())
    }

    /// The X25519 reply key derived from the seed (see [`crate::reply`]).
    pub fn reply_secret(&self) -> ReplySecret {
        ReplySecret::derive(&self.seed)
    }
}

/// The exact bytes given to ed25519 for `message` signed under `context` on `chain_id`:
///
/// ```text
/// "INFERNET-SIG-V1\0" (16 bytes)
/// || u64 little-endian length of context || context (UTF-8)
/// || u64 little-endian chain_id
/// || message
/// ```
pub fn signing_bytes(context: &str, chain_id: u64, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 8 + context.len() + 8 + message.len());
    out.extend_from_slice(domain::SIGNATURE_PREFIX);
    out.extend_from_slice(&(context.len() as u64).to_le_bytes());
    out.extend_from_slice(context.as_bytes());
    out.extend_from_slice(&chain_id.to_le_bytes());
    out.extend_from_slice(message);
    out
}

/// Verifies `sig` by `address` over `message` for `context` on `chain_id`, with
/// `verify_strict`.
pub fn verify(
    address: &Address,
    context: &str,
    chain_id: u64,
    message: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    verify_signed_bytes(address, &signing_bytes(context, chain_id, message), sig)
}

/// Verifies `sig` by `address` over bytes that already went through [`signing_bytes`].
pub fn verify_signed_bytes(
    address: &Address,
    signed_bytes: &[u8],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let key = VerifyingKey::from_bytes(&address.0).map_err(|_| SignatureError::InvalidPublicKey)?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
    key.verify_strict(signed_bytes, &sig)
        .map_err(|_| SignatureError::Invalid)
}

/// Verifies many `(address, signed_bytes, signature)` items; `Ok` exactly when every item
/// passes [`verify_signed_bytes`] (`verify_strict`), otherwise the first failing index.
///
/// It runs the strict check per item on purpose. Randomised batch equations (as in
/// `ed25519_dalek::verify_batch`) are cofactorless sums that a signature with a small-order
/// component can pass with probability 1/8 while `verify_strict` rejects it, and an attacker
/// can grind for that; a consensus rule must not depend on which of the two a node ran. See
/// `specs/crypto.md`, "Batch verification".
pub fn verify_batch(items: &[(Address, Vec<u8>, Signature)]) -> Result<(), SignatureError> {
    for (index, (address, signed_bytes, sig)) in items.iter().enumerate() {
        verify_signed_bytes(address, signed_bytes, sig).map_err(|e| SignatureError::BatchItem {
            index,
            source: Box::new(e),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_domain_separation() {
        let id = Identity::from_seed(&Seed::from_bytes([1u8; 32]));
        let a = id.address();
        let sig = id.sign(domain::TX_SIGNATURE, 7, b"hello");
        assert_eq!(verify(&a, domain::TX_SIGNATURE, 7, b"hello", &sig), Ok(()));
        assert_eq!(
            verify(&a, domain::TX_SIGNATURE, 8, b"hello", &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&a, domain::RECEIPT_SIGNATURE, 7, b"hello", &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&a, domain::TX_SIGNATURE, 7, b"hellp", &sig),
            Err(SignatureError::Invalid)
        );
        let other = Identity::from_seed(&Seed::from_bytes([2u8; 32])).address();
        assert_eq!(
            verify(&other, domain::TX_SIGNATURE, 7, b"hello", &sig),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn signing_bytes_layout() {
        let b = signing_bytes("ab", 0x0102, b"m");
        let mut expected = b"INFERNET-SIG-V1\0".to_vec();
        expected.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(b"ab");
        expected.extend_from_slice(&[2, 1, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(b"m");
        assert_eq!(b, expected);
        // The context length prefix keeps ("ab", "c…") and ("a", "bc…") apart.
        assert_ne!(signing_bytes("ab", 1, b"c"), signing_bytes("a", 1, b"bc"));
    }

    #[test]
    fn batch_reports_first_bad_index() {
        let ids: Vec<Identity> = (0u8..4)
            .map(|i| Identity::from_seed(&Seed::from_bytes([i; 32])))
            .collect();
        let mut items: Vec<(Address, Vec<u8>, Signature)> = ids
            .iter()
            .map(|id| {
                let m = signing_bytes(domain::TX_SIGNATURE, 1, id.address().as_bytes());
                (id.address(), m.clone(), id.sign_raw(&m))
            })
            .collect();
        assert_eq!(verify_batch(&items), Ok(()));
        assert_eq!(verify_batch(&[]), Ok(()));
        items[2].1.push(0);
        match verify_batch(&items) {
            Err(SignatureError::BatchItem { index, .. }) => assert_eq!(index, 2),
            other => panic!("expected item 2 to fail, got {other:?}"),
        }
    }

    #[test]
    fn debug_redacts_seed() {
        let s = Seed::from_bytes([0xab; 32]);
        let d = format!("{s:?}");
        assert_eq!(d, "Seed(<redacted>)");
        assert!(!d.contains("ab"));
        let id = Identity::from_seed(&s);
        let d = format!("{id:?}");
        assert!(d.contains(&id.address().to_string()), "{d}");
        assert!(!d.contains(&hex::encode(s.as_bytes())), "{d}");
    }
}
