//! Infernet cryptography: keys, domain-separated ed25519 signatures, HPKE sealing, BLAKE3 hashing and Merkle roots, addresses, mnemonic and keystore.
//!
//! (Filled in by a later issue.)
