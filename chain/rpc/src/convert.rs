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
    Account, Attestation, Block, Coinbase, Header, Job, JobStatus as ChainJobStatus, Listing,
    ListingStatus as ChainListingStatus, Miner, Model, Offer, ParentModel, Record, Reputation,
    SamplingParams, SealedBox, SignedTransaction, TxKind,
};

use crate::primitives::{Address, Amount, Bytes, H256, U64String};
use crate::views::{
    AccountView, AttestationView, BlockView, CoinbaseView, HeaderView, JobStatus, JobView,
    ListingStatus, ListingView, MinerView, ModelView, OfferView, ParentView, RecordView,
    ReputationView, SamplingView, SealedBoxView, TransactionView, TxKindView,
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
            TxKind::Transfer { to, amount } => TxKindView::Transfer {
                to: (*to).into(),
                amount: (*amount).into(),
            },
            TxKind::RegisterModel {
                id,
                name,
                architecture,
                context_length,
                royalty_bps,
                parent,
            } => TxKindView::RegisterModel {
                model: (*id).into(),
                name: name.clone(),
                architecture: architecture.clone(),
                context_length: *context_length,
                royalty_bps: *royalty_bps,
                parent: parent.as_ref().map(ParentView::from),
            },
            TxKind::RegisterMiner {
                serving_key,
                offers: o,
                p2p_addr,
                attestation,
                bond,
            } => TxKindView::RegisterMiner {
                serving_key: (*serving_key).into(),
                offers: offers(o),
                p2p_addr: p2p_addr.clone(),
                attestation: attestation.into(),
                bond: (*bond).into(),
            },
            TxKind::UpdateMiner {
                serving_key,
                offers: o,
                p2p_addr,
                attestation,
                bond_top_up,
            } => TxKindView::UpdateMiner {
                serving_key: (*serving_key).into(),
                offers: offers(o),
                p2p_addr: p2p_addr.clone(),
                attestation: attestation.into(),
                bond_top_up: (*bond_top_up).into(),
            },
            TxKind::Unregister => TxKindView::Unregister,
            TxKind::SubmitJob {
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
            } => TxKindView::SubmitJob {
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
            TxKind::PostResult {
                job,
                input_tokens,
                output_tokens,
                payload,
                sealed_record_key,
                receipt,
                receipt_signature: _,
                attestation,
            } => TxKindView::PostResult {
                job: (*job).into(),
                input_tokens: *input_tokens,
                output_tokens: *output_tokens,
                payload: Bytes(payload.clone()),
                sealed_record_key: sealed_record_key.into(),
                commitment: receipt.commitment.into(),
                attested: attestation.is_some(),
            },
            TxKind::TransferRecord {
                record,
                to,
                sealed_key,
            } => TxKindView::TransferRecord {
                record: (*record).into(),
                to: (*to).into(),
                sealed_key: sealed_key.into(),
            },
            TxKind::ListRecords {
                records,
                price,
                until,
                title,
                description,
            } => TxKindView::ListRecords {
                records: ids(records),
                price: (*price).into(),
                until: *until,
                title: title.clone(),
                description: description.clone(),
            },
            TxKind::CancelListing { listing } => TxKindView::CancelListing {
                listing: (*listing).into(),
            },
            TxKind::Buy { listing, reply_key } => TxKindView::Buy {
                listing: (*listing).into(),
                reply_key: (*reply_key).into(),
            },
            TxKind::Deliver {
                purchase,
                sealed_keys,
            } => TxKindView::Deliver {
                purchase: (*purchase).into(),
                sealed_keys: sealed_keys.iter().map(SealedBoxView::from).collect(),
            },
            TxKind::RateJob { job, score } => TxKindView::RateJob {
                job: (*job).into(),
                score: *score,
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
