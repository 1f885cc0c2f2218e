//! `RegisterModel` (`specs/protocol.md` §4, RegisterModel): R-041..R-044, then the model.

use infernet_types::state::Model;
use infernet_types::{Amount, Limits, RegisterModel};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for RegisterModel {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        field("name", self.name.len(), l.max_string_bytes)?;
        field("architecture", self.architecture.len(), l.max_string_bytes)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        //
        if state.get::<Model>(&self.id)?.is_some() {
            return Err(TxError::ModelExists { model: self.id });
        }
        //
        if self.royalty_bps > env.spec.max_royalty_bps {
            return Err(TxError::RoyaltyTooHigh {
                bps: self.royalty_bps,
                max: env.spec.max_royalty_bps,
            });
        }
        if let Some(p) = self.parent {
            //
            if state.get::<Model>(&p.model)?.is_none() {
                return Err(TxError::UnknownParentModel { model: p.model });
            }
            //
            if p.share_bps > 10_000 {
                return Err(TxError::ParentShareTooHigh { bps: p.share_bps });
            }
        }
        state.store(Model {
            id: self.id,
            owner: env.sender,
            name: self.name.clone(),
            architecture: self.architecture.clone(),
            context_length: self.context_length,
            royalty_bps: self.royalty_bps,
            parent: self.parent,
            registered_at: env.height,
        });
        Ok(())
    }
}
