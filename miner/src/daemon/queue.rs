//! The bounded worker queue jobs wait in before a worker thread serves them.
//!
//! Jobs come from two places — the mempool (to start early) and blocks — so the queue drops
//! a job it has already seen. It holds at most `capacity` waiting jobs: a job offered to a
//! full queue is refused (and left to expire and be refunded) rather than buffered without
//! bound. Workers are plain `std` threads (inference is CPU-bound and must not block the
//! node's async runtime); before serving, a worker skips a job whose expiry is too close for
//! its result to be included. [`JobQueue::pending`] is the number of jobs queued or running;
//! each such job holds a [`PauseGuard`] on the node's [`MiningPause`] (when the queue was given
//! one), so the proof-of-work search stops hashing from the moment a job is queued until the
//! last waiting job is served: mining yields the CPU to inference.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use infernet_node::producer::{MiningPause, PauseGuard};
use infernet_types::{JobId, TxKind};

use super::serve::{Inference, JobRequest, ServeContext, ServeError, serve_job};

/// Why a job was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue is full.
    #[error("job {job} not queued: {capacity} jobs are already waiting")]
    Full {
        /// The job.
        job: JobId,
        /// The queue's capacity.
        capacity: usize,
    },
    /// The workers have stopped.
    #[error("job {job} not queued: the workers have stopped")]
    Stopped {
        /// The job.
        job: JobId,
    },
    /// The job expires before a result could be included.
    #[error("job {job} expires at height {expiry}, too soon to serve at height {tip}")]
    TooLate {
        /// The job.
        job: JobId,
        /// Its expiry height.
        expiry: u64,
        /// The current tip height.
        tip: u64,
    },
}

/// What became of a job a worker picked up.
#[derive(Debug)]
pub enum JobOutcome {
    /// Served: the `PostResult` to sign and submit.
    Served {
        /// The job.
        job: JobRequest,
        /// The `PostResult` kind (boxed: it carries the encrypted payload).
        result: Box<TxKind>,
    },
    /// Not served; it will expire and be refunded.
    Failed {
        /// The job.
        job: JobRequest,
        /// Why.
        error: ServeError,
    },
    /// Skipped: its expiry came too close while it waited.
    Expired {
        /// The job.
        job: JobRequest,
    },
}

/// Whether a result posted now (included at `tip + 1` at the earliest) can beat `expiry`.
#[must_use]
pub fn servable(tip: u64, expiry: u64) -> bool {
    tip.saturating_add(1) < expiry
}

/// A job waiting for a worker, with the pause it holds on block production.
struct Queued {
    job: JobRequest,
    _pause: Option<PauseGuard>,
}

/// The bounded queue and its workers. Dropping it stops the workers after their current job.
pub struct JobQueue {
    sender: Option<SyncSender<Queued>>,
    pause: Option<MiningPause>,
    capacity: usize,
    pending: Arc<AtomicUsize>,
    tip: Arc<AtomicU64>,
    /// Jobs already taken, with their expiry (pruned once expired).
    seen: Mutex<HashMap<JobId, u64>>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobQueue")
            .field("capacity", &self.capacity)
            .field("pending", &self.pending())
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl JobQueue {
    /// Starts `workers` threads serving jobs with `ctx` and `inference`, each outcome handed
    /// to `on_outcome` (on the worker thread). `tip` is the chain's tip height, kept current by
    /// the caller. With `pause`, block production's nonce search is paused while a job is
    /// queued or running.
    pub fn start(
        workers: usize,
        capacity: usize,
        ctx: Arc<ServeContext>,
        inference: Arc<dyn Inference>,
        tip: Arc<AtomicU64>,
        on_outcome: Arc<dyn Fn(JobOutcome) + Send + Sync>,
        pause: Option<MiningPause>,
    ) -> Result<Self, std::io::Error> {
        let capacity = capacity.max(1);
        let (sender, receiver) = sync_channel::<Queued>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let pending = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(workers.max(1));
        for i in 0..workers.max(1) {
            let w = Worker {
                receiver: Arc::clone(&receiver),
                ctx: Arc::clone(&ctx),
                inference: Arc::clone(&inference),
                tip: Arc::clone(&tip),
                pending: Arc::clone(&pending),
                on_outcome: Arc::clone(&on_outcome),
            };
            handles.push(
                std::thread::Builder::new()
                    .name(format!("job-worker-{i}"))
                    .spawn(move || w.run())?,
            );
        }
        Ok(JobQueue {
            sender: Some(sender),
            pause,
            capacity,
            pending,
            tip,
            seen: Mutex::new(HashMap::new()),
            workers: handles,
        })
    }

    /// Offers a job. `Ok(false)` when it was already taken (seen in the mempool, then in a
    /// block); `Ok(true)` when queued.
    pub fn offer(&self, job: JobRequest) -> Result<bool, QueueError> {
        let tip = self.tip.load(Ordering::Acquire);
        if !servable(tip, job.expiry) {
            return Err(QueueError::TooLate {
                job: job.id,
                expiry: job.expiry,
                tip,
            });
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, expiry| *expiry > tip);
        if seen.contains_key(&job.id) {
            return Ok(false);
        }
        let Some(sender) = &self.sender else {
            return Err(QueueError::Stopped { job: job.id });
        };
        let (id, expiry) = (job.id, job.expiry);
        self.pending.fetch_add(1, Ordering::AcqRel);
        let queued = Queued {
            job,
            _pause: self.pause.as_ref().map(MiningPause::hold),
        };
        match sender.try_send(queued) {
            Ok(()) => {
                seen.insert(id, expiry);
                Ok(true)
            }
            Err(e) => {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                Err(match e {
                    TrySendError::Full(_) => QueueError::Full {
                        job: id,
                        capacity: self.capacity,
                    },
                    TrySendError::Disconnected(_) => QueueError::Stopped { job: id },
                })
            }
        }
    }

    /// Jobs queued or being served (block production is paused while this is non-zero).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }
}

impl Drop for JobQueue {
    fn drop(&mut self) {
        self.sender = None;
        for h in self.workers.drain(..) {
            // A worker that panicked has already reported through its thread; nothing to add.
            let _ = h.join();
        }
    }
}

struct Worker {
    receiver: Arc<Mutex<Receiver<Queued>>>,
    ctx: Arc<ServeContext>,
    inference: Arc<dyn Inference>,
    tip: Arc<AtomicU64>,
    pending: Arc<AtomicUsize>,
    on_outcome: Arc<dyn Fn(JobOutcome) + Send + Sync>,
}

impl Worker {
    fn run(self) {
        loop {
            let next = {
                let rx = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
                rx.recv()
            };
            let Ok(Queued { job, _pause: pause }) = next else {
                return;
            };
            let outcome = if !servable(self.tip.load(Ordering::Acquire), job.expiry) {
                JobOutcome::Expired { job }
            } else {
                match serve_job(&self.ctx, &job, self.inference.as_ref()) {
                    Ok(result) => JobOutcome::Served {
                        job,
                        result: Box::new(result),
                    },
                    Err(error) => JobOutcome::Failed { job, error },
                }
            };
            (self.on_outcome)(outcome);
            self.pending.fetch_sub(1, Ordering::AcqRel);
            // Mining resumes once no other job holds the pause.
            drop(pause);
        }
    }
}
