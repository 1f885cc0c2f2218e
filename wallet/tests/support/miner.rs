//! Starts a real `infernet-miner --dev --tmp` daemon child (node, block production and job
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
use infernet_rpc::client::{InfernetApiClient, http_client};

/// A running `infernet-miner --dev --tmp`, killed on drop.
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

/// Starts the daemon and waits until its model and its miner registration are on chain.
pub async fn start(coinbase: &Address) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("tiny.gguf");
    infernet_engine::gguf::tiny::write_tiny_llama(
        &model_path,
        &infernet_engine::gguf::tiny::TinyConfig::default(),
        7,
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("miner.log")).unwrap();
    let child = Command::new(miner_binary())
        .args(["--dev", "--tmp", "--no-mdns", "--block-time", "1"])
        .args([
            "--threads",
            "1",
            "--price-in",
            "1000",
            "--price-out",
            "2000",
        ])
        .arg("--model")
        .arg(&model_path)
        .args(["--rpc-addr", &format!("127.0.0.1:{port}")])
        .args(["--p2p-addr", "/ip4/127.0.0.1/tcp/0"])
        .args(["--coinbase", &coinbase.to_string()])
        .env_remove("INFERNET_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut daemon = Daemon {
        child,
        rpc: format!("http://127.0.0.1:{port}"),
        model: Hash([0; 32]),
        miner: Address([0; 32]),
        dir,
    };
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
            daemon.model = Hash(o.model.0);
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
