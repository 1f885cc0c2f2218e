//! Throughput of `apply_block` (stateless checks with signature verification, the state
//! transition and the state root) for blocks of 1,000 and 10,000 signed transfers over a
//! `MemoryState`, printed beside the single-thread ed25519 verify rate measured in the same
//! run. Storage's bench adds the rocksdb commit on top of this.
//!
//! Run: `cargo bench -p infernet-consensus --bench apply` (or `--profile dev` for a quick look).
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]

use std::time::Instant;

use infernet_consensus::{BlockContext, MemoryState, apply_block, build_block, genesis_block};
use infernet_crypto::{Address, Identity, Seed};
use infernet_types::Transfer;
use infernet_types::spec::Allocation;
use infernet_types::{Amount, ChainSpec, SignedTransaction, Transaction, TxKind};

const SENDERS: usize = 100;

fn run(n: usize) {
    let senders: Vec<Identity> = (0..SENDERS)
        .map(|i| Identity::from_seed(&Seed::from_bytes([i as u8 + 1; 32])))
        .collect();
    let mut spec = ChainSpec::dev();
    spec.genesis.allocations = senders
        .iter()
        .map(|s| Allocation {
            address: s.address(),
            amount: Amount(1_000_000_000_000),
        })
        .collect();
    spec.limits.max_block_bytes = 32 * 1024 * 1024;
    let (genesis, delta) = genesis_block(&spec).unwrap();
    let mut state = MemoryState::new();
    state.apply(&delta);
    let txs: Vec<SignedTransaction> = (0..n)
        .map(|i| {
            let s = &senders[i % SENDERS];
            let mut to = [0u8; 32];
            to[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let tx = Transaction {
                sender: s.address(),
                nonce: (i / SENDERS) as u64,
                fee: Amount(10_000),
                kind: TxKind::Transfer(Transfer {
                    to: Address::from_bytes(to),
                    amount: Amount(1_000),
                }),
            };
            tx.sign(s, spec.chain_id)
        })
        .collect();
    let ctx = BlockContext::new(
        &spec,
        &genesis.header,
        &[genesis.header.timestamp],
        genesis.header.timestamp + 10,
    );
    let start = Instant::now();
    let template = build_block(
        &state,
        &ctx,
        genesis.header.timestamp + 2,
        senders[0].address(),
        txs.clone(),
    )
    .unwrap();
    let build_secs = start.elapsed().as_secs_f64();
    assert_eq!(
        template.block.txs.len(),
        n,
        "{:?}",
        template.rejected.first()
    );

    // Single-thread ed25519 verification of the same transactions.
    let start = Instant::now();
    for tx in &txs {
        tx.verify(spec.chain_id).unwrap();
    }
    let verify_rate = n as f64 / start.elapsed().as_secs_f64();

    // apply_block: best of 3.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let d = apply_block(&state, &template.block, &ctx).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(d.state_root, template.block.header.state_root);
    }
    let apply_rate = n as f64 / best;
    println!(
        "block of {n:>6} transfers: apply_block {apply_rate:>9.0} tx/s ({:.1} ms; build_block {:.1} ms), ed25519 single verify {verify_rate:>9.0} /s, ratio {:.2} ({} threads available)",
        best * 1e3,
        build_secs * 1e3,
        apply_rate / verify_rate,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    );
}

fn main() {
    run(1_000);
    run(10_000);
}
