//! `specs/vectors/blocks.json`: generated from the implementation, compared on every run.
//!
//! Run with `INFERNET_WRITE_VECTORS=1` to rewrite the file after an intended change; without
//! it, the test fails if the committed file differs from what the code produces.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use infernet_consensus::U256;
use infernet_types::{Block, ChainSpec, DecodeLimits, Encode, Header, decode_exact};
use serde_json::{Value, json};

fn entry(name: &str, block: &Block) -> Value {
    json!({
        "name": name,
        "json": serde_json::to_value(block).unwrap(),
        "header_encoded": hex::encode(block.header.encode()),
        "hash": block.hash().to_hex(),
        "pow_hash": block.header.pow_hash().to_hex(),
        "target": hex::encode(block.header.target.0),
    })
}

/// Genesis and three blocks of the built-in dev chain (with transfers between dev accounts),
/// each validated by `apply_block`, plus the testnet genesis.
fn generate() -> String {
    let ids = ids();
    let mut chain = Chain::new(ChainSpec::dev());
    let mut entries = vec![entry("dev genesis", &chain.blocks[0])];
    for i in 0..3u64 {
        let txs = (0..=i)
            .map(|k| {
                next_tx(
                    &chain,
                    &ids[k as usize],
                    transfer(&ids[(k as usize) + 1], 1_000 * (i + 1)),
                )
            })
            .collect();
        let t = chain.template(txs);
        assert!(t.rejected.is_empty());
        let mut block = t.block;
        assert!(infernet_consensus::mine(&mut block.header, 1_000));
        chain.push(block.clone()).unwrap();
        entries.push(entry(&format!("dev block {}", i + 1), &block));
    }
    let (testnet, _) = infernet_consensus::genesis_block(&ChainSpec::testnet()).unwrap();
    entries.push(entry("testnet genesis", &testnet));
    let mut s = serde_json::to_string_pretty(&Value::Array(entries)).unwrap();
    s.push('\n');
    s
}

fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/vectors/blocks.json")
}

#[test]
fn blocks_json_matches_the_implementation() {
    let generated = generate();
    if std::env::var("INFERNET_WRITE_VECTORS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path().parent().unwrap()).unwrap();
        std::fs::write(path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path()).unwrap();
    assert!(
        committed == generated,
        "specs/vectors/blocks.json differs from the implementation; if the change is intended, \
         regenerate with INFERNET_WRITE_VECTORS=1 cargo nextest run -p infernet-consensus --test vectors"
    );
}

#[test]
fn committed_vectors_decode_and_verify() {
    let committed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path()).unwrap()).unwrap();
    assert!(committed.len() >= 5);
    for v in committed {
        let block: Block = serde_json::from_value(v["json"].clone()).unwrap();
        let encoded = hex::decode(v["header_encoded"].as_str().unwrap()).unwrap();
        let header: Header = decode_exact(&encoded, &DecodeLimits::PROTOCOL_MAX).unwrap();
        assert_eq!(header, block.header);
        assert_eq!(header.hash().to_hex(), v["hash"].as_str().unwrap());
        assert_eq!(header.pow_hash().to_hex(), v["pow_hash"].as_str().unwrap());
        let target = U256::from_be_bytes(header.target.0);
        assert!(header.height == 0 || U256::from_be_bytes(header.pow_hash().0) <= target);
    }
}
