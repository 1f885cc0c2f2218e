//! `SubmitJob` (`specs/protocol.md` §4, SubmitJob): ..R-065, then escrow
//! the job's maximum cost ([`SubmitJob::max_cost`]) and queue its expiry.

use infernet_types::state::{Account, Job, JobStatus};
use infernet_types::{Amount, Limits, SubmitJob, request_hash};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::{Executor, overflow};
use crate::state::StateView;
use crate::validate::field;

impl TxRules for SubmitJob {
    fn upfront_debit(&self) -> Amount {
        self.max_cost().unwrap_or(Amount::MAX)
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        field(
            "sealed_prompt",
            self.sealed_prompt.ciphertext.len(),
            l.max_sealed_prompt_bytes,
        )
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (sender, h, spec) = (env.sender, env.height, env.spec);
        let m = state.active_miner(&self.miner)?;
        //
        let offer = m
            .offer(&self.model)
            .ok_or(TxError::NoOffer { model: self.model })?;
        //
        if self.price_in > offer.price_in || self.price_out > offer.price_out {
            return Err(TxError::PriceAboveOffer {
                price_in: self.price_in,
                price_out: self.price_out,
            });
        }
        //
        let allowed_out = offer.max_output_tokens.min(spec.limits.max_output_tokens);
        if self.max_input_tokens == 0
            || self.max_output_tokens == 0
            || self.max_output_tokens > allowed_out
        {
            return Err(TxError::JobTokenLimit {
                max_in: self.max_input_tokens,
                max_out: self.max_output_tokens,
                allowed_out,
            });
        }
        //
        let max_expiry = h.saturating_add(spec.limits.max_job_lifetime);
        if self.expiry <= h || self.expiry > max_expiry {
            return Err(TxError::BadJobExpiry {
                expiry: self.expiry,
                min: h.saturating_add(1),
                max: max_expiry,
            });
        }
        //
        if self.require_attestation && m.attestation.is_none() {
            return Err(TxError::MinerNotAttested { miner: self.miner });
        }
        // R-065 before any debit, in the order of the spec.
        state.check_expiry_capacity(self.expiry)?;
        let escrow = self.max_cost().map_err(overflow("job escrow"))?;
        state.debit(&sender, escrow)?;
        let mut acc = state.account(&sender)?;
        acc.reply_key = Some(self.reply_key);
        state.put::<Account>(&sender, acc);
        state.store(Job {
            id: env.txid,
            user: sender,
            miner: self.miner,
            model: self.model,
            request_hash: request_hash(&self.sealed_prompt),
            reply_key: self.reply_key,
            max_input_tokens: self.max_input_tokens,
            max_output_tokens: self.max_output_tokens,
            price_in: self.price_in,
            price_out: self.price_out,
            escrow,
            sampling: self.sampling,
            expiry: self.expiry,
            require_attestation: self.require_attestation,
            submitted_at: h,
            status: JobStatus::Pending,
            rating: None,
        });
        state.push_job_expiry(self.expiry, env.txid)
    }
}
