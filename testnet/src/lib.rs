//! Local multi-node Infernet networks: launching `infernet-node` processes on 127.0.0.1,
//! watching them, stopping them; used by the `infernet-testnet` binary and by the
//! multi-process scenario tests in `tests/`.
//!
//! A testnet lives in one directory: `spec.json` (a generated dev-style chain spec with the
//! dev accounts funded and a short block time), `nodeN/` (each node's data dir, with a node
//! key generated up front so every peer id is known before anything starts), `nodeN.log`
//! (its stdout and stderr) and `testnet.json` (`{ "nodes": [ { "rpc", "p2p", "data_dir",
//! "pid" } ] }`). Node `i` uses RPC port `base_port + 2i` and p2p port `base_port + 2i + 1`;
//! every node lists every other node as a bootnode, so a local testnet is a full mesh (which
//! partition tests rely on: each side of a split stays connected).
//!
//! Blocks: the generated spec is a dev chain (trivial difficulty), so the `--miners M` nodes
//! seal a block when the tip has been quiet for the block time, and any node seals on
//! `dev_mine`. This crate owns no protocol logic.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};
use infernet_rpc::views::TipView;
use infernet_types::ChainSpec;
use serde::{Deserialize, Serialize};

/// Chain id of generated testnet specs.
pub const TESTNET_CHAIN_ID: u64 = 31_337;
/// Name of the manifest file in the testnet directory.
pub const MANIFEST: &str = "testnet.json";
/// Environment variable naming the `infernet-node` binary.
pub const NODE_BIN_ENV: &str = "INFERNET_NODE_BIN";

/// Why a testnet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TestnetError {
    /// The `infernet-node` binary was not found.
    #[error(
        "cannot find the infernet-node binary next to {searched}: build it (`cargo build -p infernet-node`) or set INFERNET_NODE_BIN"
    )]
    NodeBinary {
        /// Where it was looked for.
        searched: String,
    },
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest does not parse.
    #[error("invalid {MANIFEST}: {0}")]
    Manifest(serde_json::Error),
    /// A node did not reach the expected state in time.
    #[error("timed out after {secs} s waiting for {what} (see the node logs in the testnet dir)")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        secs: u64,
    },
    /// An RPC call failed.
    #[error("RPC to {url} failed: {message}")]
    Rpc {
        /// The node.
        url: String,
        /// The error.
        message: String,
    },
    /// The node key could not be generated.
    #[error("cannot generate a node key: {0}")]
    Key(#[from] infernet_network::KeyError),
    /// A node process exited early.
    #[error("node {index} exited early ({status}); see {log}, which ends:\n{tail}")]
    Exited {
        /// Its index.
        index: usize,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: String,
        /// The last lines of its log (the file may be gone when the error is read).
        tail: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestnetError {
    let what = what.into();
    move |source| TestnetError::Io { what, source }
}

/// What to launch.
#[derive(Debug, Clone)]
pub struct TestnetConfig {
    /// Nodes started by [`Testnet::up`].
    pub nodes: usize,
    /// How many of them seal blocks on their own (the first `miners` nodes).
    pub miners: usize,
    /// The testnet directory.
    pub dir: PathBuf,
    /// First port; node `i` uses `base_port + 2i` (RPC) and `+ 1` (p2p).
    pub base_port: u16,
    /// Seconds between blocks in the generated spec.
    pub block_time_secs: u64,
}

/// One entry of `testnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// `http://127.0.0.1:PORT`.
    pub rpc: String,
    /// The p2p multiaddr with `/p2p/<peer id>`.
    pub p2p: String,
    /// The node's data dir.
    pub data_dir: PathBuf,
    /// Its process id.
    pub pid: u32,
}

/// `testnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// The nodes in index order.
    pub nodes: Vec<NodeEntry>,
}

impl Manifest {
    /// Reads `DIR/testnet.json`.
    pub fn load(dir: &Path) -> Result<Manifest, TestnetError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(io(format!("cannot read {}", path.display())))?;
        serde_json::from_str(&text).map_err(TestnetError::Manifest)
    }

    /// Writes `DIR/testnet.json`.
    pub fn save(&self, dir: &Path) -> Result<(), TestnetError> {
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(self).map_err(TestnetError::Manifest)?;
        std::fs::write(&path, text).map_err(io(format!("cannot write {}", path.display())))
    }
}

/// The chain spec of a local testnet: the dev chain's rules and funded dev accounts, its own
/// chain id and name, and the given block time.
#[must_use]
pub fn generate_spec(block_time_secs: u64) -> ChainSpec {
    let mut spec = ChainSpec::dev();
    spec.name = "local-testnet".to_owned();
    spec.chain_id = TESTNET_CHAIN_ID;
    spec.block_time_secs = block_time_secs.max(1);
    spec
}

/// Finds `infernet-node`: `INFERNET_NODE_BIN`, else next to the current executable, else
/// one directory up (integration tests run from `target/<profile>/deps/`); the search is the
/// test kit's ([`infernet_testkit::bin`]), shared with every multi-process test.
pub fn node_binary() -> Result<PathBuf, TestnetError> {
    infernet_testkit::bin::find(infernet_testkit::bin::NODE).map_err(|searched| {
        TestnetError::NodeBinary {
            searched: searched.join(", "),
        }
    })
}

/// A node process of a testnet.
#[derive(Debug)]
pub struct NodeProc {
    /// Its index.
    pub index: usize,
    /// RPC URL.
    pub rpc: String,
    /// p2p multiaddr with peer id.
    pub p2p: String,
    /// Its peer id.
    pub peer_id: String,
    /// Data dir.
    pub data_dir: PathBuf,
    /// Whether it seals blocks on its own.
    pub miner: bool,
    child: Option<Child>,
    log: PathBuf,
    rpc_port: u16,
    p2p_port: u16,
}

impl NodeProc {
    /// Its process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// An RPC client for it.
    pub fn client(&self) -> Result<HttpClient, TestnetError> {
        http_client(&self.rpc).map_err(|e| TestnetError::Rpc {
            url: self.rpc.clone(),
            message: e.to_string(),
        })
    }

    /// Its tip, over RPC.
    pub async fn tip(&self) -> Result<TipView, TestnetError> {
        self.client()?
            .chain_get_tip()
            .await
            .map_err(|e| TestnetError::Rpc {
                url: self.rpc.clone(),
                message: e.to_string(),
            })
    }

    /// How many peers it has, over RPC.
    pub async fn peer_count(&self) -> Result<usize, TestnetError> {
        self.client()?
            .net_peers()
            .await
            .map(|p| p.len())
            .map_err(|e| TestnetError::Rpc {
                url: self.rpc.clone(),
                message: e.to_string(),
            })
    }
}

/// A running local testnet; dropping it kills every node process (SIGKILL), so a failing
/// test leaves nothing behind.
#[derive(Debug)]
pub struct Testnet {
    config: TestnetConfig,
    binary: PathBuf,
    spec_path: PathBuf,
    /// The nodes, in index order.
    pub nodes: Vec<NodeProc>,
}

impl Testnet {
    /// Writes the spec, prepares node keys, starts `config.nodes` processes and waits until
    /// each answers RPC and has a peer (bounded by `timeout`). Writes `testnet.json`.
    pub async fn up(config: TestnetConfig, timeout: Duration) -> Result<Testnet, TestnetError> {
        let binary = node_binary()?;
        std::fs::create_dir_all(&config.dir)
            .map_err(io(format!("cannot create {}", config.dir.display())))?;
        let spec_path = config.dir.join("spec.json");
        std::fs::write(
            &spec_path,
            generate_spec(config.block_time_secs).to_json_pretty(),
        )
        .map_err(io("cannot write spec.json"))?;
        let mut net = Testnet {
            config,
            binary,
            spec_path,
            nodes: Vec::new(),
        };
        for _ in 0..net.config.nodes {
            net.add_node()?;
        }
        net.wait_ready(timeout).await?;
        net.save_manifest()?;
        Ok(net)
    }

    /// The configuration.
    pub fn config(&self) -> &TestnetConfig {
        &self.config
    }

    /// Prepares and starts one more node (index = current count); does not wait for it.
    pub fn add_node(&mut self) -> Result<usize, TestnetError> {
        let index = self.nodes.len();
        let rpc_port = self.config.base_port + 2 * index as u16;
        let p2p_port = rpc_port + 1;
        let data_dir = self.config.dir.join(format!("node{index}"));
        std::fs::create_dir_all(&data_dir)
            .map_err(io(format!("cannot create {}", data_dir.display())))?;
        let key = infernet_network::keys::load_or_generate_node_key(&data_dir.join("node_key"))?;
        let peer_id = key.public().to_peer_id().to_string();
        let node = NodeProc {
            index,
            rpc: format!("http://127.0.0.1:{rpc_port}"),
            p2p: format!("/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer_id}"),
            peer_id,
            data_dir,
            miner: index < self.config.miners,
            child: None,
            log: self.config.dir.join(format!("node{index}.log")),
            rpc_port,
            p2p_port,
        };
        self.nodes.push(node);
        self.start(index)?;
        Ok(index)
    }

    /// (Re)starts node `index` with its data dir.
    pub fn start(&mut self, index: usize) -> Result<(), TestnetError> {
        let boot: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.index != index)
            .map(|n| n.p2p.clone())
            .collect();
        let node = &mut self.nodes[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .map_err(io(format!("cannot open {}", node.log.display())))?;
        let log2 = log.try_clone().map_err(io("cannot clone the log handle"))?;
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--chain")
            .arg(&self.spec_path)
            .arg("--data-dir")
            .arg(&node.data_dir)
            .arg("--rpc-addr")
            .arg(format!("127.0.0.1:{}", node.rpc_port))
            .arg("--p2p-addr")
            .arg(format!("/ip4/127.0.0.1/tcp/{}", node.p2p_port))
            .arg("--no-mdns");
        for b in boot {
            cmd.arg("--bootnode").arg(b);
        }
        if node.miner {
            cmd.arg("--mine");
        }
        cmd.env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
        let child = cmd
            .spawn()
            .map_err(io(format!("cannot start {}", self.binary.display())))?;
        node.child = Some(child);
        Ok(())
    }

    /// Kills node `index` with SIGKILL and reaps it.
    pub fn kill(&mut self, index: usize) -> Result<(), TestnetError> {
        if let Some(mut c) = self.nodes[index].child.take() {
            c.kill().map_err(io("cannot kill a node"))?;
            c.wait().map_err(io("cannot reap a node"))?;
        }
        Ok(())
    }

    /// Asks node `index` to stop with SIGTERM and waits for it (at most `timeout`, then
    /// SIGKILL). Returns whether it exited by itself.
    pub fn stop(&mut self, index: usize, timeout: Duration) -> Result<bool, TestnetError> {
        let Some(mut c) = self.nodes[index].child.take() else {
            return Ok(true);
        };
        signal(c.id(), "TERM")?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if c.try_wait()
                .map_err(io("cannot wait for a node"))?
                .is_some()
            {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        Ok(false)
    }

    /// Waits until every running node answers RPC and (with more than one node) has a peer.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), TestnetError> {
        let deadline = Instant::now() + timeout;
        let want_peer = self.nodes.len() > 1;
        loop {
            let mut ready = true;
            for n in &mut self.nodes {
                if let Some(c) = n.child.as_mut()
                    && let Ok(Some(status)) = c.try_wait()
                {
                    return Err(TestnetError::Exited {
                        index: n.index,
                        status: status.to_string(),
                        log: n.log.display().to_string(),
                        tail: infernet_testkit::process::log_tail(&n.log, 20),
                    });
                }
                if n.child.is_none() {
                    continue;
                }
                match n.peer_count().await {
                    Ok(p) if p > 0 || !want_peer => {}
                    _ => ready = false,
                }
            }
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TestnetError::Timeout {
                    what: "every node to answer RPC and connect to a peer".into(),
                    secs: timeout.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every running node reports the same tip at height ≥ `min_height`;
    /// returns it.
    pub async fn wait_converged(
        &self,
        min_height: u64,
        timeout: Duration,
    ) -> Result<TipView, TestnetError> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut tips = Vec::new();
            for n in self.nodes.iter().filter(|n| n.child.is_some()) {
                if let Ok(t) = n.tip().await {
                    tips.push(t);
                }
            }
            let running = self.nodes.iter().filter(|n| n.child.is_some()).count();
            if tips.len() == running
                && let Some(first) = tips.first()
                && first.height >= min_height
                && tips.iter().all(|t| t.hash == first.hash)
            {
                return Ok(first.clone());
            }
            if Instant::now() >= deadline {
                let heights: Vec<u64> = tips.iter().map(|t| t.height).collect();
                return Err(TestnetError::Timeout {
                    what: format!(
                        "the nodes to agree on a tip at height >= {min_height} (heights now {heights:?})"
                    ),
                    secs: timeout.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The manifest of the running nodes.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeEntry {
                    rpc: n.rpc.clone(),
                    p2p: n.p2p.clone(),
                    data_dir: n.data_dir.clone(),
                    pid: n.pid().unwrap_or(0),
                })
                .collect(),
        }
    }

    /// Writes `testnet.json`.
    pub fn save_manifest(&self) -> Result<(), TestnetError> {
        self.manifest().save(&self.config.dir)
    }

    /// Leaves the processes running after this value is dropped (for `infernet-testnet up`,
    /// which exits while the network keeps going; `down` stops it by pid).
    pub fn detach(mut self) -> Manifest {
        let m = self.manifest();
        for n in &mut self.nodes {
            n.child = None;
        }
        m
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// Sends a signal (`TERM`, `KILL`) to a process with the system's `kill` command.
pub fn signal(pid: u32, name: &str) -> Result<(), TestnetError> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(io("cannot run kill"))?;
    if status.success() {
        Ok(())
    } else {
        Err(TestnetError::Io {
            what: format!("kill -{name} {pid}"),
            source: std::io::Error::other("no such process"),
        })
    }
}

/// The last `lines` lines of a log file (empty when it cannot be read).
#[cfg(test)]
mod tests {
    use super::*;
    use infernet_testkit::process::log_tail;

    #[test]
    fn log_tail_keeps_the_last_lines_and_tolerates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node0.log");
        let text: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
        std::fs::write(&path, text.join("\n")).unwrap();
        let tail = log_tail(&path, 20);
        assert!(tail.starts_with("line 11\n"), "{tail}");
        assert!(tail.ends_with("line 30"), "{tail}");
        assert_eq!(tail.lines().count(), 20);
        assert_eq!(log_tail(&dir.path().join("absent.log"), 20), "");
    }

    #[test]
    fn manifest_round_trips_with_the_documented_keys() {
        let m = Manifest {
            nodes: vec![NodeEntry {
                rpc: "http://127.0.0.1:1".into(),
                p2p: "/ip4/127.0.0.1/tcp/2/p2p/x".into(),
                data_dir: PathBuf::from("/d"),
                pid: 7,
            }],
        };
        let v: serde_json::Value = serde_json::to_value(&m).unwrap();
        for key in ["rpc", "p2p", "data_dir", "pid"] {
            assert!(v["nodes"][0].get(key).is_some(), "{key}");
        }
        let dir = tempfile::tempdir().unwrap();
        m.save(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), m);
    }

    #[test]
    fn generated_spec_is_valid_and_distinct() {
        let s = generate_spec(1);
        s.validate().unwrap();
        assert_eq!(s.chain_id, TESTNET_CHAIN_ID);
        assert_ne!(s.chain_id, ChainSpec::dev().chain_id);
        assert!(!s.genesis.allocations.is_empty());
    }
}
