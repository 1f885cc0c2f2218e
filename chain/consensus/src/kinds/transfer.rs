//! `Transfer` (`specs/protocol.md` §4, Transfer): R-040, then move the amount.

use infernet_types::{Amount, Limits, Transfer};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

impl TxRules for Transfer {
    fn upfront_debit(&self) -> Amount {
        self.amount
    }

    fn check_limits(&self, _limits: &Limits) -> Result<(), TxError> {
        Ok(())
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        //
        if self.amount.is_zero() {
            return Err(TxError::ZeroTransfer);
        }
        state.debit(&env.sender, self.amount)?;
        state.credit(&self.to, self.amount)
    }
}
