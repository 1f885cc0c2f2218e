//! Record payload encryption: XChaCha20-Poly1305 under a random 32-byte record key, with a
//! random 24-byte nonce per encryption.
//!
//! Layout: `nonce (24) || ciphertext || tag (16)`. The record key itself travels HPKE-sealed
//! ([`crate::seal`]) to each owner; the encrypted payload never changes.

use std::fmt;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the random nonce at the front of an encrypted record.
pub const NONCE_LEN: usize = 24;
/// Bytes [`encrypt`] adds to a plaintext: nonce and tag.
pub const RECORD_OVERHEAD: usize = NONCE_LEN + 16;

/// A 32-byte symmetric record key. Zeroized on drop; `Debug` prints `RecordKey(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecordKey([u8; 32]);

impl RecordKey {
    /// A fresh random key.
    ///
    /// # Panics
    /// If the operating system's random source fails.
    pub fn generate() -> Self {
        RecordKey(crate::rng::array_or_panic())
    }

    /// Wraps 32 secret bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        RecordKey(bytes)
    }

    /// The secret bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKey(<redacted>)")
    }
}

/// Why a record does not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Shorter than a nonce and a tag: not an encrypted record.
    #[error(
        "encrypted record is {len} bytes, shorter than the {RECORD_OVERHEAD}-byte nonce and tag"
    )]
    TooShort {
        /// Its length.
        len: usize,
    },
    /// Wrong key or `aad`, or the bytes were altered.
    #[error("record does not decrypt: wrong record key or aad, or the data was altered")]
    DecryptionFailed,
    /// The plaintext is beyond XChaCha20-Poly1305's limit (256 GiB).
    #[error("plaintext too long for XChaCha20-Poly1305")]
    TooLong,
    /// The random nonce could not be generated.
    #[error(transparent)]
    Rng(#[from] crate::RngError),
}

/// Encrypts `plaintext` under `key`: `nonce || ciphertext || tag`.
///
/// # Panics
/// If the operating system's random source fails or the plaintext exceeds 256 GiB; use
/// [`try_encrypt`] to get these as errors.
pub fn encrypt(key: &RecordKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    match try_encrypt(key, aad, plaintext) {
        Ok(v) => v,
        Err(e) => panic!("record encryption failed: {e}"),
    }
}

/// [`encrypt`], returning failures of the random source or an over-long plaintext as errors.
pub fn try_encrypt(key: &RecordKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut nonce = [0u8; NONCE_LEN];
    crate::rng::fill(&mut nonce)?;
    encrypt_with_nonce(key, &nonce, aad, plaintext)
}

/// [`encrypt`] with a given nonce: deterministic, for tests. A nonce must never repeat under
/// one key.
pub fn encrypt_with_nonce(
    key: &RecordKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, RecordError> {
    let ct = XChaCha20Poly1305::new(&key.0.into())
        .encrypt(
            &(*nonce).into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| RecordError::TooLong)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts what [`encrypt`] produced with the same key and `aad`.
pub fn decrypt(
    key: &RecordKey,
    aad: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, RecordError> {
    if data.len() < RECORD_OVERHEAD {
        return Err(RecordError::TooShort { len: data.len() });
    }
    let (nonce, ct) = data.split_at(NONCE_LEN);
    let mut n = [0u8; NONCE_LEN];
    n.copy_from_slice(nonce);
    XChaCha20Poly1305::new(&key.0.into())
        .decrypt(&n.into(), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| RecordError::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_errors() {
        let k = RecordKey::generate();
        let data = encrypt(&k, b"rec", b"prompt and answer");
        assert_eq!(data.len(), 17 + RECORD_OVERHEAD);
        assert_eq!(&**decrypt(&k, b"rec", &data).unwrap(), b"prompt and answer");
        assert_eq!(
            decrypt(&k, b"rex", &data),
            Err(RecordError::DecryptionFailed)
        );
        assert_eq!(
            decrypt(&RecordKey::from_bytes([0; 32]), b"rec", &data),
            Err(RecordError::DecryptionFailed)
        );
        assert_eq!(
            decrypt(&k, b"rec", &data[..39]),
            Err(RecordError::TooShort { len: 39 })
        );
        // Two encryptions of the same plaintext differ (random nonce).
        assert_ne!(encrypt(&k, b"rec", b"x"), encrypt(&k, b"rec", b"x"));
        assert_eq!(format!("{k:?}"), "RecordKey(<redacted>)");
    }
}
