//! Stateless rules: header checks against the [`BlockContext`] (R-002..R-008), block size and
//! limits and per-transaction checks that need no state
//! (R-020..R-023). Signature checks run here, in parallel for large blocks.

use std::collections::HashSet;

use infernet_crypto::{Hash, domain, hash::hash};
use infernet_types::{Block, ChainSpec, Coinbase, Encode, Header, SignedTransaction, TxKind};

use crate::context::{BlockContext, MAX_FUTURE_DRIFT_SECS};
use crate::error::{BlockError, TxError};
use crate::kinds::TxRules;
use crate::pow::pow_hash_meets_target;
use crate::u256::U256;

/// Blocks with at least this many transactions verify signatures on several threads.
const PARALLEL_VERIFY_MIN_TXS: usize = 64;

/// What the stateless checks learned about a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedTx {
    /// Its txid.
    pub txid: Hash,
    /// Its encoded size in bytes.
    pub size: usize,
}

/// R-002..R-008: header rules that need only the context.
pub fn check_header(header: &Header, ctx: &BlockContext<'_>) -> Result<(), BlockError> {
    //
    if header.version != Header::VERSION {
        return Err(BlockError::UnsupportedVersion {
            version: header.version,
            expected: Header::VERSION,
        });
    }
    //
    let expected_height = ctx.height();
    if header.height != expected_height {
        return Err(BlockError::WrongHeight {
            expected: expected_height,
            got: header.height,
        });
    }
    //
    if header.prev_hash != ctx.parent.hash {
        return Err(BlockError::WrongParent {
            expected: ctx.parent.hash,
            got: header.prev_hash,
        });
    }
    //
    let required = ctx.required_target();
    let target = U256::from_be_bytes(header.target.0);
    if target != required {
        return Err(BlockError::WrongTarget {
            expected: required.to_string(),
            got: target.to_string(),
        });
    }
    //
    let pow_hash = header.pow_hash();
    if !pow_hash_meets_target(pow_hash.0, target) {
        return Err(BlockError::InsufficientWork { pow_hash });
    }
    //
    if header.timestamp <= ctx.median_time_past {
        return Err(BlockError::TimestampTooOld {
            timestamp: header.timestamp,
            median: ctx.median_time_past,
        });
    }
    //
    let limit = ctx.now.saturating_add(MAX_FUTURE_DRIFT_SECS);
    if header.timestamp > limit {
        return Err(BlockError::TimestampInFuture {
            timestamp: header.timestamp,
            limit,
        });
    }
    Ok(())
}

/// R-023 for one field: `len` (bytes or items) at most `max`.
pub(crate) fn field(name: &'static str, len: usize, max: u32) -> Result<(), TxError> {
    if len as u64 > u64::from(max) {
        return Err(TxError::FieldTooLarge {
            field: name,
            len: len as u64,
            max: u64::from(max),
        });
    }
    Ok(())
}

/// every variable-size field within its chain-spec limit (each kind lists its own
/// fields: [`TxRules::check_limits`]).
pub fn check_field_limits(kind: &TxKind, spec: &ChainSpec) -> Result<(), TxError> {
    kind.check_limits(&spec.limits)
}

/// The stateless rules of one transaction except its signature.
fn check_tx_shape(tx: &SignedTransaction, encoded: &[u8], spec: &ChainSpec) -> Result<(), TxError> {
    let size = encoded.len();
    //
    if size as u64 > u64::from(spec.limits.max_tx_bytes) {
        return Err(TxError::TxTooLarge {
            size,
            max: u64::from(spec.limits.max_tx_bytes),
        });
    }
    //
    let min = spec
        .min_fee_per_byte
        .checked_mul(size as u64)
        .map_err(|_| TxError::Overflow {
            what: "minimum fee",
        })?;
    if tx.tx.fee < min {
        return Err(TxError::FeeTooLow {
            fee: tx.tx.fee,
            min,
        });
    }
    //
    check_field_limits(&tx.tx.kind, spec)
}

/// the signature over this chain's signing bytes.
fn check_signature(tx: &SignedTransaction, spec: &ChainSpec) -> Result<(), TxError> {
    tx.verify(spec.chain_id).map_err(|_| TxError::BadSignature {
        sender: tx.tx.sender,
    })
}

/// The stateless rules of one transaction except its signature.
pub(crate) fn check_tx_stateless_unsigned(
    tx: &SignedTransaction,
    spec: &ChainSpec,
) -> Result<CheckedTx, TxError> {
    let encoded = tx.encode();
    check_tx_shape(tx, &encoded, spec)?;
    Ok(CheckedTx {
        txid: hash(domain::TX_ID, &encoded),
        size: encoded.len(),
    })
}

/// Every stateless rule of one transaction (R-020..R-023), signature included. For the
/// mempool and for RPC submission.
pub fn check_tx_stateless(tx: &SignedTransaction, spec: &ChainSpec) -> Result<CheckedTx, TxError> {
    let encoded = tx.encode();
    check_tx_shape(tx, &encoded, spec)?;
    check_signature(tx, spec)?;
    Ok(CheckedTx {
        txid: hash(domain::TX_ID, &encoded),
        size: encoded.len(),
    })
}

/// The result of the block-level stateless checks.
pub(crate) struct PreparedTxs {
    /// Txids in block order.
    pub(crate) txids: Vec<Hash>,
}

/// Encoded size of a block with these transaction sizes.
pub(crate) fn block_size(tx_sizes: impl IntoIterator<Item = usize>) -> usize {
    let body: usize = tx_sizes.into_iter().sum();
    Header::ENCODED_LEN + Coinbase::ENCODED_LEN + 4 + body
}

/// ..R-023 per transaction, R-009, R-012, R-013 (in that order).
pub(crate) fn prepare_txs(block: &Block, spec: &ChainSpec) -> Result<PreparedTxs, BlockError> {
    let mut txids = Vec::with_capacity(block.txs.len());
    let mut sizes = Vec::with_capacity(block.txs.len());
    let mut shape_errors = Vec::new();
    for (index, tx) in block.txs.iter().enumerate() {
        let encoded = tx.encode();
        let txid = hash(domain::TX_ID, &encoded);
        if let Err(e) = check_tx_shape(tx, &encoded, spec) {
            shape_errors.push((index, txid, e));
        }
        sizes.push(encoded.len());
        txids.push(txid);
    }
    //
    let size = block_size(sizes.iter().copied());
    if size as u64 > u64::from(spec.limits.max_block_bytes) {
        return Err(BlockError::BlockTooLarge {
            size,
            max: u64::from(spec.limits.max_block_bytes),
        });
    }
    if let Some((index, txid, source)) = shape_errors.into_iter().next() {
        return Err(BlockError::Tx {
            index,
            txid,
            source,
        });
    }
    //
    if let Some((index, source)) = verify_signatures(&block.txs, spec) {
        return Err(BlockError::Tx {
            index,
            txid: txids[index],
            source,
        });
    }
    //
    let mut leaves = Vec::with_capacity(txids.len() + 1);
    leaves.push(block.coinbase.id());
    leaves.extend_from_slice(&txids);
    let computed = Block::tx_root_of(&leaves);
    if computed != block.header.tx_root {
        return Err(BlockError::TxRootMismatch {
            header: block.header.tx_root,
            computed,
        });
    }
    //
    let jobs = block
        .txs
        .iter()
        .filter(|t| matches!(t.tx.kind, TxKind::SubmitJob(_)))
        .count() as u64;
    let max_jobs = u64::from(spec.limits.max_jobs_per_block);
    if jobs > max_jobs {
        return Err(BlockError::TooManyJobs {
            count: jobs,
            max: max_jobs,
        });
    }
    //
    let mut seen = HashSet::with_capacity(txids.len());
    for txid in &txids {
        if !seen.insert(*txid) {
            return Err(BlockError::DuplicateTransaction { txid: *txid });
        }
    }
    Ok(PreparedTxs { txids })
}

/// Verifies every signature; returns the first failing index. Large blocks are split across
/// the available cores (the verdict does not depend on how).
fn verify_signatures(txs: &[SignedTransaction], spec: &ChainSpec) -> Option<(usize, TxError)> {
    signature_results(txs, spec)
        .into_iter()
        .enumerate()
        .find_map(|(i, r)| r.err().map(|e| (i, e)))
}

/// R-021 for every transaction, in order; on several threads when there are many.
pub(crate) fn signature_results(
    txs: &[SignedTransaction],
    spec: &ChainSpec,
) -> Vec<Result<(), TxError>> {
    // Querying the core count only chooses the split; every result is the same either way.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if txs.len() < PARALLEL_VERIFY_MIN_TXS || threads < 2 {
        return txs.iter().map(|tx| check_signature(tx, spec)).collect();
    }
    let chunk = txs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = txs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|tx| check_signature(tx, spec))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(txs.chunks(chunk))
            .flat_map(|(h, part)| match h.join() {
                Ok(results) => results,
                // A verifier thread cannot panic on any input; if one did, judge its share
                // as failing rather than accepting unchecked signatures.
                Err(_) => part
                    .iter()
                    .map(|tx| {
                        Err(TxError::BadSignature {
                            sender: tx.tx.sender,
                        })
                    })
                    .collect(),
            })
            .collect()
    })
}
