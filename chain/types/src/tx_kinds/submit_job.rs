//! `SubmitJob` (tag 5): submit a sealed prompt to a miner, escrowing the job's maximum cost
//! (`specs/protocol.md` §4, SubmitJob).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bool};
use crate::inference::SamplingParams;
use crate::money;
use crate::primitives::{Height, ModelId, put_sealed_box, read_sealed_box};
use crate::{Address, Amount, AmountError, Hash, ReplyPublicKey, SealedBox};

/// Submit a job to a miner, escrowing its maximum cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitJob {
    /// The miner asked to serve the job.
    pub miner: Address,
    /// The model to run.
    pub model: ModelId,
    /// The prompt, HPKE-sealed to the miner's serving key.
    pub sealed_prompt: SealedBox,
    /// The user's X25519 key the result is sealed to.
    pub reply_key: ReplyPublicKey,
    /// Most prompt tokens paid for.
    pub max_input_tokens: u32,
    /// Most generated tokens paid for.
    pub max_output_tokens: u32,
    /// Price per input token offered (at or under the miner's offer).
    pub price_in: Amount,
    /// Price per output token offered (at or under the miner's offer).
    pub price_out: Amount,
    /// Sampling parameters.
    pub sampling: SamplingParams,
    /// Height at which the job expires and is refunded if no result was posted.
    pub expiry: Height,
    /// Whether only an attested result is acceptable.
    pub require_attestation: bool,
}

impl SubmitJob {
    /// The escrow this job locks: its cost at the token limits
    /// ([`money::job_cost`] of `max_input_tokens`, `max_output_tokens`).
    pub fn max_cost(&self) -> Result<Amount, AmountError> {
        money::job_cost(
            self.price_in,
            self.price_out,
            self.max_input_tokens,
            self.max_output_tokens,
        )
    }
}

impl Encode for SubmitJob {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.miner.encode_to(out);
        self.model.encode_to(out);
        put_sealed_box(out, &self.sealed_prompt);
        self.reply_key.encode_to(out);
        self.max_input_tokens.encode_to(out);
        self.max_output_tokens.encode_to(out);
        self.price_in.encode_to(out);
        self.price_out.encode_to(out);
        self.sampling.encode_to(out);
        self.expiry.encode_to(out);
        put_bool(out, self.require_attestation);
    }
}

impl Decode for SubmitJob {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(SubmitJob {
            miner: Address::decode(r)?,
            model: Hash::decode(r)?,
            sealed_prompt: read_sealed_box(
                r,
                l.max_sealed_prompt_bytes,
                "SubmitJob.sealed_prompt",
            )?,
            reply_key: ReplyPublicKey::decode(r)?,
            max_input_tokens: r.u32("SubmitJob.max_input_tokens")?,
            max_output_tokens: r.u32("SubmitJob.max_output_tokens")?,
            price_in: Amount::decode(r)?,
            price_out: Amount::decode(r)?,
            sampling: SamplingParams::decode(r)?,
            expiry: r.u64("SubmitJob.expiry")?,
            require_attestation: r.bool("SubmitJob.require_attestation")?,
        })
    }
}
