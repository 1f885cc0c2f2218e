//! Proptest strategies for every protocol type (feature `proptest`).
//!
//! Values are structurally random, not necessarily *valid* (signatures are random bytes,
//! references point nowhere): they exercise encodings and decoders. Sizes stay small so
//! property tests are fast; every variable-length field still spans empty and non-empty.
//! Consensus and storage tests build valid blocks themselves and use these for fields.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, ReplyPublicKey, Signature};

use crate::inference::{Attestation, AttestationEvidence, Offer, Receipt, SamplingParams};
use crate::primitives::Target;
use crate::state::{
    Account, Complaint, Job, JobStatus, Listing, ListingStatus, Miner, Model, Payout, Purchase,
    PurchaseStatus, Record, Reputation, SellerStats, StateKey, StateValue,
};
use crate::transaction::{
    Coinbase, ComplaintReason, ParentModel, SignedTransaction, Transaction, TxKind,
};
use crate::tx_kinds::{
    Buy, CancelListing, Complain, Deliver, ListRecords, PostResult, RateJob, RegisterMiner,
    RegisterModel, SubmitJob, Transfer, TransferRecord, UpdateMiner,
};
use crate::{Amount, Block, Header};

/// Any 32-byte hash.
pub fn arb_hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

/// Any 32-byte address (not necessarily a valid ed25519 point).
pub fn arb_address() -> impl Strategy<Value = Address> {
    any::<[u8; 32]>().prop_map(Address)
}

/// Any X25519 public key bytes.
pub fn arb_reply_key() -> impl Strategy<Value = ReplyPublicKey> {
    any::<[u8; 32]>().prop_map(ReplyPublicKey)
}

/// Any 64 signature bytes.
pub fn arb_signature() -> impl Strategy<Value = Signature> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, b)| {
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(&a);
        s[32..].copy_from_slice(&b);
        Signature(s)
    })
}

/// Any amount, biased towards small and extreme values.
pub fn arb_amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        Just(Amount::ZERO),
        Just(Amount::MAX),
        (0u64..1_000_000_000_000).prop_map(Amount),
        any::<u64>().prop_map(Amount),
    ]
}

/// Any target.
pub fn arb_target() -> impl Strategy<Value = Target> {
    any::<[u8; 32]>().prop_map(Target)
}

/// Short byte strings (0..64 bytes).
pub fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..64)
}

/// Short strings, including non-ASCII UTF-8.
pub fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z0-9 ]{1,16}", "\\PC{0,8}"]
}

/// A sealed box with a short ciphertext.
pub fn arb_sealed_box() -> impl Strategy<Value = SealedBox> {
    (any::<[u8; 32]>(), arb_bytes()).prop_map(|(enc, ciphertext)| SealedBox { enc, ciphertext })
}

/// Any offer.
pub fn arb_offer() -> impl Strategy<Value = Offer> {
    (arb_hash(), arb_amount(), arb_amount(), any::<u32>()).prop_map(
        |(model, price_in, price_out, max_output_tokens)| Offer {
            model,
            price_in,
            price_out,
            max_output_tokens,
        },
    )
}

/// Any sampling parameters.
pub fn arb_sampling() -> impl Strategy<Value = SamplingParams> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<u64>()).prop_map(
        |(temperature_milli, top_p_milli, top_k, seed)| SamplingParams {
            temperature_milli,
            top_p_milli,
            top_k,
            seed,
        },
    )
}

/// Any attestation.
pub fn arb_attestation() -> impl Strategy<Value = Attestation> {
    prop_oneof![
        Just(Attestation::None),
        arb_hash().prop_map(|report_data| Attestation::Simulated { report_data }),
        arb_bytes().prop_map(|quote| Attestation::Tdx { quote }),
    ]
}

/// Any attestation evidence.
pub fn arb_evidence() -> impl Strategy<Value = AttestationEvidence> {
    prop_oneof![
        arb_hash().prop_map(|report_data| AttestationEvidence::Simulated { report_data }),
        arb_bytes().prop_map(|quote| AttestationEvidence::Tdx { quote }),
    ]
}

/// Any receipt.
pub fn arb_receipt() -> impl Strategy<Value = Receipt> {
    (
        (
            arb_hash(),
            arb_hash(),
            arb_address(),
            arb_hash(),
            arb_sampling(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            arb_hash(),
            arb_address(),
            arb_reply_key(),
        ),
    )
        .prop_map(
            |(
                (job, model, miner, request_hash, sampling),
                (input_tokens, output_tokens, commitment, user, user_reply_key),
            )| Receipt {
                job,
                model,
                miner,
                request_hash,
                sampling,
                input_tokens,
                output_tokens,
                commitment,
                user,
                user_reply_key,
            },
        )
}

/// Any parent-model link.
pub fn arb_parent() -> impl Strategy<Value = ParentModel> {
    (arb_hash(), any::<u16>()).prop_map(|(model, share_bps)| ParentModel { model, share_bps })
}

/// Any transaction kind (all fourteen).
pub fn arb_tx_kind() -> impl Strategy<Value = TxKind> {
    prop_oneof![
        (arb_address(), arb_amount())
            .prop_map(|(to, amount)| TxKind::Transfer(Transfer { to, amount })),
        (
            arb_hash(),
            arb_string(),
            arb_string(),
            any::<u32>(),
            any::<u16>(),
            option::of(arb_parent())
        )
            .prop_map(
                |(id, name, architecture, context_length, royalty_bps, parent)| {
                    TxKind::RegisterModel(RegisterModel {
                        id,
                        name,
                        architecture,
                        context_length,
                        royalty_bps,
                        parent,
                    })
                }
            ),
        (
            arb_reply_key(),
            vec(arb_offer(), 0..4),
            arb_string(),
            arb_attestation(),
            arb_amount()
        )
            .prop_map(|(serving_key, offers, p2p_addr, attestation, bond)| {
                TxKind::RegisterMiner(RegisterMiner {
                    serving_key,
                    offers,
                    p2p_addr,
                    attestation,
                    bond,
                })
            }),
        (
            arb_reply_key(),
            vec(arb_offer(), 0..4),
            arb_string(),
            arb_attestation(),
            arb_amount()
        )
            .prop_map(
                |(serving_key, offers, p2p_addr, attestation, bond_top_up)| {
                    TxKind::UpdateMiner(UpdateMiner {
                        serving_key,
                        offers,
                        p2p_addr,
                        attestation,
                        bond_top_up,
                    })
                }
            ),
        Just(TxKind::Unregister),
        (
            (arb_address(), arb_hash(), arb_sealed_box(), arb_reply_key()),
            (any::<u32>(), any::<u32>(), arb_amount(), arb_amount()),
            (arb_sampling(), any::<u64>(), any::<bool>())
        )
            .prop_map(
                |(
                    (miner, model, sealed_prompt, reply_key),
                    (max_input_tokens, max_output_tokens, price_in, price_out),
                    (sampling, expiry, require_attestation),
                )| TxKind::SubmitJob(SubmitJob {
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
                })
            ),
        (
            (arb_hash(), any::<u32>(), any::<u32>(), arb_bytes()),
            (
                arb_sealed_box(),
                arb_receipt(),
                arb_signature(),
                option::of(arb_evidence())
            )
        )
            .prop_map(
                |(
                    (job, input_tokens, output_tokens, payload),
                    (sealed_record_key, receipt, receipt_signature, attestation),
                )| TxKind::PostResult(PostResult {
                    job,
                    input_tokens,
                    output_tokens,
                    payload,
                    sealed_record_key,
                    receipt,
                    receipt_signature,
                    attestation,
                })
            ),
        (arb_hash(), arb_address(), arb_sealed_box()).prop_map(|(record, to, sealed_key)| {
            TxKind::TransferRecord(TransferRecord {
                record,
                to,
                sealed_key,
            })
        }),
        (
            vec(arb_hash(), 0..4),
            arb_amount(),
            any::<u64>(),
            arb_string(),
            arb_string()
        )
            .prop_map(|(records, price, until, title, description)| {
                TxKind::ListRecords(ListRecords {
                    records,
                    price,
                    until,
                    title,
                    description,
                })
            }),
        arb_hash().prop_map(|listing| TxKind::CancelListing(CancelListing { listing })),
        (arb_hash(), arb_reply_key())
            .prop_map(|(listing, reply_key)| TxKind::Buy(Buy { listing, reply_key })),
        (arb_hash(), vec(arb_sealed_box(), 0..4)).prop_map(|(purchase, sealed_keys)| {
            TxKind::Deliver(Deliver {
                purchase,
                sealed_keys,
            })
        }),
        (arb_hash(), any::<u8>()).prop_map(|(job, score)| TxKind::RateJob(RateJob { job, score })),
        (
            arb_hash(),
            any::<u32>(),
            arb_complaint_reason(),
            arb_string()
        )
            .prop_map(|(purchase, record_index, reason, detail)| TxKind::Complain(
                Complain {
                    purchase,
                    record_index,
                    reason,
                    detail,
                }
            )),
    ]
}

/// Any complaint reason.
pub fn arb_complaint_reason() -> impl Strategy<Value = ComplaintReason> {
    proptest::sample::select(ComplaintReason::ALL.to_vec())
}

/// Any unsigned transaction.
pub fn arb_transaction() -> impl Strategy<Value = Transaction> {
    (arb_address(), any::<u64>(), arb_amount(), arb_tx_kind()).prop_map(
        |(sender, nonce, fee, kind)| Transaction {
            sender,
            nonce,
            fee,
            kind,
        },
    )
}

/// Any signed transaction (the signature is random bytes, so it doesn't verify).
pub fn arb_signed_transaction() -> impl Strategy<Value = SignedTransaction> {
    (arb_transaction(), arb_signature())
        .prop_map(|(tx, signature)| SignedTransaction { tx, signature })
}

/// Any coinbase.
pub fn arb_coinbase() -> impl Strategy<Value = Coinbase> {
    (any::<u64>(), arb_address(), arb_amount()).prop_map(|(height, recipient, amount)| Coinbase {
        height,
        recipient,
        amount,
    })
}

/// Any header.
pub fn arb_header() -> impl Strategy<Value = Header> {
    (
        (any::<u32>(), any::<u64>(), arb_hash(), any::<u64>()),
        (arb_target(), any::<u64>(), arb_hash(), arb_hash()),
    )
        .prop_map(
            |((version, height, prev_hash, timestamp), (target, nonce, tx_root, state_root))| {
                Header {
                    version,
                    height,
                    prev_hash,
                    timestamp,
                    target,
                    nonce,
                    tx_root,
                    state_root,
                }
            },
        )
}

/// Any block with up to 4 transactions.
pub fn arb_block() -> impl Strategy<Value = Block> {
    (
        arb_header(),
        arb_coinbase(),
        vec(arb_signed_transaction(), 0..4),
    )
        .prop_map(|(header, coinbase, txs)| Block {
            header,
            coinbase,
            txs,
        })
}

/// Any state key.
pub fn arb_state_key() -> impl Strategy<Value = StateKey> {
    prop_oneof![
        arb_address().prop_map(StateKey::Account),
        arb_hash().prop_map(StateKey::Model),
        arb_address().prop_map(StateKey::Miner),
        arb_hash().prop_map(StateKey::Job),
        arb_hash().prop_map(StateKey::Record),
        arb_hash().prop_map(StateKey::Listing),
        arb_hash().prop_map(StateKey::Purchase),
        any::<u64>().prop_map(StateKey::JobExpiry),
        any::<u64>().prop_map(StateKey::PurchaseDeadline),
        any::<u64>().prop_map(StateKey::PendingReward),
        any::<u64>().prop_map(StateKey::Unbonding),
        (arb_hash(), any::<u32>()).prop_map(|(p, i)| StateKey::Complaint(p, i)),
        arb_address().prop_map(StateKey::SellerStats),
    ]
}

/// Any account.
pub fn arb_account() -> impl Strategy<Value = Account> {
    (arb_amount(), any::<u64>(), option::of(arb_reply_key())).prop_map(
        |(balance, nonce, reply_key)| Account {
            balance,
            nonce,
            reply_key,
        },
    )
}

/// Any model.
pub fn arb_model() -> impl Strategy<Value = Model> {
    (
        (arb_hash(), arb_address(), arb_string(), arb_string()),
        (
            any::<u32>(),
            any::<u16>(),
            option::of(arb_parent()),
            any::<u64>(),
        ),
    )
        .prop_map(
            |(
                (id, owner, name, architecture),
                (context_length, royalty_bps, parent, registered_at),
            )| Model {
                id,
                owner,
                name,
                architecture,
                context_length,
                royalty_bps,
                parent,
                registered_at,
            },
        )
}

/// Any reputation counters.
pub fn arb_reputation() -> impl Strategy<Value = Reputation> {
    (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
        |(served, expired, ratings_sum, ratings_count)| Reputation {
            served,
            expired,
            ratings_sum,
            ratings_count,
        },
    )
}

/// Any miner registration.
pub fn arb_miner() -> impl Strategy<Value = Miner> {
    (
        (
            arb_address(),
            arb_reply_key(),
            vec(arb_offer(), 0..4),
            arb_string(),
        ),
        (
            arb_attestation(),
            arb_amount(),
            arb_reputation(),
            any::<u64>(),
            option::of(any::<u64>()),
        ),
    )
        .prop_map(
            |(
                (address, serving_key, offers, p2p_addr),
                (attestation, bond, reputation, registered_at, unbonding_at),
            )| Miner {
                address,
                serving_key,
                offers,
                p2p_addr,
                attestation,
                bond,
                reputation,
                registered_at,
                unbonding_at,
            },
        )
}

/// Any job status.
pub fn arb_job_status() -> impl Strategy<Value = JobStatus> {
    prop_oneof![
        Just(JobStatus::Pending),
        any::<u64>().prop_map(|height| JobStatus::Completed { height }),
        any::<u64>().prop_map(|height| JobStatus::Expired { height }),
    ]
}

/// Any job.
pub fn arb_job() -> impl Strategy<Value = Job> {
    (
        (
            arb_hash(),
            arb_address(),
            arb_address(),
            arb_hash(),
            arb_hash(),
            arb_reply_key(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            arb_amount(),
            arb_amount(),
            arb_amount(),
            arb_sampling(),
        ),
        (
            any::<u64>(),
            any::<bool>(),
            any::<u64>(),
            arb_job_status(),
            option::of(any::<u8>()),
        ),
    )
        .prop_map(
            |(
                (id, user, miner, model, request_hash, reply_key),
                (max_input_tokens, max_output_tokens, price_in, price_out, escrow, sampling),
                (expiry, require_attestation, submitted_at, status, rating),
            )| Job {
                id,
                user,
                miner,
                model,
                request_hash,
                reply_key,
                max_input_tokens,
                max_output_tokens,
                price_in,
                price_out,
                escrow,
                sampling,
                expiry,
                require_attestation,
                submitted_at,
                status,
                rating,
            },
        )
}

/// Any record.
pub fn arb_record() -> impl Strategy<Value = Record> {
    (
        (arb_hash(), arb_address(), arb_sealed_box(), arb_bytes()),
        (
            arb_receipt(),
            arb_signature(),
            any::<u64>(),
            option::of(arb_hash()),
        ),
    )
        .prop_map(
            |(
                (id, owner, sealed_key, payload),
                (receipt, receipt_signature, created_at, listing),
            )| Record {
                id,
                owner,
                sealed_key,
                payload,
                receipt,
                receipt_signature,
                created_at,
                listing,
            },
        )
}

/// Any listing status.
pub fn arb_listing_status() -> impl Strategy<Value = ListingStatus> {
    prop_oneof![
        Just(ListingStatus::Open),
        arb_hash().prop_map(|purchase| ListingStatus::Pending { purchase }),
        arb_hash().prop_map(|purchase| ListingStatus::Sold { purchase }),
        Just(ListingStatus::Cancelled),
    ]
}

/// Any listing.
pub fn arb_listing() -> impl Strategy<Value = Listing> {
    (
        (
            arb_hash(),
            arb_address(),
            vec(arb_hash(), 0..4),
            arb_amount(),
            any::<u64>(),
        ),
        (
            arb_string(),
            arb_string(),
            any::<u64>(),
            arb_listing_status(),
        ),
    )
        .prop_map(
            |((id, seller, records, price, until), (title, description, created_at, status))| {
                Listing {
                    id,
                    seller,
                    records,
                    price,
                    until,
                    title,
                    description,
                    created_at,
                    status,
                }
            },
        )
}

/// Any purchase status.
pub fn arb_purchase_status() -> impl Strategy<Value = PurchaseStatus> {
    prop_oneof![
        Just(PurchaseStatus::Pending),
        any::<u64>().prop_map(|height| PurchaseStatus::Delivered { height }),
        any::<u64>().prop_map(|height| PurchaseStatus::Refunded { height }),
    ]
}

/// Any purchase.
pub fn arb_purchase() -> impl Strategy<Value = Purchase> {
    (
        (arb_hash(), arb_hash(), arb_address(), arb_reply_key()),
        (
            arb_amount(),
            any::<u64>(),
            any::<u64>(),
            arb_purchase_status(),
        ),
    )
        .prop_map(
            |((id, listing, buyer, reply_key), (escrow, deadline, created_at, status))| Purchase {
                id,
                listing,
                buyer,
                reply_key,
                escrow,
                deadline,
                created_at,
                status,
            },
        )
}

/// Any complaint.
pub fn arb_complaint() -> impl Strategy<Value = Complaint> {
    (
        (arb_hash(), any::<u32>(), arb_hash(), arb_hash()),
        (arb_address(), arb_address(), arb_complaint_reason()),
        (arb_string(), any::<u64>()),
    )
        .prop_map(
            |(
                (purchase, record_index, listing, record),
                (buyer, seller, reason),
                (detail, height),
            )| Complaint {
                purchase,
                record_index,
                listing,
                record,
                buyer,
                seller,
                reason,
                detail,
                height,
            },
        )
}

/// Any seller stats.
pub fn arb_seller_stats() -> impl Strategy<Value = SellerStats> {
    any::<[u64; 5]>().prop_map(
        |[listings, sales, refunded, cancelled, complaints]| SellerStats {
            listings,
            sales,
            refunded,
            cancelled,
            complaints,
        },
    )
}

/// Any payout.
pub fn arb_payout() -> impl Strategy<Value = Payout> {
    (arb_address(), arb_amount()).prop_map(|(to, amount)| Payout { to, amount })
}

/// Any state value (all variants).
pub fn arb_state_value() -> impl Strategy<Value = StateValue> {
    prop_oneof![
        arb_account().prop_map(StateValue::Account),
        arb_model().prop_map(StateValue::Model),
        arb_miner().prop_map(StateValue::Miner),
        arb_job().prop_map(StateValue::Job),
        arb_record().prop_map(StateValue::Record),
        arb_listing().prop_map(StateValue::Listing),
        arb_purchase().prop_map(StateValue::Purchase),
        vec(arb_hash(), 0..4).prop_map(StateValue::JobQueue),
        vec(arb_hash(), 0..4).prop_map(StateValue::PurchaseQueue),
        vec(arb_payout(), 0..4).prop_map(StateValue::RewardQueue),
        vec(arb_address(), 0..4).prop_map(StateValue::UnbondingQueue),
        arb_complaint().prop_map(StateValue::Complaint),
        arb_seller_stats().prop_map(StateValue::SellerStats),
    ]
}
