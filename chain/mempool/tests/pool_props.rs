#![allow(clippy::unwrap_used, missing_docs)]
//! The pool's bookkeeping under random operations: caps, nonce chains, fee-rate order,
//! eviction, expiry and selection (no signatures or state involved).

use std::collections::BTreeMap;

use infernet_crypto::{Address, Hash};
use infernet_mempool::{FeeRate, MempoolConfig, Pool, PoolReject, TxMeta};
use proptest::prelude::*;

fn meta(sender: u8, nonce: u64, fee: u64, size: u64, salt: u8) -> TxMeta {
    let mut id = [0u8; 32];
    id[0] = sender;
    id[1..9].copy_from_slice(&nonce.to_le_bytes());
    id[9..17].copy_from_slice(&fee.to_le_bytes());
    id[17] = salt;
    TxMeta {
        id: Hash(id),
        sender: Address([sender; 32]),
        nonce,
        fee,
        size,
        is_job: salt.is_multiple_of(3),
    }
}

fn config(max_count: usize, max_bytes: usize) -> MempoolConfig {
    MempoolConfig {
        max_count,
        max_bytes,
        nonce_window: 4,
        expiry_blocks: 5,
        replace_bump_percent: 10,
    }
}

#[test]
fn nonce_rules() {
    let mut p: Pool<()> = Pool::new(config(100, 10_000));
    assert_eq!(
        p.insert(meta(1, 5, 100, 10, 0), (), 5, 0).unwrap().evicted,
        vec![]
    );
    assert!(matches!(
        p.insert(meta(1, 4, 100, 10, 0), (), 5, 0),
        Err(PoolReject::NonceTooLow { nonce: 4, next: 5 })
    ));
    assert!(matches!(
        p.insert(meta(1, 7, 100, 10, 0), (), 5, 0),
        Err(PoolReject::NonceGap {
            nonce: 7,
            expected: 6
        })
    ));
    for n in 6..9 {
        p.insert(meta(1, n, 100, 10, 0), (), 5, 0).unwrap();
    }
    assert!(matches!(
        p.insert(meta(1, 9, 100, 10, 0), (), 5, 0),
        Err(PoolReject::NonceWindow { window: 4 })
    ));
    let dup = meta(1, 5, 100, 10, 0);
    assert!(matches!(
        p.insert(dup, (), 5, 0),
        Err(PoolReject::Duplicate(_))
    ));
    assert_eq!(p.next_nonce(&Address([1; 32]), 5), 9);
    // Mined up to nonce 7: 5 and 6 go.
    assert_eq!(p.remove_sender_below(&Address([1; 32]), 7).len(), 2);
    assert_eq!(p.len(), 2);
    p.check_invariants().unwrap();
}

#[test]
fn replacement_needs_a_fee_bump() {
    let mut p: Pool<()> = Pool::new(config(100, 10_000));
    let first = meta(1, 0, 100, 10, 0);
    p.insert(first, (), 0, 0).unwrap();
    assert!(matches!(
        p.insert(meta(1, 0, 109, 10, 1), (), 0, 0),
        Err(PoolReject::ReplacementUnderpriced { nonce: 0, .. })
    ));
    let out = p.insert(meta(1, 0, 110, 10, 1), (), 0, 0).unwrap();
    assert_eq!(out.replaced, Some(first.id));
    assert_eq!(p.len(), 1);
    p.check_invariants().unwrap();
}

#[test]
fn full_pool_evicts_lowest_rate_with_successors() {
    let mut p: Pool<()> = Pool::new(config(3, 10_000));
    p.insert(meta(1, 0, 50, 10, 0), (), 0, 0).unwrap(); // rate 5
    p.insert(meta(1, 1, 500, 10, 0), (), 0, 0).unwrap(); // rate 50, behind the rate-5 one
    p.insert(meta(2, 0, 100, 10, 0), (), 0, 0).unwrap(); // rate 10
    // Not better than the lowest: refused.
    assert!(matches!(
        p.insert(meta(3, 0, 50, 10, 0), (), 0, 0),
        Err(PoolReject::Full)
    ));
    // Better: sender 1's nonce 0 goes, and its nonce 1 with it (it could not be mined).
    let out = p.insert(meta(3, 0, 60, 10, 0), (), 0, 0).unwrap();
    assert_eq!(out.evicted.len(), 2);
    assert_eq!(p.len(), 2);
    assert!(p.sender_txs(&Address([1; 32])).next().is_none());
    p.check_invariants().unwrap();
    // Bytes cap.
    let mut q: Pool<()> = Pool::new(config(100, 25));
    q.insert(meta(1, 0, 100, 10, 0), (), 0, 0).unwrap();
    q.insert(meta(2, 0, 200, 10, 0), (), 0, 0).unwrap();
    assert!(matches!(
        q.insert(meta(3, 0, 10_000, 26, 0), (), 0, 0),
        Err(PoolReject::TooLarge { .. })
    ));
    let out = q.insert(meta(3, 0, 1_000, 10, 0), (), 0, 0).unwrap();
    assert_eq!(out.evicted, vec![meta(1, 0, 100, 10, 0).id]);
    q.check_invariants().unwrap();
}

#[test]
fn select_orders_by_rate_within_nonce_order_and_caps() {
    let mut p: Pool<()> = Pool::new(config(100, 10_000));
    p.insert(meta(1, 0, 10, 10, 1), (), 0, 0).unwrap(); // rate 1
    p.insert(meta(1, 1, 900, 10, 1), (), 0, 0).unwrap(); // rate 90 but behind rate 1
    p.insert(meta(2, 0, 500, 10, 1), (), 0, 0).unwrap(); // rate 50
    p.insert(meta(3, 0, 200, 10, 1), (), 0, 0).unwrap(); // rate 20
    let order: Vec<u64> = p
        .select(1_000, 10)
        .iter()
        .map(|(id, _)| p.meta(id).unwrap().fee)
        .collect();
    assert_eq!(order, vec![500, 200, 10, 900]);
    // 25 bytes: two transactions fit.
    assert_eq!(p.select(25, 10).len(), 2);
    // Job cap (salt 0 = job).
    let mut j: Pool<()> = Pool::new(config(100, 10_000));
    j.insert(meta(1, 0, 10, 10, 0), (), 0, 0).unwrap();
    j.insert(meta(2, 0, 20, 10, 0), (), 0, 0).unwrap();
    j.insert(meta(3, 0, 5, 10, 1), (), 0, 0).unwrap();
    let picked: Vec<u64> = j
        .select(1_000, 1)
        .iter()
        .map(|(id, _)| j.meta(id).unwrap().fee)
        .collect();
    assert_eq!(picked, vec![20, 5]);
}

#[test]
fn expiry_drops_old_transactions_and_successors() {
    let mut p: Pool<()> = Pool::new(config(100, 10_000));
    p.insert(meta(1, 0, 10, 10, 1), (), 0, 0).unwrap();
    p.insert(meta(1, 1, 10, 10, 1), (), 0, 3).unwrap();
    p.insert(meta(2, 0, 10, 10, 1), (), 0, 3).unwrap();
    assert!(p.expire(4).is_empty());
    assert_eq!(p.expire(5).len(), 2); // sender 1's nonce 0 (added at 0) and its successor
    assert_eq!(p.len(), 1);
    assert_eq!(p.expire(8).len(), 1);
    assert!(p.is_empty());
}

#[test]
fn fee_rate_compares_exactly() {
    assert!(FeeRate::new(1, 3) < FeeRate::new(1, 2));
    assert_eq!(FeeRate::new(2, 4), FeeRate::new(1, 2));
    assert!(FeeRate::new(u64::MAX, 1) > FeeRate::new(u64::MAX - 1, 1));
    assert_eq!(FeeRate::new(5, 0), FeeRate::new(5, 1));
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        sender: u8,
        ahead: u64,
        fee: u64,
        size: u64,
        salt: u8,
    },
    Mined {
        sender: u8,
        count: u64,
    },
    Block,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..6, 0u64..3, 1u64..1_000, 1u64..40, any::<u8>())
            .prop_map(|(sender, ahead, fee, size, salt)| Op::Insert { sender, ahead, fee, size, salt }),
        1 => (0u8..6, 1u64..3).prop_map(|(sender, count)| Op::Mined { sender, count }),
        1 => Just(Op::Block),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever happens, the caps hold, nonce chains stay contiguous from the account nonce,
    /// and a selection respects nonce order, bytes and the job cap, and takes the best head
    /// first.
    #[test]
    fn invariants_hold_under_random_operations(ops in prop::collection::vec(op(), 1..80),
                                               max_count in 1usize..12, max_bytes in 40usize..200,
                                               sel_bytes in 0usize..200, sel_jobs in 0usize..4) {
        let mut p: Pool<()> = Pool::new(config(max_count, max_bytes));
        let mut account: BTreeMap<u8, u64> = BTreeMap::new();
        let mut height = 0u64;
        for op in ops {
            match op {
                Op::Insert { sender, ahead, fee, size, salt } => {
                    let base = *account.get(&sender).unwrap_or(&0);
                    let next = p.next_nonce(&Address([sender; 32]), base);
                    let nonce = next.saturating_sub(ahead).max(base);
                    let m = meta(sender, nonce, fee, size, salt);
                    let before = p.len();
                    match p.insert(m, (), base, height) {
                        Ok(out) => {
                            prop_assert!(p.contains(&m.id));
                            prop_assert_eq!(p.len() + out.evicted.len() + usize::from(out.replaced.is_some()), before + 1);
                            for id in &out.evicted {
                                prop_assert!(!p.contains(id));
                            }
                        }
                        Err(_) => prop_assert_eq!(p.len(), before),
                    }
                }
                Op::Mined { sender, count } => {
                    let base = account.entry(sender).or_insert(0);
                    *base += count;
                    p.remove_sender_below(&Address([sender; 32]), *base);
                    // Transactions beyond a gap can't be mined: the node would drop them on recheck.
                    let first = p.sender_txs(&Address([sender; 32])).next().map(|(n, _)| n);
                    if first.is_some_and(|n| n != *base) {
                        p.remove_sender_from(&Address([sender; 32]), 0);
                    }
                }
                Op::Block => {
                    height += 1;
                    p.expire(height);
                }
            }
            p.check_invariants().map_err(TestCaseError::fail)?;
            for (sender, base) in &account {
                if let Some((first, _)) = p.sender_txs(&Address([*sender; 32])).next() {
                    prop_assert_eq!(first, *base);
                }
            }
        }
        let picked = p.select(sel_bytes, sel_jobs);
        let mut bytes = 0;
        let mut jobs = 0;
        let mut last_nonce: BTreeMap<Address, u64> = BTreeMap::new();
        for (id, _) in &picked {
            let m = p.meta(id).unwrap();
            bytes += m.size as usize;
            jobs += usize::from(m.is_job);
            let expected = last_nonce.get(&m.sender).map_or_else(
                || p.sender_txs(&m.sender).next().unwrap().0,
                |n| n + 1,
            );
            prop_assert_eq!(m.nonce, expected, "nonce order per sender");
            last_nonce.insert(m.sender, m.nonce);
        }
        prop_assert!(bytes <= sel_bytes);
        prop_assert!(jobs <= sel_jobs);
        // The first pick is the best head that fits on its own.
        if let Some((first, _)) = picked.first() {
            let best = p
                .senders()
                .filter_map(|s| p.sender_txs(s).next())
                .filter_map(|(_, id)| p.meta(&id).copied())
                .filter(|m| m.size as usize <= sel_bytes && (!m.is_job || sel_jobs > 0))
                .map(|m| FeeRate::new(m.fee, m.size))
                .max()
                .unwrap();
            let f = p.meta(first).unwrap();
            prop_assert_eq!(FeeRate::new(f.fee, f.size), best);
        }
        // With no limits binding, everything is selected.
        prop_assert_eq!(p.select(usize::MAX, usize::MAX).len(), p.len());
    }
}
