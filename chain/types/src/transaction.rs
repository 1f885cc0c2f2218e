//! Transactions: [`Transaction`] (sender, nonce, fee, [`TxKind`]), [`SignedTransaction`],
//! signing and verification helpers, txids, and the block's [`Coinbase`].
//!
//! The signed message of a transaction is
//! `signing_bytes(TX_SIGNATURE, chain_id, encode(tx))`; its id is
//! `hash(TX_ID, encode(signed tx))`. Validity rules (fees, nonces, what each kind may do)
//! live in the consensus crate; this module only defines the data and its encoding.

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey, Signature, SignatureError};
use infernet_crypto::{domain, hash::hash, signing_bytes, verify};
use serde::{Deserialize, Serialize};

use crate::encoding::{
    Decode, DecodeError, Encode, Reader, put_bool, put_bytes, put_len, put_list, put_option,
};
use crate::inference::{Attestation, AttestationEvidence, Offer, Receipt, SamplingParams};
use crate::primitives::{
    Height, JobId, ListingId, ModelId, PurchaseId, RecordId, TxId, hex_bytes, put_sealed_box,
    read_sealed_box,
};
use crate::{Amount, AmountError};

/// The parent of a forked model and the share of royalties that flows up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentModel {
    /// The parent model.
    pub model: ModelId,
    /// Share of this model's royalty paid to the parent's owner, in basis points (≤ 10,000).
    pub share_bps: u16,
}

impl Encode for ParentModel {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.model.encode_to(out);
        self.share_bps.encode_to(out);
    }
}

impl Decode for ParentModel {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ParentModel {
            model: Hash::decode(r)?,
            share_bps: r.u16("ParentModel.share_bps")?,
        })
    }
}

/// Why a buyer complains about a delivered record (`Complain`). Encoded as one byte, the
/// variant's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintReason {
    /// Tag 0: the delivered sealed key does not open with the buyer's reply key, or the
    /// record payload does not decrypt with the key it holds.
    KeyDoesNotOpen,
    /// Tag 1: the decrypted pair does not match the miner's on-chain commitment.
    CommitmentMismatch,
    /// Tag 2: the model id or token counts do not match the miner's receipt.
    ReceiptMismatch,
    /// Tag 3: anything else (explained in the complaint's `detail`).
    Other,
}

impl ComplaintReason {
    /// Every reason, in tag order.
    pub const ALL: [ComplaintReason; 4] = [
        ComplaintReason::KeyDoesNotOpen,
        ComplaintReason::CommitmentMismatch,
        ComplaintReason::ReceiptMismatch,
        ComplaintReason::Other,
    ];

    /// The tag byte.
    #[must_use]
    pub fn tag(self) -> u8 {
        match self {
            ComplaintReason::KeyDoesNotOpen => 0,
            ComplaintReason::CommitmentMismatch => 1,
            ComplaintReason::ReceiptMismatch => 2,
            ComplaintReason::Other => 3,
        }
    }

    /// The reason's name as in JSON (`"key_does_not_open"`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ComplaintReason::KeyDoesNotOpen => "key_does_not_open",
            ComplaintReason::CommitmentMismatch => "commitment_mismatch",
            ComplaintReason::ReceiptMismatch => "receipt_mismatch",
            ComplaintReason::Other => "other",
        }
    }
}

impl Encode for ComplaintReason {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
    }
}

impl Decode for ComplaintReason {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("ComplaintReason")?;
        ComplaintReason::ALL
            .get(usize::from(tag))
            .copied()
            .ok_or(DecodeError::InvalidTag {
                type_name: "ComplaintReason",
                tag,
            })
    }
}

/// What a transaction does. The tag byte of each variant is given in its doc and in
/// `specs/encoding.md`.
// Boxing the large variants would make every constructor and match noisier for callers;
// the size (a few hundred bytes per value) is irrelevant next to the bytes they carry.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TxKind {
    /// Tag 0: move `amount` from the sender to `to`.
    Transfer {
        /// Recipient.
        to: Address,
        /// Amount moved.
        amount: Amount,
    },
    /// Tag 1: register a model owned by the sender.
    RegisterModel {
        /// Model id: plain BLAKE3 of the weights file.
        id: ModelId,
        /// Human-readable name.
        name: String,
        /// Architecture name (e.g. `llama`).
        architecture: String,
        /// Context length in tokens.
        context_length: u32,
        /// Royalty on every job's cost, in basis points.
        royalty_bps: u16,
        /// For a fork: the parent model and its share of the royalty.
        parent: Option<ParentModel>,
    },
    /// Tag 2: register the sender as a miner, locking `bond`.
    RegisterMiner {
        /// X25519 key users seal prompts to.
        serving_key: ReplyPublicKey,
        /// Models served and their prices.
        offers: Vec<Offer>,
        /// Where the miner can be reached (a libp2p multiaddr).
        p2p_addr: String,
        /// TEE attestation of the serving key and models.
        attestation: Attestation,
        /// Bond locked while registered.
        bond: Amount,
    },
    /// Tag 3: replace the sender's miner registration, optionally adding to its bond.
    UpdateMiner {
        /// New serving key.
        serving_key: ReplyPublicKey,
        /// New offers (replace the old ones).
        offers: Vec<Offer>,
        /// New p2p address.
        p2p_addr: String,
        /// New attestation.
        attestation: Attestation,
        /// Added to the bond (may be zero).
        bond_top_up: Amount,
    },
    /// Tag 4: start unregistering the sender as a miner; the bond is released after the
    /// chain spec's unbonding delay.
    Unregister,
    /// Tag 5: submit a job to a miner, escrowing its maximum cost.
    SubmitJob {
        /// The miner asked to serve the job.
        miner: Address,
        /// The model to run.
        model: ModelId,
        /// The prompt, HPKE-sealed to the miner's serving key.
        sealed_prompt: SealedBox,
        /// The user's X25519 key the result is sealed to.
        reply_key: ReplyPublicKey,
        /// Most prompt tokens paid for.
        max_input_tokens: u32,
        /// Most generated tokens paid for.
        max_output_tokens: u32,
        /// Price per input token offered (at or under the miner's offer).
        price_in: Amount,
        /// Price per output token offered (at or under the miner's offer).
        price_out: Amount,
        /// Sampling parameters.
        sampling: SamplingParams,
        /// Height at which the job expires and is refunded if no result was posted.
        expiry: Height,
        /// Whether only an attested result is acceptable.
        require_attestation: bool,
    },
    /// Tag 6: the job's miner posts the result, settling the job and minting the record.
    PostResult {
        /// The job served.
        job: JobId,
        /// Prompt tokens consumed.
        input_tokens: u32,
        /// Tokens generated.
        output_tokens: u32,
        /// The record payload: [`crate::RecordPlaintext`] encrypted under the record key.
        #[serde(with = "hex_bytes")]
        payload: Vec<u8>,
        /// The record key, sealed to the job's reply key.
        sealed_record_key: SealedBox,
        /// The miner's receipt.
        receipt: Receipt,
        /// The miner's signature over the receipt.
        receipt_signature: Signature,
        /// Evidence the job ran in the attested TEE.
        attestation: Option<AttestationEvidence>,
    },
    /// Tag 7: give a record to `to`.
    TransferRecord {
        /// The record.
        record: RecordId,
        /// The new owner.
        to: Address,
        /// The record key sealed to the new owner.
        sealed_key: SealedBox,
    },
    /// Tag 8: offer one record or a bundle for sale.
    ListRecords {
        /// The records offered (one, or a bundle).
        records: Vec<RecordId>,
        /// Price of the whole listing.
        price: Amount,
        /// Last height at which the listing can be bought.
        until: Height,
        /// Short title.
        title: String,
        /// Description.
        description: String,
    },
    /// Tag 9: withdraw an open listing.
    CancelListing {
        /// The listing.
        listing: ListingId,
    },
    /// Tag 10: buy a listing, escrowing its price.
    Buy {
        /// The listing bought.
        listing: ListingId,
        /// The buyer's X25519 key the record keys are to be sealed to.
        reply_key: ReplyPublicKey,
    },
    /// Tag 11: the seller delivers the record keys of a purchase.
    Deliver {
        /// The purchase delivered.
        purchase: PurchaseId,
        /// Record keys sealed to the buyer, one per record of the listing, in order.
        sealed_keys: Vec<SealedBox>,
    },
    /// Tag 12: the job's user rates it, once.
    RateJob {
        /// The job rated.
        job: JobId,
        /// Score, 1 to 5.
        score: u8,
    },
    /// Tag 13: the buyer of a delivered purchase complains about one of its records. The
    /// chain records the complaint and counts it in the seller's market history; it cannot
    /// check it (`specs/protocol.md` §4.14).
    Complain {
        /// The delivered purchase.
        purchase: PurchaseId,
        /// Index of the record in the listing's `records`.
        record_index: u32,
        /// What the buyer's check found.
        reason: ComplaintReason,
        /// Free text (at most `limits.max_string_bytes` bytes).
        detail: String,
    },
}

impl TxKind {
    /// Every kind's name, in tag order (the `type` field of the JSON view).
    pub const NAMES: [&'static str; 14] = [
        "transfer",
        "register_model",
        "register_miner",
        "update_miner",
        "unregister",
        "submit_job",
        "post_result",
        "transfer_record",
        "list_records",
        "cancel_listing",
        "buy",
        "deliver",
        "rate_job",
        "complain",
    ];

    /// The variant's tag byte.
    #[must_use]
    pub fn tag(&self) -> u8 {
        match self {
            TxKind::Transfer { .. } => 0,
            TxKind::RegisterModel { .. } => 1,
            TxKind::RegisterMiner { .. } => 2,
            TxKind::UpdateMiner { .. } => 3,
            TxKind::Unregister => 4,
            TxKind::SubmitJob { .. } => 5,
            TxKind::PostResult { .. } => 6,
            TxKind::TransferRecord { .. } => 7,
            TxKind::ListRecords { .. } => 8,
            TxKind::CancelListing { .. } => 9,
            TxKind::Buy { .. } => 10,
            TxKind::Deliver { .. } => 11,
            TxKind::RateJob { .. } => 12,
            TxKind::Complain { .. } => 13,
        }
    }

    /// The kind's name (`"transfer"`, `"submit_job"`, …), as in the JSON view.
    #[must_use]
    pub fn name(&self) -> &'static str {
        Self::NAMES[usize::from(self.tag())]
    }
}

/// An encoding of an offer list and friends shared by `RegisterMiner` and `UpdateMiner`.
fn put_miner_fields(
    out: &mut Vec<u8>,
    serving_key: &ReplyPublicKey,
    offers: &[Offer],
    p2p_addr: &str,
    attestation: &Attestation,
    amount: &Amount,
) {
    serving_key.encode_to(out);
    put_list(out, offers);
    put_bytes(out, p2p_addr.as_bytes());
    attestation.encode_to(out);
    amount.encode_to(out);
}

type MinerFields = (ReplyPublicKey, Vec<Offer>, String, Attestation, Amount);

fn read_miner_fields(r: &mut Reader<'_>) -> Result<MinerFields, DecodeError> {
    let l = *r.limits();
    Ok((
        ReplyPublicKey::decode(r)?,
        r.list(l.max_offers, Offer::ENCODED_LEN, "offers")?,
        r.string(l.max_string_bytes, "p2p_addr")?,
        Attestation::decode(r)?,
        Amount::decode(r)?,
    ))
}

impl Encode for TxKind {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
        match self {
            TxKind::Transfer { to, amount } => {
                to.encode_to(out);
                amount.encode_to(out);
            }
            TxKind::RegisterModel {
                id,
                name,
                architecture,
                context_length,
                royalty_bps,
                parent,
            } => {
                id.encode_to(out);
                put_bytes(out, name.as_bytes());
                put_bytes(out, architecture.as_bytes());
                context_length.encode_to(out);
                royalty_bps.encode_to(out);
                put_option(out, parent.as_ref());
            }
            TxKind::RegisterMiner {
                serving_key,
                offers,
                p2p_addr,
                attestation,
                bond,
            } => put_miner_fields(out, serving_key, offers, p2p_addr, attestation, bond),
            TxKind::UpdateMiner {
                serving_key,
                offers,
                p2p_addr,
                attestation,
                bond_top_up,
            } => put_miner_fields(out, serving_key, offers, p2p_addr, attestation, bond_top_up),
            TxKind::Unregister => {}
            TxKind::SubmitJob {
                miner,
                model,
                sealed_prompt,
                reply_key,
                max_input_tokens,
                max_output_tokens,
                price_in,
                price_out,
                sampling,
                expiry,
                require_attestation,
            } => {
                miner.encode_to(out);
                model.encode_to(out);
                put_sealed_box(out, sealed_prompt);
                reply_key.encode_to(out);
                max_input_tokens.encode_to(out);
                max_output_tokens.encode_to(out);
                price_in.encode_to(out);
                price_out.encode_to(out);
                sampling.encode_to(out);
                expiry.encode_to(out);
                put_bool(out, *require_attestation);
            }
            TxKind::PostResult {
                job,
                input_tokens,
                output_tokens,
                payload,
                sealed_record_key,
                receipt,
                receipt_signature,
                attestation,
            } => {
                job.encode_to(out);
                input_tokens.encode_to(out);
                output_tokens.encode_to(out);
                put_bytes(out, payload);
                put_sealed_box(out, sealed_record_key);
                receipt.encode_to(out);
                receipt_signature.encode_to(out);
                put_option(out, attestation.as_ref());
            }
            TxKind::TransferRecord {
                record,
                to,
                sealed_key,
            } => {
                record.encode_to(out);
                to.encode_to(out);
                put_sealed_box(out, sealed_key);
            }
            TxKind::ListRecords {
                records,
                price,
                until,
                title,
                description,
            } => {
                put_list(out, records);
                price.encode_to(out);
                until.encode_to(out);
                put_bytes(out, title.as_bytes());
                put_bytes(out, description.as_bytes());
            }
            TxKind::CancelListing { listing } => listing.encode_to(out),
            TxKind::Buy { listing, reply_key } => {
                listing.encode_to(out);
                reply_key.encode_to(out);
            }
            TxKind::Deliver {
                purchase,
                sealed_keys,
            } => {
                purchase.encode_to(out);
                put_len(out, sealed_keys.len());
                for sealed in sealed_keys {
                    put_sealed_box(out, sealed);
                }
            }
            TxKind::RateJob { job, score } => {
                job.encode_to(out);
                score.encode_to(out);
            }
            TxKind::Complain {
                purchase,
                record_index,
                reason,
                detail,
            } => {
                purchase.encode_to(out);
                record_index.encode_to(out);
                reason.encode_to(out);
                put_bytes(out, detail.as_bytes());
            }
        }
    }
}

impl Decode for TxKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        let tag = r.u8("TxKind")?;
        Ok(match tag {
            0 => TxKind::Transfer {
                to: Address::decode(r)?,
                amount: Amount::decode(r)?,
            },
            1 => TxKind::RegisterModel {
                id: Hash::decode(r)?,
                name: r.string(l.max_string_bytes, "RegisterModel.name")?,
                architecture: r.string(l.max_string_bytes, "RegisterModel.architecture")?,
                context_length: r.u32("RegisterModel.context_length")?,
                royalty_bps: r.u16("RegisterModel.royalty_bps")?,
                parent: if r.option_tag("Option<ParentModel>")? {
                    Some(ParentModel::decode(r)?)
                } else {
                    None
                },
            },
            2 => {
                let (serving_key, offers, p2p_addr, attestation, bond) = read_miner_fields(r)?;
                TxKind::RegisterMiner {
                    serving_key,
                    offers,
                    p2p_addr,
                    attestation,
                    bond,
                }
            }
            3 => {
                let (serving_key, offers, p2p_addr, attestation, bond_top_up) =
                    read_miner_fields(r)?;
                TxKind::UpdateMiner {
                    serving_key,
                    offers,
                    p2p_addr,
                    attestation,
                    bond_top_up,
                }
            }
            4 => TxKind::Unregister,
            5 => TxKind::SubmitJob {
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
            },
            6 => TxKind::PostResult {
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
            },
            7 => TxKind::TransferRecord {
                record: Hash::decode(r)?,
                to: Address::decode(r)?,
                sealed_key: read_sealed_box(
                    r,
                    l.max_sealed_key_bytes,
                    "TransferRecord.sealed_key",
                )?,
            },
            8 => TxKind::ListRecords {
                records: r.list(l.max_bundle_records, 32, "ListRecords.records")?,
                price: Amount::decode(r)?,
                until: r.u64("ListRecords.until")?,
                title: r.string(l.max_string_bytes, "ListRecords.title")?,
                description: r.string(l.max_string_bytes, "ListRecords.description")?,
            },
            9 => TxKind::CancelListing {
                listing: Hash::decode(r)?,
            },
            10 => TxKind::Buy {
                listing: Hash::decode(r)?,
                reply_key: ReplyPublicKey::decode(r)?,
            },
            11 => {
                let purchase = Hash::decode(r)?;
                // Each sealed key takes at least 36 bytes (32-byte enc + 4-byte length).
                let count = r.length(l.max_bundle_records, 36, "Deliver.sealed_keys")?;
                let mut sealed_keys = Vec::with_capacity(count.min(1024));
                for _ in 0..count {
                    sealed_keys.push(read_sealed_box(
                        r,
                        l.max_sealed_key_bytes,
                        "Deliver.sealed_keys",
                    )?);
                }
                TxKind::Deliver {
                    purchase,
                    sealed_keys,
                }
            }
            12 => TxKind::RateJob {
                job: Hash::decode(r)?,
                score: r.u8("RateJob.score")?,
            },
            13 => TxKind::Complain {
                purchase: Hash::decode(r)?,
                record_index: r.u32("Complain.record_index")?,
                reason: ComplaintReason::decode(r)?,
                detail: r.string(l.max_string_bytes, "Complain.detail")?,
            },
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "TxKind",
                    tag,
                });
            }
        })
    }
}

/// An unsigned transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The signer, who pays the fee.
    pub sender: Address,
    /// Must equal the sender's account nonce (its count of included transactions).
    pub nonce: u64,
    /// Fee paid to the block's miner; at least `encoded size of the signed tx × min_fee_per_byte`.
    pub fee: Amount,
    /// What the transaction does.
    pub kind: TxKind,
}

impl Transaction {
    /// Exactly the bytes given to ed25519:
    /// `signing_bytes(TX_SIGNATURE, chain_id, encode(self))`.
    #[must_use]
    pub fn signing_bytes(&self, chain_id: u64) -> Vec<u8> {
        signing_bytes(domain::TX_SIGNATURE, chain_id, &self.encode())
    }

    /// Signs with `identity` for `chain_id`.
    ///
    /// The signature only verifies if `identity.address() == self.sender`; signing someone
    /// else's transaction gives one that every node rejects.
    #[must_use]
    pub fn sign(self, identity: &Identity, chain_id: u64) -> SignedTransaction {
        let signature = identity.sign(domain::TX_SIGNATURE, chain_id, &self.encode());
        SignedTransaction {
            tx: self,
            signature,
        }
    }

    /// Encoded size of this transaction once signed (the size fees are charged on).
    #[must_use]
    pub fn signed_len(&self) -> usize {
        self.encoded_len() + 64
    }

    /// The smallest fee this transaction may carry: `signed_len × fee_per_byte`.
    ///
    /// The fee field has a fixed width, so setting `fee` to this value doesn't change the size.
    pub fn min_fee(&self, fee_per_byte: Amount) -> Result<Amount, AmountError> {
        fee_per_byte.checked_mul(self.signed_len() as u64)
    }
}

impl Encode for Transaction {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.sender.encode_to(out);
        self.nonce.encode_to(out);
        self.fee.encode_to(out);
        self.kind.encode_to(out);
    }
}

impl Decode for Transaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Transaction {
            sender: Address::decode(r)?,
            nonce: r.u64("Transaction.nonce")?,
            fee: Amount::decode(r)?,
            kind: TxKind::decode(r)?,
        })
    }
}

/// A transaction with its sender's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    /// The transaction.
    pub tx: Transaction,
    /// ed25519 signature by `tx.sender` over [`Transaction::signing_bytes`].
    pub signature: Signature,
}

impl SignedTransaction {
    /// Smallest possible encoding: sender, nonce, fee, a tag-only kind, signature.
    pub const MIN_ENCODED_LEN: usize = 32 + 8 + 8 + 1 + 64;

    /// The transaction id: `hash(TX_ID, encode(self))`.
    #[must_use]
    pub fn txid(&self) -> TxId {
        hash(domain::TX_ID, &self.encode())
    }

    /// Checks the signature (strict ed25519) for `chain_id`.
    pub fn verify(&self, chain_id: u64) -> Result<(), SignatureError> {
        verify(
            &self.tx.sender,
            domain::TX_SIGNATURE,
            chain_id,
            &self.tx.encode(),
            &self.signature,
        )
    }

    /// The `(address, signed bytes, signature)` triple for
    /// [`infernet_crypto::verify_batch`].
    #[must_use]
    pub fn batch_item(&self, chain_id: u64) -> (Address, Vec<u8>, Signature) {
        (
            self.tx.sender,
            self.tx.signing_bytes(chain_id),
            self.signature,
        )
    }
}

impl Encode for SignedTransaction {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.tx.encode_to(out);
        self.signature.encode_to(out);
    }
}

impl Decode for SignedTransaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let start = r.position();
        let tx = Transaction::decode(r)?;
        let signature = Signature::decode(r)?;
        let len = r.position() - start;
        let max = r.limits().max_tx_bytes as usize;
        if len > max {
            return Err(DecodeError::LengthTooLarge {
                field: "SignedTransaction",
                len: len as u64,
                max: max as u64,
            });
        }
        Ok(SignedTransaction { tx, signature })
    }
}

/// The block reward output: the block's reward plus its fees, paid to the miner's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coinbase {
    /// Height of the block (makes every coinbase id unique).
    pub height: Height,
    /// Who receives the reward.
    pub recipient: Address,
    /// Reward plus fees.
    pub amount: Amount,
}

impl Coinbase {
    /// Encoded size (fixed); shorter than any signed transaction, so a coinbase id can never
    /// equal a txid.
    pub const ENCODED_LEN: usize = 8 + 32 + 8;

    /// The coinbase id, first leaf of the block's tx root: `hash(TX_ID, encode(self))`.
    #[must_use]
    pub fn id(&self) -> TxId {
        hash(domain::TX_ID, &self.encode())
    }
}

impl Encode for Coinbase {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.height.encode_to(out);
        self.recipient.encode_to(out);
        self.amount.encode_to(out);
    }
}

impl Decode for Coinbase {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Coinbase {
            height: r.u64("Coinbase.height")?,
            recipient: Address::decode(r)?,
            amount: Amount::decode(r)?,
        })
    }
}
