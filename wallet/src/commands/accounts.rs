//! `balance`, `send` and `tx`: an account's balance, sending INF, a transaction's status.

use std::time::Duration;

use anyhow::{Result, bail};
use infernet_rpc::views::TxKindView;
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, TxKind};
use serde::Serialize;
use serde_json::Value;

use super::context::{Ctx, call};
use super::node::{chain_ctx, next_nonce, parse_hash, submit, wait_confirmed};
use super::output::{AmountJson, addr, kv, short};
use crate::amount::{format_inf, parse_amount};
use crate::tx;

/// `balance [ADDRESS]`.
pub(crate) async fn balance(ctx: &mut Ctx, address: Option<String>) -> Result<()> {
    let addr = match address {
        Some(a) => ctx.resolve_address(&a)?,
        None => ctx.wallet.info(&ctx.key_name()?)?.address,
    };
    let acc = call!(ctx, state_get_account(rpc::Address(addr.0)))?;
    let bal = Amount(acc.balance.0);
    ctx.print(
        &BalanceJson {
            address: addr.to_string(),
            balance: bal.into(),
            nonce: acc.nonce,
            next_nonce: acc.next_nonce,
        },
        || println!("{}  {}", addr, format_inf(bal)),
    )?;
    Ok(())
}

/// `send TO AMOUNT [--wait]`.
pub(crate) async fn send(ctx: &mut Ctx, to: &str, amount: &str, wait: bool) -> Result<()> {
    let to = ctx.resolve_address(to)?;
    let amount = parse_amount(amount)?;
    let (_, id) = ctx.unlock()?;
    let chain = chain_ctx(ctx).await?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let signed = tx::sign(
        &id,
        chain.chain_id,
        nonce,
        chain.fee_per_byte,
        TxKind::Transfer(infernet_types::Transfer { to, amount }),
    )?;
    let txid = submit(ctx, &signed, amount).await?;
    let height = if wait {
        Some(wait_confirmed(ctx, txid, Duration::from_secs(120)).await?)
    } else {
        None
    };
    ctx.print(
        &SendJson {
            txid: txid.to_hex(),
            from: id.address().to_string(),
            to: to.to_string(),
            amount: amount.into(),
            fee: signed.tx.fee.into(),
            block_height: height,
        },
        || {
            println!(
                "Sent {} to {} (fee {})",
                format_inf(amount),
                to,
                format_inf(signed.tx.fee)
            );
            println!("txid {txid}");
            if let Some(h) = height {
                println!("in block {h}");
            }
        },
    )?;
    Ok(())
}

/// `tx TXID` and `explore tx TXID`.
pub(crate) async fn show_tx(ctx: &mut Ctx, txid: &str) -> Result<()> {
    let id = parse_hash(txid, "transaction id")?;
    let Some(t) = call!(ctx, tx_get(H256(id.0)))? else {
        bail!("no transaction {id} on the best chain or in the mempool");
    };
    ctx.print(&t, || {
        kv(vec![
            vec!["txid".into(), id.to_hex()],
            vec!["status".into(), format!("{:?}", t.status).to_lowercase()],
            vec![
                "block".into(),
                t.block_height.map_or("-".into(), |h| h.to_string()),
            ],
            vec!["confirmations".into(), t.confirmations.to_string()],
            vec!["sender".into(), addr(&t.tx.sender)],
            vec!["nonce".into(), t.tx.nonce.to_string()],
            vec!["fee".into(), format_inf(Amount(t.tx.fee.0))],
            vec!["kind".into(), kind_summary(&t.tx.kind)],
        ]);
    })?;
    Ok(())
}

/// One line describing a transaction's kind, for tables.
pub(crate) fn kind_summary(k: &TxKindView) -> String {
    match k {
        TxKindView::Transfer { to, amount } => {
            format!("transfer {} to {}", format_inf(Amount(amount.0)), addr(to))
        }
        TxKindView::SubmitJob {
            miner,
            model,
            max_output_tokens,
            ..
        } => format!(
            "submit_job to {} model {} (≤{} tokens)",
            addr(miner),
            short(model),
            max_output_tokens
        ),
        TxKindView::PostResult {
            job,
            input_tokens,
            output_tokens,
            ..
        } => format!(
            "post_result job {} ({input_tokens} in, {output_tokens} out)",
            short(job)
        ),
        TxKindView::TransferRecord { record, to, .. } => {
            format!("transfer_record {} to {}", short(record), addr(to))
        }
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "transaction".into()),
    }
}

/// `balance --json`.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceJson {
    /// The account (`inf1…`).
    pub address: String,
    /// Its balance.
    pub balance: AmountJson,
    /// Its nonce on chain (transactions included in blocks).
    pub nonce: u64,
    /// The nonce its next transaction takes (counting those in the node's mempool).
    pub next_nonce: u64,
}

/// `send --json`.
#[derive(Debug, Clone, Serialize)]
pub struct SendJson {
    /// The transfer's transaction id (hex).
    pub txid: String,
    /// The sender (`inf1…`).
    pub from: String,
    /// The recipient (`inf1…`).
    pub to: String,
    /// The amount sent.
    pub amount: AmountJson,
    /// The fee paid.
    pub fee: AmountJson,
    /// The height of the block it is in, with `--wait`; else null.
    pub block_height: Option<u64>,
}
