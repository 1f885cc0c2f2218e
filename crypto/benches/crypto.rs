#![allow(clippy::unwrap_used, missing_docs)]
//! Throughput of the primitives the node and the miner use on hot paths.
//!
//! `cargo bench -p infernet-crypto --bench crypto`. The X25519 DH rate bounds the sealed-box
//! rate: a seal and its open cost three DH operations (encap: DH and the ephemeral public key;
//! decap: one DH).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signature as DalekSignature, VerifyingKey};
use infernet_crypto::hash::{self, merkle_root};
use infernet_crypto::seal;
use infernet_crypto::sign::{signing_bytes, verify_signed_bytes};
use infernet_crypto::{
    Address, Hash, Identity, ReplySecret, Seed, Signature, domain, verify_batch,
};
use std::hint::black_box;

fn bench_seal(c: &mut Criterion) {
    let sk = ReplySecret::from_bytes([7; 32]);
    let pk = sk.public_key();
    let mut g = c.benchmark_group("hpke");
    for size in [1024usize, 64 * 1024] {
        let pt = vec![0x5a; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("seal", size), &pt, |b, pt| {
            b.iter(|| seal::seal(&pk, b"info", b"aad", black_box(pt)).unwrap())
        });
        let sealed = seal::seal(&pk, b"info", b"aad", &pt).unwrap();
        g.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| {
            b.iter(|| seal::open(&sk, b"info", b"aad", black_box(s)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("seal+open", size), &pt, |b, pt| {
            b.iter(|| {
                let s = seal::seal(&pk, b"info", b"aad", black_box(pt)).unwrap();
                seal::open(&sk, b"info", b"aad", &s).unwrap()
            })
        });
    }
    g.finish();
}

fn bench_x25519(c: &mut Criterion) {
    let a = ReplySecret::from_bytes([1; 32]);
    let b_pk = ReplySecret::from_bytes([2; 32]).public_key();
    c.bench_function("x25519/dh", |b| {
        b.iter(|| a.diffie_hellman(black_box(&b_pk)))
    });
}

fn bench_ed25519(c: &mut Criterion) {
    let id = Identity::from_seed(&Seed::from_bytes([3; 32]));
    let msg = vec![0x42u8; 256];
    let mut g = c.benchmark_group("ed25519");
    g.bench_function("sign", |b| {
        b.iter(|| id.sign(domain::TX_SIGNATURE, 1, black_box(&msg)))
    });
    let signed = signing_bytes(domain::TX_SIGNATURE, 1, &msg);
    let sig = id.sign_raw(&signed);
    let addr = id.address();
    g.bench_function("verify_strict", |b| {
        b.iter(|| verify_signed_bytes(&addr, black_box(&signed), &sig).unwrap())
    });
    let items: Vec<(Address, Vec<u8>, Signature)> = (0u8..64)
        .map(|i| {
            let id = Identity::from_seed(&Seed::from_bytes([i; 32]));
            let m = signing_bytes(domain::TX_SIGNATURE, 1, &[i; 200]);
            (id.address(), m.clone(), id.sign_raw(&m))
        })
        .collect();
    g.throughput(Throughput::Elements(64));
    g.bench_function("verify_batch/64", |b| {
        b.iter(|| verify_batch(black_box(&items)).unwrap())
    });
    // For comparison only: ed25519-dalek's randomised batch equation, which the protocol does
    // not use (see specs/crypto.md, "Batch verification").
    let msgs: Vec<&[u8]> = items.iter().map(|i| i.1.as_slice()).collect();
    let sigs: Vec<DalekSignature> = items
        .iter()
        .map(|i| DalekSignature::from_bytes(&i.2.0))
        .collect();
    let keys: Vec<VerifyingKey> = items
        .iter()
        .map(|i| VerifyingKey::from_bytes(&i.0.0).unwrap())
        .collect();
    g.bench_function("dalek_verify_batch/64", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&msgs), &sigs, &keys).unwrap())
    });
    g.finish();
}

fn bench_blake3(c: &mut Criterion) {
    let data = vec![0x33u8; 1 << 20];
    let mut g = c.benchmark_group("blake3");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("hash/1MiB", |b| {
        b.iter(|| hash::hash(domain::RECORD_COMMITMENT, black_box(&data)))
    });
    g.finish();
    let leaves: Vec<Hash> = (0u32..10_000)
        .map(|i| hash::plain_hash(&i.to_le_bytes()))
        .collect();
    let mut g = c.benchmark_group("merkle");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("root/10000", |b| b.iter(|| merkle_root(black_box(&leaves))));
    g.finish();
}

criterion_group!(
    benches,
    bench_seal,
    bench_x25519,
    bench_ed25519,
    bench_blake3
);
criterion_main!(benches);
