//! The node's side of the network: gossip validation, serving sync requests, publishing
//! produced blocks and accepted transactions, and the sync driver.
//!
//! Gossip verdicts come from the import pipeline: a block that imports (or extends a side
//! branch with valid work) is accepted and forwarded; a known block or a block whose parent we
//! lack is ignored (not the sender's fault; the latter starts a sync with the sender); a block
//! that breaks a rule is rejected, which penalises the sender. Transactions that fail the
//! stateless checks (signature, limits) are rejected; those refused by the mempool (races on
//! nonces, a full pool) are ignored.
//!
//! The sync driver exchanges status with a peer when it connects, and with every peer on a
//! timer; when a peer claims more work it downloads headers by locator, then the bodies in
//! chunks with a bounded number of requests in flight, and imports them in order through the
//! same pipeline as gossip. A node that is behind therefore catches up without gossip.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use infernet_consensus::{U256, check_tx_stateless};
use infernet_network::{
    Client, NetworkEvent, PeerId, Status, SyncLimits, SyncRequest, SyncResponse, Validation,
};
use infernet_types::{Block, Encode, Hash, Header, SignedTransaction, decode_exact};
use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};

use crate::chain::{Chain, ImportError, ImportOutcome};

/// Body requests in flight at once during sync.
pub const MAX_BODY_REQUESTS_IN_FLIGHT: usize = 4;
/// How often the driver asks every peer for its status.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(3);
/// Peers waiting to be synced from (further requests are dropped: the timer retries).
const SYNC_QUEUE: usize = 64;

/// Shared state of the network services.
#[derive(Debug)]
pub struct NetService {
    chain: Arc<Chain>,
    client: Client,
    limits: SyncLimits,
    /// Best height each connected peer announced.
    peer_heights: Mutex<HashMap<PeerId, u64>>,
    /// True while a sync download runs.
    syncing: std::sync::atomic::AtomicBool,
    sync_requests: mpsc::Sender<PeerId>,
}

impl NetService {
    /// Builds the service and the receiver of peers to sync from (for [`NetService::run_sync`]).
    pub fn new(
        chain: Arc<Chain>,
        client: Client,
        limits: SyncLimits,
    ) -> (Arc<NetService>, mpsc::Receiver<PeerId>) {
        let (tx, rx) = mpsc::channel(SYNC_QUEUE);
        (
            Arc::new(NetService {
                chain,
                client,
                limits,
                peer_heights: Mutex::new(HashMap::new()),
                syncing: std::sync::atomic::AtomicBool::new(false),
                sync_requests: tx,
            }),
            rx,
        )
    }

    /// The network client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether a sync download is running.
    pub fn is_syncing(&self) -> bool {
        self.syncing.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The best height any connected peer announced.
    pub fn best_peer_height(&self) -> Option<u64> {
        self.peer_heights.lock().values().copied().max()
    }

    /// The height a peer announced.
    pub fn peer_height(&self, peer: &PeerId) -> Option<u64> {
        self.peer_heights.lock().get(peer).copied()
    }

    fn status(&self) -> Status {
        let tip = self.chain.store().tip();
        Status {
            genesis: self.chain.store().genesis_hash(),
            tip_hash: tip.hash,
            tip_height: tip.height(),
            cumulative_work: tip.work.to_be_bytes(),
        }
    }

    /// Handles network events until `shutdown` turns true or the network stops.
    pub async fn run_events(
        self: Arc<Self>,
        mut events: mpsc::Receiver<NetworkEvent>,
        mined: mpsc::Receiver<Block>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut mined = Some(mined);
        loop {
            let next_mined = async {
                match mined.as_mut() {
                    Some(m) => m.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.changed() => break,
                block = next_mined => match block {
                    Some(block) => {
                        if let Err(e) = self.client.publish_block(block.encode()).await {
                            tracing::debug!(error = %e, "cannot publish a produced block (no peers?)");
                        }
                    }
                    None => mined = None,
                },
                event = events.recv() => match event {
                    Some(event) => self.clone().handle(event).await,
                    None => break,
                },
            }
        }
    }

    async fn handle(self: Arc<Self>, event: NetworkEvent) {
        match event {
            NetworkEvent::GossipBlock { peer, msg_id, data } => {
                let verdict = self.on_gossip_block(peer, data).await;
                let _ = self.client.report_validation(msg_id, peer, verdict).await;
            }
            NetworkEvent::GossipTx { peer, msg_id, data } => {
                let verdict = self.on_gossip_tx(data).await;
                let _ = self.client.report_validation(msg_id, peer, verdict).await;
            }
            NetworkEvent::SyncRequest {
                peer,
                request,
                channel,
            } => {
                if let SyncRequest::Status(s) = &request {
                    self.peer_heights.lock().insert(peer, s.tip_height);
                }
                let this = self.clone();
                let response = tokio::task::spawn_blocking(move || this.answer(request)).await;
                match response {
                    Ok(Ok(r)) => {
                        if let Err(e) = self.client.respond(channel, r).await {
                            tracing::debug!(%peer, error = %e, "cannot answer a sync request");
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "cannot read the chain for a sync request")
                    }
                    Err(e) => tracing::error!(error = %e, "sync answer task failed"),
                }
            }
            NetworkEvent::PeerConnected { peer, .. } => {
                let _ = self.sync_requests.try_send(peer);
            }
            NetworkEvent::PeerDisconnected { peer } => {
                self.peer_heights.lock().remove(&peer);
            }
        }
    }

    async fn on_gossip_block(&self, peer: PeerId, data: Vec<u8>) -> Validation {
        let block: Block = match decode_exact(&data, &self.chain.spec().decode_limits()) {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "undecodable gossip block");
                return Validation::Reject;
            }
        };
        let chain = self.chain.clone();
        let height = block.header.height;
        let result = tokio::task::spawn_blocking(move || chain.import_block(&block)).await;
        match result {
            Ok(Ok(ImportOutcome::Extended | ImportOutcome::Reorganised { .. })) => {
                let mut heights = self.peer_heights.lock();
                let h = heights.entry(peer).or_insert(0);
                *h = (*h).max(height);
                Validation::Accept
            }
            Ok(Ok(ImportOutcome::SideBranch)) => Validation::Accept,
            Ok(Ok(ImportOutcome::Known)) => Validation::Ignore,
            Ok(Err(ImportError::UnknownParent { .. })) => {
                let _ = self.sync_requests.try_send(peer);
                Validation::Ignore
            }
            Ok(Err(e @ (ImportError::Invalid { .. } | ImportError::InvalidBranch(_)))) => {
                tracing::info!(%peer, error = %e, "peer sent an invalid block");
                Validation::Reject
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "importing a gossip block failed");
                Validation::Ignore
            }
            Err(e) => {
                tracing::error!(error = %e, "import task failed");
                Validation::Ignore
            }
        }
    }

    async fn on_gossip_tx(&self, data: Vec<u8>) -> Validation {
        let tx: SignedTransaction = match decode_exact(&data, &self.chain.spec().decode_limits()) {
            Ok(t) => t,
            Err(_) => return Validation::Reject,
        };
        let chain = self.chain.clone();
        let result = tokio::task::spawn_blocking(move || {
            check_tx_stateless(&tx, chain.spec())
                .map_err(|_| true)
                .and_then(|_| chain.submit_tx(tx).map_err(|_| false))
        })
        .await;
        match result {
            Ok(Ok(_)) => Validation::Accept,
            Ok(Err(true)) => Validation::Reject,
            _ => Validation::Ignore,
        }
    }

    /// Publishes a transaction this node accepted (from RPC).
    pub async fn publish_tx(&self, tx: &SignedTransaction) {
        if let Err(e) = self.client.publish_tx(tx.encode()).await {
            tracing::debug!(error = %e, "cannot publish a transaction (no peers?)");
        }
    }

    /// Answers a sync request from the store (blocking reads).
    fn answer(&self, request: SyncRequest) -> Result<SyncResponse, infernet_storage::StorageError> {
        let store = self.chain.store();
        Ok(match request {
            SyncRequest::Status(_) => SyncResponse::Status(self.status()),
            SyncRequest::GetHeaders { locator, max } => {
                let mut start = 0;
                for h in &locator {
                    if let Some(info) = store.block_info(h)?
                        && info.on_main_chain
                    {
                        start = info.header.height + 1;
                        break;
                    }
                }
                let max = (max as usize).min(self.limits.max_headers);
                let headers = store.main_headers(start, max)?;
                SyncResponse::Headers(headers)
            }
            SyncRequest::GetBodies { hashes } => {
                let mut bodies = Vec::new();
                let mut bytes = 0usize;
                for h in hashes.iter().take(self.limits.max_bodies) {
                    let Some(block) = store.block(h)? else {
                        break;
                    };
                    bytes += block.encoded_len() + 8;
                    if bytes > self.limits.max_response_bytes / 2 {
                        break;
                    }
                    bodies.push(block);
                }
                SyncResponse::Bodies(bodies)
            }
        })
    }

    /// Runs the sync driver until `shutdown` turns true.
    pub async fn run_sync(
        self: Arc<Self>,
        mut peers: mpsc::Receiver<PeerId>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut timer = tokio::time::interval(STATUS_INTERVAL);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let candidates: Vec<PeerId> = tokio::select! {
                _ = shutdown.changed() => break,
                peer = peers.recv() => match peer {
                    Some(p) => vec![p],
                    None => break,
                },
                _ = timer.tick() => match self.client.peers().await {
                    Ok(p) => p.into_iter().map(|i| i.peer_id).collect(),
                    Err(_) => break,
                },
            };
            for peer in candidates {
                if *shutdown.borrow() {
                    return;
                }
                if let Err(e) = self.sync_with(peer).await {
                    tracing::debug!(%peer, error = %e, "sync with peer stopped");
                }
            }
        }
    }

    /// Catches up with `peer` if it claims more work than we have.
    async fn sync_with(&self, peer: PeerId) -> Result<(), SyncError> {
        let ours = self.status();
        let SyncResponse::Status(theirs) = self
            .client
            .request(peer, SyncRequest::Status(ours.clone()))
            .await?
        else {
            return Err(SyncError::Protocol("status answered with something else"));
        };
        self.peer_heights.lock().insert(peer, theirs.tip_height);
        if theirs.genesis != ours.genesis {
            return Err(SyncError::Protocol("peer is on another chain"));
        }
        let their_work = U256::from_be_bytes(theirs.cumulative_work);
        if their_work <= self.chain.store().tip().work {
            return Ok(());
        }
        self.syncing
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let result = self.download(peer).await;
        self.syncing
            .store(false, std::sync::atomic::Ordering::Relaxed);
        result
    }

    async fn download(&self, peer: PeerId) -> Result<(), SyncError> {
        loop {
            let locator = self.locator()?;
            let SyncResponse::Headers(raw) = self
                .client
                .request(
                    peer,
                    SyncRequest::GetHeaders {
                        locator,
                        max: u32::try_from(self.limits.max_headers).unwrap_or(u32::MAX),
                    },
                )
                .await?
            else {
                return Err(SyncError::Protocol("headers answered with something else"));
            };
            if raw.is_empty() {
                return Ok(());
            }
            let full_batch = raw.len() >= self.limits.max_headers;
            let hashes: Vec<Hash> = raw.iter().map(Header::hash).collect();
            // Skip blocks we already hold (a peer on our own chain answers from our tip).
            let mut new_hashes = Vec::new();
            for h in hashes {
                if self.chain.store().block_info(&h)?.is_none() {
                    new_hashes.push(h);
                }
            }
            let chunks: Vec<Vec<Hash>> = new_hashes
                .chunks(self.limits.max_bodies.max(1))
                .map(<[_]>::to_vec)
                .collect();
            let mut bodies = futures::stream::iter(chunks)
                .map(|chunk| {
                    let client = self.client.clone();
                    async move {
                        let resp = client
                            .request(
                                peer,
                                SyncRequest::GetBodies {
                                    hashes: chunk.clone(),
                                },
                            )
                            .await;
                        (chunk, resp)
                    }
                })
                .buffered(MAX_BODY_REQUESTS_IN_FLIGHT);
            let mut progressed = false;
            while let Some((chunk, resp)) = bodies.next().await {
                let SyncResponse::Bodies(raw) = resp? else {
                    return Err(SyncError::Protocol("bodies answered with something else"));
                };
                if raw.len() != chunk.len() {
                    return Err(SyncError::Protocol(
                        "peer did not send every body asked for",
                    ));
                }
                for (block, want) in raw.iter().zip(&chunk) {
                    if block.hash() != *want {
                        return Err(SyncError::Protocol("body does not match its header"));
                    }
                }
                let blocks = raw;
                let chain = self.chain.clone();
                let imported = tokio::task::spawn_blocking(move || {
                    for b in &blocks {
                        chain.import_block(b)?;
                    }
                    Ok::<_, ImportError>(blocks.len())
                })
                .await
                .map_err(|_| SyncError::Protocol("import task failed"))??;
                progressed |= imported > 0;
            }
            if !full_batch || !progressed {
                return Ok(());
            }
        }
    }

    /// Hashes from our tip backwards: the last ten one by one, then doubling steps, ending
    /// with genesis (at most the protocol's locator length).
    fn locator(&self) -> Result<Vec<Hash>, SyncError> {
        let store = self.chain.store();
        let tip = store.tip().height();
        let mut out = Vec::new();
        let mut height = tip;
        let mut step = 1u64;
        while out.len() + 1 < self.limits.max_locator {
            if let Some(h) = store.hash_at(height)? {
                out.push(h);
            }
            if height == 0 {
                return Ok(out);
            }
            if out.len() >= 10 {
                step = step.saturating_mul(2);
            }
            height = height.saturating_sub(step);
        }
        out.push(store.genesis_hash());
        Ok(out)
    }
}

/// Why a sync with one peer stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request failed (timeout, disconnect, limits).
    #[error("sync request failed: {0}")]
    Network(#[from] infernet_network::NetworkError),
    /// The peer broke the protocol.
    #[error("peer broke the sync protocol: {0}")]
    Protocol(&'static str),
    /// A downloaded block did not import.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Reading our chain failed.
    #[error("storage failed during sync: {0}")]
    Storage(#[from] infernet_storage::StorageError),
}
