//! `PostResult` (`specs/protocol.md` §4, PostResult): R-070..R-076, then settle the job
//! ([`money::settle_job`]: royalty along the model's lineage, miner pay, refund), count it in
//! the miner's reputation and mint the record.

use infernet_crypto::{Hash, ReplyPublicKey, domain, hash::hash};
use infernet_types::money;
use infernet_types::state::{Job, JobStatus, Miner, Model, Record};
use infernet_types::{
    Amount, AttestationEvidence, ChainSpec, DecodeLimits, Limits, PostResult, Receipt,
};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

impl TxRules for PostResult {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, l: &Limits) -> Result<(), TxError> {
        let key_max = DecodeLimits::PROTOCOL_MAX.max_sealed_key_bytes;
        field("payload", self.payload.len(), l.max_payload_bytes)?;
        field(
            "sealed_record_key",
            self.sealed_record_key.ciphertext.len(),
            key_max,
        )?;
        let ev = match &self.attestation {
            Some(AttestationEvidence::Tdx { quote }) => quote.len(),
            _ => 0,
        };
        field("attestation", ev, l.max_attestation_bytes)
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let h = env.height;
        let mut job = state.job(&self.job)?;
        //
        if job.status != JobStatus::Pending {
            return Err(TxError::JobNotPending { job: self.job });
        }
        //
        if env.sender != job.miner {
            return Err(TxError::NotJobMiner);
        }
        //
        if self.input_tokens > job.max_input_tokens || self.output_tokens > job.max_output_tokens {
            return Err(TxError::TokenCountsExceedLimits {
                input: self.input_tokens,
                output: self.output_tokens,
            });
        }
        check_receipt(&job, self.input_tokens, self.output_tokens, &self.receipt)?;
        //
        if self
            .receipt
            .verify(env.spec.chain_id, &self.receipt_signature)
            .is_err()
        {
            return Err(TxError::BadReceiptSignature);
        }
        if job.require_attestation {
            let miner = state
                .get::<Miner>(&job.miner)?
                .ok_or(TxError::UnknownMiner { miner: job.miner })?;
            check_evidence(
                env.spec,
                &miner,
                &job,
                &self.receipt.commitment,
                self.attestation.as_ref(),
            )?;
        }
        let royalty_bps = state.get::<Model>(&job.model)?.map(|m| m.royalty_bps);
        let settled = money::settle_job(
            job.escrow,
            job.price_in,
            job.price_out,
            self.input_tokens,
            self.output_tokens,
            royalty_bps,
        )?;
        let lineage = state.lineage(&job.model)?;
        state.pay_lineage(&lineage, settled.royalty)?;
        state.credit(&job.miner, settled.miner_pay)?;
        state.credit(&job.user, settled.refund)?;
        job.status = JobStatus::Completed { height: h };
        let mut miner = state
            .get::<Miner>(&job.miner)?
            .ok_or(TxError::UnknownMiner { miner: job.miner })?;
        miner.reputation.served =
            miner
                .reputation
                .served
                .checked_add(1)
                .ok_or(TxError::Overflow {
                    what: "served counter",
                })?;
        state.store(miner);
        state.store(Record {
            id: job.id,
            owner: job.user,
            sealed_key: self.sealed_record_key.clone(),
            payload: self.payload.clone(),
            receipt: self.receipt.clone(),
            receipt_signature: self.receipt_signature,
            created_at: h,
            listing: None,
        });
        state.store(job);
        Ok(())
    }
}

/// every receipt field agrees with the job and the transaction.
fn check_receipt(
    job: &Job,
    input_tokens: u32,
    output_tokens: u32,
    receipt: &Receipt,
) -> Result<(), TxError> {
    let field = if receipt.job != job.id {
        "job"
    } else if receipt.model != job.model {
        "model"
    } else if receipt.miner != job.miner {
        "miner"
    } else if receipt.request_hash != job.request_hash {
        "request_hash"
    } else if receipt.sampling != job.sampling {
        "sampling"
    } else if receipt.input_tokens != input_tokens {
        "input_tokens"
    } else if receipt.output_tokens != output_tokens {
        "output_tokens"
    } else if receipt.user != job.user {
        "user"
    } else if receipt.user_reply_key != job.reply_key {
        "user_reply_key"
    } else {
        return Ok(());
    };
    Err(TxError::ReceiptMismatch { field })
}

/// The report data simulated evidence must carry for a job's result:
/// `hash(ATTESTATION_EVIDENCE, serving_key ‖ job id ‖ commitment)`.
pub fn evidence_report_data(serving_key: &ReplyPublicKey, job: &Hash, commitment: &Hash) -> Hash {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(&serving_key.0);
    bytes.extend_from_slice(&job.0);
    bytes.extend_from_slice(&commitment.0);
    hash(domain::ATTESTATION_EVIDENCE, &bytes)
}

/// a job that requires attestation needs valid evidence with its result.
fn check_evidence(
    spec: &ChainSpec,
    miner: &Miner,
    job: &Job,
    commitment: &Hash,
    evidence: Option<&AttestationEvidence>,
) -> Result<(), TxError> {
    match evidence {
        None => Err(TxError::EvidenceRejected {
            reason: "the job requires attestation evidence",
        }),
        Some(AttestationEvidence::Tdx { .. }) => Err(TxError::EvidenceRejected {
            reason: "TDX quote verification is not supported yet",
        }),
        Some(AttestationEvidence::Simulated { report_data }) => {
            if !spec.allow_simulated_attestation {
                return Err(TxError::EvidenceRejected {
                    reason: "this chain does not accept simulated evidence",
                });
            }
            if *report_data != evidence_report_data(&miner.serving_key, &job.id, commitment) {
                return Err(TxError::EvidenceRejected {
                    reason: "report data does not bind the serving key, job and commitment",
                });
            }
            Ok(())
        }
    }
}
