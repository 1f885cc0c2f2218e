//! `UpdateMiner` (`specs/protocol.md` §4, UpdateMiner): an active miner
//! replaces its offers, key, address and attestation (R-052..R-055) and may add to its bond.

use infernet_types::{Amount, Limits, UpdateMiner};

use super::miner_checks::{check_attestation, check_miner_limits, check_offers};
use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::{Executor, overflow};
use crate::state::StateView;

impl TxRules for UpdateMiner {
    fn upfront_debit(&self) -> Amount {
        self.bond_top_up
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        check_miner_limits(&self.offers, &self.p2p_addr, &self.attestation, l)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let mut miner = state.active_miner(&env.sender)?;
        check_offers(env, state, &self.offers)?;
        check_attestation(env, &self.serving_key, &self.offers, &self.attestation)?;
        state.debit(&env.sender, self.bond_top_up)?;
        miner.bond = miner
            .bond
            .checked_add(self.bond_top_up)
            .map_err(overflow("bond"))?;
        miner.serving_key = self.serving_key;
        miner.offers = self.offers.clone();
        miner.p2p_addr = self.p2p_addr.clone();
        miner.attestation = self.attestation.clone();
        state.store(miner);
        Ok(())
    }
}
