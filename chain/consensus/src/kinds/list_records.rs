//! `ListRecords` (`specs/protocol.md` §4, ListRecords): R-080..R-083, R-089, then the listing
//! holds its records until it is sold, cancelled or lapses.

use std::collections::HashSet;

use infernet_types::state::{Listing, ListingStatus};
use infernet_types::{Amount, Limits, ListRecords};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for ListRecords {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        field("records", self.records.len(), l.max_bundle_records)?;
        field("title", self.title.len(), l.max_string_bytes)?;
        field("description", self.description.len(), l.max_string_bytes)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (sender, h) = (env.sender, env.height);
        //
        let mut seen = HashSet::new();
        if self.records.is_empty() || !self.records.iter().all(|r| seen.insert(*r)) {
            return Err(TxError::BadBundle);
        }
        //
        let max_until = h.saturating_add(env.spec.limits.max_listing_lifetime);
        if self.until <= h || self.until > max_until {
            return Err(TxError::BadListingEnd {
                until: self.until,
                min: h.saturating_add(1),
                max: max_until,
            });
        }
        for id in &self.records {
            let mut rec = state.record(id)?;
            if rec.owner != sender {
                return Err(TxError::NotRecordOwner { record: *id });
            }
            if state.is_listed(&rec)? {
                return Err(TxError::RecordListed { record: *id });
            }
            rec.listing = Some(env.txid);
            state.store(rec);
        }
        state.store(Listing {
            id: env.txid,
            seller: sender,
            records: self.records.clone(),
            price: self.price,
            until: self.until,
            title: self.title.clone(),
            description: self.description.clone(),
            created_at: h,
            status: ListingStatus::Open,
        });
        state.bump_seller_stats(sender, |s| {
            s.listings = s.listings.checked_add(1)?;
            Some(())
        })
    }
}
