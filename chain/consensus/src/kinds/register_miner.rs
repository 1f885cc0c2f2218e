//! `RegisterMiner` (`specs/protocol.md` §4, RegisterMiner): R-050..R-055, then lock the bond
//! and store the registration (a released miner keeps its reputation).

use infernet_types::state::{Miner, Reputation};
use infernet_types::{Amount, Limits, RegisterMiner};

use super::miner_checks::{check_attestation, check_miner_limits, check_offers};
use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

impl TxRules for RegisterMiner {
    fn upfront_debit(&self) -> Amount {
        self.bond
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        check_miner_limits(&self.offers, &self.p2p_addr, &self.attestation, l)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (sender, h) = (env.sender, env.height);
        let reputation = match state.get::<Miner>(&sender)? {
            None => Reputation::default(),
            Some(m) => {
                //
                let released = matches!(m.unbonding_at, Some(u) if u <= h);
                if !released {
                    return Err(TxError::MinerExists { miner: sender });
                }
                m.reputation
            }
        };
        //
        if self.bond < env.spec.min_miner_bond {
            return Err(TxError::BondTooLow {
                bond: self.bond,
                min: env.spec.min_miner_bond,
            });
        }
        check_offers(env, state, &self.offers)?;
        check_attestation(env, &self.serving_key, &self.offers, &self.attestation)?;
        state.debit(&sender, self.bond)?;
        state.store(Miner {
            address: sender,
            serving_key: self.serving_key,
            offers: self.offers.clone(),
            p2p_addr: self.p2p_addr.clone(),
            attestation: self.attestation.clone(),
            bond: self.bond,
            reputation,
            registered_at: h,
            unbonding_at: None,
        });
        Ok(())
    }
}
