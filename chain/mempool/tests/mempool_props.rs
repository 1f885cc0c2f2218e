#![allow(clippy::unwrap_used, missing_docs)]
//! Property: with signed transfers arriving in random order (gaps, duplicates, replacements,
//! low fees), whatever the mempool selects is a block the consensus crate's `build_block`
//! accepts in full, and connecting it leaves none of its transactions pending.

use infernet_consensus::{BlockContext, MemoryState, build_block};
use infernet_crypto::Address;
use infernet_mempool::{Mempool, MempoolConfig};
use infernet_types::Transfer;
use infernet_types::{Amount, ChainSpec, SignedTransaction, Transaction, TxKind, dev_accounts};
use proptest::prelude::*;

fn tx(
    spec: &ChainSpec,
    from: usize,
    nonce: u64,
    fee_per_byte: u64,
    amount: u64,
) -> SignedTransaction {
    let accounts = dev_accounts();
    let mut tx = Transaction {
        sender: accounts[from].address,
        nonce,
        fee: Amount(0),
        kind: TxKind::Transfer(Transfer {
            to: accounts[(from + 1) % accounts.len()].address,
            amount: Amount(amount),
        }),
    };
    tx.fee = Amount(tx.signed_len() as u64 * fee_per_byte);
    tx.sign(&accounts[from].identity(), spec.chain_id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn selection_is_always_a_valid_block(
        ops in prop::collection::vec((0usize..4, 0u64..4, 5u64..40, 1u64..1_000, any::<bool>()), 1..40),
        max_count in 2usize..12,
        block_bytes in 200usize..3_000,
    ) {
        let spec = ChainSpec::dev();
        let (genesis, delta) = infernet_consensus::genesis_block(&spec).unwrap();
        let mut state = MemoryState::new();
        state.apply(&delta);
        let mut tip = genesis.header;
        let mut timestamps = vec![tip.timestamp];
        let config = MempoolConfig { max_count, ..MempoolConfig::default() };
        let mut pool = Mempool::new(spec.clone(), config, 0);
        let mut nonces = [0u64; 4];
        for (from, ahead, fee, amount, connect) in ops {
            // Nonces around the sender's next: some valid, some gaps, some replacements.
            let nonce = nonces[from] + ahead.saturating_sub(1);
            let t = tx(&spec, from, nonce, fee, amount);
            let _ = pool.insert(t, &state);
            pool.pool().check_invariants().map_err(TestCaseError::fail)?;
            prop_assert!(pool.len() <= max_count);
            if connect {
                let picked = pool.select(block_bytes, 10);
                let ctx = BlockContext::new(&spec, &tip, &timestamps, 4_000_000_000);
                let t = build_block(&state, &ctx, tip.timestamp + 2, Address([1; 32]), picked.clone()).unwrap();
                prop_assert!(t.rejected.is_empty(), "rejected {:?}", t.rejected);
                prop_assert_eq!(t.block.txs.len(), picked.len());
                state.apply(&t.delta);
                tip = t.block.header;
                timestamps.insert(0, tip.timestamp);
                for p in &picked {
                    let i = dev_accounts().iter().position(|a| a.address == p.tx.sender).unwrap();
                    nonces[i] = nonces[i].max(p.tx.nonce + 1);
                }
                pool.on_block_connected(&t.block, &state).unwrap();
                for p in &picked {
                    prop_assert!(!pool.contains(&p.txid()));
                }
                pool.pool().check_invariants().map_err(TestCaseError::fail)?;
            } else if ahead == 1 {
                nonces[from] = pool.next_nonce(&dev_accounts()[from].address, &state).unwrap();
            }
        }
    }
}
