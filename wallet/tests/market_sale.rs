#![allow(clippy::unwrap_used, missing_docs)]
//! The market's wallet side end to end without a node: a seller with three records minted
//! with real crypto lists them as one bundle, delivers to a buyer, the buyer verifies
//! provenance; a wrong delivered key is caught, the buyer's `Complain` transaction names the
//! record and the reason, and the seller's history shows the chain's count; the split pays
//! price, royalties and seller exactly.

use infernet_crypto::{Address, Hash, Identity, RecordKey, Seed, record, seal};
use infernet_rpc::views::{
    JobStatus, JobView, ListingStatus, ListingView, RecordView, SamplingView, SealedBoxView,
    SellerStatsView,
};
use infernet_rpc::{self as rpc, Bytes, H256, U64String};
use infernet_types::{
    Amount, ChainSpec, ComplaintReason, Encode, RecordPlaintext, TxKind, sealing,
};
use infernet_types::{Complain, Deliver, ListRecords};
use infernet_wallet::market::complaint;
use infernet_wallet::market::provenance::{Check, verify_record};
use infernet_wallet::market::split::{LineageLink, RecordPayees, sale_split};
use infernet_wallet::market::{delivery, listing};

const CHAIN: u64 = 1337;
const PROMPTS: [&str; 3] = ["first prompt", "second prompt", "third prompt"];

fn sampling() -> SamplingView {
    SamplingView {
        temperature_milli: 0,
        top_p_milli: 1000,
        top_k: 0,
        seed: U64String(0),
    }
}

/// A record as a miner mints it for `user` (key sealed to the user), and its job.
fn mint(user: &Identity, i: u8) -> (RecordView, JobView) {
    let id = Hash([i + 1; 32]);
    let key = RecordKey::generate();
    let pair = RecordPlaintext {
        salt: [i; 32],
        prompt: PROMPTS[i as usize].as_bytes().to_vec(),
        answer: format!("answer {i}").into_bytes(),
    };
    let payload = record::encrypt(
        &key,
        &sealing::record_payload_aad(CHAIN, &id),
        &pair.encode(),
    );
    let sealed = seal::seal(
        &user.reply_secret().public_key(),
        &sealing::record_key_info(CHAIN),
        &sealing::record_key_aad(&id, &user.address()),
        key.as_bytes(),
    )
    .unwrap();
    let rec = RecordView {
        id: H256(id.0),
        owner: rpc::Address(user.address().0),
        miner: rpc::Address([0xaa; 32]),
        model: H256([0xbb; 32]),
        sealed_key: SealedBoxView {
            enc: H256(sealed.enc),
            ciphertext: Bytes(sealed.ciphertext),
        },
        payload: Bytes(payload),
        commitment: H256(pair.commitment().0),
        input_tokens: 3,
        output_tokens: 2,
        sampling: sampling(),
        user: rpc::Address(user.address().0),
        request_hash: H256([0; 32]),
        minted_at: 10 + u64::from(i),
        listing: None,
    };
    let job = JobView {
        id: rec.id,
        user: rec.user,
        miner: rec.miner,
        model: rec.model,
        status: JobStatus::Completed,
        submitted_at: 9,
        expiry: 40,
        max_input_tokens: 512,
        max_output_tokens: 32,
        price_in: rpc::Amount(1),
        price_out: rpc::Amount(1),
        escrow: rpc::Amount(544),
        sampling: sampling(),
        require_attestation: false,
        settled_at: Some(rec.minted_at),
        record: Some(rec.id),
        rating: None,
    };
    (rec, job)
}

/// What the chain does at `Deliver`: the record's owner and sealed key change.
fn apply_delivery(recs: &mut [RecordView], buyer: &Identity, kind: &TxKind) {
    let TxKind::Deliver(Deliver { sealed_keys, .. }) = kind else {
        panic!("not a Deliver")
    };
    assert_eq!(sealed_keys.len(), recs.len());
    for (r, k) in recs.iter_mut().zip(sealed_keys) {
        r.owner = rpc::Address(buyer.address().0);
        r.sealed_key = SealedBoxView {
            enc: H256(k.enc),
            ciphertext: Bytes(k.ciphertext.clone()),
        };
    }
}

#[test]
fn a_bundle_of_three_is_listed_delivered_and_verified() {
    let alice = Identity::from_seed(&Seed::from_bytes([1; 32]));
    let bob = Identity::from_seed(&Seed::from_bytes([2; 32]));
    let minted: Vec<_> = (0..3).map(|i| mint(&alice, i)).collect();
    let mut recs: Vec<RecordView> = minted.iter().map(|m| m.0.clone()).collect();
    let jobs: Vec<JobView> = minted.iter().map(|m| m.1.clone()).collect();
    let ids: Vec<Hash> = recs.iter().map(|r| Hash(r.id.0)).collect();

    // Only Alice can list them; Bob cannot.
    let fetched: Vec<_> = recs.iter().cloned().map(Some).collect();
    listing::check_listable(&alice.address(), &ids, &fetched, &[]).unwrap();
    assert!(listing::check_listable(&bob.address(), &ids, &fetched, &[]).is_err());
    let spec = ChainSpec::dev();
    let terms = listing::ListingTerms {
        records: ids.clone(),
        price: Amount(3_000_000_001),
        until: 100,
        title: "three prompts".into(),
        description: String::new(),
    };
    assert!(matches!(
        listing::list_kind(&terms, &spec.limits, 5).unwrap(),
        TxKind::ListRecords(ListRecords { ref records, .. }) if records == &ids
    ));
    // While the listing is live, the records cannot be listed again.
    let live = ListingView {
        id: H256([9; 32]),
        seller: rpc::Address(alice.address().0),
        records: recs.iter().map(|r| r.id).collect(),
        price: rpc::Amount(terms.price.0),
        until: 100,
        title: terms.title.clone(),
        description: String::new(),
        created_at: 6,
        status: ListingStatus::Purchased,
        purchase: Some(H256([8; 32])),
    };
    assert!(
        listing::check_listable(
            &alice.address(),
            &ids,
            &fetched,
            std::slice::from_ref(&live)
        )
        .is_err()
    );
    let summary = listing::summarize(&recs);
    assert_eq!(
        (summary.records, summary.input_tokens, summary.output_tokens),
        (3, 9, 6)
    );

    // Alice delivers to Bob's reply key; Bob verifies every record and reads the pairs.
    let kind = delivery::delivery(
        &alice.reply_secret(),
        CHAIN,
        "alice",
        &recs,
        &bob.address(),
        &bob.reply_secret().public_key(),
        Hash([8; 32]),
    )
    .unwrap();
    apply_delivery(&mut recs, &bob, &kind);
    for (i, (r, j)) in recs.iter().zip(&jobs).enumerate() {
        let (v, pair) = verify_record(&bob.reply_secret(), CHAIN, "bob", r, Some(j));
        assert!(v.verified, "{v:?}");
        let pair = pair.unwrap();
        assert_eq!(pair.prompt, PROMPTS[i].as_bytes());
        assert_eq!(pair.answer, format!("answer {i}").into_bytes());
        // Alice's key no longer opens a record she sold.
        let (v, _) = verify_record(&alice.reply_secret(), CHAIN, "alice", r, Some(j));
        assert_eq!(v.failed_check, Some(Check::Key));
    }

    // The split: 5% to the miner, 5% to the model owner, the rest to Alice, exactly.
    let owner = Address([0xcc; 32]);
    let payees = vec![
        RecordPayees {
            miner: Address([0xaa; 32]),
            lineage: vec![LineageLink {
                owner,
                parent_share_bps: 0,
            }],
        };
        3
    ];
    let s = sale_split(terms.price, alice.address(), &payees, spec.sale_royalties).unwrap();
    // 3_000_000_001 / 3 = 1_000_000_000 (record 0: +1); 5% of each share.
    assert_eq!(s.total_for(&Address([0xaa; 32])), 150_000_000);
    assert_eq!(s.total_for(&owner), 150_000_000);
    assert_eq!(s.total_for(&alice.address()), 3_000_000_001 - 300_000_000);
    assert_eq!(s.total(), u128::from(terms.price.0));
}

#[test]
fn a_wrong_key_is_caught_and_the_complaint_shows_in_the_sellers_history() {
    let alice = Identity::from_seed(&Seed::from_bytes([1; 32]));
    let bob = Identity::from_seed(&Seed::from_bytes([2; 32]));
    let (rec, job) = mint(&alice, 0);
    let mut recs = vec![rec];
    // A dishonest seller seals a random key, well-formed, to Bob.
    let wrong = delivery::seal_keys(
        CHAIN,
        &bob.address(),
        &bob.reply_secret().public_key(),
        &[Hash(recs[0].id.0)],
        &[RecordKey::generate()],
    )
    .unwrap();
    apply_delivery(
        &mut recs,
        &bob,
        &delivery::deliver_kind(Hash([8; 32]), wrong),
    );
    let (v, pair) = verify_record(&bob.reply_secret(), CHAIN, "bob", &recs[0], Some(&job));
    assert!(!v.verified);
    assert_eq!(v.failed_check, Some(Check::Payload));
    assert!(pair.is_none());

    // Bob's complaint is the chain's `Complain` about record #0 of his purchase.
    let check = v.failed_check.unwrap();
    let kind = complaint::complain_kind(
        Hash([8; 32]),
        0,
        complaint::reason_for(check),
        &v.reason.unwrap(),
        ChainSpec::dev().limits.max_string_bytes as usize,
    );
    let TxKind::Complain(Complain {
        purchase,
        record_index,
        reason,
        detail,
    }) = &kind
    else {
        panic!("not a Complain: {kind:?}")
    };
    assert_eq!(
        (*purchase, *record_index, *reason),
        (Hash([8; 32]), 0, ComplaintReason::KeyDoesNotOpen)
    );
    assert!(!detail.is_empty());
    // Once mined, the chain counts it in Alice's stats; her history shows it.
    let stats = SellerStatsView {
        address: rpc::Address(alice.address().0),
        listings: 1,
        sales: 1,
        refunded: 0,
        cancelled: 0,
        complaints: 1,
    };
    let h = listing::history(&stats, &[]);
    assert_eq!((h.delivered, h.complaints, h.awaiting_delivery), (1, 1, 0));
}
