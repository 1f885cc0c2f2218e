//! Sealing prompts into `SubmitJob`s and opening the records their results mint.
//!
//! The wallet's half of the job protocol (the miner's half lives in `infernet-miner`):
//!
//! 1. [`submit_job_kind`] seals the prompt to the miner's serving key with HPKE, `info` and
//!    `aad` from [`infernet_types::sealing`] (chain id; user, miner, model and the
//!    `SubmitJob`'s nonce), and names the user's reply key (derived from the wallet seed).
//! 2. The job's escrow is [`max_cost`]; the settlement charges `price_in × input tokens +
//!    price_out × output tokens` ([`cost`]) and refunds the rest.
//! 3. [`open_record`] opens the record key sealed to the reply key, decrypts the payload,
//!    decodes the [`RecordPlaintext`] and checks it against the miner's commitment.

use infernet_crypto::{
    Address, Hash, Identity, RecordKey, ReplyPublicKey, ReplySecret, record, seal, seal::SealedBox,
};
use infernet_types::SubmitJob;
use infernet_types::{
    Amount, DecodeLimits, ModelId, RecordPlaintext, SamplingParams, TxKind, decode_exact, sealing,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::WalletError;

/// Everything a `SubmitJob` needs besides the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTerms {
    /// The miner asked to serve.
    pub miner: Address,
    /// Its serving key (from its registration).
    pub serving_key: ReplyPublicKey,
    /// The model.
    pub model: ModelId,
    /// Most prompt tokens paid for.
    pub max_input_tokens: u32,
    /// Most generated tokens paid for.
    pub max_output_tokens: u32,
    /// Price per input token (the miner's offer).
    pub price_in: Amount,
    /// Price per output token (the miner's offer).
    pub price_out: Amount,
    /// Sampling parameters.
    pub sampling: SamplingParams,
    /// Height at which the job expires if no result was posted.
    pub expiry: u64,
    /// Whether only an attested result is acceptable.
    pub require_attestation: bool,
}

/// The escrow of a job: `price_in × max_input_tokens + price_out × max_output_tokens`.
pub fn max_cost(terms: &JobTerms) -> Result<Amount, WalletError> {
    cost(
        terms.price_in,
        terms.price_out,
        terms.max_input_tokens,
        terms.max_output_tokens,
    )
}

/// What `input` and `output` tokens cost at these prices.
pub fn cost(
    price_in: Amount,
    price_out: Amount,
    input: u32,
    output: u32,
) -> Result<Amount, WalletError> {
    infernet_types::money::job_cost(price_in, price_out, input, output)
        .map_err(|_| WalletError::Overflow { what: "job cost" })
}

/// A bound on the prompt tokens of `prompt` bytes: byte-level BPE never makes more tokens
/// than bytes, plus room for the chat template's tokens.
#[must_use]
pub fn input_token_bound(prompt_len: usize) -> u32 {
    u32::try_from(prompt_len)
        .unwrap_or(u32::MAX)
        .saturating_add(64)
}

/// The `SubmitJob` carrying `prompt` sealed to the miner, from `user` with `nonce`.
pub fn submit_job_kind(
    user: &Identity,
    chain_id: u64,
    nonce: u64,
    terms: &JobTerms,
    prompt: &[u8],
) -> Result<TxKind, WalletError> {
    let sealed_prompt = seal::seal(
        &terms.serving_key,
        &sealing::prompt_info(chain_id),
        &sealing::prompt_aad(&user.address(), &terms.miner, &terms.model, nonce),
        prompt,
    )?;
    Ok(TxKind::SubmitJob(SubmitJob {
        miner: terms.miner,
        model: terms.model,
        sealed_prompt,
        reply_key: user.reply_secret().public_key(),
        max_input_tokens: terms.max_input_tokens,
        max_output_tokens: terms.max_output_tokens,
        price_in: terms.price_in,
        price_out: terms.price_out,
        sampling: terms.sampling,
        expiry: terms.expiry,
        require_attestation: terms.require_attestation,
    }))
}

/// A record's public parts, as a node returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRecord {
    /// Record id (= the job id).
    pub id: Hash,
    /// The owner the key is sealed to.
    pub owner: Address,
    /// The record key, sealed to the owner's reply key.
    pub sealed_key: SealedBox,
    /// The encrypted [`RecordPlaintext`].
    pub payload: Vec<u8>,
    /// The miner's commitment to the plaintext.
    pub commitment: Hash,
}

/// Opens the record key of `rec` with `reply` (the owner's reply secret).
pub fn open_record_key(
    reply: &ReplySecret,
    chain_id: u64,
    rec: &SealedRecord,
    key_name: &str,
) -> Result<RecordKey, WalletError> {
    let opened = seal::open(
        reply,
        &sealing::record_key_info(chain_id),
        &sealing::record_key_aad(&rec.id, &rec.owner),
        &rec.sealed_key,
    )
    .map_err(|_| WalletError::RecordKeyDoesNotOpen {
        record: rec.id.to_hex(),
        key: key_name.to_owned(),
    })?;
    let bytes: [u8; 32] = opened
        .as_slice()
        .try_into()
        .map_err(|_| WalletError::BadRecordKey {
            record: rec.id.to_hex(),
            len: opened.len(),
        })?;
    Ok(RecordKey::from_bytes(bytes))
}

/// Decrypts `rec`'s payload with `key` and checks it against the commitment.
pub fn decrypt_record(
    key: &RecordKey,
    chain_id: u64,
    rec: &SealedRecord,
) -> Result<RecordPlaintext, WalletError> {
    let bad = |reason: String| WalletError::BadPayload {
        record: rec.id.to_hex(),
        reason,
    };
    let plain = record::decrypt(
        key,
        &sealing::record_payload_aad(chain_id, &rec.id),
        &rec.payload,
    )
    .map_err(|e| bad(e.to_string()))?;
    let pt: RecordPlaintext =
        decode_exact(&plain, &DecodeLimits::default()).map_err(|e| bad(e.to_string()))?;
    if pt.commitment() != rec.commitment {
        return Err(WalletError::CommitmentMismatch {
            record: rec.id.to_hex(),
            commitment: rec.commitment.to_hex(),
        });
    }
    Ok(pt)
}

/// [`open_record_key`] then [`decrypt_record`].
pub fn open_record(
    reply: &ReplySecret,
    chain_id: u64,
    rec: &SealedRecord,
    key_name: &str,
) -> Result<RecordPlaintext, WalletError> {
    let key = open_record_key(reply, chain_id, rec, key_name)?;
    decrypt_record(&key, chain_id, rec)
}

/// Seals `key` of record `record` to a new owner (for `TransferRecord`).
pub fn seal_record_key_to(
    key: &RecordKey,
    chain_id: u64,
    record: &Hash,
    new_owner: &Address,
    new_owner_reply_key: &ReplyPublicKey,
) -> Result<SealedBox, WalletError> {
    Ok(seal::seal(
        new_owner_reply_key,
        &sealing::record_key_info(chain_id),
        &sealing::record_key_aad(record, new_owner),
        key.as_bytes(),
    )?)
}

/// One turn of a conversation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl std::fmt::Debug for Message {
    /// Redacts the content: plaintexts never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Message {{ role: {}, content: <{} bytes> }}",
            self.role,
            self.content.len()
        )
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.content.zeroize();
    }
}

/// A multi-turn conversation, sealed as `{"messages":[…]}` by `chat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The turns, oldest first, ending with the user's newest message.
    pub messages: Vec<Message>,
}

impl Conversation {
    /// The plaintext to seal: the bare text for a single user message (so a one-turn chat
    /// equals a `prompt`), the JSON document otherwise.
    pub fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        match self.messages.as_slice() {
            [only] if only.role == "user" => Ok(Zeroizing::new(only.content.as_bytes().to_vec())),
            _ => Ok(Zeroizing::new(serde_json::to_vec(self)?)),
        }
    }

    /// The conversation a record's prompt bytes stand for: a `{"messages":…}` document, or
    /// one user message.
    #[must_use]
    pub fn from_prompt(prompt: &[u8]) -> Conversation {
        if let Ok(c) = serde_json::from_slice::<Conversation>(prompt)
            && !c.messages.is_empty()
        {
            return c;
        }
        Conversation {
            messages: vec![Message {
                role: "user".to_owned(),
                content: String::from_utf8_lossy(prompt).into_owned(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::Seed;
    use infernet_types::{Receipt, request_hash};

    struct Fixture {
        user: Identity,
        miner: Identity,
        terms: JobTerms,
    }

    fn fixture() -> Fixture {
        let user = Identity::from_seed(&Seed::from_bytes([1; 32]));
        let miner = Identity::from_seed(&Seed::from_bytes([2; 32]));
        let terms = JobTerms {
            miner: miner.address(),
            serving_key: miner.reply_secret().public_key(),
            model: Hash([9; 32]),
            max_input_tokens: 100,
            max_output_tokens: 50,
            price_in: Amount(3),
            price_out: Amount(7),
            sampling: SamplingParams::GREEDY,
            expiry: 20,
            require_attestation: false,
        };
        Fixture { user, miner, terms }
    }

    /// What the miner does with a job, written against the real crypto crate.
    fn serve(
        f: &Fixture,
        chain_id: u64,
        nonce: u64,
        kind: &TxKind,
        answer: &[u8],
    ) -> (SealedRecord, Receipt) {
        let TxKind::SubmitJob(SubmitJob {
            sealed_prompt,
            reply_key,
            ..
        }) = kind
        else {
            panic!("not a SubmitJob")
        };
        let prompt = seal::open(
            &f.miner.reply_secret(),
            &sealing::prompt_info(chain_id),
            &sealing::prompt_aad(&f.user.address(), &f.miner.address(), &f.terms.model, nonce),
            sealed_prompt,
        )
        .unwrap();
        let record_id = Hash([5; 32]);
        let pt = RecordPlaintext {
            salt: [4; 32],
            prompt: prompt.to_vec(),
            answer: answer.to_vec(),
        };
        let key = RecordKey::generate();
        let payload = record::encrypt(
            &key,
            &sealing::record_payload_aad(chain_id, &record_id),
            &infernet_types::Encode::encode(&pt),
        );
        let sealed_key = seal::seal(
            reply_key,
            &sealing::record_key_info(chain_id),
            &sealing::record_key_aad(&record_id, &f.user.address()),
            key.as_bytes(),
        )
        .unwrap();
        let receipt = Receipt {
            job: record_id,
            model: f.terms.model,
            miner: f.miner.address(),
            request_hash: request_hash(sealed_prompt),
            sampling: f.terms.sampling,
            input_tokens: 10,
            output_tokens: 5,
            commitment: pt.commitment(),
            user: f.user.address(),
            user_reply_key: *reply_key,
        };
        let rec = SealedRecord {
            id: record_id,
            owner: f.user.address(),
            sealed_key,
            payload,
            commitment: pt.commitment(),
        };
        (rec, receipt)
    }

    #[test]
    fn prompt_round_trips_through_the_miner() {
        let f = fixture();
        let kind = submit_job_kind(&f.user, 1337, 4, &f.terms, b"hello miner").unwrap();
        let (rec, receipt) = serve(&f, 1337, 4, &kind, b"hello user");
        assert_eq!(receipt.user_reply_key, f.user.reply_secret().public_key());
        let pt = open_record(&f.user.reply_secret(), 1337, &rec, "alice").unwrap();
        assert_eq!(pt.prompt, b"hello miner");
        assert_eq!(pt.answer, b"hello user");
        assert_eq!(max_cost(&f.terms).unwrap(), Amount(3 * 100 + 7 * 50));
        assert_eq!(cost(Amount(3), Amount(7), 10, 5).unwrap(), Amount(65));
    }

    #[test]
    fn prompt_is_bound_to_its_job() {
        let f = fixture();
        let kind = submit_job_kind(&f.user, 1337, 4, &f.terms, b"secret").unwrap();
        let TxKind::SubmitJob(SubmitJob { sealed_prompt, .. }) = &kind else {
            panic!()
        };
        // Another nonce (another job) or chain: the miner cannot open it.
        for (chain, nonce) in [(1337, 5), (1, 4)] {
            assert!(
                seal::open(
                    &f.miner.reply_secret(),
                    &sealing::prompt_info(chain),
                    &sealing::prompt_aad(
                        &f.user.address(),
                        &f.miner.address(),
                        &f.terms.model,
                        nonce
                    ),
                    sealed_prompt,
                )
                .is_err()
            );
        }
    }

    #[test]
    fn tampered_records_are_refused() {
        let f = fixture();
        let kind = submit_job_kind(&f.user, 1337, 0, &f.terms, b"q").unwrap();
        let (rec, _) = serve(&f, 1337, 0, &kind, b"a");
        let stranger = Identity::from_seed(&Seed::from_bytes([8; 32]));
        assert!(matches!(
            open_record(&stranger.reply_secret(), 1337, &rec, "eve"),
            Err(WalletError::RecordKeyDoesNotOpen { .. })
        ));
        let mut wrong_commit = rec.clone();
        wrong_commit.commitment = Hash([0; 32]);
        assert!(matches!(
            open_record(&f.user.reply_secret(), 1337, &wrong_commit, "alice"),
            Err(WalletError::CommitmentMismatch { .. })
        ));
        let mut flipped = rec.clone();
        let last = flipped.payload.len() - 1;
        flipped.payload[last] ^= 1;
        assert!(matches!(
            open_record(&f.user.reply_secret(), 1337, &flipped, "alice"),
            Err(WalletError::BadPayload { .. })
        ));
        // Transfer: the same key sealed to a new owner opens for them only.
        let key = open_record_key(&f.user.reply_secret(), 1337, &rec, "alice").unwrap();
        let sealed = seal_record_key_to(
            &key,
            1337,
            &rec.id,
            &stranger.address(),
            &stranger.reply_secret().public_key(),
        )
        .unwrap();
        let moved = SealedRecord {
            owner: stranger.address(),
            sealed_key: sealed,
            ..rec.clone()
        };
        assert_eq!(
            open_record(&stranger.reply_secret(), 1337, &moved, "eve")
                .unwrap()
                .answer,
            b"a"
        );
        assert!(open_record(&f.user.reply_secret(), 1337, &moved, "alice").is_err());
    }

    #[test]
    fn conversation_plaintext() {
        let one = Conversation {
            messages: vec![Message {
                role: "user".into(),
                content: "hi".into(),
            }],
        };
        assert_eq!(one.to_plaintext().unwrap().as_slice(), b"hi");
        assert_eq!(Conversation::from_prompt(b"hi"), one);
        let two = Conversation {
            messages: vec![
                Message {
                    role: "user".into(),
                    content: "hi".into(),
                },
                Message {
                    role: "assistant".into(),
                    content: "hello".into(),
                },
                Message {
                    role: "user".into(),
                    content: "more".into(),
                },
            ],
        };
        let pt = two.to_plaintext().unwrap();
        assert!(pt.starts_with(b"{\"messages\":"));
        assert_eq!(Conversation::from_prompt(&pt), two);
        assert_eq!(
            format!("{:?}", two.messages[0]),
            "Message { role: user, content: <2 bytes> }"
        );
    }
}
