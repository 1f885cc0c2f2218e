//! `Complain` (`specs/protocol.md` §4.14): R-094..R-098, then the complaint is recorded and
//! counted in the seller's market history (the chain cannot check it).

use infernet_types::state::{Complaint, Purchase, PurchaseStatus};
use infernet_types::{Amount, Complain, Limits};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for Complain {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        field("detail", self.detail.len(), l.max_string_bytes)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (purchase, record_index, h) = (self.purchase, self.record_index, env.height);
        //
        let (p, delivered_at) = match state.get::<Purchase>(&purchase)? {
            Some(p) => match p.status {
                PurchaseStatus::Delivered { height } => (p, height),
                _ => return Err(TxError::PurchaseNotDelivered { purchase }),
            },
            None => return Err(TxError::PurchaseNotDelivered { purchase }),
        };
        //
        if p.buyer != env.sender {
            return Err(TxError::NotBuyer { purchase });
        }
        let l = state.listing(&p.listing)?;
        //
        let record = usize::try_from(record_index)
            .ok()
            .and_then(|i| l.records.get(i))
            .copied()
            .ok_or(TxError::BadRecordIndex {
                index: record_index,
                records: l.records.len(),
            })?;
        //
        if state.get::<Complaint>(&(purchase, record_index))?.is_some() {
            return Err(TxError::AlreadyComplained {
                purchase,
                index: record_index,
            });
        }
        //
        let deadline = delivered_at.saturating_add(env.spec.complaint_window);
        if h > deadline {
            return Err(TxError::ComplaintWindowClosed { purchase, deadline });
        }
        state.store(Complaint {
            purchase,
            record_index,
            listing: l.id,
            record,
            buyer: env.sender,
            seller: l.seller,
            reason: self.reason,
            detail: self.detail.clone(),
            height: h,
        });
        state.bump_seller_stats(l.seller, |s| {
            s.complaints = s.complaints.checked_add(1)?;
            Some(())
        })
    }
}
