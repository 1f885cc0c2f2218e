//! `market`: selling and buying records as training data, over the node.
//!
//! It fetches what it needs over JSON-RPC and leaves everything that needs no node to
//! [`crate::market`] (building listings, sealing deliveries, provenance, the sale split,
//! complaints). Commands:
//! `list`, `listings`, `show`, `buy`, `deliver`, `watch`, `cancel`, `verify` (provenance of a
//! bought listing, `--complain` to post an on-chain `Complain` per failed record), `complain`
//! (one complaint by hand) and `complaints` (the chain's, by seller or purchase). Sellers'
//! histories come from the chain (`state_getSellerStats`), so every buyer sees the same one.
//! `explore listing` reuses `listing_detail`.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use infernet_crypto::{Address, Hash};
use infernet_rpc::views::{
    ComplaintFilter, ComplaintReasonView, ComplaintView, ListingDetailView, ListingFilter,
    ListingStatus, ListingView, PageRequest, PurchaseStatusView, PurchaseView, RecordView,
};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, ChainSpec, ComplaintReason, ReplyPublicKey};
use serde::Serialize;

use super::context::{Ctx, call};
use super::node::{MAX_PAGES, chain_ctx, next_nonce, parse_hash, submit, wait_confirmed};
use super::output::{AmountJson, kv, table};
use super::records::verdict_line;
use crate::amount::{format_inf, parse_amount};
use crate::market::complaint;
use crate::market::listing::{BundleSummary, SellerHistory};
use crate::market::provenance::Verdict;
use crate::market::split::{self, ModelNode, RecordPayees, Role};
use crate::market::{delivery, listing, provenance};
use crate::tx;

/// `market`: sell and buy records as training data.
#[derive(clap::Subcommand, Debug)]
pub enum MarketCommand {
    /// Offer one record or a bundle (a dataset) for sale; prints the listing id.
    #[command(after_help = super::AMOUNT_HELP)]
    List {
        /// Record ids (hex), in the order the buyer receives them.
        #[arg(required = true)]
        records: Vec<String>,
        /// Price of the whole listing (see the amount formats below).
        #[arg(long)]
        price: String,
        /// Last height at which it can be bought (default: the chain's longest lifetime).
        #[arg(long)]
        until: Option<u64>,
        /// Short title.
        #[arg(long, default_value = "")]
        title: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Listings open for buyers (or all with --all): records, models, tokens, price, seller.
    #[command(after_help = super::AMOUNT_HELP)]
    Listings {
        /// Only listings with records of this model (id, hex).
        #[arg(long)]
        model: Option<String>,
        /// Only this seller's listings (address or key name).
        #[arg(long)]
        seller: Option<String>,
        /// Only listings at or below this price.
        #[arg(long)]
        max_price: Option<String>,
        /// Include bought, delivered, cancelled and expired listings.
        #[arg(long)]
        all: bool,
    },
    /// What a buyer may see before paying: counts, models, tokens, miners, dates, the
    /// seller's history, the sale split. Never content.
    Show {
        /// Listing id (hex).
        listing: String,
    },
    /// Buy a listing: escrows its price and gives the seller this key's reply key.
    Buy {
        /// Listing id (hex).
        listing: String,
        /// Wait until the purchase is in a block.
        #[arg(long)]
        wait: bool,
    },
    /// Deliver a purchase of your listing: seals each record key to the buyer.
    Deliver {
        /// Listing id (hex).
        listing: String,
    },
    /// Deliver every purchase of your listings as blocks arrive (runs until stopped).
    Watch {
        /// Deliver what is pending now and exit.
        #[arg(long)]
        once: bool,
        /// How often to look at the tip, milliseconds.
        #[arg(long, default_value_t = 1000)]
        poll_ms: u64,
    },
    /// Withdraw your open listing.
    Cancel {
        /// Listing id (hex).
        listing: String,
    },
    /// Check the provenance of the records of a listing you bought.
    Verify {
        /// Listing id (hex).
        listing: String,
        /// Post an on-chain complaint (`Complain`) for each record that fails.
        #[arg(long)]
        complain: bool,
    },
    /// Post an on-chain complaint about one record of a purchase delivered to you.
    Complain {
        /// Purchase id (hex; `market buy` prints it).
        purchase: String,
        /// Index of the record in the listing (0 for the first).
        record_index: u32,
        /// What your check found: `key_does_not_open`, `commitment_mismatch`,
        /// `receipt_mismatch` or `other`.
        #[arg(long)]
        reason: String,
        /// Free text for the seller's history (cut to the chain's string limit).
        #[arg(long, default_value = "")]
        detail: String,
    },
    /// Complaints on chain, optionally about one seller or one purchase.
    Complaints {
        /// Only complaints about this seller (address or key name).
        #[arg(long)]
        seller: Option<String>,
        /// Only complaints about this purchase (hex).
        #[arg(long)]
        purchase: Option<String>,
    },
}

/// Runs a `market` command.
pub(crate) async fn run(ctx: &mut Ctx, cmd: MarketCommand) -> Result<()> {
    match cmd {
        MarketCommand::List {
            records,
            price,
            until,
            title,
            description,
        } => list(ctx, &records, &price, until, title, description).await,
        MarketCommand::Listings {
            model,
            seller,
            max_price,
            all,
        } => listings(ctx, model, seller, max_price, all).await,
        MarketCommand::Show { listing } => show(ctx, &listing).await,
        MarketCommand::Buy { listing, wait } => buy(ctx, &listing, wait).await,
        MarketCommand::Deliver { listing } => deliver_cmd(ctx, &listing).await,
        MarketCommand::Watch { once, poll_ms } => watch(ctx, once, poll_ms).await,
        MarketCommand::Cancel { listing } => cancel(ctx, &listing).await,
        MarketCommand::Verify { listing, complain } => verify(ctx, &listing, complain).await,
        MarketCommand::Complain {
            purchase,
            record_index,
            reason,
            detail,
        } => complain_cmd(ctx, &purchase, record_index, &reason, &detail).await,
        MarketCommand::Complaints { seller, purchase } => complaints(ctx, seller, purchase).await,
    }
}

/// The chain spec for limits, the delivery window and sale rates: the built-in spec of the
/// node's chain, or the dev spec's values for a custom chain.
fn spec_for(chain: &str) -> ChainSpec {
    ChainSpec::builtin(chain).unwrap_or_else(|_| ChainSpec::dev())
}

/// Every listing matching `filter`, all pages.
async fn all_listings(ctx: &mut Ctx, mut filter: ListingFilter) -> Result<Vec<ListingView>> {
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = call!(ctx, state_get_listings(Some(filter.clone())))?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => {
                filter.page = PageRequest {
                    cursor: Some(c),
                    limit: None,
                }
            }
            None => break,
        }
    }
    Ok(out)
}

/// A listing with its current purchase (`state_getListing`).
pub(crate) async fn find_listing_detail(ctx: &mut Ctx, id: &str) -> Result<ListingDetailView> {
    let h = parse_hash(id, "listing id")?;
    call!(ctx, state_get_listing(H256(h.0)))?.ok_or_else(|| {
        anyhow!("no listing {h} on the best chain; see `infernet-wallet market listings --all`")
    })
}

async fn find_listing(ctx: &mut Ctx, id: &str) -> Result<ListingView> {
    Ok(find_listing_detail(ctx, id).await?.listing)
}

/// A purchase (`state_getPurchase`).
async fn get_purchase(ctx: &mut Ctx, id: H256) -> Result<PurchaseView> {
    call!(ctx, state_get_purchase(id))?
        .ok_or_else(|| anyhow!("purchase {} is unknown to the node", Hash(id.0)))
}

/// The seller's market history: the chain's counters and the pending deliveries.
async fn seller_history(ctx: &mut Ctx, seller: rpc::Address) -> Result<SellerHistory> {
    let stats = call!(ctx, state_get_seller_stats(seller))?;
    let listings = all_listings(
        ctx,
        ListingFilter {
            seller: Some(seller),
            status: Some(ListingStatus::Purchased),
            ..ListingFilter::default()
        },
    )
    .await?;
    Ok(listing::history(&stats, &listings))
}

/// Every complaint matching `filter`, all pages.
pub(crate) async fn all_complaints(
    ctx: &mut Ctx,
    mut filter: ComplaintFilter,
) -> Result<Vec<ComplaintView>> {
    let mut out: Vec<ComplaintView> = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = call!(ctx, state_get_complaints(Some(filter.clone())))?;
        let Some(last) = page.last() else { break };
        filter.page = PageRequest {
            cursor: Some(format!(
                "{}:{}",
                hex::encode(last.purchase.0),
                last.record_index
            )),
            limit: None,
        };
        out.extend(page);
    }
    Ok(out)
}

pub(crate) fn reason_name(r: ComplaintReasonView) -> &'static str {
    match r {
        ComplaintReasonView::KeyDoesNotOpen => "key_does_not_open",
        ComplaintReasonView::CommitmentMismatch => "commitment_mismatch",
        ComplaintReasonView::ReceiptMismatch => "receipt_mismatch",
        ComplaintReasonView::Other => "other",
    }
}

pub(crate) fn purchase_status_name(s: PurchaseStatusView) -> &'static str {
    match s {
        PurchaseStatusView::Pending => "pending",
        PurchaseStatusView::Delivered => "delivered",
        PurchaseStatusView::Refunded => "refunded",
    }
}

/// The fork lineage of `model` as the chain walks it for a sale.
async fn lineage(ctx: &mut Ctx, model: H256, max_depth: u8) -> Result<Vec<split::LineageLink>> {
    // Fetch the models the walk may visit, then let the library walk them.
    let mut known = std::collections::HashMap::new();
    let mut next = Some(model);
    while let Some(id) = next.take() {
        if known.len() >= usize::from(max_depth) || known.contains_key(&id.0) {
            break;
        }
        let Some(m) = call!(ctx, state_get_model(id))? else {
            break;
        };
        next = m.parent.map(|p| p.model);
        known.insert(
            id.0,
            ModelNode {
                owner: Address(m.owner.0),
                parent: m.parent.map(|p| (p.model.0, p.share_bps)),
            },
        );
    }
    Ok(split::lineage_of(model.0, max_depth, |id| {
        known.get(id).copied()
    }))
}

async fn fetch_records(ctx: &mut Ctx, ids: &[H256]) -> Result<Vec<RecordView>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = call!(ctx, state_get_record(*id))?.ok_or_else(|| {
            anyhow!(
                "record {} of the listing is missing on the node",
                Hash(id.0)
            )
        })?;
        out.push(r);
    }
    Ok(out)
}

fn status_name(s: ListingStatus) -> &'static str {
    match s {
        ListingStatus::Open => "open",
        ListingStatus::Purchased => "purchased",
        ListingStatus::Delivered => "delivered",
        ListingStatus::Cancelled => "cancelled",
        ListingStatus::Expired => "expired",
    }
}

// ---------------------------------------------------------------- list / cancel

async fn list(
    ctx: &mut Ctx,
    records: &[String],
    price: &str,
    until: Option<u64>,
    title: String,
    description: String,
) -> Result<()> {
    let price = parse_amount(price)?;
    let ids = records
        .iter()
        .map(|r| parse_hash(r, "record id"))
        .collect::<Result<Vec<_>>>()?;
    let (_, id) = ctx.unlock()?;
    let chain = chain_ctx(ctx).await?;
    let spec = spec_for(&chain.name);
    let mut fetched = Vec::with_capacity(ids.len());
    for r in &ids {
        fetched.push(call!(ctx, state_get_record(H256(r.0)))?);
    }
    let mine = all_listings(
        ctx,
        ListingFilter {
            seller: Some(rpc::Address(id.address().0)),
            ..ListingFilter::default()
        },
    )
    .await?;
    listing::check_listable(&id.address(), &ids, &fetched, &mine)?;
    let terms = listing::ListingTerms {
        records: ids.clone(),
        price,
        until: until.unwrap_or_else(|| listing::default_until(&spec.limits, chain.tip)),
        title,
        description,
    };
    let kind = listing::list_kind(&terms, &spec.limits, chain.tip)?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let signed = tx::sign(&id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let listing_id = submit(ctx, &signed, Amount::ZERO).await?;
    let record_hex: Vec<String> = ids.iter().map(Hash::to_hex).collect();
    ctx.print(
        &ListJson {
            listing_id: listing_id.to_hex(),
            records: record_hex,
            price: price.into(),
            until: terms.until,
        },
        || println!("{}", listing_id.to_hex()),
    )?;
    Ok(())
}

async fn cancel(ctx: &mut Ctx, listing_id: &str) -> Result<()> {
    let l = find_listing(ctx, listing_id).await?;
    let (_, id) = ctx.unlock()?;
    if l.seller.0 != id.address().0 {
        bail!(
            "listing {} belongs to {}, not to {}; only its seller can cancel it",
            Hash(l.id.0),
            Address(l.seller.0),
            id.address()
        );
    }
    if l.status != ListingStatus::Open {
        bail!(
            "listing {} is {}; only an open listing can be cancelled (a bought one is delivered or refunded at its deadline)",
            Hash(l.id.0),
            status_name(l.status)
        );
    }
    let chain = chain_ctx(ctx).await?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let kind = infernet_types::TxKind::CancelListing(infernet_types::CancelListing {
        listing: Hash(l.id.0),
    });
    let signed = tx::sign(&id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let txid = submit(ctx, &signed, Amount::ZERO).await?;
    ctx.print(
        &CancelJson {
            listing_id: Hash(l.id.0).to_hex(),
            txid: txid.to_hex(),
        },
        || println!("cancelled listing {} (tx {})", Hash(l.id.0), txid),
    )?;
    Ok(())
}

// ---------------------------------------------------------------- browsing

async fn listings(
    ctx: &mut Ctx,
    model: Option<String>,
    seller: Option<String>,
    max_price: Option<String>,
    all: bool,
) -> Result<()> {
    let filter = ListingFilter {
        seller: seller
            .map(|s| ctx.resolve_address(&s).map(|a| rpc::Address(a.0)))
            .transpose()?,
        model: model
            .map(|m| parse_hash(&m, "model id").map(|h| H256(h.0)))
            .transpose()?,
        status: (!all).then_some(ListingStatus::Open),
        page: PageRequest::default(),
    };
    let max_price = max_price.map(|p| parse_amount(&p)).transpose()?;
    let found: Vec<ListingView> = all_listings(ctx, filter)
        .await?
        .into_iter()
        .filter(|l| max_price.is_none_or(|m| l.price.0 <= m.0))
        .collect();
    let mut rows = Vec::new();
    let mut out = Vec::new();
    for l in &found {
        let recs = fetch_records(ctx, &l.records).await?;
        let summary = listing::summarize(&recs);
        let seller = Address(l.seller.0);
        let history = seller_history(ctx, l.seller).await?;
        rows.push(vec![
            Hash(l.id.0).to_hex(),
            summary.records.to_string(),
            summary
                .models
                .keys()
                .map(|m| m[..12].to_string())
                .collect::<Vec<_>>()
                .join(","),
            format!("{}/{}", summary.input_tokens, summary.output_tokens),
            format_inf(Amount(l.price.0)),
            seller.to_string(),
            format!(
                "{} sold, {} refunded, {} complaints",
                history.delivered, history.refunded, history.complaints
            ),
            status_name(l.status).to_string(),
        ]);
        out.push(ListingRowJson {
            listing_id: Hash(l.id.0).to_hex(),
            title: l.title.clone(),
            status: status_name(l.status),
            price: Amount(l.price.0).into(),
            until: l.until,
            seller: seller.to_string(),
            summary,
            seller_history: history,
        });
    }
    ctx.print(&out, || {
        if rows.is_empty() {
            println!("no listings match");
        } else {
            table(
                &[
                    "listing",
                    "records",
                    "models",
                    "tokens in/out",
                    "price",
                    "seller",
                    "seller history",
                    "status",
                ],
                rows,
            );
        }
    })?;
    Ok(())
}

async fn show(ctx: &mut Ctx, listing_id: &str) -> Result<()> {
    let (value, human) = listing_detail(ctx, listing_id).await?;
    ctx.print(&value, human)?;
    Ok(())
}

/// Everything public about a listing (`market show`, `explore listing`): records, models,
/// token totals, miners and their attestation, dates, price, the seller and the seller's
/// history, the sale split (with the models' fork lineage), the status, the current purchase
/// (buyer, deadline, delivery) and the complaints about it. Never content. Returns the JSON
/// view and a printer for people.
pub(crate) async fn listing_detail(
    ctx: &mut Ctx,
    listing_id: &str,
) -> Result<(ListingDetailJson, impl FnOnce() + use<>)> {
    let detail = find_listing_detail(ctx, listing_id).await?;
    let l = detail.listing;
    let chain = chain_ctx(ctx).await?;
    let spec = spec_for(&chain.name);
    let recs = fetch_records(ctx, &l.records).await?;
    let summary = listing::summarize(&recs);
    let seller = Address(l.seller.0);
    let history = seller_history(ctx, l.seller).await?;
    // Attestation status and model lineages, per miner / model.
    let mut payees = Vec::with_capacity(recs.len());
    let mut attested = Vec::new();
    for r in &recs {
        payees.push(RecordPayees {
            miner: Address(r.miner.0),
            lineage: lineage(ctx, r.model, spec.max_lineage_depth).await?,
        });
        let att = match call!(ctx, state_get_miner(r.miner))? {
            Some(m) => crate::ranking::attestation_name(&m),
            None => "unregistered",
        };
        attested.push(ListedRecordJson {
            record: Hash(r.id.0).to_hex(),
            miner: Address(r.miner.0).to_string(),
            attestation: att,
            minted_at: r.minted_at,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            model: Hash(r.model.0).to_hex(),
        });
    }
    let split = split::sale_split(Amount(l.price.0), seller, &payees, spec.sale_royalties)?;
    let credits: Vec<CreditJson> = split
        .credits
        .iter()
        .map(|((a, role), v)| CreditJson {
            to: a.to_string(),
            role: *role,
            amount: (*v).into(),
        })
        .collect();
    let purchase = detail.purchase_detail;
    let complaints = match &purchase {
        Some(p) => {
            all_complaints(
                ctx,
                ComplaintFilter {
                    purchase: Some(p.id),
                    ..ComplaintFilter::default()
                },
            )
            .await?
        }
        None => Vec::new(),
    };
    let purchase_json = purchase.as_ref().map(|p| PurchaseJson {
        purchase_id: Hash(p.id.0).to_hex(),
        buyer: Address(p.buyer.0).to_string(),
        status: purchase_status_name(p.status),
        price: Amount(p.price.0).into(),
        bought_at: p.created_at,
        deadline: p.deadline,
        delivered_at: p.delivered_at,
        refunded_at: p.refunded_at,
        complaint_deadline: p.complaint_deadline,
    });
    let value = ListingDetailJson {
        listing_id: Hash(l.id.0).to_hex(),
        title: l.title.clone(),
        description: l.description.clone(),
        status: status_name(l.status),
        price: Amount(l.price.0).into(),
        until: l.until,
        created_at: l.created_at,
        seller: seller.to_string(),
        purchase: l.purchase.map(|p| Hash(p.0).to_hex()),
        purchase_detail: purchase_json,
        summary: summary.clone(),
        records: attested,
        seller_history: history.clone(),
        sale_split: credits,
        delivery_window: spec.delivery_window,
        complaints: complaints.iter().map(ComplaintJson::from).collect(),
    };
    let human = move || {
        let mut rows = vec![
            vec!["listing".into(), Hash(l.id.0).to_hex()],
            vec!["title".into(), l.title.clone()],
            vec!["description".into(), l.description.clone()],
            vec!["status".into(), status_name(l.status).into()],
            vec!["price".into(), format_inf(Amount(l.price.0))],
            vec!["listed at".into(), l.created_at.to_string()],
            vec!["open until height".into(), l.until.to_string()],
            vec!["seller".into(), seller.to_string()],
            vec!["seller history".into(), history_text(&history)],
            vec!["records".into(), summary.records.to_string()],
            vec![
                "tokens in/out".into(),
                format!("{}/{}", summary.input_tokens, summary.output_tokens),
            ],
            vec![
                "minted".into(),
                format!(
                    "heights {}..{}",
                    summary.first_minted.unwrap_or(0),
                    summary.last_minted.unwrap_or(0)
                ),
            ],
            vec![
                "models".into(),
                summary
                    .models
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
            vec![
                "miners".into(),
                summary
                    .miners
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
            vec![
                "delivery".into(),
                format!(
                    "the seller has {} blocks after a purchase to deliver, else the price is refunded",
                    spec.delivery_window
                ),
            ],
        ];
        if let Some(p) = &purchase {
            rows.push(vec!["purchase".into(), Hash(p.id.0).to_hex()]);
            rows.push(vec!["buyer".into(), Address(p.buyer.0).to_string()]);
            rows.push(vec![
                "purchase status".into(),
                match (p.delivered_at, p.refunded_at) {
                    (Some(h), _) => format!("delivered at height {h}"),
                    (None, Some(h)) => format!("refunded at height {h}"),
                    (None, None) => format!("pending, deliver by height {}", p.deadline),
                },
            ]);
        }
        kv(rows);
        let rows = split
            .credits
            .iter()
            .map(|((a, role), v)| vec![format!("{role:?}"), a.to_string(), format_inf(*v)])
            .collect();
        println!();
        table(&["sale split", "to", "amount"], rows);
        if !complaints.is_empty() {
            println!();
            complaints_table(&complaints);
        }
    };
    Ok((value, human))
}

fn history_text(h: &SellerHistory) -> String {
    format!(
        "{} listings, {} delivered, {} refunded, {} awaiting delivery, {} cancelled, {} complaints",
        h.listings, h.delivered, h.refunded, h.awaiting_delivery, h.cancelled, h.complaints
    )
}

impl From<&ComplaintView> for ComplaintJson {
    fn from(c: &ComplaintView) -> ComplaintJson {
        ComplaintJson {
            purchase: Hash(c.purchase.0).to_hex(),
            record_index: c.record_index,
            listing: Hash(c.listing.0).to_hex(),
            record: Hash(c.record.0).to_hex(),
            buyer: Address(c.buyer.0).to_string(),
            seller: Address(c.seller.0).to_string(),
            reason: reason_name(c.reason),
            detail: c.detail.clone(),
            height: c.height,
            txid: c.txid.map(|t| Hash(t.0).to_hex()),
        }
    }
}

fn complaints_table(cs: &[ComplaintView]) {
    table(
        &["height", "seller", "buyer", "record", "reason", "detail"],
        cs.iter()
            .map(|c| {
                vec![
                    c.height.to_string(),
                    Address(c.seller.0).to_string(),
                    Address(c.buyer.0).to_string(),
                    format!("{} (#{})", &hex::encode(c.record.0)[..16], c.record_index),
                    reason_name(c.reason).to_owned(),
                    c.detail.clone(),
                ]
            })
            .collect(),
    );
}

// ---------------------------------------------------------------- buy

async fn buy(ctx: &mut Ctx, listing_id: &str, wait: bool) -> Result<()> {
    let l = find_listing(ctx, listing_id).await?;
    if l.status != ListingStatus::Open {
        bail!(
            "listing {} is {} and cannot be bought",
            Hash(l.id.0),
            status_name(l.status)
        );
    }
    let (_, id) = ctx.unlock()?;
    if l.seller.0 == id.address().0 {
        bail!(
            "listing {} is your own; a seller cannot buy it",
            Hash(l.id.0)
        );
    }
    let chain = chain_ctx(ctx).await?;
    let spec = spec_for(&chain.name);
    let nonce = next_nonce(ctx, &id.address()).await?;
    let kind = infernet_types::TxKind::Buy(infernet_types::Buy {
        listing: Hash(l.id.0),
        reply_key: id.reply_secret().public_key(),
    });
    let signed = tx::sign(&id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let purchase = submit(ctx, &signed, Amount(l.price.0)).await?;
    let height = if wait {
        Some(wait_confirmed(ctx, purchase, Duration::from_secs(120)).await?)
    } else {
        None
    };
    // The chain's deadline: the last height at which the seller may deliver.
    let deadline = match height {
        Some(_) => Some(get_purchase(ctx, H256(purchase.0)).await?.deadline),
        None => None,
    };
    ctx.print(
        &BuyJson {
            purchase_id: purchase.to_hex(),
            listing_id: Hash(l.id.0).to_hex(),
            price: Amount(l.price.0).into(),
            height,
            deadline,
        },
        || {
            println!(
                "bought listing {} for {} (purchase {}); the seller has {} blocks to deliver, else the price is refunded",
                Hash(l.id.0),
                format_inf(Amount(l.price.0)),
                purchase,
                spec.delivery_window.max(1)
            );
            println!("after delivery: infernet-wallet market verify {}", Hash(l.id.0));
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------- deliver / watch

/// The buyer and reply key of purchase `purchase`.
async fn purchase_parties(ctx: &mut Ctx, purchase: H256) -> Result<(Address, ReplyPublicKey)> {
    let p = get_purchase(ctx, purchase).await?;
    Ok((Address(p.buyer.0), ReplyPublicKey(p.reply_key.0)))
}

/// Delivers the pending purchase of `l` (the caller's listing); returns the txid.
async fn deliver_listing(
    ctx: &mut Ctx,
    name: &str,
    id: &infernet_crypto::Identity,
    l: &ListingView,
) -> Result<Hash> {
    let purchase = l
        .purchase
        .filter(|_| l.status == ListingStatus::Purchased)
        .ok_or_else(|| {
            anyhow!(
                "listing {} is {}; only a purchased listing waits for delivery",
                Hash(l.id.0),
                status_name(l.status)
            )
        })?;
    if l.seller.0 != id.address().0 {
        bail!(
            "listing {} belongs to {}, not to key {name}",
            Hash(l.id.0),
            Address(l.seller.0)
        );
    }
    let (buyer, buyer_reply) = purchase_parties(ctx, purchase).await?;
    let chain = chain_ctx(ctx).await?;
    let recs = fetch_records(ctx, &l.records).await?;
    let kind = delivery::delivery(
        &id.reply_secret(),
        chain.chain_id,
        name,
        &recs,
        &buyer,
        &buyer_reply,
        Hash(purchase.0),
    )?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let signed = tx::sign(id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    submit(ctx, &signed, Amount::ZERO).await
}

async fn deliver_cmd(ctx: &mut Ctx, listing_id: &str) -> Result<()> {
    let l = find_listing(ctx, listing_id).await?;
    let (name, id) = ctx.unlock()?;
    let txid = deliver_listing(ctx, &name, &id, &l).await?;
    ctx.print(
        &DeliverJson {
            listing_id: Hash(l.id.0).to_hex(),
            purchase_id: l.purchase.map(|p| Hash(p.0).to_hex()),
            txid: txid.to_hex(),
        },
        || println!("delivered listing {} (tx {txid})", Hash(l.id.0)),
    )?;
    Ok(())
}

async fn watch(ctx: &mut Ctx, once: bool, poll_ms: u64) -> Result<()> {
    // Unlock once up front so a password prompt happens now, not at the first sale.
    let (name, id) = ctx.unlock()?;
    let me = rpc::Address(id.address().0);
    let mut sent: HashSet<[u8; 32]> = HashSet::new();
    let mut last_tip = None;
    if !ctx.json {
        eprintln!(
            "watching the listings of {} for purchases (Ctrl-C to stop)",
            id.address()
        );
    }
    loop {
        let tip = call!(ctx, chain_get_tip())?.height;
        if last_tip != Some(tip) {
            last_tip = Some(tip);
            let pending = all_listings(
                ctx,
                ListingFilter {
                    seller: Some(me),
                    status: Some(ListingStatus::Purchased),
                    ..ListingFilter::default()
                },
            )
            .await?;
            for l in pending {
                let Some(p) = l.purchase else { continue };
                if !sent.insert(p.0) {
                    continue;
                }
                match deliver_listing(ctx, &name, &id, &l).await {
                    Ok(txid) => ctx.print(
                        &DeliveredEventJson {
                            event: "delivered",
                            listing_id: Hash(l.id.0).to_hex(),
                            purchase_id: Hash(p.0).to_hex(),
                            txid: txid.to_hex(),
                            height: tip,
                        },
                        || {
                            println!(
                                "height {tip}: delivered listing {} to purchase {} (tx {txid})",
                                Hash(l.id.0),
                                Hash(p.0)
                            )
                        },
                    )?,
                    Err(e) => {
                        // Retry at the next block: the failure may be transient (node busy).
                        sent.remove(&p.0);
                        eprintln!(
                            "height {tip}: delivering listing {} failed: {e:#}",
                            Hash(l.id.0)
                        );
                    }
                }
            }
            if once {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(poll_ms.max(50))).await;
    }
}

// ---------------------------------------------------------------- verify / complaints

/// Signs and submits a `Complain` from `id`; returns its txid.
async fn post_complaint(
    ctx: &mut Ctx,
    id: &infernet_crypto::Identity,
    purchase: Hash,
    record_index: u32,
    reason: ComplaintReason,
    detail: &str,
) -> Result<Hash> {
    let chain = chain_ctx(ctx).await?;
    let spec = spec_for(&chain.name);
    let kind = complaint::complain_kind(
        purchase,
        record_index,
        reason,
        detail,
        spec.limits.max_string_bytes as usize,
    );
    let nonce = next_nonce(ctx, &id.address()).await?;
    let signed = tx::sign(id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    submit(ctx, &signed, Amount::ZERO).await
}

/// Checks that `purchase` was delivered to `id` and the complaint window is open.
fn check_can_complain(p: &PurchaseView, id: &infernet_crypto::Identity, tip: u64) -> Result<()> {
    if p.buyer.0 != id.address().0 {
        bail!(
            "purchase {} was made by {}, not by {}; only its buyer can complain",
            Hash(p.id.0),
            Address(p.buyer.0),
            id.address()
        );
    }
    if p.status != PurchaseStatusView::Delivered {
        bail!(
            "purchase {} is {}; only a delivered purchase can be complained about",
            Hash(p.id.0),
            purchase_status_name(p.status)
        );
    }
    if let Some(last) = p.complaint_deadline
        && tip >= last
    {
        bail!(
            "the complaint window of purchase {} closed at height {last} (tip {tip})",
            Hash(p.id.0)
        );
    }
    Ok(())
}

async fn verify(ctx: &mut Ctx, listing_id: &str, complain: bool) -> Result<()> {
    let detail = find_listing_detail(ctx, listing_id).await?;
    let l = detail.listing;
    let (name, id) = ctx.unlock()?;
    let chain = chain_ctx(ctx).await?;
    let purchase = detail
        .purchase_detail
        .ok_or_else(|| anyhow!("listing {} has no purchase to verify", Hash(l.id.0)))?;
    if purchase.buyer.0 != id.address().0 {
        bail!(
            "purchase {} was made by {}, not by key {name}",
            Hash(purchase.id.0),
            Address(purchase.buyer.0)
        );
    }
    if purchase.status != PurchaseStatusView::Delivered {
        bail!(
            "purchase {} of listing {} is {}: nothing was delivered (an undelivered purchase is refunded at its deadline)",
            Hash(purchase.id.0),
            Hash(l.id.0),
            purchase_status_name(purchase.status)
        );
    }
    if complain {
        check_can_complain(&purchase, &id, chain.tip)?;
    }
    let recs = fetch_records(ctx, &l.records).await?;
    let mut verdicts = Vec::new();
    let mut filed = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        let job = call!(ctx, state_get_job(r.id))?;
        let (v, _pair) =
            provenance::verify_record(&id.reply_secret(), chain.chain_id, &name, r, job.as_ref());
        if complain && let Some(check) = v.failed_check {
            let index = u32::try_from(i).context("record index")?;
            let reason = complaint::reason_for(check);
            let txid = post_complaint(
                ctx,
                &id,
                Hash(purchase.id.0),
                index,
                reason,
                &format!(
                    "{} check failed: {}",
                    check.name(),
                    v.reason.as_deref().unwrap_or("")
                ),
            )
            .await
            .with_context(|| format!("posting the complaint about record #{i}"))?;
            filed.push(FiledComplaintJson {
                record: v.record.clone(),
                record_index: index,
                reason: reason.name(),
                txid: txid.to_hex(),
            });
        }
        verdicts.push(v);
    }
    let all_ok = verdicts.iter().all(|v| v.verified);
    ctx.print(
        &VerifyJson {
            listing_id: Hash(l.id.0).to_hex(),
            purchase_id: Hash(purchase.id.0).to_hex(),
            verified: all_ok,
            records: verdicts.clone(),
            complaints: filed.clone(),
        },
        || {
            for v in &verdicts {
                println!("{}", verdict_line(v));
            }
            for f in &filed {
                println!(
                    "complaint posted about record #{} ({}): tx {}",
                    f.record_index, f.reason, f.txid
                );
            }
        },
    )?;
    if !all_ok {
        bail!(
            "provenance verification failed for {} of {} records{}",
            verdicts.iter().filter(|v| !v.verified).count(),
            verdicts.len(),
            if complain {
                "; complaints posted on chain (they show in the seller's history once mined)"
            } else {
                "; run again with --complain to post an on-chain complaint per failed record"
            }
        );
    }
    Ok(())
}

async fn complain_cmd(
    ctx: &mut Ctx,
    purchase: &str,
    record_index: u32,
    reason: &str,
    detail: &str,
) -> Result<()> {
    let reason = complaint::parse_reason(reason).ok_or_else(|| {
        anyhow!(
            "--reason {reason:?} is not one of key_does_not_open, commitment_mismatch, receipt_mismatch, other"
        )
    })?;
    let pid = parse_hash(purchase, "purchase id")?;
    let p = get_purchase(ctx, H256(pid.0)).await?;
    let (_, id) = ctx.unlock()?;
    let tip = chain_ctx(ctx).await?.tip;
    check_can_complain(&p, &id, tip)?;
    let l = find_listing(ctx, &Hash(p.listing.0).to_hex()).await?;
    let record = l.records.get(record_index as usize).ok_or_else(|| {
        anyhow!(
            "listing {} has {} records; RECORD_INDEX counts from 0",
            Hash(l.id.0),
            l.records.len()
        )
    })?;
    let txid = post_complaint(ctx, &id, pid, record_index, reason, detail).await?;
    ctx.print(
        &ComplainJson {
            purchase_id: pid.to_hex(),
            record_index,
            record: Hash(record.0).to_hex(),
            reason: reason.name(),
            txid: txid.to_hex(),
        },
        || {
            println!(
                "complaint about record #{record_index} ({}) of purchase {pid} posted (tx {txid})",
                Hash(record.0)
            );
        },
    )?;
    Ok(())
}

async fn complaints(ctx: &mut Ctx, seller: Option<String>, purchase: Option<String>) -> Result<()> {
    let filter = ComplaintFilter {
        seller: seller
            .map(|s| ctx.resolve_address(&s).map(|a| rpc::Address(a.0)))
            .transpose()?,
        purchase: purchase
            .map(|p| parse_hash(&p, "purchase id").map(|h| H256(h.0)))
            .transpose()?,
        page: PageRequest::default(),
    };
    let found = all_complaints(ctx, filter).await?;
    ctx.print(
        &ComplaintsJson {
            complaints: found.iter().map(ComplaintJson::from).collect(),
        },
        || complaints_table(&found),
    )?;
    Ok(())
}

// ---------------------------------------------------------------- --json documents

/// `market list --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListJson {
    /// The new listing's id (hex; the id of its `ListRecords` transaction).
    pub listing_id: String,
    /// The records listed (hex), in the order the buyer receives them.
    pub records: Vec<String>,
    /// The price of the whole listing.
    pub price: AmountJson,
    /// The last height at which it can be bought.
    pub until: u64,
}

/// `market cancel --json`.
#[derive(Debug, Clone, Serialize)]
pub struct CancelJson {
    /// The listing withdrawn (hex).
    pub listing_id: String,
    /// The `CancelListing` transaction id (hex).
    pub txid: String,
}

/// One listing of `market listings --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListingRowJson {
    /// The listing id (hex).
    pub listing_id: String,
    /// Its title.
    pub title: String,
    /// `open`, `purchased`, `delivered`, `cancelled` or `expired`.
    pub status: &'static str,
    /// Its price.
    pub price: AmountJson,
    /// The last height at which it can be bought.
    pub until: u64,
    /// The seller (`inf1…`).
    pub seller: String,
    /// What the bundle holds: counts, models, tokens, miners, dates.
    pub summary: BundleSummary,
    /// The seller's market history, from the chain.
    pub seller_history: SellerHistory,
}

/// `market show --json` and `explore listing --json`: everything public about a listing,
/// never content.
#[derive(Debug, Clone, Serialize)]
pub struct ListingDetailJson {
    /// The listing id (hex).
    pub listing_id: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// `open`, `purchased`, `delivered`, `cancelled` or `expired`.
    pub status: &'static str,
    /// Its price.
    pub price: AmountJson,
    /// The last height at which it can be bought.
    pub until: u64,
    /// The height it was listed at.
    pub created_at: u64,
    /// The seller (`inf1…`).
    pub seller: String,
    /// Its current purchase (hex), else null.
    pub purchase: Option<String>,
    /// That purchase in detail, else null.
    pub purchase_detail: Option<PurchaseJson>,
    /// What the bundle holds: counts, models, tokens, miners, dates.
    pub summary: BundleSummary,
    /// Each record's public data, in listing order.
    pub records: Vec<ListedRecordJson>,
    /// The seller's market history, from the chain.
    pub seller_history: SellerHistory,
    /// Who a sale at this price credits, and how much (as the chain would).
    pub sale_split: Vec<CreditJson>,
    /// Blocks the seller has after a purchase to deliver before the price is refunded.
    pub delivery_window: u64,
    /// The complaints about the current purchase.
    pub complaints: Vec<ComplaintJson>,
}

/// One record of [`ListingDetailJson`].
#[derive(Debug, Clone, Serialize)]
pub struct ListedRecordJson {
    /// The record id (hex).
    pub record: String,
    /// The miner that produced it (`inf1…`).
    pub miner: String,
    /// That miner's attestation: `none`, `simulated`, `tdx` or `unregistered`.
    pub attestation: &'static str,
    /// The height it was minted at.
    pub minted_at: u64,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Tokens generated.
    pub output_tokens: u32,
    /// The model (hex id).
    pub model: String,
}

/// One credit of a sale split.
#[derive(Debug, Clone, Serialize)]
pub struct CreditJson {
    /// Who is credited (`inf1…`).
    pub to: String,
    /// As what: the seller, a miner or a model owner.
    pub role: Role,
    /// How much.
    pub amount: AmountJson,
}

/// A listing's purchase in [`ListingDetailJson`].
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseJson {
    /// The purchase id (hex; the id of its `Buy` transaction).
    pub purchase_id: String,
    /// The buyer (`inf1…`).
    pub buyer: String,
    /// `pending`, `delivered` or `refunded`.
    pub status: &'static str,
    /// The price escrowed.
    pub price: AmountJson,
    /// The height it was bought at.
    pub bought_at: u64,
    /// The last height at which the seller may deliver.
    pub deadline: u64,
    /// The height it was delivered at, else null.
    pub delivered_at: Option<u64>,
    /// The height it was refunded at, else null.
    pub refunded_at: Option<u64>,
    /// The last height at which the buyer may complain, once delivered; else null.
    pub complaint_deadline: Option<u64>,
}

/// A complaint on chain (`market complaints`, [`ListingDetailJson`]).
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintJson {
    /// The purchase complained about (hex).
    pub purchase: String,
    /// The record's index in the listing.
    pub record_index: u32,
    /// The listing (hex).
    pub listing: String,
    /// The record (hex).
    pub record: String,
    /// The buyer who complained (`inf1…`).
    pub buyer: String,
    /// The seller (`inf1…`).
    pub seller: String,
    /// `key_does_not_open`, `commitment_mismatch`, `receipt_mismatch` or `other`.
    pub reason: &'static str,
    /// The buyer's free text.
    pub detail: String,
    /// The height of the block it is in.
    pub height: u64,
    /// The `Complain` transaction id (hex), when the node knows it.
    pub txid: Option<String>,
}

/// `market complaints --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintsJson {
    /// The complaints found.
    pub complaints: Vec<ComplaintJson>,
}

/// `market buy --json`.
#[derive(Debug, Clone, Serialize)]
pub struct BuyJson {
    /// The purchase id (hex; the id of its `Buy` transaction).
    pub purchase_id: String,
    /// The listing bought (hex).
    pub listing_id: String,
    /// The price escrowed.
    pub price: AmountJson,
    /// The height of the block it is in, with `--wait`; else null.
    pub height: Option<u64>,
    /// The last height at which the seller may deliver, with `--wait`; else null.
    pub deadline: Option<u64>,
}

/// `market deliver --json`.
#[derive(Debug, Clone, Serialize)]
pub struct DeliverJson {
    /// The listing delivered (hex).
    pub listing_id: String,
    /// Its purchase (hex).
    pub purchase_id: Option<String>,
    /// The `Deliver` transaction id (hex).
    pub txid: String,
}

/// One line of `market watch --json` per delivery.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveredEventJson {
    /// Always `delivered`.
    pub event: &'static str,
    /// The listing delivered (hex).
    pub listing_id: String,
    /// Its purchase (hex).
    pub purchase_id: String,
    /// The `Deliver` transaction id (hex).
    pub txid: String,
    /// The tip's height when it was sent.
    pub height: u64,
}

/// A complaint `market verify --complain` posted.
#[derive(Debug, Clone, Serialize)]
pub struct FiledComplaintJson {
    /// The record (hex).
    pub record: String,
    /// Its index in the listing.
    pub record_index: u32,
    /// The reason posted (`key_does_not_open`, …).
    pub reason: &'static str,
    /// The `Complain` transaction id (hex).
    pub txid: String,
}

/// `market verify --json`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyJson {
    /// The listing (hex).
    pub listing_id: String,
    /// The purchase checked (hex).
    pub purchase_id: String,
    /// Whether every record passed.
    pub verified: bool,
    /// Each record's verdict, in listing order.
    pub records: Vec<Verdict>,
    /// The complaints posted (with `--complain`).
    pub complaints: Vec<FiledComplaintJson>,
}

/// `market complain --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ComplainJson {
    /// The purchase (hex).
    pub purchase_id: String,
    /// The record's index in the listing.
    pub record_index: u32,
    /// The record (hex).
    pub record: String,
    /// The reason posted.
    pub reason: &'static str,
    /// The `Complain` transaction id (hex).
    pub txid: String,
}
