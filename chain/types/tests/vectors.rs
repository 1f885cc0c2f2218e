#![allow(clippy::unwrap_used, missing_docs)]
//! Generates `specs/vectors/transactions.json` and checks the committed file matches.
//!
//! Run with `INFERNET_WRITE_VECTORS=1` to rewrite the file after an intended format change;
//! without it the test fails if the committed file differs from what the code produces.

use std::path::PathBuf;

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey, Seed};
use infernet_types::{
    Amount, Attestation, AttestationEvidence, ChainSpec, ComplaintReason, Encode, Offer,
    ParentModel, Receipt, SamplingParams, SignedTransaction, Transaction, TxKind, decode_exact,
    request_hash,
};
use infernet_types::{
    Buy, CancelListing, Complain, Deliver, ListRecords, PostResult, RateJob, RegisterMiner,
    RegisterModel, SubmitJob, Transfer, TransferRecord, UpdateMiner,
};
use serde_json::{Value, json};

const CHAIN_ID: u64 = ChainSpec::DEV_CHAIN_ID;

fn identity(n: u8) -> Identity {
    Identity::from_seed(&Seed::from_bytes([n; 32]))
}

fn sealed(tag: u8, len: usize) -> SealedBox {
    SealedBox {
        enc: [tag; 32],
        ciphertext: (0..len).map(|i| tag.wrapping_add(i as u8)).collect(),
    }
}

fn inf(n: u64) -> Amount {
    Amount::from_inf(n).unwrap()
}

/// Fixed transactions: every kind at least once, with fixed seeds.
fn transactions() -> Vec<(Identity, Transaction)> {
    let user = identity(1);
    let miner = identity(2);
    let owner = identity(3);
    let buyer = identity(4);
    let model = Hash([0x4d; 32]);
    let job = Hash([0x10; 32]);
    let listing = Hash([0x20; 32]);
    let purchase = Hash([0x30; 32]);
    let serving_key = miner.reply_secret().public_key();
    let user_reply = user.reply_secret().public_key();
    let sampling = SamplingParams {
        temperature_milli: 700,
        top_p_milli: 950,
        top_k: 40,
        seed: 42,
    };
    let offer = Offer {
        model,
        price_in: Amount(10),
        price_out: Amount(30),
        max_output_tokens: 1024,
    };
    let prompt = sealed(0x50, 48);
    let receipt = Receipt {
        job,
        model,
        miner: miner.address(),
        request_hash: request_hash(&prompt),
        sampling,
        input_tokens: 12,
        output_tokens: 200,
        commitment: Hash([0xc0; 32]),
        user: user.address(),
        user_reply_key: user_reply,
    };
    let receipt_signature = receipt.sign(&miner, CHAIN_ID);
    // Fee = the dev chain's minimum (10 per byte of signed tx) plus a tip.
    let tx = |who: &Identity, nonce: u64, tip: u64, kind: TxKind| {
        let mut t = Transaction {
            sender: who.address(),
            nonce,
            fee: Amount::ZERO,
            kind,
        };
        t.fee = Amount(t.signed_len() as u64 * 10 + tip);
        t
    };

    vec![
        (
            identity(1),
            tx(
                &user,
                0,
                2_000,
                TxKind::Transfer(Transfer {
                    to: buyer.address(),
                    amount: inf(25),
                }),
            ),
        ),
        (
            identity(3),
            tx(
                &owner,
                0,
                3_000,
                TxKind::RegisterModel(RegisterModel {
                    id: model,
                    name: "SmolLM2-135M-Instruct".into(),
                    architecture: "llama".into(),
                    context_length: 8192,
                    royalty_bps: 250,
                    parent: None,
                }),
            ),
        ),
        (
            identity(3),
            tx(
                &owner,
                1,
                3_000,
                TxKind::RegisterModel(RegisterModel {
                    id: Hash([0x4e; 32]),
                    name: "SmolLM2-135M-Instruct-ft-ünïcode".into(),
                    architecture: "llama".into(),
                    context_length: 4096,
                    royalty_bps: 500,
                    parent: Some(ParentModel {
                        model,
                        share_bps: 4_000,
                    }),
                }),
            ),
        ),
        (
            identity(2),
            tx(
                &miner,
                0,
                4_000,
                TxKind::RegisterMiner(RegisterMiner {
                    serving_key,
                    offers: vec![offer.clone()],
                    p2p_addr: "/ip4/127.0.0.1/tcp/30333".into(),
                    attestation: Attestation::Simulated {
                        report_data: Attestation::report_data(&serving_key, &[model]),
                    },
                    bond: inf(100),
                }),
            ),
        ),
        (
            identity(2),
            tx(
                &miner,
                1,
                4_000,
                TxKind::UpdateMiner(UpdateMiner {
                    serving_key,
                    offers: vec![
                        offer.clone(),
                        Offer {
                            model: Hash([0x4e; 32]),
                            price_in: Amount(5),
                            price_out: Amount(15),
                            max_output_tokens: 512,
                        },
                    ],
                    p2p_addr: "/ip4/10.0.0.2/udp/30333/quic-v1".into(),
                    attestation: Attestation::None,
                    bond_top_up: inf(10),
                }),
            ),
        ),
        (identity(2), tx(&miner, 2, 1_500, TxKind::Unregister)),
        (
            identity(1),
            tx(
                &user,
                1,
                5_000,
                TxKind::SubmitJob(SubmitJob {
                    miner: miner.address(),
                    model,
                    sealed_prompt: prompt.clone(),
                    reply_key: user_reply,
                    max_input_tokens: 64,
                    max_output_tokens: 256,
                    price_in: Amount(10),
                    price_out: Amount(30),
                    sampling,
                    expiry: 120,
                    require_attestation: false,
                }),
            ),
        ),
        (
            identity(2),
            tx(
                &miner,
                3,
                9_000,
                TxKind::PostResult(PostResult {
                    job,
                    input_tokens: 12,
                    output_tokens: 200,
                    payload: (0..96u8).collect(),
                    sealed_record_key: sealed(0x60, 48),
                    receipt: receipt.clone(),
                    receipt_signature,
                    attestation: None,
                }),
            ),
        ),
        (
            identity(2),
            tx(
                &miner,
                4,
                9_000,
                TxKind::PostResult(PostResult {
                    job,
                    input_tokens: 12,
                    output_tokens: 200,
                    payload: vec![0xab; 40],
                    sealed_record_key: sealed(0x61, 48),
                    receipt,
                    receipt_signature,
                    attestation: Some(AttestationEvidence::Simulated {
                        report_data: Hash([0xee; 32]),
                    }),
                }),
            ),
        ),
        (
            identity(1),
            tx(
                &user,
                2,
                2_500,
                TxKind::TransferRecord(TransferRecord {
                    record: job,
                    to: buyer.address(),
                    sealed_key: sealed(0x70, 48),
                }),
            ),
        ),
        (
            identity(1),
            tx(
                &user,
                3,
                3_000,
                TxKind::ListRecords(ListRecords {
                    records: vec![job, Hash([0x11; 32])],
                    price: inf(3),
                    until: 5_000,
                    title: "Two llama answers".into(),
                    description: "A small bundle of chat transcripts.".into(),
                }),
            ),
        ),
        (
            identity(1),
            tx(
                &user,
                4,
                1_500,
                TxKind::CancelListing(CancelListing { listing }),
            ),
        ),
        (
            identity(4),
            tx(
                &buyer,
                0,
                1_500,
                TxKind::Buy(Buy {
                    listing,
                    reply_key: ReplyPublicKey([0x44; 32]),
                }),
            ),
        ),
        (
            identity(1),
            tx(
                &user,
                5,
                2_500,
                TxKind::Deliver(Deliver {
                    purchase,
                    sealed_keys: vec![sealed(0x80, 48), sealed(0x81, 48)],
                }),
            ),
        ),
        (
            identity(1),
            tx(&user, 6, 1_500, TxKind::RateJob(RateJob { job, score: 5 })),
        ),
        (
            identity(4),
            tx(
                &buyer,
                1,
                2_000,
                TxKind::Complain(Complain {
                    purchase,
                    record_index: 1,
                    reason: ComplaintReason::CommitmentMismatch,
                    detail: "decrypted pair does not match the miner's commitment".into(),
                }),
            ),
        ),
    ]
}

fn vectors() -> Value {
    let list: Vec<Value> = transactions()
        .into_iter()
        .map(|(signer, tx)| {
            let signing_bytes = tx.signing_bytes(CHAIN_ID);
            let kind = tx.kind.name();
            let stx = tx.sign(&signer, CHAIN_ID);
            json!({
                "kind": kind,
                "json": serde_json::to_value(&stx).unwrap(),
                "encoded": hex::encode(stx.encode()),
                "signing_bytes": hex::encode(signing_bytes),
                "public_key": hex::encode(stx.tx.sender.0),
                "signature": hex::encode(stx.signature.0),
                "txid": stx.txid().to_string(),
            })
        })
        .collect();
    Value::Array(list)
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs/vectors/transactions.json")
}

#[test]
fn transaction_vectors_match_committed_file() {
    let generated = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    let path = vectors_path();
    if std::env::var_os("INFERNET_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with INFERNET_WRITE_VECTORS=1 to create it",
            path.display()
        )
    });
    assert!(
        committed == generated,
        "{} differs from what the code produces; if the format change is intended, rerun with \
         INFERNET_WRITE_VECTORS=1 and commit the file",
        path.display()
    );
}

#[test]
fn every_kind_has_a_vector() {
    let kinds: std::collections::BTreeSet<&str> = transactions()
        .iter()
        .map(|(_, tx)| tx.kind.name())
        .collect();
    assert_eq!(kinds.len(), TxKind::NAMES.len());
}

/// Checks the committed vectors the way an independent implementation would: from the hex.
#[test]
fn committed_vectors_are_self_consistent() {
    // While rewriting, check what is being written (the file may be mid-write).
    let text = if std::env::var_os("INFERNET_WRITE_VECTORS").is_some() {
        serde_json::to_string_pretty(&vectors()).unwrap()
    } else {
        std::fs::read_to_string(vectors_path()).unwrap()
    };
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(list.len() >= TxKind::NAMES.len());
    let limits = ChainSpec::dev().decode_limits();
    for v in &list {
        let encoded = hex::decode(v["encoded"].as_str().unwrap()).unwrap();
        let stx: SignedTransaction = decode_exact(&encoded, &limits).unwrap();
        assert_eq!(stx.encode(), encoded);
        assert_eq!(stx.tx.kind.name(), v["kind"].as_str().unwrap());
        let from_json: SignedTransaction = serde_json::from_value(v["json"].clone()).unwrap();
        assert_eq!(from_json, stx);
        let signing = hex::decode(v["signing_bytes"].as_str().unwrap()).unwrap();
        assert_eq!(signing, stx.tx.signing_bytes(CHAIN_ID));
        // The signing bytes end with the unsigned encoding, which the signed one starts with.
        let unsigned = &encoded[..encoded.len() - 64];
        assert!(signing.ends_with(unsigned));
        assert_eq!(
            hex::decode(v["public_key"].as_str().unwrap()).unwrap(),
            stx.tx.sender.0
        );
        let pk = Address(
            hex::decode(v["public_key"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let sig = infernet_crypto::Signature(
            hex::decode(v["signature"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        );
        infernet_crypto::sign::verify_signed_bytes(&pk, &signing, &sig).unwrap();
        stx.verify(CHAIN_ID).unwrap();
        let txid = infernet_crypto::hash::hash(infernet_crypto::domain::TX_ID, &encoded);
        assert_eq!(txid.to_string(), v["txid"].as_str().unwrap());
        assert!(
            encoded.len() as u64 * 10 <= stx.tx.fee.0,
            "vector fees pay 10/byte"
        );
    }
}

#[test]
fn post_result_receipts_in_vectors_verify() {
    for (_, tx) in transactions() {
        if let TxKind::PostResult(PostResult {
            receipt,
            receipt_signature,
            ..
        }) = &tx.kind
        {
            receipt.verify(CHAIN_ID, receipt_signature).unwrap();
            assert_eq!(receipt.miner, tx.sender);
        }
    }
}

/// The worked example in `specs/encoding.md` quotes the first vector; keep them in sync.
#[test]
fn encoding_spec_example_matches_first_vector() {
    let spec = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs/encoding.md"),
    )
    .unwrap();
    let first = &vectors()[0];
    let txid = first["txid"].as_str().unwrap();
    assert!(
        spec.contains(txid),
        "specs/encoding.md's worked example must quote txid {txid}"
    );
    let encoded = first["encoded"].as_str().unwrap();
    assert!(spec.contains(&encoded[..64]) && spec.contains(&encoded[encoded.len() - 64..]));
}
