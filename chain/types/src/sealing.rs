//! The HPKE `info` / `aad` and record-payload `aad` that bind every ciphertext of the
//! protocol to its chain, job and parties, so the wallet and the miner build them the same way.
//!
//! Consensus never decrypts, so these are not consensus rules; they are the shared contract
//! between whoever seals and whoever opens (wallet ↔ miner, seller ↔ buyer). Each binds the
//! chain id and the parties, so a ciphertext copied into another job, record, chain or owner's
//! transaction fails to open. Layouts (all integers little-endian):
//!
//! | ciphertext | `info` | `aad` |
//! |---|---|---|
//! | prompt, sealed to the miner's serving key | `HPKE_INFO_PROMPT ‖ u64 chain_id` | `user ‖ miner ‖ model ‖ u64 nonce of the SubmitJob` |
//! | record key, sealed to an owner's reply key | `HPKE_INFO_RECORD_KEY ‖ u64 chain_id` | `record id ‖ owner address` |
//! | record payload (XChaCha20-Poly1305 under the record key) | — | `"infernet/v1/record-payload" ‖ u64 chain_id ‖ record id` |

use infernet_crypto::{Address, domain};

use crate::primitives::{ModelId, RecordId};

/// Prefix of the record payload's `aad`.
pub const RECORD_PAYLOAD_AAD: &str = "infernet/v1/record-payload";

fn info(prefix: &str, chain_id: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 8);
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(&chain_id.to_le_bytes());
    out
}

/// HPKE `info` of a prompt sealed to a miner.
#[must_use]
pub fn prompt_info(chain_id: u64) -> Vec<u8> {
    info(domain::HPKE_INFO_PROMPT, chain_id)
}

/// HPKE `aad` of a prompt: the submitting user, the miner, the model, and the nonce of the
/// `SubmitJob` carrying it (unique per user, so the prompt binds to one job).
#[must_use]
pub fn prompt_aad(user: &Address, miner: &Address, model: &ModelId, nonce: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * 3 + 8);
    out.extend_from_slice(&user.0);
    out.extend_from_slice(&miner.0);
    out.extend_from_slice(&model.0);
    out.extend_from_slice(&nonce.to_le_bytes());
    out
}

/// HPKE `info` of a record key sealed to an owner.
#[must_use]
pub fn record_key_info(chain_id: u64) -> Vec<u8> {
    info(domain::HPKE_INFO_RECORD_KEY, chain_id)
}

/// HPKE `aad` of a record key sealed to `owner` (the user in `PostResult`, the new owner in
/// `TransferRecord`, the buyer in `Deliver`).
#[must_use]
pub fn record_key_aad(record: &RecordId, owner: &Address) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&record.0);
    out.extend_from_slice(&owner.0);
    out
}

/// `aad` of the record payload encryption.
#[must_use]
pub fn record_payload_aad(chain_id: u64, record: &RecordId) -> Vec<u8> {
    let mut out = info(RECORD_PAYLOAD_AAD, chain_id);
    out.extend_from_slice(&record.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::{Hash, Identity, Seed, seal};

    #[test]
    fn sealed_record_key_opens_only_for_its_record_and_owner() {
        let owner = Identity::from_seed(&Seed::from_bytes([1; 32]));
        let secret = owner.reply_secret();
        let record = Hash([2; 32]);
        let sealed = seal::seal(
            &secret.public_key(),
            &record_key_info(7),
            &record_key_aad(&record, &owner.address()),
            &[9; 32],
        )
        .unwrap();
        let opened = seal::open(
            &secret,
            &record_key_info(7),
            &record_key_aad(&record, &owner.address()),
            &sealed,
        )
        .unwrap();
        assert_eq!(opened.as_slice(), &[9; 32]);
        // Another record, another owner or another chain: fails.
        assert!(
            seal::open(
                &secret,
                &record_key_info(7),
                &record_key_aad(&Hash([3; 32]), &owner.address()),
                &sealed
            )
            .is_err()
        );
        assert!(
            seal::open(
                &secret,
                &record_key_info(7),
                &record_key_aad(&record, &Address([5; 32])),
                &sealed
            )
            .is_err()
        );
        assert!(
            seal::open(
                &secret,
                &record_key_info(8),
                &record_key_aad(&record, &owner.address()),
                &sealed
            )
            .is_err()
        );
    }

    #[test]
    fn contexts_differ_by_purpose_chain_and_parties() {
        assert_ne!(prompt_info(1), record_key_info(1));
        assert_ne!(prompt_info(1), prompt_info(2));
        let (a, b, m) = (Address([1; 32]), Address([2; 32]), Hash([3; 32]));
        assert_ne!(prompt_aad(&a, &b, &m, 0), prompt_aad(&b, &a, &m, 0));
        assert_ne!(prompt_aad(&a, &b, &m, 0), prompt_aad(&a, &b, &m, 1));
        assert_ne!(record_payload_aad(1, &m), record_payload_aad(2, &m));
    }
}
