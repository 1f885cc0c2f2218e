//! An `infernet-node --dev --tmp` process on loopback: RPC on a port the node picks itself
//! (read back from `--config-out`), no mDNS, 1-second blocks; killed on drop.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::process::{Proc, wait_for};
use crate::{Rpc, bin};

/// A running dev node.
#[derive(Debug)]
pub struct Node {
    /// The process (log: `node.log` in the temp dir).
    pub proc: Proc,
    /// Its JSON-RPC URL (`http://127.0.0.1:PORT`).
    pub rpc: String,
    _dir: tempfile::TempDir,
}

impl Node {
    /// Starts `infernet-node --dev --tmp` and waits until it reports its RPC URL.
    pub fn start_dev() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("node.json");
        let log_path = dir.path().join("node.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = Command::new(bin::path(bin::NODE));
        cmd.args([
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
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
        // Owned by `Node` at once, so every exit path below kills and waits for it.
        let mut node = Node {
            proc: Proc::spawn("node", &mut cmd, &log_path),
            rpc: String::new(),
            _dir: dir,
        };
        node.rpc = wait_for(&format!("the node to write {}", cfg.display()), 30, || {
            node.proc.check_running();
            let text = std::fs::read_to_string(&cfg).ok()?;
            let v = serde_json::from_str::<Value>(&text).ok()?;
            Some(v["rpc_url"].as_str()?.to_owned())
        });
        node
    }

    /// A raw JSON-RPC client of it.
    pub fn client(&self) -> Rpc {
        Rpc::new(self.rpc.trim_start_matches("http://").to_owned())
    }
}
