//! Starts a real `infernet-node --dev --tmp` child for the wallet's tests.
//!
//! The node binary is taken from the same target directory (`current_exe()/../../infernet-node`,
//! built by `cargo build -p infernet-node` or a workspace build); a test fails with that
//! instruction if it is missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `infernet-node --dev --tmp` child, killed on drop.
pub struct Node {
    child: Child,
    pub rpc: String,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("infernet-node");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p infernet-node` (same profile and target dir)",
        bin.display()
    );
    bin
}

pub fn start() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("node.json");
    let log = std::fs::File::create(dir.path().join("node.log")).unwrap();
    let child = Command::new(node_binary())
        .args([
            "--dev",
            "--tmp",
            "--no-mdns",
            "--rpc-addr",
            "127.0.0.1:0",
            "--p2p-addr",
            "/ip4/127.0.0.1/tcp/0",
            "--block-time",
            "1",
            "--config-out",
        ])
        .arg(&cfg)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // Owned by `Node` at once, so every exit path below kills and waits for it.
    let mut node = Node {
        child,
        rpc: String::new(),
        _dir: dir,
    };
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&cfg)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            node.rpc = v["rpc_url"].as_str().unwrap().to_owned();
            return node;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the node did not write {}",
            cfg.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
