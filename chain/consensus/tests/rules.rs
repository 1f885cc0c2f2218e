//! One test (at least) per consensus rule: every `BlockError` and `TxError` variant is
//! provoked, and effects of each transaction kind are checked.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use infernet_consensus::{
    BlockContext, BlockError, MemoryState, StateAccumulator, StateError, StateView, TxError,
    apply_block, apply_genesis, check_tx, evidence_report_data, genesis_block, total_supply,
};
use infernet_crypto::{Address, Hash, Identity};
use infernet_types::state::{
    JobStatus, ListingStatus, PurchaseStatus, SellerStats, StateKey, StateValue,
};
use infernet_types::{
    Amount, Attestation, AttestationEvidence, ChainSpec, ComplaintReason, Header, Target,
    Transaction, TxKind,
};
use infernet_types::{
    Buy, CancelListing, Complain, Deliver, ListRecords, PostResult, RateJob, RegisterMiner,
    RegisterModel, SubmitJob, TransferRecord, UpdateMiner,
};
use std::rc::Rc;

const MODEL: u8 = 1;
const PARENT_MODEL: u8 = 2;

struct World {
    chain: Chain,
    ids: Vec<Rc<Identity>>,
    job: Hash,
}

impl World {
    fn owner(&self) -> Rc<Identity> {
        Rc::clone(&self.ids[0])
    }
    fn miner(&self) -> Rc<Identity> {
        Rc::clone(&self.ids[1])
    }
    fn user(&self) -> Rc<Identity> {
        Rc::clone(&self.ids[2])
    }
    fn other(&self) -> Rc<Identity> {
        Rc::clone(&self.ids[3])
    }
    fn parent_owner(&self) -> Rc<Identity> {
        Rc::clone(&self.ids[4])
    }
    /// The error `kind` from `id` (next nonce) gets against the tip state.
    fn err(&self, id: &Identity, kind: TxKind) -> TxError {
        let tx = next_tx(&self.chain, id, kind);
        check_tx(
            &self.chain.state,
            &self.chain.spec,
            self.chain.height() + 1,
            &tx,
        )
        .unwrap_err()
    }
    fn ok(&mut self, id: &Identity, kind: TxKind) {
        let tx = next_tx(&self.chain, id, kind);
        assert_eq!(self.chain.mine(vec![tx]), 0, "transaction was rejected");
    }
}

/// Models (a fork of a parent), a miner, a pending job.
fn world() -> World {
    let mut chain = Chain::new(test_spec());
    let ids = ids();
    let bond = chain.spec.min_miner_bond;
    let t1 = next_tx(&chain, &ids[4], register_model(PARENT_MODEL, 1_000, None));
    let t2 = next_tx(
        &chain,
        &ids[0],
        register_model(MODEL, 1_000, Some((model_id(PARENT_MODEL), 5_000))),
    );
    assert_eq!(chain.mine(vec![t1, t2]), 0);
    let t = next_tx(
        &chain,
        &ids[1],
        register_miner(&ids[1], vec![offer(model_id(MODEL), 10, 20)], bond),
    );
    assert_eq!(chain.mine(vec![t]), 0);
    let expiry = chain.height() + 10;
    let t = next_tx(
        &chain,
        &ids[2],
        submit_job(&ids[1], &ids[2], model_id(MODEL), expiry),
    );
    let job = t.txid();
    assert_eq!(chain.mine(vec![t]), 0);
    World {
        chain,
        ids: ids.into_iter().map(Rc::new).collect(),
        job,
    }
}

/// `world()` plus the job's result (a record owned by the user).
fn world_with_record() -> World {
    let mut w = world();
    let k = post_result(
        &w.chain.spec,
        &w.miner(),
        &w.user(),
        model_id(MODEL),
        w.job,
        80,
        30,
    );
    let m = Rc::clone(&w.ids[1]);
    w.ok(&m, k);
    w
}

fn list_kind(records: Vec<Hash>, price: u64, until: u64) -> TxKind {
    TxKind::ListRecords(ListRecords {
        records,
        price: Amount(price),
        until,
        title: "t".into(),
        description: "d".into(),
    })
}

// ---------------------------------------------------------------- block rules

fn block_err(chain: &Chain, block: infernet_types::Block) -> BlockError {
    let before = chain.state.clone();
    let e = apply_block(&chain.state, &block, &chain.ctx()).unwrap_err();
    assert_eq!(chain.state, before);
    e
}

#[test]
fn valid_empty_block_and_header_rules_r002_to_r004() {
    let mut chain = Chain::new(test_spec());
    let t = chain.template(vec![]);
    let mut b = t.block.clone();
    b.header.version = 2;
    assert!(matches!(
        block_err(&chain, b),
        BlockError::UnsupportedVersion { version: 2, .. }
    ));
    let mut b = t.block.clone();
    b.header.height = 5;
    assert!(matches!(
        block_err(&chain, b),
        BlockError::WrongHeight {
            expected: 1,
            got: 5
        }
    ));
    let mut b = t.block.clone();
    b.header.prev_hash = Hash([1; 32]);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::WrongParent { .. }
    ));
    chain.push(t.block).unwrap();
    assert_eq!(chain.height(), 1);
}

#[test]
fn r001_block_too_large() {
    let mut spec = test_spec();
    spec.limits.max_block_bytes = 300;
    let chain = Chain::new(spec);
    let ids = ids();
    let tx = next_tx(&chain, &ids[0], transfer(&ids[1], 5));
    let fee = tx.tx.fee.0;
    let tx2 = sign_tx(&chain.spec, &ids[0], 1, transfer(&ids[1], 5));
    let b = chain.forge(vec![tx, tx2], 2 * fee);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::BlockTooLarge { max: 300, .. }
    ));
}

#[test]
fn r005_r006_target_and_pow() {
    let mut spec = test_spec();
    spec.dev = false;
    spec.genesis.target = Target::from_leading_zero_bits(40);
    spec.pow_limit = Target::from_leading_zero_bits(1);
    let chain = Chain::new(spec);
    let mut b = chain.forge(vec![], 0);
    // Required target at height 1 is the genesis target: nonce 0 will not meet 40 bits.
    assert!(matches!(
        block_err(&chain, b.clone()),
        BlockError::InsufficientWork { .. }
    ));
    b.header.target = Target::MAX;
    assert!(matches!(
        block_err(&chain, b),
        BlockError::WrongTarget { .. }
    ));
}

#[test]
fn r007_r008_timestamps() {
    let chain = Chain::new(test_spec());
    let mut b = chain.forge(vec![], 0);
    b.header.timestamp = chain.tip().timestamp;
    assert!(matches!(
        block_err(&chain, b.clone()),
        BlockError::TimestampTooOld { .. }
    ));
    b.header.timestamp = chain.ctx().now + 121;
    let e = block_err(&chain, b.clone());
    assert!(matches!(e, BlockError::TimestampInFuture { .. }));
    assert!(e.is_temporary());
    // Exactly now + 120 passes the timestamp rules (fails later on the state root).
    b.header.timestamp = chain.ctx().now + 120;
    assert!(matches!(
        block_err(&chain, b),
        BlockError::StateRootMismatch { .. }
    ));
}

#[test]
fn r009_r010_r011_r016_roots_and_coinbase() {
    let chain = Chain::new(test_spec());
    let t = chain.template(vec![]);
    let mut b = t.block.clone();
    b.header.tx_root = Hash([3; 32]);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::TxRootMismatch { .. }
    ));
    let mut b = t.block.clone();
    b.header.state_root = Hash([3; 32]);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::StateRootMismatch { .. }
    ));
    let mut b = chain.forge(vec![], 1);
    assert!(matches!(
        block_err(&chain, b.clone()),
        BlockError::CoinbaseAmount { .. }
    ));
    b.coinbase.height = 9;
    b.coinbase.amount = chain.spec.block_reward;
    b.header.tx_root = infernet_types::Block::tx_root_of(&[b.coinbase.id()]);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::CoinbaseHeight {
            expected: 1,
            got: 9
        }
    ));
}

#[test]
fn r012_too_many_jobs() {
    let mut spec = test_spec();
    spec.limits.max_jobs_per_block = 0;
    let chain = Chain::new(spec);
    let ids = ids();
    let tx = next_tx(
        &chain,
        &ids[2],
        submit_job(&ids[1], &ids[2], model_id(MODEL), 5),
    );
    let b = chain.forge(vec![tx], 0);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::TooManyJobs { count: 1, max: 0 }
    ));
}

#[test]
fn r013_duplicate_tx() {
    let chain = Chain::new(test_spec());
    let ids = ids();
    let tx = next_tx(&chain, &ids[0], transfer(&ids[1], 5));
    let fee = tx.tx.fee.0;
    let b = chain.forge(vec![tx.clone(), tx], 2 * fee);
    assert!(matches!(
        block_err(&chain, b),
        BlockError::DuplicateTransaction { .. }
    ));
}

#[test]
fn r014_reward_overflow() {
    let mut spec = test_spec();
    spec.block_reward = Amount(u64::MAX);
    let chain = Chain::new(spec);
    let ids = ids();
    let tx = next_tx(&chain, &ids[0], transfer(&ids[1], 5));
    let b = chain.forge(vec![tx], 0);
    assert!(matches!(block_err(&chain, b), BlockError::RewardOverflow));
}

#[test]
fn r015_genesis() {
    let spec = test_spec();
    let (g, delta) = genesis_block(&spec).unwrap();
    let empty = MemoryState::new();
    let d = apply_genesis(&empty, &g, &spec).unwrap();
    assert_eq!(d.state_root, delta.state_root);
    assert_eq!(g.header.state_root, delta.state_root);
    let mut other = g.clone();
    other.header.timestamp += 1;
    assert!(matches!(
        apply_genesis(&empty, &other, &spec),
        Err(BlockError::GenesisMismatch { .. })
    ));
    let mut s = MemoryState::new();
    s.apply(&d);
    assert_eq!(
        total_supply(s.entries()),
        Some(spec.genesis_supply().unwrap())
    );
}

#[test]
fn block_with_invalid_tx_names_the_tx_and_changes_nothing() {
    let chain = Chain::new(test_spec());
    let ids = ids();
    let good = next_tx(&chain, &ids[0], transfer(&ids[1], 5));
    let bad = sign_tx(&chain.spec, &ids[0], 7, transfer(&ids[1], 5));
    let fees = good.tx.fee.0 + bad.tx.fee.0;
    let b = chain.forge(vec![good, bad.clone()], fees);
    match block_err(&chain, b) {
        BlockError::Tx {
            index,
            txid,
            source,
        } => {
            assert_eq!(index, 1);
            assert_eq!(txid, bad.txid());
            assert_eq!(
                source,
                TxError::BadNonce {
                    expected: 1,
                    got: 7
                }
            );
        }
        e => panic!("unexpected {e}"),
    }
}

struct FailingView;
impl StateView for FailingView {
    fn get(&self, _: &StateKey) -> Result<Option<StateValue>, StateError> {
        Err(StateError::Backend("disk on fire".into()))
    }
    fn accumulator(&self) -> Result<StateAccumulator, StateError> {
        Ok(StateAccumulator::empty())
    }
}

#[test]
fn backend_failure_is_reported_not_judged() {
    let chain = Chain::new(test_spec());
    let t = chain.template(vec![]);
    let e = apply_block(&FailingView, &t.block, &chain.ctx()).unwrap_err();
    assert!(matches!(e, BlockError::State(StateError::Backend(_))));
    assert!(e.is_temporary());
}

// ---------------------------------------------------------------- common tx rules

#[test]
fn r020_r021_r022_r023_stateless() {
    let mut spec = test_spec();
    spec.limits.max_tx_bytes = 150;
    let chain = Chain::new(spec);
    let ids = ids();
    let h = 1;
    let long = TxKind::RegisterModel(RegisterModel {
        id: model_id(1),
        name: "x".repeat(test_spec().limits.max_string_bytes as usize + 1),
        architecture: "llama".into(),
        context_length: 1,
        royalty_bps: 0,
        parent: None,
    });
    let tx = next_tx(&chain, &ids[0], long.clone());
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::TxTooLarge { max: 150, .. })
    ));

    let chain = Chain::new(test_spec());
    let tx = next_tx(&chain, &ids[0], long);
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::FieldTooLarge { field: "name", .. })
    ));
    // Signed for another chain.
    let tx = Transaction {
        sender: ids[0].address(),
        nonce: 0,
        fee: Amount(10_000),
        kind: transfer(&ids[1], 1),
    }
    .sign(&ids[0], 999);
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::BadSignature { .. })
    ));
    let tx = Transaction {
        sender: ids[0].address(),
        nonce: 0,
        fee: Amount(1),
        kind: transfer(&ids[1], 1),
    }
    .sign(&ids[0], chain.spec.chain_id);
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::FeeTooLow { .. })
    ));
}

#[test]
fn r030_r031_r040_transfer_rules_and_effects() {
    let mut chain = Chain::new(test_spec());
    let ids = ids();
    let h = 1;
    let tx = sign_tx(&chain.spec, &ids[0], 3, transfer(&ids[1], 1));
    assert_eq!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::BadNonce {
            expected: 0,
            got: 3
        })
    );
    let rich = chain.account(&ids[0].address()).balance.0;
    let tx = next_tx(&chain, &ids[0], transfer(&ids[1], rich));
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::InsufficientBalance { .. })
    ));
    let tx = next_tx(&chain, &ids[0], transfer(&ids[1], 0));
    assert_eq!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::ZeroTransfer)
    );
    // An address with no account has nothing to pay the fee with.
    let nobody = Identity::from_seed(&infernet_crypto::Seed::from_bytes([42; 32]));
    let tx = next_tx(&chain, &nobody, transfer(&ids[1], 1));
    assert!(matches!(
        check_tx(&chain.state, &chain.spec, h, &tx),
        Err(TxError::InsufficientBalance { .. })
    ));

    let tx = next_tx(&chain, &ids[0], transfer(&nobody, 1_000));
    let fee = tx.tx.fee;
    let b0 = chain.account(&ids[0].address()).balance;
    assert_eq!(chain.mine(vec![tx]), 0);
    assert_eq!(chain.account(&nobody.address()).balance, Amount(1_000));
    assert_eq!(
        chain.account(&ids[0].address()).balance,
        Amount(b0.0 - 1_000 - fee.0)
    );
    assert_eq!(chain.nonce(&ids[0]), 1);
}

#[test]
fn r032_overflow() {
    let mut w = world();
    let m = w.miner().clone();
    let k = register_miner(
        &m,
        vec![infernet_types::Offer {
            model: model_id(MODEL),
            price_in: Amount(u64::MAX),
            price_out: Amount(u64::MAX),
            max_output_tokens: 256,
        }],
        Amount(0),
    );
    let k = match k {
        TxKind::RegisterMiner(RegisterMiner {
            serving_key,
            offers,
            p2p_addr,
            attestation,
            ..
        }) => TxKind::UpdateMiner(UpdateMiner {
            serving_key,
            offers,
            p2p_addr,
            attestation,
            bond_top_up: Amount(0),
        }),
        _ => unreachable!(),
    };
    w.ok(&m, k);
    let mut job = submit_job(&w.miner(), &w.user(), model_id(MODEL), w.chain.height() + 5);
    if let TxKind::SubmitJob(SubmitJob { price_in, .. }) = &mut job {
        *price_in = Amount(u64::MAX / 2);
    }
    assert_eq!(
        w.err(&Rc::clone(&w.ids[2]), job),
        TxError::Overflow { what: "job escrow" }
    );
}

// ---------------------------------------------------------------- models

#[test]
fn r041_to_r044_register_model() {
    let w = world();
    let o = w.other().clone();
    assert_eq!(
        w.err(&o, register_model(MODEL, 0, None)),
        TxError::ModelExists {
            model: model_id(MODEL)
        }
    );
    assert!(matches!(
        w.err(&o, register_model(9, 5_001, None)),
        TxError::RoyaltyTooHigh { bps: 5_001, .. }
    ));
    assert_eq!(
        w.err(&o, register_model(9, 0, Some((model_id(77), 10)))),
        TxError::UnknownParentModel {
            model: model_id(77)
        }
    );
    assert_eq!(
        w.err(&o, register_model(9, 0, Some((model_id(MODEL), 10_001)))),
        TxError::ParentShareTooHigh { bps: 10_001 }
    );
    match w.chain.get(StateKey::Model(model_id(MODEL))) {
        Some(StateValue::Model(m)) => {
            assert_eq!(m.owner, w.owner().address());
            assert_eq!(m.royalty_bps, 1_000);
            assert_eq!(m.parent.unwrap().model, model_id(PARENT_MODEL));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- miners

#[test]
fn r050_to_r055_register_miner() {
    let w = world();
    let bond = w.chain.spec.min_miner_bond;
    let m = w.miner().clone();
    let o = w.other().clone();
    assert!(matches!(
        w.err(
            &m,
            register_miner(&m, vec![offer(model_id(MODEL), 1, 1)], bond)
        ),
        TxError::MinerExists { .. }
    ));
    assert!(matches!(
        w.err(
            &o,
            register_miner(&o, vec![offer(model_id(MODEL), 1, 1)], Amount(bond.0 - 1))
        ),
        TxError::BondTooLow { .. }
    ));
    assert_eq!(
        w.err(&o, register_miner(&o, vec![], bond)),
        TxError::BadOffers { model: Hash::ZERO }
    );
    assert_eq!(
        w.err(
            &o,
            register_miner(
                &o,
                vec![offer(model_id(MODEL), 1, 1), offer(model_id(MODEL), 2, 2)],
                bond
            )
        ),
        TxError::BadOffers {
            model: model_id(MODEL)
        }
    );
    assert_eq!(
        w.err(
            &o,
            register_miner(&o, vec![offer(model_id(55), 1, 1)], bond)
        ),
        TxError::OfferUnknownModel {
            model: model_id(55)
        }
    );
    let mut big = offer(model_id(MODEL), 1, 1);
    big.max_output_tokens = w.chain.spec.limits.max_output_tokens + 1;
    assert!(matches!(
        w.err(&o, register_miner(&o, vec![big], bond)),
        TxError::OfferTokenLimit { .. }
    ));
    let with_att =
        |att: Attestation| match register_miner(&o, vec![offer(model_id(MODEL), 1, 1)], bond) {
            TxKind::RegisterMiner(RegisterMiner {
                serving_key,
                offers,
                p2p_addr,
                bond,
                ..
            }) => TxKind::RegisterMiner(RegisterMiner {
                serving_key,
                offers,
                p2p_addr,
                attestation: att,
                bond,
            }),
            _ => unreachable!(),
        };
    assert!(matches!(
        w.err(
            &o,
            with_att(Attestation::Simulated {
                report_data: Hash([1; 32])
            })
        ),
        TxError::AttestationRejected { .. }
    ));
    assert!(matches!(
        w.err(
            &o,
            with_att(Attestation::Tdx {
                quote: vec![1, 2, 3]
            })
        ),
        TxError::AttestationRejected { .. }
    ));
    let good = Attestation::report_data(&serving_key(&o), &[model_id(MODEL)]);
    let tx = next_tx(
        &w.chain,
        &o,
        with_att(Attestation::Simulated { report_data: good }),
    );
    assert_eq!(
        check_tx(&w.chain.state, &w.chain.spec, w.chain.height() + 1, &tx),
        Ok(())
    );
    // The testnet refuses simulated attestations.
    let mut spec = w.chain.spec.clone();
    spec.allow_simulated_attestation = false;
    assert!(matches!(
        check_tx(&w.chain.state, &spec, w.chain.height() + 1, &tx),
        Err(TxError::AttestationRejected { .. })
    ));
}

#[test]
fn r056_r057_update_unregister_and_bond_release() {
    let mut w = world();
    let m = w.miner().clone();
    let o = w.other().clone();
    assert_eq!(
        w.err(&o, TxKind::Unregister),
        TxError::UnknownMiner { miner: o.address() }
    );
    let bond = w.chain.spec.min_miner_bond;
    let before = w.chain.account(&m.address()).balance;
    let tx = next_tx(&w.chain, &m, TxKind::Unregister);
    let fee = tx.tx.fee;
    assert_eq!(w.chain.mine(vec![tx]), 0);
    assert_eq!(
        w.err(&m, TxKind::Unregister),
        TxError::MinerUnbonding { miner: m.address() }
    );
    let u = Rc::clone(&w.ids[2]);
    assert_eq!(
        w.err(
            &u,
            submit_job(&m, &u, model_id(MODEL), w.chain.height() + 5)
        ),
        TxError::MinerUnbonding { miner: m.address() }
    );
    // Bond comes back after the unbonding delay (3 blocks).
    for _ in 0..3 {
        w.chain.mine(vec![]);
    }
    let after = w.chain.account(&m.address()).balance;
    assert_eq!(after.0, before.0 - fee.0 + bond.0);
    // Re-registration after release keeps reputation.
    let tx = next_tx(
        &w.chain,
        &m,
        register_miner(&m, vec![offer(model_id(MODEL), 1, 1)], bond),
    );
    assert_eq!(w.chain.mine(vec![tx]), 0);
}

// ---------------------------------------------------------------- jobs

fn job_with(w: &World, f: impl FnOnce(&mut TxKind)) -> TxError {
    let mut k = submit_job(&w.miner(), &w.user(), model_id(MODEL), w.chain.height() + 5);
    f(&mut k);
    w.err(&w.user(), k)
}

#[test]
fn r060_to_r064_submit_job() {
    let w = world();
    assert_eq!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob { model, .. }) = k {
                *model = model_id(PARENT_MODEL)
            }
        }),
        TxError::NoOffer {
            model: model_id(PARENT_MODEL)
        }
    );
    assert!(matches!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob { price_out, .. }) = k {
                *price_out = Amount(21)
            }
        }),
        TxError::PriceAboveOffer { .. }
    ));
    assert!(matches!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob {
                max_output_tokens, ..
            }) = k
            {
                *max_output_tokens = 257
            }
        }),
        TxError::JobTokenLimit {
            allowed_out: 256,
            ..
        }
    ));
    assert!(matches!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob {
                max_input_tokens, ..
            }) = k
            {
                *max_input_tokens = 0
            }
        }),
        TxError::JobTokenLimit { .. }
    ));
    let h = w.chain.height();
    assert!(matches!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob { expiry, .. }) = k {
                *expiry = h + 1 - 1
            }
        }),
        TxError::BadJobExpiry { .. }
    ));
    assert!(matches!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob { expiry, .. }) = k {
                *expiry = h + 1000
            }
        }),
        TxError::BadJobExpiry { .. }
    ));
    assert_eq!(
        job_with(&w, |k| {
            if let TxKind::SubmitJob(SubmitJob {
                require_attestation,
                ..
            }) = k
            {
                *require_attestation = true
            }
        }),
        TxError::MinerNotAttested {
            miner: w.miner().address()
        }
    );
    let o = w.other().clone();
    assert_eq!(
        w.err(&o, submit_job(&o, &w.user(), model_id(MODEL), h + 5)),
        TxError::UnknownMiner { miner: o.address() }
    );
    // Effects of the job in world(): escrow held, reply key remembered, queue entry.
    match w.chain.get(StateKey::Job(w.job)) {
        Some(StateValue::Job(j)) => {
            assert_eq!(j.escrow, Amount(100 * 10 + 50 * 20));
            assert_eq!(j.status, JobStatus::Pending);
            assert!(
                matches!(w.chain.get(StateKey::JobExpiry(j.expiry)), Some(StateValue::JobQueue(q)) if q == vec![w.job])
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.chain.account(&w.user().address()).reply_key,
        Some(serving_key(&w.user()))
    );
}

fn result_with(w: &World, sender: &Identity, f: impl FnOnce(&mut TxKind)) -> TxError {
    let mut k = post_result(
        &w.chain.spec,
        &w.miner(),
        &w.user(),
        model_id(MODEL),
        w.job,
        80,
        30,
    );
    f(&mut k);
    w.err(sender, k)
}

#[test]
fn r070_to_r075_post_result_rules() {
    let w = world();
    let m = w.miner().clone();
    assert_eq!(
        w.err(
            &m,
            post_result(
                &w.chain.spec,
                &m,
                &w.user(),
                model_id(MODEL),
                Hash([4; 32]),
                1,
                1
            )
        ),
        TxError::UnknownJob { job: Hash([4; 32]) }
    );
    assert_eq!(
        result_with(&w, &w.other().clone(), |_| {}),
        TxError::NotJobMiner
    );
    assert!(matches!(
        w.err(
            &m,
            post_result(&w.chain.spec, &m, &w.user(), model_id(MODEL), w.job, 101, 1)
        ),
        TxError::TokenCountsExceedLimits { input: 101, .. }
    ));
    assert_eq!(
        result_with(&w, &m, |k| {
            if let TxKind::PostResult(PostResult { input_tokens, .. }) = k {
                *input_tokens = 79
            }
        }),
        TxError::ReceiptMismatch {
            field: "input_tokens"
        }
    );
    assert_eq!(
        result_with(&w, &m, |k| {
            if let TxKind::PostResult(PostResult { receipt, .. }) = k {
                receipt.user = Address::from_bytes([1; 32])
            }
        }),
        TxError::ReceiptMismatch { field: "user" }
    );
    assert_eq!(
        result_with(&w, &m, |k| {
            if let TxKind::PostResult(PostResult {
                receipt_signature, ..
            }) = k
            {
                *receipt_signature = infernet_crypto::Signature([0; 64])
            }
        }),
        TxError::BadReceiptSignature
    );
}

#[test]
fn r071_job_not_pending_after_expiry_and_refund() {
    let mut w = world();
    let user_before = w.chain.account(&w.user().address()).balance;
    let expiry = match w.chain.get(StateKey::Job(w.job)) {
        Some(StateValue::Job(j)) => j.expiry,
        _ => unreachable!(),
    };
    while w.chain.height() < expiry {
        w.chain.mine(vec![]);
    }
    let user_after = w.chain.account(&w.user().address()).balance;
    assert_eq!(user_after.0, user_before.0 + 100 * 10 + 50 * 20);
    match w.chain.get(StateKey::Miner(w.miner().address())) {
        Some(StateValue::Miner(m)) => assert_eq!(m.reputation.expired, 1),
        other => panic!("{other:?}"),
    }
    assert!(w.chain.get(StateKey::JobExpiry(expiry)).is_none());
    let m = w.miner().clone();
    assert_eq!(
        result_with(&w, &m, |_| {}),
        TxError::JobNotPending { job: w.job }
    );
}

#[test]
fn post_result_settles_with_lineage_royalties() {
    let w0 = world();
    let owner_before = w0.chain.account(&w0.owner().address()).balance;
    let parent_before = w0.chain.account(&w0.parent_owner().address()).balance;
    let user_before = w0.chain.account(&w0.user().address()).balance;
    let miner_before = w0.chain.account(&w0.miner().address()).balance;
    let w = world_with_record();
    // cost = 80*10 + 30*20 = 1400; royalty 10% = 140; parent share 50% = 70.
    assert_eq!(
        w.chain.account(&w.owner().address()).balance.0,
        owner_before.0 + 70
    );
    assert_eq!(
        w.chain.account(&w.parent_owner().address()).balance.0,
        parent_before.0 + 70
    );
    assert_eq!(
        w.chain.account(&w.user().address()).balance.0,
        user_before.0 + 2_000 - 1_400
    );
    let fee = w.chain.blocks.last().unwrap().txs[0].tx.fee.0;
    assert_eq!(
        w.chain.account(&w.miner().address()).balance.0,
        miner_before.0 + 1_400 - 140 - fee
    );
    match w.chain.get(StateKey::Record(w.job)) {
        Some(StateValue::Record(r)) => {
            assert_eq!(r.owner, w.user().address());
            assert_eq!(r.receipt.output_tokens, 30);
        }
        other => panic!("{other:?}"),
    }
    match w.chain.get(StateKey::Miner(w.miner().address())) {
        Some(StateValue::Miner(m)) => assert_eq!(m.reputation.served, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        total_supply(w.chain.state.entries()),
        Some(expected_supply(&w.chain.spec, w.chain.height()))
    );
}

#[test]
fn r076_attested_jobs_need_evidence() {
    let mut w = world();
    let m = w.miner().clone();
    let u = w.user().clone();
    let report = Attestation::report_data(&serving_key(&m), &[model_id(MODEL)]);
    w.ok(
        &m,
        TxKind::UpdateMiner(UpdateMiner {
            serving_key: serving_key(&m),
            offers: vec![offer(model_id(MODEL), 10, 20)],
            p2p_addr: "x".into(),
            attestation: Attestation::Simulated {
                report_data: report,
            },
            bond_top_up: Amount(5),
        }),
    );
    let mut k = submit_job(&m, &u, model_id(MODEL), w.chain.height() + 5);
    if let TxKind::SubmitJob(SubmitJob {
        require_attestation,
        ..
    }) = &mut k
    {
        *require_attestation = true;
    }
    let tx = next_tx(&w.chain, &u, k);
    let job = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let base = post_result(&w.chain.spec, &m, &u, model_id(MODEL), job, 10, 10);
    assert!(matches!(
        w.err(&m, base.clone()),
        TxError::EvidenceRejected { .. }
    ));
    let with = |ev: AttestationEvidence| {
        let mut k = base.clone();
        if let TxKind::PostResult(PostResult { attestation, .. }) = &mut k {
            *attestation = Some(ev);
        }
        k
    };
    assert!(matches!(
        w.err(
            &m,
            with(AttestationEvidence::Simulated {
                report_data: Hash([0; 32])
            })
        ),
        TxError::EvidenceRejected { .. }
    ));
    let good = evidence_report_data(&serving_key(&m), &job, &Hash([9; 32]));
    w.ok(
        &m,
        with(AttestationEvidence::Simulated { report_data: good }),
    );
}

// ---------------------------------------------------------------- records and market

#[test]
fn r080_r081_r089_transfer_record() {
    let mut w = world_with_record();
    let u = w.user().clone();
    let o = w.other().clone();
    let k = |rec| {
        TxKind::TransferRecord(TransferRecord {
            record: rec,
            to: o.address(),
            sealed_key: sealed(3, 48),
        })
    };
    assert_eq!(
        w.err(&u, k(Hash([8; 32]))),
        TxError::UnknownRecord {
            record: Hash([8; 32])
        }
    );
    assert_eq!(
        w.err(&o, k(w.job)),
        TxError::NotRecordOwner { record: w.job }
    );
    let until = w.chain.height() + 5;
    w.ok(&u, list_kind(vec![w.job], 1_000, until));
    assert_eq!(w.err(&u, k(w.job)), TxError::RecordListed { record: w.job });
    assert_eq!(
        w.err(&u, list_kind(vec![w.job], 5, until)),
        TxError::RecordListed { record: w.job }
    );
    // After the listing lapses the record is free again.
    while w.chain.height() <= until {
        w.chain.mine(vec![]);
    }
    w.ok(&u, k(w.job));
    match w.chain.get(StateKey::Record(w.job)) {
        Some(StateValue::Record(r)) => {
            assert_eq!(r.owner, o.address());
            assert_eq!(r.sealed_key, sealed(3, 48));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r082_r083_list_records() {
    let w = world_with_record();
    let u = w.user().clone();
    let h = w.chain.height();
    assert_eq!(w.err(&u, list_kind(vec![], 1, h + 5)), TxError::BadBundle);
    assert_eq!(
        w.err(&u, list_kind(vec![w.job, w.job], 1, h + 5)),
        TxError::BadBundle
    );
    assert!(matches!(
        w.err(&u, list_kind(vec![w.job], 1, h)),
        TxError::BadListingEnd { .. }
    ));
    assert!(matches!(
        w.err(&u, list_kind(vec![w.job], 1, h + 500)),
        TxError::BadListingEnd { .. }
    ));
}

#[test]
fn r084_r085_r086_cancel_and_buy() {
    let mut w = world_with_record();
    let u = w.user().clone();
    let o = w.other().clone();
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job], 1_000, w.chain.height() + 10),
    );
    let listing = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    assert_eq!(
        w.err(
            &o,
            TxKind::CancelListing(CancelListing {
                listing: Hash([1; 32])
            })
        ),
        TxError::UnknownListing {
            listing: Hash([1; 32])
        }
    );
    assert_eq!(
        w.err(&o, TxKind::CancelListing(CancelListing { listing })),
        TxError::NotSeller { listing }
    );
    w.ok(&u, TxKind::CancelListing(CancelListing { listing }));
    assert_eq!(
        w.err(&u, TxKind::CancelListing(CancelListing { listing })),
        TxError::ListingNotOpen { listing }
    );
    assert_eq!(
        w.err(
            &o,
            TxKind::Buy(Buy {
                listing,
                reply_key: serving_key(&o)
            })
        ),
        TxError::ListingNotOpen { listing }
    );
    match w.chain.get(StateKey::Record(w.job)) {
        Some(StateValue::Record(r)) => assert_eq!(r.listing, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn r087_r088_buy_deliver_and_sale_split() {
    let (mut w, listing, purchase) = bought_world();
    let u = w.user().clone();
    let o = w.other().clone();
    let m = w.miner().clone();
    let a = w.owner().clone();
    assert_eq!(
        w.err(
            &u,
            TxKind::Deliver(Deliver {
                purchase: Hash([6; 32]),
                sealed_keys: vec![]
            })
        ),
        TxError::NoPendingPurchase {
            purchase: Hash([6; 32])
        }
    );
    assert_eq!(
        w.err(
            &o,
            TxKind::Deliver(Deliver {
                purchase,
                sealed_keys: vec![sealed(4, 48)]
            })
        ),
        TxError::NotSeller { listing }
    );
    assert_eq!(
        w.err(
            &u,
            TxKind::Deliver(Deliver {
                purchase,
                sealed_keys: vec![]
            })
        ),
        TxError::SealedKeyCount {
            expected: 1,
            got: 0
        }
    );
    let seller_before = w.chain.account(&u.address()).balance.0;
    let miner_before = w.chain.account(&m.address()).balance.0;
    let owner_before = w.chain.account(&a.address()).balance.0;
    let parent_owner = w.parent_owner().clone();
    let parent_before = w.chain.account(&parent_owner.address()).balance.0;
    let tx = next_tx(
        &w.chain,
        &u,
        TxKind::Deliver(Deliver {
            purchase,
            sealed_keys: vec![sealed(4, 48)],
        }),
    );
    let fee = tx.tx.fee.0;
    assert_eq!(w.chain.mine(vec![tx]), 0);
    // 5% to the miner, 5% to the model's lineage (the fork shares 50% with its parent's
    // owner, as a job royalty does), the rest to the seller.
    assert_eq!(w.chain.account(&m.address()).balance.0, miner_before + 500);
    assert_eq!(w.chain.account(&a.address()).balance.0, owner_before + 250);
    assert_eq!(
        w.chain.account(&parent_owner.address()).balance.0,
        parent_before + 250
    );
    assert_eq!(
        w.chain.account(&u.address()).balance.0,
        seller_before + 9_000 - fee
    );
    match w.chain.get(StateKey::Record(w.job)) {
        Some(StateValue::Record(r)) => assert_eq!((r.owner, r.listing), (o.address(), None)),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(w.chain.get(StateKey::Listing(listing)), Some(StateValue::Listing(l)) if matches!(l.status, ListingStatus::Sold { .. }))
    );
    assert_eq!(
        total_supply(w.chain.state.entries()),
        Some(expected_supply(&w.chain.spec, w.chain.height()))
    );
}

/// `world_with_record()` with the record listed by the user and bought by `other`, not yet
/// delivered; returns the listing and purchase ids.
fn bought_world() -> (World, Hash, Hash) {
    let mut w = world_with_record();
    let u = w.user().clone();
    let o = w.other().clone();
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job], 10_000, w.chain.height() + 10),
    );
    let listing = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let tx = next_tx(
        &w.chain,
        &o,
        TxKind::Buy(Buy {
            listing,
            reply_key: serving_key(&o),
        }),
    );
    let purchase = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    (w, listing, purchase)
}

/// [`bought_world`] with the purchase delivered; returns the listing and purchase ids.
fn delivered_world() -> (World, Hash, Hash) {
    let (mut w, listing, purchase) = bought_world();
    let u = w.user().clone();
    w.ok(
        &u,
        TxKind::Deliver(Deliver {
            purchase,
            sealed_keys: vec![sealed(4, 48)],
        }),
    );
    (w, listing, purchase)
}

fn complain(purchase: Hash, record_index: u32) -> TxKind {
    TxKind::Complain(Complain {
        purchase,
        record_index,
        reason: ComplaintReason::CommitmentMismatch,
        detail: "pair does not match the commitment".into(),
    })
}

fn seller_stats(chain: &Chain, seller: &Identity) -> SellerStats {
    match chain.get(StateKey::SellerStats(seller.address())) {
        None => SellerStats::default(),
        Some(StateValue::SellerStats(s)) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn r094_to_r098_complaints_and_their_effects() {
    let (mut w, listing, purchase) = delivered_world();
    let u = w.user().clone();
    let o = w.other().clone();
    // unknown purchase, and a purchase that is still pending.
    assert_eq!(
        w.err(&o, complain(Hash([9; 32]), 0)),
        TxError::PurchaseNotDelivered {
            purchase: Hash([9; 32])
        }
    );
    // only the buyer (not the seller, not a stranger).
    assert_eq!(
        w.err(&u, complain(purchase, 0)),
        TxError::NotBuyer { purchase }
    );
    assert_eq!(
        w.err(&w.owner(), complain(purchase, 0)),
        TxError::NotBuyer { purchase }
    );
    // the index must name one of the listing's records.
    assert_eq!(
        w.err(&o, complain(purchase, 1)),
        TxError::BadRecordIndex {
            index: 1,
            records: 1
        }
    );
    assert_eq!(
        w.err(&o, complain(purchase, u32::MAX)),
        TxError::BadRecordIndex {
            index: u32::MAX,
            records: 1
        }
    );
    let before = seller_stats(&w.chain, &u);
    let balances: Vec<u64> = [&u, &o]
        .iter()
        .map(|i| w.chain.account(&i.address()).balance.0)
        .collect();
    let tx = next_tx(&w.chain, &o, complain(purchase, 0));
    let fee = tx.tx.fee.0;
    assert_eq!(w.chain.mine(vec![tx]), 0);
    // Effects: the complaint is recorded, the seller's count grows, no money moves but the fee.
    match w.chain.get(StateKey::Complaint(purchase, 0)) {
        Some(StateValue::Complaint(c)) => {
            assert_eq!(c.record, w.job);
            assert_eq!(c.listing, listing);
            assert_eq!((c.buyer, c.seller), (o.address(), u.address()));
            assert_eq!(c.reason, ComplaintReason::CommitmentMismatch);
            assert_eq!(c.detail, "pair does not match the commitment");
            assert_eq!(c.height, w.chain.height());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        seller_stats(&w.chain, &u),
        SellerStats {
            complaints: before.complaints + 1,
            ..before
        }
    );
    assert_eq!(w.chain.account(&u.address()).balance.0, balances[0]);
    assert_eq!(w.chain.account(&o.address()).balance.0, balances[1] - fee);
    // once per (purchase, record).
    assert_eq!(
        w.err(&o, complain(purchase, 0)),
        TxError::AlreadyComplained { purchase, index: 0 }
    );
    assert_eq!(
        total_supply(w.chain.state.entries()),
        Some(expected_supply(&w.chain.spec, w.chain.height()))
    );
}

#[test]
fn r094_pending_purchase_cannot_be_complained_about() {
    let (mut w, _, purchase) = bought_world();
    let o = w.other().clone();
    assert_eq!(
        w.err(&o, complain(purchase, 0)),
        TxError::PurchaseNotDelivered { purchase }
    );
    // Refunded at the deadline: still not complainable.
    for _ in 0..3 {
        w.chain.mine(vec![]);
    }
    assert_eq!(
        w.err(&o, complain(purchase, 0)),
        TxError::PurchaseNotDelivered { purchase }
    );
}

#[test]
fn r098_complaint_window_closes() {
    let mut spec = test_spec();
    spec.complaint_window = 2;
    let (mut w, _, purchase) = delivered_world();
    w.chain.spec = spec;
    let o = w.other().clone();
    let delivered_at = match w.chain.get(StateKey::Purchase(purchase)) {
        Some(StateValue::Purchase(p)) => match p.status {
            PurchaseStatus::Delivered { height } => height,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    // Heights delivered_at + 1 and + 2 are inside the window.
    w.chain.mine(vec![]);
    assert_eq!(w.chain.height() + 1, delivered_at + 2);
    let tx = next_tx(&w.chain, &o, complain(purchase, 0));
    assert!(check_tx(&w.chain.state, &w.chain.spec, w.chain.height() + 1, &tx).is_ok());
    w.chain.mine(vec![]);
    assert_eq!(
        w.err(&o, complain(purchase, 0)),
        TxError::ComplaintWindowClosed {
            purchase,
            deadline: delivered_at + 2
        }
    );
}

#[test]
fn complaint_detail_is_bounded_by_max_string_bytes() {
    let (w, _, purchase) = delivered_world();
    let o = w.other().clone();
    let max = w.chain.spec.limits.max_string_bytes;
    let kind = TxKind::Complain(Complain {
        purchase,
        record_index: 0,
        reason: ComplaintReason::Other,
        detail: "d".repeat(max as usize + 1),
    });
    assert!(matches!(
        w.err(&o, kind),
        TxError::FieldTooLarge {
            field: "detail",
            ..
        }
    ));
}

#[test]
fn seller_stats_count_listings_sales_cancellations_and_refunds() {
    let mut w = world_with_record();
    let u = w.user().clone();
    let o = w.other().clone();
    assert_eq!(seller_stats(&w.chain, &u), SellerStats::default());
    // Listed and cancelled.
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job], 10_000, w.chain.height() + 20),
    );
    let first = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    w.ok(&u, TxKind::CancelListing(CancelListing { listing: first }));
    // Listed, bought, not delivered: refunded at the deadline.
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job], 10_000, w.chain.height() + 20),
    );
    let second = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let buy = next_tx(
        &w.chain,
        &o,
        TxKind::Buy(Buy {
            listing: second,
            reply_key: serving_key(&o),
        }),
    );
    let purchase = buy.txid();
    assert_eq!(w.chain.mine(vec![buy]), 0);
    for _ in 0..3 {
        w.chain.mine(vec![]);
    }
    assert_eq!(
        seller_stats(&w.chain, &u),
        SellerStats {
            listings: 2,
            sales: 0,
            refunded: 1,
            cancelled: 1,
            complaints: 0,
        }
    );
    // The reopened listing is bought again and delivered.
    let buy = next_tx(
        &w.chain,
        &o,
        TxKind::Buy(Buy {
            listing: second,
            reply_key: serving_key(&o),
        }),
    );
    let purchase2 = buy.txid();
    assert_ne!(purchase, purchase2);
    assert_eq!(w.chain.mine(vec![buy]), 0);
    w.ok(
        &u,
        TxKind::Deliver(Deliver {
            purchase: purchase2,
            sealed_keys: vec![sealed(4, 48)],
        }),
    );
    assert_eq!(
        seller_stats(&w.chain, &u),
        SellerStats {
            listings: 2,
            sales: 1,
            refunded: 1,
            cancelled: 1,
            complaints: 0,
        }
    );
    // Reverting blocks reverts the stats with them.
    w.chain.pop();
    assert_eq!(seller_stats(&w.chain, &u).sales, 0);
    // Nobody else got stats.
    assert_eq!(seller_stats(&w.chain, &o), SellerStats::default());
}

#[test]
fn undelivered_purchase_is_refunded_and_listing_reopens() {
    let mut w = world_with_record();
    let u = w.user().clone();
    let o = w.other().clone();
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job], 10_000, w.chain.height() + 20),
    );
    let listing = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let before = w.chain.account(&o.address()).balance.0;
    let tx = next_tx(
        &w.chain,
        &o,
        TxKind::Buy(Buy {
            listing,
            reply_key: serving_key(&o),
        }),
    );
    let fee = tx.tx.fee.0;
    let purchase = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    assert_eq!(
        w.chain.account(&o.address()).balance.0,
        before - fee - 10_000
    );
    for _ in 0..3 {
        w.chain.mine(vec![]);
    }
    assert_eq!(w.chain.account(&o.address()).balance.0, before - fee);
    assert!(
        matches!(w.chain.get(StateKey::Purchase(purchase)), Some(StateValue::Purchase(p)) if matches!(p.status, PurchaseStatus::Refunded { .. }))
    );
    assert!(
        matches!(w.chain.get(StateKey::Listing(listing)), Some(StateValue::Listing(l)) if l.status == ListingStatus::Open)
    );
    assert_eq!(
        w.err(
            &u,
            TxKind::Deliver(Deliver {
                purchase,
                sealed_keys: vec![sealed(4, 48)]
            })
        ),
        TxError::NoPendingPurchase { purchase }
    );
}

#[test]
fn r090_to_r093_rate_job() {
    let w = world();
    let u = w.user().clone();
    assert_eq!(
        w.err(
            &u,
            TxKind::RateJob(RateJob {
                job: w.job,
                score: 5
            })
        ),
        TxError::JobNotCompleted { job: w.job }
    );
    let mut w = world_with_record();
    let o = w.other().clone();
    assert_eq!(
        w.err(
            &o,
            TxKind::RateJob(RateJob {
                job: w.job,
                score: 5
            })
        ),
        TxError::NotJobUser
    );
    assert_eq!(
        w.err(
            &u,
            TxKind::RateJob(RateJob {
                job: w.job,
                score: 0
            })
        ),
        TxError::BadScore { score: 0 }
    );
    assert_eq!(
        w.err(
            &u,
            TxKind::RateJob(RateJob {
                job: w.job,
                score: 6
            })
        ),
        TxError::BadScore { score: 6 }
    );
    w.ok(
        &u,
        TxKind::RateJob(RateJob {
            job: w.job,
            score: 4,
        }),
    );
    assert_eq!(
        w.err(
            &u,
            TxKind::RateJob(RateJob {
                job: w.job,
                score: 5
            })
        ),
        TxError::AlreadyRated { job: w.job }
    );
    match w.chain.get(StateKey::Miner(w.miner().address())) {
        Some(StateValue::Miner(m)) => assert_eq!(
            (m.reputation.ratings_sum, m.reputation.ratings_count),
            (4, 1)
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn coinbase_matures_after_maturity_blocks() {
    let mut chain = Chain::new(test_spec());
    let recipient = Address::from_bytes([7u8; 32]);
    chain.mine(vec![]);
    assert_eq!(chain.account(&recipient).balance, Amount::ZERO);
    chain.mine(vec![]);
    assert_eq!(chain.account(&recipient).balance, Amount::ZERO);
    chain.mine(vec![]); // height 3 = 1 + maturity 2
    assert_eq!(chain.account(&recipient).balance, chain.spec.block_reward);
    assert_eq!(
        total_supply(chain.state.entries()),
        Some(expected_supply(&chain.spec, 3))
    );
}

#[test]
fn build_block_skips_failing_candidates() {
    let chain = Chain::new(test_spec());
    let ids = ids();
    let good = next_tx(&chain, &ids[0], transfer(&ids[1], 5));
    let bad_nonce = sign_tx(&chain.spec, &ids[0], 5, transfer(&ids[1], 5));
    let t = chain.template(vec![good.clone(), bad_nonce.clone(), good.clone()]);
    assert_eq!(t.block.txs, vec![good]);
    assert_eq!(t.rejected.len(), 1);
    assert_eq!(t.rejected[0].0, bad_nonce.txid());
    let d = apply_block(&chain.state, &t.block, &chain.ctx()).unwrap();
    assert_eq!(d, t.delta);
}

#[test]
fn context_requires_dev_target_and_median() {
    let spec = ChainSpec::testnet();
    let (g, _) = genesis_block(&spec).unwrap();
    let ctx = BlockContext::new(&spec, &g.header, &[g.header.timestamp], g.header.timestamp);
    assert_eq!(ctx.required_target().to_be_bytes(), spec.genesis.target.0);
    assert_eq!(ctx.median_time_past, g.header.timestamp);
    let _: &Header = &g.header;
}

#[test]
fn reorg_across_an_expiry_equals_direct_application() {
    // Branch A lets the job expire (refund, reputation hit); branch B settles it instead.
    let mut w = world();
    let fork = w.chain.height();
    let expiry = match w.chain.get(StateKey::Job(w.job)) {
        Some(StateValue::Job(j)) => j.expiry,
        _ => unreachable!(),
    };
    while w.chain.height() < expiry {
        w.chain.mine(vec![]);
    }
    assert!(
        matches!(w.chain.get(StateKey::Job(w.job)), Some(StateValue::Job(j)) if matches!(j.status, JobStatus::Expired { .. }))
    );
    while w.chain.height() > fork {
        w.chain.pop();
    }
    let k = post_result(
        &w.chain.spec,
        &w.miner(),
        &w.user(),
        model_id(MODEL),
        w.job,
        80,
        30,
    );
    w.ok(&w.miner(), k);
    while w.chain.height() < expiry + 2 {
        w.chain.mine(vec![]);
    }
    let mut direct = Chain::new(test_spec());
    for b in w.chain.blocks.iter().skip(1) {
        direct.push(b.clone()).unwrap();
    }
    assert_eq!(direct.state, w.chain.state);
    assert!(
        matches!(w.chain.get(StateKey::Job(w.job)), Some(StateValue::Job(j)) if matches!(j.status, JobStatus::Completed { .. }))
    );
    assert_eq!(
        total_supply(w.chain.state.entries()),
        Some(expected_supply(&w.chain.spec, w.chain.height()))
    );
}

#[test]
fn r065_expiry_height_full() {
    let mut spec = test_spec();
    spec.limits.max_jobs_per_block = 1;
    let mut chain = Chain::new(spec);
    let ids = ids();
    let bond = chain.spec.min_miner_bond;
    let t = next_tx(&chain, &ids[0], register_model(MODEL, 0, None));
    assert_eq!(chain.mine(vec![t]), 0);
    let t = next_tx(
        &chain,
        &ids[1],
        register_miner(&ids[1], vec![offer(model_id(MODEL), 10, 20)], bond),
    );
    assert_eq!(chain.mine(vec![t]), 0);
    let expiry = chain.height() + 5;
    let t = next_tx(
        &chain,
        &ids[2],
        submit_job(&ids[1], &ids[2], model_id(MODEL), expiry),
    );
    assert_eq!(chain.mine(vec![t]), 0);
    let t = next_tx(
        &chain,
        &ids[3],
        submit_job(&ids[1], &ids[3], model_id(MODEL), expiry),
    );
    assert_eq!(
        check_tx(&chain.state, &chain.spec, chain.height() + 1, &t),
        Err(TxError::ExpiryHeightFull { expiry, max: 1 })
    );
    let t = next_tx(
        &chain,
        &ids[3],
        submit_job(&ids[1], &ids[3], model_id(MODEL), expiry + 1),
    );
    assert_eq!(
        check_tx(&chain.state, &chain.spec, chain.height() + 1, &t),
        Ok(())
    );
}

#[test]
fn build_block_respects_size_and_job_limits() {
    let mut spec = test_spec();
    spec.limits.max_jobs_per_block = 1;
    let mut chain = Chain::new(spec);
    let ids = ids();
    let bond = chain.spec.min_miner_bond;
    let t = next_tx(&chain, &ids[0], register_model(MODEL, 0, None));
    assert_eq!(chain.mine(vec![t]), 0);
    let t = next_tx(
        &chain,
        &ids[1],
        register_miner(&ids[1], vec![offer(model_id(MODEL), 10, 20)], bond),
    );
    assert_eq!(chain.mine(vec![t]), 0);
    let h = chain.height();
    let jobs = vec![
        next_tx(
            &chain,
            &ids[2],
            submit_job(&ids[1], &ids[2], model_id(MODEL), h + 5),
        ),
        next_tx(
            &chain,
            &ids[3],
            submit_job(&ids[1], &ids[3], model_id(MODEL), h + 6),
        ),
    ];
    let t = chain.template(jobs.clone());
    assert_eq!(t.block.txs, vec![jobs[0].clone()]);
    assert!(t.rejected.is_empty());

    // A block budget that fits the header, the coinbase and one transfer only.
    let transfers = vec![
        next_tx(&chain, &ids[4], transfer(&ids[5], 1)),
        next_tx(&chain, &ids[5], transfer(&ids[4], 1)),
    ];
    let one = size_of(&transfers[0]);
    chain.spec.limits.max_block_bytes = (Header::ENCODED_LEN + 48 + 4 + one) as u32;
    let t = chain.template(transfers.clone());
    assert_eq!(t.block.txs, vec![transfers[0].clone()]);
    chain.push(t.block).unwrap();
}

#[test]
fn bundle_sale_splits_the_price_without_creating_or_losing_anything() {
    let mut w = world_with_record();
    let (u, m, o) = (w.user(), w.miner(), w.other());
    // A second record for the same user.
    let t = next_tx(
        &w.chain,
        &u,
        submit_job(&m, &u, model_id(MODEL), w.chain.height() + 10),
    );
    let job2 = t.txid();
    assert_eq!(w.chain.mine(vec![t]), 0);
    w.ok(
        &m,
        post_result(&w.chain.spec, &m, &u, model_id(MODEL), job2, 1, 1),
    );
    let tx = next_tx(
        &w.chain,
        &u,
        list_kind(vec![w.job, job2], 10_001, w.chain.height() + 10),
    );
    let listing = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let tx = next_tx(
        &w.chain,
        &o,
        TxKind::Buy(Buy {
            listing,
            reply_key: serving_key(&o),
        }),
    );
    let purchase = tx.txid();
    assert_eq!(w.chain.mine(vec![tx]), 0);
    let miner_before = w.chain.account(&m.address()).balance.0;
    let seller_before = w.chain.account(&u.address()).balance.0;
    let tx = next_tx(
        &w.chain,
        &u,
        TxKind::Deliver(Deliver {
            purchase,
            sealed_keys: vec![sealed(4, 48), sealed(5, 48)],
        }),
    );
    let fee = tx.tx.fee.0;
    assert_eq!(w.chain.mine(vec![tx]), 0);
    // Shares 5001 and 5000: miner 250 + 250, model owner 250 + 250, seller the rest.
    assert_eq!(w.chain.account(&m.address()).balance.0, miner_before + 500);
    assert_eq!(
        w.chain.account(&u.address()).balance.0,
        seller_before + 10_001 - 1_000 - fee
    );
    for (id, key) in [(w.job, sealed(4, 48)), (job2, sealed(5, 48))] {
        match w.chain.get(StateKey::Record(id)) {
            Some(StateValue::Record(r)) => assert_eq!((r.owner, r.sealed_key), (o.address(), key)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        total_supply(w.chain.state.entries()),
        Some(expected_supply(&w.chain.spec, w.chain.height()))
    );
}
