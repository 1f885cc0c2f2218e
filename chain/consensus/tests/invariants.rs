//! Property tests of the state transition's invariants over random valid and invalid blocks
//! on `MemoryState`: supply conservation, incremental state root = full recomputation, no
//! balance above the supply (u64 balances cannot go negative; every debit is checked),
//! sequential nonces, fork-then-reorg = direct application, and rejected blocks changing
//! nothing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeMap;

use common::*;
use infernet_consensus::{BlockError, apply_block, total_supply};
use infernet_crypto::{Address, Hash, Identity};
use infernet_types::state::{ListingStatus, PurchaseStatus, SellerStats, StateKey, StateValue};
use infernet_types::{Amount, ComplaintReason, SignedTransaction, TxKind};
use infernet_types::{Buy, CancelListing, Complain, Deliver, ListRecords, RateJob, TransferRecord};
use proptest::prelude::*;

const USERS: usize = 6;

/// One random action; indexes pick among users and among ids seen so far.
#[derive(Debug, Clone)]
enum Op {
    Transfer {
        from: usize,
        to: usize,
        amount: u64,
    },
    BadNonce {
        from: usize,
        skew: u64,
    },
    RegisterModel {
        from: usize,
        model: u8,
        royalty: u16,
        parent: Option<u8>,
        share: u16,
    },
    RegisterMiner {
        from: usize,
        model: u8,
        extra_bond: u64,
    },
    Unregister {
        from: usize,
    },
    SubmitJob {
        from: usize,
        miner: usize,
        model: u8,
        ttl: u64,
    },
    PostResult {
        from: usize,
        job: usize,
        input: u32,
        output: u32,
    },
    RateJob {
        from: usize,
        job: usize,
        score: u8,
    },
    List {
        from: usize,
        record: usize,
        price: u64,
        ttl: u64,
    },
    Cancel {
        from: usize,
        listing: usize,
    },
    Buy {
        from: usize,
        listing: usize,
    },
    Deliver {
        from: usize,
        purchase: usize,
    },
    TransferRecord {
        from: usize,
        record: usize,
        to: usize,
    },
    Complain {
        from: usize,
        purchase: usize,
        index: u32,
        reason: u8,
    },
}

fn arb_op() -> impl Strategy<Value = Op> {
    let u = 0..USERS;
    prop_oneof![
        4 => (u.clone(), 0..USERS, prop_oneof![0..5_000u64, Just(0), Just(u64::MAX / 2)])
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        1 => (u.clone(), 1..3u64).prop_map(|(from, skew)| Op::BadNonce { from, skew }),
        2 => (u.clone(), 0..3u8, 0..6_000u16, proptest::option::of(0..3u8), 0..11_000u16)
            .prop_map(|(from, model, royalty, parent, share)| Op::RegisterModel { from, model, royalty, parent, share }),
        2 => (u.clone(), 0..3u8, 0..3u64).prop_map(|(from, model, extra_bond)| Op::RegisterMiner { from, model, extra_bond }),
        1 => u.clone().prop_map(|from| Op::Unregister { from }),
        3 => (u.clone(), 0..USERS, 0..3u8, 0..6u64).prop_map(|(from, miner, model, ttl)| Op::SubmitJob { from, miner, model, ttl }),
        5 => (u.clone(), 0..8usize, 0..120u32, 0..60u32).prop_map(|(from, job, input, output)| Op::PostResult { from, job, input, output }),
        2 => (u.clone(), 0..8usize, 0..7u8).prop_map(|(from, job, score)| Op::RateJob { from, job, score }),
        2 => (u.clone(), 0..8usize, 0..3_000u64, 0..6u64).prop_map(|(from, record, price, ttl)| Op::List { from, record, price, ttl }),
        1 => (u.clone(), 0..8usize).prop_map(|(from, listing)| Op::Cancel { from, listing }),
        2 => (u.clone(), 0..8usize).prop_map(|(from, listing)| Op::Buy { from, listing }),
        2 => (u.clone(), 0..8usize).prop_map(|(from, purchase)| Op::Deliver { from, purchase }),
        1 => (u.clone(), 0..8usize, 0..USERS).prop_map(|(from, record, to)| Op::TransferRecord { from, record, to }),
        2 => (u.clone(), 0..8usize, prop_oneof![Just(0u32), 0..3u32], 0..4u8).prop_map(|(from, purchase, index, reason)| Op::Complain { from, purchase, index, reason }),
    ]
}

fn arb_script(blocks: usize) -> impl Strategy<Value = Vec<Vec<Op>>> {
    proptest::collection::vec(proptest::collection::vec(arb_op(), 0..10), 1..=blocks)
}

/// Ids seen so far (whether or not the transaction that would create them was valid).
#[derive(Default, Clone)]
struct Seen {
    jobs: Vec<Hash>,
    listings: Vec<Hash>,
    purchases: Vec<Hash>,
}

fn index_of(ids: &[Identity], a: &Address) -> usize {
    ids.iter().position(|i| i.address() == *a).unwrap_or(0)
}

/// The record's owner most of the time (so market flows happen), `from` otherwise.
fn record_owner(chain: &Chain, ids: &[Identity], record: Hash, from: usize) -> usize {
    match chain.get(StateKey::Record(record)) {
        Some(StateValue::Record(r)) if !from.is_multiple_of(3) => index_of(ids, &r.owner),
        _ => from,
    }
}

fn pick(list: &[Hash], i: usize) -> Hash {
    if list.is_empty() {
        Hash([0xee; 32])
    } else {
        list[i % list.len()]
    }
}

/// Turns a block's ops into signed candidates (nonces counted per sender within the block).
fn candidates(
    chain: &Chain,
    ids: &[Identity],
    ops: &[Op],
    seen: &mut Seen,
) -> Vec<SignedTransaction> {
    let mut next: BTreeMap<usize, u64> = BTreeMap::new();
    let mut out = Vec::new();
    let mut accepted: Vec<SignedTransaction> = Vec::new();
    let h = chain.height() + 1;
    let spec = &chain.spec;
    for op in ops {
        let (from, kind, nonce_skew) = match op.clone() {
            Op::Transfer { from, to, amount } => (from, transfer(&ids[to], amount), 0),
            Op::BadNonce { from, skew } => (from, transfer(&ids[0], 1), skew),
            Op::RegisterModel {
                from,
                model,
                royalty,
                parent,
                share,
            } => (
                from,
                register_model(model, royalty, parent.map(|p| (model_id(p), share))),
                0,
            ),
            Op::RegisterMiner {
                from,
                model,
                extra_bond,
            } => {
                let bond = Amount(spec.min_miner_bond.0 + extra_bond);
                (
                    from,
                    register_miner(&ids[from], vec![offer(model_id(model), 10, 20)], bond),
                    0,
                )
            }
            Op::Unregister { from } => (from, TxKind::Unregister, 0),
            Op::SubmitJob {
                from,
                miner,
                model,
                ttl,
            } => (
                from,
                submit_job(&ids[3 + miner % 3], &ids[from], model_id(model), h + ttl),
                0,
            ),
            Op::PostResult {
                from,
                job,
                input,
                output,
            } => {
                // Mostly signed by the job's real miner (so results settle); a job id that
                // does not exist yet exercises the rejections.
                let job = pick(&seen.jobs, job);
                match chain.get(StateKey::Job(job)) {
                    Some(StateValue::Job(j)) => {
                        let miner = index_of(ids, &j.miner);
                        let user = index_of(ids, &j.user);
                        (
                            miner,
                            post_result(spec, &ids[miner], &ids[user], j.model, job, input, output),
                            0,
                        )
                    }
                    _ => (
                        from,
                        post_result(
                            spec,
                            &ids[from],
                            &ids[from],
                            model_id(0),
                            job,
                            input,
                            output,
                        ),
                        0,
                    ),
                }
            }
            Op::RateJob { from, job, score } => {
                let job = pick(&seen.jobs, job);
                let from = match chain.get(StateKey::Job(job)) {
                    Some(StateValue::Job(j)) if !from.is_multiple_of(3) => index_of(ids, &j.user),
                    _ => from,
                };
                (from, TxKind::RateJob(RateJob { job, score }), 0)
            }
            Op::List {
                from,
                record,
                price,
                ttl,
            } => (
                record_owner(chain, ids, pick(&seen.jobs, record), from),
                TxKind::ListRecords(ListRecords {
                    records: vec![pick(&seen.jobs, record)],
                    price: Amount(price),
                    until: h + ttl,
                    title: "t".into(),
                    description: String::new(),
                }),
                0,
            ),
            Op::Cancel { from, listing } => {
                let listing = pick(&seen.listings, listing);
                let from = match chain.get(StateKey::Listing(listing)) {
                    Some(StateValue::Listing(l)) if !from.is_multiple_of(3) => {
                        index_of(ids, &l.seller)
                    }
                    _ => from,
                };
                (from, TxKind::CancelListing(CancelListing { listing }), 0)
            }
            Op::Buy { from, listing } => (
                from,
                TxKind::Buy(Buy {
                    listing: pick(&seen.listings, listing),
                    reply_key: serving_key(&ids[from]),
                }),
                0,
            ),
            Op::Deliver { from, purchase } => {
                let purchase = pick(&seen.purchases, purchase);
                let seller = match chain.get(StateKey::Purchase(purchase)) {
                    Some(StateValue::Purchase(p)) => {
                        match chain.get(StateKey::Listing(p.listing)) {
                            Some(StateValue::Listing(l)) => index_of(ids, &l.seller),
                            _ => from,
                        }
                    }
                    _ => from,
                };
                (
                    seller,
                    TxKind::Deliver(Deliver {
                        purchase,
                        sealed_keys: vec![sealed(4, 48)],
                    }),
                    0,
                )
            }
            Op::TransferRecord { from, record, to } => (
                record_owner(chain, ids, pick(&seen.jobs, record), from),
                TxKind::TransferRecord(TransferRecord {
                    record: pick(&seen.jobs, record),
                    to: ids[to].address(),
                    sealed_key: sealed(3, 48),
                }),
                0,
            ),
            Op::Complain {
                from,
                purchase,
                index,
                reason,
            } => {
                // Mostly the purchase's buyer (so complaints land).
                let purchase = pick(&seen.purchases, purchase);
                let from = match chain.get(StateKey::Purchase(purchase)) {
                    Some(StateValue::Purchase(p)) if !from.is_multiple_of(3) => {
                        index_of(ids, &p.buyer)
                    }
                    _ => from,
                };
                (
                    from,
                    TxKind::Complain(Complain {
                        purchase,
                        record_index: index,
                        reason: ComplaintReason::ALL[usize::from(reason) % 4],
                        detail: "does not match".into(),
                    }),
                    0,
                )
            }
        };
        let n = *next.entry(from).or_insert_with(|| chain.nonce(&ids[from]));
        let tx = sign_tx(spec, &ids[from], n + nonce_skew, kind.clone());
        // Remember the ids later steps refer to (the jobs, listings and purchases created).
        let created = match kind {
            TxKind::SubmitJob(_) => Some(&mut seen.jobs),
            TxKind::ListRecords(_) => Some(&mut seen.listings),
            TxKind::Buy(_) => Some(&mut seen.purchases),
            TxKind::Transfer(_)
            | TxKind::RegisterModel(_)
            | TxKind::RegisterMiner(_)
            | TxKind::UpdateMiner(_)
            | TxKind::Unregister
            | TxKind::PostResult(_)
            | TxKind::TransferRecord(_)
            | TxKind::CancelListing(_)
            | TxKind::Deliver(_)
            | TxKind::RateJob(_)
            | TxKind::Complain(_) => None,
        };
        if let Some(ids) = created {
            ids.push(tx.txid());
        }
        // Keep the sender's nonce in step only if the block builder accepts the transaction
        // after those already chosen, so one failure does not invalidate the rest.
        let mut trial = accepted.clone();
        trial.push(tx.clone());
        if chain.template(trial).rejected.is_empty() {
            accepted.push(tx.clone());
            next.insert(from, n + 1);
        }
        out.push(tx);
    }
    out
}

/// A chain where models 0..3 exist (model 1 a fork of 0) and users 4 and 5 are miners
/// offering every model, so random jobs can be served from the first block on.
fn setup_chain(ids: &[Identity], sent: &mut BTreeMap<Address, u64>) -> Chain {
    let mut chain = Chain::new(test_spec());
    let txs = vec![
        sign_tx(&chain.spec, &ids[0], 0, register_model(0, 1_000, None)),
        sign_tx(
            &chain.spec,
            &ids[1],
            0,
            register_model(1, 2_000, Some((model_id(0), 3_000))),
        ),
        sign_tx(&chain.spec, &ids[2], 0, register_model(2, 0, None)),
    ];
    assert_eq!(chain.mine(txs), 0);
    let offers: Vec<_> = (0..3).map(|m| offer(model_id(m), 10, 20)).collect();
    let bond = chain.spec.min_miner_bond;
    let txs = vec![
        sign_tx(
            &chain.spec,
            &ids[4],
            0,
            register_miner(&ids[4], offers.clone(), bond),
        ),
        sign_tx(
            &chain.spec,
            &ids[5],
            0,
            register_miner(&ids[5], offers, bond),
        ),
    ];
    assert_eq!(chain.mine(txs), 0);
    for i in [0, 1, 2, 4, 5] {
        sent.insert(ids[i].address(), 1);
    }
    chain
}

/// Checks every per-state invariant.
fn check_invariants(chain: &Chain, sent: &BTreeMap<Address, u64>) -> Result<(), TestCaseError> {
    let supply = expected_supply(&chain.spec, chain.height());
    prop_assert_eq!(total_supply(chain.state.entries()), Some(supply));
    prop_assert_eq!(
        chain.state.recompute_accumulator().root(),
        chain.state.state_root()
    );
    for (key, value) in chain.state.entries() {
        if let StateValue::Account(a) = value {
            prop_assert!(a.balance <= supply, "{key:?} holds more than the supply");
            let addr = match key {
                StateKey::Account(addr) => *addr,
                _ => unreachable!(),
            };
            prop_assert_eq!(a.nonce, sent.get(&addr).copied().unwrap_or(0));
        }
    }
    // Seller stats agree with the objects they count.
    let mut counted: BTreeMap<Address, SellerStats> = BTreeMap::new();
    let entries = chain.state.entries();
    for value in entries.values() {
        match value {
            StateValue::Listing(l) => {
                let s = counted.entry(l.seller).or_default();
                s.listings += 1;
                match l.status {
                    ListingStatus::Sold { .. } => s.sales += 1,
                    ListingStatus::Cancelled => s.cancelled += 1,
                    ListingStatus::Open | ListingStatus::Pending { .. } => {}
                }
            }
            StateValue::Purchase(p) if matches!(p.status, PurchaseStatus::Refunded { .. }) => {
                let Some(StateValue::Listing(l)) = entries.get(&StateKey::Listing(p.listing))
                else {
                    return Err(TestCaseError::fail("purchase without listing"));
                };
                counted.entry(l.seller).or_default().refunded += 1;
            }
            StateValue::Complaint(c) => counted.entry(c.seller).or_default().complaints += 1,
            _ => {}
        }
    }
    let stored: BTreeMap<Address, SellerStats> = entries
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::SellerStats(a), StateValue::SellerStats(s)) => Some((*a, *s)),
            _ => None,
        })
        .collect();
    prop_assert_eq!(stored, counted);
    Ok(())
}

/// Runs a script: builds each block, checks it through `apply_block`, checks invariants, and
/// checks that a block carrying a rejected candidate is refused without change.
fn run(
    chain: &mut Chain,
    ids: &[Identity],
    script: &[Vec<Op>],
    seen: &mut Seen,
    sent: &mut BTreeMap<Address, u64>,
) -> Result<(), TestCaseError> {
    for ops in script {
        let cands = candidates(chain, ids, ops, seen);
        let t = chain.template(cands);
        if let Some((bad_id, _)) = t.rejected.first() {
            let bad = t
                .block
                .txs
                .iter()
                .chain(std::iter::empty())
                .find(|t| t.txid() == *bad_id)
                .cloned();
            prop_assert!(bad.is_none(), "a rejected candidate made it into the block");
        }
        // Invalid block: the template plus a transaction with a wrong nonce.
        let before = chain.state.clone();
        let mut invalid = t.block.clone();
        invalid.txs.push(sign_tx(
            &chain.spec,
            &ids[0],
            1_000_000,
            transfer(&ids[1], 1),
        ));
        let leaves: Vec<Hash> = std::iter::once(invalid.coinbase.id())
            .chain(invalid.txs.iter().map(|t| t.txid()))
            .collect();
        invalid.header.tx_root = infernet_types::Block::tx_root_of(&leaves);
        let err = apply_block(&chain.state, &invalid, &chain.ctx()).unwrap_err();
        prop_assert!(matches!(err, BlockError::Tx { .. }), "{err}");
        prop_assert_eq!(&chain.state, &before);

        let delta = apply_block(&chain.state, &t.block, &chain.ctx()).unwrap();
        prop_assert_eq!(&delta, &t.delta);
        for tx in &t.block.txs {
            *sent.entry(tx.tx.sender).or_default() += 1;
        }
        chain.push(t.block).unwrap();
        check_invariants(chain, sent)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_keep_invariants(script in arb_script(8)) {
        let ids = ids();
        let mut seen = Seen::default();
        let mut sent = BTreeMap::new();
        let mut chain = setup_chain(&ids, &mut sent);
        let setup_state = chain.state.clone();
        run(&mut chain, &ids, &script, &mut seen, &mut sent)?;
        // Reverting every block of the script returns to the state before it.
        while chain.height() > 2 {
            chain.pop();
        }
        prop_assert_eq!(&chain.state, &setup_state);
    }

    #[test]
    fn fork_then_reorg_equals_direct_application(
        prefix in arb_script(3),
        branch_a in arb_script(4),
        branch_b in arb_script(4),
    ) {
        let ids = ids();
        let mut seen = Seen::default();
        let mut sent = BTreeMap::new();
        let mut chain = setup_chain(&ids, &mut sent);
        run(&mut chain, &ids, &prefix, &mut seen, &mut sent)?;
        let fork_height = chain.height();
        let (seen_at_fork, sent_at_fork) = (seen.clone(), sent.clone());

        // Branch A, then disconnect it.
        run(&mut chain, &ids, &branch_a, &mut seen, &mut sent)?;
        while chain.height() > fork_height {
            chain.pop();
        }
        // Branch B on the reorged state.
        let (mut seen_b, mut sent_b) = (seen_at_fork.clone(), sent_at_fork.clone());
        run(&mut chain, &ids, &branch_b, &mut seen_b, &mut sent_b)?;

        // Direct: prefix blocks then branch B blocks on a fresh chain.
        let mut direct = Chain::new(test_spec());
        for block in chain.blocks.iter().skip(1) {
            direct.push(block.clone()).unwrap();
        }
        prop_assert_eq!(&direct.state, &chain.state);
        prop_assert_eq!(direct.state.state_root(), chain.state.state_root());
    }

    /// Arbitrary transactions (any kind, any field values, valid signatures) never make the
    /// transition panic: block production skips what is invalid, the produced block
    /// validates, supply is conserved, and a block forced to carry them is judged (accepted
    /// or refused) without touching the state.
    #[test]
    fn arbitrary_transactions_never_break_the_transition(
        raw in proptest::collection::vec(
            (0..USERS, 0u64..2, any::<u64>(), infernet_types::test_utils::arb_tx_kind()),
            1..12,
        ),
    ) {
        let ids = ids();
        let mut sent = BTreeMap::new();
        let mut chain = setup_chain(&ids, &mut sent);
        let txs: Vec<SignedTransaction> = raw
            .into_iter()
            .map(|(from, skew, fee, kind)| {
                let nonce = chain.nonce(&ids[from]) + skew;
                let fee = if fee % 2 == 0 { fee } else { 1_000_000 };
                infernet_types::Transaction { sender: ids[from].address(), nonce, fee: Amount(fee), kind }
                    .sign(&ids[from], chain.spec.chain_id)
            })
            .collect();
        let before = chain.state.clone();
        let forced = chain.forge(txs.clone(), txs.iter().fold(0u64, |a, t| a.wrapping_add(t.tx.fee.0)));
        let _verdict = apply_block(&chain.state, &forced, &chain.ctx());
        prop_assert_eq!(&chain.state, &before);
        let t = chain.template(txs);
        for tx in &t.block.txs {
            *sent.entry(tx.tx.sender).or_default() += 1;
        }
        chain.push(t.block).unwrap();
        check_invariants(&chain, &sent)?;
    }
}

/// The reference sale split of `specs/protocol.md` §5 for one record's share `s`, written
/// independently of the transition: returns the credits per identity index.
fn reference_split(
    s: u64,
    miner_bps: u16,
    owner_bps: u16,
    lineage: &[(usize, u16)],
    max_depth: u8,
    credits: &mut BTreeMap<usize, u64>,
) -> u64 {
    let miner_cut = (u128::from(s) * u128::from(miner_bps) / 10_000) as u64;
    let mut r = (u128::from(s) * u128::from(owner_bps) / 10_000) as u64;
    // `lineage[0]` is the record's model; `lineage[i].1` its share to `lineage[i + 1]`.
    let mut i = 0;
    loop {
        let (owner, share) = lineage[i];
        if i + 1 < lineage.len() && i + 1 < usize::from(max_depth) {
            let up = (u128::from(r) * u128::from(share) / 10_000) as u64;
            *credits.entry(owner).or_default() += r - up;
            r = up;
            i += 1;
        } else {
            *credits.entry(owner).or_default() += r;
            break;
        }
    }
    miner_cut
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A sale pays each record's miner and walks each record's model lineage like a job
    /// royalty (bounded by `max_lineage_depth`); every base unit of the price lands somewhere
    /// and the supply is unchanged.
    #[test]
    fn sale_split_walks_the_lineage_and_conserves_the_price(
        max_depth in 0u8..=4,
        extra in 0usize..=2,
        shares in proptest::collection::vec((4usize..10, 0u16..=10_000), 6),
        miner_bps in 0u16..=5_000,
        owner_bps in 0u16..=5_000,
        price in prop_oneof![0u64..100, 0u64..=1_000_000_000],
        records in 1usize..=3,
    ) {
        // Forks: 0..=max_depth + 1 levels above the record's model.
        let forks = (usize::from(max_depth) + extra).min(5);
        let ids = ids();
        let mut spec = test_spec();
        spec.max_lineage_depth = max_depth;
        spec.sale_royalties.miner_bps = miner_bps;
        spec.sale_royalties.model_owner_bps = owner_bps;
        let mut chain = Chain::new(spec);
        // Root model 10, each next one a fork of the previous; the leaf is 10 + forks.
        for level in 0..=forks {
            let (owner, _) = shares[level];
            let parent = (level > 0).then(|| (model_id(10 + level as u8 - 1), shares[level - 1].1));
            let tx = next_tx(&chain, &ids[owner], register_model(10 + level as u8, 100, parent));
            prop_assert_eq!(chain.mine(vec![tx]), 0);
        }
        let leaf = model_id(10 + forks as u8);
        let (miner, seller, buyer) = (&ids[1], &ids[2], &ids[3]);
        let bond = chain.spec.min_miner_bond;
        let tx = next_tx(&chain, miner, register_miner(miner, vec![offer(leaf, 10, 20)], bond));
        prop_assert_eq!(chain.mine(vec![tx]), 0);
        let mut jobs = Vec::new();
        for _ in 0..records {
            let tx = next_tx(&chain, seller, submit_job(miner, seller, leaf, chain.height() + 10));
            let job = tx.txid();
            prop_assert_eq!(chain.mine(vec![tx]), 0);
            let tx = next_tx(&chain, miner, post_result(&chain.spec, miner, seller, leaf, job, 5, 5));
            prop_assert_eq!(chain.mine(vec![tx]), 0);
            jobs.push(job);
        }
        let tx = next_tx(&chain, seller, TxKind::ListRecords(ListRecords {
            records: jobs.clone(),
            price: Amount(price),
            until: chain.height() + 10,
            title: "bundle".into(),
            description: String::new(),
        }));
        let listing = tx.txid();
        prop_assert_eq!(chain.mine(vec![tx]), 0);
        let tx = next_tx(&chain, buyer, TxKind::Buy(Buy { listing, reply_key: serving_key(buyer) }));
        let purchase = tx.txid();
        prop_assert_eq!(chain.mine(vec![tx]), 0);
        let before: Vec<u64> = ids.iter().map(|i| chain.account(&i.address()).balance.0).collect();
        let supply_before = total_supply(chain.state.entries()).unwrap();
        let tx = next_tx(&chain, seller, TxKind::Deliver(Deliver {
            purchase,
            sealed_keys: vec![sealed(4, 48); records],
        }));
        let fee = tx.tx.fee.0;
        prop_assert_eq!(chain.mine(vec![tx]), 0);

        // The reference: lineage from the leaf (the record's model) up to the root.
        let lineage: Vec<(usize, u16)> = (0..=forks)
            .rev()
            .map(|level| (shares[level].0, if level > 0 { shares[level - 1].1 } else { 0 }))
            .collect();
        let n = records as u64;
        let mut credits: BTreeMap<usize, u64> = BTreeMap::new();
        let mut paid = 0u64;
        for i in 0..records {
            let s = price / n + if i == 0 { price % n } else { 0 };
            let miner_cut = reference_split(s, miner_bps, owner_bps, &lineage, max_depth, &mut credits);
            *credits.entry(1).or_default() += miner_cut;
            paid += miner_cut + (u128::from(s) * u128::from(owner_bps) / 10_000) as u64;
        }
        *credits.entry(2).or_default() += price - paid;
        prop_assert_eq!(credits.values().sum::<u64>(), price, "the reference loses units");
        let mut total = 0i128;
        for (i, id) in ids.iter().enumerate() {
            let after = chain.account(&id.address()).balance.0;
            let expected = credits.get(&i).copied().unwrap_or(0);
            let fee_paid = if i == 2 { fee } else { 0 };
            prop_assert_eq!(i128::from(after) - i128::from(before[i]), i128::from(expected) - i128::from(fee_paid), "identity {}", i);
            total += i128::from(after) - i128::from(before[i]) + i128::from(fee_paid);
        }
        // Sum of credits == price: every unit of the escrow went to someone.
        prop_assert_eq!(total, i128::from(price));
        // The escrow left the supply's `Purchase` term and entered balances; a block reward
        // was added (and the fee moved to the coinbase).
        prop_assert_eq!(
            total_supply(chain.state.entries()).unwrap().0,
            supply_before.0 + chain.spec.block_reward.0
        );
    }
}
