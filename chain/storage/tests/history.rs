#![allow(clippy::unwrap_used, missing_docs)]
//! The record history index: a record's market life (minted, listed, sold, complained,
//! cancelled, transferred) is indexed with each block, removed when the block is
//! disconnected or reorged away, and survives a reopen; complaint state entries are found by
//! prefix.

mod common;

use common::{Chain, init, reopen};
use infernet_crypto::{Hash, Identity};
use infernet_storage::{RecordEventKind, Store};
use infernet_types::{
    Amount, Attestation, ComplaintReason, DevAccount, Offer, Receipt, SamplingParams, SealedBox,
    SignedTransaction, StateKey, StateValue, Transaction, TxKind, request_hash,
};
use infernet_types::{
    Buy, CancelListing, Complain, Deliver, ListRecords, PostResult, RegisterMiner, RegisterModel,
    SubmitJob, TransferRecord,
};

fn sealed(n: u8) -> SealedBox {
    SealedBox {
        enc: [n; 32],
        ciphertext: vec![n; 48],
    }
}

fn sign(chain: &Chain, from: &DevAccount, nonce: u64, kind: TxKind) -> SignedTransaction {
    let mut tx = Transaction {
        sender: from.address,
        nonce,
        fee: Amount(0),
        kind,
    };
    tx.fee = Amount(tx.signed_len() as u64 * chain.spec.min_fee_per_byte.0);
    tx.sign(&from.identity(), chain.spec.chain_id)
}

/// Imports a block of `txs` on the store's tip; returns its hash.
fn import(chain: &mut Chain, store: &Store, txs: Vec<SignedTransaction>) -> Hash {
    let tip = store.tip().hash;
    let (block, delta) = chain.child(&tip, txs, 0);
    store.import_block(&block, &delta).unwrap();
    block.hash()
}

const MODEL: Hash = Hash([0x42; 32]);

/// Model owner 0, miner 1, user (seller) 2, buyer 3: a job of account 2 served by 1, whose
/// record is then minted. Returns the record id.
fn mint(chain: &mut Chain, store: &Store) -> Hash {
    let a = chain.accounts.clone();
    let model = sign(
        chain,
        &a[0],
        0,
        TxKind::RegisterModel(RegisterModel {
            id: MODEL,
            name: "m".into(),
            architecture: "llama".into(),
            context_length: 2048,
            royalty_bps: 100,
            parent: None,
        }),
    );
    import(chain, store, vec![model]);
    let miner_id: Identity = a[1].identity();
    let miner = sign(
        chain,
        &a[1],
        0,
        TxKind::RegisterMiner(RegisterMiner {
            serving_key: miner_id.reply_secret().public_key(),
            offers: vec![Offer {
                model: MODEL,
                price_in: Amount(1),
                price_out: Amount(1),
                max_output_tokens: 64,
            }],
            p2p_addr: "/ip4/127.0.0.1/tcp/1".into(),
            attestation: Attestation::None,
            bond: chain.spec.min_miner_bond,
        }),
    );
    import(chain, store, vec![miner]);
    let user = a[2].identity();
    let expiry = store.tip().height() + 10;
    let submit = sign(
        chain,
        &a[2],
        0,
        TxKind::SubmitJob(SubmitJob {
            miner: a[1].address,
            model: MODEL,
            sealed_prompt: sealed(1),
            reply_key: user.reply_secret().public_key(),
            max_input_tokens: 10,
            max_output_tokens: 10,
            price_in: Amount(1),
            price_out: Amount(1),
            sampling: SamplingParams::GREEDY,
            expiry,
            require_attestation: false,
        }),
    );
    let job = submit.txid();
    import(chain, store, vec![submit]);
    let receipt = Receipt {
        job,
        model: MODEL,
        miner: a[1].address,
        request_hash: request_hash(&sealed(1)),
        sampling: SamplingParams::GREEDY,
        input_tokens: 3,
        output_tokens: 4,
        commitment: Hash([9; 32]),
        user: a[2].address,
        user_reply_key: user.reply_secret().public_key(),
    };
    let receipt_signature = receipt.sign(&miner_id, chain.spec.chain_id);
    let post = sign(
        chain,
        &a[1],
        1,
        TxKind::PostResult(PostResult {
            job,
            input_tokens: 3,
            output_tokens: 4,
            payload: vec![5; 64],
            sealed_record_key: sealed(2),
            receipt,
            receipt_signature,
            attestation: None,
        }),
    );
    import(chain, store, vec![post]);
    job
}

fn list(chain: &Chain, store: &Store, nonce: u64, record: Hash) -> SignedTransaction {
    let a = &chain.accounts;
    sign(
        chain,
        &a[2],
        nonce,
        TxKind::ListRecords(ListRecords {
            records: vec![record],
            price: Amount(5_000),
            until: store.tip().height() + 10,
            title: "t".into(),
            description: String::new(),
        }),
    )
}

fn kinds(store: &Store, record: &Hash) -> Vec<RecordEventKind> {
    store
        .record_history(record, 100)
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn market_life_is_indexed_undone_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let mut store = init(dir.path(), &chain);
    let record = mint(&mut chain, &store);
    let minted_at = store.tip().height();
    let a = chain.accounts.clone();

    // Listed, cancelled, listed again, bought, delivered, complained about.
    let l1 = list(&chain, &store, 1, record);
    import(&mut chain, &store, vec![l1.clone()]);
    let cancel = sign(
        &chain,
        &a[2],
        2,
        TxKind::CancelListing(CancelListing { listing: l1.txid() }),
    );
    import(&mut chain, &store, vec![cancel]);
    let l2 = list(&chain, &store, 3, record);
    let listing = l2.txid();
    import(&mut chain, &store, vec![l2]);
    let buy = sign(
        &chain,
        &a[3],
        0,
        TxKind::Buy(Buy {
            listing,
            reply_key: a[3].identity().reply_secret().public_key(),
        }),
    );
    let purchase = buy.txid();
    import(&mut chain, &store, vec![buy]);
    let deliver = sign(
        &chain,
        &a[2],
        4,
        TxKind::Deliver(Deliver {
            purchase,
            sealed_keys: vec![sealed(7)],
        }),
    );
    let deliver_id = deliver.txid();
    let sold_block = import(&mut chain, &store, vec![deliver]);
    let complain = sign(
        &chain,
        &a[3],
        1,
        TxKind::Complain(Complain {
            purchase,
            record_index: 0,
            reason: ComplaintReason::KeyDoesNotOpen,
            detail: "sealed key does not open".into(),
        }),
    );
    let complain_id = complain.txid();
    import(&mut chain, &store, vec![complain]);
    // The new owner gives it away.
    let give = sign(
        &chain,
        &a[3],
        2,
        TxKind::TransferRecord(TransferRecord {
            record,
            to: a[4].address,
            sealed_key: sealed(8),
        }),
    );
    import(&mut chain, &store, vec![give]);

    use RecordEventKind::*;
    let all = [
        Minted,
        Listed,
        ListingCancelled,
        Listed,
        Sold,
        Complained,
        Transferred,
    ];
    assert_eq!(kinds(&store, &record), all);
    let events = store.record_history(&record, 100).unwrap();
    assert_eq!(events[0].height, minted_at);
    assert_eq!(
        (events[0].from, events[0].to),
        (Some(a[1].address), Some(a[2].address))
    );
    let sold = &events[4];
    assert_eq!(sold.txid, deliver_id);
    assert_eq!(
        (sold.from, sold.to, sold.price),
        (Some(a[2].address), Some(a[3].address), Some(Amount(5_000)))
    );
    assert_eq!(
        (sold.listing, sold.purchase),
        (Some(listing), Some(purchase))
    );
    let complained = &events[5];
    assert_eq!(complained.txid, complain_id);
    assert_eq!(
        (complained.from, complained.to),
        (Some(a[3].address), Some(a[2].address))
    );
    assert_eq!(
        (events[6].from, events[6].to),
        (Some(a[3].address), Some(a[4].address))
    );
    // Oldest first and capped.
    assert!(events.windows(2).all(|w| w[0].height < w[1].height));
    assert_eq!(store.record_history(&record, 2).unwrap(), events[..2]);
    assert!(
        store
            .record_history(&Hash([0xee; 32]), 10)
            .unwrap()
            .is_empty()
    );

    // Complaint entries are found by key prefix (tag 11 ‖ purchase).
    let mut prefix = vec![StateKey::Complaint(purchase, 0).tag()];
    prefix.extend_from_slice(&purchase.0);
    let found = store.state_with_prefix(&prefix, 10).unwrap();
    assert_eq!(found.len(), 1);
    assert!(matches!(&found[0].1, StateValue::Complaint(c) if c.record == record));
    assert!(
        store
            .state_with_prefix(&[StateKey::Complaint(purchase, 0).tag(), 0xee], 10)
            .unwrap()
            .is_empty()
    );

    // Reopen keeps it.
    store = reopen(store).unwrap();
    assert_eq!(kinds(&store, &record), all);

    // Disconnecting blocks removes their events.
    store.disconnect_tip().unwrap();
    store.disconnect_tip().unwrap();
    assert_eq!(kinds(&store, &record), all[..5]);
    store = reopen(store).unwrap();
    assert_eq!(kinds(&store, &record), all[..5]);

    // A reorg that replaces the sale block with an empty one drops the sale.
    let fork = chain.headers[&sold_block].prev_hash;
    let mut parent = fork;
    for salt in [5u8, 6] {
        let (block, _) = chain.child(&parent, vec![], salt);
        store.store_side_block(&block).unwrap();
        parent = block.hash();
    }
    store.reorg_to(&parent, chain.connect(&store)).unwrap();
    assert_eq!(kinds(&store, &record), all[..4]);
    chain.assert_state(&store, &parent);
    store = reopen(store).unwrap();
    assert_eq!(kinds(&store, &record), all[..4]);

    // And back: the sale block's events come back with it.
    store.reorg_to(&sold_block, chain.connect(&store)).unwrap();
    assert_eq!(kinds(&store, &record), all[..5]);
    let store = reopen(store).unwrap();
    assert_eq!(kinds(&store, &record), all[..5]);
}
