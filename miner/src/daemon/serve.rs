//! One job end to end, from the `SubmitJob` to the `PostResult` to submit.
//!
//! [`serve_job`] opens the prompt sealed to the miner's serving key (HPKE `info`/`aad` from
//! [`infernet_types::sealing`], which bind the chain, the user, the miner, the model and the
//! job's nonce), runs the model through [`Inference`] with the job's sampling parameters and
//! at most `min(job, offer)` output tokens, builds the [`RecordPlaintext`] (random salt,
//! prompt, answer), encrypts it under a fresh [`RecordKey`], seals that key to the user's
//! reply key, and signs the [`Receipt`] binding the model, the request hash, the sampling
//! parameters, the token counts, the plaintext commitment and the user's keys — every field
//! consensus checks against the job.
//!
//! Contract with the wallet: the sealed prompt's plaintext is UTF-8 text, either one user
//! message or a `{"messages":[…]}` conversation document — the rule that tells them apart is
//! `specs/prompt.md`, implemented by [`Conversation::parse`] — and the model is given the
//! whole conversation through its chat template. The record's `prompt` is the plaintext
//! exactly as sealed (the wallet turns a document back into its messages) and its `answer`
//! the generated text.
//!
//! Plaintexts exist only inside this call, in zeroizing types ([`Plaintext`],
//! [`RecordPlaintext`]); nothing here logs them, and [`ServeError`] never carries them.

use infernet_crypto::seal::{self, SealError, SealedBox};
use infernet_crypto::{Address, Identity, RecordError, RecordKey, ReplyPublicKey, ReplySecret};
use infernet_types::sealing::{
    prompt_aad, prompt_info, record_key_aad, record_key_info, record_payload_aad,
};
use infernet_types::{
    Encode, JobId, ModelId, Offer, Receipt, RecordPlaintext, SamplingParams, SignedTransaction,
    TxKind, request_hash,
};
use infernet_types::{PostResult, SubmitJob};

use super::attest::AttestationMode;
use super::prompt::Conversation;
use super::secret::Plaintext;

/// A `SubmitJob` addressed to some miner, with what opening and settling it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    /// The job id: the `SubmitJob`'s txid.
    pub id: JobId,
    /// The user (the transaction's sender).
    pub user: Address,
    /// The `SubmitJob`'s nonce (bound into the prompt's `aad`).
    pub nonce: u64,
    /// The miner asked.
    pub miner: Address,
    /// The model asked for.
    pub model: ModelId,
    /// The prompt sealed to the miner's serving key.
    pub sealed_prompt: SealedBox,
    /// The user's reply key.
    pub reply_key: ReplyPublicKey,
    /// Most prompt tokens paid for.
    pub max_input_tokens: u32,
    /// Most output tokens paid for.
    pub max_output_tokens: u32,
    /// Sampling parameters.
    pub sampling: SamplingParams,
    /// Height at which the job expires.
    pub expiry: u64,
    /// Whether the result must carry attestation evidence.
    pub require_attestation: bool,
}

impl JobRequest {
    /// The job in `tx`, if it is a `SubmitJob`.
    #[must_use]
    pub fn from_tx(tx: &SignedTransaction) -> Option<Self> {
        // Only a job request is served; every other kind is not the daemon's business.
        let TxKind::SubmitJob(SubmitJob {
            miner,
            model,
            sealed_prompt,
            reply_key,
            max_input_tokens,
            max_output_tokens,
            sampling,
            expiry,
            require_attestation,
            ..
        }) = &tx.tx.kind
        else {
            return None;
        };
        Some(JobRequest {
            id: tx.txid(),
            user: tx.tx.sender,
            nonce: tx.tx.nonce,
            miner: *miner,
            model: *model,
            sealed_prompt: sealed_prompt.clone(),
            reply_key: *reply_key,
            max_input_tokens: *max_input_tokens,
            max_output_tokens: *max_output_tokens,
            sampling: *sampling,
            expiry: *expiry,
            require_attestation: *require_attestation,
        })
    }
}

/// Limits of one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimits {
    /// Most prompt tokens (the job's `max_input_tokens`).
    pub max_input: u32,
    /// Most generated tokens: `min(job, offer)`.
    pub max_output: u32,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The generated text.
    pub answer: Plaintext,
    /// Prompt tokens consumed (at most the limit).
    pub input_tokens: u32,
    /// Tokens generated (at most the limit).
    pub output_tokens: u32,
}

/// Why a model run failed. Carries no plaintext.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// The daemon does not serve this model.
    #[error("model {0} is not loaded")]
    UnknownModel(ModelId),
    /// The prompt has more tokens than the job pays for.
    #[error("the prompt has {tokens} tokens, more than the job's max_input_tokens {max}")]
    PromptTooLong {
        /// Prompt tokens.
        tokens: usize,
        /// The job's limit.
        max: u32,
    },
    /// The engine failed.
    #[error("inference failed: {0}")]
    Engine(String),
}

/// A model runner: the daemon's engine, or a stand-in in tests.
pub trait Inference: Send + Sync {
    /// Runs `model` on `conversation` (ending with the user's message) with `sampling`,
    /// within `limits`.
    fn complete(
        &self,
        model: &ModelId,
        conversation: &Conversation,
        sampling: &SamplingParams,
        limits: TokenLimits,
    ) -> Result<Completion, InferenceError>;
}

/// The miner's side of serving: its keys, the chain and how it attests.
pub struct ServeContext {
    /// Chain id (bound into every seal and signature).
    pub chain_id: u64,
    /// The miner's identity (signs receipts and transactions).
    pub identity: Identity,
    /// The serving secret prompts are sealed to (the identity's reply secret).
    pub serving: ReplySecret,
    /// The offers the miner registered.
    pub offers: Vec<Offer>,
    /// How results are attested.
    pub attestation: AttestationMode,
}

impl std::fmt::Debug for ServeContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeContext")
            .field("chain_id", &self.chain_id)
            .field("miner", &self.identity.address())
            .field("offers", &self.offers.len())
            .field("attestation", &self.attestation)
            .finish_non_exhaustive()
    }
}

impl ServeContext {
    /// A context whose serving key is `identity`'s reply secret.
    #[must_use]
    pub fn new(
        chain_id: u64,
        identity: Identity,
        offers: Vec<Offer>,
        attestation: AttestationMode,
    ) -> Self {
        let serving = identity.reply_secret();
        ServeContext {
            chain_id,
            identity,
            serving,
            offers,
            attestation,
        }
    }

    /// The miner's address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.identity.address()
    }

    /// Whether this miner can serve `job` at all (addressed to it, a served model, the
    /// attestation it asks for). Cheap: no decryption.
    pub fn accepts(&self, job: &JobRequest) -> Result<&Offer, ServeError> {
        if job.miner != self.address() {
            return Err(ServeError::NotOurs { job: job.id });
        }
        let offer = self
            .offers
            .iter()
            .find(|o| o.model == job.model)
            .ok_or(ServeError::ModelNotServed { model: job.model })?;
        if job.require_attestation && !self.attestation.attests() {
            return Err(ServeError::AttestationRequired { job: job.id });
        }
        Ok(offer)
    }
}

/// Why a job was not served (it is then left to expire and be refunded). Never carries a
/// plaintext.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The job names another miner.
    #[error("job {job} is addressed to another miner")]
    NotOurs {
        /// The job.
        job: JobId,
    },
    /// This daemon does not serve the model.
    #[error("model {model} is not served by this miner")]
    ModelNotServed {
        /// The model asked for.
        model: ModelId,
    },
    /// The job requires attestation and the daemon runs with `--attestation none`.
    #[error(
        "job {job} requires an attested miner; restart with --attestation simulated on a dev chain"
    )]
    AttestationRequired {
        /// The job.
        job: JobId,
    },
    /// The prompt does not open with the serving key, chain, parties and nonce.
    #[error("the sealed prompt of job {job} does not open for this miner: {source}")]
    OpenPrompt {
        /// The job.
        job: JobId,
        /// Why.
        source: SealError,
    },
    /// The prompt is not UTF-8 text.
    #[error("the prompt of job {job} is not UTF-8 text")]
    PromptNotText {
        /// The job.
        job: JobId,
    },
    /// The model run failed.
    #[error(transparent)]
    Inference(#[from] InferenceError),
    /// Sealing the record key failed.
    #[error("sealing the record key failed: {0}")]
    Seal(SealError),
    /// Encrypting the record payload failed.
    #[error("encrypting the record failed: {0}")]
    Record(#[from] RecordError),
    /// The system random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
}

/// Serves `job`: the `PostResult` kind the miner then signs and submits.
pub fn serve_job(
    ctx: &ServeContext,
    job: &JobRequest,
    inference: &dyn Inference,
) -> Result<TxKind, ServeError> {
    let offer = ctx.accepts(job)?;
    let miner = ctx.address();
    let opened = seal::open(
        &ctx.serving,
        &prompt_info(ctx.chain_id),
        &prompt_aad(&job.user, &miner, &job.model, job.nonce),
        &job.sealed_prompt,
    )
    .map_err(|source| ServeError::OpenPrompt {
        job: job.id,
        source,
    })?;
    let prompt =
        Plaintext::from_utf8(opened).map_err(|_| ServeError::PromptNotText { job: job.id })?;
    let limits = TokenLimits {
        max_input: job.max_input_tokens,
        max_output: job.max_output_tokens.min(offer.max_output_tokens),
    };
    let conversation = Conversation::parse(prompt);
    let completion = inference.complete(&job.model, &conversation, &job.sampling, limits)?;
    tracing::debug!(
        job = %job.id,
        input_tokens = completion.input_tokens,
        output_tokens = completion.output_tokens,
        "generation finished"
    );

    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(|e| ServeError::Random(e.to_string()))?;
    let plaintext = RecordPlaintext {
        salt,
        prompt: conversation.text().expose().as_bytes().to_vec(),
        answer: completion.answer.expose().as_bytes().to_vec(),
    };
    let commitment = plaintext.commitment();
    let encoded = zeroize::Zeroizing::new(plaintext.encode());
    drop(plaintext);

    let record_key = RecordKey::generate();
    let payload = infernet_crypto::record::try_encrypt(
        &record_key,
        &record_payload_aad(ctx.chain_id, &job.id),
        &encoded,
    )?;
    let sealed_record_key = seal::seal(
        &job.reply_key,
        &record_key_info(ctx.chain_id),
        &record_key_aad(&job.id, &job.user),
        record_key.as_bytes(),
    )
    .map_err(ServeError::Seal)?;

    let receipt = Receipt {
        job: job.id,
        model: job.model,
        miner,
        request_hash: request_hash(&job.sealed_prompt),
        sampling: job.sampling,
        input_tokens: completion.input_tokens,
        output_tokens: completion.output_tokens,
        commitment,
        user: job.user,
        user_reply_key: job.reply_key,
    };
    let receipt_signature = receipt.sign(&ctx.identity, ctx.chain_id);
    let attestation = ctx
        .attestation
        .evidence(&ctx.serving.public_key(), &job.id, &commitment);
    Ok(TxKind::PostResult(PostResult {
        job: job.id,
        input_tokens: completion.input_tokens,
        output_tokens: completion.output_tokens,
        payload,
        sealed_record_key,
        receipt,
        receipt_signature,
        attestation,
    }))
}
