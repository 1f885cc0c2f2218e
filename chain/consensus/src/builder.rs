//! Block production helpers: [`genesis_block`] / [`apply_genesis`], [`build_block`] (a
//! template with the right tx root and state root, skipping transactions that fail), and
//! [`mine`], a nonce search for tests and dev chains.
//!
//! The node seals blocks with its own threads; it uses [`build_block`] for the template and
//! then varies `header.nonce` (which changes neither root).

use std::collections::{BTreeMap, HashSet};

use infernet_crypto::{Address, Hash};
use infernet_types::state::{Account, StateKey, StateValue};
use infernet_types::{Amount, Block, ChainSpec, Coinbase, Header, SignedTransaction, TxKind};

use crate::context::BlockContext;
use crate::error::{BlockError, TxError};
use crate::executor::Executor;
use crate::state::{MemoryState, Overlay, StateDelta, StateView};
use crate::transition::{block_level, check_coinbase};
use crate::u256::U256;
use crate::validate::{block_size, check_tx_stateless_unsigned, signature_results};

/// The genesis block of `spec` and the state delta that creates its allocations (applied to
/// the empty state). Deterministic: every node derives the same block from the same spec.
pub fn genesis_block(spec: &ChainSpec) -> Result<(Block, StateDelta), BlockError> {
    let empty = MemoryState::new();
    let mut balances: BTreeMap<Address, Amount> = BTreeMap::new();
    for a in &spec.genesis.allocations {
        let entry = balances.entry(a.address).or_insert(Amount::ZERO);
        *entry = entry
            .checked_add(a.amount)
            .map_err(|_| BlockError::RewardOverflow)?;
    }
    let mut overlay = Overlay::new(&empty);
    for (address, balance) in balances {
        if balance.is_zero() {
            continue;
        }
        let account = Account {
            balance,
            nonce: 0,
            reply_key: None,
        };
        overlay.put(
            StateKey::Account(address),
            Some(StateValue::Account(account)),
        );
    }
    let delta = overlay.into_delta()?;
    let coinbase = Coinbase {
        height: 0,
        recipient: Address::from_bytes([0u8; 32]),
        amount: Amount::ZERO,
    };
    let header = Header {
        version: Header::VERSION,
        height: 0,
        prev_hash: Hash::ZERO,
        timestamp: spec.genesis.timestamp,
        target: spec.genesis.target,
        nonce: 0,
        tx_root: Block::tx_root_of(&[coinbase.id()]),
        state_root: delta.state_root,
    };
    Ok((
        Block {
            header,
            coinbase,
            txs: Vec::new(),
        },
        delta,
    ))
}

/// Checks that `block` is the spec's genesis block and returns its delta against
/// `view` (which must be the empty state).
pub fn apply_genesis<V: StateView + ?Sized>(
    view: &V,
    block: &Block,
    spec: &ChainSpec,
) -> Result<StateDelta, BlockError> {
    let (expected, _) = genesis_block(spec)?;
    if block != &expected {
        return Err(BlockError::GenesisMismatch {
            expected: expected.hash(),
            got: block.hash(),
        });
    }
    let mut overlay = Overlay::new(view);
    for a in &spec.genesis.allocations {
        let key = StateKey::Account(a.address);
        let mut account = match overlay.get(&key)? {
            Some(StateValue::Account(acc)) => acc,
            _ => Account::default(),
        };
        account.balance = account
            .balance
            .checked_add(a.amount)
            .map_err(|_| BlockError::RewardOverflow)?;
        if !account.balance.is_zero() {
            overlay.put(key, Some(StateValue::Account(account)));
        }
        overlay.commit_tx();
    }
    Ok(overlay.into_delta()?)
}

/// A block assembled by [`build_block`], ready for its nonce search.
#[derive(Debug, Clone)]
pub struct BlockTemplate {
    /// The block, with `nonce = 0`, the required target and both roots filled in.
    pub block: Block,
    /// The state changes of the block (what [`crate::apply_block`] will return for it).
    pub delta: StateDelta,
    /// Candidates that break a rule, with the rule (the mempool should drop them). Candidates
    /// that are valid but did not fit (block size, job count, fee sum) or repeat an earlier
    /// candidate are left out without a report.
    pub rejected: Vec<(Hash, TxError)>,
}

/// Assembles the child of `ctx.parent` from `candidates` (in the order given: callers pass
/// them by fee rate with nonce order per sender). Transactions that break a rule are skipped
/// and reported; the block stops growing at the size and job limits. The timestamp is
/// raised to `median_time_past + 1` if needed. Mining is left to the caller ([`mine`]).
pub fn build_block<V: StateView + ?Sized>(
    view: &V,
    ctx: &BlockContext<'_>,
    timestamp: u64,
    coinbase_recipient: Address,
    candidates: impl IntoIterator<Item = SignedTransaction>,
) -> Result<BlockTemplate, BlockError> {
    let spec = ctx.spec;
    let height = ctx.height();
    let mut exec = Executor::new(view, spec, height);
    exec.begin_block().map_err(block_level)?;
    let max_block = spec.limits.max_block_bytes as usize;
    let max_jobs = spec.limits.max_jobs_per_block as usize;
    let mut txs = Vec::new();
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut seen = HashSet::new();
    let mut jobs = 0usize;
    let mut fees = Amount::ZERO;
    let mut rejected = Vec::new();
    let mut used = block_size(std::iter::empty());
    let candidates: Vec<SignedTransaction> = candidates.into_iter().collect();
    let signatures = signature_results(&candidates, spec);
    for (tx, signature) in candidates.into_iter().zip(signatures) {
        let checked = match signature.and_then(|()| check_tx_stateless_unsigned(&tx, spec)) {
            Ok(c) => c,
            Err(e) => {
                rejected.push((tx.txid(), e));
                continue;
            }
        };
        if !seen.insert(checked.txid) {
            continue;
        }
        if used + checked.size > max_block {
            continue;
        }
        let is_job = matches!(tx.tx.kind, TxKind::SubmitJob(_));
        if is_job && jobs >= max_jobs {
            continue;
        }
        let Ok(new_fees) = fees.checked_add(tx.tx.fee) else {
            continue;
        };
        match exec.apply_tx(&tx, checked.txid) {
            Ok(()) => exec.overlay.commit_tx(),
            Err(TxError::State(s)) => return Err(BlockError::State(s)),
            Err(e) => {
                rejected.push((checked.txid, e));
                continue;
            }
        }
        fees = new_fees;
        used += checked.size;
        jobs += usize::from(is_job);
        ids.push(checked.txid);
        sizes.push(checked.size);
        txs.push(tx);
    }
    let amount = spec
        .block_reward
        .checked_add(fees)
        .map_err(|_| BlockError::RewardOverflow)?;
    let coinbase = Coinbase {
        height,
        recipient: coinbase_recipient,
        amount,
    };
    check_coinbase(&coinbase, height, amount)?;
    exec.end_block(&coinbase).map_err(block_level)?;
    let delta = exec.overlay.into_delta()?;
    let mut leaves = Vec::with_capacity(ids.len() + 1);
    leaves.push(coinbase.id());
    leaves.extend(ids);
    let header = Header {
        version: Header::VERSION,
        height,
        prev_hash: ctx.parent.hash,
        timestamp: timestamp.max(ctx.median_time_past.saturating_add(1)),
        target: infernet_types::Target(ctx.required_target().to_be_bytes()),
        nonce: 0,
        tx_root: Block::tx_root_of(&leaves),
        state_root: delta.state_root,
    };
    Ok(BlockTemplate {
        block: Block {
            header,
            coinbase,
            txs,
        },
        delta,
        rejected,
    })
}

/// Searches nonces `header.nonce, header.nonce + 1, …` for at most `max_attempts` tries and
/// leaves the first one whose PoW hash meets the header's target; returns whether it found
/// one. For tests and dev chains (trivial targets); a real miner runs its own threads.
pub fn mine(header: &mut Header, max_attempts: u64) -> bool {
    let target = U256::from_be_bytes(header.target.0);
    for _ in 0..max_attempts {
        if U256::from_be_bytes(header.pow_hash().0) <= target {
            return true;
        }
        header.nonce = header.nonce.wrapping_add(1);
    }
    false
}
