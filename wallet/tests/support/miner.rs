//! A real `infernet-miner --dev` daemon (node, block production and job serving in one
//! process) serving a tiny GGUF model written by `infernet_engine`'s test writer, started
//! with the workspace's test kit (`infernet-testkit`). Block rewards and fees go to
//! `--coinbase`, so the miner's own balance moves only by what it is paid.
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use infernet_crypto::{Address, Hash};
use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};
use infernet_testkit::DaemonSpec;

/// A running `infernet-miner --dev` on a temporary data directory, killed on drop.
pub struct Daemon {
    /// The kit's process guard and raw client.
    pub inner: infernet_testkit::Daemon,
    /// Its JSON-RPC URL.
    pub rpc: String,
    /// The served model's id (BLAKE3 of the GGUF file).
    pub model: Hash,
    /// The miner's address (also the model's owner: the daemon registers it).
    pub miner: Address,
    _dir: tempfile::TempDir,
}

impl Daemon {
    /// The daemon's log so far (stderr), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.inner.stderr).unwrap_or_default()
    }
}

/// Writes the tiny GGUF model into `dir`; returns its path and id (BLAKE3 of the file).
fn write_model(dir: &std::path::Path) -> (std::path::PathBuf, Hash) {
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
    let mut spec = DaemonSpec::new(dir.path());
    spec.models = vec![model_path];
    spec.coinbase = Some(*coinbase);
    spec.price_out = 2_000;
    spec.serve = false;
    let first = spec.start("miner-setup");
    before(&http_client(&first.url()).unwrap(), model_id).await;
    // Stop it (the store is released when the process is gone), then serve.
    drop(first);
    spec.serve = true;
    let mut inner = spec.start("miner");
    let rpc = inner.url();
    let client = http_client(&rpc).unwrap();
    let start = Instant::now();
    loop {
        inner.check_running();
        if let Ok(page) = client.state_get_miners(None).await
            && let Some(m) = page.items.first()
            && let Some(o) = m.offers.first()
        {
            assert_eq!(o.model.0, model_id.0, "the daemon serves another model");
            return Daemon {
                inner,
                rpc,
                model: model_id,
                miner: Address(m.address.0),
                _dir: dir,
            };
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the miner daemon did not register within 90 s:\n{}",
            inner.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
