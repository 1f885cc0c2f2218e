//! `TransferRecord` (`specs/protocol.md` §4, TransferRecord), then the
//! record changes owner and carries the key sealed to them.

use infernet_types::{Amount, DecodeLimits, Limits, TransferRecord};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for TransferRecord {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, _limits: &Limits) -> Result<(), TxError> {
        let key_max = DecodeLimits::PROTOCOL_MAX.max_sealed_key_bytes;
        field("sealed_key", self.sealed_key.ciphertext.len(), key_max)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let mut rec = state.record(&self.record)?;
        if rec.owner != env.sender {
            return Err(TxError::NotRecordOwner {
                record: self.record,
            });
        }
        if state.is_listed(&rec)? {
            return Err(TxError::RecordListed {
                record: self.record,
            });
        }
        rec.owner = self.to;
        rec.sealed_key = self.sealed_key.clone();
        rec.listing = None;
        state.store(rec);
        Ok(())
    }
}
