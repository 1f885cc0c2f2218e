//! Raw ChaCha20-Poly1305 (RFC 8439, 12-byte nonce), the AEAD inside the sealed box.
//!
//! Exposed so the AEAD can be checked against known-answer tests (Wycheproof) on its own;
//! protocol code uses [`crate::seal`], which derives the key and nonces itself.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::Zeroizing;

/// Nonce length of ChaCha20-Poly1305.
pub const NONCE_LEN: usize = 12;
/// Tag length of ChaCha20-Poly1305.
pub const TAG_LEN: usize = 16;

/// Why an AEAD operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    /// The nonce is not 12 bytes.
    #[error("ChaCha20-Poly1305 nonce must be {NONCE_LEN} bytes, got {0}")]
    NonceLength(usize),
    /// Authentication failed: wrong key, nonce or aad, or altered ciphertext.
    #[error("ChaCha20-Poly1305 authentication failed")]
    Authentication,
    /// The plaintext is beyond the cipher's limit (256 GiB).
    #[error("plaintext too long for ChaCha20-Poly1305")]
    TooLong,
}

fn nonce(n: &[u8]) -> Result<[u8; NONCE_LEN], AeadError> {
    n.try_into().map_err(|_| AeadError::NonceLength(n.len()))
}

/// Encrypts: returns `ciphertext || tag`.
pub fn encrypt(
    key: &[u8; 32],
    nonce_bytes: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let n = nonce(nonce_bytes)?;
    ChaCha20Poly1305::new(&(*key).into())
        .encrypt(
            &n.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| AeadError::TooLong)
}

/// Decrypts `ciphertext || tag`.
pub fn decrypt(
    key: &[u8; 32],
    nonce_bytes: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AeadError> {
    let n = nonce(nonce_bytes)?;
    ChaCha20Poly1305::new(&(*key).into())
        .decrypt(
            &n.into(),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| AeadError::Authentication)
}
