//! Context strings: one constant per purpose, so no two uses of a hash or a signature can be
//! confused.
//!
//! Every string has the form `infernet/v1/<purpose>`. Hash contexts key BLAKE3's `derive_key`
//! mode ([`crate::hash::hash`]); signature contexts go into the signed bytes
//! ([`crate::sign::signing_bytes`]); HPKE contexts are the recommended prefix of HPKE's `info`.
//! The list is repeated in `specs/crypto.md`; changing a string is a hard fork.

/// Hash context: transaction id (hash of the canonical signed transaction).
pub const TX_ID: &str = "infernet/v1/tx-id";
/// Signature context: a transaction signed by its sender.
pub const TX_SIGNATURE: &str = "infernet/v1/tx-signature";
/// Hash context: block hash (hash of the canonical header).
pub const BLOCK_HEADER: &str = "infernet/v1/block-header";
/// Hash context: proof-of-work hash of a header.
pub const POW: &str = "infernet/v1/pow";
/// Hash context: a leaf of [`crate::hash::merkle_root`].
pub const MERKLE_LEAF: &str = "infernet/v1/merkle-leaf";
/// Hash context: an inner node of [`crate::hash::merkle_root`].
pub const MERKLE_NODE: &str = "infernet/v1/merkle-node";
/// Hash context: the root of an empty [`crate::hash::merkle_root`].
pub const MERKLE_EMPTY: &str = "infernet/v1/merkle-empty";
/// Hash context: a leaf of the state tree (defined by the chain crates).
pub const STATE_LEAF: &str = "infernet/v1/state-leaf";
/// Hash context: an inner node of the state tree (defined by the chain crates).
pub const STATE_NODE: &str = "infernet/v1/state-node";
/// Hash context: a job id.
pub const JOB_ID: &str = "infernet/v1/job-id";
/// Hash context: a record id.
pub const RECORD_ID: &str = "infernet/v1/record-id";
/// Hash context: a market listing id.
pub const LISTING_ID: &str = "infernet/v1/listing-id";
/// Hash context: the miner's commitment to a record's plaintext (prompt and answer).
pub const RECORD_COMMITMENT: &str = "infernet/v1/record-commitment";
/// Signature context: a miner's signed receipt over a result.
pub const RECEIPT_SIGNATURE: &str = "infernet/v1/receipt-signature";
/// Hash context: derivation of the X25519 reply key from a seed ([`crate::reply`]).
pub const REPLY_KEY_KDF: &str = "infernet/v1/reply-key";
/// Hash context: the report data an attestation binds (serving key and model ids).
pub const ATTESTATION_REPORT: &str = "infernet/v1/attestation-report";
/// Hash context: report data of attestation evidence for a job's result.
pub const ATTESTATION_EVIDENCE: &str = "infernet/v1/attestation-evidence";
/// HPKE `info` prefix: a prompt sealed to a miner's serving key.
pub const HPKE_INFO_PROMPT: &str = "infernet/v1/hpke/prompt";
/// HPKE `info` prefix: a result payload sealed to the user's reply key.
pub const HPKE_INFO_RESULT: &str = "infernet/v1/hpke/result";
/// HPKE `info` prefix: a record key sealed to its owner or buyer.
pub const HPKE_INFO_RECORD_KEY: &str = "infernet/v1/hpke/record-key";
/// Hash context: the 32-byte seed derived from a BIP39 seed ([`crate::mnemonic`]).
pub const MNEMONIC_SEED: &str = "infernet/v1/mnemonic-seed";
/// Hash context: the integrity checksum of a keystore file ([`crate::keystore`]).
pub const KEYSTORE_CHECKSUM: &str = "infernet/v1/keystore-checksum";
/// Magic prefix of every signed message ([`crate::sign::signing_bytes`]); not a hash context.
pub const SIGNATURE_PREFIX: &[u8; 16] = b"INFERNET-SIG-V1\0";

/// Every hash and signature context string, for tests that check they are distinct.
pub const ALL: &[&str] = &[
    TX_ID,
    TX_SIGNATURE,
    BLOCK_HEADER,
    POW,
    MERKLE_LEAF,
    MERKLE_NODE,
    MERKLE_EMPTY,
    STATE_LEAF,
    STATE_NODE,
    JOB_ID,
    RECORD_ID,
    LISTING_ID,
    RECORD_COMMITMENT,
    RECEIPT_SIGNATURE,
    REPLY_KEY_KDF,
    ATTESTATION_REPORT,
    ATTESTATION_EVIDENCE,
    HPKE_INFO_PROMPT,
    HPKE_INFO_RESULT,
    HPKE_INFO_RECORD_KEY,
    MNEMONIC_SEED,
    KEYSTORE_CHECKSUM,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_distinct_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ALL {
            assert!(c.starts_with("infernet/v1/"), "{c}");
            assert!(c.is_ascii(), "{c}");
            assert!(seen.insert(*c), "duplicate context {c}");
        }
        assert_eq!(seen.len(), ALL.len());
    }
}
