//! `models` and `miners`: the registered models, and the miners ranked by reputation for
//! the price; resolving a model typed by name or id for the other commands.

use std::str::FromStr;

use anyhow::{Result, anyhow};
use infernet_crypto::Hash;
use infernet_rpc::H256;
use infernet_rpc::views::{MinerView, ModelView, OfferView};
use infernet_types::Amount;
use serde::Serialize;

use super::context::{Ctx, call};
use super::node::all_pages;
use super::output::{addr, short, table};
use crate::amount::format_inf;
use crate::{WalletError, ranking};

/// Every registered model.
pub(crate) async fn all_models(ctx: &mut Ctx) -> Result<Vec<ModelView>> {
    all_pages!(ctx, state_get_models())
}

/// Every registered miner.
pub(crate) async fn all_miners(ctx: &mut Ctx) -> Result<Vec<MinerView>> {
    all_pages!(ctx, state_get_miners())
}

/// A model given by name or id.
pub(crate) async fn resolve_model(ctx: &mut Ctx, query: &str) -> Result<ModelView> {
    if let Ok(id) = Hash::from_str(query.trim_start_matches("0x"))
        && let Some(m) = call!(ctx, state_get_model(H256(id.0)))?
    {
        return Ok(m);
    }
    let models = all_models(ctx).await?;
    let matches: Vec<ModelView> = models
        .into_iter()
        .filter(|m| {
            m.name.eq_ignore_ascii_case(query)
                || hex::encode(m.id.0).starts_with(&query.to_ascii_lowercase())
        })
        .collect();
    match matches.len() {
        0 => Err(WalletError::UnknownModel {
            query: query.to_owned(),
        }
        .into()),
        1 => Ok(matches
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("no model"))?),
        count => Err(WalletError::AmbiguousModel {
            query: query.to_owned(),
            count,
        }
        .into()),
    }
}

/// `models`.
pub(crate) async fn models(ctx: &mut Ctx) -> Result<()> {
    let models = all_models(ctx).await?;
    ctx.print(&models, || {
        table(
            &["ID", "NAME", "ARCH", "CONTEXT", "ROYALTY", "OWNER"],
            models
                .iter()
                .map(|m| {
                    vec![
                        hex::encode(m.id.0),
                        m.name.clone(),
                        m.architecture.clone(),
                        m.context_length.to_string(),
                        format!("{:.2}%", f64::from(m.royalty_bps) / 100.0),
                        addr(&m.owner),
                    ]
                })
                .collect(),
        );
    })?;
    Ok(())
}

/// `miners [--model M]`.
pub(crate) async fn miners(ctx: &mut Ctx, model: Option<String>) -> Result<()> {
    let model = match model {
        Some(q) => Some(resolve_model(ctx, &q).await?.id),
        None => None,
    };
    let miners = all_miners(ctx).await?;
    let ranked = ranking::rank(&miners, model.as_ref());
    let v: Vec<RankedMinerJson> = ranked
        .iter()
        .map(|r| RankedMinerJson {
            address: addr(&r.miner.address),
            reputation: r.reputation,
            offer: r.offer.clone(),
            served: r.miner.reputation.served,
            expired: r.miner.reputation.expired,
            attestation: ranking::attestation_name(&r.miner),
            unbonding_at: r.miner.unbonding_at,
            miner: r.miner.clone(),
        })
        .collect();
    ctx.print(&v, || {
        table(
            &[
                "#",
                "MINER",
                "REP",
                "MODEL",
                "PRICE IN",
                "PRICE OUT",
                "MAX OUT",
                "SERVED",
                "EXPIRED",
                "ATTEST",
            ],
            ranked
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let (m, pi, po, mo) = match &r.offer {
                        Some(o) => (
                            short(&o.model),
                            format_inf(Amount(o.price_in.0)),
                            format_inf(Amount(o.price_out.0)),
                            o.max_output_tokens.to_string(),
                        ),
                        None => ("-".into(), "-".into(), "-".into(), "-".into()),
                    };
                    vec![
                        (i + 1).to_string(),
                        addr(&r.miner.address),
                        format!("{:.2}", r.reputation),
                        m,
                        pi,
                        po,
                        mo,
                        r.miner.reputation.served.to_string(),
                        r.miner.reputation.expired.to_string(),
                        ranking::attestation_name(&r.miner).into(),
                    ]
                })
                .collect(),
        );
    })?;
    Ok(())
}

/// One miner of `miners --json`, best first.
#[derive(Debug, Clone, Serialize)]
pub struct RankedMinerJson {
    /// The miner (`inf1…`).
    pub address: String,
    /// Its reputation score, the ranking's key with the price.
    pub reputation: f64,
    /// Its offer for the model asked for (with `--model`), else its cheapest; null if none.
    pub offer: Option<OfferView>,
    /// Jobs it served.
    pub served: u64,
    /// Jobs that expired on it.
    pub expired: u64,
    /// Its attestation: `none`, `simulated` or `tdx`.
    pub attestation: &'static str,
    /// The height its bond unbonds at, if it is leaving; else null.
    pub unbonding_at: Option<u64>,
    /// The whole registration, as `state_getMiner` returns it.
    pub miner: MinerView,
}
