//! An in-memory `RpcBackend` with fixed fixtures, standing in for the node in tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use infernet_rpc::views::*;
use infernet_rpc::{
    Address, Amount, Bytes, ComplaintQuery, H256, ListingQuery, PageQuery, RpcBackend, RpcError,
    RpcLimits, RpcServerHandle, U64String, Work,
};
use jsonrpsee::core::async_trait;
use tokio::sync::broadcast;

pub fn h(b: u8) -> H256 {
    H256([b; 32])
}

pub fn addr(b: u8) -> Address {
    Address([b; 32])
}

pub fn header(height: u64) -> HeaderView {
    HeaderView {
        hash: h(height as u8 + 100),
        height,
        version: 1,
        prev_hash: if height == 0 {
            H256::ZERO
        } else {
            h(height as u8 + 99)
        },
        timestamp: 1_700_000_000 + height * 2,
        target: h(0x0f),
        nonce: U64String(u64::MAX - height),
        tx_root: h(3),
        state_root: h(4),
    }
}

pub fn sealed() -> SealedBoxView {
    SealedBoxView {
        enc: h(0x55),
        ciphertext: Bytes(vec![1, 2, 3, 4]),
    }
}

pub fn sampling() -> SamplingView {
    SamplingView {
        temperature_milli: 700,
        top_p_milli: 900,
        top_k: 40,
        seed: U64String(1 << 60),
    }
}

pub fn transfer_tx() -> TransactionView {
    TransactionView {
        txid: h(0x71),
        sender: addr(1),
        nonce: 3,
        fee: Amount(1_000),
        size: 150,
        kind: TxKindView::Transfer {
            to: addr(2),
            amount: Amount(u64::MAX),
        },
    }
}

pub fn submit_job_tx() -> TransactionView {
    TransactionView {
        txid: h(0x72),
        sender: addr(1),
        nonce: 4,
        fee: Amount(2_000),
        size: 400,
        kind: TxKindView::SubmitJob {
            miner: addr(3),
            model: h(0x90),
            sealed_prompt: sealed(),
            reply_key: h(0x56),
            max_input_tokens: 512,
            max_output_tokens: 256,
            price_in: Amount(5),
            price_out: Amount(7),
            sampling: sampling(),
            expiry: 100,
            require_attestation: false,
        },
    }
}

pub fn block(height: u64) -> BlockView {
    BlockView {
        header: header(height),
        size: 1_000,
        coinbase: CoinbaseView {
            recipient: addr(3),
            amount: Amount(50_000_000_000),
        },
        transactions: vec![transfer_tx(), submit_job_tx()],
    }
}

pub fn tip() -> TipView {
    TipView {
        height: 2,
        hash: header(2).hash,
        cumulative_work: Work::from_u128(3 << 100),
    }
}

pub fn offer() -> OfferView {
    OfferView {
        model: h(0x90),
        price_in: Amount(5),
        price_out: Amount(7),
        max_output_tokens: 1024,
    }
}

pub fn model() -> ModelView {
    ModelView {
        id: h(0x90),
        owner: addr(4),
        name: "SmolLM2-135M-Instruct".into(),
        architecture: "llama".into(),
        context_length: 8192,
        royalty_bps: 250,
        parent: Some(ParentView {
            model: h(0x91),
            share_bps: 1000,
        }),
        registered_at: 1,
    }
}

pub fn miner() -> MinerView {
    MinerView {
        address: addr(3),
        serving_key: h(0x57),
        offers: vec![offer()],
        p2p_addr: "/ip4/127.0.0.1/tcp/30333".into(),
        attestation: AttestationView::Simulated {
            report_data: h(0x58),
        },
        bond: Amount(10_000),
        registered_at: 1,
        unbonding_at: None,
        reputation: ReputationView {
            served: 10,
            expired: 1,
            ratings_sum: 45,
            ratings_count: 10,
        },
    }
}

pub fn job(id: H256, status: JobStatus) -> JobView {
    JobView {
        id,
        user: addr(1),
        miner: addr(3),
        model: h(0x90),
        status,
        submitted_at: 2,
        expiry: 100,
        max_input_tokens: 512,
        max_output_tokens: 256,
        price_in: Amount(5),
        price_out: Amount(7),
        escrow: Amount(512 * 5 + 256 * 7),
        sampling: sampling(),
        require_attestation: false,
        settled_at: (status != JobStatus::Pending).then_some(3),
        record: (status == JobStatus::Completed).then_some(id),
        rating: None,
    }
}

pub const PENDING_JOB: u8 = 0x72;
pub const DONE_JOB: u8 = 0x74;

pub fn record(id: H256, owner: Address) -> RecordView {
    RecordView {
        id,
        owner,
        miner: addr(3),
        model: h(0x90),
        sealed_key: sealed(),
        payload: Bytes(vec![9; 64]),
        commitment: h(0x59),
        input_tokens: 20,
        output_tokens: 30,
        sampling: sampling(),
        user: addr(1),
        request_hash: h(0x5a),
        minted_at: 3,
        listing: Some(h(0x80)),
    }
}

pub fn listing() -> ListingView {
    ListingView {
        id: h(0x80),
        seller: addr(1),
        records: vec![h(DONE_JOB)],
        price: Amount(1_000_000),
        until: 500,
        title: "chats".into(),
        description: "one record".into(),
        created_at: 3,
        status: ListingStatus::Open,
        purchase: None,
    }
}

pub fn purchase() -> PurchaseView {
    PurchaseView {
        id: h(0x81),
        listing: h(0x80),
        buyer: addr(2),
        seller: addr(1),
        reply_key: h(0x57),
        price: Amount(1_000_000),
        deadline: 30,
        created_at: 10,
        status: PurchaseStatusView::Delivered,
        delivered_at: Some(12),
        refunded_at: None,
        complaint_deadline: Some(1_012),
    }
}

pub fn listing_detail() -> ListingDetailView {
    ListingDetailView {
        listing: ListingView {
            status: ListingStatus::Delivered,
            purchase: Some(h(0x81)),
            ..listing()
        },
        purchase_detail: Some(purchase()),
    }
}

/// Complaints of the fixture: three about purchase 0x81 (seller addr(1)), one about 0x82
/// (seller addr(5)).
pub fn complaints() -> Vec<ComplaintView> {
    let c = |purchase: u8, index: u32, seller: Address| ComplaintView {
        purchase: h(purchase),
        record_index: index,
        listing: h(0x80),
        record: h(0xa0 + index as u8),
        buyer: addr(2),
        seller,
        reason: ComplaintReasonView::CommitmentMismatch,
        detail: format!("record {index} does not match"),
        height: 14,
        txid: Some(h(0xc0 + index as u8)),
    };
    vec![
        c(0x81, 0, addr(1)),
        c(0x81, 1, addr(1)),
        c(0x81, 2, addr(1)),
        c(0x82, 0, addr(5)),
    ]
}

pub fn record_history() -> Vec<RecordEventView> {
    let e = |height: u64, kind: RecordEventKind, from: u8, to: Option<u8>| RecordEventView {
        height,
        txid: h(0xd0 + height as u8),
        kind,
        from: Some(addr(from)),
        to: to.map(addr),
        price: matches!(kind, RecordEventKind::Listed | RecordEventKind::Sold)
            .then_some(Amount(1_000_000)),
        listing: (kind != RecordEventKind::Minted).then_some(h(0x80)),
        purchase: (kind == RecordEventKind::Sold).then_some(h(0x81)),
    };
    vec![
        e(3, RecordEventKind::Minted, 3, Some(1)),
        e(4, RecordEventKind::Listed, 1, None),
        e(12, RecordEventKind::Sold, 1, Some(2)),
    ]
}

pub fn peer() -> PeerView {
    PeerView {
        peer_id: "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN".into(),
        addresses: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        direction: PeerDirection::Outbound,
        agent: Some("infernet/0.1.0".into()),
        tip_height: Some(2),
        score: Some(1.5),
    }
}

pub fn node_info() -> NodeInfoView {
    NodeInfoView {
        peer_id: peer().peer_id,
        listen_addrs: vec!["/ip4/127.0.0.1/tcp/4002".into()],
        version: "infernet-node/0.1.0".into(),
        chain: "dev".into(),
        chain_id: 1337,
        genesis_hash: header(0).hash,
        dev: true,
        mining: false,
    }
}

pub fn chain_info() -> ChainInfoView {
    ChainInfoView {
        chain: "dev".into(),
        chain_id: 1337,
        genesis_hash: header(0).hash,
        tip: tip(),
        block_time_secs: 2,
        min_fee_per_byte: Amount(10),
        complaint_window: 1_000,
        sync: SyncStatusView {
            syncing: false,
            current_height: 2,
            best_peer_height: Some(2),
            peers: 1,
        },
        mempool: MempoolView {
            count: 1,
            bytes: 150,
        },
    }
}

pub fn account(address: Address) -> AccountView {
    if address == addr(1) {
        AccountView {
            address,
            balance: Amount(12_345_678_901_234_567_890),
            nonce: 3,
            next_nonce: 4,
            reply_key: Some(h(0x56)),
        }
    } else {
        AccountView {
            address,
            balance: Amount(0),
            nonce: 0,
            next_nonce: 0,
            reply_key: None,
        }
    }
}

/// The test double: fixtures plus the broadcast channels subscriptions read.
pub struct MemBackend {
    pub heads: broadcast::Sender<HeaderView>,
    pub jobs: broadcast::Sender<JobView>,
    pub records: broadcast::Sender<RecordView>,
    pub blocked: Mutex<BTreeSet<String>>,
    pub last_page: Mutex<Option<PageQuery>>,
    pub last_listing_query: Mutex<Option<ListingQuery>>,
    pub last_complaint_query: Mutex<Option<ComplaintQuery>>,
    pub last_history_limit: Mutex<Option<u32>>,
    pub dev: bool,
}

impl MemBackend {
    pub fn new(dev: bool) -> Arc<MemBackend> {
        Arc::new(MemBackend {
            heads: broadcast::channel(16).0,
            jobs: broadcast::channel(16).0,
            records: broadcast::channel(16).0,
            blocked: Mutex::new(BTreeSet::new()),
            last_page: Mutex::new(None),
            last_listing_query: Mutex::new(None),
            last_complaint_query: Mutex::new(None),
            last_history_limit: Mutex::new(None),
            dev,
        })
    }
}

fn page_of<T: Clone>(items: &[T], page: &PageQuery) -> Page<T> {
    let start: usize = page
        .cursor
        .as_deref()
        .map(|c| c.parse().unwrap_or(0))
        .unwrap_or(0);
    let end = (start + page.limit as usize).min(items.len());
    let next_cursor = (end < items.len()).then(|| end.to_string());
    Page {
        items: items[start.min(end)..end].to_vec(),
        next_cursor,
    }
}

#[async_trait]
impl RpcBackend for MemBackend {
    async fn tip(&self) -> Result<TipView, RpcError> {
        Ok(tip())
    }
    async fn chain_info(&self) -> Result<ChainInfoView, RpcError> {
        Ok(chain_info())
    }
    async fn block_by_height(&self, height: u64) -> Result<Option<BlockView>, RpcError> {
        Ok((height <= 2).then(|| block(height)))
    }
    async fn block_by_hash(&self, hash: H256) -> Result<Option<BlockView>, RpcError> {
        Ok((0..=2).map(block).find(|b| b.header.hash == hash))
    }
    async fn header(&self, block_ref: BlockRef) -> Result<Option<HeaderView>, RpcError> {
        Ok(match block_ref {
            BlockRef::Height(n) => (n <= 2).then(|| header(n)),
            BlockRef::Hash(hash) => (0..=2).map(header).find(|x| x.hash == hash),
        })
    }
    async fn tx(&self, txid: H256) -> Result<Option<TxView>, RpcError> {
        Ok((txid == transfer_tx().txid).then(|| TxView {
            tx: transfer_tx(),
            status: TxStatus::Confirmed,
            block_hash: Some(header(2).hash),
            block_height: Some(2),
            confirmations: 1,
        }))
    }
    async fn send_tx(&self, bytes: Vec<u8>) -> Result<H256, RpcError> {
        match bytes.first() {
            Some(0xde) => Err(RpcError::TxDecode {
                message: "unknown tx kind 0xde".into(),
            }),
            Some(0x01) => Err(RpcError::TxRejected {
                rule: "nonce_too_low".into(),
                name: "nonce_too_low".into(),
                message: "nonce 0 is below the account's next nonce 3".into(),
            }),
            _ => {
                let mut id = [0u8; 32];
                for (i, b) in bytes.iter().enumerate() {
                    id[i % 32] ^= b;
                }
                Ok(H256(id))
            }
        }
    }
    async fn pending(&self, limit: u32) -> Result<Vec<TransactionView>, RpcError> {
        Ok(vec![transfer_tx(), submit_job_tx()]
            .into_iter()
            .take(limit as usize)
            .collect())
    }
    async fn account(&self, address: Address) -> Result<AccountView, RpcError> {
        Ok(account(address))
    }
    async fn model(&self, id: H256) -> Result<Option<ModelView>, RpcError> {
        Ok((id == model().id).then(model))
    }
    async fn models(&self, page: PageQuery) -> Result<Page<ModelView>, RpcError> {
        *self.last_page.lock().unwrap() = Some(page.clone());
        Ok(page_of(&[model()], &page))
    }
    async fn miner(&self, address: Address) -> Result<Option<MinerView>, RpcError> {
        Ok((address == miner().address).then(miner))
    }
    async fn miners(&self, page: PageQuery) -> Result<Page<MinerView>, RpcError> {
        *self.last_page.lock().unwrap() = Some(page.clone());
        Ok(page_of(&[miner()], &page))
    }
    async fn job(&self, id: H256) -> Result<Option<JobView>, RpcError> {
        Ok(if id == h(PENDING_JOB) {
            Some(job(id, JobStatus::Pending))
        } else if id == h(DONE_JOB) {
            Some(job(id, JobStatus::Completed))
        } else {
            None
        })
    }
    async fn record(&self, id: H256) -> Result<Option<RecordView>, RpcError> {
        Ok((id == h(DONE_JOB)).then(|| record(id, addr(1))))
    }
    async fn records_by_owner(
        &self,
        owner: Address,
        page: PageQuery,
    ) -> Result<Page<RecordView>, RpcError> {
        *self.last_page.lock().unwrap() = Some(page.clone());
        let all: Vec<RecordView> = if owner == addr(1) {
            (0..5).map(|i| record(h(0xa0 + i), owner)).collect()
        } else {
            vec![]
        };
        Ok(page_of(&all, &page))
    }
    async fn listings(&self, filter: ListingQuery) -> Result<Page<ListingView>, RpcError> {
        let matches = filter.seller.is_none_or(|s| s == listing().seller)
            && filter.status.is_none_or(|s| s == ListingStatus::Open);
        let page = filter.page.clone();
        *self.last_listing_query.lock().unwrap() = Some(filter);
        let items = if matches { vec![listing()] } else { vec![] };
        Ok(page_of(&items, &page))
    }
    async fn listing(&self, id: H256) -> Result<Option<ListingDetailView>, RpcError> {
        Ok((id == h(0x80)).then(listing_detail))
    }
    async fn purchase(&self, id: H256) -> Result<Option<PurchaseView>, RpcError> {
        Ok((id == h(0x81)).then(purchase))
    }
    async fn complaints(&self, query: ComplaintQuery) -> Result<Vec<ComplaintView>, RpcError> {
        *self.last_complaint_query.lock().unwrap() = Some(query.clone());
        Ok(complaints()
            .into_iter()
            .filter(|c| query.seller.is_none_or(|s| s == c.seller))
            .filter(|c| query.purchase.is_none_or(|p| p == c.purchase))
            .filter(|c| query.after.is_none_or(|a| (c.purchase, c.record_index) > a))
            .take(query.limit as usize)
            .collect())
    }
    async fn seller_stats(&self, address: Address) -> Result<SellerStatsView, RpcError> {
        let n = u64::from(address == addr(1));
        Ok(SellerStatsView {
            address,
            listings: 2 * n,
            sales: n,
            refunded: 0,
            cancelled: n,
            complaints: 3 * n,
        })
    }
    async fn record_history(&self, id: H256, limit: u32) -> Result<Vec<RecordEventView>, RpcError> {
        *self.last_history_limit.lock().unwrap() = Some(limit);
        Ok(if id == h(DONE_JOB) {
            record_history()
        } else {
            vec![]
        })
    }
    async fn peers(&self) -> Result<Vec<PeerView>, RpcError> {
        Ok(vec![peer()])
    }
    async fn node_info(&self) -> Result<NodeInfoView, RpcError> {
        Ok(node_info())
    }
    async fn dev_mine(&self, n: u32) -> Result<DevMineView, RpcError> {
        if !self.dev {
            return Err(RpcError::DevDisabled);
        }
        let blocks: Vec<H256> = (0..n).map(|i| h(200u8.wrapping_add(i as u8))).collect();
        let last = *blocks.last().unwrap_or(&tip().hash);
        Ok(DevMineView {
            blocks,
            tip: TipView {
                height: 2 + u64::from(n),
                hash: last,
                cumulative_work: Work::from_u128(1_000 + u128::from(n)),
            },
        })
    }
    async fn block_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        Ok(self.blocked.lock().unwrap().insert(peer_id))
    }
    async fn unblock_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        Ok(self.blocked.lock().unwrap().remove(&peer_id))
    }
    fn subscribe_new_heads(&self) -> broadcast::Receiver<HeaderView> {
        self.heads.subscribe()
    }
    fn subscribe_job_results(&self) -> broadcast::Receiver<JobView> {
        self.jobs.subscribe()
    }
    fn subscribe_records(&self) -> broadcast::Receiver<RecordView> {
        self.records.subscribe()
    }
}

pub async fn serve(backend: Arc<MemBackend>, limits: RpcLimits) -> RpcServerHandle {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    infernet_rpc::start(any, backend, limits).await.unwrap()
}
