//! `Unregister` (`specs/protocol.md` §4, Unregister): an active miner starts
//! unbonding; its bond is released after the chain's unbonding delay (§6).

use infernet_types::{Amount, Limits};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

/// `TxKind::Unregister` has no fields; this stands for it.
pub(super) struct Unregister;

impl TxRules for Unregister {
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
        let mut miner = state.active_miner(&env.sender)?;
        let at = env
            .height
            .checked_add(env.spec.unbonding_delay.max(1))
            .ok_or(TxError::Overflow {
                what: "unbonding height",
            })?;
        miner.unbonding_at = Some(at);
        state.store(miner);
        state.push_unbonding(at, env.sender)
    }
}
