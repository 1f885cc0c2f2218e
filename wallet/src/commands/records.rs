//! `records`: the records the wallet key owns: listing, showing, decrypting with the
//! provenance checks, giving one to another address, and exporting them as training data.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Result, anyhow, bail};
use clap::{Subcommand, ValueEnum};
use infernet_crypto::{Address, Identity, ReplyPublicKey};
use infernet_rpc::client::{InfernetApiClient, domain_error};
use infernet_rpc::views::{RecordView, SamplingView};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, TxKind};
use serde::Serialize;

use super::context::{Ctx, call, rpc_err};
use super::jobs::sealed_record;
use super::models::resolve_model;
use super::node::{all_pages, chain_ctx, next_nonce, parse_hash, submit};
use super::output::{AmountJson, addr, kv, short, table};
use crate::export::{self, ExportRecord};
use crate::market::provenance::{self, Check};
use crate::{job, tx};

/// `records`: the records the wallet key owns.
#[derive(Subcommand, Debug)]
pub enum RecordsCommand {
    /// Records owned by the key.
    List {
        /// Only records of this model (id).
        #[arg(long)]
        model: Option<String>,
    },
    /// A record's public data.
    Show {
        /// Record id.
        id: String,
    },
    /// Decrypt a record and check its provenance (key, payload, the miner's commitment, the
    /// receipt): prints the prompt, the answer and verified / FAILED; exits non-zero when a
    /// check fails.
    Decrypt {
        /// Record id.
        id: String,
    },
    /// Give a record to another address (the record key is sealed to its reply key).
    Transfer {
        /// Record id.
        id: String,
        /// New owner (`inf1…` or key name).
        to: String,
        /// The new owner's reply key (hex), when the chain does not know it yet (it learns
        /// it from their first job); `infernet-wallet key show NAME --reply-key` prints it.
        #[arg(long)]
        reply_key: Option<String>,
    },
    /// Export records as JSONL training data with a provenance sidecar and a dataset card;
    /// each record's provenance is checked first (verified / FAILED per record), failed ones
    /// are skipped unless --include-unverified, and the exit is non-zero only when none
    /// verified.
    Export {
        /// Record ids (default: every record the key owns).
        ids: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "openai")]
        format: FormatArg,
        /// Output JSONL file.
        #[arg(long)]
        out: PathBuf,
        /// Also export records that fail the provenance checks (marked `"verified": false`
        /// in the sidecar); by default they are skipped with a message.
        #[arg(long)]
        include_unverified: bool,
    },
}

/// `records export --format`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// `{"messages":[…]}` per line.
    Openai,
    /// `{"prompt":…,"completion":…}` per line.
    Trl,
}

/// Every record `owner` holds.
pub(crate) async fn owned_records(ctx: &mut Ctx, owner: Address) -> Result<Vec<RecordView>> {
    all_pages!(ctx, state_get_records_by_owner(rpc::Address(owner.0),))
}

/// A record by id (hex), which must exist.
pub(crate) async fn get_record(ctx: &mut Ctx, id: &str) -> Result<RecordView> {
    let h = parse_hash(id, "record id")?;
    call!(ctx, state_get_record(H256(h.0)))?
        .ok_or_else(|| anyhow!("no record {h} on the best chain"))
}

/// A record's public data in `--json` output (`records list`, `records show`, `explore
/// record`); the payload's size stands in for the encrypted payload.
#[derive(Debug, Clone, Serialize)]
pub struct RecordJson {
    /// The record id (hex; the id of the job that minted it).
    pub id: String,
    /// Its owner (`inf1…`).
    pub owner: String,
    /// The miner that produced it (`inf1…`).
    pub miner: String,
    /// The model (hex id).
    pub model: String,
    /// Who paid for the job (`inf1…`).
    pub user: String,
    /// The miner's commitment to the prompt/answer pair (hex).
    pub commitment: String,
    /// The hash of the sealed request (hex).
    pub request_hash: String,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Tokens generated.
    pub output_tokens: u32,
    /// The sampling parameters it was produced with.
    pub sampling: SamplingView,
    /// The height it was minted at.
    pub minted_at: u64,
    /// The open listing it is in (hex), else null.
    pub listing: Option<String>,
    /// Size of the encrypted payload, bytes.
    pub payload_bytes: usize,
}

impl From<&RecordView> for RecordJson {
    fn from(r: &RecordView) -> RecordJson {
        RecordJson {
            id: hex::encode(r.id.0),
            owner: addr(&r.owner),
            miner: addr(&r.miner),
            model: hex::encode(r.model.0),
            user: addr(&r.user),
            commitment: hex::encode(r.commitment.0),
            request_hash: hex::encode(r.request_hash.0),
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            sampling: r.sampling,
            minted_at: r.minted_at,
            listing: r.listing.map(|l| hex::encode(l.0)),
            payload_bytes: r.payload.0.len(),
        }
    }
}

/// A record's public data as `key: value` rows.
pub(crate) fn record_rows(r: &RecordView) -> Vec<Vec<String>> {
    vec![
        vec!["record".into(), hex::encode(r.id.0)],
        vec!["owner".into(), addr(&r.owner)],
        vec!["user".into(), addr(&r.user)],
        vec!["miner".into(), addr(&r.miner)],
        vec!["model".into(), hex::encode(r.model.0)],
        vec![
            "tokens".into(),
            format!("{} in, {} out", r.input_tokens, r.output_tokens),
        ],
        vec![
            "sampling".into(),
            format!(
                "temperature {} top_p {} top_k {} seed {}",
                f64::from(r.sampling.temperature_milli) / 1000.0,
                f64::from(r.sampling.top_p_milli) / 1000.0,
                r.sampling.top_k,
                r.sampling.seed.0
            ),
        ],
        vec!["commitment".into(), hex::encode(r.commitment.0)],
        vec!["request hash".into(), hex::encode(r.request_hash.0)],
        vec!["minted at".into(), r.minted_at.to_string()],
        vec![
            "payload".into(),
            format!("{} bytes (encrypted)", r.payload.0.len()),
        ],
    ]
}

/// Runs a `records` command.
pub(crate) async fn run(ctx: &mut Ctx, cmd: RecordsCommand) -> Result<()> {
    match cmd {
        RecordsCommand::List { model } => {
            let owner = ctx.wallet.info(&ctx.key_name()?)?.address;
            let model = match model {
                Some(q) => Some(resolve_model(ctx, &q).await?.id),
                None => None,
            };
            let recs: Vec<RecordView> = owned_records(ctx, owner)
                .await?
                .into_iter()
                .filter(|r| model.is_none_or(|m| r.model == m))
                .collect();
            let v: Vec<RecordJson> = recs.iter().map(RecordJson::from).collect();
            ctx.print(&v, || {
                table(
                    &["RECORD", "MODEL", "MINER", "TOKENS", "MINTED"],
                    recs.iter()
                        .map(|r| {
                            vec![
                                hex::encode(r.id.0),
                                short(&r.model),
                                addr(&r.miner),
                                format!("{}+{}", r.input_tokens, r.output_tokens),
                                r.minted_at.to_string(),
                            ]
                        })
                        .collect(),
                );
            })?;
        }
        RecordsCommand::Show { id } => {
            let r = get_record(ctx, &id).await?;
            ctx.print(&RecordJson::from(&r), || kv(record_rows(&r)))?;
        }
        RecordsCommand::Decrypt { id } => {
            let r = get_record(ctx, &id).await?;
            let (name, ident) = ctx.unlock()?;
            let chain = chain_ctx(ctx).await?;
            let (v, pair) = verify_held(ctx, &ident, &name, chain.chain_id, &r).await?;
            let commitment_ok = !matches!(
                v.failed_check,
                Some(Check::Key | Check::Payload | Check::Commitment)
            );
            let prompt = pair
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.prompt).into_owned());
            let answer = pair
                .as_ref()
                .map(|p| String::from_utf8_lossy(&p.answer).into_owned());
            ctx.print(
                &DecryptJson {
                    record_id: hex::encode(r.id.0),
                    prompt: prompt.clone(),
                    answer: answer.clone(),
                    commitment_ok,
                    verified: v.verified,
                    failed_check: v.failed_check,
                    reason: v.reason.clone(),
                },
                || {
                    if let (Some(p), Some(a)) = (&prompt, &answer) {
                        println!("prompt:\n{p}\n\nanswer:\n{a}\n");
                    }
                    eprintln!("{}", verdict_line(&v));
                },
            )?;
            if !v.verified {
                bail!(
                    "record {} failed the {} check: {}",
                    v.record,
                    v.failed_check.map_or("provenance", Check::name),
                    v.reason.as_deref().unwrap_or("")
                );
            }
        }
        RecordsCommand::Transfer { id, to, reply_key } => {
            let r = get_record(ctx, &id).await?;
            let to = ctx.resolve_address(&to)?;
            let (name, ident) = ctx.unlock()?;
            if r.owner.0 != ident.address().0 {
                bail!(
                    "record {} is owned by {}, not by key {name}",
                    hex::encode(r.id.0),
                    addr(&r.owner)
                );
            }
            let to_reply = match reply_key {
                Some(k) => ReplyPublicKey::from_str(k.trim_start_matches("0x"))
                    .map_err(|_| anyhow!("--reply-key must be 64 hex digits"))?,
                None => {
                    let acc = call!(ctx, state_get_account(rpc::Address(to.0)))?;
                    let k = acc.reply_key.ok_or_else(|| anyhow!(
                        "{to} has no reply key on chain yet (it is recorded with their first job); ask them for `infernet-wallet key show NAME --reply-key` and pass --reply-key"
                    ))?;
                    ReplyPublicKey(k.0)
                }
            };
            let chain = chain_ctx(ctx).await?;
            let sealed = sealed_record(&r);
            let key = job::open_record_key(&ident.reply_secret(), chain.chain_id, &sealed, &name)?;
            // Check the key decrypts the payload before handing it on.
            job::decrypt_record(&key, chain.chain_id, &sealed)?;
            let sealed_key =
                job::seal_record_key_to(&key, chain.chain_id, &sealed.id, &to, &to_reply)?;
            let nonce = next_nonce(ctx, &ident.address()).await?;
            let signed = tx::sign(
                &ident,
                chain.chain_id,
                nonce,
                chain.fee_per_byte,
                TxKind::TransferRecord(infernet_types::TransferRecord {
                    record: sealed.id,
                    to,
                    sealed_key,
                }),
            )?;
            let txid = submit(ctx, &signed, Amount::ZERO).await?;
            ctx.print(
                &TransferRecordJson {
                    txid: txid.to_hex(),
                    record_id: sealed.id.to_hex(),
                    to: to.to_string(),
                    fee: signed.tx.fee.into(),
                },
                || println!("Record {} transferred to {to} (txid {txid})", sealed.id),
            )?;
        }
        RecordsCommand::Export {
            ids,
            format,
            out,
            include_unverified,
        } => {
            let (name, ident) = ctx.unlock()?;
            let chain = chain_ctx(ctx).await?;
            let recs = if ids.is_empty() {
                owned_records(ctx, ident.address()).await?
            } else {
                let mut v = Vec::new();
                for id in &ids {
                    v.push(get_record(ctx, id).await?);
                }
                v
            };
            let mut rows = Vec::with_capacity(recs.len());
            let mut verdicts = Vec::with_capacity(recs.len());
            let mut skipped = Vec::new();
            for r in &recs {
                let (v, pair) = verify_held(ctx, &ident, &name, chain.chain_id, r).await?;
                if !ctx.json {
                    eprintln!("{}", verdict_line(&v));
                }
                match pair {
                    Some(pt) if v.verified || include_unverified => rows.push(ExportRecord {
                        record_id: hex::encode(r.id.0),
                        model_id: hex::encode(r.model.0),
                        miner: addr(&r.miner),
                        user: addr(&r.user),
                        commitment: hex::encode(r.commitment.0),
                        request_hash: hex::encode(r.request_hash.0),
                        input_tokens: r.input_tokens,
                        output_tokens: r.output_tokens,
                        minted_at: r.minted_at,
                        sampling: serde_json::to_value(r.sampling)?,
                        verified: v.verified,
                        failed_check: v.failed_check,
                        failure: v.reason.clone(),
                        prompt: String::from_utf8_lossy(&pt.prompt).into_owned(),
                        answer: String::from_utf8_lossy(&pt.answer).into_owned(),
                    }),
                    _ => skipped.push(v.record.clone()),
                }
                verdicts.push(v);
            }
            let verified = verdicts.iter().filter(|v| v.verified).count();
            let fmt = match format {
                FormatArg::Openai => export::Format::OpenAi,
                FormatArg::Trl => export::Format::Trl,
            };
            let paths = if rows.is_empty() && !recs.is_empty() {
                None
            } else {
                Some(export::write(
                    &out,
                    fmt,
                    &chain.name,
                    chain.chain_id,
                    &rows,
                )?)
            };
            let path_json = |i: usize| paths.as_ref().map(|p| p[i].display().to_string());
            ctx.print(
                &ExportJson {
                    records: rows.len(),
                    verified,
                    skipped: skipped.clone(),
                    verification: verdicts.clone(),
                    jsonl: path_json(0),
                    provenance: path_json(1),
                    card: path_json(2),
                },
                || {
                    if let Some(paths) = &paths {
                        println!("Exported {} records to {}", rows.len(), paths[0].display());
                        println!("provenance: {}", paths[1].display());
                        println!("dataset card: {}", paths[2].display());
                    }
                    if !skipped.is_empty() {
                        println!(
                            "skipped {} record(s) that failed verification (keep them with --include-unverified): {}",
                            skipped.len(),
                            skipped.join(", ")
                        );
                    }
                },
            )?;
            if verified == 0 && !recs.is_empty() {
                bail!(
                    "none of the {} records passed the provenance checks; nothing verified was exported",
                    recs.len()
                );
            }
        }
    }
    Ok(())
}

/// Runs the provenance checks on a record the key holds (its own prompt or a bought one).
pub(crate) async fn verify_held(
    ctx: &mut Ctx,
    ident: &Identity,
    name: &str,
    chain_id: u64,
    r: &RecordView,
) -> Result<(provenance::Verdict, Option<infernet_types::RecordPlaintext>)> {
    let job = match ctx.node()?.state_get_job(r.id).await {
        Ok(j) => j,
        Err(e) if matches!(domain_error(&e), Some(rpc::RpcError::UnknownJob { .. })) => None,
        Err(e) => return Err(rpc_err(&ctx.url.clone())(e)),
    };
    Ok(provenance::verify_record(
        &ident.reply_secret(),
        chain_id,
        name,
        r,
        job.as_ref(),
    ))
}

/// `<record>  verified (…)` or `<record>  FAILED <check>: <reason>`.
pub(crate) fn verdict_line(v: &provenance::Verdict) -> String {
    match v.failed_check {
        None => format!(
            "{}  verified (model {}, {} in / {} out tokens)",
            v.record,
            v.model.get(..12).unwrap_or(&v.model),
            v.input_tokens,
            v.output_tokens
        ),
        Some(c) => format!(
            "{}  FAILED {}: {}",
            v.record,
            c.name(),
            v.reason.as_deref().unwrap_or("")
        ),
    }
}

/// `records decrypt --json`: the decrypted pair and the provenance verdict.
#[derive(Debug, Clone, Serialize)]
pub struct DecryptJson {
    /// The record id (hex).
    pub record_id: String,
    /// The decrypted prompt (lossy UTF-8), null when the record did not open.
    pub prompt: Option<String>,
    /// The decrypted answer (lossy UTF-8), null when the record did not open.
    pub answer: Option<String>,
    /// Whether the key, the payload and the miner's commitment checked out (the receipt may
    /// still have failed).
    pub commitment_ok: bool,
    /// Whether every provenance check passed.
    pub verified: bool,
    /// The first check that failed, else null.
    pub failed_check: Option<Check>,
    /// Why it failed, else null.
    pub reason: Option<String>,
}

/// `records transfer --json`.
#[derive(Debug, Clone, Serialize)]
pub struct TransferRecordJson {
    /// The `TransferRecord` transaction id (hex).
    pub txid: String,
    /// The record given (hex).
    pub record_id: String,
    /// The new owner (`inf1…`).
    pub to: String,
    /// The fee paid.
    pub fee: AmountJson,
}

/// `records export --json`: what was written, and each record's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ExportJson {
    /// Records written to the JSONL file.
    pub records: usize,
    /// Records that passed every provenance check.
    pub verified: usize,
    /// Ids (hex) of the records left out (failed, without `--include-unverified`).
    pub skipped: Vec<String>,
    /// Each record's provenance verdict, in the order checked.
    pub verification: Vec<provenance::Verdict>,
    /// The JSONL file, null when nothing was written.
    pub jsonl: Option<String>,
    /// The provenance sidecar, null when nothing was written.
    pub provenance: Option<String>,
    /// The dataset card, null when nothing was written.
    pub card: Option<String>,
}
