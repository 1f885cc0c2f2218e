//! Delivering a purchase: each record key, opened with the seller's reply key, is checked
//! against its record and sealed to the buyer's reply key for `Deliver`.
//!
//! Sealing uses the protocol's record-key context (`infernet_types::sealing`): `info` binds
//! the chain id, `aad` the record id and the buyer's address, so a delivered key opens only
//! for that buyer, that record and that chain. Before sealing, the seller's wallet decrypts
//! each payload with the key and checks the miner's commitment: an honest seller never
//! delivers a key that the buyer's provenance check would reject.

use infernet_crypto::{Address, Hash, RecordKey, ReplyPublicKey, ReplySecret, SealedBox};
use infernet_rpc::views::RecordView;
use infernet_types::Deliver;
use infernet_types::TxKind;

use super::MarketError;
use super::provenance::sealed_record;
use crate::job;

/// Opens the key of each of `records` (owned by the seller) with the seller's `reply` secret
/// and checks it decrypts the record to its committed pair.
pub fn open_keys(
    reply: &ReplySecret,
    chain_id: u64,
    key_name: &str,
    records: &[RecordView],
) -> Result<Vec<RecordKey>, MarketError> {
    records
        .iter()
        .map(|rec| {
            let sealed = sealed_record(rec);
            let fail = |e: crate::WalletError| MarketError::CannotOpenKey {
                record: sealed.id.to_hex(),
                key: key_name.to_owned(),
                reason: e.to_string(),
            };
            let key = job::open_record_key(reply, chain_id, &sealed, key_name).map_err(fail)?;
            job::decrypt_record(&key, chain_id, &sealed).map_err(fail)?;
            Ok(key)
        })
        .collect()
}

/// Seals `keys[i]` (the key of `records[i]`) to `buyer`'s reply key.
pub fn seal_keys(
    chain_id: u64,
    buyer: &Address,
    buyer_reply: &ReplyPublicKey,
    records: &[Hash],
    keys: &[RecordKey],
) -> Result<Vec<SealedBox>, MarketError> {
    records
        .iter()
        .zip(keys)
        .map(|(id, key)| {
            job::seal_record_key_to(key, chain_id, id, buyer, buyer_reply).map_err(|e| {
                MarketError::Seal {
                    record: id.to_hex(),
                    reason: e.to_string(),
                }
            })
        })
        .collect()
}

/// The `Deliver` transaction kind for `purchase`.
#[must_use]
pub fn deliver_kind(purchase: Hash, sealed_keys: Vec<SealedBox>) -> TxKind {
    TxKind::Deliver(Deliver {
        purchase,
        sealed_keys,
    })
}

/// Everything the seller's side of a delivery does: open and check the keys of `records`
/// (the listing's records, in listing order), seal them to the buyer, build `Deliver`.
pub fn delivery(
    reply: &ReplySecret,
    chain_id: u64,
    key_name: &str,
    records: &[RecordView],
    buyer: &Address,
    buyer_reply: &ReplyPublicKey,
    purchase: Hash,
) -> Result<TxKind, MarketError> {
    let keys = open_keys(reply, chain_id, key_name, records)?;
    let ids: Vec<Hash> = records.iter().map(|r| Hash(r.id.0)).collect();
    let sealed = seal_keys(chain_id, buyer, buyer_reply, &ids, &keys)?;
    Ok(deliver_kind(purchase, sealed))
}

#[cfg(test)]
mod tests {
    use super::super::provenance::tests::minted;
    use super::*;
    use infernet_crypto::{Identity, Seed, seal};
    use infernet_types::sealing;

    #[test]
    fn delivered_keys_open_for_the_buyer_only() {
        let seller = Identity::from_seed(&Seed::from_bytes([1; 32]));
        let buyer = Identity::from_seed(&Seed::from_bytes([2; 32]));
        let other = Identity::from_seed(&Seed::from_bytes([3; 32]));
        let recs: Vec<_> = (0..3u8)
            .map(|i| minted(&seller, i, "prompt", "answer").0)
            .collect();
        let kind = delivery(
            &seller.reply_secret(),
            7,
            "alice",
            &recs,
            &buyer.address(),
            &buyer.reply_secret().public_key(),
            Hash([9; 32]),
        )
        .unwrap();
        let TxKind::Deliver(Deliver {
            purchase,
            sealed_keys,
        }) = kind
        else {
            panic!("not a Deliver");
        };
        assert_eq!(purchase, Hash([9; 32]));
        assert_eq!(sealed_keys.len(), 3);
        for (rec, sealed) in recs.iter().zip(&sealed_keys) {
            let id = Hash(rec.id.0);
            let info = sealing::record_key_info(7);
            let aad = sealing::record_key_aad(&id, &buyer.address());
            assert!(seal::open(&buyer.reply_secret(), &info, &aad, sealed).is_ok());
            assert!(seal::open(&other.reply_secret(), &info, &aad, sealed).is_err());
            // Bound to the buyer's address: the same box does not open as someone else's.
            let aad_other = sealing::record_key_aad(&id, &other.address());
            assert!(seal::open(&buyer.reply_secret(), &info, &aad_other, sealed).is_err());
        }
        // Keys are bound to their record: swapping two boxes fails for record 0.
        let aad0 = sealing::record_key_aad(&Hash(recs[0].id.0), &buyer.address());
        assert!(
            seal::open(
                &buyer.reply_secret(),
                &sealing::record_key_info(7),
                &aad0,
                &sealed_keys[1]
            )
            .is_err()
        );
    }

    #[test]
    fn a_seller_without_the_key_cannot_deliver() {
        let seller = Identity::from_seed(&Seed::from_bytes([1; 32]));
        let stranger = Identity::from_seed(&Seed::from_bytes([4; 32]));
        let (rec, _) = minted(&seller, 1, "p", "a");
        let err = open_keys(&stranger.reply_secret(), 7, "mallory", &[rec]).unwrap_err();
        assert!(matches!(err, MarketError::CannotOpenKey { ref key, .. } if key == "mallory"));
    }
}
