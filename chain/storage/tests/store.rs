#![allow(clippy::unwrap_used, missing_docs)]
//! Storage on a real rocksdb in a temporary directory: import, reopen, queries, disconnect,
//! reorgs of several depths (with a reopen after each), side blocks, and rejected branches.

mod common;

use common::{Chain, extend, init, reopen};
use infernet_storage::StorageError;

#[test]
fn import_reopen_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    assert_eq!(store.tip().height(), 0);
    chain.assert_state(&store, &chain.genesis);
    let hashes = extend(&mut chain, &store, 4, 5, 0);
    let tip = *hashes.last().unwrap();
    assert_eq!(store.tip().hash, tip);
    assert_eq!(store.tip().height(), 4);

    let store = reopen(store).unwrap();
    assert_eq!(store.tip().hash, tip);
    assert_eq!(store.tip().height(), 4);
    chain.assert_state(&store, &tip);

    // Blocks by height and hash, headers, infos.
    for (i, h) in hashes.iter().enumerate() {
        let height = i as u64 + 1;
        assert_eq!(store.hash_at(height).unwrap(), Some(*h));
        assert_eq!(store.block_at(height).unwrap().unwrap(), chain.blocks[h]);
        let info = store.block_info(h).unwrap().unwrap();
        assert!(info.on_main_chain);
        assert_eq!(info.header.height, height);
    }
    assert_eq!(store.hash_at(5).unwrap(), None);
    let headers = store.main_headers(2, 10).unwrap();
    assert_eq!(
        headers.iter().map(|h| h.hash()).collect::<Vec<_>>(),
        hashes[1..].to_vec()
    );
    assert_eq!(store.main_headers(0, 2).unwrap()[0].hash(), chain.genesis);
    assert!(store.main_headers(5, 10).unwrap().is_empty());
    // Work grows along the chain.
    let w1 = store.block_info(&hashes[0]).unwrap().unwrap().work;
    assert!(store.tip().work > w1);

    // Every transaction is found at its position.
    for h in &hashes {
        let block = &chain.blocks[h];
        for (pos, tx) in block.txs.iter().enumerate() {
            let loc = store.transaction(&tx.txid()).unwrap().unwrap();
            assert_eq!(loc.block, *h);
            assert_eq!(loc.position as usize, pos);
            assert_eq!(loc.height, block.header.height);
            assert_eq!(&loc.tx, tx);
        }
    }
    assert!(
        store
            .transaction(&infernet_crypto::Hash([7; 32]))
            .unwrap()
            .is_none()
    );
    let ts = store.recent_timestamps(&tip, 11).unwrap();
    assert_eq!(ts, chain.timestamps(&tip));
}

#[test]
fn import_rejects_a_block_not_on_the_tip() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    let genesis = chain.genesis;
    let (a, da) = chain.child_with_transfers(&genesis, 1, 0);
    let (b, db) = chain.child_with_transfers(&genesis, 1, 1);
    store.import_block(&a, &da).unwrap();
    let err = store.import_block(&b, &db).unwrap_err();
    assert!(matches!(err, StorageError::NotOnTip { .. }), "{err}");
    assert_eq!(store.tip().hash, a.hash());
    chain.assert_state(&store, &a.hash());
    // A delta that is not the block's own is refused before anything is written.
    let (c, _) = chain.child_with_transfers(&a.hash(), 1, 0);
    let err = store.import_block(&c, &db).unwrap_err();
    assert!(matches!(err, StorageError::DeltaMismatch { .. }), "{err}");
    assert_eq!(store.tip().hash, a.hash());
    chain.assert_state(&store, &a.hash());
}

#[test]
fn store_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<infernet_storage::Store>();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = std::sync::Arc::new(init(dir.path(), &chain));
    let hashes = extend(&mut chain, &store, 2, 1, 0);
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || store.hash_at(2).unwrap())
    };
    assert_eq!(reader.join().unwrap(), Some(hashes[1]));
}

#[test]
fn disconnect_tip_restores_the_parent_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    let hashes = extend(&mut chain, &store, 3, 4, 0);
    let gone = store.disconnect_tip().unwrap();
    assert_eq!(gone.block.hash(), hashes[2]);
    assert_eq!(store.tip().hash, hashes[1]);
    for tx in &gone.block.txs {
        assert!(store.transaction(&tx.txid()).unwrap().is_none());
    }
    let store = reopen(store).unwrap();
    assert_eq!(store.tip().hash, hashes[1]);
    chain.assert_state(&store, &hashes[1]);
    // The disconnected block stays stored as a side block.
    let info = store.block_info(&hashes[2]).unwrap().unwrap();
    assert!(!info.on_main_chain);
    // Down to genesis, which can't go.
    store.disconnect_tip().unwrap();
    store.disconnect_tip().unwrap();
    chain.assert_state(&store, &chain.genesis);
    assert!(matches!(
        store.disconnect_tip(),
        Err(StorageError::DisconnectGenesis)
    ));
    let store = reopen(store).unwrap();
    assert_eq!(store.tip().hash, chain.genesis);
}

/// Main chain of 8 blocks; for each depth, a heavier branch forking `depth` blocks below the
/// tip is stored as side blocks and reorged to, then the store is reopened and compared with
/// the model; then it reorgs back.
#[test]
fn reorgs_of_several_depths_with_reopen() {
    for depth in [1usize, 2, 5, 8] {
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::new();
        let mut store = init(dir.path(), &chain);
        let main = extend(&mut chain, &store, 8, 3, 0);
        let old_tip = *main.last().unwrap();
        let fork_point = if depth == 8 {
            chain.genesis
        } else {
            main[7 - depth]
        };
        // The branch: depth + 1 blocks with different transactions.
        let mut branch = Vec::new();
        let mut parent = fork_point;
        for _ in 0..=depth {
            let (block, _) = chain.child_with_transfers(&parent, 2, 3);
            let info = store.store_side_block(&block).unwrap();
            assert!(!info.on_main_chain);
            parent = block.hash();
            branch.push(parent);
        }
        let new_tip = parent;
        let side_work = store.block_info(&new_tip).unwrap().unwrap().work;
        assert!(infernet_consensus::is_better_chain(
            store.tip().work,
            side_work
        ));

        let outcome = store.reorg_to(&new_tip, chain.connect(&store)).unwrap();
        assert_eq!(outcome.fork_point, fork_point);
        assert_eq!(outcome.disconnected.len(), depth);
        assert_eq!(outcome.disconnected[0].hash(), old_tip);
        assert_eq!(outcome.connected, branch);
        let readmit = outcome.disconnected_txs();
        assert_eq!(readmit.len(), depth * 3);
        assert_eq!(store.tip().hash, new_tip);
        assert_eq!(store.tip().work, side_work);

        store = reopen(store).unwrap();
        assert_eq!(store.tip().hash, new_tip);
        chain.assert_state(&store, &new_tip);
        for tx in &readmit {
            assert!(
                store.transaction(&tx.txid()).unwrap().is_none(),
                "depth {depth}"
            );
        }
        for h in &branch {
            for tx in &chain.blocks[h].txs {
                assert_eq!(store.transaction(&tx.txid()).unwrap().unwrap().block, *h);
            }
        }
        for h in &main[main.len() - depth..] {
            assert!(!store.block_info(h).unwrap().unwrap().on_main_chain);
        }

        // And back to the old chain (the store does what it is asked; fork choice is C's).
        let back = store.reorg_to(&old_tip, chain.connect(&store)).unwrap();
        assert_eq!(back.disconnected.len(), depth + 1);
        store = reopen(store).unwrap();
        assert_eq!(store.tip().hash, old_tip);
        chain.assert_state(&store, &old_tip);
        for h in &main {
            assert!(store.block_info(h).unwrap().unwrap().on_main_chain);
        }
        assert!(store.hash_at(9).unwrap().is_none());
    }
}

#[test]
fn rejected_branch_block_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    let main = extend(&mut chain, &store, 3, 2, 0);
    let mut parent = main[0];
    let mut branch = Vec::new();
    for _ in 0..3 {
        let (block, _) = chain.child_with_transfers(&parent, 2, 5);
        store.store_side_block(&block).unwrap();
        parent = block.hash();
        branch.push(parent);
    }
    let mut calls = 0;
    let err = {
        let mut inner = chain.connect(&store);
        store
            .reorg_to(&parent, |view, block| {
                calls += 1;
                if calls == 2 {
                    return Err(infernet_consensus::BlockError::RewardOverflow);
                }
                inner(view, block)
            })
            .unwrap_err()
    };
    match err {
        StorageError::InvalidBranchBlock { block, .. } => assert_eq!(block, branch[1]),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(store.tip().hash, main[2]);
    let store = reopen(store).unwrap();
    assert_eq!(store.tip().hash, main[2]);
    chain.assert_state(&store, &main[2]);
}

#[test]
fn side_block_needs_its_parent_and_reopen_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    let genesis = chain.genesis;
    let (a, _) = chain.child_with_transfers(&genesis, 1, 0);
    let (b, _) = chain.child_with_transfers(&a.hash(), 1, 0);
    let err = store.store_side_block(&b).unwrap_err();
    assert!(matches!(err, StorageError::UnknownParent { .. }), "{err}");
    store.store_side_block(&a).unwrap();
    let info = store.store_side_block(&b).unwrap();
    assert_eq!(info.header.height, 2);
    let store = reopen(store).unwrap();
    assert_eq!(store.block(&b.hash()).unwrap().unwrap(), b);
    assert_eq!(store.tip().hash, genesis);
    let out = store.reorg_to(&b.hash(), chain.connect(&store)).unwrap();
    assert!(out.disconnected.is_empty());
    assert_eq!(out.connected, vec![a.hash(), b.hash()]);
    chain.assert_state(&store, &b.hash());
}

#[test]
fn open_or_init_refuses_another_chain() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let store = init(dir.path(), &chain);
    drop(store);
    let mut other = chain.spec.clone();
    other.chain_id += 1;
    let err = infernet_storage::Store::open_or_init(dir.path(), &other).unwrap_err();
    assert!(matches!(err, StorageError::ChainMismatch { .. }), "{err}");
    let mut other = chain.spec.clone();
    other.genesis.timestamp += 1;
    let err = infernet_storage::Store::open_or_init(dir.path(), &other).unwrap_err();
    assert!(matches!(err, StorageError::GenesisMismatch { .. }), "{err}");
    let missing = dir.path().join("nothing-here");
    assert!(matches!(
        infernet_storage::Store::open(&missing),
        Err(StorageError::NotInitialised(_))
    ));
}

#[test]
fn pending_state_layers_uncommitted_blocks() {
    use infernet_consensus::{BlockContext, StateView, apply_block};
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    let genesis = chain.genesis;
    let (b1, d1) = chain.child_with_transfers(&genesis, 3, 0);
    let (b2, d2) = chain.child_with_transfers(&b1.hash(), 3, 0);
    let mut pending = store.pending();
    pending.apply_delta(&d1);
    // b2 applies against "store + b1" exactly as against the model's state after b1.
    let ctx = BlockContext::new(
        &chain.spec,
        &b1.header,
        &chain.timestamps(&b1.hash()),
        common::NOW,
    );
    assert_eq!(apply_block(&pending, &b2, &ctx).unwrap(), d2);
    assert_eq!(
        pending.accumulator().unwrap(),
        chain.states[&b1.hash()].accumulator().unwrap()
    );
    for (key, value) in chain.states[&b1.hash()].entries() {
        assert_eq!(pending.get(key).unwrap().as_ref(), Some(value));
    }
    // Nothing was written.
    assert_eq!(store.tip().hash, genesis);
    chain.assert_state(&store, &genesis);
}
