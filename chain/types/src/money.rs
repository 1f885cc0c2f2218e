//! The rules of money, once: the job cost, the settlement of a job (royalty, miner pay,
//! refund), the royalty walk along a model's fork lineage, the sale split of a delivered
//! purchase, and the minimum fee (`specs/protocol.md` §4 SubmitJob, PostResult, Deliver, §5).
//!
//! Pure functions on [`Amount`]s with checked arithmetic: consensus applies them to the state,
//! the mempool and the wallet use them to predict what a transaction takes and pays, so the
//! chain and its clients cannot disagree on a base unit. State is never read here: the
//! lineage walk takes a lookup for parent models.

use infernet_crypto::Address;

use crate::primitives::ModelId;
use crate::spec::SaleRoyalties;
use crate::transaction::Transaction;
use crate::tx_kinds::ParentModel;
use crate::{Amount, AmountError};

/// An amount computation overflowed (or went below zero); `what` names it as the consensus
/// error R-032 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount arithmetic overflows in {what}")]
pub struct MoneyError {
    /// The computation that overflowed.
    pub what: &'static str,
}

fn overflow(what: &'static str) -> impl Fn(AmountError) -> MoneyError {
    move |_| MoneyError { what }
}

/// `floor(amount × bps / 10000)`, exact in 128 bits.
pub fn bps_of(amount: Amount, bps: u16) -> Result<Amount, AmountError> {
    amount.mul_div_floor(u64::from(bps), 10_000)
}

/// The cost of a job: `price_in × input_tokens + price_out × output_tokens`. At the job's
/// token limits it is the escrow `SubmitJob` locks; at the posted counts, what the user pays.
pub fn job_cost(
    price_in: Amount,
    price_out: Amount,
    input_tokens: u32,
    output_tokens: u32,
) -> Result<Amount, AmountError> {
    price_in
        .checked_mul(u64::from(input_tokens))
        .and_then(|a| a.checked_add(price_out.checked_mul(u64::from(output_tokens))?))
}

/// How a job's escrow is settled by its result (`PostResult`): `cost + refund = escrow` and
/// `royalty + miner_pay = cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSettlement {
    /// What the user pays for the tokens counted.
    pub cost: Amount,
    /// `floor(cost × royalty_bps / 10000)`, paid along the model's lineage ([`lineage`]);
    /// zero when the model is not registered.
    pub royalty: Amount,
    /// The rest of the cost, paid to the miner.
    pub miner_pay: Amount,
    /// The rest of the escrow, returned to the user.
    pub refund: Amount,
}

/// Settles a job that escrowed `escrow` at prices `price_in`/`price_out` and used
/// `input_tokens`/`output_tokens`; `royalty_bps` is the model's royalty (`None`: the model is
/// not registered, no royalty).
pub fn settle_job(
    escrow: Amount,
    price_in: Amount,
    price_out: Amount,
    input_tokens: u32,
    output_tokens: u32,
    royalty_bps: Option<u16>,
) -> Result<JobSettlement, MoneyError> {
    let cost =
        job_cost(price_in, price_out, input_tokens, output_tokens).map_err(overflow("job cost"))?;
    let refund = escrow.checked_sub(cost).map_err(overflow("job refund"))?;
    let royalty = match royalty_bps {
        Some(bps) => bps_of(cost, bps).map_err(overflow("royalty"))?,
        None => Amount::ZERO,
    };
    let miner_pay = cost.checked_sub(royalty).map_err(overflow("miner pay"))?;
    Ok(JobSettlement {
        cost,
        royalty,
        miner_pay,
        refund,
    })
}

/// A registered model as the lineage walk needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineageNode {
    /// The model's owner.
    pub owner: Address,
    /// For a fork: its parent and the share passed up to it.
    pub parent: Option<ParentModel>,
}

/// One model of a fork lineage, as royalties walk it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineageLink {
    /// The model's owner.
    pub owner: Address,
    /// The share of what reaches this model that passes up to the next link, basis points
    /// (ignored for the last link, which keeps everything).
    pub parent_share_bps: u16,
}

/// The lineage royalties walk for `model` (`specs/protocol.md` §5): the model, then each
/// registered parent, stopping at an unregistered parent or after `max_depth` models (the
/// chain's `max_lineage_depth`). Empty when `model` itself is not registered. `lookup`
/// returns a registered model (it is called for `model` first, then for each parent).
pub fn lineage<E>(
    model: &ModelId,
    max_depth: u8,
    mut lookup: impl FnMut(&ModelId) -> Result<Option<LineageNode>, E>,
) -> Result<Vec<LineageLink>, E> {
    let mut out = Vec::new();
    let Some(mut current) = lookup(model)? else {
        return Ok(out);
    };
    loop {
        let depth = out.len() + 1;
        let next = match current.parent {
            Some(p) if depth < usize::from(max_depth) => {
                lookup(&p.model)?.map(|node| (node, p.share_bps))
            }
            _ => None,
        };
        match next {
            Some((parent, share_bps)) => {
                out.push(LineageLink {
                    owner: current.owner,
                    parent_share_bps: share_bps,
                });
                current = parent;
            }
            None => {
                out.push(LineageLink {
                    owner: current.owner,
                    parent_share_bps: 0,
                });
                return Ok(out);
            }
        }
    }
}

/// Splits a royalty `amount` along `lineage`: each link passes
/// `floor(reaching × parent_share_bps / 10000)` up and keeps the rest; the last keeps all
/// that reaches it. One amount per link, summing to `amount` (nothing when `lineage` is
/// empty).
pub fn split_along_lineage(
    amount: Amount,
    lineage: &[LineageLink],
) -> Result<Vec<Amount>, MoneyError> {
    let mut out = Vec::with_capacity(lineage.len());
    let mut reaching = amount;
    let last = lineage.len().saturating_sub(1);
    for (i, link) in lineage.iter().enumerate() {
        let up = if i == last {
            Amount::ZERO
        } else {
            bps_of(reaching, link.parent_share_bps).map_err(overflow("lineage royalty"))?
        };
        let keep = reaching
            .checked_sub(up)
            .map_err(overflow("lineage royalty"))?;
        out.push(keep);
        reaching = up;
    }
    Ok(out)
}

/// Who is paid for one record of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPayees {
    /// The miner that produced the record (its receipt's miner).
    pub miner: Address,
    /// The record's model lineage ([`lineage`]); empty when the model is not registered,
    /// whose cut then stays with the seller.
    pub lineage: Vec<LineageLink>,
}

/// What one record of a sale pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSplit {
    /// The record's share of the price.
    pub share: Amount,
    /// `floor(share × miner_bps / 10000)`, to the record's miner.
    pub miner: Amount,
    /// The model owners' cut, one amount per lineage link (see [`split_along_lineage`]).
    pub lineage: Vec<Amount>,
}

/// The split of a sale (`Deliver`, `specs/protocol.md` §5 "Sale").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleSplit {
    /// Per record, in listing order.
    pub records: Vec<RecordSplit>,
    /// What is left for the seller.
    pub seller: Amount,
}

/// Record `index`'s share of a sale of `n` records at `price`: `floor(price / n)`, and the
/// first record also takes the remainder `price mod n`.
#[must_use]
pub fn sale_share(price: Amount, n: u64, index: usize) -> Amount {
    let n = n.max(1);
    let base = price.0 / n;
    if index == 0 {
        // base × n + rem = price, so base + rem ≤ price cannot overflow.
        Amount(base + price.0 % n)
    } else {
        Amount(base)
    }
}

/// Splits `price` over `records` (in listing order): each record's share pays its miner
/// `floor(share × miner_bps / 10000)` and its model lineage `floor(share × model_owner_bps /
/// 10000)` (nothing when the model is not registered); the seller gets the rest. The parts sum
/// to `price`.
pub fn sale_split(
    price: Amount,
    records: &[RecordPayees],
    rates: SaleRoyalties,
) -> Result<SaleSplit, MoneyError> {
    let n = records.len() as u64;
    let mut seller = price;
    let mut out = Vec::with_capacity(records.len());
    for (i, payees) in records.iter().enumerate() {
        let share = sale_share(price, n, i);
        let miner = bps_of(share, rates.miner_bps).map_err(overflow("sale royalty"))?;
        let model_cut = if payees.lineage.is_empty() {
            Amount::ZERO
        } else {
            bps_of(share, rates.model_owner_bps).map_err(overflow("sale royalty"))?
        };
        seller = seller
            .checked_sub(miner)
            .and_then(|s| s.checked_sub(model_cut))
            .map_err(overflow("sale split"))?;
        out.push(RecordSplit {
            share,
            miner,
            lineage: split_along_lineage(model_cut, &payees.lineage)?,
        });
    }
    Ok(SaleSplit {
        records: out,
        seller,
    })
}

/// The smallest fee `tx` may carry: `signed size × fee_per_byte`.
pub fn min_fee(tx: &Transaction, fee_per_byte: Amount) -> Result<Amount, AmountError> {
    tx.min_fee(fee_per_byte)
}
