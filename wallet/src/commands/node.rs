//! What the commands ask the node for again and again: the chain the wallet signs for
//! (`ChainCtx`), the next nonce, submitting a signed transaction after checking the sender
//! can pay, waiting for a confirmation, walking every page of a paged method
//! (`all_pages!`), and parsing hashes typed by people.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use infernet_crypto::{Address, Hash};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, SignedTransaction};

use super::context::{Ctx, call};
use crate::amount::format_inf;
use crate::tx;

/// Chain identity the wallet signs for.
pub(crate) struct ChainCtx {
    /// The chain's name (`chain_getInfo.chain`).
    pub(crate) name: String,
    /// The chain id signatures commit to.
    pub(crate) chain_id: u64,
    /// The minimum fee rate, base units per byte.
    pub(crate) fee_per_byte: Amount,
    /// The tip's height when asked.
    pub(crate) tip: u64,
}

/// The chain the node serves, with its minimum fee rate.
pub(crate) async fn chain_ctx(ctx: &mut Ctx) -> Result<ChainCtx> {
    let info = call!(ctx, chain_get_info())?;
    // The node says its chain's minimum fee; a node older than that field answers without
    // it (read as 0), and the built-in spec of its chain (or the default) stands in.
    let fee_per_byte = if info.min_fee_per_byte.0 > 0 {
        Amount(info.min_fee_per_byte.0)
    } else {
        let f = tx::fee_per_byte_for(&info.chain);
        ctx.debug(&format!(
            "the node's chain_getInfo has no min_fee_per_byte (an older node); using {} base units per byte from the built-in spec of chain {:?}",
            f.0, info.chain
        ));
        f
    };
    Ok(ChainCtx {
        fee_per_byte,
        name: info.chain,
        chain_id: info.chain_id,
        tip: info.tip.height,
    })
}

/// Checks the sender can pay `spend + fee`, then submits.
pub(crate) async fn submit(
    ctx: &mut Ctx,
    signed: &SignedTransaction,
    spend: Amount,
) -> Result<Hash> {
    let sender = signed.tx.sender;
    let acc = call!(ctx, state_get_account(rpc::Address(sender.0)))?;
    let needed = spend
        .checked_add(signed.tx.fee)
        .map_err(|_| anyhow!("amount overflow"))?;
    if acc.balance.0 < needed.0 {
        bail!(
            "insufficient balance: {} has {} but needs {} ({} + fee {}); fund it with `infernet-wallet --key FUNDED send {} AMOUNT`",
            sender,
            format_inf(Amount(acc.balance.0)),
            format_inf(needed),
            format_inf(spend),
            format_inf(signed.tx.fee),
            sender
        );
    }
    let id = call!(ctx, tx_send(tx::to_hex(signed)))?;
    Ok(Hash(id.0))
}

/// The next nonce `who` may use (counting its transactions in the mempool).
pub(crate) async fn next_nonce(ctx: &mut Ctx, who: &Address) -> Result<u64> {
    Ok(call!(ctx, state_get_account(rpc::Address(who.0)))?.next_nonce)
}

/// Waits until `txid` is in a block; returns the block's height.
pub(crate) async fn wait_confirmed(ctx: &mut Ctx, txid: Hash, timeout: Duration) -> Result<u64> {
    let start = std::time::Instant::now();
    loop {
        match call!(ctx, tx_get(H256(txid.0)))? {
            Some(t) if t.block_height.is_some() => return Ok(t.block_height.unwrap_or(0)),
            Some(_) => {}
            None => bail!(
                "transaction {txid} was dropped by the node (see its logs); nothing was spent"
            ),
        }
        if start.elapsed() > timeout {
            bail!(
                "transaction {txid} is still pending after {}s",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A hash typed by a person (64 hex digits, `0x` optional); `what` names it in the error.
pub(crate) fn parse_hash(s: &str, what: &str) -> Result<Hash> {
    Hash::from_str(s.trim_start_matches("0x"))
        .map_err(|_| anyhow!("{what} {s:?} is not 64 hex digits"))
}

/// Most pages a listing walks (a bound, not an expected size).
pub(crate) const MAX_PAGES: usize = 1000;

/// Every item of a paged method: `all_pages!(ctx, method(args…,))`, the page argument last.
macro_rules! all_pages {
    ($ctx:expr, $method:ident ( $($arg:expr,)* )) => {{
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..$crate::commands::node::MAX_PAGES {
            let page = ::infernet_rpc::views::PageRequest { cursor: cursor.clone(), limit: None };
            let p = $crate::commands::context::call!($ctx, $method($($arg,)* Some(page)))?;
            items.extend(p.items);
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok::<_, anyhow::Error>(items)
    }};
}
pub(crate) use all_pages;
