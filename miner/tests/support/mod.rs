//! Shared harness of the multi-process tests in which both sides are real binaries: the
//! `infernet-miner` daemon (a dev chain on loopback, data in a temp dir, killed on drop) and
//! the `infernet-wallet` CLI (its own wallet dir and password file).
//!
//! It owns: starting and stopping daemons ([`Daemon`]), a small JSON-RPC client that keeps
//! every response for privacy scans ([`Rpc`]), the wallet runner ([`Wallet`]), transactions
//! signed here and sent over RPC ([`Rpc::send_kind`]), the tiny test model, the miner key the
//! test creates for the daemon ([`miner_key`]), `infernet-miner infer` ([`infer`]), and the
//! canary scan helpers ([`needles`], [`count_hits`], [`rocksdb_dump`]).
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub mod scenario;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use infernet_crypto::{Address, Hash, Identity, KdfParams};
use infernet_miner::daemon::register::with_min_fee;
use infernet_miner::daemon::{MinerKey, PasswordSource};
use infernet_types::{ChainSpec, Encode, SignedTransaction, TxKind};
use serde_json::{Value, json};

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
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("infernet-wallet");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p infernet-wallet` (same profile and \
         target dir), or run `cargo nextest run --workspace`",
        bin.display()
    );
    bin
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

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` every 100 ms until it returns `Some`, failing after `secs`.
pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A base-unit amount from RPC JSON (a decimal string or a number).
pub fn amount(v: &Value) -> u64 {
    v.as_str()
        .map_or_else(|| v.as_u64().unwrap(), |s| s.parse().unwrap())
}

/// 32 bytes from a hex JSON string.
pub fn h256(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// An address from RPC or wallet JSON.
pub fn address(v: &Value) -> Address {
    v.as_str().unwrap().parse().unwrap()
}

// ------------------------------------------------------------------------------------- RPC

/// Why an RPC call failed.
#[derive(Debug)]
pub enum RpcFailure {
    /// The node could not be reached or answered garbage.
    Transport(String),
    /// The node answered with a JSON-RPC error object.
    Error(Value),
}

/// A minimal JSON-RPC client over HTTP/1.1; every raw response is kept for scans.
pub struct Rpc {
    pub addr: String,
    pub responses: Vec<String>,
}

impl Rpc {
    pub fn new(addr: String) -> Self {
        Rpc {
            addr,
            responses: Vec::new(),
        }
    }

    /// One call.
    pub fn request(&mut self, method: &str, params: &Value) -> Result<Value, RpcFailure> {
        let t = |e: std::io::Error| RpcFailure::Transport(e.to_string());
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(&self.addr).map_err(t)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(t)?;
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.addr,
            body.len(),
            body
        )
        .map_err(t)?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).map_err(t)?;
        let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        self.responses.push(resp);
        let v: Value = serde_json::from_str(&body)
            .map_err(|e| RpcFailure::Transport(format!("bad response to {method}: {e}: {body}")))?;
        match v.get("error") {
            Some(err) => Err(RpcFailure::Error(err.clone())),
            None => Ok(v["result"].clone()),
        }
    }

    /// A call that must succeed.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, &params) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// A call whose failure means "not yet".
    pub fn try_call(&mut self, method: &str, params: Value) -> Option<Value> {
        self.request(method, &params).ok()
    }

    pub fn height(&mut self) -> u64 {
        self.call("chain_getTip", json!([]))["height"]
            .as_u64()
            .unwrap()
    }

    pub fn account(&mut self, a: &Address) -> Value {
        self.call("state_getAccount", json!([a.to_bech32()]))
    }

    pub fn balance(&mut self, a: &Address) -> u64 {
        amount(&self.account(a)["balance"])
    }

    pub fn job(&mut self, id: &Hash) -> Value {
        self.call("state_getJob", json!([hex::encode(id.0)]))
    }

    pub fn tx(&mut self, id: &Hash) -> Value {
        self.call("tx_get", json!([hex::encode(id.0)]))
    }

    /// Waits until `height` is reached.
    pub fn wait_height(&mut self, height: u64, secs: u64) {
        wait_for(&format!("height {height}"), secs, || {
            (self.try_call("chain_getTip", json!([]))?["height"].as_u64()? >= height).then_some(())
        });
    }

    /// Waits until `txid` is in a block of the best chain.
    pub fn wait_mined(&mut self, txid: &Hash) {
        let id = hex::encode(txid.0);
        wait_for(&format!("tx {id} to be mined"), 30, || {
            self.try_call("tx_get", json!([id]))?["block_height"]
                .as_u64()
                .map(|_| ())
        });
    }

    /// The nonce `a`'s next transaction takes (counting the node's pending ones).
    pub fn next_nonce(&mut self, a: &Address) -> u64 {
        self.account(a)["next_nonce"].as_u64().unwrap()
    }

    /// Signs `kind` from `who` with the next nonce and the minimum fee of the dev chain.
    pub fn sign(&mut self, who: &Identity, kind: TxKind) -> SignedTransaction {
        let nonce = self.next_nonce(&who.address());
        sign_at(who, nonce, kind)
    }

    /// `tx_send`: the txid, or the node's error object.
    pub fn send(&mut self, tx: &SignedTransaction) -> Result<Hash, Value> {
        match self.request("tx_send", &json!([hex::encode(tx.encode())])) {
            Ok(v) => Ok(Hash(h256(&v))),
            Err(RpcFailure::Error(e)) => Err(e),
            Err(RpcFailure::Transport(e)) => panic!("tx_send: {e}"),
        }
    }

    /// Signs and sends `kind` from `who` and waits until it is mined.
    pub fn send_kind(&mut self, who: &Identity, kind: TxKind) -> Hash {
        let tx = self.sign(who, kind);
        let id = self.send(&tx).unwrap_or_else(|e| panic!("refused: {e}"));
        assert_eq!(id, tx.txid());
        self.wait_mined(&id);
        id
    }
}

/// Signs `kind` from `who` at `nonce` with the minimum fee of the dev chain.
pub fn sign_at(who: &Identity, nonce: u64, kind: TxKind) -> SignedTransaction {
    let spec = ChainSpec::dev();
    with_min_fee(who.address(), nonce, kind, spec.min_fee_per_byte)
        .unwrap()
        .sign(who, spec.chain_id)
}

// ---------------------------------------------------------------------------------- daemon

/// How to start a daemon; [`DaemonSpec::start`] adds the dev-chain basics (loopback RPC on a
/// free port, p2p on an ephemeral port, no mDNS, 1-second blocks, one compute thread).
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    pub data: PathBuf,
    pub logs: PathBuf,
    pub models: Vec<PathBuf>,
    pub serve: bool,
    pub key: Option<(PathBuf, PathBuf)>,
    pub coinbase: Option<Address>,
    pub attestation: &'static str,
    pub price_in: u64,
    pub price_out: u64,
    pub rust_log: &'static str,
}

impl DaemonSpec {
    /// A serving daemon with data and logs under `dir`.
    pub fn new(dir: &Path) -> Self {
        DaemonSpec {
            data: dir.join("data"),
            logs: dir.to_owned(),
            models: Vec::new(),
            serve: true,
            key: None,
            coinbase: None,
            attestation: "none",
            price_in: 1_000,
            price_out: 3_000,
            rust_log: "info",
        }
    }

    /// Starts the daemon and waits until its RPC answers.
    pub fn start(&self, name: &str) -> Daemon {
        let port = free_port();
        let stdout = self.logs.join(format!("{name}.stdout.log"));
        let stderr = self.logs.join(format!("{name}.stderr.log"));
        let mut c = Command::new(MINER);
        c.args(["--dev", "--no-mdns", "--block-time", "1", "--threads", "1"])
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--rpc-addr", &format!("127.0.0.1:{port}")])
            .args(["--p2p-addr", "/ip4/127.0.0.1/tcp/0"])
            .args(["--attestation", self.attestation])
            .args(["--price-in", &self.price_in.to_string()])
            .args(["--price-out", &self.price_out.to_string()]);
        for m in &self.models {
            c.arg("--model").arg(m);
        }
        if !self.serve {
            c.arg("--no-serve");
        }
        if let Some((key, pw)) = &self.key {
            c.arg("--miner-key").arg(key).arg("--password-file").arg(pw);
        }
        if let Some(cb) = &self.coinbase {
            c.args(["--coinbase", &cb.to_bech32()]);
        }
        let child = c
            .env("RUST_LOG", self.rust_log)
            .env_remove("INFERNET_PASSWORD")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut d = Daemon {
            child,
            rpc: Rpc::new(format!("127.0.0.1:{port}")),
            stdout,
            stderr,
        };
        wait_for("the daemon's RPC", 60, || {
            d.check_running();
            d.rpc.try_call("chain_getTip", json!([]))
        });
        d
    }
}

/// A running `infernet-miner` daemon, killed on drop.
pub struct Daemon {
    child: Child,
    pub rpc: Rpc,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// The RPC URL the wallet uses.
    pub fn url(&self) -> String {
        format!("http://{}", self.rpc.addr)
    }

    /// Fails the test with the daemon's log if it exited.
    pub fn check_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("daemon exited with {status}: {}", self.log_tail(40));
        }
    }

    /// The last `n` lines of the daemon's stderr.
    pub fn log_tail(&self, n: usize) -> String {
        let log = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits until `miner` is registered with an offer for `model`; returns its view.
    pub fn wait_registered(&mut self, miner: &Address, model: &Hash) -> Value {
        let want = hex::encode(model.0);
        wait_for("the miner registration", 120, || {
            self.check_running();
            let m = self
                .rpc
                .try_call("state_getMiner", json!([miner.to_bech32()]))?;
            let offered = m["offers"]
                .as_array()?
                .iter()
                .any(|o| o["model"].as_str() == Some(want.as_str()));
            offered.then_some(m)
        })
    }

    /// Stops the daemon with SIGTERM and waits for it to exit (the store is released).
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = wait_for("the daemon to stop", 30, || self.child.try_wait().unwrap());
        assert!(status.success(), "daemon stopped with {status}");
    }

    /// Both logs' bytes.
    pub fn logs(&self) -> Vec<u8> {
        [
            std::fs::read(&self.stdout).unwrap_or_default(),
            std::fs::read(&self.stderr).unwrap_or_default(),
        ]
        .concat()
    }
}

// ---------------------------------------------------------------------------------- wallet

/// The wallet CLI with its own wallet dir and password file, against one node.
pub struct Wallet {
    pub dir: PathBuf,
    pub rpc: String,
    bin: PathBuf,
}

impl Wallet {
    /// A wallet under `<dir>/wallet` (password file `<dir>/wallet.pw`) talking to `rpc`.
    pub fn new(dir: &Path, rpc: String) -> Self {
        std::fs::write(dir.join("wallet.pw"), "wallet password\n").unwrap();
        Wallet {
            dir: dir.to_owned(),
            rpc,
            bin: wallet_binary(),
        }
    }

    /// The wallet's key directory.
    pub fn wallet_dir(&self) -> PathBuf {
        self.dir.join("wallet")
    }

    /// `infernet-wallet --json --no-input … [--key KEY] ARGS`, stdin closed, output piped.
    pub fn cmd(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--rpc")
            .arg(&self.rpc)
            .arg("--wallet-dir")
            .arg(self.wallet_dir())
            .arg("--password-file")
            .arg(self.dir.join("wallet.pw"))
            .args(["--no-input", "--json"]);
        if let Some(k) = key {
            c.args(["--key", k]);
        }
        c.args(args)
            .env_remove("INFERNET_RPC")
            .env_remove("INFERNET_WALLET_DIR")
            .env_remove("INFERNET_KEY")
            .env_remove("INFERNET_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs a command and returns its output, whatever the status.
    pub fn output(&self, key: Option<&str>, args: &[&str]) -> Output {
        self.cmd(key, args).output().unwrap()
    }

    /// Runs a command that must succeed; returns its JSON.
    pub fn json(&self, key: Option<&str>, args: &[&str]) -> Value {
        json_ok(&self.output(key, args))
    }

    /// `key import NAME --dev-account N`; returns the address.
    pub fn import_dev(&self, name: &str, n: u32) -> Address {
        let v = self.json(
            None,
            &["key", "import", name, "--dev-account", &n.to_string()],
        );
        address(&v["address"])
    }

    /// `key new NAME`; returns the address.
    pub fn new_key(&self, name: &str) -> Address {
        let v = self.json(None, &["key", "new", name]);
        assert!(
            v["mnemonic"].as_str().unwrap().split_whitespace().count() >= 12,
            "{v}"
        );
        address(&v["address"])
    }
}

/// The JSON a successful wallet command printed.
pub fn json_ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "wallet failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "wallet printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
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
