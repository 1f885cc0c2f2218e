//! The state transition: [`apply_block`], start-of-block processing (matured rewards,
//! expiries, deadlines, unbonding), every transaction kind's rules and effects, and the
//! coinbase. Rule ids refer to `specs/protocol.md`.
//!
//! Nothing here performs I/O or reads a clock: state comes through a [`StateView`], time
//! through the [`BlockContext`], and the result is a [`StateDelta`] for the caller to write.

use std::collections::HashSet;

use infernet_crypto::{Address, Hash, domain, hash::hash};
use infernet_types::state::{
    Account, Complaint, Job, JobStatus, Listing, ListingStatus, Miner, Model, Payout, Purchase,
    PurchaseStatus, Record, Reputation, SellerStats, StateKey, StateValue,
};
use infernet_types::{
    Amount, Attestation, AttestationEvidence, Block, ChainSpec, Coinbase, Height, Offer,
    SignedTransaction, TxKind, request_hash,
};

use crate::context::BlockContext;
use crate::error::{BlockError, StateError, TxError};
use crate::state::{Overlay, StateDelta, StateView};
use crate::validate::{check_header, check_tx_stateless, prepare_txs};

/// Applies `block` on top of the state `view` (the state after the block's parent) and
/// returns the changes, without writing anything.
///
/// Checks every rule of `specs/protocol.md` in the order of `specs/consensus.md` §9. On error
/// nothing was written anywhere, so a rejected block leaves the state unchanged.
pub fn apply_block<V: StateView + ?Sized>(
    view: &V,
    block: &Block,
    ctx: &BlockContext<'_>,
) -> Result<StateDelta, BlockError> {
    check_header(&block.header, ctx)?;
    let prepared = prepare_txs(block, ctx.spec)?;
    let mut exec = Executor::new(view, ctx.spec, block.header.height);
    exec.begin_block().map_err(block_level)?;
    let mut fees = Amount::ZERO;
    for (index, tx) in block.txs.iter().enumerate() {
        let txid = prepared.txids[index];
        exec.apply_tx(tx, txid)
            .map_err(|source| tx_error(index, txid, source))?;
        exec.overlay.commit_tx();
        fees = fees
            .checked_add(tx.tx.fee)
            .map_err(|_| BlockError::RewardOverflow)?;
    }
    let expected = ctx
        .spec
        .block_reward
        .checked_add(fees)
        .map_err(|_| BlockError::RewardOverflow)?;
    check_coinbase(&block.coinbase, block.header.height, expected)?;
    exec.end_block(&block.coinbase).map_err(block_level)?;
    let delta = exec.overlay.into_delta()?;
    if delta.state_root != block.header.state_root {
        return Err(BlockError::StateRootMismatch {
            header: block.header.state_root,
            computed: delta.state_root,
        });
    }
    Ok(delta)
}

/// Maps an error of start- or end-of-block processing (which has no transaction to blame)
/// to a block error: a backend failure stays one, an overflow is R-014.
pub(crate) fn block_level(e: TxError) -> BlockError {
    match e {
        TxError::State(s) => BlockError::State(s),
        _ => BlockError::RewardOverflow,
    }
}

fn tx_error(index: usize, txid: Hash, source: TxError) -> BlockError {
    match source {
        TxError::State(s) => BlockError::State(s),
        source => BlockError::Tx {
            index,
            txid,
            source,
        },
    }
}

/// the coinbase pays exactly reward + fees, at the block's height.
pub(crate) fn check_coinbase(
    coinbase: &Coinbase,
    height: Height,
    expected: Amount,
) -> Result<(), BlockError> {
    if coinbase.height != height {
        return Err(BlockError::CoinbaseHeight {
            expected: height,
            got: coinbase.height,
        });
    }
    if coinbase.amount != expected {
        return Err(BlockError::CoinbaseAmount {
            expected,
            got: coinbase.amount,
        });
    }
    Ok(())
}

/// Checks one transaction against the state `view` as if it were the next transaction of a
/// block at `height` (stateless rules included), without keeping any change. For the mempool
/// and RPC submission.
///
/// The state is taken as it is: start-of-block processing of `height` (matured rewards,
/// expiries) is not applied, so the cost does not depend on how many jobs expire at that
/// height. A transaction that needs a reward maturing in that very block is accepted one block
/// later; one that is about to become invalid (a result for a job expiring at `height`) is
/// skipped by [`crate::build_block`] and then dropped by the mempool.
pub fn check_tx<V: StateView + ?Sized>(
    view: &V,
    spec: &ChainSpec,
    height: Height,
    tx: &SignedTransaction,
) -> Result<(), TxError> {
    let checked = check_tx_stateless(tx, spec)?;
    let mut exec = Executor::new(view, spec, height);
    exec.apply_tx(tx, checked.txid)
}

/// Applies transactions one by one at `height`, keeping those that pass and reporting those
/// that fail; used by block production ([`crate::build_block`]).
pub(crate) struct Executor<'a, V: StateView + ?Sized> {
    pub(crate) overlay: Overlay<'a, V>,
    spec: &'a ChainSpec,
    height: Height,
}

fn corrupt(key: &StateKey, what: &str) -> StateError {
    StateError::Corrupt {
        key: format!("{key:?}"),
        reason: format!("expected a {what} value"),
    }
}

fn overflow(what: &'static str) -> impl Fn(infernet_types::AmountError) -> TxError {
    move |_| TxError::Overflow { what }
}

/// `floor(amount * bps / 10000)`.
fn bps_of(amount: Amount, bps: u16, what: &'static str) -> Result<Amount, TxError> {
    amount
        .mul_div_floor(u64::from(bps), 10_000)
        .map_err(overflow(what))
}

impl<'a, V: StateView + ?Sized> Executor<'a, V> {
    pub(crate) fn new(view: &'a V, spec: &'a ChainSpec, height: Height) -> Self {
        Executor {
            overlay: Overlay::new(view),
            spec,
            height,
        }
    }

    // ----- typed state access -----

    fn account(&mut self, addr: &Address) -> Result<Account, TxError> {
        let key = StateKey::Account(*addr);
        match self.overlay.get(&key)? {
            None => Ok(Account::default()),
            Some(StateValue::Account(a)) => Ok(a),
            Some(_) => Err(corrupt(&key, "Account").into()),
        }
    }

    fn put_account(&mut self, addr: Address, account: Account) {
        self.overlay
            .put(StateKey::Account(addr), Some(StateValue::Account(account)));
    }

    fn credit(&mut self, addr: &Address, amount: Amount) -> Result<(), TxError> {
        if amount.is_zero() {
            return Ok(());
        }
        let mut acc = self.account(addr)?;
        acc.balance = acc
            .balance
            .checked_add(amount)
            .map_err(overflow("credit"))?;
        self.put_account(*addr, acc);
        Ok(())
    }

    /// debit, failing if the balance does not cover it.
    fn debit(&mut self, addr: &Address, amount: Amount) -> Result<(), TxError> {
        if amount.is_zero() {
            return Ok(());
        }
        let mut acc = self.account(addr)?;
        acc.balance =
            acc.balance
                .checked_sub(amount)
                .map_err(|_| TxError::InsufficientBalance {
                    needed: amount,
                    available: acc.balance,
                })?;
        self.put_account(*addr, acc);
        Ok(())
    }

    fn model(&mut self, id: &Hash) -> Result<Option<Model>, TxError> {
        let key = StateKey::Model(*id);
        match self.overlay.get(&key)? {
            None => Ok(None),
            Some(StateValue::Model(m)) => Ok(Some(m)),
            Some(_) => Err(corrupt(&key, "Model").into()),
        }
    }

    fn miner(&mut self, addr: &Address) -> Result<Option<Miner>, TxError> {
        let key = StateKey::Miner(*addr);
        match self.overlay.get(&key)? {
            None => Ok(None),
            Some(StateValue::Miner(m)) => Ok(Some(m)),
            Some(_) => Err(corrupt(&key, "Miner").into()),
        }
    }

    fn put_miner(&mut self, miner: Miner) {
        self.overlay.put(
            StateKey::Miner(miner.address),
            Some(StateValue::Miner(miner)),
        );
    }

    /// a registered miner that is not unbonding or inactive.
    fn active_miner(&mut self, addr: &Address) -> Result<Miner, TxError> {
        let miner = self
            .miner(addr)?
            .ok_or(TxError::UnknownMiner { miner: *addr })?;
        if miner.unbonding_at.is_some() {
            return Err(TxError::MinerUnbonding { miner: *addr });
        }
        Ok(miner)
    }

    fn job(&mut self, id: &Hash) -> Result<Job, TxError> {
        let key = StateKey::Job(*id);
        match self.overlay.get(&key)? {
            None => Err(TxError::UnknownJob { job: *id }),
            Some(StateValue::Job(j)) => Ok(j),
            Some(_) => Err(corrupt(&key, "Job").into()),
        }
    }

    fn put_job(&mut self, job: Job) {
        self.overlay
            .put(StateKey::Job(job.id), Some(StateValue::Job(job)));
    }

    fn record(&mut self, id: &Hash) -> Result<Record, TxError> {
        let key = StateKey::Record(*id);
        match self.overlay.get(&key)? {
            None => Err(TxError::UnknownRecord { record: *id }),
            Some(StateValue::Record(r)) => Ok(r),
            Some(_) => Err(corrupt(&key, "Record").into()),
        }
    }

    fn put_record(&mut self, record: Record) {
        self.overlay.put(
            StateKey::Record(record.id),
            Some(StateValue::Record(record)),
        );
    }

    fn listing(&mut self, id: &Hash) -> Result<Listing, TxError> {
        let key = StateKey::Listing(*id);
        match self.overlay.get(&key)? {
            None => Err(TxError::UnknownListing { listing: *id }),
            Some(StateValue::Listing(l)) => Ok(l),
            Some(_) => Err(corrupt(&key, "Listing").into()),
        }
    }

    fn put_listing(&mut self, listing: Listing) {
        self.overlay.put(
            StateKey::Listing(listing.id),
            Some(StateValue::Listing(listing)),
        );
    }

    fn purchase(&mut self, id: &Hash) -> Result<Option<Purchase>, TxError> {
        let key = StateKey::Purchase(*id);
        match self.overlay.get(&key)? {
            None => Ok(None),
            Some(StateValue::Purchase(p)) => Ok(Some(p)),
            Some(_) => Err(corrupt(&key, "Purchase").into()),
        }
    }

    fn put_purchase(&mut self, purchase: Purchase) {
        self.overlay.put(
            StateKey::Purchase(purchase.id),
            Some(StateValue::Purchase(purchase)),
        );
    }

    /// Applies `change` to `seller`'s market history (protocol.md §1, `SellerStats`).
    fn bump_seller_stats(
        &mut self,
        seller: Address,
        change: impl FnOnce(&mut SellerStats) -> Option<()>,
    ) -> Result<(), TxError> {
        let key = StateKey::SellerStats(seller);
        let mut stats = match self.overlay.get(&key)? {
            None => SellerStats::default(),
            Some(StateValue::SellerStats(s)) => s,
            Some(_) => return Err(corrupt(&key, "SellerStats").into()),
        };
        change(&mut stats).ok_or(TxError::Overflow {
            what: "seller stats",
        })?;
        self.overlay.put(key, Some(StateValue::SellerStats(stats)));
        Ok(())
    }

    /// Whether a record is held by a live listing: one awaiting delivery, or open and not
    /// past its end. A record whose listing lapsed is free again.
    fn is_listed(&mut self, record: &Record) -> Result<bool, TxError> {
        let Some(lid) = record.listing else {
            return Ok(false);
        };
        let key = StateKey::Listing(lid);
        let listing = match self.overlay.get(&key)? {
            None => return Ok(false),
            Some(StateValue::Listing(l)) => l,
            Some(_) => return Err(corrupt(&key, "Listing").into()),
        };
        Ok(match listing.status {
            ListingStatus::Pending { .. } => true,
            ListingStatus::Open => self.height <= listing.until,
            ListingStatus::Sold { .. } | ListingStatus::Cancelled => false,
        })
    }

    // ----- queues -----

    fn take_queue(&mut self, key: StateKey) -> Result<Option<StateValue>, TxError> {
        let v = self.overlay.get(&key)?;
        if v.is_some() {
            self.overlay.put(key, None);
        }
        Ok(v)
    }

    /// fewer than `max_jobs_per_block` jobs already expire at `at`.
    fn check_expiry_capacity(&mut self, at: Height) -> Result<(), TxError> {
        let key = StateKey::JobExpiry(at);
        let queued = match self.overlay.get(&key)? {
            None => 0,
            Some(StateValue::JobQueue(l)) => l.len(),
            Some(_) => return Err(corrupt(&key, "JobQueue").into()),
        };
        let max = self.spec.limits.max_jobs_per_block;
        if queued as u64 >= u64::from(max) {
            return Err(TxError::ExpiryHeightFull { expiry: at, max });
        }
        Ok(())
    }

    /// Appends to `JobExpiry(at)`; R-065 caps the queue at `max_jobs_per_block` entries so
    /// no state value (and no block's delta) can grow without bound.
    fn push_job_expiry(&mut self, at: Height, job: Hash) -> Result<(), TxError> {
        let key = StateKey::JobExpiry(at);
        let mut list = match self.overlay.get(&key)? {
            None => Vec::new(),
            Some(StateValue::JobQueue(l)) => l,
            Some(_) => return Err(corrupt(&key, "JobQueue").into()),
        };
        let max = self.spec.limits.max_jobs_per_block;
        if list.len() as u64 >= u64::from(max) {
            return Err(TxError::ExpiryHeightFull { expiry: at, max });
        }
        list.push(job);
        self.overlay.put(key, Some(StateValue::JobQueue(list)));
        Ok(())
    }

    fn push_purchase_deadline(&mut self, at: Height, purchase: Hash) -> Result<(), TxError> {
        let key = StateKey::PurchaseDeadline(at);
        let mut list = match self.overlay.get(&key)? {
            None => Vec::new(),
            Some(StateValue::PurchaseQueue(l)) => l,
            Some(_) => return Err(corrupt(&key, "PurchaseQueue").into()),
        };
        list.push(purchase);
        self.overlay.put(key, Some(StateValue::PurchaseQueue(list)));
        Ok(())
    }

    fn push_unbonding(&mut self, at: Height, miner: Address) -> Result<(), TxError> {
        let key = StateKey::Unbonding(at);
        let mut list = match self.overlay.get(&key)? {
            None => Vec::new(),
            Some(StateValue::UnbondingQueue(l)) => l,
            Some(_) => return Err(corrupt(&key, "UnbondingQueue").into()),
        };
        list.push(miner);
        self.overlay
            .put(key, Some(StateValue::UnbondingQueue(list)));
        Ok(())
    }

    // ----- start and end of block -----

    /// Start-of-block processing (protocol.md §6), committed as part of the block.
    pub(crate) fn begin_block(&mut self) -> Result<(), TxError> {
        let h = self.height;
        // 1. Matured rewards.
        let key = StateKey::PendingReward(h);
        match self.take_queue(key)? {
            None => {}
            Some(StateValue::RewardQueue(payouts)) => {
                for p in payouts {
                    self.credit(&p.to, p.amount)?;
                }
            }
            Some(_) => return Err(corrupt(&key, "RewardQueue").into()),
        }
        // 2. Job expiries.
        let key = StateKey::JobExpiry(h);
        match self.take_queue(key)? {
            None => {}
            Some(StateValue::JobQueue(jobs)) => {
                for id in jobs {
                    let mut job = self.job(&id)?;
                    if job.status != JobStatus::Pending {
                        continue;
                    }
                    job.status = JobStatus::Expired { height: h };
                    self.credit(&job.user, job.escrow)?;
                    if let Some(mut miner) = self.miner(&job.miner)? {
                        miner.reputation.expired =
                            miner
                                .reputation
                                .expired
                                .checked_add(1)
                                .ok_or(TxError::Overflow {
                                    what: "expired counter",
                                })?;
                        self.put_miner(miner);
                    }
                    self.put_job(job);
                }
            }
            Some(_) => return Err(corrupt(&key, "JobQueue").into()),
        }
        // 3. Purchase deadlines.
        let key = StateKey::PurchaseDeadline(h);
        match self.take_queue(key)? {
            None => {}
            Some(StateValue::PurchaseQueue(ids)) => {
                for id in ids {
                    let Some(mut purchase) = self.purchase(&id)? else {
                        continue;
                    };
                    if purchase.status != PurchaseStatus::Pending {
                        continue;
                    }
                    purchase.status = PurchaseStatus::Refunded { height: h };
                    self.credit(&purchase.buyer, purchase.escrow)?;
                    let mut listing = self.listing(&purchase.listing)?;
                    listing.status = ListingStatus::Open;
                    self.bump_seller_stats(listing.seller, |s| {
                        s.refunded = s.refunded.checked_add(1)?;
                        Some(())
                    })?;
                    self.put_listing(listing);
                    self.put_purchase(purchase);
                }
            }
            Some(_) => return Err(corrupt(&key, "PurchaseQueue").into()),
        }
        // 4. Unbonding releases.
        let key = StateKey::Unbonding(h);
        match self.take_queue(key)? {
            None => {}
            Some(StateValue::UnbondingQueue(miners)) => {
                for addr in miners {
                    let Some(mut miner) = self.miner(&addr)? else {
                        continue;
                    };
                    if miner.unbonding_at != Some(h) || miner.bond.is_zero() {
                        continue;
                    }
                    let bond = miner.bond;
                    miner.bond = Amount::ZERO;
                    self.put_miner(miner);
                    self.credit(&addr, bond)?;
                }
            }
            Some(_) => return Err(corrupt(&key, "UnbondingQueue").into()),
        }
        self.overlay.commit_tx();
        Ok(())
    }

    /// Records the coinbase as a pending reward (or credits it at once with maturity 0).
    pub(crate) fn end_block(&mut self, coinbase: &Coinbase) -> Result<(), TxError> {
        let maturity = self.spec.coinbase_maturity;
        if maturity == 0 {
            self.credit(&coinbase.recipient, coinbase.amount)?;
        } else if !coinbase.amount.is_zero() {
            let at = self.height.checked_add(maturity).ok_or(TxError::Overflow {
                what: "maturity height",
            })?;
            let key = StateKey::PendingReward(at);
            let mut list = match self.overlay.get(&key)? {
                None => Vec::new(),
                Some(StateValue::RewardQueue(l)) => l,
                Some(_) => return Err(corrupt(&key, "RewardQueue").into()),
            };
            list.push(Payout {
                to: coinbase.recipient,
                amount: coinbase.amount,
            });
            self.overlay.put(key, Some(StateValue::RewardQueue(list)));
        }
        self.overlay.commit_tx();
        Ok(())
    }

    // ----- transactions -----

    /// Applies one transaction whose stateless rules already passed. On error the caller
    /// discards the transaction's writes ([`Overlay::discard_tx`]).
    pub(crate) fn apply_tx(&mut self, stx: &SignedTransaction, txid: Hash) -> Result<(), TxError> {
        let result = self.apply_tx_inner(stx, txid);
        if result.is_err() {
            self.overlay.discard_tx();
        }
        result
    }

    fn apply_tx_inner(&mut self, stx: &SignedTransaction, txid: Hash) -> Result<(), TxError> {
        let tx = &stx.tx;
        let sender = tx.sender;
        // Common rules: R-030 nonce, R-031 fee.
        let mut acc = self.account(&sender)?;
        if tx.nonce != acc.nonce {
            return Err(TxError::BadNonce {
                expected: acc.nonce,
                got: tx.nonce,
            });
        }
        acc.nonce = acc
            .nonce
            .checked_add(1)
            .ok_or(TxError::Overflow { what: "nonce" })?;
        acc.balance =
            acc.balance
                .checked_sub(tx.fee)
                .map_err(|_| TxError::InsufficientBalance {
                    needed: tx.fee,
                    available: acc.balance,
                })?;
        self.put_account(sender, acc);
        let h = self.height;

        match &tx.kind {
            TxKind::Transfer { to, amount } => {
                if amount.is_zero() {
                    return Err(TxError::ZeroTransfer);
                }
                self.debit(&sender, *amount)?;
                self.credit(to, *amount)?;
            }
            TxKind::RegisterModel {
                id,
                name,
                architecture,
                context_length,
                royalty_bps,
                parent,
            } => {
                if self.model(id)?.is_some() {
                    return Err(TxError::ModelExists { model: *id });
                }
                if *royalty_bps > self.spec.max_royalty_bps {
                    return Err(TxError::RoyaltyTooHigh {
                        bps: *royalty_bps,
                        max: self.spec.max_royalty_bps,
                    });
                }
                if let Some(p) = parent {
                    if self.model(&p.model)?.is_none() {
                        return Err(TxError::UnknownParentModel { model: p.model });
                    }
                    if p.share_bps > 10_000 {
                        return Err(TxError::ParentShareTooHigh { bps: p.share_bps });
                    }
                }
                let model = Model {
                    id: *id,
                    owner: sender,
                    name: name.clone(),
                    architecture: architecture.clone(),
                    context_length: *context_length,
                    royalty_bps: *royalty_bps,
                    parent: *parent,
                    registered_at: h,
                };
                self.overlay
                    .put(StateKey::Model(*id), Some(StateValue::Model(model)));
            }
            TxKind::RegisterMiner {
                serving_key,
                offers,
                p2p_addr,
                attestation,
                bond,
            } => {
                let previous = self.miner(&sender)?;
                let reputation = match &previous {
                    None => Reputation::default(),
                    Some(m) => {
                        let released = matches!(m.unbonding_at, Some(u) if u <= h);
                        if !released {
                            return Err(TxError::MinerExists { miner: sender });
                        }
                        m.reputation
                    }
                };
                if *bond < self.spec.min_miner_bond {
                    return Err(TxError::BondTooLow {
                        bond: *bond,
                        min: self.spec.min_miner_bond,
                    });
                }
                self.check_offers(offers)?;
                self.check_attestation(serving_key, offers, attestation)?;
                self.debit(&sender, *bond)?;
                self.put_miner(Miner {
                    address: sender,
                    serving_key: *serving_key,
                    offers: offers.clone(),
                    p2p_addr: p2p_addr.clone(),
                    attestation: attestation.clone(),
                    bond: *bond,
                    reputation,
                    registered_at: h,
                    unbonding_at: None,
                });
            }
            TxKind::UpdateMiner {
                serving_key,
                offers,
                p2p_addr,
                attestation,
                bond_top_up,
            } => {
                let mut miner = self.active_miner(&sender)?;
                self.check_offers(offers)?;
                self.check_attestation(serving_key, offers, attestation)?;
                self.debit(&sender, *bond_top_up)?;
                miner.bond = miner
                    .bond
                    .checked_add(*bond_top_up)
                    .map_err(overflow("bond"))?;
                miner.serving_key = *serving_key;
                miner.offers = offers.clone();
                miner.p2p_addr = p2p_addr.clone();
                miner.attestation = attestation.clone();
                self.put_miner(miner);
            }
            TxKind::Unregister => {
                let mut miner = self.active_miner(&sender)?;
                let at =
                    h.checked_add(self.spec.unbonding_delay.max(1))
                        .ok_or(TxError::Overflow {
                            what: "unbonding height",
                        })?;
                miner.unbonding_at = Some(at);
                self.put_miner(miner);
                self.push_unbonding(at, sender)?;
            }
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
            } => {
                let m = self.active_miner(miner)?;
                let offer = m.offer(model).ok_or(TxError::NoOffer { model: *model })?;
                if price_in > &offer.price_in || price_out > &offer.price_out {
                    return Err(TxError::PriceAboveOffer {
                        price_in: *price_in,
                        price_out: *price_out,
                    });
                }
                let allowed_out = offer
                    .max_output_tokens
                    .min(self.spec.limits.max_output_tokens);
                if *max_input_tokens == 0
                    || *max_output_tokens == 0
                    || *max_output_tokens > allowed_out
                {
                    return Err(TxError::JobTokenLimit {
                        max_in: *max_input_tokens,
                        max_out: *max_output_tokens,
                        allowed_out,
                    });
                }
                let max_expiry = h.saturating_add(self.spec.limits.max_job_lifetime);
                if *expiry <= h || *expiry > max_expiry {
                    return Err(TxError::BadJobExpiry {
                        expiry: *expiry,
                        min: h.saturating_add(1),
                        max: max_expiry,
                    });
                }
                if *require_attestation && m.attestation.is_none() {
                    return Err(TxError::MinerNotAttested { miner: *miner });
                }
                // R-065 before any debit, in the order of the spec.
                self.check_expiry_capacity(*expiry)?;
                let escrow = price_in
                    .checked_mul(u64::from(*max_input_tokens))
                    .and_then(|a| {
                        a.checked_add(price_out.checked_mul(u64::from(*max_output_tokens))?)
                    })
                    .map_err(overflow("job escrow"))?;
                self.debit(&sender, escrow)?;
                let mut acc = self.account(&sender)?;
                acc.reply_key = Some(*reply_key);
                self.put_account(sender, acc);
                self.put_job(Job {
                    id: txid,
                    user: sender,
                    miner: *miner,
                    model: *model,
                    request_hash: request_hash(sealed_prompt),
                    reply_key: *reply_key,
                    max_input_tokens: *max_input_tokens,
                    max_output_tokens: *max_output_tokens,
                    price_in: *price_in,
                    price_out: *price_out,
                    escrow,
                    sampling: *sampling,
                    expiry: *expiry,
                    require_attestation: *require_attestation,
                    submitted_at: h,
                    status: JobStatus::Pending,
                    rating: None,
                });
                self.push_job_expiry(*expiry, txid)?;
            }
            TxKind::PostResult {
                job: job_id,
                input_tokens,
                output_tokens,
                payload,
                sealed_record_key,
                receipt,
                receipt_signature,
                attestation,
            } => {
                let mut job = self.job(job_id)?;
                if job.status != JobStatus::Pending {
                    return Err(TxError::JobNotPending { job: *job_id });
                }
                if sender != job.miner {
                    return Err(TxError::NotJobMiner);
                }
                if *input_tokens > job.max_input_tokens || *output_tokens > job.max_output_tokens {
                    return Err(TxError::TokenCountsExceedLimits {
                        input: *input_tokens,
                        output: *output_tokens,
                    });
                }
                check_receipt(&job, *input_tokens, *output_tokens, receipt)?;
                if receipt
                    .verify(self.spec.chain_id, receipt_signature)
                    .is_err()
                {
                    return Err(TxError::BadReceiptSignature);
                }
                if job.require_attestation {
                    let miner = self
                        .miner(&job.miner)?
                        .ok_or(TxError::UnknownMiner { miner: job.miner })?;
                    check_evidence(
                        self.spec,
                        &miner,
                        &job,
                        &receipt.commitment,
                        attestation.as_ref(),
                    )?;
                }
                let cost = job
                    .price_in
                    .checked_mul(u64::from(*input_tokens))
                    .and_then(|a| {
                        a.checked_add(job.price_out.checked_mul(u64::from(*output_tokens))?)
                    })
                    .map_err(overflow("job cost"))?;
                let refund = job
                    .escrow
                    .checked_sub(cost)
                    .map_err(overflow("job refund"))?;
                let model = self.model(&job.model)?;
                let royalty = match &model {
                    Some(m) => bps_of(cost, m.royalty_bps, "royalty")?,
                    None => Amount::ZERO,
                };
                let miner_pay = cost.checked_sub(royalty).map_err(overflow("miner pay"))?;
                self.pay_royalty(model, royalty)?;
                self.credit(&job.miner, miner_pay)?;
                self.credit(&job.user, refund)?;
                job.status = JobStatus::Completed { height: h };
                let mut miner = self
                    .miner(&job.miner)?
                    .ok_or(TxError::UnknownMiner { miner: job.miner })?;
                miner.reputation.served =
                    miner
                        .reputation
                        .served
                        .checked_add(1)
                        .ok_or(TxError::Overflow {
                            what: "served counter",
                        })?;
                self.put_miner(miner);
                self.put_record(Record {
                    id: job.id,
                    owner: job.user,
                    sealed_key: sealed_record_key.clone(),
                    payload: payload.clone(),
                    receipt: receipt.clone(),
                    receipt_signature: *receipt_signature,
                    created_at: h,
                    listing: None,
                });
                self.put_job(job);
            }
            TxKind::TransferRecord {
                record,
                to,
                sealed_key,
            } => {
                let mut rec = self.record(record)?;
                if rec.owner != sender {
                    return Err(TxError::NotRecordOwner { record: *record });
                }
                if self.is_listed(&rec)? {
                    return Err(TxError::RecordListed { record: *record });
                }
                rec.owner = *to;
                rec.sealed_key = sealed_key.clone();
                rec.listing = None;
                self.put_record(rec);
            }
            TxKind::ListRecords {
                records,
                price,
                until,
                title,
                description,
            } => {
                let mut seen = HashSet::new();
                if records.is_empty() || !records.iter().all(|r| seen.insert(*r)) {
                    return Err(TxError::BadBundle);
                }
                let max_until = h.saturating_add(self.spec.limits.max_listing_lifetime);
                if *until <= h || *until > max_until {
                    return Err(TxError::BadListingEnd {
                        until: *until,
                        min: h.saturating_add(1),
                        max: max_until,
                    });
                }
                for id in records {
                    let mut rec = self.record(id)?;
                    if rec.owner != sender {
                        return Err(TxError::NotRecordOwner { record: *id });
                    }
                    if self.is_listed(&rec)? {
                        return Err(TxError::RecordListed { record: *id });
                    }
                    rec.listing = Some(txid);
                    self.put_record(rec);
                }
                self.put_listing(Listing {
                    id: txid,
                    seller: sender,
                    records: records.clone(),
                    price: *price,
                    until: *until,
                    title: title.clone(),
                    description: description.clone(),
                    created_at: h,
                    status: ListingStatus::Open,
                });
                self.bump_seller_stats(sender, |s| {
                    s.listings = s.listings.checked_add(1)?;
                    Some(())
                })?;
            }
            TxKind::CancelListing { listing } => {
                let mut l = self.listing(listing)?;
                if l.seller != sender {
                    return Err(TxError::NotSeller { listing: *listing });
                }
                if l.status != ListingStatus::Open {
                    return Err(TxError::ListingNotOpen { listing: *listing });
                }
                l.status = ListingStatus::Cancelled;
                for id in &l.records {
                    let mut rec = self.record(id)?;
                    if rec.listing == Some(*listing) {
                        rec.listing = None;
                        self.put_record(rec);
                    }
                }
                self.put_listing(l);
                self.bump_seller_stats(sender, |s| {
                    s.cancelled = s.cancelled.checked_add(1)?;
                    Some(())
                })?;
            }
            TxKind::Buy { listing, reply_key } => {
                let mut l = self.listing(listing)?;
                if l.status != ListingStatus::Open || h > l.until {
                    return Err(TxError::ListingNotOpen { listing: *listing });
                }
                for id in &l.records {
                    let rec = self.record(id)?;
                    if rec.owner != l.seller || rec.listing != Some(*listing) {
                        return Err(TxError::NotRecordOwner { record: *id });
                    }
                }
                self.debit(&sender, l.price)?;
                let deadline =
                    h.checked_add(self.spec.delivery_window.max(1))
                        .ok_or(TxError::Overflow {
                            what: "delivery deadline",
                        })?;
                let mut acc = self.account(&sender)?;
                acc.reply_key = Some(*reply_key);
                self.put_account(sender, acc);
                self.put_purchase(Purchase {
                    id: txid,
                    listing: *listing,
                    buyer: sender,
                    reply_key: *reply_key,
                    escrow: l.price,
                    deadline,
                    created_at: h,
                    status: PurchaseStatus::Pending,
                });
                l.status = ListingStatus::Pending { purchase: txid };
                self.put_listing(l);
                self.push_purchase_deadline(deadline, txid)?;
            }
            TxKind::Deliver {
                purchase,
                sealed_keys,
            } => {
                let mut p = match self.purchase(purchase)? {
                    Some(p) if p.status == PurchaseStatus::Pending => p,
                    _ => {
                        return Err(TxError::NoPendingPurchase {
                            purchase: *purchase,
                        });
                    }
                };
                let mut l = self.listing(&p.listing)?;
                if l.seller != sender {
                    return Err(TxError::NotSeller { listing: l.id });
                }
                if sealed_keys.len() != l.records.len() {
                    return Err(TxError::SealedKeyCount {
                        expected: l.records.len(),
                        got: sealed_keys.len(),
                    });
                }
                let n = l.records.len() as u64;
                let base_share = Amount(p.escrow.0 / n.max(1));
                let first_extra = Amount(p.escrow.0 % n.max(1));
                let mut seller_pay = p.escrow;
                for (i, (id, key)) in l.records.iter().zip(sealed_keys).enumerate() {
                    let mut rec = self.record(id)?;
                    if rec.owner != l.seller {
                        return Err(TxError::NotRecordOwner { record: *id });
                    }
                    let share = if i == 0 {
                        base_share
                            .checked_add(first_extra)
                            .map_err(overflow("sale share"))?
                    } else {
                        base_share
                    };
                    let miner_cut =
                        bps_of(share, self.spec.sale_royalties.miner_bps, "sale royalty")?;
                    let model_cut = bps_of(
                        share,
                        self.spec.sale_royalties.model_owner_bps,
                        "sale royalty",
                    )?;
                    let model = self.model(&rec.receipt.model)?;
                    let model_cut = if model.is_some() {
                        model_cut
                    } else {
                        Amount::ZERO
                    };
                    seller_pay = seller_pay
                        .checked_sub(miner_cut)
                        .and_then(|s| s.checked_sub(model_cut))
                        .map_err(overflow("sale split"))?;
                    self.credit(&rec.receipt.miner, miner_cut)?;
                    // The model owner's share walks the fork lineage like a job royalty.
                    self.pay_royalty(model, model_cut)?;
                    rec.owner = p.buyer;
                    rec.sealed_key = key.clone();
                    rec.listing = None;
                    self.put_record(rec);
                }
                self.credit(&sender, seller_pay)?;
                p.status = PurchaseStatus::Delivered { height: h };
                l.status = ListingStatus::Sold { purchase: p.id };
                self.put_purchase(p);
                self.put_listing(l);
                self.bump_seller_stats(sender, |s| {
                    s.sales = s.sales.checked_add(1)?;
                    Some(())
                })?;
            }
            TxKind::RateJob { job: job_id, score } => {
                let mut job = self.job(job_id)?;
                if !matches!(job.status, JobStatus::Completed { .. }) {
                    return Err(TxError::JobNotCompleted { job: *job_id });
                }
                if job.user != sender {
                    return Err(TxError::NotJobUser);
                }
                if job.rating.is_some() {
                    return Err(TxError::AlreadyRated { job: *job_id });
                }
                if !(1..=5).contains(score) {
                    return Err(TxError::BadScore { score: *score });
                }
                job.rating = Some(*score);
                let mut miner = self
                    .miner(&job.miner)?
                    .ok_or(TxError::UnknownMiner { miner: job.miner })?;
                let r = &mut miner.reputation;
                r.ratings_sum = r
                    .ratings_sum
                    .checked_add(u64::from(*score))
                    .ok_or(TxError::Overflow { what: "ratings" })?;
                r.ratings_count = r
                    .ratings_count
                    .checked_add(1)
                    .ok_or(TxError::Overflow { what: "ratings" })?;
                self.put_miner(miner);
                self.put_job(job);
            }
            TxKind::Complain {
                purchase,
                record_index,
                reason,
                detail,
            } => {
                let p = self.purchase(purchase)?;
                let (p, delivered_at) = match p {
                    Some(p) => match p.status {
                        PurchaseStatus::Delivered { height } => (p, height),
                        _ => {
                            return Err(TxError::PurchaseNotDelivered {
                                purchase: *purchase,
                            });
                        }
                    },
                    None => {
                        return Err(TxError::PurchaseNotDelivered {
                            purchase: *purchase,
                        });
                    }
                };
                if p.buyer != sender {
                    return Err(TxError::NotBuyer {
                        purchase: *purchase,
                    });
                }
                let l = self.listing(&p.listing)?;
                let record = usize::try_from(*record_index)
                    .ok()
                    .and_then(|i| l.records.get(i))
                    .copied()
                    .ok_or(TxError::BadRecordIndex {
                        index: *record_index,
                        records: l.records.len(),
                    })?;
                let key = StateKey::Complaint(*purchase, *record_index);
                if self.overlay.get(&key)?.is_some() {
                    return Err(TxError::AlreadyComplained {
                        purchase: *purchase,
                        index: *record_index,
                    });
                }
                let deadline = delivered_at.saturating_add(self.spec.complaint_window);
                if h > deadline {
                    return Err(TxError::ComplaintWindowClosed {
                        purchase: *purchase,
                        deadline,
                    });
                }
                self.overlay.put(
                    key,
                    Some(StateValue::Complaint(Complaint {
                        purchase: *purchase,
                        record_index: *record_index,
                        listing: l.id,
                        record,
                        buyer: sender,
                        seller: l.seller,
                        reason: *reason,
                        detail: detail.clone(),
                        height: h,
                    })),
                );
                self.bump_seller_stats(l.seller, |s| {
                    s.complaints = s.complaints.checked_add(1)?;
                    Some(())
                })?;
            }
        }
        Ok(())
    }

    /// for an offer list.
    fn check_offers(&mut self, offers: &[Offer]) -> Result<(), TxError> {
        let Some(first) = offers.first() else {
            return Err(TxError::BadOffers { model: Hash::ZERO });
        };
        let _ = first;
        let mut seen = HashSet::new();
        for offer in offers {
            if !seen.insert(offer.model) {
                return Err(TxError::BadOffers { model: offer.model });
            }
            if self.model(&offer.model)?.is_none() {
                return Err(TxError::OfferUnknownModel { model: offer.model });
            }
            let max = self.spec.limits.max_output_tokens;
            if offer.max_output_tokens == 0 || offer.max_output_tokens > max {
                return Err(TxError::OfferTokenLimit {
                    tokens: offer.max_output_tokens,
                    max,
                });
            }
        }
        Ok(())
    }

    /// the registration's attestation.
    fn check_attestation(
        &self,
        serving_key: &infernet_crypto::ReplyPublicKey,
        offers: &[Offer],
        attestation: &Attestation,
    ) -> Result<(), TxError> {
        match attestation {
            Attestation::None => Ok(()),
            Attestation::Simulated { report_data } => {
                if !self.spec.allow_simulated_attestation {
                    return Err(TxError::AttestationRejected {
                        reason: "this chain does not accept simulated attestations",
                    });
                }
                let models: Vec<Hash> = offers.iter().map(|o| o.model).collect();
                if *report_data != Attestation::report_data(serving_key, &models) {
                    return Err(TxError::AttestationRejected {
                        reason: "report data does not bind the serving key and offered models",
                    });
                }
                Ok(())
            }
            Attestation::Tdx { .. } => Err(TxError::AttestationRejected {
                reason: "TDX quote verification is not supported yet",
            }),
        }
    }

    /// Distributes a job royalty up the model's lineage (protocol.md §5).
    fn pay_royalty(&mut self, model: Option<Model>, royalty: Amount) -> Result<(), TxError> {
        let Some(mut current) = model else {
            return Ok(());
        };
        let mut amount = royalty;
        let mut depth: u8 = 0;
        loop {
            depth = depth.saturating_add(1);
            let parent = match current.parent {
                Some(p) if depth < self.spec.max_lineage_depth => {
                    self.model(&p.model)?.map(|pm| (pm, p.share_bps))
                }
                _ => None,
            };
            match parent {
                Some((parent_model, share_bps)) => {
                    let up = bps_of(amount, share_bps, "lineage royalty")?;
                    let keep = amount
                        .checked_sub(up)
                        .map_err(overflow("lineage royalty"))?;
                    self.credit(&current.owner, keep)?;
                    amount = up;
                    current = parent_model;
                }
                None => {
                    self.credit(&current.owner, amount)?;
                    return Ok(());
                }
            }
        }
    }
}

/// every receipt field agrees with the job and the transaction.
fn check_receipt(
    job: &Job,
    input_tokens: u32,
    output_tokens: u32,
    receipt: &infernet_types::Receipt,
) -> Result<(), TxError> {
    let field = if receipt.job != job.id {
        "job"
    } else if receipt.model != job.model {
        "model"
    } else if receipt.miner != job.miner {
        "miner"
    } else if receipt.request_hash != job.request_hash {
        "request_hash"
    } else if receipt.sampling != job.sampling {
        "sampling"
    } else if receipt.input_tokens != input_tokens {
        "input_tokens"
    } else if receipt.output_tokens != output_tokens {
        "output_tokens"
    } else if receipt.user != job.user {
        "user"
    } else if receipt.user_reply_key != job.reply_key {
        "user_reply_key"
    } else {
        return Ok(());
    };
    Err(TxError::ReceiptMismatch { field })
}

/// The report data simulated evidence must carry for a job's result:
/// `hash(ATTESTATION_EVIDENCE, serving_key ‖ job id ‖ commitment)`.
pub fn evidence_report_data(
    serving_key: &infernet_crypto::ReplyPublicKey,
    job: &Hash,
    commitment: &Hash,
) -> Hash {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(&serving_key.0);
    bytes.extend_from_slice(&job.0);
    bytes.extend_from_slice(&commitment.0);
    hash(domain::ATTESTATION_EVIDENCE, &bytes)
}

/// a job that requires attestation needs valid evidence with its result.
fn check_evidence(
    spec: &ChainSpec,
    miner: &Miner,
    job: &Job,
    commitment: &Hash,
    evidence: Option<&AttestationEvidence>,
) -> Result<(), TxError> {
    match evidence {
        None => Err(TxError::EvidenceRejected {
            reason: "the job requires attestation evidence",
        }),
        Some(AttestationEvidence::Tdx { .. }) => Err(TxError::EvidenceRejected {
            reason: "TDX quote verification is not supported yet",
        }),
        Some(AttestationEvidence::Simulated { report_data }) => {
            if !spec.allow_simulated_attestation {
                return Err(TxError::EvidenceRejected {
                    reason: "this chain does not accept simulated evidence",
                });
            }
            if *report_data != evidence_report_data(&miner.serving_key, &job.id, commitment) {
                return Err(TxError::EvidenceRejected {
                    reason: "report data does not bind the serving key, job and commitment",
                });
            }
            Ok(())
        }
    }
}

/// Sum of every amount the state holds (balances, escrows, bonds, pending rewards): the
/// total supply, for invariant checks in tests and tools. `None` on overflow.
pub fn total_supply<'a>(
    entries: impl IntoIterator<Item = (&'a StateKey, &'a StateValue)>,
) -> Option<Amount> {
    let mut total = Amount::ZERO;
    for (_, value) in entries {
        let add = match value {
            StateValue::Account(a) => a.balance,
            StateValue::Miner(m) => m.bond,
            StateValue::Job(j) if j.status == JobStatus::Pending => j.escrow,
            StateValue::Purchase(p) if p.status == PurchaseStatus::Pending => p.escrow,
            StateValue::RewardQueue(list) => {
                Amount::checked_sum(list.iter().map(|p| p.amount)).ok()?
            }
            _ => Amount::ZERO,
        };
        total = total.checked_add(add).ok()?;
    }
    Some(total)
}
