//! `explore`: the chain as an explorer shows it: the tip, blocks, transactions, miners,
//! models, records with their ownership history, and listings.

use anyhow::{Result, anyhow};
use infernet_rpc::views::{AttestationView, RecordEventKind, RecordEventView};
use infernet_rpc::{self as rpc, H256};
use infernet_types::Amount;
use serde::Serialize;

use super::accounts::{kind_summary, show_tx};
use super::context::{Ctx, call};
use super::market;
use super::models::resolve_model;
use super::node::parse_hash;
use super::output::{AmountJson, addr, kv, table};
use super::records::{RecordJson, get_record, record_rows};
use crate::amount::format_inf;
use crate::ranking;

/// `explore`: the chain.
#[derive(clap::Subcommand, Debug)]
pub enum ExploreCommand {
    /// Chain tip and status.
    Tip,
    /// A block by height or hash.
    Block {
        /// Height or hash.
        block: String,
    },
    /// A transaction.
    Tx {
        /// Transaction id.
        txid: String,
    },
    /// A miner.
    Miner {
        /// Address.
        address: String,
    },
    /// A model.
    Model {
        /// Model id.
        id: String,
    },
    /// A record (public data only) with its ownership history and sales.
    Record {
        /// Record id.
        id: String,
    },
    /// A listing: records, models, token totals, price, the seller and the seller's history,
    /// status, the purchase (buyer, deadline, delivery) and complaints.
    Listing {
        /// Listing id.
        id: String,
    },
}

/// Runs an `explore` command.
pub(crate) async fn run(ctx: &mut Ctx, cmd: ExploreCommand) -> Result<()> {
    match cmd {
        ExploreCommand::Tip => {
            let info = call!(ctx, chain_get_info())?;
            ctx.print(&info, || {
                kv(vec![
                    vec![
                        "chain".into(),
                        format!("{} (id {})", info.chain, info.chain_id),
                    ],
                    vec!["height".into(), info.tip.height.to_string()],
                    vec!["hash".into(), hex::encode(info.tip.hash.0)],
                    vec!["genesis".into(), hex::encode(info.genesis_hash.0)],
                    vec!["block time".into(), format!("{}s", info.block_time_secs)],
                    vec!["peers".into(), info.sync.peers.to_string()],
                    vec!["syncing".into(), info.sync.syncing.to_string()],
                    vec![
                        "mempool".into(),
                        format!("{} txs, {} bytes", info.mempool.count, info.mempool.bytes),
                    ],
                ]);
            })?;
        }
        ExploreCommand::Block { block } => {
            let b = if let Ok(h) = block.parse::<u64>() {
                call!(ctx, chain_get_block_by_height(h))?
            } else {
                let h = parse_hash(&block, "block hash")?;
                call!(ctx, chain_get_block_by_hash(H256(h.0)))?
            };
            let b = b.ok_or_else(|| anyhow!("no block {block}"))?;
            ctx.print(&b, || {
                kv(vec![
                    vec!["height".into(), b.header.height.to_string()],
                    vec!["hash".into(), hex::encode(b.header.hash.0)],
                    vec!["parent".into(), hex::encode(b.header.prev_hash.0)],
                    vec!["timestamp".into(), b.header.timestamp.to_string()],
                    vec!["size".into(), format!("{} bytes", b.size)],
                    vec![
                        "coinbase".into(),
                        format!(
                            "{} to {}",
                            format_inf(Amount(b.coinbase.amount.0)),
                            addr(&b.coinbase.recipient)
                        ),
                    ],
                    vec!["transactions".into(), b.transactions.len().to_string()],
                ]);
                if !b.transactions.is_empty() {
                    println!();
                    table(
                        &["TXID", "SENDER", "FEE", "KIND"],
                        b.transactions
                            .iter()
                            .map(|t| {
                                vec![
                                    hex::encode(t.txid.0),
                                    addr(&t.sender),
                                    format_inf(Amount(t.fee.0)),
                                    kind_summary(&t.kind),
                                ]
                            })
                            .collect(),
                    );
                }
            })?;
        }
        ExploreCommand::Tx { txid } => show_tx(ctx, &txid).await?,
        ExploreCommand::Miner { address } => {
            let a = ctx.resolve_address(&address)?;
            let m = call!(ctx, state_get_miner(rpc::Address(a.0)))?
                .ok_or_else(|| anyhow!("{a} is not a registered miner"))?;
            ctx.print(&m, || {
                kv(vec![
                    vec!["miner".into(), addr(&m.address)],
                    vec!["serving key".into(), hex::encode(m.serving_key.0)],
                    vec!["p2p".into(), m.p2p_addr.clone()],
                    vec![
                        "attestation".into(),
                        match &m.attestation {
                            AttestationView::None => "none".into(),
                            AttestationView::Simulated { report_data } => {
                                format!("simulated (report data {})", hex::encode(report_data.0))
                            }
                            AttestationView::Tdx { quote } => {
                                format!("tdx ({} byte quote)", quote.0.len())
                            }
                        },
                    ],
                    vec!["bond".into(), format_inf(Amount(m.bond.0))],
                    vec!["registered at".into(), m.registered_at.to_string()],
                    vec![
                        "unbonding at".into(),
                        m.unbonding_at.map_or("-".into(), |h| h.to_string()),
                    ],
                    vec![
                        "served / expired".into(),
                        format!("{} / {}", m.reputation.served, m.reputation.expired),
                    ],
                    vec![
                        "rating".into(),
                        if m.reputation.ratings_count == 0 {
                            "-".into()
                        } else {
                            format!(
                                "{:.2} ({} ratings)",
                                m.reputation.ratings_sum as f64 / m.reputation.ratings_count as f64,
                                m.reputation.ratings_count
                            )
                        },
                    ],
                    vec![
                        "reputation".into(),
                        format!("{:.2}", ranking::reputation(&m)),
                    ],
                ]);
                println!();
                table(
                    &["MODEL", "PRICE IN", "PRICE OUT", "MAX OUT"],
                    m.offers
                        .iter()
                        .map(|o| {
                            vec![
                                hex::encode(o.model.0),
                                format_inf(Amount(o.price_in.0)),
                                format_inf(Amount(o.price_out.0)),
                                o.max_output_tokens.to_string(),
                            ]
                        })
                        .collect(),
                );
            })?;
        }
        ExploreCommand::Model { id } => {
            let m = resolve_model(ctx, &id).await?;
            ctx.print(&m, || {
                kv(vec![
                    vec!["model".into(), hex::encode(m.id.0)],
                    vec!["name".into(), m.name.clone()],
                    vec!["architecture".into(), m.architecture.clone()],
                    vec!["context".into(), m.context_length.to_string()],
                    vec![
                        "royalty".into(),
                        format!("{:.2}%", f64::from(m.royalty_bps) / 100.0),
                    ],
                    vec!["owner".into(), addr(&m.owner)],
                    vec![
                        "parent".into(),
                        m.parent.map_or("-".into(), |p| {
                            format!(
                                "{} ({:.2}% share)",
                                hex::encode(p.model.0),
                                f64::from(p.share_bps) / 100.0
                            )
                        }),
                    ],
                    vec!["registered at".into(), m.registered_at.to_string()],
                ]);
            })?;
        }
        ExploreCommand::Record { id } => {
            let r = get_record(ctx, &id).await?;
            let events = call!(ctx, state_get_record_history(r.id))?;
            let v = ExploreRecordJson {
                record: RecordJson::from(&r),
                history: events.iter().map(RecordEventJson::from).collect(),
            };
            ctx.print(&v, || {
                kv(record_rows(&r));
                println!();
                table(
                    &["HEIGHT", "EVENT", "FROM", "TO", "PRICE", "TXID"],
                    events
                        .iter()
                        .map(|e| {
                            vec![
                                e.height.to_string(),
                                record_event_name(e.kind).to_owned(),
                                e.from.as_ref().map_or("-".into(), addr),
                                e.to.as_ref().map_or("-".into(), addr),
                                e.price.map_or("-".into(), |p| format_inf(Amount(p.0))),
                                hex::encode(e.txid.0),
                            ]
                        })
                        .collect(),
                );
            })?;
        }
        ExploreCommand::Listing { id } => {
            let (value, human) = market::listing_detail(ctx, &id).await?;
            ctx.print(&value, human)?;
        }
    }
    Ok(())
}

/// The JSON name of a record event's kind.
fn record_event_name(k: RecordEventKind) -> &'static str {
    match k {
        RecordEventKind::Minted => "minted",
        RecordEventKind::Transferred => "transferred",
        RecordEventKind::Listed => "listed",
        RecordEventKind::ListingCancelled => "listing_cancelled",
        RecordEventKind::Sold => "sold",
        RecordEventKind::Complained => "complained",
    }
}

/// `explore record --json`: the record's public data and its history.
#[derive(Debug, Clone, Serialize)]
pub struct ExploreRecordJson {
    /// The record, as `records show` prints it.
    #[serde(flatten)]
    pub record: RecordJson,
    /// What happened to it, oldest first.
    pub history: Vec<RecordEventJson>,
}

/// One event of a record's history (`state_getRecordHistory`).
#[derive(Debug, Clone, Serialize)]
pub struct RecordEventJson {
    /// The height of the block it happened in.
    pub height: u64,
    /// The transaction that did it (hex).
    pub txid: String,
    /// `minted`, `transferred`, `listed`, `listing_cancelled`, `sold` or `complained`.
    pub kind: &'static str,
    /// The owner before (`inf1…`), when it changed hands.
    pub from: Option<String>,
    /// The owner after (`inf1…`), when it changed hands.
    pub to: Option<String>,
    /// The price, for a sale.
    pub price: Option<AmountJson>,
    /// The listing involved (hex).
    pub listing: Option<String>,
    /// The purchase involved (hex).
    pub purchase: Option<String>,
}

impl From<&RecordEventView> for RecordEventJson {
    fn from(e: &RecordEventView) -> RecordEventJson {
        RecordEventJson {
            height: e.height,
            txid: hex::encode(e.txid.0),
            kind: record_event_name(e.kind),
            from: e.from.as_ref().map(addr),
            to: e.to.as_ref().map(addr),
            price: e.price.map(|p| Amount(p.0).into()),
            listing: e.listing.map(|l| hex::encode(l.0)),
            purchase: e.purchase.map(|p| hex::encode(p.0)),
        }
    }
}
