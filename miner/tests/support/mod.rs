//! Shared harness of the multi-process tests in which both sides are real binaries: the
//! `infernet-miner` daemon (a dev chain on loopback, data in a temp dir, killed on drop) and
//! the `infernet-wallet` CLI (its own wallet dir and password file).
//!
//! The daemons ([`Daemon`]), the JSON-RPC client that keeps every response for privacy scans
//! ([`Rpc`]), the wallet runner ([`Wallet`]) and signing ([`Rpc::send_kind`]) come from the
//! workspace's test kit (`infernet-testkit`) and are re-exported here. This module adds what
//! only the miner's tests need: the tiny test model, the miner key the test creates for the
//! daemon ([`miner_key`]), `infernet-miner infer` ([`infer`]), and the canary scan helpers
//! ([`needles`], [`count_hits`], [`rocksdb_dump`]).
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code, unused_imports, clippy::unwrap_used, missing_docs)]

pub mod scenario;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use infernet_crypto::{Hash, Identity, KdfParams};
use infernet_miner::daemon::{MinerKey, PasswordSource};
use infernet_types::{SignedTransaction, TxKind};
use serde_json::Value;

// The processes, the RPC client and the wallet runner are the workspace's one test kit.
pub use infernet_testkit::wallet::json_ok;
pub use infernet_testkit::{
    Daemon, DaemonSpec, Rpc, RpcFailure, Wallet, address, amount, free_port, h256, wait_for,
};

/// The miner binary of this package.
pub const MINER: &str = env!("CARGO_BIN_EXE_infernet-miner");

/// Sampling flags shared by the wallet's `prompt`/`chat` and `infernet-miner infer`.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    pub max_tokens: u32,
    pub temperature: &'static str,
    pub top_p: &'static str,
    pub top_k: u32,
    pub seed: u64,
}

impl Sampling {
    /// Flags as both binaries spell them.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--max-tokens".into(),
            self.max_tokens.to_string(),
            "--temperature".into(),
            self.temperature.into(),
            "--top-p".into(),
            self.top_p.into(),
            "--top-k".into(),
            self.top_k.to_string(),
            "--seed".into(),
            self.seed.to_string(),
        ]
    }
}

/// The `infernet-wallet` binary of the same target directory.
pub fn wallet_binary() -> PathBuf {
    infernet_testkit::bin::path(infernet_testkit::bin::WALLET)
}

/// The daemon most tests start: it serves the tiny model (written under `dir`) with a miner
/// key made here. Returns the spec, the miner's identity and the model id.
pub fn serving_tiny(dir: &Path) -> (DaemonSpec, Identity, Hash) {
    let (model, id) = tiny_model(dir);
    let (key, pw, miner) = miner_key(dir);
    let mut spec = DaemonSpec::new(dir);
    spec.models = vec![model];
    spec.key = Some((key, pw));
    (spec, miner, id)
}

/// Writes the tiny test model under `dir`; returns its path and model id.
pub fn tiny_model(dir: &Path) -> (PathBuf, Hash) {
    let path = dir.join("tiny.gguf");
    infernet_engine::gguf::tiny::write_tiny_llama(
        &path,
        &infernet_engine::gguf::tiny::TinyConfig::default(),
        7,
    )
    .unwrap();
    let id = model_id(&path);
    (path, id)
}

/// A model file's id: the blake3 hash of its bytes.
pub fn model_id(path: &Path) -> Hash {
    Hash(*blake3::hash(&std::fs::read(path).unwrap()).as_bytes())
}

/// Creates the daemon's miner key at `<dir>/miner-key.json` (password in `<dir>/miner.pw`),
/// so the test knows the identity the daemon will use.
pub fn miner_key(dir: &Path) -> (PathBuf, PathBuf, Identity) {
    let key = dir.join("miner-key.json");
    let pw = dir.join("miner.pw");
    std::fs::write(&pw, "miner password\n").unwrap();
    let k = MinerKey::load_or_create(
        &key,
        &PasswordSource::File(pw.clone()),
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    assert!(k.created);
    (key, pw, k.identity)
}

/// Signs `kind` from `who` at `nonce` with the minimum fee of the dev chain.
pub fn sign_at(who: &Identity, nonce: u64, kind: TxKind) -> SignedTransaction {
    infernet_testkit::tx::dev_min_fee(who, nonce, kind)
}

// ----------------------------------------------------------------------------------- infer

/// `infernet-miner infer --model MODEL INPUT… SAMPLING --threads 1 --json`, where `input` is
/// `["--chat", text]` or `["--prompt", text]`.
pub fn infer(model: &Path, input: [&str; 2], s: &Sampling) -> Value {
    let out = Command::new(MINER)
        .arg("infer")
        .arg("--model")
        .arg(model)
        .args(input)
        .args(s.flags())
        .args(["--threads", "1", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "infer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

// ------------------------------------------------------------------------------------ scan

/// Every encoding of `canary` a scan looks for: raw, hex, and base64 at each of the three
/// alignments (edge characters, which depend on the neighbours, trimmed).
pub fn needles(canary: &str) -> Vec<Vec<u8>> {
    let mut out = vec![canary.as_bytes().to_vec(), hex::encode(canary).into_bytes()];
    for pad in 0..3 {
        let mut bytes = vec![0u8; pad];
        bytes.extend_from_slice(canary.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let skip = if pad == 0 { 0 } else { 4 };
        out.push(b64.as_bytes()[skip..b64.len() - 4].to_vec());
    }
    out
}

/// How many times any needle occurs in `hay`.
pub fn count_hits(hay: &[u8], needles: &[Vec<u8>]) -> usize {
    needles
        .iter()
        .map(|n| hay.windows(n.len()).filter(|w| w == &n.as_slice()).count())
        .sum()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Every key and value of every column family of every rocksdb database under `dir`, read
/// back through rocksdb (so compressed blocks are decompressed); returns the number of entries
/// and their bytes.
pub fn rocksdb_dump(dir: &Path) -> (usize, Vec<u8>) {
    let mut dbs: Vec<PathBuf> = files_under(dir)
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "CURRENT"))
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    dbs.sort();
    dbs.dedup();
    assert!(
        !dbs.is_empty(),
        "no rocksdb database under {}",
        dir.display()
    );
    let mut all = Vec::new();
    let mut n = 0;
    for db_path in dbs {
        let opts = rocksdb::Options::default();
        let cfs = rocksdb::DB::list_cf(&opts, &db_path).unwrap();
        let db = rocksdb::DB::open_cf_for_read_only(&opts, &db_path, &cfs, false).unwrap();
        for cf in &cfs {
            let handle = db.cf_handle(cf).unwrap();
            for item in db.iterator_cf(handle, rocksdb::IteratorMode::Start) {
                let (k, v) = item.unwrap();
                all.extend_from_slice(&k);
                all.push(0);
                all.extend_from_slice(&v);
                all.push(0);
                n += 1;
            }
        }
    }
    (n, all)
}

/// A canary string unique to this run.
pub fn canary(tag: &str) -> String {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).unwrap();
    format!("canary-{tag}-{}-zebra-quartz", hex::encode(raw))
}
