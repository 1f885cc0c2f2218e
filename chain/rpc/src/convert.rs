//! Conversions from protocol values (`infernet-types`) to the API's JSON views (feature
//! `server`).
//!
//! This module owns the mapping from what the chain stores to what the API shows, so every
//! node answers the same way: `From` impls where the protocol value alone suffices, and
//! functions taking the extra context (the account's pending nonce, the tip height) where it
//! does not. Nothing here reads storage or decrypts anything: records are shown as the
//! ciphertext, sealed key and commitment the chain holds.

use infernet_types::encoding::Encode;
use infernet_types::{
    Account, Attestation, Block, Coinbase, Complaint, ComplaintReason, Header, Job,
    JobStatus as ChainJobStatus, Listing, ListingStatus as ChainListingStatus, Miner, Model, Offer,
    ParentModel, Purchase, PurchaseStatus, Record, Reputation, SamplingParams, SealedBox,
    SellerStats, SignedTransaction, TxKind,
};
use infernet_types::{
    Buy, CancelListing, Complain, Deliver, ListRecords, PostResult, RateJob, RegisterMiner,
    RegisterModel, SubmitJob, Transfer, TransferRecord, UpdateMiner,
};

use crate::primitives::{Address, Amount, Bytes, H256, U64String};
use crate::views::{
    AccountView, AttestationView, BlockView, CoinbaseView, ComplaintReasonView, ComplaintView,
    HeaderView, JobStatus, JobView, ListingStatus, ListingView, MinerView, ModelView, OfferView,
    ParentView, PurchaseStatusView, PurchaseView, RecordView, ReputationView, SamplingView,
    SealedBoxView, SellerStatsView, TransactionView, TxKindView,
};

impl From<infernet_types::Hash> for H256 {
    fn from(hash: infernet_types::Hash) -> Self {
        H256(hash.0)
    }
}

impl From<H256> for infernet_types::Hash {
    fn from(hash: H256) -> Self {
        infernet_types::Hash(hash.0)
    }
}

impl From<infernet_types::ReplyPublicKey> for H256 {
    fn from(key: infernet_types::ReplyPublicKey) -> Self {
        H256(key.0)
    }
}

impl From<infernet_types::Address> for Address {
    fn from(address: infernet_types::Address) -> Self {
        Address(address.0)
    }
}

impl From<Address> for infernet_types::Address {
    fn from(address: Address) -> Self {
        infernet_types::Address(address.0)
    }
}

impl From<infernet_types::Amount> for Amount {
    fn from(amount: infernet_types::Amount) -> Self {
        Amount(amount.base_units())
    }
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

impl From<&Header> for HeaderView {
    fn from(h: &Header) -> Self {
        HeaderView {
            hash: h.hash().into(),
            height: h.height,
            version: h.version,
            prev_hash: h.prev_hash.into(),
            timestamp: h.timestamp,
            target: H256(h.target.0),
            nonce: U64String(h.nonce),
            tx_root: h.tx_root.into(),
            state_root: h.state_root.into(),
        }
    }
}

impl From<&Coinbase> for CoinbaseView {
    fn from(c: &Coinbase) -> Self {
        CoinbaseView {
            recipient: c.recipient.into(),
            amount: c.amount.into(),
        }
    }
}

impl From<&Block> for BlockView {
    fn from(b: &Block) -> Self {
        BlockView {
            header: (&b.header).into(),
            size: len_u64(b.encoded_len()),
            coinbase: (&b.coinbase).into(),
            transactions: b.txs.iter().map(TransactionView::from).collect(),
        }
    }
}

impl From<&SignedTransaction> for TransactionView {
    fn from(stx: &SignedTransaction) -> Self {
        TransactionView {
            txid: stx.txid().into(),
            sender: stx.tx.sender.into(),
            nonce: stx.tx.nonce,
            fee: stx.tx.fee.into(),
            size: len_u64(stx.encoded_len()),
            kind: (&stx.tx.kind).into(),
        }
    }
}

impl From<&SealedBox> for SealedBoxView {
    fn from(s: &SealedBox) -> Self {
        SealedBoxView {
            enc: H256(s.enc),
            ciphertext: Bytes(s.ciphertext.clone()),
        }
    }
}

impl From<&SamplingParams> for SamplingView {
    fn from(s: &SamplingParams) -> Self {
        SamplingView {
            temperature_milli: s.temperature_milli,
            top_p_milli: s.top_p_milli,
            top_k: s.top_k,
            seed: U64String(s.seed),
        }
    }
}

impl From<&Offer> for OfferView {
    fn from(o: &Offer) -> Self {
        OfferView {
            model: o.model.into(),
            price_in: o.price_in.into(),
            price_out: o.price_out.into(),
            max_output_tokens: o.max_output_tokens,
        }
    }
}

impl From<&ParentModel> for ParentView {
    fn from(p: &ParentModel) -> Self {
        ParentView {
            model: p.model.into(),
            share_bps: p.share_bps,
        }
    }
}

impl From<&Attestation> for AttestationView {
    fn from(a: &Attestation) -> Self {
        match a {
            Attestation::None => AttestationView::None,
            Attestation::Simulated { report_data } => AttestationView::Simulated {
                report_data: (*report_data).into(),
            },
            Attestation::Tdx { quote } => AttestationView::Tdx {
                quote: Bytes(quote.clone()),
            },
        }
    }
}

impl From<&Reputation> for ReputationView {
    fn from(r: &Reputation) -> Self {
        ReputationView {
            served: r.served,
            expired: r.expired,
            ratings_sum: r.ratings_sum,
            ratings_count: r.ratings_count,
        }
    }
}

impl From<&TxKind> for TxKindView {
    fn from(kind: &TxKind) -> Self {
        let offers = |o: &[Offer]| o.iter().map(OfferView::from).collect::<Vec<_>>();
        let ids = |v: &[infernet_types::Hash]| v.iter().map(|h| H256::from(*h)).collect::<Vec<_>>();
        match kind {
            TxKind::Transfer(Transfer { to, amount }) => TxKindView::Transfer {
                to: (*to).into(),
                amount: (*amount).into(),
            },
            TxKind::RegisterModel(RegisterModel {
                id,
                name,
                architecture,
                context_length,
                royalty_bps,
                parent,
            }) => TxKindView::RegisterModel {
                model: (*id).into(),
                name: name.clone(),
                architecture: architecture.clone(),
                context_length: *context_length,
                royalty_bps: *royalty_bps,
                parent: parent.as_ref().map(ParentView::from),
            },
            TxKind::RegisterMiner(RegisterMiner {
                serving_key,
                offers: o,
                p2p_addr,
                attestation,
                bond,
            }) => TxKindView::RegisterMiner {
                serving_key: (*serving_key).into(),
                offers: offers(o),
                p2p_addr: p2p_addr.clone(),
                attestation: attestation.into(),
                bond: (*bond).into(),
            },
            TxKind::UpdateMiner(UpdateMiner {
                serving_key,
                offers: o,
                p2p_addr,
                attestation,
                bond_top_up,
            }) => TxKindView::UpdateMiner {
                serving_key: (*serving_key).into(),
                offers: offers(o),
                p2p_addr: p2p_addr.clone(),
                attestation: attestation.into(),
                bond_top_up: (*bond_top_up).into(),
            },
            TxKind::Unregister => TxKindView::Unregister,
            TxKind::SubmitJob(SubmitJob {
                miner,
                model,
                sealed_prompt,
                reply_key,
                max_input_tokens,
                max_output_tokens,
                price_in,
                price_out,
                sampling,
                expiry,
                require_attestation,
            }) => TxKindView::SubmitJob {
                miner: (*miner).into(),
                model: (*model).into(),
                sealed_prompt: sealed_prompt.into(),
                reply_key: (*reply_key).into(),
                max_input_tokens: *max_input_tokens,
                max_output_tokens: *max_output_tokens,
                price_in: (*price_in).into(),
                price_out: (*price_out).into(),
                sampling: sampling.into(),
                expiry: *expiry,
                require_attestation: *require_attestation,
            },
            TxKind::PostResult(PostResult {
                job,
                input_tokens,
                output_tokens,
                payload,
                sealed_record_key,
                receipt,
                receipt_signature: _,
                attestation,
            }) => TxKindView::PostResult {
                job: (*job).into(),
                input_tokens: *input_tokens,
                output_tokens: *output_tokens,
                payload: Bytes(payload.clone()),
                sealed_record_key: sealed_record_key.into(),
                commitment: receipt.commitment.into(),
                attested: attestation.is_some(),
            },
            TxKind::TransferRecord(TransferRecord {
                record,
                to,
                sealed_key,
            }) => TxKindView::TransferRecord {
                record: (*record).into(),
                to: (*to).into(),
                sealed_key: sealed_key.into(),
            },
            TxKind::ListRecords(ListRecords {
                records,
                price,
                until,
                title,
                description,
            }) => TxKindView::ListRecords {
                records: ids(records),
                price: (*price).into(),
                until: *until,
                title: title.clone(),
                description: description.clone(),
            },
            TxKind::CancelListing(CancelListing { listing }) => TxKindView::CancelListing {
                listing: (*listing).into(),
            },
            TxKind::Buy(Buy { listing, reply_key }) => TxKindView::Buy {
                listing: (*listing).into(),
                reply_key: (*reply_key).into(),
            },
            TxKind::Deliver(Deliver {
                purchase,
                sealed_keys,
            }) => TxKindView::Deliver {
                purchase: (*purchase).into(),
                sealed_keys: sealed_keys.iter().map(SealedBoxView::from).collect(),
            },
            TxKind::RateJob(RateJob { job, score }) => TxKindView::RateJob {
                job: (*job).into(),
                score: *score,
            },
            TxKind::Complain(Complain {
                purchase,
                record_index,
                reason,
                detail,
            }) => TxKindView::Complain {
                purchase: (*purchase).into(),
                record_index: *record_index,
                reason: (*reason).into(),
                detail: detail.clone(),
            },
        }
    }
}

/// The view of an account. `next_nonce` is the nonce the sender's next transaction should use
/// counting the node's pending transactions (the state's `nonce` when none are pending).
pub fn account_view(address: Address, account: &Account, next_nonce: u64) -> AccountView {
    AccountView {
        address,
        balance: account.balance.into(),
        nonce: account.nonce,
        next_nonce: next_nonce.max(account.nonce),
        reply_key: account.reply_key.map(H256::from),
    }
}

impl From<&Model> for ModelView {
    fn from(m: &Model) -> Self {
        ModelView {
            id: m.id.into(),
            owner: m.owner.into(),
            name: m.name.clone(),
            architecture: m.architecture.clone(),
            context_length: m.context_length,
            royalty_bps: m.royalty_bps,
            parent: m.parent.as_ref().map(ParentView::from),
            registered_at: m.registered_at,
        }
    }
}

impl From<&Miner> for MinerView {
    fn from(m: &Miner) -> Self {
        MinerView {
            address: m.address.into(),
            serving_key: m.serving_key.into(),
            offers: m.offers.iter().map(OfferView::from).collect(),
            p2p_addr: m.p2p_addr.clone(),
            attestation: (&m.attestation).into(),
            bond: m.bond.into(),
            registered_at: m.registered_at,
            unbonding_at: m.unbonding_at,
            reputation: (&m.reputation).into(),
        }
    }
}

impl From<&Job> for JobView {
    fn from(j: &Job) -> Self {
        let (status, settled_at, record) = match j.status {
            ChainJobStatus::Pending => (JobStatus::Pending, None, None),
            ChainJobStatus::Completed { height } => {
                (JobStatus::Completed, Some(height), Some(j.id.into()))
            }
            ChainJobStatus::Expired { height } => (JobStatus::Expired, Some(height), None),
        };
        JobView {
            id: j.id.into(),
            user: j.user.into(),
            miner: j.miner.into(),
            model: j.model.into(),
            status,
            submitted_at: j.submitted_at,
            expiry: j.expiry,
            max_input_tokens: j.max_input_tokens,
            max_output_tokens: j.max_output_tokens,
            price_in: j.price_in.into(),
            price_out: j.price_out.into(),
            escrow: j.escrow.into(),
            sampling: (&j.sampling).into(),
            require_attestation: j.require_attestation,
            settled_at,
            record,
            rating: j.rating,
        }
    }
}

impl From<&Record> for RecordView {
    fn from(r: &Record) -> Self {
        RecordView {
            id: r.id.into(),
            owner: r.owner.into(),
            miner: r.receipt.miner.into(),
            model: r.receipt.model.into(),
            sealed_key: (&r.sealed_key).into(),
            payload: Bytes(r.payload.clone()),
            commitment: r.receipt.commitment.into(),
            input_tokens: r.receipt.input_tokens,
            output_tokens: r.receipt.output_tokens,
            sampling: (&r.receipt.sampling).into(),
            user: r.receipt.user.into(),
            request_hash: r.receipt.request_hash.into(),
            minted_at: r.created_at,
            listing: r.listing.map(H256::from),
        }
    }
}

/// The view of a listing as seen at `tip_height`: an open listing past its `until` height is
/// shown as [`ListingStatus::Expired`].
pub fn listing_view(listing: &Listing, tip_height: u64) -> ListingView {
    let (status, purchase) = match listing.status {
        ChainListingStatus::Open if tip_height > listing.until => (ListingStatus::Expired, None),
        ChainListingStatus::Open => (ListingStatus::Open, None),
        ChainListingStatus::Pending { purchase } => {
            (ListingStatus::Purchased, Some(purchase.into()))
        }
        ChainListingStatus::Sold { purchase } => (ListingStatus::Delivered, Some(purchase.into())),
        ChainListingStatus::Cancelled => (ListingStatus::Cancelled, None),
    };
    ListingView {
        id: listing.id.into(),
        seller: listing.seller.into(),
        records: listing.records.iter().map(|r| H256::from(*r)).collect(),
        price: listing.price.into(),
        until: listing.until,
        title: listing.title.clone(),
        description: listing.description.clone(),
        created_at: listing.created_at,
        status,
        purchase,
    }
}

impl From<ComplaintReason> for ComplaintReasonView {
    fn from(reason: ComplaintReason) -> Self {
        match reason {
            ComplaintReason::KeyDoesNotOpen => ComplaintReasonView::KeyDoesNotOpen,
            ComplaintReason::CommitmentMismatch => ComplaintReasonView::CommitmentMismatch,
            ComplaintReason::ReceiptMismatch => ComplaintReasonView::ReceiptMismatch,
            ComplaintReason::Other => ComplaintReasonView::Other,
        }
    }
}

impl From<ComplaintReasonView> for ComplaintReason {
    fn from(reason: ComplaintReasonView) -> Self {
        match reason {
            ComplaintReasonView::KeyDoesNotOpen => ComplaintReason::KeyDoesNotOpen,
            ComplaintReasonView::CommitmentMismatch => ComplaintReason::CommitmentMismatch,
            ComplaintReasonView::ReceiptMismatch => ComplaintReason::ReceiptMismatch,
            ComplaintReasonView::Other => ComplaintReason::Other,
        }
    }
}

/// The view of a purchase of a listing sold by `seller`; `complaint_window` is the chain
/// spec's (it gives `complaint_deadline`).
pub fn purchase_view(purchase: &Purchase, seller: Address, complaint_window: u64) -> PurchaseView {
    let (status, delivered_at, refunded_at) = match purchase.status {
        PurchaseStatus::Pending => (PurchaseStatusView::Pending, None, None),
        PurchaseStatus::Delivered { height } => (PurchaseStatusView::Delivered, Some(height), None),
        PurchaseStatus::Refunded { height } => (PurchaseStatusView::Refunded, None, Some(height)),
    };
    PurchaseView {
        id: purchase.id.into(),
        listing: purchase.listing.into(),
        buyer: purchase.buyer.into(),
        seller,
        reply_key: purchase.reply_key.into(),
        price: purchase.escrow.into(),
        deadline: purchase.deadline,
        created_at: purchase.created_at,
        status,
        delivered_at,
        refunded_at,
        complaint_deadline: delivered_at.map(|h| h.saturating_add(complaint_window)),
    }
}

/// The view of a complaint; `txid` is the `Complain` transaction's, when known.
pub fn complaint_view(complaint: &Complaint, txid: Option<H256>) -> ComplaintView {
    ComplaintView {
        purchase: complaint.purchase.into(),
        record_index: complaint.record_index,
        listing: complaint.listing.into(),
        record: complaint.record.into(),
        buyer: complaint.buyer.into(),
        seller: complaint.seller.into(),
        reason: complaint.reason.into(),
        detail: complaint.detail.clone(),
        height: complaint.height,
        txid,
    }
}

/// The view of a seller's market history.
pub fn seller_stats_view(address: Address, stats: &SellerStats) -> SellerStatsView {
    SellerStatsView {
        address,
        listings: stats.listings,
        sales: stats.sales,
        refunded: stats.refunded,
        cancelled: stats.cancelled,
        complaints: stats.complaints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::Identity;
    use infernet_types::{
        Amount as ChainAmount, Hash, Receipt, ReplyPublicKey, Signature, Target, Transaction,
    };

    fn chain_addr(b: u8) -> infernet_types::Address {
        infernet_types::Address([b; 32])
    }

    fn sampling() -> SamplingParams {
        SamplingParams {
            temperature_milli: 700,
            top_p_milli: 900,
            top_k: 40,
            seed: u64::MAX,
        }
    }

    #[test]
    fn block_view_shows_the_block_as_stored() {
        let identity = Identity::generate();
        let stx = Transaction {
            sender: identity.address(),
            nonce: 5,
            fee: ChainAmount(1_000),
            kind: TxKind::Transfer(Transfer {
                to: chain_addr(2),
                amount: ChainAmount(u64::MAX),
            }),
        }
        .sign(&identity, 1337);
        let header = Header {
            version: 1,
            height: 7,
            prev_hash: Hash([1; 32]),
            timestamp: 1_700_000_000,
            target: Target([0x0f; 32]),
            nonce: u64::MAX,
            tx_root: Hash([3; 32]),
            state_root: Hash([4; 32]),
        };
        let block = Block {
            header,
            coinbase: Coinbase {
                height: 7,
                recipient: chain_addr(9),
                amount: ChainAmount(50),
            },
            txs: vec![stx.clone()],
        };
        let view = BlockView::from(&block);
        assert_eq!(view.header.hash, H256::from(block.hash()));
        assert_eq!(view.header.target, H256([0x0f; 32]));
        assert_eq!(view.size, len_u64(block.encode().len()));
        assert_eq!(view.coinbase.amount, Amount(50));
        let tx = &view.transactions[0];
        assert_eq!(tx.txid, H256::from(stx.txid()));
        assert_eq!(tx.sender, Address(identity.address().0));
        assert_eq!(tx.size, len_u64(stx.encode().len()));
        assert_eq!(
            tx.kind,
            TxKindView::Transfer {
                to: Address([2; 32]),
                amount: Amount(u64::MAX)
            }
        );
        // The JSON uses the same spellings as the chain's own views.
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["hash"], block.hash().to_hex());
        assert_eq!(json["height"], 7);
        assert_eq!(json["nonce"], u64::MAX.to_string());
        assert_eq!(
            json["transactions"][0]["sender"],
            identity.address().to_string()
        );
    }

    fn job(status: ChainJobStatus) -> Job {
        Job {
            id: Hash([7; 32]),
            user: chain_addr(1),
            miner: chain_addr(3),
            model: Hash([9; 32]),
            request_hash: Hash([8; 32]),
            reply_key: ReplyPublicKey([6; 32]),
            max_input_tokens: 100,
            max_output_tokens: 50,
            price_in: ChainAmount(2),
            price_out: ChainAmount(3),
            escrow: ChainAmount(350),
            sampling: sampling(),
            expiry: 90,
            require_attestation: true,
            submitted_at: 10,
            status,
            rating: Some(4),
        }
    }

    #[test]
    fn job_status_maps_to_settlement() {
        let pending = JobView::from(&job(ChainJobStatus::Pending));
        assert_eq!(
            (pending.status, pending.settled_at, pending.record),
            (JobStatus::Pending, None, None)
        );
        let done = JobView::from(&job(ChainJobStatus::Completed { height: 12 }));
        assert_eq!(done.status, JobStatus::Completed);
        assert_eq!(done.settled_at, Some(12));
        assert_eq!(done.record, Some(H256([7; 32])));
        assert_eq!(done.sampling.seed, U64String(u64::MAX));
        let expired = JobView::from(&job(ChainJobStatus::Expired { height: 90 }));
        assert_eq!((expired.status, expired.record), (JobStatus::Expired, None));
    }

    #[test]
    fn record_view_carries_no_plaintext_only_chain_data() {
        let receipt = Receipt {
            job: Hash([7; 32]),
            model: Hash([9; 32]),
            miner: chain_addr(3),
            request_hash: Hash([8; 32]),
            sampling: sampling(),
            input_tokens: 20,
            output_tokens: 30,
            commitment: Hash([5; 32]),
            user: chain_addr(1),
            user_reply_key: ReplyPublicKey([6; 32]),
        };
        let record = Record {
            id: Hash([7; 32]),
            owner: chain_addr(4),
            sealed_key: SealedBox {
                enc: [1; 32],
                ciphertext: vec![2; 48],
            },
            payload: vec![3; 64],
            receipt,
            receipt_signature: Signature([0; 64]),
            created_at: 12,
            listing: None,
        };
        let view = RecordView::from(&record);
        assert_eq!(view.owner, Address([4; 32]));
        assert_eq!(view.user, Address([1; 32]));
        assert_eq!(view.miner, Address([3; 32]));
        assert_eq!(view.commitment, H256([5; 32]));
        assert_eq!(view.payload, Bytes(vec![3; 64]));
        assert_eq!(view.sealed_key.ciphertext, Bytes(vec![2; 48]));
        assert_eq!(
            (view.input_tokens, view.output_tokens, view.minted_at),
            (20, 30, 12)
        );
    }

    #[test]
    fn listing_status_accounts_for_expiry_and_purchases() {
        let mut listing = Listing {
            id: Hash([1; 32]),
            seller: chain_addr(1),
            records: vec![Hash([7; 32])],
            price: ChainAmount(1_000),
            until: 100,
            title: "t".into(),
            description: "d".into(),
            created_at: 5,
            status: ChainListingStatus::Open,
        };
        assert_eq!(listing_view(&listing, 100).status, ListingStatus::Open);
        assert_eq!(listing_view(&listing, 101).status, ListingStatus::Expired);
        listing.status = ChainListingStatus::Pending {
            purchase: Hash([2; 32]),
        };
        let v = listing_view(&listing, 101);
        assert_eq!(
            (v.status, v.purchase),
            (ListingStatus::Purchased, Some(H256([2; 32])))
        );
        listing.status = ChainListingStatus::Sold {
            purchase: Hash([2; 32]),
        };
        assert_eq!(listing_view(&listing, 0).status, ListingStatus::Delivered);
        listing.status = ChainListingStatus::Cancelled;
        assert_eq!(listing_view(&listing, 0).status, ListingStatus::Cancelled);
    }

    #[test]
    fn account_next_nonce_never_below_state_nonce() {
        let account = Account {
            balance: ChainAmount(u64::MAX),
            nonce: 4,
            reply_key: Some(ReplyPublicKey([6; 32])),
        };
        let v = account_view(Address([1; 32]), &account, 0);
        assert_eq!((v.nonce, v.next_nonce), (4, 4));
        assert_eq!(account_view(Address([1; 32]), &account, 6).next_nonce, 6);
        assert_eq!(
            serde_json::to_value(&v).unwrap()["balance"],
            u64::MAX.to_string()
        );
    }
}
