//! `CancelListing` (`specs/protocol.md` §4, CancelListing): R-084..R-086, then the listing's
//! records are free again.

use infernet_types::state::ListingStatus;
use infernet_types::{Amount, CancelListing, Limits};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

impl TxRules for CancelListing {
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
        let listing = self.listing;
        let mut l = state.listing(&listing)?;
        if l.seller != env.sender {
            return Err(TxError::NotSeller { listing });
        }
        if l.status != ListingStatus::Open {
            return Err(TxError::ListingNotOpen { listing });
        }
        l.status = ListingStatus::Cancelled;
        for id in &l.records {
            let mut rec = state.record(id)?;
            if rec.listing == Some(listing) {
                rec.listing = None;
                state.store(rec);
            }
        }
        state.store(l);
        state.bump_seller_stats(env.sender, |s| {
            s.cancelled = s.cancelled.checked_add(1)?;
            Some(())
        })
    }
}
