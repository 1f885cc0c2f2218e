//! `Deliver` (`specs/protocol.md` §4, Deliver), then the sale is
//! split ([`money::sale_split`]: miners and model lineages by `sale_royalties`, the seller the
//! rest) and the records pass to the buyer with their keys sealed to them.

use infernet_types::money::{self, RecordPayees};
use infernet_types::state::{ListingStatus, Purchase, PurchaseStatus};
use infernet_types::{Amount, DecodeLimits, Deliver, Limits};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for Deliver {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        let key_max = DecodeLimits::PROTOCOL_MAX.max_sealed_key_bytes;
        field("sealed_keys", self.sealed_keys.len(), l.max_bundle_records)?;
        for k in &self.sealed_keys {
            field("sealed_keys[]", k.ciphertext.len(), key_max)?;
        }
        Ok(())
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let sender = env.sender;
        let mut p = match state.get::<Purchase>(&self.purchase)? {
            Some(p) if p.status == PurchaseStatus::Pending => p,
            _ => {
                return Err(TxError::NoPendingPurchase {
                    purchase: self.purchase,
                });
            }
        };
        let mut l = state.listing(&p.listing)?;
        if l.seller != sender {
            return Err(TxError::NotSeller { listing: l.id });
        }
        if self.sealed_keys.len() != l.records.len() {
            return Err(TxError::SealedKeyCount {
                expected: l.records.len(),
                got: self.sealed_keys.len(),
            });
        }
        let mut records = Vec::with_capacity(l.records.len());
        let mut payees = Vec::with_capacity(l.records.len());
        for id in &l.records {
            let rec = state.record(id)?;
            if rec.owner != l.seller {
                return Err(TxError::NotRecordOwner { record: *id });
            }
            payees.push(RecordPayees {
                miner: rec.receipt.miner,
                lineage: state.lineage(&rec.receipt.model)?,
            });
            records.push(rec);
        }
        let split = money::sale_split(p.escrow, &payees, env.spec.sale_royalties)?;
        for ((payee, part), (mut rec, key)) in payees
            .iter()
            .zip(&split.records)
            .zip(records.into_iter().zip(&self.sealed_keys))
        {
            state.credit(&payee.miner, part.miner)?;
            for (link, amount) in payee.lineage.iter().zip(&part.lineage) {
                state.credit(&link.owner, *amount)?;
            }
            rec.owner = p.buyer;
            rec.sealed_key = key.clone();
            rec.listing = None;
            state.store(rec);
        }
        state.credit(&sender, split.seller)?;
        p.status = PurchaseStatus::Delivered { height: env.height };
        l.status = ListingStatus::Sold { purchase: p.id };
        state.store(p);
        state.store(l);
        state.bump_seller_stats(sender, |s| {
            s.sales = s.sales.checked_add(1)?;
            Some(())
        })
    }
}
