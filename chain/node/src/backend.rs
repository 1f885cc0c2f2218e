//! The node's [`RpcBackend`]: answers the JSON-RPC API from the store, the mempool, the
//! network service and the block producer.
//!
//! Paged state listings (models, miners, listings) scan the state column (the store keeps no
//! per-kind index yet), which is fine for local and test networks; complaints scan the
//! complaint entries of the state (by key prefix); records by owner use the store's owner
//! index, record histories its record history index.

use std::sync::Arc;

use async_trait::async_trait;
use infernet_consensus::StateView;
use infernet_mempool::MempoolError;
use infernet_rpc::convert::{
    account_view, complaint_view, listing_view, purchase_view, seller_stats_view,
};
use infernet_rpc::views::{
    BlockRef, BlockView, ChainInfoView, ComplaintView, DevMineView, HeaderView, JobView,
    ListingDetailView, ListingView, MempoolView, MinerView, ModelView, NodeInfoView, Page,
    PeerDirection, PeerView, PurchaseView, RecordEventKind as EventKindView, RecordEventView,
    RecordView, SellerStatsView, SyncStatusView, TipView, TransactionView, TxStatus, TxView,
};
use infernet_rpc::{
    Address, ComplaintQuery, H256, ListingQuery, PageQuery, RpcBackend, RpcError, Work,
};
use infernet_storage::{RecordEvent, RecordEventKind};
use infernet_types::{
    Account, Complaint, Hash, SellerStats, SignedTransaction, StateKey, StateValue, decode_exact,
};
use tokio::sync::broadcast;

use crate::chain::Chain;
use crate::net::NetService;
use crate::producer::{ProduceError, ProducerHandle};

/// The node's answers to the RPC API.
#[derive(Debug, Clone)]
pub struct NodeBackend {
    chain: Arc<Chain>,
    net: Option<Arc<NetService>>,
    producer: ProducerHandle,
    mining: bool,
    listen_addrs: Vec<String>,
}

impl NodeBackend {
    /// A backend over the node's services.
    pub fn new(
        chain: Arc<Chain>,
        net: Option<Arc<NetService>>,
        producer: ProducerHandle,
        mining: bool,
        listen_addrs: Vec<String>,
    ) -> Self {
        NodeBackend {
            chain,
            net,
            producer,
            mining,
            listen_addrs,
        }
    }

    fn tip_view(&self) -> TipView {
        let tip = self.chain.store().tip();
        TipView {
            height: tip.height(),
            hash: tip.hash.into(),
            cumulative_work: Work(tip.work.to_be_bytes()),
        }
    }

    fn net(&self) -> Result<&Arc<NetService>, RpcError> {
        self.net.as_ref().ok_or_else(|| RpcError::Unavailable {
            message: "this node runs without a p2p network".into(),
        })
    }

    /// Reads every state entry with `pick`, sorted by id, paged by a hex cursor.
    async fn scan_state<T: Send + 'static>(
        &self,
        page: PageQuery,
        pick: impl Fn(&StateKey, &StateValue, &Chain) -> Option<([u8; 32], T)> + Send + 'static,
    ) -> Result<Page<T>, RpcError> {
        let chain = self.chain.clone();
        let after = match &page.cursor {
            Some(c) => Some(parse_cursor(c)?),
            None => None,
        };
        tokio::task::spawn_blocking(move || {
            let entries = chain.store().state_entries().map_err(internal)?;
            let mut items: Vec<([u8; 32], T)> = entries
                .iter()
                .filter_map(|(k, v)| pick(k, v, &chain))
                .filter(|(id, _)| after.is_none_or(|a| *id > a))
                .collect();
            items.sort_by_key(|a| a.0);
            let limit = page.limit as usize;
            let next_cursor = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|(id, _)| hex::encode(id))
            } else {
                None
            };
            Ok(Page {
                items: items.into_iter().map(|(_, t)| t).collect(),
                next_cursor,
            })
        })
        .await
        .map_err(internal)?
    }

    fn state(&self, key: &StateKey) -> Result<Option<StateValue>, RpcError> {
        self.chain.store().get(key).map_err(internal)
    }

    /// A purchase's view, with the seller read from its listing.
    fn purchase_view(&self, id: Hash) -> Result<Option<PurchaseView>, RpcError> {
        let Some(StateValue::Purchase(p)) = self.state(&StateKey::Purchase(id))? else {
            return Ok(None);
        };
        let Some(StateValue::Listing(l)) = self.state(&StateKey::Listing(p.listing))? else {
            return Err(internal(format!(
                "purchase {id} names listing {}, which is not in the state",
                p.listing
            )));
        };
        Ok(Some(purchase_view(
            &p,
            l.seller.into(),
            self.chain.spec().complaint_window,
        )))
    }

    /// The txid of the `Complain` that filed `c`, from the record history index.
    fn complaint_txid(&self, c: &Complaint) -> Result<Option<H256>, RpcError> {
        let events = self
            .chain
            .store()
            .record_history(&c.record, usize::MAX)
            .map_err(internal)?;
        Ok(events
            .iter()
            .find(|e| {
                e.kind == RecordEventKind::Complained
                    && e.purchase == Some(c.purchase)
                    && e.height == c.height
            })
            .map(|e| e.txid.into()))
    }
}

fn event_view(e: &RecordEvent) -> RecordEventView {
    RecordEventView {
        height: e.height,
        txid: e.txid.into(),
        kind: match e.kind {
            RecordEventKind::Minted => EventKindView::Minted,
            RecordEventKind::Transferred => EventKindView::Transferred,
            RecordEventKind::Listed => EventKindView::Listed,
            RecordEventKind::ListingCancelled => EventKindView::ListingCancelled,
            RecordEventKind::Sold => EventKindView::Sold,
            RecordEventKind::Complained => EventKindView::Complained,
        },
        from: e.from.map(Address::from),
        to: e.to.map(Address::from),
        price: e.price.map(Into::into),
        listing: e.listing.map(H256::from),
        purchase: e.purchase.map(H256::from),
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::internal(e.to_string())
}

fn parse_cursor(c: &str) -> Result<[u8; 32], RpcError> {
    let bytes = hex::decode(c).map_err(|_| RpcError::invalid_params("cursor is not hex"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| RpcError::invalid_params("cursor must be 32 bytes of hex"))
}

fn mempool_error(e: MempoolError, txid: Hash) -> RpcError {
    use infernet_mempool::PoolReject;
    match e {
        MempoolError::Pool(PoolReject::Duplicate(_)) => RpcError::TxKnown { txid: txid.into() },
        MempoolError::Pool(PoolReject::Full) => RpcError::MempoolFull {
            message: PoolReject::Full.to_string(),
        },
        MempoolError::Pool(p) => RpcError::TxRejected {
            rule: pool_rule(&p).into(),
            name: pool_rule(&p).into(),
            message: p.to_string(),
        },
        MempoolError::Invalid(t) => RpcError::TxRejected {
            rule: t.rule().into(),
            name: t.name().into(),
            message: t.to_string(),
        },
        MempoolError::State(s) => internal(s),
    }
}

fn pool_rule(p: &infernet_mempool::PoolReject) -> &'static str {
    use infernet_mempool::PoolReject;
    match p {
        PoolReject::Duplicate(_) => "duplicate",
        PoolReject::NonceTooLow { .. } => "nonce_too_low",
        PoolReject::NonceGap { .. } => "nonce_gap",
        PoolReject::NonceWindow { .. } => "nonce_window",
        PoolReject::ReplacementUnderpriced { .. } => "replacement_underpriced",
        PoolReject::TooLarge { .. } => "too_large",
        PoolReject::Full => "mempool_full",
    }
}

fn tx_view_pending(tx: &SignedTransaction) -> TxView {
    TxView {
        tx: TransactionView::from(tx),
        status: TxStatus::Pending,
        block_hash: None,
        block_height: None,
        confirmations: 0,
    }
}

#[async_trait]
impl RpcBackend for NodeBackend {
    async fn tip(&self) -> Result<TipView, RpcError> {
        Ok(self.tip_view())
    }

    async fn chain_info(&self) -> Result<ChainInfoView, RpcError> {
        let spec = self.chain.spec();
        let (count, bytes) = {
            let m = self.chain.mempool();
            (m.len() as u64, m.bytes() as u64)
        };
        let (peers, best, syncing) = match &self.net {
            Some(n) => (
                n.client().peers().await.map_or(0, |p| p.len() as u32),
                n.best_peer_height(),
                n.is_syncing(),
            ),
            None => (0, None, false),
        };
        let tip = self.tip_view();
        Ok(ChainInfoView {
            chain: spec.name.clone(),
            chain_id: spec.chain_id,
            genesis_hash: self.chain.store().genesis_hash().into(),
            block_time_secs: spec.block_time_secs,
            min_fee_per_byte: spec.min_fee_per_byte.into(),
            complaint_window: spec.complaint_window,
            sync: SyncStatusView {
                syncing,
                current_height: tip.height,
                best_peer_height: best,
                peers,
            },
            tip,
            mempool: MempoolView { count, bytes },
        })
    }

    async fn block_by_height(&self, height: u64) -> Result<Option<BlockView>, RpcError> {
        let block = self.chain.store().block_at(height).map_err(internal)?;
        Ok(block.as_ref().map(BlockView::from))
    }

    async fn block_by_hash(&self, hash: H256) -> Result<Option<BlockView>, RpcError> {
        let block = self.chain.store().block(&hash.into()).map_err(internal)?;
        Ok(block.as_ref().map(BlockView::from))
    }

    async fn header(&self, block: BlockRef) -> Result<Option<HeaderView>, RpcError> {
        let store = self.chain.store();
        let header = match block {
            BlockRef::Height(h) => match store.hash_at(h).map_err(internal)? {
                Some(hash) => store.header(&hash).map_err(internal)?,
                None => None,
            },
            BlockRef::Hash(h) => store.header(&h.into()).map_err(internal)?,
        };
        Ok(header.as_ref().map(HeaderView::from))
    }

    async fn tx(&self, txid: H256) -> Result<Option<TxView>, RpcError> {
        let id: Hash = txid.into();
        if let Some(tx) = self.chain.mempool().get(&id).cloned() {
            return Ok(Some(tx_view_pending(&tx)));
        }
        let Some(loc) = self.chain.store().transaction(&id).map_err(internal)? else {
            return Ok(None);
        };
        let tip = self.chain.store().tip().height();
        Ok(Some(TxView {
            tx: TransactionView::from(&loc.tx),
            status: TxStatus::Confirmed,
            block_hash: Some(loc.block.into()),
            block_height: Some(loc.height),
            confirmations: tip.saturating_sub(loc.height) + 1,
        }))
    }

    async fn send_tx(&self, bytes: Vec<u8>) -> Result<H256, RpcError> {
        let tx: SignedTransaction = decode_exact(&bytes, &self.chain.spec().decode_limits())
            .map_err(|e| RpcError::TxDecode {
                message: e.to_string(),
            })?;
        let txid = tx.txid();
        let chain = self.chain.clone();
        let admitted = tx.clone();
        tokio::task::spawn_blocking(move || chain.submit_tx(admitted))
            .await
            .map_err(internal)?
            .map_err(|e| mempool_error(e, txid))?;
        if let Some(net) = &self.net {
            net.publish_tx(&tx).await;
        }
        Ok(txid.into())
    }

    async fn pending(&self, limit: u32) -> Result<Vec<TransactionView>, RpcError> {
        let txs = self.chain.mempool().select(usize::MAX, usize::MAX);
        Ok(txs
            .iter()
            .take(limit as usize)
            .map(TransactionView::from)
            .collect())
    }

    async fn account(
        &self,
        address: Address,
    ) -> Result<infernet_rpc::views::AccountView, RpcError> {
        let addr: infernet_types::Address = address.into();
        let account = match self.state(&StateKey::Account(addr))? {
            Some(StateValue::Account(a)) => a,
            _ => Account {
                balance: infernet_types::Amount::ZERO,
                nonce: 0,
                reply_key: None,
            },
        };
        let next = self
            .chain
            .mempool()
            .next_nonce(&addr, self.chain.store())
            .map_err(internal)?;
        Ok(account_view(address, &account, next))
    }

    async fn model(&self, id: H256) -> Result<Option<ModelView>, RpcError> {
        Ok(match self.state(&StateKey::Model(id.into()))? {
            Some(StateValue::Model(m)) => Some(ModelView::from(&m)),
            _ => None,
        })
    }

    async fn models(&self, page: PageQuery) -> Result<Page<ModelView>, RpcError> {
        self.scan_state(page, |_, v, _| match v {
            StateValue::Model(m) => Some((m.id.0, ModelView::from(m))),
            _ => None,
        })
        .await
    }

    async fn miner(&self, address: Address) -> Result<Option<MinerView>, RpcError> {
        Ok(match self.state(&StateKey::Miner(address.into()))? {
            Some(StateValue::Miner(m)) => Some(MinerView::from(&m)),
            _ => None,
        })
    }

    async fn miners(&self, page: PageQuery) -> Result<Page<MinerView>, RpcError> {
        self.scan_state(page, |_, v, _| match v {
            StateValue::Miner(m) => Some((m.address.0, MinerView::from(m))),
            _ => None,
        })
        .await
    }

    async fn job(&self, id: H256) -> Result<Option<JobView>, RpcError> {
        Ok(match self.state(&StateKey::Job(id.into()))? {
            Some(StateValue::Job(j)) => Some(JobView::from(&j)),
            _ => None,
        })
    }

    async fn record(&self, id: H256) -> Result<Option<RecordView>, RpcError> {
        Ok(match self.state(&StateKey::Record(id.into()))? {
            Some(StateValue::Record(r)) => Some(RecordView::from(&r)),
            _ => None,
        })
    }

    async fn records_by_owner(
        &self,
        owner: Address,
        page: PageQuery,
    ) -> Result<Page<RecordView>, RpcError> {
        let after = match &page.cursor {
            Some(c) => Some(Hash(parse_cursor(c)?)),
            None => None,
        };
        let limit = page.limit as usize;
        let ids = self
            .chain
            .store()
            .records_by_owner(&owner.into(), after.as_ref(), limit + 1)
            .map_err(internal)?;
        let mut items = Vec::new();
        for id in ids.iter().take(limit) {
            if let Some(StateValue::Record(r)) = self.state(&StateKey::Record(*id))? {
                items.push(RecordView::from(&r));
            }
        }
        let next_cursor = if ids.len() > limit {
            ids.get(limit - 1).map(|id| hex::encode(id.0))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn listings(&self, filter: ListingQuery) -> Result<Page<ListingView>, RpcError> {
        let tip = self.chain.store().tip().height();
        let seller = filter.seller.map(infernet_types::Address::from);
        let model = filter.model.map(Hash::from);
        let status = filter.status;
        self.scan_state(filter.page, move |_, v, chain| {
            let StateValue::Listing(l) = v else {
                return None;
            };
            if seller.is_some_and(|s| s != l.seller) {
                return None;
            }
            if let Some(m) = model {
                let has = l.records.iter().any(|r| {
                    matches!(
                        chain.store().get(&StateKey::Record(*r)),
                        Ok(Some(StateValue::Record(rec))) if rec.receipt.model == m
                    )
                });
                if !has {
                    return None;
                }
            }
            let view = listing_view(l, tip);
            if status.is_some_and(|s| s != view.status) {
                return None;
            }
            Some((l.id.0, view))
        })
        .await
    }

    async fn listing(&self, id: H256) -> Result<Option<ListingDetailView>, RpcError> {
        let Some(StateValue::Listing(l)) = self.state(&StateKey::Listing(id.into()))? else {
            return Ok(None);
        };
        let tip = self.chain.store().tip().height();
        let listing = listing_view(&l, tip);
        let purchase_detail = match listing.purchase {
            Some(p) => self.purchase_view(p.into())?,
            None => None,
        };
        Ok(Some(ListingDetailView {
            listing,
            purchase_detail,
        }))
    }

    async fn purchase(&self, id: H256) -> Result<Option<PurchaseView>, RpcError> {
        self.purchase_view(id.into())
    }

    async fn complaints(&self, query: ComplaintQuery) -> Result<Vec<ComplaintView>, RpcError> {
        // Complaint keys are tag 11 ‖ purchase ‖ index: a purchase filter narrows the scan.
        let mut prefix = vec![StateKey::Complaint(Hash::ZERO, 0).tag()];
        if let Some(p) = query.purchase {
            prefix.extend_from_slice(&p.0);
        }
        let entries = self
            .chain
            .store()
            .state_with_prefix(&prefix, usize::MAX)
            .map_err(internal)?;
        let seller = query.seller.map(infernet_types::Address::from);
        let after = query.after.map(|(p, i)| (Hash::from(p), i));
        let mut picked: Vec<Complaint> = entries
            .into_iter()
            .filter_map(|(_, v)| match v {
                StateValue::Complaint(c) => Some(c),
                _ => None,
            })
            .filter(|c| seller.is_none_or(|s| s == c.seller))
            .filter(|c| after.is_none_or(|a| (c.purchase, c.record_index) > a))
            .collect();
        picked.sort_by_key(|c| (c.purchase, c.record_index));
        picked.truncate(query.limit as usize);
        picked
            .iter()
            .map(|c| Ok(complaint_view(c, self.complaint_txid(c)?)))
            .collect()
    }

    async fn seller_stats(&self, address: Address) -> Result<SellerStatsView, RpcError> {
        let stats = match self.state(&StateKey::SellerStats(address.into()))? {
            Some(StateValue::SellerStats(s)) => s,
            _ => SellerStats::default(),
        };
        Ok(seller_stats_view(address, &stats))
    }

    async fn record_history(&self, id: H256, limit: u32) -> Result<Vec<RecordEventView>, RpcError> {
        let events = self
            .chain
            .store()
            .record_history(&id.into(), limit as usize)
            .map_err(internal)?;
        Ok(events.iter().map(event_view).collect())
    }

    async fn peers(&self) -> Result<Vec<PeerView>, RpcError> {
        let net = self.net()?;
        let peers = net.client().peers().await.map_err(internal)?;
        Ok(peers
            .into_iter()
            .map(|p| PeerView {
                peer_id: p.peer_id.to_string(),
                addresses: p.addresses.iter().map(ToString::to_string).collect(),
                direction: if p.outbound {
                    PeerDirection::Outbound
                } else {
                    PeerDirection::Inbound
                },
                agent: p.agent_version,
                tip_height: net.peer_height(&p.peer_id),
                score: p.gossip_score,
            })
            .collect())
    }

    async fn node_info(&self) -> Result<NodeInfoView, RpcError> {
        let spec = self.chain.spec();
        let (peer_id, listen_addrs) = match &self.net {
            Some(n) => {
                let addrs = n.client().listen_addrs().await.map_err(internal)?;
                let id = n.client().local_peer_id();
                (
                    id.to_string(),
                    addrs.iter().map(|a| format!("{a}/p2p/{id}")).collect(),
                )
            }
            None => (String::new(), self.listen_addrs.clone()),
        };
        Ok(NodeInfoView {
            peer_id,
            listen_addrs,
            version: concat!("infernet-node/", env!("CARGO_PKG_VERSION")).to_owned(),
            chain: spec.name.clone(),
            chain_id: spec.chain_id,
            genesis_hash: self.chain.store().genesis_hash().into(),
            dev: spec.dev,
            mining: self.mining,
        })
    }

    async fn dev_mine(&self, n: u32) -> Result<DevMineView, RpcError> {
        if !self.chain.spec().dev {
            return Err(RpcError::DevDisabled);
        }
        let blocks = self.producer.seal(n).await.map_err(|e| match e {
            ProduceError::Busy | ProduceError::Stopped => RpcError::Unavailable {
                message: e.to_string(),
            },
            other => internal(other),
        })?;
        Ok(DevMineView {
            blocks: blocks.into_iter().map(H256::from).collect(),
            tip: self.tip_view(),
        })
    }

    async fn block_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        let peer = peer_id
            .parse()
            .map_err(|_| RpcError::invalid_params("peer id is not a valid libp2p peer id"))?;
        self.net()?
            .client()
            .block_peer(peer)
            .await
            .map_err(internal)
    }

    async fn unblock_peer(&self, peer_id: String) -> Result<bool, RpcError> {
        let peer = peer_id
            .parse()
            .map_err(|_| RpcError::invalid_params("peer id is not a valid libp2p peer id"))?;
        self.net()?
            .client()
            .unblock_peer(peer)
            .await
            .map_err(internal)
    }

    fn subscribe_new_heads(&self) -> broadcast::Receiver<HeaderView> {
        self.chain.events().new_heads.subscribe()
    }

    fn subscribe_job_results(&self) -> broadcast::Receiver<JobView> {
        self.chain.events().job_results.subscribe()
    }

    fn subscribe_records(&self) -> broadcast::Receiver<RecordView> {
        self.chain.events().records.subscribe()
    }
}
