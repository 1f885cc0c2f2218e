#![allow(clippy::unwrap_used, missing_docs)]
//! The mempool with real signed transactions, checked by the consensus crate against an
//! in-memory dev-chain state; block connection and disconnection through `build_block`.

use infernet_consensus::{BlockContext, MemoryState, StateDelta, TxError, build_block};
use infernet_crypto::{Address, Hash};
use infernet_mempool::{Mempool, MempoolConfig, MempoolError, PoolReject};
use infernet_types::{
    Amount, Block, ChainSpec, DevAccount, Header, SignedTransaction, Transaction, TxKind,
    dev_accounts,
};
use infernet_types::{Complain, Transfer};

const NOW: u64 = 4_000_000_000;

struct Env {
    spec: ChainSpec,
    accounts: Vec<DevAccount>,
    state: MemoryState,
    tip: Header,
    timestamps: Vec<u64>,
}

impl Env {
    fn new() -> Self {
        let spec = ChainSpec::dev();
        let (genesis, delta) = infernet_consensus::genesis_block(&spec).unwrap();
        let mut state = MemoryState::new();
        state.apply(&delta);
        Env {
            spec,
            accounts: dev_accounts(),
            state,
            tip: genesis.header,
            timestamps: vec![genesis.header.timestamp],
        }
    }

    fn tx(&self, from: usize, nonce: u64, amount: u64, fee_per_byte: u64) -> SignedTransaction {
        let mut tx = Transaction {
            sender: self.accounts[from].address,
            nonce,
            fee: Amount(0),
            kind: TxKind::Transfer(Transfer {
                to: self.accounts[(from + 1) % 10].address,
                amount: Amount(amount),
            }),
        };
        tx.fee = Amount(tx.signed_len() as u64 * fee_per_byte);
        tx.sign(&self.accounts[from].identity(), self.spec.chain_id)
    }

    fn mempool(&self, config: MempoolConfig) -> Mempool {
        Mempool::new(self.spec.clone(), config, self.tip.height)
    }

    /// Builds the next block from `txs` and applies it to the state.
    fn connect(&mut self, txs: Vec<SignedTransaction>) -> (Block, StateDelta) {
        let ctx = BlockContext::new(&self.spec, &self.tip, &self.timestamps, NOW);
        let t = build_block(
            &self.state,
            &ctx,
            self.tip.timestamp + 2,
            Address([7; 32]),
            txs,
        )
        .unwrap();
        assert!(t.rejected.is_empty(), "{:?}", t.rejected);
        self.state.apply(&t.delta);
        self.tip = t.block.header;
        self.timestamps.insert(0, self.tip.timestamp);
        (t.block, t.delta)
    }
}

#[test]
fn admission_checks_signature_nonce_and_balance() {
    let env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    let t0 = env.tx(0, 0, 1_000, 10);
    pool.insert(t0.clone(), &env.state).unwrap();
    assert!(pool.contains(&t0.txid()));
    assert!(matches!(
        pool.insert(t0.clone(), &env.state),
        Err(MempoolError::Pool(PoolReject::Duplicate(_)))
    ));

    // Chained nonces are checked against the account as it will be.
    pool.insert(env.tx(0, 1, 1_000, 10), &env.state).unwrap();
    assert_eq!(
        pool.next_nonce(&env.accounts[0].address, &env.state)
            .unwrap(),
        2
    );
    let mine: Vec<u64> = pool
        .sender_pending(&env.accounts[0].address)
        .iter()
        .map(|t| t.tx.nonce)
        .collect();
    assert_eq!(mine, vec![0, 1]);
    assert!(pool.sender_pending(&env.accounts[5].address).is_empty());
    let everything = 1_000_000 * 1_000_000_000u64;
    let err = pool
        .insert(env.tx(0, 2, everything, 10), &env.state)
        .unwrap_err();
    assert!(
        matches!(
            err,
            MempoolError::Invalid(TxError::InsufficientBalance { .. })
        ),
        "{err}"
    );
    assert!(matches!(
        pool.insert(env.tx(0, 5, 1, 10), &env.state),
        Err(MempoolError::Pool(PoolReject::NonceGap {
            nonce: 5,
            expected: 2
        }))
    ));

    // A bad signature.
    let mut forged = env.tx(1, 0, 1_000, 10);
    forged.tx.kind = TxKind::Transfer(Transfer {
        to: env.accounts[3].address,
        amount: Amount(999),
    });
    let err = pool.insert(forged, &env.state).unwrap_err();
    assert!(
        matches!(err, MempoolError::Invalid(TxError::BadSignature { .. })),
        "{err}"
    );
    // A fee under the minimum.
    let err = pool.insert(env.tx(1, 0, 1_000, 1), &env.state).unwrap_err();
    assert!(
        matches!(err, MempoolError::Invalid(TxError::FeeTooLow { .. })),
        "{err}"
    );
    assert_eq!(pool.len(), 2);
    pool.pool().check_invariants().unwrap();
}

#[test]
fn select_prefers_fee_rate_and_feeds_build_block() {
    let mut env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    let low = env.tx(0, 0, 1, 10);
    let high = env.tx(1, 0, 1, 30);
    let high_next = env.tx(1, 1, 1, 11);
    let mid = env.tx(2, 0, 1, 20);
    for t in [&low, &high, &high_next, &mid] {
        pool.insert(t.clone(), &env.state).unwrap();
    }
    let picked: Vec<Hash> = pool
        .select(1 << 20, 10)
        .iter()
        .map(SignedTransaction::txid)
        .collect();
    assert_eq!(
        picked,
        vec![high.txid(), mid.txid(), high_next.txid(), low.txid()]
    );
    let size = high.encoded_len_for_test();
    assert_eq!(pool.select(size, 10).len(), 1);

    // Mine three of them; the pool keeps only the fourth.
    let (block, _) = env.connect(pool.select(1 << 20, 10).into_iter().take(3).collect());
    let cleanup = pool.on_block_connected(&block, &env.state).unwrap();
    assert_eq!(cleanup.included.len(), 3);
    assert_eq!(pool.len(), 1);
    assert!(pool.contains(&low.txid()));
    assert_eq!(pool.tip_height(), 1);
}

trait Len {
    fn encoded_len_for_test(&self) -> usize;
}
impl Len for SignedTransaction {
    fn encoded_len_for_test(&self) -> usize {
        infernet_types::Encode::encoded_len(self)
    }
}

#[test]
fn connected_block_drops_conflicts_and_rechecks_heads() {
    let mut env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    // The pool holds account 0's nonce 0 and 1; the chain mines a different nonce 0.
    let pending0 = env.tx(0, 0, 5, 10);
    let pending1 = env.tx(0, 1, 5, 10);
    pool.insert(pending0.clone(), &env.state).unwrap();
    pool.insert(pending1.clone(), &env.state).unwrap();
    let other0 = env.tx(0, 0, 6, 10);
    let (block, _) = env.connect(vec![other0]);
    let cleanup = pool.on_block_connected(&block, &env.state).unwrap();
    assert_eq!(cleanup.included, vec![pending0.txid()]);
    assert!(cleanup.invalid.is_empty());
    assert!(pool.contains(&pending1.txid()));

    // Account 2 has nonces 0 and 1 pending; the chain mines another nonce 0 that spends
    // almost everything, so the pending nonce 1 can no longer pay: the recheck drops it.
    let mut pool2 = env.mempool(MempoolConfig::default());
    let small0 = env.tx(2, 0, 10, 10);
    let small1 = env.tx(2, 1, 10, 10);
    pool2.insert(small0.clone(), &env.state).unwrap();
    pool2.insert(small1.clone(), &env.state).unwrap();
    let fee = small0.tx.fee.0;
    let big = env.tx(2, 0, 1_000_000 * 1_000_000_000 - fee - 100, 10);
    let (block, _) = env.connect(vec![big]);
    let c = pool2.on_block_connected(&block, &env.state).unwrap();
    assert_eq!(c.included, vec![small0.txid()]);
    assert_eq!(c.invalid, vec![small1.txid()]);
    assert!(pool2.is_empty());
}

#[test]
fn disconnected_block_transactions_are_readmitted_in_nonce_order() {
    let mut env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    let a0 = env.tx(0, 0, 5, 10);
    let a1 = env.tx(0, 1, 5, 10);
    let a2 = env.tx(0, 2, 5, 10);
    let b0 = env.tx(3, 0, 5, 10);
    let before = env.state.clone();
    let (block, delta) = env.connect(vec![a0.clone(), a1.clone(), b0.clone()]);
    pool.on_block_connected(&block, &env.state).unwrap();
    // a2 arrives after the block.
    pool.insert(a2.clone(), &env.state).unwrap();
    assert_eq!(pool.len(), 1);

    // The block is reorged away.
    env.state.revert(&delta);
    assert_eq!(env.state, before);
    let admitted = pool
        .on_block_disconnected(block.txs.clone(), &env.state, 0)
        .unwrap();
    assert_eq!(admitted, 3);
    assert_eq!(pool.len(), 4);
    let order: Vec<Hash> = pool
        .select(1 << 20, 10)
        .iter()
        .map(SignedTransaction::txid)
        .collect();
    let pos = |h: Hash| order.iter().position(|x| *x == h).unwrap();
    assert!(pos(a0.txid()) < pos(a1.txid()) && pos(a1.txid()) < pos(a2.txid()));
    pool.pool().check_invariants().unwrap();
}

#[test]
fn full_pool_and_expiry() {
    let mut env = Env::new();
    let config = MempoolConfig {
        max_count: 2,
        expiry_blocks: 2,
        ..MempoolConfig::default()
    };
    let mut pool = env.mempool(config);
    pool.insert(env.tx(0, 0, 1, 10), &env.state).unwrap();
    pool.insert(env.tx(1, 0, 1, 12), &env.state).unwrap();
    let err = pool.insert(env.tx(2, 0, 1, 10), &env.state).unwrap_err();
    assert!(matches!(err, MempoolError::Pool(PoolReject::Full)), "{err}");
    let out = pool.insert(env.tx(2, 0, 1, 20), &env.state).unwrap();
    assert_eq!(out.evicted.len(), 1);
    assert_eq!(pool.len(), 2);
    let (b1, _) = env.connect(vec![]);
    assert!(
        pool.on_block_connected(&b1, &env.state)
            .unwrap()
            .expired
            .is_empty()
    );
    let (b2, _) = env.connect(vec![]);
    assert_eq!(
        pool.on_block_connected(&b2, &env.state)
            .unwrap()
            .expired
            .len(),
        2
    );
    assert!(pool.is_empty());
}

#[test]
fn rejected_by_block_builder_are_removed_with_successors() {
    let env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    let a0 = env.tx(0, 0, 5, 10);
    let a1 = env.tx(0, 1, 5, 10);
    pool.insert(a0.clone(), &env.state).unwrap();
    pool.insert(a1.clone(), &env.state).unwrap();
    let removed = pool.remove_rejected([&a0.txid()]);
    assert_eq!(removed, vec![a0.txid(), a1.txid()]);
    assert!(pool.is_empty());
}

#[test]
fn complain_is_judged_by_consensus_and_costs_only_its_fee() {
    let env = Env::new();
    let mut pool = env.mempool(MempoolConfig::default());
    let mut tx = Transaction {
        sender: env.accounts[0].address,
        nonce: 0,
        fee: Amount(0),
        kind: TxKind::Complain(Complain {
            purchase: Hash([3; 32]),
            record_index: 0,
            reason: infernet_types::ComplaintReason::Other,
            detail: "no such purchase".into(),
        }),
    };
    tx.fee = Amount(tx.signed_len() as u64 * env.spec.min_fee_per_byte.0);
    let stx = tx.sign(&env.accounts[0].identity(), env.spec.chain_id);
    assert_eq!(infernet_mempool::upfront_debit(&stx), stx.tx.fee);
    // The purchase does not exist: consensus rule R-094 refuses it at admission.
    assert!(matches!(
        pool.insert(stx, &env.state),
        Err(MempoolError::Invalid(TxError::PurchaseNotDelivered { .. }))
    ));
    assert!(pool.is_empty());
}
