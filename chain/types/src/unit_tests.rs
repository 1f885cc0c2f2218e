//! Unit tests across modules: one per decoder rejection on real protocol types, signing and
//! ids, and the JSON views.

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey, Seed, Signature};

use crate::encoding::{DecodeError, DecodeLimits, Encode, decode_exact};
use crate::inference::{Attestation, Receipt, RecordPlaintext, SamplingParams, request_hash};
use crate::spec::{ChainSpec, Limits};
use crate::state::{StateKey, StateValue};
use crate::transaction::{Coinbase, SignedTransaction, Transaction, TxKind};
use crate::tx_kinds::{Complain, RegisterModel, SubmitJob, Transfer};
use crate::{Amount, Block, Header, Target};

const L: DecodeLimits = DecodeLimits::PROTOCOL_MAX;

fn identity(n: u8) -> Identity {
    Identity::from_seed(&Seed::from_bytes([n; 32]))
}

fn transfer(from: &Identity, nonce: u64) -> Transaction {
    Transaction {
        sender: from.address(),
        nonce,
        fee: Amount(1_000),
        kind: TxKind::Transfer(Transfer {
            to: Address([9; 32]),
            amount: Amount(5),
        }),
    }
}

fn submit_job(sealed_len: usize) -> Transaction {
    Transaction {
        sender: Address([1; 32]),
        nonce: 0,
        fee: Amount(1),
        kind: TxKind::SubmitJob(SubmitJob {
            miner: Address([2; 32]),
            model: Hash([3; 32]),
            sealed_prompt: SealedBox {
                enc: [4; 32],
                ciphertext: vec![5; sealed_len],
            },
            reply_key: ReplyPublicKey([6; 32]),
            max_input_tokens: 10,
            max_output_tokens: 20,
            price_in: Amount(1),
            price_out: Amount(2),
            sampling: SamplingParams::GREEDY,
            expiry: 100,
            require_attestation: true,
        }),
    }
}

#[test]
fn signed_transactions_verify_only_on_their_chain() {
    let alice = identity(1);
    let stx = transfer(&alice, 0).sign(&alice, 1337);
    stx.verify(1337).unwrap();
    assert!(
        stx.verify(1338).is_err(),
        "replay on another chain must fail"
    );
    let mut tampered = stx.clone();
    tampered.tx.nonce = 1;
    assert!(tampered.verify(1337).is_err());
    // Signed by someone other than the sender: rejected.
    let forged = transfer(&alice, 0).sign(&identity(2), 1337);
    assert!(forged.verify(1337).is_err());
    // The batch item carries exactly the signed bytes.
    let (addr, signed, sig) = stx.batch_item(1337);
    infernet_crypto::verify_batch(&[(addr, signed.clone(), sig)]).unwrap();
    assert_eq!(signed, stx.tx.signing_bytes(1337));
}

#[test]
fn txid_commits_to_signature_and_body() {
    let alice = identity(1);
    let a = transfer(&alice, 0).sign(&alice, 1);
    let b = transfer(&alice, 1).sign(&alice, 1);
    assert_ne!(a.txid(), b.txid());
    let mut c = a.clone();
    c.signature = Signature([0; 64]);
    assert_ne!(a.txid(), c.txid());
    assert_eq!(
        a.txid(),
        infernet_crypto::hash::hash(infernet_crypto::domain::TX_ID, &a.encode())
    );
}

#[test]
fn header_hash_and_pow_hash_are_distinct_and_cover_every_field() {
    let h = Header {
        version: Header::VERSION,
        height: 1,
        prev_hash: Hash([1; 32]),
        timestamp: 2,
        target: Target::MAX,
        nonce: 3,
        tx_root: Hash([4; 32]),
        state_root: Hash([5; 32]),
    };
    assert_ne!(h.hash(), h.pow_hash());
    assert!(h.meets_target());
    let mut h2 = h;
    h2.nonce = 4;
    assert_ne!(h.hash(), h2.hash());
    assert_ne!(h.pow_hash(), h2.pow_hash());
    let mut h3 = h;
    h3.target = Target([0; 32]);
    assert!(!h3.meets_target());
}

#[test]
fn tx_root_puts_the_coinbase_first() {
    let alice = identity(1);
    let block = Block {
        header: Header {
            version: 1,
            height: 7,
            prev_hash: Hash::ZERO,
            timestamp: 0,
            target: Target::MAX,
            nonce: 0,
            tx_root: Hash::ZERO,
            state_root: Hash::ZERO,
        },
        coinbase: Coinbase {
            height: 7,
            recipient: alice.address(),
            amount: Amount(50),
        },
        txs: vec![transfer(&alice, 0).sign(&alice, 1)],
    };
    let ids = block.tx_ids();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], block.coinbase.id());
    assert_eq!(
        block.compute_tx_root(),
        infernet_crypto::hash::merkle_root(&ids)
    );
    let mut other = block.coinbase;
    other.height = 8;
    assert_ne!(other.id(), block.coinbase.id());
}

#[test]
fn unknown_tags_are_rejected() {
    let mut bytes = transfer(&identity(1), 0).sign(&identity(1), 1).encode();
    bytes[48] = 14; // the TxKind tag follows sender (32), nonce (8), fee (8)
    assert_eq!(
        decode_exact::<SignedTransaction>(&bytes, &L),
        Err(DecodeError::InvalidTag {
            type_name: "TxKind",
            tag: 14
        })
    );
    assert!(matches!(
        decode_exact::<StateKey>(&[13; 33], &L),
        Err(DecodeError::InvalidTag {
            type_name: "StateKey",
            tag: 13
        })
    ));
    assert!(matches!(
        decode_exact::<StateValue>(&[13], &L),
        Err(DecodeError::InvalidTag {
            type_name: "StateValue",
            tag: 13
        })
    ));
    assert!(matches!(
        decode_exact::<Attestation>(&[3], &L),
        Err(DecodeError::InvalidTag {
            type_name: "Attestation",
            tag: 3
        })
    ));
    // An option tag of 2 (RegisterModel.parent).
    let tx = Transaction {
        sender: Address([1; 32]),
        nonce: 0,
        fee: Amount(0),
        kind: TxKind::RegisterModel(RegisterModel {
            id: Hash([2; 32]),
            name: "m".into(),
            architecture: "llama".into(),
            context_length: 2048,
            royalty_bps: 100,
            parent: None,
        }),
    };
    let mut bytes = tx.encode();
    let last = bytes.len() - 1;
    assert_eq!(bytes[last], 0);
    bytes[last] = 2;
    assert!(matches!(
        decode_exact::<Transaction>(&bytes, &L),
        Err(DecodeError::InvalidTag { tag: 2, .. })
    ));
}

#[test]
fn bad_bool_is_rejected() {
    let mut bytes = submit_job(4).encode();
    let last = bytes.len() - 1; // require_attestation is the last byte
    assert_eq!(bytes[last], 1);
    bytes[last] = 2;
    assert_eq!(
        decode_exact::<Transaction>(&bytes, &L),
        Err(DecodeError::InvalidBool {
            field: "SubmitJob.require_attestation",
            byte: 2
        })
    );
}

#[test]
fn non_utf8_string_is_rejected() {
    let tx = Transaction {
        sender: Address([1; 32]),
        nonce: 0,
        fee: Amount(0),
        kind: TxKind::RegisterModel(RegisterModel {
            id: Hash([2; 32]),
            name: "ab".into(),
            architecture: "llama".into(),
            context_length: 1,
            royalty_bps: 0,
            parent: None,
        }),
    };
    let mut bytes = tx.encode();
    // name starts after sender, nonce, fee, tag, id (32+8+8+1+32) and its 4-byte length.
    let at = 32 + 8 + 8 + 1 + 32 + 4;
    assert_eq!(&bytes[at..at + 2], b"ab");
    bytes[at] = 0xff;
    assert_eq!(
        decode_exact::<Transaction>(&bytes, &L),
        Err(DecodeError::InvalidUtf8 {
            field: "RegisterModel.name"
        })
    );
}

#[test]
fn huge_length_prefix_fails_before_allocating() {
    // A SubmitJob whose sealed prompt claims u32::MAX bytes, with only a few bytes after.
    let bytes = submit_job(0).encode();
    let at = 32 + 8 + 8 + 1 + 32 + 32 + 32; // ... miner, model, enc → ciphertext length
    let mut evil = bytes[..at].to_vec();
    evil.extend_from_slice(&u32::MAX.to_le_bytes());
    evil.extend_from_slice(&[0; 8]);
    assert_eq!(
        decode_exact::<Transaction>(&evil, &L),
        Err(DecodeError::LengthTooLarge {
            field: "SubmitJob.sealed_prompt",
            len: u64::from(u32::MAX),
            max: u64::from(L.max_sealed_prompt_bytes),
        })
    );
    // A block claiming u32::MAX transactions in a 300-byte buffer.
    let mut block = vec![0u8; Header::ENCODED_LEN + Coinbase::ENCODED_LEN];
    block.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode_exact::<Block>(&block, &L),
        Err(DecodeError::LengthTooLarge {
            field: "Block.txs",
            ..
        })
    ));
    // A state queue claiming a million entries in a tiny buffer.
    let mut queue = vec![7u8];
    queue.extend_from_slice(&1_000_000u32.to_le_bytes());
    assert!(matches!(
        decode_exact::<StateValue>(&queue, &L),
        Err(DecodeError::UnexpectedEnd {
            field: "JobQueue",
            ..
        })
    ));
}

#[test]
fn chain_spec_limits_bound_decoding() {
    let mut limits = Limits::default_limits();
    limits.max_sealed_prompt_bytes = 16;
    let spec_limits = DecodeLimits::from_limits(&limits);
    let ok = submit_job(16).encode();
    assert!(decode_exact::<Transaction>(&ok, &spec_limits).is_ok());
    let too_big = submit_job(17).encode();
    assert!(matches!(
        decode_exact::<Transaction>(&too_big, &spec_limits),
        Err(DecodeError::LengthTooLarge {
            field: "SubmitJob.sealed_prompt",
            len: 17,
            max: 16
        })
    ));
    assert!(decode_exact::<Transaction>(&too_big, &L).is_ok());

    // The whole signed transaction is capped by max_tx_bytes.
    let mut tiny = DecodeLimits::from_limits(&Limits::default_limits());
    tiny.max_tx_bytes = 200;
    let stx = SignedTransaction {
        tx: submit_job(100),
        signature: Signature([0; 64]),
    };
    assert!(stx.encoded_len() > 200);
    assert!(matches!(
        decode_exact::<SignedTransaction>(&stx.encode(), &tiny),
        Err(DecodeError::LengthTooLarge {
            field: "SignedTransaction",
            ..
        })
    ));
    // Spec limits above the protocol maximum are clamped.
    let mut huge = Limits::default_limits();
    huge.max_payload_bytes = u32::MAX;
    assert_eq!(
        DecodeLimits::from_limits(&huge).max_payload_bytes,
        L.max_payload_bytes
    );
    assert_eq!(ChainSpec::dev().decode_limits().max_offers, 32);
}

#[test]
fn receipts_sign_and_verify() {
    let miner = identity(3);
    let receipt = Receipt {
        job: Hash([1; 32]),
        model: Hash([2; 32]),
        miner: miner.address(),
        request_hash: Hash([3; 32]),
        sampling: SamplingParams::GREEDY,
        input_tokens: 5,
        output_tokens: 6,
        commitment: Hash([4; 32]),
        user: Address([5; 32]),
        user_reply_key: ReplyPublicKey([6; 32]),
    };
    let sig = receipt.sign(&miner, 9);
    receipt.verify(9, &sig).unwrap();
    assert!(receipt.verify(10, &sig).is_err());
    let mut other = receipt.clone();
    other.output_tokens = 7;
    assert!(other.verify(9, &sig).is_err());
}

#[test]
fn attestation_report_data_ignores_model_order_and_duplicates() {
    let key = ReplyPublicKey([1; 32]);
    let (a, b) = (Hash([2; 32]), Hash([3; 32]));
    let r1 = Attestation::report_data(&key, &[a, b]);
    assert_eq!(r1, Attestation::report_data(&key, &[b, a, b]));
    assert_ne!(r1, Attestation::report_data(&key, &[a]));
    assert_ne!(
        r1,
        Attestation::report_data(&ReplyPublicKey([9; 32]), &[a, b])
    );
}

#[test]
fn request_hash_and_commitment_bind_their_inputs() {
    let s1 = SealedBox {
        enc: [1; 32],
        ciphertext: vec![2, 3],
    };
    let mut s2 = s1.clone();
    s2.ciphertext[1] = 4;
    assert_ne!(request_hash(&s1), request_hash(&s2));
    let p = RecordPlaintext {
        salt: [7; 32],
        prompt: b"hello".to_vec(),
        answer: b"world".to_vec(),
    };
    let mut q = p.clone();
    q.salt[0] = 8;
    assert_ne!(p.commitment(), q.commitment());
    // Moving a byte between prompt and answer changes the commitment (length-prefixed).
    let r = RecordPlaintext {
        salt: [7; 32],
        prompt: b"hellow".to_vec(),
        answer: b"orld".to_vec(),
    };
    assert_ne!(p.commitment(), r.commitment());
    assert!(!format!("{p:?}").contains("hello"), "Debug must redact");
    assert_eq!(decode_exact::<RecordPlaintext>(&p.encode(), &L).unwrap(), p);
}

#[test]
fn json_views_are_pleasant() {
    let alice = identity(1);
    let stx = transfer(&alice, 3).sign(&alice, 1);
    let json = serde_json::to_value(&stx).unwrap();
    assert_eq!(json["tx"]["kind"]["type"], "transfer");
    assert_eq!(json["tx"]["fee"], "1000");
    assert_eq!(json["tx"]["kind"]["amount"], "5");
    assert!(json["tx"]["sender"].as_str().unwrap().starts_with("inf1"));
    assert_eq!(json["signature"].as_str().unwrap().len(), 128);
    let back: SignedTransaction = serde_json::from_value(json).unwrap();
    assert_eq!(back, stx);
    for (i, name) in TxKind::NAMES.iter().enumerate() {
        assert_eq!(name.len(), name.trim().len(), "{i}");
    }
    assert_eq!(TxKind::Unregister.name(), "unregister");
    let key = serde_json::to_value(StateKey::JobExpiry(5)).unwrap();
    assert_eq!(key["type"], "job_expiry");
    assert_eq!(key["key"], 5);
}

#[test]
fn fixed_sizes_match_the_spec() {
    use crate::inference::Offer;
    use crate::state::{Payout, Reputation};
    use crate::transaction::ParentModel;
    let receipt = Receipt {
        job: Hash::ZERO,
        model: Hash::ZERO,
        miner: Address([0; 32]),
        request_hash: Hash::ZERO,
        sampling: SamplingParams::GREEDY,
        input_tokens: 0,
        output_tokens: 0,
        commitment: Hash::ZERO,
        user: Address([0; 32]),
        user_reply_key: ReplyPublicKey([0; 32]),
    };
    assert_eq!(receipt.encode().len(), 252);
    let offer = Offer {
        model: Hash::ZERO,
        price_in: Amount(0),
        price_out: Amount(0),
        max_output_tokens: 0,
    };
    assert_eq!(offer.encode().len(), Offer::ENCODED_LEN);
    assert_eq!(Offer::ENCODED_LEN, 52);
    assert_eq!(SamplingParams::GREEDY.encode().len(), 20);
    assert_eq!(Header::ENCODED_LEN, 156);
    assert_eq!(Coinbase::ENCODED_LEN, 48);
    assert_eq!(Reputation::default().encode().len(), 32);
    let payout = Payout {
        to: Address([0; 32]),
        amount: Amount(0),
    };
    assert_eq!(payout.encode().len(), Payout::ENCODED_LEN);
    assert_eq!(Payout::ENCODED_LEN, 40);
    let parent = ParentModel {
        model: Hash::ZERO,
        share_bps: 0,
    };
    assert_eq!(parent.encode().len(), 34);
    assert_eq!(StateKey::Account(Address([0; 32])).encode().len(), 33);
    assert_eq!(StateKey::JobExpiry(0).encode().len(), 9);
    let unregister = SignedTransaction {
        tx: Transaction {
            sender: Address([0; 32]),
            nonce: 0,
            fee: Amount(0),
            kind: TxKind::Unregister,
        },
        signature: Signature([0; 64]),
    };
    assert_eq!(
        unregister.encode().len(),
        SignedTransaction::MIN_ENCODED_LEN
    );
    assert_eq!(SignedTransaction::MIN_ENCODED_LEN, 113);
}

#[test]
fn min_fee_is_size_times_rate() {
    let alice = identity(1);
    let mut tx = transfer(&alice, 0);
    let fee = tx.min_fee(Amount(10)).unwrap();
    tx.fee = fee;
    assert_eq!(fee, Amount(10 * tx.signed_len() as u64));
    assert_eq!(tx.clone().sign(&alice, 1).encoded_len(), tx.signed_len());
    assert!(tx.min_fee(Amount::MAX).is_err());
}

#[test]
fn chain_context_strings_are_distinct_from_the_crypto_ones() {
    let ours = [
        crate::REQUEST_HASH_DOMAIN,
        crate::spec::DEV_ACCOUNT_CONTEXT,
        crate::sealing::RECORD_PAYLOAD_AAD,
    ];
    for c in ours {
        assert!(c.starts_with("infernet/v1/"), "{c}");
        assert!(!infernet_crypto::domain::ALL.contains(&c), "{c} collides");
    }
    assert_ne!(ours[0], ours[1]);
    assert_ne!(ours[1], ours[2]);
    assert_ne!(ours[0], ours[2]);
}

fn complain(detail_len: usize) -> Transaction {
    Transaction {
        sender: identity(4).address(),
        nonce: 0,
        fee: Amount(2_000),
        kind: TxKind::Complain(Complain {
            purchase: Hash([0x21; 32]),
            record_index: 2,
            reason: crate::ComplaintReason::ReceiptMismatch,
            detail: "x".repeat(detail_len),
        }),
    }
}

#[test]
fn complain_layout_reason_byte_and_detail_bound() {
    let tx = complain(3);
    let bytes = tx.encode();
    // sender 32, nonce 8, fee 8, tag, purchase 32, index u32le, reason byte, detail.
    assert_eq!(bytes[48], 13);
    assert_eq!(&bytes[49..81], &[0x21; 32]);
    assert_eq!(&bytes[81..85], &2u32.to_le_bytes());
    assert_eq!(bytes[85], 2, "receipt_mismatch is reason tag 2");
    assert_eq!(&bytes[86..90], &3u32.to_le_bytes());
    assert_eq!(bytes.len(), 93);
    assert_eq!(decode_exact::<Transaction>(&bytes, &L).unwrap(), tx);
    let mut bad = bytes.clone();
    bad[85] = 4;
    assert_eq!(
        decode_exact::<Transaction>(&bad, &L),
        Err(DecodeError::InvalidTag {
            type_name: "ComplaintReason",
            tag: 4
        })
    );
    for (i, reason) in crate::ComplaintReason::ALL.iter().enumerate() {
        assert_eq!(usize::from(reason.tag()), i);
        assert_eq!(
            serde_json::to_value(reason).unwrap(),
            serde_json::Value::from(reason.name())
        );
    }
    // `detail` is a string field bounded by `max_string_bytes`.
    let mut limits = ChainSpec::dev().limits;
    limits.max_string_bytes = 8;
    let capped = DecodeLimits::from_limits(&limits);
    assert!(decode_exact::<Transaction>(&complain(8).encode(), &capped).is_ok());
    assert!(matches!(
        decode_exact::<Transaction>(&complain(9).encode(), &capped),
        Err(DecodeError::LengthTooLarge { .. })
    ));
    assert_eq!(tx.kind.name(), "complain");
}

#[test]
fn complaint_and_seller_stats_state_entries_roundtrip() {
    use crate::state::{Complaint, SellerStats};
    let key = StateKey::Complaint(Hash([1; 32]), 7);
    let kb = key.encode();
    assert_eq!(kb[0], 11);
    assert_eq!(&kb[33..], &7u32.to_le_bytes());
    assert_eq!(decode_exact::<StateKey>(&kb, &L).unwrap(), key);
    let key = StateKey::SellerStats(Address([2; 32]));
    assert_eq!(key.encode()[0], 12);
    assert_eq!(key.encode().len(), 33);
    let stats = StateValue::SellerStats(SellerStats {
        listings: 1,
        sales: 2,
        refunded: 3,
        cancelled: 4,
        complaints: 5,
    });
    assert!(stats.matches_key(&key));
    assert_eq!(stats.encode().len(), 1 + SellerStats::ENCODED_LEN);
    assert_eq!(
        decode_exact::<StateValue>(&stats.encode(), &L).unwrap(),
        stats
    );
    let complaint = StateValue::Complaint(Complaint {
        purchase: Hash([1; 32]),
        record_index: 7,
        listing: Hash([3; 32]),
        record: Hash([4; 32]),
        buyer: Address([5; 32]),
        seller: Address([6; 32]),
        reason: crate::ComplaintReason::KeyDoesNotOpen,
        detail: "key".into(),
        height: 99,
    });
    assert!(complaint.matches_key(&StateKey::Complaint(Hash([1; 32]), 7)));
    assert_eq!(
        decode_exact::<StateValue>(&complaint.encode(), &L).unwrap(),
        complaint
    );
}

#[test]
fn spec_without_complaint_window_gets_the_default() {
    let mut json: serde_json::Value =
        serde_json::from_str(&ChainSpec::dev().to_json_pretty()).unwrap();
    assert_eq!(
        json["complaint_window"],
        ChainSpec::DEFAULT_COMPLAINT_WINDOW
    );
    json.as_object_mut().unwrap().remove("complaint_window");
    let old = ChainSpec::from_json(&json.to_string()).unwrap();
    assert_eq!(old.complaint_window, ChainSpec::DEFAULT_COMPLAINT_WINDOW);
    assert_eq!(old, ChainSpec::dev());
    json["complaint_window"] = 5.into();
    assert_eq!(
        ChainSpec::from_json(&json.to_string())
            .unwrap()
            .complaint_window,
        5
    );
}
