//! Provenance of a record: does the decrypted pair match what the miner committed to and
//! what the chain accepted as its receipt?
//!
//! The chain checked, when it included the miner's `PostResult`, that the
//! receipt was signed by the job's miner and names the job's model, user, sampling and token
//! counts within the job's limits; the record keeps those facts and the commitment
//! `hash(RECORD_COMMITMENT, encode(salt ‖ prompt ‖ answer))`. A holder who decrypts the
//! payload checks, in order:
//!
//! 1. [`Check::Key`]: the sealed record key opens with the holder's reply key;
//! 2. [`Check::Payload`]: the payload decrypts under that key (its `aad` binds chain and
//!    record) and decodes as a record plaintext;
//! 3. [`Check::Commitment`]: the decrypted pair's commitment equals the miner's on-chain
//!    commitment — so the prompt and answer are exactly what the miner signed for;
//! 4. [`Check::Receipt`]: the record's receipt facts agree with the job it came from (model,
//!    miner, user, sampling, token counts within the limits the user paid for) and with the
//!    pair (a non-empty prompt or answer needs at least one token).
//!
//! A seller who delivers a wrong key fails at 1 or 2; a forged or swapped payload fails at 3.
//! Token counts themselves cannot be recounted here: the wallet carries no tokenizer (no
//! burn in its dependency tree), so it checks them against the job's limits, not the text.

use infernet_crypto::{Address, Hash, ReplySecret, SealedBox};
use infernet_rpc::views::{JobView, RecordView};
use infernet_types::RecordPlaintext;
use serde::Serialize;

use crate::WalletError;
use crate::job::{self, SealedRecord};

/// One step of the provenance check, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The sealed record key opens with the holder's reply key.
    Key,
    /// The payload decrypts and decodes under that key.
    Payload,
    /// The pair's commitment equals the miner's on-chain commitment.
    Commitment,
    /// The receipt facts agree with the job and the pair.
    Receipt,
}

impl Check {
    /// Stable name (as in JSON and complaints).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::Key => "key",
            Check::Payload => "payload",
            Check::Commitment => "commitment",
            Check::Receipt => "receipt",
        }
    }

    /// Tag used in the complaint's signed bytes.
    #[must_use]
    pub fn tag(self) -> u8 {
        match self {
            Check::Key => 0,
            Check::Payload => 1,
            Check::Commitment => 2,
            Check::Receipt => 3,
        }
    }
}

/// The verdict on one record, printed per record (`--json` gives this object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Record id (hex).
    pub record: String,
    /// `true` when every check passed.
    pub verified: bool,
    /// The first check that failed.
    pub failed_check: Option<Check>,
    /// Why it failed, for a person.
    pub reason: Option<String>,
    /// The model the receipt names (hex).
    pub model: String,
    /// The miner that signed the receipt (bech32m).
    pub miner: String,
    /// Prompt tokens in the receipt.
    pub input_tokens: u32,
    /// Generated tokens in the receipt.
    pub output_tokens: u32,
}

/// A record's public parts in the form [`job`] opens.
#[must_use]
pub fn sealed_record(rec: &RecordView) -> SealedRecord {
    SealedRecord {
        id: Hash(rec.id.0),
        owner: Address(rec.owner.0),
        sealed_key: SealedBox {
            enc: rec.sealed_key.enc.0,
            ciphertext: rec.sealed_key.ciphertext.0.clone(),
        },
        payload: rec.payload.0.clone(),
        commitment: Hash(rec.commitment.0),
    }
}

/// Check 4: the record's receipt facts against its job and the decrypted pair.
pub fn check_receipt(
    rec: &RecordView,
    job: Option<&JobView>,
    pair: &RecordPlaintext,
) -> Result<(), String> {
    let job = job.ok_or("the job this record came from is unknown to the node")?;
    if job.id != rec.id {
        return Err("the record id is not its job's id".into());
    }
    if job.model != rec.model {
        return Err("the receipt's model is not the model the job asked for".into());
    }
    if job.miner != rec.miner {
        return Err("the receipt's miner is not the job's miner".into());
    }
    if job.user != rec.user {
        return Err("the receipt's user is not the job's user".into());
    }
    if job.sampling != rec.sampling {
        return Err("the receipt's sampling parameters are not the job's".into());
    }
    if rec.input_tokens > job.max_input_tokens || rec.output_tokens > job.max_output_tokens {
        return Err(format!(
            "token counts {}/{} exceed the job's limits {}/{}",
            rec.input_tokens, rec.output_tokens, job.max_input_tokens, job.max_output_tokens
        ));
    }
    if !pair.prompt.is_empty() && rec.input_tokens == 0 {
        return Err("a non-empty prompt with zero input tokens".into());
    }
    if !pair.answer.is_empty() && rec.output_tokens == 0 {
        return Err("a non-empty answer with zero output tokens".into());
    }
    Ok(())
}

/// Runs the four checks on `rec` with the holder's `reply` secret; returns the verdict and,
/// when the pair decrypted and matched its commitment, the pair.
#[must_use]
pub fn verify_record(
    reply: &ReplySecret,
    chain_id: u64,
    key_name: &str,
    rec: &RecordView,
    job: Option<&JobView>,
) -> (Verdict, Option<RecordPlaintext>) {
    let mut verdict = Verdict {
        record: Hash(rec.id.0).to_hex(),
        verified: false,
        failed_check: None,
        reason: None,
        model: Hash(rec.model.0).to_hex(),
        miner: Address(rec.miner.0).to_string(),
        input_tokens: rec.input_tokens,
        output_tokens: rec.output_tokens,
    };
    let mut fail = |check: Check, reason: String| {
        verdict.failed_check = Some(check);
        verdict.reason = Some(reason);
    };
    let sealed = sealed_record(rec);
    let key = match job::open_record_key(reply, chain_id, &sealed, key_name) {
        Ok(k) => k,
        Err(e) => {
            fail(Check::Key, e.to_string());
            return (verdict, None);
        }
    };
    let pair = match job::decrypt_record(&key, chain_id, &sealed) {
        Ok(p) => p,
        Err(e @ WalletError::CommitmentMismatch { .. }) => {
            fail(Check::Commitment, e.to_string());
            return (verdict, None);
        }
        Err(e) => {
            fail(Check::Payload, e.to_string());
            return (verdict, None);
        }
    };
    if let Err(reason) = check_receipt(rec, job, &pair) {
        fail(Check::Receipt, reason);
        return (verdict, Some(pair));
    }
    verdict.verified = true;
    (verdict, Some(pair))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use infernet_crypto::{Identity, RecordKey, Seed, record, seal};
    use infernet_rpc::views::{JobStatus, SamplingView, SealedBoxView};
    use infernet_rpc::{self as rpc, Bytes, H256};
    use infernet_types::{Encode, sealing};

    const CHAIN: u64 = 7;

    /// A record minted for `owner` with real crypto (chain id 7), and its job.
    pub(crate) fn minted(
        owner: &Identity,
        i: u8,
        prompt: &str,
        answer: &str,
    ) -> (RecordView, JobView) {
        let id = Hash([i.wrapping_add(100); 32]);
        let key = RecordKey::generate();
        let pair = RecordPlaintext {
            salt: [i; 32],
            prompt: prompt.as_bytes().to_vec(),
            answer: answer.as_bytes().to_vec(),
        };
        let payload = record::encrypt(
            &key,
            &sealing::record_payload_aad(CHAIN, &id),
            &pair.encode(),
        );
        let sealed = seal::seal(
            &owner.reply_secret().public_key(),
            &sealing::record_key_info(CHAIN),
            &sealing::record_key_aad(&id, &owner.address()),
            key.as_bytes(),
        )
        .unwrap();
        let sampling = SamplingView {
            temperature_milli: 0,
            top_p_milli: 1000,
            top_k: 0,
            seed: rpc::U64String(0),
        };
        let rec = RecordView {
            id: H256(id.0),
            owner: rpc::Address(owner.address().0),
            miner: rpc::Address([5; 32]),
            model: H256([6; 32]),
            sealed_key: SealedBoxView {
                enc: H256(sealed.enc),
                ciphertext: Bytes(sealed.ciphertext.clone()),
            },
            payload: Bytes(payload),
            commitment: H256(pair.commitment().0),
            input_tokens: 4,
            output_tokens: 8,
            sampling,
            user: rpc::Address(owner.address().0),
            request_hash: H256([0; 32]),
            minted_at: 3,
            listing: None,
        };
        let job = JobView {
            id: rec.id,
            user: rec.user,
            miner: rec.miner,
            model: rec.model,
            status: JobStatus::Completed,
            submitted_at: 2,
            expiry: 20,
            max_input_tokens: 64,
            max_output_tokens: 16,
            price_in: rpc::Amount(1),
            price_out: rpc::Amount(1),
            escrow: rpc::Amount(80),
            sampling,
            require_attestation: false,
            settled_at: Some(3),
            record: Some(rec.id),
            rating: None,
        };
        (rec, job)
    }

    fn holder() -> Identity {
        Identity::from_seed(&Seed::from_bytes([1; 32]))
    }

    #[test]
    fn an_honest_record_verifies_and_yields_the_pair() {
        let me = holder();
        let (rec, job) = minted(&me, 1, "What is 2+2?", "4");
        let (v, pair) = verify_record(&me.reply_secret(), CHAIN, "k", &rec, Some(&job));
        assert!(v.verified, "{v:?}");
        assert_eq!(v.failed_check, None);
        let pair = pair.unwrap();
        assert_eq!(pair.prompt, b"What is 2+2?");
        assert_eq!(pair.answer, b"4");
    }

    #[test]
    fn a_wrong_delivered_key_fails_the_payload_check() {
        let me = holder();
        let (mut rec, job) = minted(&me, 1, "p", "a");
        // The seller seals a key to the buyer correctly, but not the record's key.
        let wrong = RecordKey::generate();
        let sealed = seal::seal(
            &me.reply_secret().public_key(),
            &sealing::record_key_info(CHAIN),
            &sealing::record_key_aad(&Hash(rec.id.0), &me.address()),
            wrong.as_bytes(),
        )
        .unwrap();
        rec.sealed_key = SealedBoxView {
            enc: H256(sealed.enc),
            ciphertext: Bytes(sealed.ciphertext),
        };
        let (v, pair) = verify_record(&me.reply_secret(), CHAIN, "k", &rec, Some(&job));
        assert!(!v.verified);
        assert_eq!(v.failed_check, Some(Check::Payload));
        assert!(pair.is_none());
    }

    #[test]
    fn a_key_sealed_to_someone_else_fails_the_key_check() {
        let me = holder();
        let other = Identity::from_seed(&Seed::from_bytes([2; 32]));
        let (rec, job) = minted(&other, 1, "p", "a");
        let mut rec = rec;
        rec.owner = rpc::Address(me.address().0);
        let (v, _) = verify_record(&me.reply_secret(), CHAIN, "k", &rec, Some(&job));
        assert_eq!(v.failed_check, Some(Check::Key));
        // Another chain id fails too: the key's info binds the chain.
        let (rec, job) = minted(&me, 1, "p", "a");
        let (v, _) = verify_record(&me.reply_secret(), CHAIN + 1, "k", &rec, Some(&job));
        assert_eq!(v.failed_check, Some(Check::Key));
    }

    #[test]
    fn a_payload_that_is_not_the_committed_pair_fails_the_commitment_check() {
        let me = holder();
        let (mut rec, job) = minted(&me, 1, "p", "a");
        rec.commitment = H256([9; 32]);
        let (v, pair) = verify_record(&me.reply_secret(), CHAIN, "k", &rec, Some(&job));
        assert_eq!(v.failed_check, Some(Check::Commitment));
        assert!(pair.is_none());
    }

    #[test]
    fn receipt_facts_must_agree_with_the_job() {
        let me = holder();
        let (rec, job) = minted(&me, 1, "p", "a");
        let mut bad_model = job.clone();
        bad_model.model = H256([1; 32]);
        let mut bad_miner = job.clone();
        bad_miner.miner = rpc::Address([1; 32]);
        let mut bad_limit = job.clone();
        bad_limit.max_output_tokens = 7;
        for (j, what) in [
            (Some(&bad_model), "model"),
            (Some(&bad_miner), "miner"),
            (Some(&bad_limit), "limits"),
            (None, "unknown"),
        ] {
            let (v, _) = verify_record(&me.reply_secret(), CHAIN, "k", &rec, j);
            assert_eq!(v.failed_check, Some(Check::Receipt), "{what}");
            assert!(v.reason.is_some());
        }
        let mut zero = rec.clone();
        zero.output_tokens = 0;
        let (v, _) = verify_record(&me.reply_secret(), CHAIN, "k", &zero, Some(&job));
        assert_eq!(v.failed_check, Some(Check::Receipt));
    }
}
