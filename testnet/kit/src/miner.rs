//! An `infernet-miner --dev` daemon (node, block production and job serving in one process)
//! on loopback: RPC on a free port, p2p on an ephemeral port, no mDNS, 1-second blocks, one
//! compute thread, data and logs where the test says; killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use infernet_crypto::{Address, Hash};
use serde_json::{Value, json};

use crate::process::{Proc, free_port, wait_for};
use crate::{Rpc, bin};

/// How to start a daemon; [`DaemonSpec::start`] adds the dev-chain basics (loopback RPC on a
/// free port, p2p on an ephemeral port, no mDNS, 1-second blocks, one compute thread).
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    /// `--data-dir`.
    pub data: PathBuf,
    /// Where `NAME.stdout.log` and `NAME.stderr.log` go.
    pub logs: PathBuf,
    /// `--model` files.
    pub models: Vec<PathBuf>,
    /// `false` adds `--no-serve` (produce blocks only).
    pub serve: bool,
    /// `--miner-key` and `--password-file`.
    pub key: Option<(PathBuf, PathBuf)>,
    /// `--coinbase`.
    pub coinbase: Option<Address>,
    /// `--attestation`.
    pub attestation: &'static str,
    /// `--price-in`, base units per input token.
    pub price_in: u64,
    /// `--price-out`, base units per output token.
    pub price_out: u64,
    /// `RUST_LOG` of the daemon.
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
        let mut c = Command::new(bin::path(bin::MINER));
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
        c.env("RUST_LOG", self.rust_log)
            .env_remove("INFERNET_PASSWORD")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut d = Daemon {
            proc: Proc::spawn("miner daemon", &mut c, &stderr),
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
#[derive(Debug)]
pub struct Daemon {
    /// The process.
    pub proc: Proc,
    /// A raw JSON-RPC client of it.
    pub rpc: Rpc,
    /// Its stdout log.
    pub stdout: PathBuf,
    /// Its stderr log (where its tracing goes).
    pub stderr: PathBuf,
}

impl Daemon {
    /// The RPC URL the wallet uses.
    pub fn url(&self) -> String {
        format!("http://{}", self.rpc.addr)
    }

    /// Fails the test with the daemon's log if it exited.
    pub fn check_running(&mut self) {
        self.proc.check_running();
    }

    /// The last `n` lines of the daemon's stderr.
    pub fn log_tail(&self, n: usize) -> String {
        self.proc.log_tail(n)
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
        let status = self.proc.terminate(30);
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
