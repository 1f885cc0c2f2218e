#![allow(clippy::unwrap_used, missing_docs)]
//! Property: after importing a main chain and reorging to a random branch, the store holds
//! exactly the state of that branch applied from genesis (compared with the consensus
//! crate's in-memory model and with a second store that imported the branch directly), also
//! after a reopen; and reorging back restores the main chain's state.

mod common;

use common::{Chain, extend, init, reopen};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn reorg_equals_branch_applied_from_genesis(
        main_len in 1usize..6,
        fork_back in 0usize..6,
        extra in 1usize..4,
        main_txs in 0usize..4,
        branch_txs in 0usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::new();
        let mut store = init(dir.path(), &chain);
        let main = extend(&mut chain, &store, main_len, main_txs, 0);
        let main_tip = *main.last().unwrap();
        let fork_back = fork_back.min(main_len);
        let fork_point = if fork_back == main_len { chain.genesis } else { main[main_len - 1 - fork_back] };
        let mut branch = Vec::new();
        let mut parent = fork_point;
        for _ in 0..fork_back + extra {
            let (block, _) = chain.child_with_transfers(&parent, branch_txs, 4);
            store.store_side_block(&block).unwrap();
            parent = block.hash();
            branch.push(parent);
        }
        let out = store.reorg_to(&parent, chain.connect(&store)).unwrap();
        prop_assert_eq!(out.disconnected.len(), fork_back);
        prop_assert_eq!(out.connected.len(), fork_back + extra);
        store = reopen(store).unwrap();
        prop_assert_eq!(store.tip().hash, parent);
        chain.assert_state(&store, &parent);

        // A second store importing the path genesis → branch tip directly.
        let dir2 = tempfile::tempdir().unwrap();
        let direct = init(dir2.path(), &chain);
        let mut path = Vec::new();
        let mut cursor = parent;
        while cursor != chain.genesis {
            path.push(cursor);
            cursor = chain.headers[&cursor].prev_hash;
        }
        for h in path.iter().rev() {
            let block = chain.blocks[h].clone();
            let delta = {
                let mut connect = chain.connect(&direct);
                connect(&direct, &block).unwrap()
            };
            direct.import_block(&block, &delta).unwrap();
        }
        prop_assert_eq!(direct.state_entries().unwrap(), store.state_entries().unwrap());
        prop_assert_eq!(direct.accumulator().unwrap(), store.accumulator().unwrap());
        prop_assert_eq!(direct.tip(), store.tip());

        // And back.
        store.reorg_to(&main_tip, chain.connect(&store)).unwrap();
        store = reopen(store).unwrap();
        chain.assert_state(&store, &main_tip);
    }
}
