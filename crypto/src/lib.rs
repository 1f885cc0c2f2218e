//! Infernet cryptography.
//!
//! This crate owns every cryptographic construction of the protocol, and nothing else:
//!
//! - [`hash`]: BLAKE3 hashing with one context string per purpose ([`domain`]), Merkle roots,
//!   and plain BLAKE3 file hashes (model ids);
//! - [`sign`]: seeds, ed25519 identities and domain-separated signatures, verified with
//!   `verify_strict`, the one verification rule;
//! - [`address`]: the bech32m (`inf1…`) form of an ed25519 public key;
//! - [`reply`]: the X25519 reply key derived from the same seed;
//! - [`seal`]: HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//!   ChaCha20-Poly1305: the sealed box of the protocol;
//! - [`record`]: record payload encryption (XChaCha20-Poly1305 under a random record key);
//! - [`aead`]: the raw ChaCha20-Poly1305 inside the sealed box, for known-answer tests;
//! - [`mnemonic`] and [`keystore`]: BIP39 phrases and the encrypted keystore file;
//! - [`vectors`]: the generator of `specs/vectors/*.json`.
//!
//! It does not touch the network or the chain: callers pass the context string and the chain
//! id of everything they sign, and decide what goes in HPKE's `info` and `aad`.
//! Every construction is written down byte by byte in `specs/crypto.md`, and
//! `specs/vectors/*.json` are generated from this crate (see [`vectors`]).

pub mod address;
pub mod aead;
pub mod domain;
pub mod hash;
mod hex_serde;
pub mod keystore;
pub mod mnemonic;
pub mod record;
pub mod reply;
mod rng;
pub mod seal;
pub mod sign;
pub mod vectors;

pub use address::{Address, AddressError};
pub use aead::AeadError;
pub use hash::{Hash, HashParseError};
pub use keystore::{KdfParams, Keystore, KeystoreError};
pub use mnemonic::MnemonicError;
pub use record::{RecordError, RecordKey};
pub use reply::{KeyParseError, ReplyPublicKey, ReplySecret};
pub use rng::RngError;
pub use seal::{SealError, SealedBox};
pub use sign::{
    Identity, Seed, Signature, SignatureError, signing_bytes, verify, verify_batch,
    verify_signed_bytes,
};
