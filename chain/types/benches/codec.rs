#![allow(clippy::unwrap_used, missing_docs)]
//! Cost of the codec next to signature checking, on a block of 1,000 signed transfers:
//! decoding the block, computing its tx root (every txid), encoding it, and verifying every
//! signature. Import should be dominated by the last one.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use infernet_crypto::{Address, Hash, Identity, Seed};
use infernet_types::Transfer;
use infernet_types::{
    Amount, Block, ChainSpec, Coinbase, Encode, Header, Target, Transaction, TxKind, decode_exact,
};

const N: usize = 1_000;

fn block() -> Block {
    let ids: Vec<Identity> = (0..16u8)
        .map(|i| Identity::from_seed(&Seed::from_bytes([i; 32])))
        .collect();
    let txs = (0..N)
        .map(|i| {
            let id = &ids[i % ids.len()];
            Transaction {
                sender: id.address(),
                nonce: (i / ids.len()) as u64,
                fee: Amount(2_000),
                kind: TxKind::Transfer(Transfer {
                    to: Address([7; 32]),
                    amount: Amount(1),
                }),
            }
            .sign(id, ChainSpec::DEV_CHAIN_ID)
        })
        .collect();
    Block {
        header: Header {
            version: Header::VERSION,
            height: 1,
            prev_hash: Hash::ZERO,
            timestamp: 0,
            target: Target::MAX,
            nonce: 0,
            tx_root: Hash::ZERO,
            state_root: Hash::ZERO,
        },
        coinbase: Coinbase {
            height: 1,
            recipient: Address([1; 32]),
            amount: Amount(50),
        },
        txs,
    }
}

fn bench(c: &mut Criterion) {
    let block = block();
    let bytes = block.encode();
    let limits = ChainSpec::dev().decode_limits();
    let mut g = c.benchmark_group("block_1000_transfers");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("decode", |b| {
        b.iter(|| decode_exact::<Block>(&bytes, &limits).unwrap())
    });
    g.bench_function("encode", |b| b.iter(|| block.encode()));
    g.bench_function("tx_root", |b| b.iter(|| block.compute_tx_root()));
    g.bench_function("verify_signatures", |b| {
        b.iter(|| {
            for tx in &block.txs {
                tx.verify(ChainSpec::DEV_CHAIN_ID).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
