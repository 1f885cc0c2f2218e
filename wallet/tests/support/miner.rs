//! Starts a real `infernet-miner --dev` daemon child (node, block production and job
//! serving in one process) with a tiny GGUF model written by `infernet_engine`'s test writer.
//!
//! The miner binary is taken from the same target directory (`current_exe()/../../infernet-miner`,
//! built by `cargo build -p infernet-miner` or a workspace build); a test fails with that
//! instruction if it is missing. Block rewards and fees go to `--coinbase`, so the miner's
//! own balance moves only by what it is paid.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use infernet_crypto::{Address, Hash};
use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};

/// A running `infernet-miner --dev` on a temporary data directory, killed on drop.
pub struct Daemon {
    child: Child,
    /// Its JSON-RPC URL.
    pub rpc: String,
    /// The served model's id (BLAKE3 of the GGUF file).
    pub model: Hash,
    /// The miner's address (also the model's owner: the daemon registers it).
    pub miner: Address,
    dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// The daemon's log so far (stderr), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("miner.log")).unwrap_or_default()
    }
}

fn miner_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("infernet-miner");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p infernet-miner` (same profile and target dir)",
        bin.display()
    );
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes the tiny GGUF model into `dir`; returns its path and id (BLAKE3 of the file).
fn write_model(dir: &Path) -> (PathBuf, Hash) {
    let path = dir.join("tiny.gguf");
    infernet_engine::gguf::tiny::write_tiny_llama(
        &path,
        &infernet_engine::gguf::tiny::TinyConfig::default(),
        7,
    )
    .unwrap();
    let id = infernet_crypto::hash::plain_hash(&std::fs::read(&path).unwrap());
    (path, id)
}

/// Spawns the daemon on `data` (a data directory) with `extra` flags, logging to `log`.
fn spawn(
    coinbase: &Address,
    model: &Path,
    data: &Path,
    port: u16,
    log: &Path,
    extra: &[&str],
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(miner_binary())
        .args(["--dev", "--no-mdns", "--block-time", "1"])
        .args([
            "--threads",
            "1",
            "--price-in",
            "1000",
            "--price-out",
            "2000",
        ])
        .arg("--model")
        .arg(model)
        .arg("--data-dir")
        .arg(data)
        .args(["--rpc-addr", &format!("127.0.0.1:{port}")])
        .args(["--p2p-addr", "/ip4/127.0.0.1/tcp/0"])
        .args(["--coinbase", &coinbase.to_string()])
        .args(extra)
        .env_remove("INFERNET_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Starts the daemon and waits until its model and its miner registration are on chain.
pub async fn start(coinbase: &Address) -> Daemon {
    start_with(coinbase, async |_: &HttpClient, _: Hash| {}).await
}

/// Like [`start`], but first runs the daemon without serving so `before` can put things on
/// the chain ahead of the daemon's own registration (a model registered as a fork, so the
/// daemon serves a model with a lineage); then restarts it on the same data directory to
/// serve. `before` gets a client and the model id.
pub async fn start_with(coinbase: &Address, before: impl AsyncFnOnce(&HttpClient, Hash)) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let (model_path, model_id) = write_model(dir.path());
    let data = dir.path().join("data");
    let log = dir.path().join("miner.log");
    let port = free_port();
    let rpc = format!("http://127.0.0.1:{port}");
    let client = http_client(&rpc).unwrap();
    let mut first = Daemon {
        child: spawn(coinbase, &model_path, &data, port, &log, &["--no-serve"]),
        rpc: rpc.clone(),
        model: model_id,
        miner: Address([0; 32]),
        dir,
    };
    let start = Instant::now();
    while client.chain_get_tip().await.is_err() {
        if let Ok(Some(status)) = first.child.try_wait() {
            panic!("the miner daemon exited with {status}:\n{}", first.log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the miner daemon's RPC did not come up:\n{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    before(&client, model_id).await;
    // Stop it (the store is released when the process is gone), then serve.
    let _ = first.child.kill();
    let _ = first.child.wait();
    let port = free_port();
    first.child = spawn(coinbase, &model_path, &data, port, &log, &[]);
    first.rpc = format!("http://127.0.0.1:{port}");
    let mut daemon = first;
    let client = http_client(&daemon.rpc).unwrap();
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            panic!("the miner daemon exited with {status}:\n{}", daemon.log());
        }
        if let Ok(page) = client.state_get_miners(None).await
            && let Some(m) = page.items.first()
            && let Some(o) = m.offers.first()
        {
            assert_eq!(o.model.0, model_id.0, "the daemon serves another model");
            daemon.miner = Address(m.address.0);
            return daemon;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the miner daemon did not register within 90 s:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
