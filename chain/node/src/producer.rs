//! Block production: templates from the mempool (consensus's `build_block` through
//! [`Chain::template`]) and the nonce search, on dedicated OS threads, never on the async
//! runtime's.
//!
//! One producer thread owns production. On a dev chain it seals a block whenever the tip has
//! not changed for the seal interval (plus a small per-process jitter, so several sealing
//! nodes of a local testnet take turns instead of forking on every block), and on demand
//! ([`ProducerHandle::seal`], behind `dev_mine`). On a proof-of-work chain with `--mine` it
//! searches nonces continuously on `threads` scoped threads, abandoning a template as soon as
//! the tip changes. Every block it finds enters [`Chain::import_block`] like a peer's, and is
//! then handed to the network through a bounded channel.
//!
//! **Pausing** ([`MiningPause`], from [`ProducerHandle::pause`]): while any [`PauseGuard`] is
//! held, the continuous proof-of-work search stops hashing — the search threads check the pause
//! between nonce batches and sleep until it is lifted (or the tip moves, or the producer stops),
//! and no new template is started. This is how the miner daemon yields the CPU to inference.
//! Dev-chain sealing (interval or `dev_mine`) is *not* paused: its target is trivial, so sealing
//! costs one hash, and a job's result must still be mined while the next job runs.
//! [`ProducerHandle::hashes`] counts the nonces tried, for hash-rate figures and tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use infernet_consensus::mine;
use infernet_types::{Address, Block, Hash};
use tokio::sync::{mpsc, oneshot};

use crate::chain::{Chain, ImportError, ImportOutcome, TemplateError};

/// Nonces tried between two looks at the stop flag and the tip.
const BATCH: u64 = 4096;
/// Most seal requests waiting for the producer thread.
const REQUEST_CAPACITY: usize = 16;
/// How often a paused search looks at the pause, the tip and the stop flag.
const PAUSE_POLL: Duration = Duration::from_millis(10);

/// A switch that stops the continuous nonce search while any [`PauseGuard`] is held.
/// Cloning it gives another handle on the same switch.
#[derive(Debug, Clone, Default)]
pub struct MiningPause {
    holds: Arc<AtomicUsize>,
}

impl MiningPause {
    /// A switch nobody holds.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Pauses the search until the returned guard (and every other one) is dropped.
    #[must_use = "the pause is lifted when the guard is dropped"]
    pub fn hold(&self) -> PauseGuard {
        self.holds.fetch_add(1, Ordering::AcqRel);
        PauseGuard {
            holds: Arc::clone(&self.holds),
        }
    }

    /// Whether a guard is held.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.holds.load(Ordering::Acquire) > 0
    }
}

/// Keeps the search paused while it lives (see [`MiningPause::hold`]).
#[derive(Debug)]
pub struct PauseGuard {
    holds: Arc<AtomicUsize>,
}

impl Drop for PauseGuard {
    fn drop(&mut self) {
        self.holds.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why production failed.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// Building the template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Our own block did not import (a bug or a storage failure).
    #[error("the produced block did not import: {0}")]
    Import(#[from] ImportError),
    /// The nonce search was stopped (shutdown) before finding a nonce.
    #[error("block production stopped")]
    Stopped,
    /// Too many seal requests are waiting.
    #[error("the block producer is busy; retry")]
    Busy,
}

/// How the producer works.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Where rewards go.
    pub coinbase: Address,
    /// Dev chains: seal when the tip has been unchanged this long (`None`: only on request).
    pub seal_interval: Option<Duration>,
    /// Proof-of-work chains: search nonces continuously.
    pub continuous: bool,
    /// Nonce-search threads for continuous mining.
    pub threads: usize,
}

struct SealRequest {
    n: u32,
    reply: oneshot::Sender<Result<Vec<Hash>, ProduceError>>,
}

/// A handle to the producer thread.
#[derive(Debug, Clone)]
pub struct ProducerHandle {
    requests: std_mpsc::SyncSender<SealRequest>,
    pause: MiningPause,
    hashes: Arc<AtomicU64>,
}

impl ProducerHandle {
    /// Seals `n` blocks now on the producer thread and returns their hashes. Safe to cancel
    /// (the blocks are still sealed).
    pub async fn seal(&self, n: u32) -> Result<Vec<Hash>, ProduceError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .try_send(SealRequest { n, reply })
            .map_err(|e| match e {
                std_mpsc::TrySendError::Full(_) => ProduceError::Busy,
                std_mpsc::TrySendError::Disconnected(_) => ProduceError::Stopped,
            })?;
        answer.await.map_err(|_| ProduceError::Stopped)?
    }

    /// The switch that pauses the continuous nonce search (not dev sealing).
    #[must_use]
    pub fn pause(&self) -> &MiningPause {
        &self.pause
    }

    /// Nonces tried since the producer started.
    #[must_use]
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }
}

/// The running producer; stop it with [`Producer::stop`].
#[derive(Debug)]
pub struct Producer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Producer {
    /// Starts the producer thread. Blocks it makes are sent to `mined` after import (for
    /// gossip); a full or closed channel drops them there (peers still get them by sync).
    pub fn spawn(
        chain: Arc<Chain>,
        config: ProducerConfig,
        mined: mpsc::Sender<Block>,
    ) -> std::io::Result<(Producer, ProducerHandle)> {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std_mpsc::sync_channel(REQUEST_CAPACITY);
        let pause = MiningPause::new();
        let hashes = Arc::new(AtomicU64::new(0));
        let worker = Worker {
            chain,
            config,
            mined,
            stop: stop.clone(),
            pause: pause.clone(),
            hashes: Arc::clone(&hashes),
        };
        let thread = std::thread::Builder::new()
            .name("infernet-producer".into())
            .spawn(move || worker.run(rx))?;
        Ok((
            Producer {
                stop,
                thread: Some(thread),
            },
            ProducerHandle {
                requests: tx,
                pause,
                hashes,
            },
        ))
    }

    /// Stops production and waits for the thread (at most one nonce batch).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the producer thread panicked");
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Worker {
    chain: Arc<Chain>,
    config: ProducerConfig,
    mined: mpsc::Sender<Block>,
    stop: Arc<AtomicBool>,
    pause: MiningPause,
    hashes: Arc<AtomicU64>,
}

impl Worker {
    fn run(self, requests: std_mpsc::Receiver<SealRequest>) {
        let jitter = Duration::from_millis(u64::from(std::process::id() % 5) * 100);
        let mut last_tip = self.chain.store().tip().hash;
        let mut since = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            let wait = if self.config.continuous {
                Duration::ZERO
            } else {
                Duration::from_millis(100)
            };
            match requests.recv_timeout(wait) {
                Ok(req) => {
                    let mut hashes = Vec::new();
                    let mut result = Ok(());
                    for _ in 0..req.n {
                        match self.produce_one() {
                            Ok(Some(h)) => hashes.push(h),
                            Ok(None) => {}
                            Err(e) => {
                                result = Err(e);
                                break;
                            }
                        }
                    }
                    let _ = req.reply.send(result.map(|()| hashes));
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) if !self.config.continuous => {
                    // Nobody can ask any more; keep the interval sealing going.
                    std::thread::sleep(wait);
                }
                Err(_) => {}
            }
            let tip = self.chain.store().tip().hash;
            if tip != last_tip {
                last_tip = tip;
                since = Instant::now();
            }
            let due = match self.config.seal_interval {
                Some(i) if !i.is_zero() => since.elapsed() >= i + jitter,
                _ => false,
            };
            if self.config.continuous && self.pause.is_paused() {
                std::thread::sleep(PAUSE_POLL);
                continue;
            }
            if self.config.continuous || due {
                match self.produce_one() {
                    Ok(_) => {}
                    Err(ProduceError::Stopped) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "block production failed; retrying");
                        std::thread::sleep(Duration::from_millis(500));
                    }
                }
                since = Instant::now();
            }
        }
        tracing::debug!("producer thread stopped");
    }

    /// Builds, mines and imports one block; `Ok(None)` if the tip moved first.
    fn produce_one(&self) -> Result<Option<Hash>, ProduceError> {
        let template = self.chain.template(self.config.coinbase)?;
        let mut block = template.block;
        let parent = block.header.prev_hash;
        if !self.search(&mut block, parent) {
            if self.stop.load(Ordering::Relaxed) {
                return Err(ProduceError::Stopped);
            }
            return Ok(None);
        }
        let hash = block.hash();
        match self.chain.import_block(&block)? {
            ImportOutcome::Extended | ImportOutcome::Reorganised { .. } => {
                tracing::info!(height = block.header.height, %hash, txs = block.txs.len(), "produced block");
                let _ = self.mined.try_send(block);
                Ok(Some(hash))
            }
            ImportOutcome::SideBranch | ImportOutcome::Known => Ok(None),
        }
    }

    /// Searches a nonce on `threads` scoped threads until one is found, the tip leaves
    /// `parent`, or the producer is stopped; continuous mining waits between batches while
    /// paused.
    fn search(&self, block: &mut Block, parent: Hash) -> bool {
        let pausable = self.config.continuous;
        let threads = self.config.threads.max(1) as u64;
        let found = AtomicBool::new(false);
        let winner = parking_lot::Mutex::new(None);
        std::thread::scope(|scope| {
            for i in 0..threads {
                let mut header = block.header;
                header.nonce = i.wrapping_mul(u64::MAX / threads);
                let found = &found;
                let winner = &winner;
                let pause = &self.pause;
                let hashes = &self.hashes;
                scope.spawn(move || {
                    loop {
                        while pausable && pause.is_paused() {
                            if found.load(Ordering::Relaxed)
                                || self.stop.load(Ordering::Relaxed)
                                || self.chain.store().tip().hash != parent
                            {
                                return;
                            }
                            std::thread::sleep(PAUSE_POLL);
                        }
                        let start = header.nonce;
                        let hit = mine(&mut header, BATCH);
                        hashes.fetch_add(
                            header
                                .nonce
                                .wrapping_sub(start)
                                .wrapping_add(u64::from(hit)),
                            Ordering::Relaxed,
                        );
                        if hit {
                            if !found.swap(true, Ordering::Relaxed) {
                                *winner.lock() = Some(header.nonce);
                            }
                            return;
                        }
                        if found.load(Ordering::Relaxed)
                            || self.stop.load(Ordering::Relaxed)
                            || self.chain.store().tip().hash != parent
                        {
                            return;
                        }
                    }
                });
            }
        });
        match winner.into_inner() {
            Some(nonce) => {
                block.header.nonce = nonce;
                true
            }
            None => false,
        }
    }
}
