//! `PostResult` (tag 6): the job's miner posts the sealed result, settling the job and
//! minting its record (`specs/protocol.md` §4, PostResult).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes, put_option};
use crate::inference::{AttestationEvidence, Receipt};
use crate::primitives::{JobId, hex_bytes, put_sealed_box, read_sealed_box};
use crate::{Hash, SealedBox, Signature};

/// The job's miner posts the result, settling the job and minting the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostResult {
    /// The job served.
    pub job: JobId,
    /// Prompt tokens consumed.
    pub input_tokens: u32,
    /// Tokens generated.
    pub output_tokens: u32,
    /// The record payload: [`crate::RecordPlaintext`] encrypted under the record key.
    #[serde(with = "hex_bytes")]
    pub payload: Vec<u8>,
    /// The record key, sealed to the job's reply key.
    pub sealed_record_key: SealedBox,
    /// The miner's receipt.
    pub receipt: Receipt,
    /// The miner's signature over the receipt.
    pub receipt_signature: Signature,
    /// Evidence the job ran in the attested TEE.
    pub attestation: Option<AttestationEvidence>,
}

impl Encode for PostResult {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.job.encode_to(out);
        self.input_tokens.encode_to(out);
        self.output_tokens.encode_to(out);
        put_bytes(out, &self.payload);
        put_sealed_box(out, &self.sealed_record_key);
        self.receipt.encode_to(out);
        self.receipt_signature.encode_to(out);
        put_option(out, self.attestation.as_ref());
    }
}

impl Decode for PostResult {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(PostResult {
            job: Hash::decode(r)?,
            input_tokens: r.u32("PostResult.input_tokens")?,
            output_tokens: r.u32("PostResult.output_tokens")?,
            payload: r.bytes(l.max_payload_bytes, "PostResult.payload")?,
            sealed_record_key: read_sealed_box(
                r,
                l.max_sealed_key_bytes,
                "PostResult.sealed_record_key",
            )?,
            receipt: Receipt::decode(r)?,
            receipt_signature: Signature::decode(r)?,
            attestation: if r.option_tag("Option<AttestationEvidence>")? {
                Some(AttestationEvidence::decode(r)?)
            } else {
                None
            },
        })
    }
}
