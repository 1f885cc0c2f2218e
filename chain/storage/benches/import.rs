#![allow(clippy::unwrap_used, missing_docs)]
//! Block import into a real rocksdb on disk — verify + apply + commit — in transactions per
//! second, beside the ed25519 single-verify rate measured in the same run; and a reorg of
//! depth 100.
//!
//! Run: `cargo bench -p infernet-storage --bench import` (a plain binary, no criterion: each
//! figure is one long measurement, printed with what it covers).

use std::time::{Duration, Instant};

use infernet_consensus::{BlockContext, MemoryState, StateView, apply_block, build_block, mine};
use infernet_crypto::{Address, Identity, Seed};
use infernet_storage::Store;
use infernet_types::Transfer;
use infernet_types::{
    Allocation, Amount, Block, ChainSpec, Header, SignedTransaction, StateKey, StateValue,
    Transaction, TxKind,
};

const NOW: u64 = 4_000_000_000;

struct Bench {
    spec: ChainSpec,
    ids: Vec<Identity>,
    /// Model state at the tip, to build blocks ahead of the store.
    state: MemoryState,
    tip: Header,
    timestamps: Vec<u64>,
}

fn nonce_of<V: StateView + ?Sized>(view: &V, a: &Address) -> u64 {
    match view.get(&StateKey::Account(*a)).unwrap() {
        Some(StateValue::Account(acc)) => acc.nonce,
        _ => 0,
    }
}

impl Bench {
    fn transfers(
        &self,
        state: &MemoryState,
        senders: std::ops::Range<usize>,
    ) -> Vec<SignedTransaction> {
        senders
            .map(|i| {
                let id = &self.ids[i];
                let mut tx = Transaction {
                    sender: id.address(),
                    nonce: nonce_of(state, &id.address()),
                    fee: Amount(0),
                    kind: TxKind::Transfer(Transfer {
                        to: self.ids[(i + 1) % self.ids.len()].address(),
                        amount: Amount(1_000),
                    }),
                };
                tx.fee = Amount(tx.signed_len() as u64 * self.spec.min_fee_per_byte.0);
                tx.sign(id, self.spec.chain_id)
            })
            .collect()
    }

    /// Builds a child of (`tip`, `state`) and advances them.
    fn build(
        spec: &ChainSpec,
        state: &mut MemoryState,
        tip: &mut Header,
        timestamps: &mut Vec<u64>,
        txs: Vec<SignedTransaction>,
        salt: u8,
    ) -> Block {
        let ctx = BlockContext::new(spec, tip, timestamps, NOW);
        let n = txs.len();
        let t = build_block(&*state, &ctx, tip.timestamp + 2, Address([salt; 32]), txs).unwrap();
        assert!(t.rejected.is_empty(), "{:?}", t.rejected.first());
        assert_eq!(t.block.txs.len(), n);
        let mut block = t.block;
        assert!(mine(&mut block.header, 10_000_000));
        state.apply(&t.delta);
        *tip = block.header;
        timestamps.insert(0, tip.timestamp);
        timestamps.truncate(11);
        block
    }
}

/// Verify + apply against the store + commit; returns (apply incl. verify, commit).
fn import(store: &Store, spec: &ChainSpec, block: &Block) -> (Duration, Duration) {
    let t0 = Instant::now();
    let parent = store.tip();
    let ts = store.recent_timestamps(&parent.hash, 11).unwrap();
    let ctx = BlockContext::new(spec, &parent.header, &ts, NOW);
    let delta = apply_block(store, block, &ctx).unwrap();
    let t1 = Instant::now();
    store.import_block(block, &delta).unwrap();
    (t1 - t0, t1.elapsed())
}

fn main() {
    let blocks_1k = 3usize;
    let blocks_10k = 2usize;
    let accounts = blocks_1k * 1_000 + blocks_10k * 10_000;
    let ids: Vec<Identity> = (0..accounts)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            Identity::from_seed(&Seed::from_bytes(seed))
        })
        .collect();
    let mut spec = ChainSpec::dev();
    spec.genesis.allocations = ids
        .iter()
        .map(|id| Allocation {
            address: id.address(),
            amount: Amount(1_000_000_000_000),
        })
        .collect();
    let (genesis, gdelta) = infernet_consensus::genesis_block(&spec).unwrap();
    let mut state = MemoryState::new();
    state.apply(&gdelta);
    let mut b = Bench {
        spec,
        ids,
        state,
        tip: genesis.header,
        timestamps: vec![genesis.header.timestamp],
    };

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = Store::open_or_init(dir.path(), &b.spec).unwrap();

    // ed25519 single verification, one thread, over the transactions we are about to import.
    let mut blocks = Vec::new();
    let mut start = 0;
    for size in std::iter::repeat_n(1_000, blocks_1k).chain(std::iter::repeat_n(10_000, blocks_10k))
    {
        let txs = b.transfers(&b.state, start..start + size);
        start += size;
        let block = Bench::build(&b.spec, &mut b.state, &mut b.tip, &mut b.timestamps, txs, 1);
        blocks.push(block);
    }
    let sample: Vec<&SignedTransaction> = blocks
        .iter()
        .flat_map(|bl| bl.txs.iter())
        .take(5_000)
        .collect();
    let t = Instant::now();
    for tx in &sample {
        tx.verify(b.spec.chain_id).unwrap();
    }
    let verify_rate = sample.len() as f64 / t.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {threads} hardware threads");
    println!(
        "ed25519 single verify (1 thread, {} sigs): {:.0} verify/s",
        sample.len(),
        verify_rate
    );

    for size in [1_000usize, 10_000] {
        let (mut apply, mut commit, mut n) = (Duration::ZERO, Duration::ZERO, 0usize);
        for block in blocks.iter().filter(|bl| bl.txs.len() == size) {
            let (a, c) = import(&store, &b.spec, block);
            apply += a;
            commit += c;
            n += block.txs.len();
        }
        let total = apply + commit;
        let rate = n as f64 / total.as_secs_f64();
        println!(
            "import {size}-transfer blocks ({n} tx): {rate:.0} tx/s = {:.2}x verify rate \
             (verify+apply {:.1} ms, commit {:.1} ms per block)",
            rate / verify_rate,
            apply.as_secs_f64() * 1e3 * size as f64 / n as f64,
            commit.as_secs_f64() * 1e3 * size as f64 / n as f64,
        );
    }
    assert_eq!(store.tip().hash, b.tip.hash());

    // Reorg of depth 100: a main chain of 100 blocks and a branch of 101 from the same point,
    // 10 transfers per block.
    let fork_state = b.state.clone();
    let (fork_tip, fork_ts) = (b.tip, b.timestamps.clone());
    let (mut s, mut tip, mut ts) = (fork_state.clone(), fork_tip, fork_ts.clone());
    for i in 0..100 {
        let txs = b.transfers(&s, (i * 10)..(i * 10 + 10));
        let block = Bench::build(&b.spec, &mut s, &mut tip, &mut ts, txs, 2);
        import(&store, &b.spec, &block);
    }
    let (mut s, mut tip, mut ts) = (fork_state, fork_tip, fork_ts);
    let mut branch_tip = tip.hash();
    for i in 0..101 {
        let txs = b.transfers(&s, (5_000 + i * 10)..(5_000 + i * 10 + 10));
        let block = Bench::build(&b.spec, &mut s, &mut tip, &mut ts, txs, 3);
        store.store_side_block(&block).unwrap();
        branch_tip = block.hash();
    }
    let spec = &b.spec;
    let t = Instant::now();
    let out = store
        .reorg_to(&branch_tip, |view: &dyn StateView, block: &Block| {
            let parent = store.header(&block.header.prev_hash).unwrap().unwrap();
            let ts = store
                .recent_timestamps(&block.header.prev_hash, 11)
                .unwrap();
            apply_block(view, block, &BlockContext::new(spec, &parent, &ts, NOW))
        })
        .unwrap();
    let reorg = t.elapsed();
    assert_eq!(out.disconnected.len(), 100);
    assert_eq!(out.connected.len(), 101);
    println!(
        "reorg depth 100 (undo 100 blocks, verify+apply 101 blocks, 10 transfers each, one batch): {:.1} ms",
        reorg.as_secs_f64() * 1e3
    );
    let t = Instant::now();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    println!(
        "reopen with consistency check: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(store.tip().hash, branch_tip);
}
