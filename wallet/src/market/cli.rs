//! The `market` subcommand: flags and handlers (a module of the `infernet-wallet` binary).
//!
//! It uses the binary's node client, key unlocking, transaction submission and table
//! printing (`Ctx`, `call!`, `submit`, `table`, `kv`), and the library's
//! [`infernet_wallet::market`] for everything that needs no node. Commands:
//! `list`, `listings`, `show`, `buy`, `deliver`, `watch`, `cancel`, `verify` (provenance of a
//! bought listing, `--complain` to sign a complaint per failed record) and `complaints`.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use infernet_crypto::{Address, Hash};
use infernet_rpc::client::InfernetApiClient;
use infernet_rpc::views::{
    ListingFilter, ListingStatus, ListingView, PageRequest, RecordView, TxKindView,
};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, ChainSpec, ReplyPublicKey};
use infernet_wallet::amount::{format_inf, parse_amount};
use infernet_wallet::market::complaint::{Complaint, ComplaintStore};
use infernet_wallet::market::split::{self, RecordPayees};
use infernet_wallet::market::{delivery, listing, provenance};
use infernet_wallet::tx;
use serde_json::{Value, json};

use crate::{Ctx, amount_json, chain_ctx, kv, next_nonce, parse_hash, rpc_err, submit, table};

/// `market`: sell and buy records as training data.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum MarketCmd {
    /// Offer one record or a bundle (a dataset) for sale; prints the listing id.
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
        /// Sign and store a complaint for each record that fails.
        #[arg(long)]
        complain: bool,
    },
    /// Signed complaints this wallet holds (filed or imported), optionally against a seller.
    Complaints {
        /// Only complaints against this seller (address or key name).
        #[arg(long)]
        seller: Option<String>,
        /// Import a complaint file someone gave you (its signature is checked).
        #[arg(long)]
        import: Option<std::path::PathBuf>,
    },
}

/// Runs a `market` command.
pub(crate) async fn run(ctx: &mut Ctx, cmd: MarketCmd) -> Result<()> {
    match cmd {
        MarketCmd::List {
            records,
            price,
            until,
            title,
            description,
        } => list(ctx, &records, &price, until, title, description).await,
        MarketCmd::Listings {
            model,
            seller,
            max_price,
            all,
        } => listings(ctx, model, seller, max_price, all).await,
        MarketCmd::Show { listing } => show(ctx, &listing).await,
        MarketCmd::Buy { listing, wait } => buy(ctx, &listing, wait).await,
        MarketCmd::Deliver { listing } => deliver_cmd(ctx, &listing).await,
        MarketCmd::Watch { once, poll_ms } => watch(ctx, once, poll_ms).await,
        MarketCmd::Cancel { listing } => cancel(ctx, &listing).await,
        MarketCmd::Verify { listing, complain } => verify(ctx, &listing, complain).await,
        MarketCmd::Complaints { seller, import } => complaints(ctx, seller, import).await,
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
    for _ in 0..crate::MAX_PAGES {
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

async fn find_listing(ctx: &mut Ctx, id: &str) -> Result<ListingView> {
    let h = parse_hash(id, "listing id")?;
    all_listings(ctx, ListingFilter::default())
        .await?
        .into_iter()
        .find(|l| l.id.0 == h.0)
        .ok_or_else(|| {
            anyhow!("no listing {h} on the best chain; see `infernet-wallet market listings --all`")
        })
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
        &json!({ "listing_id": listing_id.to_hex(), "records": record_hex, "price": amount_json(price), "until": terms.until }),
        || println!("{}", listing_id.to_hex()),
    );
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
    let kind = infernet_types::TxKind::CancelListing {
        listing: Hash(l.id.0),
    };
    let signed = tx::sign(&id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let txid = submit(ctx, &signed, Amount::ZERO).await?;
    ctx.print(
        &json!({ "listing_id": Hash(l.id.0).to_hex(), "txid": txid.to_hex() }),
        || println!("cancelled listing {} (tx {})", Hash(l.id.0), txid),
    );
    Ok(())
}

// ---------------------------------------------------------------- browsing

fn complaints_against(ctx: &Ctx, seller: &Address, chain_id: u64) -> usize {
    ComplaintStore::new(ctx.wallet.root())
        .against(seller, chain_id)
        .map(|c| c.len())
        .unwrap_or(0)
}

async fn listings(
    ctx: &mut Ctx,
    model: Option<String>,
    seller: Option<String>,
    max_price: Option<String>,
    all: bool,
) -> Result<()> {
    let chain = chain_ctx(ctx).await?;
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
        let seller_listings = all_listings(
            ctx,
            ListingFilter {
                seller: Some(l.seller),
                ..ListingFilter::default()
            },
        )
        .await?;
        let history = listing::history(
            &seller_listings,
            complaints_against(ctx, &seller, chain.chain_id),
        );
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
                "{} sold, {} pending, {} complaints",
                history.delivered, history.awaiting_delivery, history.complaints
            ),
            status_name(l.status).to_string(),
        ]);
        out.push(json!({
            "listing_id": Hash(l.id.0).to_hex(),
            "title": l.title,
            "status": status_name(l.status),
            "price": amount_json(Amount(l.price.0)),
            "until": l.until,
            "seller": seller.to_string(),
            "summary": summary,
            "seller_history": history,
        }));
    }
    ctx.print(&json!(out), || {
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
    });
    Ok(())
}

async fn show(ctx: &mut Ctx, listing_id: &str) -> Result<()> {
    let l = find_listing(ctx, listing_id).await?;
    let chain = chain_ctx(ctx).await?;
    let spec = spec_for(&chain.name);
    let recs = fetch_records(ctx, &l.records).await?;
    let summary = listing::summarize(&recs);
    let seller = Address(l.seller.0);
    let seller_listings = all_listings(
        ctx,
        ListingFilter {
            seller: Some(l.seller),
            ..ListingFilter::default()
        },
    )
    .await?;
    let history = listing::history(
        &seller_listings,
        complaints_against(ctx, &seller, chain.chain_id),
    );
    // Attestation status and model owners, per miner / model.
    let mut payees = Vec::with_capacity(recs.len());
    let mut attested = Vec::new();
    for r in &recs {
        let owner = call!(ctx, state_get_model(r.model))?.map(|m| Address(m.owner.0));
        payees.push(RecordPayees {
            miner: Address(r.miner.0),
            model_owner: owner,
        });
        let att = match call!(ctx, state_get_miner(r.miner))? {
            Some(m) => infernet_wallet::ranking::attestation_name(&m),
            None => "unregistered",
        };
        attested.push(json!({ "record": Hash(r.id.0).to_hex(), "miner": Address(r.miner.0).to_string(), "attestation": att, "minted_at": r.minted_at, "input_tokens": r.input_tokens, "output_tokens": r.output_tokens, "model": Hash(r.model.0).to_hex() }));
    }
    let split = split::sale_split(Amount(l.price.0), seller, &payees, spec.sale_royalties)?;
    let credits: Vec<Value> = split
        .credits
        .iter()
        .map(|((a, role), v)| json!({ "to": a.to_string(), "role": role, "amount": amount_json(*v) }))
        .collect();
    let value = json!({
        "listing_id": Hash(l.id.0).to_hex(),
        "title": l.title,
        "description": l.description,
        "status": status_name(l.status),
        "price": amount_json(Amount(l.price.0)),
        "until": l.until,
        "created_at": l.created_at,
        "seller": seller.to_string(),
        "purchase": l.purchase.map(|p| Hash(p.0).to_hex()),
        "summary": summary,
        "records": attested,
        "seller_history": history,
        "sale_split": credits,
        "delivery_window": spec.delivery_window,
    });
    ctx.print(&value, || {
        kv(vec![
            vec!["listing".into(), Hash(l.id.0).to_hex()],
            vec!["title".into(), l.title.clone()],
            vec!["description".into(), l.description.clone()],
            vec!["status".into(), status_name(l.status).into()],
            vec!["price".into(), format_inf(Amount(l.price.0))],
            vec!["open until height".into(), l.until.to_string()],
            vec!["seller".into(), seller.to_string()],
            vec![
                "seller history".into(),
                format!(
                    "{} listings, {} delivered, {} awaiting delivery, {} cancelled, {} complaints",
                    history.listings, history.delivered, history.awaiting_delivery, history.cancelled, history.complaints
                ),
            ],
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
            vec!["models".into(), summary.models.keys().cloned().collect::<Vec<_>>().join(", ")],
            vec!["miners".into(), summary.miners.iter().cloned().collect::<Vec<_>>().join(", ")],
            vec![
                "delivery".into(),
                format!(
                    "the seller has {} blocks after a purchase to deliver, else the price is refunded",
                    spec.delivery_window
                ),
            ],
        ]);
        let rows = split
            .credits
            .iter()
            .map(|((a, role), v)| vec![format!("{role:?}"), a.to_string(), format_inf(*v)])
            .collect();
        println!();
        table(&["sale split", "to", "amount"], rows);
    });
    Ok(())
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
    let kind = infernet_types::TxKind::Buy {
        listing: Hash(l.id.0),
        reply_key: id.reply_secret().public_key(),
    };
    let signed = tx::sign(&id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let purchase = submit(ctx, &signed, Amount(l.price.0)).await?;
    let height = if wait {
        Some(crate::wait_confirmed(ctx, purchase, Duration::from_secs(120)).await?)
    } else {
        None
    };
    let deadline = height.map(|h| h + spec.delivery_window.max(1));
    ctx.print(
        &json!({
            "purchase_id": purchase.to_hex(),
            "listing_id": Hash(l.id.0).to_hex(),
            "price": amount_json(Amount(l.price.0)),
            "height": height,
            "deadline": deadline,
        }),
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
    );
    Ok(())
}

// ---------------------------------------------------------------- deliver / watch

/// The buyer and reply key of purchase `purchase` (from its `Buy` transaction).
async fn purchase_parties(ctx: &mut Ctx, purchase: H256) -> Result<(Address, ReplyPublicKey)> {
    let t = call!(ctx, tx_get(purchase))?.ok_or_else(|| {
        anyhow!(
            "the purchase transaction {} is unknown to the node",
            Hash(purchase.0)
        )
    })?;
    match t.tx.kind {
        TxKindView::Buy { reply_key, .. } => {
            Ok((Address(t.tx.sender.0), ReplyPublicKey(reply_key.0)))
        }
        _ => bail!("transaction {} is not a Buy", Hash(purchase.0)),
    }
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
        &json!({ "listing_id": Hash(l.id.0).to_hex(), "purchase_id": l.purchase.map(|p| Hash(p.0).to_hex()), "txid": txid.to_hex() }),
        || println!("delivered listing {} (tx {txid})", Hash(l.id.0)),
    );
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
                        &json!({ "event": "delivered", "listing_id": Hash(l.id.0).to_hex(), "purchase_id": Hash(p.0).to_hex(), "txid": txid.to_hex(), "height": tip }),
                        || println!("height {tip}: delivered listing {} to purchase {} (tx {txid})", Hash(l.id.0), Hash(p.0)),
                    ),
                    Err(e) => {
                        // Retry at the next block: the failure may be transient (node busy).
                        sent.remove(&p.0);
                        eprintln!("height {tip}: delivering listing {} failed: {e:#}", Hash(l.id.0));
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

async fn verify(ctx: &mut Ctx, listing_id: &str, complain: bool) -> Result<()> {
    let l = find_listing(ctx, listing_id).await?;
    let (name, id) = ctx.unlock()?;
    let chain = chain_ctx(ctx).await?;
    let purchase = l
        .purchase
        .ok_or_else(|| anyhow!("listing {} was never bought", Hash(l.id.0)))?;
    let (buyer, _) = purchase_parties(ctx, purchase).await?;
    if buyer != id.address() {
        bail!(
            "purchase {} was made by {buyer}, not by key {name}",
            Hash(purchase.0)
        );
    }
    if l.status != ListingStatus::Delivered {
        bail!(
            "listing {} is {}: nothing was delivered yet (an undelivered purchase is refunded at its deadline)",
            Hash(l.id.0),
            status_name(l.status)
        );
    }
    let recs = fetch_records(ctx, &l.records).await?;
    let store = ComplaintStore::new(ctx.wallet.root());
    let mut verdicts = Vec::new();
    let mut filed = Vec::new();
    for r in &recs {
        let job = call!(ctx, state_get_job(r.id))?;
        let (v, _pair) =
            provenance::verify_record(&id.reply_secret(), chain.chain_id, &name, r, job.as_ref());
        if complain && let (Some(check), Some(reason)) = (v.failed_check, v.reason.clone()) {
            let c = Complaint {
                chain_id: chain.chain_id,
                listing: Hash(l.id.0),
                purchase: Hash(purchase.0),
                record: Hash(r.id.0),
                seller: Address(l.seller.0),
                buyer: id.address(),
                check,
                height: chain.tip,
                reason,
            }
            .sign(&id);
            let path = store.save(&c).context("storing the complaint")?;
            filed.push(
                json!({ "record": c.record, "file": path.display().to_string(), "complaint": c }),
            );
        }
        verdicts.push(v);
    }
    let all_ok = verdicts.iter().all(|v| v.verified);
    ctx.print(
        &json!({ "listing_id": Hash(l.id.0).to_hex(), "verified": all_ok, "records": verdicts, "complaints": filed }),
        || {
            for v in &verdicts {
                match &v.failed_check {
                    None => println!("{}  verified (model {}, {} in / {} out tokens)", v.record, &v.model[..12], v.input_tokens, v.output_tokens),
                    Some(c) => println!("{}  FAILED {}: {}", v.record, c.name(), v.reason.as_deref().unwrap_or("")),
                }
            }
            for f in &filed {
                println!("complaint signed and stored: {}", f["file"].as_str().unwrap_or(""));
            }
        },
    );
    if !all_ok {
        bail!(
            "provenance verification failed for {} of {} records{}",
            verdicts.iter().filter(|v| !v.verified).count(),
            verdicts.len(),
            if complain {
                ""
            } else {
                "; run again with --complain to sign a complaint"
            }
        );
    }
    Ok(())
}

async fn complaints(
    ctx: &mut Ctx,
    seller: Option<String>,
    import: Option<std::path::PathBuf>,
) -> Result<()> {
    let store = ComplaintStore::new(ctx.wallet.root());
    if let Some(path) = import {
        let c = ComplaintStore::read(&path)?;
        let saved = store.save(&c)?;
        if !ctx.json {
            println!(
                "imported a complaint by {} against {} ({})",
                c.buyer,
                c.seller,
                saved.display()
            );
        }
    }
    let seller = seller.map(|s| ctx.resolve_address(&s)).transpose()?;
    let (all, skipped) = store.all()?;
    let shown: Vec<_> = all
        .into_iter()
        .filter(|c| seller.is_none_or(|s| c.seller == s.to_string()))
        .collect();
    ctx.print(
        &json!({ "complaints": shown, "skipped_invalid": skipped }),
        || {
            if shown.is_empty() {
                println!("no complaints");
            }
            let rows = shown
                .iter()
                .map(|c| {
                    vec![
                        c.seller.clone(),
                        c.buyer.clone(),
                        c.listing[..16].to_string(),
                        c.record[..16].to_string(),
                        c.check.name().to_string(),
                        c.reason.clone(),
                    ]
                })
                .collect();
            table(
                &["seller", "buyer", "listing", "record", "failed", "reason"],
                rows,
            );
        },
    );
    Ok(())
}
