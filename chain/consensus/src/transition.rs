//! The state transition: [`apply_block`] (header, transactions, coinbase, state root) and
//! [`check_tx`] for a single transaction. Rule ids refer to `specs/protocol.md`; the rules
//! of each transaction kind are in [`crate::kinds`], the state they work on, start- and
//! end-of-block processing in [`crate::executor`].
//!
//! Nothing here performs I/O or reads a clock: state comes through a [`StateView`], time
//! through the [`BlockContext`], and the result is a [`StateDelta`] for the caller to write.

use infernet_crypto::Hash;
use infernet_types::state::{JobStatus, PurchaseStatus, StateKey, StateValue};
use infernet_types::{Amount, Block, ChainSpec, Coinbase, Height, SignedTransaction};

use crate::context::BlockContext;
use crate::error::{BlockError, TxError};
use crate::executor::Executor;
pub use crate::kinds::evidence_report_data;
use crate::state::{StateDelta, StateView};
use crate::validate::{check_header, check_tx_stateless, prepare_txs};

/// Applies `block` on top of the state `view` (the state after the block's parent) and
/// returns the changes, without writing anything.
///
/// Checks every rule of `specs/protocol.md` in the order of `specs/consensus.md` §9. On error
/// nothing was written anywhere, so a rejected block leaves the state unchanged.
pub fn apply_block<V: StateView + ?Sized>(
    view: &V,
    block: &Block,
    ctx: &BlockContext<'_>,
) -> Result<StateDelta, BlockError> {
    check_header(&block.header, ctx)?;
    let prepared = prepare_txs(block, ctx.spec)?;
    let mut exec = Executor::new(view, ctx.spec, block.header.height);
    exec.begin_block().map_err(block_level)?;
    let mut fees = Amount::ZERO;
    for (index, tx) in block.txs.iter().enumerate() {
        let txid = prepared.txids[index];
        exec.apply_tx(tx, txid)
            .map_err(|source| tx_error(index, txid, source))?;
        exec.overlay.commit_tx();
        fees = fees
            .checked_add(tx.tx.fee)
            .map_err(|_| BlockError::RewardOverflow)?;
    }
    let expected = ctx
        .spec
        .block_reward
        .checked_add(fees)
        .map_err(|_| BlockError::RewardOverflow)?;
    check_coinbase(&block.coinbase, block.header.height, expected)?;
    exec.end_block(&block.coinbase).map_err(block_level)?;
    let delta = exec.overlay.into_delta()?;
    if delta.state_root != block.header.state_root {
        return Err(BlockError::StateRootMismatch {
            header: block.header.state_root,
            computed: delta.state_root,
        });
    }
    Ok(delta)
}

/// Maps an error of start- or end-of-block processing (which has no transaction to blame)
/// to a block error: a backend failure stays one, an overflow is R-014.
pub(crate) fn block_level(e: TxError) -> BlockError {
    match e {
        TxError::State(s) => BlockError::State(s),
        _ => BlockError::RewardOverflow,
    }
}

fn tx_error(index: usize, txid: Hash, source: TxError) -> BlockError {
    match source {
        TxError::State(s) => BlockError::State(s),
        source => BlockError::Tx {
            index,
            txid,
            source,
        },
    }
}

/// the coinbase pays exactly reward + fees, at the block's height.
pub(crate) fn check_coinbase(
    coinbase: &Coinbase,
    height: Height,
    expected: Amount,
) -> Result<(), BlockError> {
    if coinbase.height != height {
        return Err(BlockError::CoinbaseHeight {
            expected: height,
            got: coinbase.height,
        });
    }
    if coinbase.amount != expected {
        return Err(BlockError::CoinbaseAmount {
            expected,
            got: coinbase.amount,
        });
    }
    Ok(())
}

/// Checks one transaction against the state `view` as if it were the next transaction of a
/// block at `height` (stateless rules included), without keeping any change. For the mempool
/// and RPC submission.
///
/// The state is taken as it is: start-of-block processing of `height` (matured rewards,
/// expiries) is not applied, so the cost does not depend on how many jobs expire at that
/// height. A transaction that needs a reward maturing in that very block is accepted one block
/// later; one that is about to become invalid (a result for a job expiring at `height`) is
/// skipped by [`crate::build_block`] and then dropped by the mempool.
pub fn check_tx<V: StateView + ?Sized>(
    view: &V,
    spec: &ChainSpec,
    height: Height,
    tx: &SignedTransaction,
) -> Result<(), TxError> {
    let checked = check_tx_stateless(tx, spec)?;
    let mut exec = Executor::new(view, spec, height);
    exec.apply_tx(tx, checked.txid)
}

/// Sum of every amount the state holds (balances, escrows, bonds, pending rewards): the
/// total supply, for invariant checks in tests and tools. `None` on overflow.
pub fn total_supply<'a>(
    entries: impl IntoIterator<Item = (&'a StateKey, &'a StateValue)>,
) -> Option<Amount> {
    let mut total = Amount::ZERO;
    for (_, value) in entries {
        let add = match value {
            StateValue::Account(a) => a.balance,
            StateValue::Miner(m) => m.bond,
            StateValue::Job(j) if j.status == JobStatus::Pending => j.escrow,
            StateValue::Purchase(p) if p.status == PurchaseStatus::Pending => p.escrow,
            StateValue::RewardQueue(list) => {
                Amount::checked_sum(list.iter().map(|p| p.amount)).ok()?
            }
            // Settled jobs and purchases hold nothing; the other values are not money.
            StateValue::Job(_)
            | StateValue::Purchase(_)
            | StateValue::Model(_)
            | StateValue::Record(_)
            | StateValue::Listing(_)
            | StateValue::JobQueue(_)
            | StateValue::PurchaseQueue(_)
            | StateValue::UnbondingQueue(_)
            | StateValue::Complaint(_)
            | StateValue::SellerStats(_) => Amount::ZERO,
        };
        total = total.checked_add(add).ok()?;
    }
    Some(total)
}
