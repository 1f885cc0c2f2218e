//! The inference-market building blocks shared by transactions and state: a miner's
//! [`Offer`], [`SamplingParams`], [`Attestation`] and [`AttestationEvidence`], the miner's
//! signed [`Receipt`], and the record plaintext format with its hiding commitment.

use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey, Signature, SignatureError};
use infernet_crypto::{domain, hash::DomainHasher, signing_bytes, verify};
use serde::{Deserialize, Serialize};

use crate::Amount;
use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes};
use crate::primitives::{JobId, ModelId, hex_bytes};

/// One model a miner serves and its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The model served.
    pub model: ModelId,
    /// Price per input (prompt) token, base units.
    pub price_in: Amount,
    /// Price per output (generated) token, base units.
    pub price_out: Amount,
    /// Most output tokens the miner accepts per job for this model.
    pub max_output_tokens: u32,
}

impl Encode for Offer {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.model.encode_to(out);
        self.price_in.encode_to(out);
        self.price_out.encode_to(out);
        self.max_output_tokens.encode_to(out);
    }
}

impl Decode for Offer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Offer {
            model: Hash::decode(r)?,
            price_in: Amount::decode(r)?,
            price_out: Amount::decode(r)?,
            max_output_tokens: r.u32("Offer.max_output_tokens")?,
        })
    }
}

impl Offer {
    /// Encoded size of one offer (fixed).
    pub const ENCODED_LEN: usize = 32 + 8 + 8 + 4;
}

/// Sampling parameters of a job, in integers so consensus never touches floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SamplingParams {
    /// Temperature × 1000 (`0` = greedy decoding).
    pub temperature_milli: u32,
    /// Nucleus probability × 1000 (`1000` = disabled).
    pub top_p_milli: u32,
    /// Top-k cut-off (`0` = disabled).
    pub top_k: u32,
    /// Seed of the sampler's random stream.
    pub seed: u64,
}

impl SamplingParams {
    /// Greedy decoding (temperature 0), no cut-offs, seed 0.
    pub const GREEDY: SamplingParams = SamplingParams {
        temperature_milli: 0,
        top_p_milli: 1000,
        top_k: 0,
        seed: 0,
    };
    /// Encoded size (fixed).
    pub const ENCODED_LEN: usize = 4 + 4 + 4 + 8;
}

impl Encode for SamplingParams {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.temperature_milli.encode_to(out);
        self.top_p_milli.encode_to(out);
        self.top_k.encode_to(out);
        self.seed.encode_to(out);
    }
}

impl Decode for SamplingParams {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SamplingParams {
            temperature_milli: r.u32("SamplingParams.temperature_milli")?,
            top_p_milli: r.u32("SamplingParams.top_p_milli")?,
            top_k: r.u32("SamplingParams.top_k")?,
            seed: r.u64("SamplingParams.seed")?,
        })
    }
}

/// A miner's attestation at registration: binds its serving key and model ids to a TEE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Attestation {
    /// No attestation (tag 0).
    None,
    /// A simulated attestation for dev and test chains (tag 1); a chain spec may refuse it.
    Simulated {
        /// Must equal [`Attestation::report_data`] of the registration's serving key and offers.
        report_data: Hash,
    },
    /// An Intel TDX quote (DCAP) (tag 2).
    Tdx {
        /// The raw quote.
        #[serde(with = "hex_bytes")]
        quote: Vec<u8>,
    },
}

impl Attestation {
    /// The report data a TEE must carry for `serving_key` and `models`:
    /// `hash(ATTESTATION_REPORT, serving_key ‖ model ids sorted ascending, duplicates removed)`.
    #[must_use]
    pub fn report_data(serving_key: &ReplyPublicKey, models: &[ModelId]) -> Hash {
        let mut ids: Vec<[u8; 32]> = models.iter().map(|m| m.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut h = DomainHasher::new(domain::ATTESTATION_REPORT);
        h.update(&serving_key.0);
        for id in &ids {
            h.update(id);
        }
        h.finalize()
    }

    /// Whether this is [`Attestation::None`].
    #[must_use]
    pub fn is_none(&self) -> bool {
        matches!(self, Attestation::None)
    }
}

impl Encode for Attestation {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            Attestation::None => out.push(0),
            Attestation::Simulated { report_data } => {
                out.push(1);
                report_data.encode_to(out);
            }
            Attestation::Tdx { quote } => {
                out.push(2);
                put_bytes(out, quote);
            }
        }
    }
}

impl Decode for Attestation {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("Attestation")? {
            0 => Ok(Attestation::None),
            1 => Ok(Attestation::Simulated {
                report_data: Hash::decode(r)?,
            }),
            2 => Ok(Attestation::Tdx {
                quote: r.bytes(r.limits().max_attestation_bytes, "Attestation.quote")?,
            }),
            tag => Err(DecodeError::InvalidTag {
                type_name: "Attestation",
                tag,
            }),
        }
    }
}

/// Evidence, attached to a `PostResult`, that a job ran inside the attested TEE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AttestationEvidence {
    /// Simulated evidence for dev and test chains (tag 0): report data binding the serving
    /// key, the job and the result commitment (the rule is in `specs/protocol.md`).
    Simulated {
        /// The report data.
        report_data: Hash,
    },
    /// An Intel TDX quote whose report data binds the job (tag 1).
    Tdx {
        /// The raw quote.
        #[serde(with = "hex_bytes")]
        quote: Vec<u8>,
    },
}

impl Encode for AttestationEvidence {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            AttestationEvidence::Simulated { report_data } => {
                out.push(0);
                report_data.encode_to(out);
            }
            AttestationEvidence::Tdx { quote } => {
                out.push(1);
                put_bytes(out, quote);
            }
        }
    }
}

impl Decode for AttestationEvidence {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("AttestationEvidence")? {
            0 => Ok(AttestationEvidence::Simulated {
                report_data: Hash::decode(r)?,
            }),
            1 => Ok(AttestationEvidence::Tdx {
                quote: r.bytes(
                    r.limits().max_attestation_bytes,
                    "AttestationEvidence.quote",
                )?,
            }),
            tag => Err(DecodeError::InvalidTag {
                type_name: "AttestationEvidence",
                tag,
            }),
        }
    }
}

/// What a miner signs about a finished job. Every field is checked on chain against the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The job served.
    pub job: JobId,
    /// The model that ran.
    pub model: ModelId,
    /// The miner that ran it (the signer).
    pub miner: Address,
    /// [`request_hash`] of the job's sealed prompt.
    pub request_hash: Hash,
    /// The sampling parameters used.
    pub sampling: SamplingParams,
    /// Prompt tokens consumed.
    pub input_tokens: u32,
    /// Tokens generated.
    pub output_tokens: u32,
    /// Hiding commitment to the plaintext pair ([`RecordPlaintext::commitment`]).
    pub commitment: Hash,
    /// The job's user.
    pub user: Address,
    /// The user's reply key the record key was sealed to.
    pub user_reply_key: ReplyPublicKey,
}

impl Receipt {
    /// Exactly the bytes given to ed25519: `signing_bytes(RECEIPT_SIGNATURE, chain_id, encode(receipt))`.
    #[must_use]
    pub fn signing_bytes(&self, chain_id: u64) -> Vec<u8> {
        signing_bytes(domain::RECEIPT_SIGNATURE, chain_id, &self.encode())
    }

    /// The miner's signature over this receipt.
    #[must_use]
    pub fn sign(&self, miner: &Identity, chain_id: u64) -> Signature {
        miner.sign(domain::RECEIPT_SIGNATURE, chain_id, &self.encode())
    }

    /// Checks `signature` by `self.miner` (strict ed25519).
    pub fn verify(&self, chain_id: u64, signature: &Signature) -> Result<(), SignatureError> {
        verify(
            &self.miner,
            domain::RECEIPT_SIGNATURE,
            chain_id,
            &self.encode(),
            signature,
        )
    }
}

impl Encode for Receipt {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.job.encode_to(out);
        self.model.encode_to(out);
        self.miner.encode_to(out);
        self.request_hash.encode_to(out);
        self.sampling.encode_to(out);
        self.input_tokens.encode_to(out);
        self.output_tokens.encode_to(out);
        self.commitment.encode_to(out);
        self.user.encode_to(out);
        self.user_reply_key.encode_to(out);
    }
}

impl Decode for Receipt {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Receipt {
            job: Hash::decode(r)?,
            model: Hash::decode(r)?,
            miner: Address::decode(r)?,
            request_hash: Hash::decode(r)?,
            sampling: SamplingParams::decode(r)?,
            input_tokens: r.u32("Receipt.input_tokens")?,
            output_tokens: r.u32("Receipt.output_tokens")?,
            commitment: Hash::decode(r)?,
            user: Address::decode(r)?,
            user_reply_key: ReplyPublicKey::decode(r)?,
        })
    }
}

/// The request hash of a sealed prompt: `hash(REQUEST_HASH, enc ‖ ciphertext)`.
///
/// Binds a job's receipt to the exact ciphertext the user submitted.
#[must_use]
pub fn request_hash(sealed_prompt: &infernet_crypto::seal::SealedBox) -> Hash {
    let mut h = DomainHasher::new(crate::REQUEST_HASH_DOMAIN);
    h.update(&sealed_prompt.enc);
    h.update(&sealed_prompt.ciphertext);
    h.finalize()
}

/// The plaintext of a record payload: what the miner encrypts under the record key.
///
/// Encoded canonically (`salt ‖ u32 len ‖ prompt ‖ u32 len ‖ answer`); the commitment in
/// the receipt is `hash(RECORD_COMMITMENT, encode(plaintext))`, hiding because the random
/// salt is only inside the encrypted payload. Zeroized on drop; `Debug` redacts the content.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordPlaintext {
    /// 32 random bytes chosen by the miner; makes the commitment hiding.
    pub salt: [u8; 32],
    /// The prompt as given to the model (UTF-8 bytes of the chat messages, as the miner's
    /// engine defines them).
    pub prompt: Vec<u8>,
    /// The generated answer (UTF-8 bytes).
    pub answer: Vec<u8>,
}

impl std::fmt::Debug for RecordPlaintext {
    /// Redacts the content: plaintexts never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RecordPlaintext {{ prompt: <{} bytes>, answer: <{} bytes> }}",
            self.prompt.len(),
            self.answer.len()
        )
    }
}

impl RecordPlaintext {
    /// The hiding commitment `hash(RECORD_COMMITMENT, encode(self))`.
    #[must_use]
    pub fn commitment(&self) -> Hash {
        let encoded = zeroize::Zeroizing::new(self.encode());
        infernet_crypto::hash::hash(domain::RECORD_COMMITMENT, &encoded)
    }
}

impl Drop for RecordPlaintext {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.salt.zeroize();
        self.prompt.zeroize();
        self.answer.zeroize();
    }
}

impl Encode for RecordPlaintext {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.salt);
        put_bytes(out, &self.prompt);
        put_bytes(out, &self.answer);
    }
}

impl Decode for RecordPlaintext {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let max = r.limits().max_payload_bytes;
        Ok(RecordPlaintext {
            salt: r.array("RecordPlaintext.salt")?,
            prompt: r.bytes(max, "RecordPlaintext.prompt")?,
            answer: r.bytes(max, "RecordPlaintext.answer")?,
        })
    }
}
