//! Shared test harness: a chain over `MemoryState`, dev identities, transaction builders.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use infernet_consensus::{
    BlockContext, BlockError, BlockTemplate, MemoryState, StateDelta, StateView, apply_block,
    build_block, genesis_block,
};
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey, SealedBox};
use infernet_types::spec::dev_accounts;
use infernet_types::state::{Account, StateKey, StateValue};
use infernet_types::{
    Amount, Attestation, Block, ChainSpec, Encode, Header, Offer, Receipt, SamplingParams,
    SignedTransaction, Transaction, TxKind, request_hash,
};
use infernet_types::{PostResult, RegisterMiner, RegisterModel, SubmitJob, Transfer};

/// A dev spec with short delays so queues are exercised within a few blocks.
pub fn test_spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    spec.coinbase_maturity = 2;
    spec.unbonding_delay = 3;
    spec.delivery_window = 3;
    spec.limits.max_job_lifetime = 50;
    spec.limits.max_listing_lifetime = 50;
    spec
}

pub fn ids() -> Vec<Identity> {
    dev_accounts().iter().map(|a| a.identity()).collect()
}

/// A linear chain over a memory state, with the deltas kept for reverting.
pub struct Chain {
    pub spec: ChainSpec,
    pub state: MemoryState,
    pub headers: Vec<Header>,
    pub deltas: Vec<StateDelta>,
    pub blocks: Vec<Block>,
}

impl Chain {
    pub fn new(spec: ChainSpec) -> Chain {
        let (genesis, delta) = genesis_block(&spec).unwrap();
        let mut state = MemoryState::new();
        state.apply(&delta);
        Chain {
            spec,
            state,
            headers: vec![genesis.header],
            deltas: vec![delta],
            blocks: vec![genesis],
        }
    }

    pub fn tip(&self) -> &Header {
        self.headers.last().unwrap()
    }

    pub fn height(&self) -> u64 {
        self.tip().height
    }

    pub fn ctx(&self) -> BlockContext<'_> {
        let ts: Vec<u64> = self.headers.iter().map(|h| h.timestamp).collect();
        BlockContext::new(&self.spec, self.tip(), &ts, self.tip().timestamp + 1_000)
    }

    /// A template for the next block (timestamp = parent + block time).
    pub fn template(&self, txs: Vec<SignedTransaction>) -> BlockTemplate {
        let ctx = self.ctx();
        let ts = self.tip().timestamp + self.spec.block_time_secs;
        build_block(&self.state, &ctx, ts, Address::from_bytes([7u8; 32]), txs).unwrap()
    }

    /// Validates and applies a block.
    pub fn push(&mut self, block: Block) -> Result<(), BlockError> {
        let delta = apply_block(&self.state, &block, &self.ctx())?;
        self.state.apply(&delta);
        self.headers.push(block.header);
        self.deltas.push(delta);
        self.blocks.push(block);
        Ok(())
    }

    /// Builds, checks and applies a block of the candidates that pass; returns how many were
    /// rejected.
    pub fn mine(&mut self, txs: Vec<SignedTransaction>) -> usize {
        let t = self.template(txs);
        let rejected = t.rejected.len();
        self.push(t.block).unwrap();
        rejected
    }

    /// Undoes the tip block.
    pub fn pop(&mut self) {
        assert!(self.headers.len() > 1, "cannot pop genesis");
        let delta = self.deltas.pop().unwrap();
        self.state.revert(&delta);
        self.headers.pop();
        self.blocks.pop();
    }

    /// A block at the tip with the given txs and correct tx root (state root left zero):
    /// for provoking rules that fail before the state root check.
    pub fn forge(&self, txs: Vec<SignedTransaction>, fees: u64) -> Block {
        let ctx = self.ctx();
        let height = self.height() + 1;
        let coinbase = infernet_types::Coinbase {
            height,
            recipient: Address::from_bytes([7u8; 32]),
            amount: Amount(self.spec.block_reward.0.wrapping_add(fees)),
        };
        let mut leaves = vec![coinbase.id()];
        leaves.extend(txs.iter().map(|t| t.txid()));
        let header = Header {
            version: Header::VERSION,
            height,
            prev_hash: self.tip().hash(),
            timestamp: self.tip().timestamp + 2,
            target: infernet_types::Target(ctx.required_target().to_be_bytes()),
            nonce: 0,
            tx_root: Block::tx_root_of(&leaves),
            state_root: Hash::ZERO,
        };
        Block {
            header,
            coinbase,
            txs,
        }
    }

    pub fn account(&self, a: &Address) -> Account {
        match self.state.get(&StateKey::Account(*a)).unwrap() {
            Some(StateValue::Account(acc)) => acc,
            _ => Account::default(),
        }
    }

    pub fn nonce(&self, id: &Identity) -> u64 {
        self.account(&id.address()).nonce
    }

    pub fn get(&self, key: StateKey) -> Option<StateValue> {
        self.state.get(&key).unwrap()
    }
}

/// Signs `kind` from `id` with `nonce` and the minimum fee for its size.
pub fn sign_tx(spec: &ChainSpec, id: &Identity, nonce: u64, kind: TxKind) -> SignedTransaction {
    let tx = Transaction {
        sender: id.address(),
        nonce,
        fee: Amount(0),
        kind,
    };
    let fee = Amount(tx.signed_len() as u64 * spec.min_fee_per_byte.0);
    Transaction { fee, ..tx }.sign(id, spec.chain_id)
}

/// Signs with the next nonce from the chain's state.
pub fn next_tx(chain: &Chain, id: &Identity, kind: TxKind) -> SignedTransaction {
    sign_tx(&chain.spec, id, chain.nonce(id), kind)
}

pub fn transfer(to: &Identity, amount: u64) -> TxKind {
    TxKind::Transfer(Transfer {
        to: to.address(),
        amount: Amount(amount),
    })
}

pub fn model_id(n: u8) -> Hash {
    Hash([n; 32])
}

pub fn register_model(n: u8, royalty_bps: u16, parent: Option<(Hash, u16)>) -> TxKind {
    TxKind::RegisterModel(RegisterModel {
        id: model_id(n),
        name: format!("model-{n}"),
        architecture: "llama".into(),
        context_length: 2048,
        royalty_bps,
        parent: parent.map(|(model, share_bps)| infernet_types::ParentModel { model, share_bps }),
    })
}

pub fn serving_key(id: &Identity) -> ReplyPublicKey {
    id.reply_secret().public_key()
}

pub fn offer(model: Hash, price_in: u64, price_out: u64) -> Offer {
    Offer {
        model,
        price_in: Amount(price_in),
        price_out: Amount(price_out),
        max_output_tokens: 256,
    }
}

pub fn register_miner(id: &Identity, offers: Vec<Offer>, bond: Amount) -> TxKind {
    TxKind::RegisterMiner(RegisterMiner {
        serving_key: serving_key(id),
        offers,
        p2p_addr: "/ip4/127.0.0.1/tcp/4001".into(),
        attestation: Attestation::None,
        bond,
    })
}

pub fn sealed(n: u8, len: usize) -> SealedBox {
    SealedBox {
        enc: [n; 32],
        ciphertext: vec![n; len],
    }
}

pub fn submit_job(miner: &Identity, user: &Identity, model: Hash, expiry: u64) -> TxKind {
    TxKind::SubmitJob(SubmitJob {
        miner: miner.address(),
        model,
        sealed_prompt: sealed(1, 64),
        reply_key: serving_key(user),
        max_input_tokens: 100,
        max_output_tokens: 50,
        price_in: Amount(10),
        price_out: Amount(20),
        sampling: SamplingParams::GREEDY,
        expiry,
        require_attestation: false,
    })
}

/// A `PostResult` for the job created by `submit_job(miner, user, model, _)` with id `job`.
pub fn post_result(
    spec: &ChainSpec,
    miner: &Identity,
    user: &Identity,
    model: Hash,
    job: Hash,
    input_tokens: u32,
    output_tokens: u32,
) -> TxKind {
    let receipt = Receipt {
        job,
        model,
        miner: miner.address(),
        request_hash: request_hash(&sealed(1, 64)),
        sampling: SamplingParams::GREEDY,
        input_tokens,
        output_tokens,
        commitment: Hash([9; 32]),
        user: user.address(),
        user_reply_key: serving_key(user),
    };
    let receipt_signature = receipt.sign(miner, spec.chain_id);
    TxKind::PostResult(PostResult {
        job,
        input_tokens,
        output_tokens,
        payload: vec![5; 100],
        sealed_record_key: sealed(2, 48),
        receipt,
        receipt_signature,
        attestation: None,
    })
}

/// Sum of the genesis allocations plus the rewards of `height` blocks.
pub fn expected_supply(spec: &ChainSpec, height: u64) -> Amount {
    Amount(spec.genesis_supply().unwrap().0 + spec.block_reward.0 * height)
}

/// Recomputes the encoded size of a tx (fee accounting in tests).
pub fn size_of(tx: &SignedTransaction) -> usize {
    tx.encode().len()
}
