//! Shared helpers for the storage tests: a dev chain whose blocks are built by the consensus
//! crate, with an in-memory model of the state after every block to compare the store with.

#![allow(dead_code)]

use std::collections::HashMap;

use infernet_consensus::{
    BlockContext, MemoryState, StateDelta, StateView, apply_block, build_block, mine,
};
use infernet_crypto::{Address, Hash};
use infernet_storage::{StorageError, Store};
use infernet_types::Transfer;
use infernet_types::{
    Amount, Block, ChainSpec, DevAccount, Header, SignedTransaction, Transaction, TxKind,
    dev_accounts,
};

/// Far enough in the future that no test block is "too far ahead".
pub const NOW: u64 = 4_000_000_000;

/// A dev chain and the state after each of its blocks.
pub struct Chain {
    pub spec: ChainSpec,
    pub accounts: Vec<DevAccount>,
    pub states: HashMap<Hash, MemoryState>,
    pub headers: HashMap<Hash, Header>,
    pub blocks: HashMap<Hash, Block>,
    pub genesis: Hash,
}

impl Chain {
    pub fn new() -> Self {
        let spec = ChainSpec::dev();
        let (genesis, delta) = infernet_consensus::genesis_block(&spec).unwrap();
        let mut state = MemoryState::new();
        state.apply(&delta);
        let hash = genesis.hash();
        Chain {
            spec,
            accounts: dev_accounts(),
            states: HashMap::from([(hash, state)]),
            headers: HashMap::from([(hash, genesis.header)]),
            blocks: HashMap::from([(hash, genesis)]),
            genesis: hash,
        }
    }

    /// A signed transfer of `amount` base units from dev account `from` to dev account `to`.
    pub fn transfer(&self, from: usize, to: usize, nonce: u64, amount: u64) -> SignedTransaction {
        transfer(
            &self.spec,
            &self.accounts[from],
            self.accounts[to].address,
            nonce,
            amount,
        )
    }

    /// The next nonce of dev account `i` in the state after `block`.
    pub fn nonce(&self, block: &Hash, i: usize) -> u64 {
        match self.states[block]
            .get(&infernet_types::StateKey::Account(self.accounts[i].address))
            .unwrap()
        {
            Some(infernet_types::StateValue::Account(a)) => a.nonce,
            _ => 0,
        }
    }

    /// Recent timestamps ending at `hash` (that block first).
    pub fn timestamps(&self, hash: &Hash) -> Vec<u64> {
        let mut out = Vec::new();
        let mut cursor = *hash;
        while out.len() < 11 {
            let h = self.headers[&cursor];
            out.push(h.timestamp);
            if h.height == 0 {
                break;
            }
            cursor = h.prev_hash;
        }
        out
    }

    /// Builds (and mines) a child of `parent` holding `txs`; `salt` varies the coinbase
    /// recipient so sibling blocks differ. Every tx must be valid.
    pub fn child(
        &mut self,
        parent: &Hash,
        txs: Vec<SignedTransaction>,
        salt: u8,
    ) -> (Block, StateDelta) {
        let parent_header = self.headers[parent];
        let ctx = BlockContext::new(&self.spec, &parent_header, &self.timestamps(parent), NOW);
        let n = txs.len();
        let template = build_block(
            &self.states[parent],
            &ctx,
            parent_header.timestamp + 2,
            Address([salt; 32]),
            txs,
        )
        .unwrap();
        assert!(
            template.rejected.is_empty(),
            "rejected: {:?}",
            template.rejected
        );
        assert_eq!(template.block.txs.len(), n);
        let mut block = template.block;
        assert!(mine(&mut block.header, 1_000_000));
        let hash = block.hash();
        let mut state = self.states[parent].clone();
        state.apply(&template.delta);
        self.states.insert(hash, state);
        self.headers.insert(hash, block.header);
        self.blocks.insert(hash, block.clone());
        (block, template.delta)
    }

    /// A child of `parent` with `k` transfers between dev accounts (nonces from the model).
    pub fn child_with_transfers(
        &mut self,
        parent: &Hash,
        k: usize,
        salt: u8,
    ) -> (Block, StateDelta) {
        let mut nonces: Vec<u64> = (0..self.accounts.len())
            .map(|i| self.nonce(parent, i))
            .collect();
        let mut txs = Vec::new();
        for j in 0..k {
            let from = (j + salt as usize) % self.accounts.len();
            let to = (from + 1 + salt as usize) % self.accounts.len();
            let to = if to == from {
                (to + 1) % self.accounts.len()
            } else {
                to
            };
            txs.push(self.transfer(from, to, nonces[from], 1_000 + j as u64 + salt as u64));
            nonces[from] += 1;
        }
        self.child(parent, txs, salt)
    }

    /// The consensus state transition as the store's reorg wants it.
    pub fn connect<'a>(
        &'a self,
        store: &'a Store,
    ) -> impl FnMut(&dyn StateView, &Block) -> Result<StateDelta, infernet_consensus::BlockError> + 'a
    {
        move |view, block| {
            let parent = store.header(&block.header.prev_hash).unwrap().unwrap();
            let ts = store
                .recent_timestamps(&block.header.prev_hash, 11)
                .unwrap();
            let ctx = BlockContext::new(&self.spec, &parent, &ts, NOW);
            apply_block(view, block, &ctx)
        }
    }

    /// Asserts the store's state equals the model's state after `hash`.
    pub fn assert_state(&self, store: &Store, hash: &Hash) {
        let stored = store.state_entries().unwrap();
        assert_eq!(
            &stored,
            self.states[hash].entries(),
            "state differs from the model at {hash}"
        );
        assert_eq!(
            store.accumulator().unwrap(),
            self.states[hash].accumulator().unwrap()
        );
        store.verify_state().unwrap();
    }
}

pub fn transfer(
    spec: &ChainSpec,
    from: &DevAccount,
    to: Address,
    nonce: u64,
    amount: u64,
) -> SignedTransaction {
    let mut tx = Transaction {
        sender: from.address,
        nonce,
        fee: Amount(0),
        kind: TxKind::Transfer(Transfer {
            to,
            amount: Amount(amount),
        }),
    };
    tx.fee = Amount(tx.signed_len() as u64 * spec.min_fee_per_byte.0);
    tx.sign(&from.identity(), spec.chain_id)
}

/// Opens a fresh store for the dev chain.
pub fn init(dir: &std::path::Path, chain: &Chain) -> Store {
    let store = Store::open_or_init(dir, &chain.spec).unwrap();
    assert_eq!(store.genesis_hash(), chain.genesis);
    store
}

/// Reopens a store (dropping the old handle first).
pub fn reopen(store: Store) -> Result<Store, StorageError> {
    let path = store.path().to_path_buf();
    drop(store);
    Store::open(path)
}

/// Imports `n` blocks of `k` transfers on the tip; returns their hashes.
pub fn extend(chain: &mut Chain, store: &Store, n: usize, k: usize, salt: u8) -> Vec<Hash> {
    let mut out = Vec::new();
    for _ in 0..n {
        let tip = store.tip().hash;
        let (block, delta) = chain.child_with_transfers(&tip, k, salt);
        store.import_block(&block, &delta).unwrap();
        out.push(block.hash());
    }
    out
}
