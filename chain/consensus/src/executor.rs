//! The [`Executor`]: the state a block is applied to, as the rules see it. It owns the write
//! overlay and gives typed access to it ([`StateEntry`]), the money moves every kind shares
//! (credit, debit, royalties along a model's lineage), the height-indexed queues, the
//! transaction rules common to every kind (R-030 nonce, R-031 fee) and start- and end-of-block
//! processing (`specs/protocol.md` §3, §6). What each kind checks and does is in
//! [`crate::kinds`].

use infernet_crypto::{Address, Hash};
use infernet_types::money::{self, LineageNode};
use infernet_types::state::{
    Account, Job, JobStatus, Listing, ListingStatus, Miner, Model, Payout, Purchase,
    PurchaseStatus, Record, SellerStats,
};
use infernet_types::{Amount, ChainSpec, Coinbase, Height, ModelId, SignedTransaction};

use crate::error::{StateError, TxError};
use crate::kinds::{TxEnv, TxRules};
use crate::state::{Overlay, StateView};
use crate::typed_state::{
    JobExpiries, Keyed, PendingRewards, PurchaseDeadlines, StateEntry, Unbondings,
};

/// Applies transactions one by one at a height over a base state, keeping their writes in an
/// overlay; used by [`crate::apply_block`], [`crate::check_tx`] and block production.
pub struct Executor<'a, V: StateView + ?Sized> {
    pub(crate) overlay: Overlay<'a, V>,
    pub(crate) spec: &'a ChainSpec,
    pub(crate) height: Height,
}

fn corrupt<E: StateEntry>(id: &E::Id) -> StateError {
    StateError::Corrupt {
        key: format!("{:?}", E::key(id)),
        reason: format!("expected a {} value", E::NAME),
    }
}

/// Maps an amount error to R-032 naming `what`.
pub(crate) fn overflow(what: &'static str) -> impl Fn(infernet_types::AmountError) -> TxError {
    move |_| TxError::Overflow { what }
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

    /// The entry `id` of type `E`, if present.
    pub(crate) fn get<E: StateEntry>(&mut self, id: &E::Id) -> Result<Option<E::Value>, TxError> {
        match self.overlay.get(&E::key(id))? {
            None => Ok(None),
            Some(v) => E::from_value(v)
                .map(Some)
                .ok_or_else(|| corrupt::<E>(id).into()),
        }
    }

    /// Writes the entry `id` of type `E`.
    pub(crate) fn put<E: StateEntry>(&mut self, id: &E::Id, value: E::Value) {
        self.overlay.put(E::key(id), Some(E::into_value(value)));
    }

    /// Writes an entry under its own id.
    pub(crate) fn store<E: Keyed<Value = E>>(&mut self, value: E) {
        let id = E::id_of(&value);
        self.put::<E>(&id, value);
    }

    /// Removes the entry `id` of type `E`, returning it.
    pub(crate) fn take<E: StateEntry>(&mut self, id: &E::Id) -> Result<Option<E::Value>, TxError> {
        let v = self.get::<E>(id)?;
        if v.is_some() {
            self.overlay.put(E::key(id), None);
        }
        Ok(v)
    }

    /// An account (the default, empty one when absent).
    pub(crate) fn account(&mut self, addr: &Address) -> Result<Account, TxError> {
        Ok(self.get::<Account>(addr)?.unwrap_or_default())
    }

    /// the job `id`.
    pub(crate) fn job(&mut self, id: &Hash) -> Result<Job, TxError> {
        self.get::<Job>(id)?.ok_or(TxError::UnknownJob { job: *id })
    }

    /// the record `id`.
    pub(crate) fn record(&mut self, id: &Hash) -> Result<Record, TxError> {
        self.get::<Record>(id)?
            .ok_or(TxError::UnknownRecord { record: *id })
    }

    /// the listing `id`.
    pub(crate) fn listing(&mut self, id: &Hash) -> Result<Listing, TxError> {
        self.get::<Listing>(id)?
            .ok_or(TxError::UnknownListing { listing: *id })
    }

    /// a registered miner that is not unbonding or inactive.
    pub(crate) fn active_miner(&mut self, addr: &Address) -> Result<Miner, TxError> {
        let miner = self
            .get::<Miner>(addr)?
            .ok_or(TxError::UnknownMiner { miner: *addr })?;
        if miner.unbonding_at.is_some() {
            return Err(TxError::MinerUnbonding { miner: *addr });
        }
        Ok(miner)
    }

    /// Applies `change` to `seller`'s market history (protocol.md §1, `SellerStats`).
    pub(crate) fn bump_seller_stats(
        &mut self,
        seller: Address,
        change: impl FnOnce(&mut SellerStats) -> Option<()>,
    ) -> Result<(), TxError> {
        let mut stats = self.get::<SellerStats>(&seller)?.unwrap_or_default();
        change(&mut stats).ok_or(TxError::Overflow {
            what: "seller stats",
        })?;
        self.put::<SellerStats>(&seller, stats);
        Ok(())
    }

    /// Whether a record is held by a live listing: one awaiting delivery, or open and not
    /// past its end. A record whose listing lapsed is free again.
    pub(crate) fn is_listed(&mut self, record: &Record) -> Result<bool, TxError> {
        let Some(lid) = record.listing else {
            return Ok(false);
        };
        let Some(listing) = self.get::<Listing>(&lid)? else {
            return Ok(false);
        };
        Ok(match listing.status {
            ListingStatus::Pending { .. } => true,
            ListingStatus::Open => self.height <= listing.until,
            ListingStatus::Sold { .. } | ListingStatus::Cancelled => false,
        })
    }

    // ----- money -----

    pub(crate) fn credit(&mut self, addr: &Address, amount: Amount) -> Result<(), TxError> {
        if amount.is_zero() {
            return Ok(());
        }
        let mut acc = self.account(addr)?;
        acc.balance = acc
            .balance
            .checked_add(amount)
            .map_err(overflow("credit"))?;
        self.put::<Account>(addr, acc);
        Ok(())
    }

    /// debit, failing if the balance does not cover it.
    pub(crate) fn debit(&mut self, addr: &Address, amount: Amount) -> Result<(), TxError> {
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
        self.put::<Account>(addr, acc);
        Ok(())
    }

    /// The royalty lineage of `model` (`specs/protocol.md` §5): empty when the model is not
    /// registered.
    pub(crate) fn lineage(&mut self, model: &ModelId) -> Result<Vec<money::LineageLink>, TxError> {
        let depth = self.spec.max_lineage_depth;
        money::lineage(model, depth, |id| {
            Ok(self.get::<Model>(id)?.map(|m| LineageNode {
                owner: m.owner,
                parent: m.parent,
            }))
        })
    }

    /// Pays `amount` along `lineage` ([`money::split_along_lineage`]).
    pub(crate) fn pay_lineage(
        &mut self,
        lineage: &[money::LineageLink],
        amount: Amount,
    ) -> Result<(), TxError> {
        let parts = money::split_along_lineage(amount, lineage)?;
        for (link, part) in lineage.iter().zip(parts) {
            self.credit(&link.owner, part)?;
        }
        Ok(())
    }

    // ----- queues -----

    /// fewer than `max_jobs_per_block` jobs already expire at `at`.
    pub(crate) fn check_expiry_capacity(&mut self, at: Height) -> Result<(), TxError> {
        let queued = self.get::<JobExpiries>(&at)?.map_or(0, |l| l.len());
        let max = self.spec.limits.max_jobs_per_block;
        if queued as u64 >= u64::from(max) {
            return Err(TxError::ExpiryHeightFull { expiry: at, max });
        }
        Ok(())
    }

    /// Appends to `JobExpiry(at)`; R-065 caps the queue at `max_jobs_per_block` entries so
    /// no state value (and no block's delta) can grow without bound.
    pub(crate) fn push_job_expiry(&mut self, at: Height, job: Hash) -> Result<(), TxError> {
        let mut list = self.get::<JobExpiries>(&at)?.unwrap_or_default();
        let max = self.spec.limits.max_jobs_per_block;
        if list.len() as u64 >= u64::from(max) {
            return Err(TxError::ExpiryHeightFull { expiry: at, max });
        }
        list.push(job);
        self.put::<JobExpiries>(&at, list);
        Ok(())
    }

    pub(crate) fn push_purchase_deadline(
        &mut self,
        at: Height,
        purchase: Hash,
    ) -> Result<(), TxError> {
        let mut list = self.get::<PurchaseDeadlines>(&at)?.unwrap_or_default();
        list.push(purchase);
        self.put::<PurchaseDeadlines>(&at, list);
        Ok(())
    }

    pub(crate) fn push_unbonding(&mut self, at: Height, miner: Address) -> Result<(), TxError> {
        let mut list = self.get::<Unbondings>(&at)?.unwrap_or_default();
        list.push(miner);
        self.put::<Unbondings>(&at, list);
        Ok(())
    }

    // ----- start and end of block -----

    /// Start-of-block processing (protocol.md §6), committed as part of the block.
    pub(crate) fn begin_block(&mut self) -> Result<(), TxError> {
        let h = self.height;
        // 1. Matured rewards.
        for p in self.take::<PendingRewards>(&h)?.unwrap_or_default() {
            self.credit(&p.to, p.amount)?;
        }
        // 2. Job expiries.
        for id in self.take::<JobExpiries>(&h)?.unwrap_or_default() {
            let mut job = self.job(&id)?;
            if job.status != JobStatus::Pending {
                continue;
            }
            job.status = JobStatus::Expired { height: h };
            self.credit(&job.user, job.escrow)?;
            if let Some(mut miner) = self.get::<Miner>(&job.miner)? {
                miner.reputation.expired =
                    miner
                        .reputation
                        .expired
                        .checked_add(1)
                        .ok_or(TxError::Overflow {
                            what: "expired counter",
                        })?;
                self.store(miner);
            }
            self.store(job);
        }
        // 3. Purchase deadlines.
        for id in self.take::<PurchaseDeadlines>(&h)?.unwrap_or_default() {
            let Some(mut purchase) = self.get::<Purchase>(&id)? else {
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
            self.store(listing);
            self.store(purchase);
        }
        // 4. Unbonding releases.
        for addr in self.take::<Unbondings>(&h)?.unwrap_or_default() {
            let Some(mut miner) = self.get::<Miner>(&addr)? else {
                continue;
            };
            if miner.unbonding_at != Some(h) || miner.bond.is_zero() {
                continue;
            }
            let bond = miner.bond;
            miner.bond = Amount::ZERO;
            self.store(miner);
            self.credit(&addr, bond)?;
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
            let mut list = self.get::<PendingRewards>(&at)?.unwrap_or_default();
            list.push(Payout {
                to: coinbase.recipient,
                amount: coinbase.amount,
            });
            self.put::<PendingRewards>(&at, list);
        }
        self.overlay.commit_tx();
        Ok(())
    }

    // ----- transactions -----

    /// Applies one transaction whose stateless rules already passed. On error the
    /// transaction's writes are discarded ([`Overlay::discard_tx`]).
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
        self.put::<Account>(&sender, acc);
        let env = TxEnv {
            sender,
            txid,
            height: self.height,
            spec: self.spec,
        };
        tx.kind.apply(&env, self)
    }
}
