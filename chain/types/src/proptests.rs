//! Property tests of the canonical encoding: decode(encode(x)) == x for every type,
//! encode(decode(b)) == b for any bytes that decode (random and mutated encodings), and the
//! JSON views round-trip.

use proptest::prelude::*;

use crate::encoding::{Decode, DecodeLimits, Encode, decode_exact};
use crate::test_utils::*;
use crate::{Block, SignedTransaction, StateKey, StateValue, Transaction};

const LIMITS: DecodeLimits = DecodeLimits::PROTOCOL_MAX;

fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = value.encode();
    assert_eq!(value.encoded_len(), bytes.len());
    let back: T = decode_exact(&bytes, &LIMITS).unwrap();
    assert_eq!(&back, value);
    // Any strict prefix must fail (no value is a prefix of another encoding of its type
    // that also decodes completely), and one extra byte is always rejected.
    if !bytes.is_empty() {
        assert!(decode_exact::<T>(&bytes[..bytes.len() - 1], &LIMITS).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode_exact::<T>(&longer, &LIMITS).is_err());
}

/// If `bytes` decodes as `T`, re-encoding gives back exactly `bytes`.
fn canonical_if_decodes<T: Encode + Decode>(bytes: &[u8]) {
    if let Ok(value) = decode_exact::<T>(bytes, &LIMITS) {
        assert_eq!(value.encode(), bytes);
    }
}

/// Ways of corrupting an encoding.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Set { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len();
        match *m {
            Mutation::Flip { at, xor } if n > 0 => bytes[at % n] ^= xor,
            Mutation::Set { at, byte } if n > 0 => bytes[at % n] = byte,
            Mutation::Truncate { at } => bytes.truncate(at % (n + 1)),
            Mutation::Insert { at, byte } => bytes.insert(at % (n + 1), byte),
            Mutation::Remove { at } if n > 0 => {
                bytes.remove(at % n);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn primitives_round_trip(
        h in arb_hash(), a in arb_address(), k in arb_reply_key(), s in arb_signature(),
        amt in arb_amount(), t in arb_target(),
    ) {
        round_trip(&h);
        round_trip(&a);
        round_trip(&k);
        round_trip(&s);
        round_trip(&amt);
        round_trip(&t);
    }

    #[test]
    fn market_types_round_trip(
        o in arb_offer(), sp in arb_sampling(), at in arb_attestation(),
        ev in arb_evidence(), r in arb_receipt(), p in arb_parent(),
    ) {
        round_trip(&o);
        round_trip(&sp);
        round_trip(&at);
        round_trip(&ev);
        round_trip(&r);
        round_trip(&p);
    }

    #[test]
    fn tx_kinds_round_trip(kind in arb_tx_kind()) {
        round_trip(&kind);
    }

    #[test]
    fn record_plaintexts_round_trip(salt in any::<[u8; 32]>(), prompt in arb_bytes(), answer in arb_bytes()) {
        let p = crate::RecordPlaintext { salt, prompt, answer };
        round_trip(&p);
    }

    #[test]
    fn transactions_round_trip(stx in arb_signed_transaction()) {
        round_trip(&stx.tx);
        round_trip(&stx);
        prop_assert_eq!(stx.tx.signed_len(), stx.encoded_len());
    }

    #[test]
    fn blocks_round_trip(block in arb_block()) {
        round_trip(&block.header);
        round_trip(&block.coinbase);
        round_trip(&block);
        prop_assert_eq!(block.header.encode().len(), crate::Header::ENCODED_LEN);
        prop_assert_eq!(block.coinbase.encode().len(), crate::Coinbase::ENCODED_LEN);
    }

    #[test]
    fn state_round_trips(key in arb_state_key(), value in arb_state_value()) {
        round_trip(&key);
        round_trip(&value);
        prop_assert_eq!(key.encode()[0], key.tag());
        prop_assert_eq!(value.encode()[0], value.tag());
    }

    #[test]
    fn state_objects_round_trip(
        status in arb_job_status(), ls in arb_listing_status(), ps in arb_purchase_status(),
        rep in arb_reputation(), pay in arb_payout(),
    ) {
        round_trip(&status);
        round_trip(&ls);
        round_trip(&ps);
        round_trip(&rep);
        round_trip(&pay);
    }

    #[test]
    fn mutated_transactions_are_rejected_or_canonical(
        stx in arb_signed_transaction(),
        mutations in proptest::collection::vec(arb_mutation(), 1..4),
    ) {
        let bytes = mutate(stx.encode(), &mutations);
        canonical_if_decodes::<SignedTransaction>(&bytes);
        canonical_if_decodes::<Transaction>(&bytes);
    }

    #[test]
    fn mutated_blocks_are_rejected_or_canonical(
        block in arb_block(),
        mutations in proptest::collection::vec(arb_mutation(), 1..4),
    ) {
        let bytes = mutate(block.encode(), &mutations);
        canonical_if_decodes::<Block>(&bytes);
    }

    #[test]
    fn mutated_state_is_rejected_or_canonical(
        key in arb_state_key(),
        value in arb_state_value(),
        mutations in proptest::collection::vec(arb_mutation(), 1..4),
    ) {
        canonical_if_decodes::<StateKey>(&mutate(key.encode(), &mutations));
        canonical_if_decodes::<StateValue>(&mutate(value.encode(), &mutations));
    }

    #[test]
    fn random_bytes_are_rejected_or_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        canonical_if_decodes::<SignedTransaction>(&bytes);
        canonical_if_decodes::<Block>(&bytes);
        canonical_if_decodes::<StateKey>(&bytes);
        canonical_if_decodes::<StateValue>(&bytes);
    }

    #[test]
    fn json_views_round_trip(block in arb_block(), value in arb_state_value(), key in arb_state_key()) {
        let json = serde_json::to_string(&block).unwrap();
        prop_assert_eq!(serde_json::from_str::<Block>(&json).unwrap(), block);
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<StateValue>(&json).unwrap(), value);
        let json = serde_json::to_string(&key).unwrap();
        prop_assert_eq!(serde_json::from_str::<StateKey>(&json).unwrap(), key);
    }
}

/// The strategy yields every kind: a kind added to [`crate::TxKind`] but not to
/// [`arb_tx_kind`] fails here instead of going untested.
#[test]
fn arb_tx_kind_yields_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let strategy = arb_tx_kind();
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5_000 {
        let kind = strategy.new_tree(&mut runner).unwrap().current();
        seen.insert(kind.tag());
        if seen.len() == crate::TxKind::NAMES.len() {
            return;
        }
    }
    panic!("arb_tx_kind yielded only the tags {seen:?}");
}
