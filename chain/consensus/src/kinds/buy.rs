//! `Buy` (`specs/protocol.md` §4, Buy), then the price is
//! escrowed until delivery or the delivery deadline.

use infernet_types::state::{Account, ListingStatus, Purchase, PurchaseStatus};
use infernet_types::{Amount, Buy, Limits};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

impl TxRules for Buy {
    /// The price is in the listing, not the transaction.
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, _limits: &Limits) -> Result<(), TxError> {
        Ok(())
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (sender, h, listing) = (env.sender, env.height, self.listing);
        let mut l = state.listing(&listing)?;
        if l.status != ListingStatus::Open || h > l.until {
            return Err(TxError::ListingNotOpen { listing });
        }
        for id in &l.records {
            let rec = state.record(id)?;
            if rec.owner != l.seller || rec.listing != Some(listing) {
                return Err(TxError::NotRecordOwner { record: *id });
            }
        }
        state.debit(&sender, l.price)?;
        let deadline = h
            .checked_add(env.spec.delivery_window.max(1))
            .ok_or(TxError::Overflow {
                what: "delivery deadline",
            })?;
        let mut acc = state.account(&sender)?;
        acc.reply_key = Some(self.reply_key);
        state.put::<Account>(&sender, acc);
        state.store(Purchase {
            id: env.txid,
            listing,
            buyer: sender,
            reply_key: self.reply_key,
            escrow: l.price,
            deadline,
            created_at: h,
            status: PurchaseStatus::Pending,
        });
        l.status = ListingStatus::Pending { purchase: env.txid };
        state.store(l);
        state.push_purchase_deadline(deadline, env.txid)
    }
}
