//! `prompt` and `chat`: sealing a prompt to a miner, paying for it, waiting for the result
//! and opening the record that comes back (checked against the job sent).

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use infernet_crypto::{Address, Hash, Identity, ReplyPublicKey};
use infernet_rpc::client::{InfernetApiClient, domain_error};
use infernet_rpc::views::{JobStatus, JobView, RecordView};
use infernet_rpc::{self as rpc, H256};
use infernet_types::{Amount, SamplingParams, TxKind, request_hash};
use serde::Serialize;

use super::context::{Ctx, call, rpc_err};
use super::models::{all_miners, resolve_model};
use super::node::{chain_ctx, next_nonce, submit};
use super::output::{addr, json_line, short};
use crate::amount::format_inf;
use crate::job::{self, Conversation, JobTerms, Message, SealedRecord};
use crate::{WalletError, ranking, tx};

/// The terms of a job (`prompt`, `chat`).
#[derive(clap::Args, Debug, Clone)]
pub struct JobArgs {
    /// Model name or id (default: the best miner's cheapest model).
    #[arg(long)]
    pub model: Option<String>,
    /// Miner address, or `auto` (best reputation for the price).
    #[arg(long, default_value = "auto")]
    pub miner: String,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 128)]
    pub max_tokens: u32,
    /// Most prompt tokens paid for (default: prompt bytes + 64).
    #[arg(long)]
    pub max_input_tokens: Option<u32>,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Top-p cut-off (1 = none).
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f64,
    /// Top-k cut-off (0 = none).
    #[arg(long, default_value_t = 0)]
    pub top_k: u32,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Only attested miners; the result must carry attestation evidence.
    #[arg(long)]
    pub require_attestation: bool,
    /// Blocks until the job expires and is refunded if no result came.
    #[arg(long, default_value_t = 20)]
    pub expiry_blocks: u64,
    /// Give up waiting after this many seconds (the job stays on chain).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// The outcome of one job.
struct JobOutcome {
    job_id: Hash,
    miner: Address,
    model: Hash,
    answer: String,
    tokens_in: u32,
    tokens_out: u32,
    cost: Amount,
    refund: Amount,
    fee: Amount,
}

/// The sampling parameters of the flags, in the chain's thousandths.
fn sampling_from(args: &JobArgs) -> Result<SamplingParams> {
    let milli = |v: f64, name: &str| -> Result<u32> {
        if !(0.0..=100.0).contains(&v) || v.is_nan() {
            bail!("--{name} {v} is out of range");
        }
        Ok((v * 1000.0).round() as u32)
    };
    Ok(SamplingParams {
        temperature_milli: milli(args.temperature, "temperature")?,
        top_p_milli: milli(args.top_p, "top-p")?,
        top_k: args.top_k,
        seed: args.seed,
    })
}

/// Runs one job to its end: picks the miner, seals and pays, waits, opens the record.
async fn run_job(
    ctx: &mut Ctx,
    key_name: &str,
    id: &Identity,
    args: &JobArgs,
    plaintext: &[u8],
) -> Result<JobOutcome> {
    let chain = chain_ctx(ctx).await?;
    let miners = all_miners(ctx).await?;
    let model_id: H256 = match &args.model {
        Some(q) => resolve_model(ctx, q).await?.id,
        None => ranking::rank(&miners, None)
            .into_iter()
            .find_map(|r| r.offer.map(|o| o.model))
            .ok_or_else(|| WalletError::NoMiner {
                model: "(any)".into(),
                extra: String::new(),
            })?,
    };
    let model_hex = hex::encode(model_id.0);
    let chosen = if args.miner == "auto" {
        ranking::pick(&miners, &model_id, args.require_attestation).ok_or_else(|| {
            WalletError::NoMiner {
                model: model_hex.clone(),
                extra: if args.require_attestation {
                    " with an attestation".into()
                } else {
                    String::new()
                },
            }
        })?
    } else {
        let want = ctx.resolve_address(&args.miner)?;
        let m = miners
            .iter()
            .find(|m| m.address.0 == want.0)
            .ok_or_else(|| {
                anyhow!("{want} is not a registered miner; see `infernet-wallet miners`")
            })?;
        let r = ranking::rank(std::slice::from_ref(m), Some(&model_id));
        r.into_iter()
            .next()
            .ok_or_else(|| WalletError::MinerLacksModel {
                miner: want.to_string(),
                model: model_hex.clone(),
            })?
    };
    let offer = chosen
        .offer
        .clone()
        .ok_or_else(|| anyhow!("the chosen miner has no offer"))?;
    if args.require_attestation && !ranking::is_attested(&chosen.miner) {
        bail!(
            "miner {} is not attested; drop --require-attestation or pick another miner",
            addr(&chosen.miner.address)
        );
    }
    let max_out = args.max_tokens.min(offer.max_output_tokens).max(1);
    let lifetime = infernet_types::ChainSpec::builtin(&chain.name)
        .map(|s| s.limits.max_job_lifetime)
        .unwrap_or(args.expiry_blocks);
    let terms = JobTerms {
        miner: Address(chosen.miner.address.0),
        serving_key: ReplyPublicKey(chosen.miner.serving_key.0),
        model: Hash(model_id.0),
        max_input_tokens: args
            .max_input_tokens
            .unwrap_or_else(|| job::input_token_bound(plaintext.len())),
        max_output_tokens: max_out,
        price_in: Amount(offer.price_in.0),
        price_out: Amount(offer.price_out.0),
        sampling: sampling_from(args)?,
        expiry: chain.tip + args.expiry_blocks.clamp(2, lifetime.max(2)),
        require_attestation: args.require_attestation,
    };
    let escrow = job::max_cost(&terms)?;
    let nonce = next_nonce(ctx, &id.address()).await?;
    let kind = job::submit_job_kind(id, chain.chain_id, nonce, &terms, plaintext)?;
    let TxKind::SubmitJob(infernet_types::SubmitJob { sealed_prompt, .. }) = &kind else {
        bail!("internal: not a SubmitJob");
    };
    let req_hash = request_hash(sealed_prompt);
    let signed = tx::sign(id, chain.chain_id, nonce, chain.fee_per_byte, kind)?;
    let job_id = submit(ctx, &signed, escrow).await?;

    let spinner = if ctx.json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let s = indicatif::ProgressBar::new_spinner();
        s.enable_steady_tick(Duration::from_millis(100));
        s
    };
    spinner.set_message(format!(
        "job {} sent to {}; waiting for the result (expires at height {})",
        short(&H256(job_id.0)),
        terms.miner,
        terms.expiry
    ));
    let job = wait_job(ctx, job_id, Duration::from_secs(args.timeout)).await;
    spinner.finish_and_clear();
    let job = job?;
    match job.status {
        JobStatus::Completed => {}
        JobStatus::Expired => bail!(
            "job {job_id} expired at height {} without a result: the escrow of {} was refunded in full",
            job.expiry,
            format_inf(Amount(job.escrow.0))
        ),
        JobStatus::Pending => bail!("job {job_id} is still pending"),
    }
    let record_id = job
        .record
        .ok_or_else(|| anyhow!("job {job_id} completed without a record"))?;
    let rec = call!(ctx, state_get_record(record_id))?
        .ok_or_else(|| anyhow!("record {} is not on chain", hex::encode(record_id.0)))?;
    // The receipt on chain must describe our request.
    if rec.request_hash.0 != req_hash.0
        || rec.model.0 != model_id.0
        || rec.miner.0 != terms.miner.0
        || rec.user.0 != id.address().0
    {
        bail!(
            "record {} does not match the job sent (request hash, model, miner or user differ)",
            hex::encode(record_id.0)
        );
    }
    let s = rec.sampling;
    if (s.temperature_milli, s.top_p_milli, s.top_k, s.seed.0)
        != (
            terms.sampling.temperature_milli,
            terms.sampling.top_p_milli,
            terms.sampling.top_k,
            terms.sampling.seed,
        )
    {
        bail!(
            "record {} was produced with other sampling parameters than asked",
            hex::encode(record_id.0)
        );
    }
    let pt = job::open_record(
        &id.reply_secret(),
        chain.chain_id,
        &sealed_record(&rec),
        key_name,
    )?;
    if pt.prompt != plaintext {
        bail!(
            "record {}: the decrypted prompt is not the prompt sent",
            hex::encode(record_id.0)
        );
    }
    let cost = job::cost(
        terms.price_in,
        terms.price_out,
        rec.input_tokens,
        rec.output_tokens,
    )?;
    let refund = Amount(job.escrow.0.saturating_sub(cost.0));
    Ok(JobOutcome {
        job_id,
        miner: terms.miner,
        model: terms.model,
        answer: String::from_utf8_lossy(&pt.answer).into_owned(),
        tokens_in: rec.input_tokens,
        tokens_out: rec.output_tokens,
        cost,
        refund,
        fee: signed.tx.fee,
    })
}

/// The sealed parts of a record, as the job module opens them.
pub(crate) fn sealed_record(rec: &RecordView) -> SealedRecord {
    SealedRecord {
        id: Hash(rec.id.0),
        owner: Address(rec.owner.0),
        sealed_key: infernet_crypto::SealedBox {
            enc: rec.sealed_key.enc.0,
            ciphertext: rec.sealed_key.ciphertext.0.clone(),
        },
        payload: rec.payload.0.clone(),
        commitment: Hash(rec.commitment.0),
    }
}

/// Waits until the job is completed or expired.
async fn wait_job(ctx: &mut Ctx, job_id: Hash, timeout: Duration) -> Result<JobView> {
    let start = std::time::Instant::now();
    loop {
        let job = match ctx.node()?.state_get_job(H256(job_id.0)).await {
            Ok(j) => j,
            Err(e) if matches!(domain_error(&e), Some(rpc::RpcError::UnknownJob { .. })) => None,
            Err(e) => return Err(rpc_err(&ctx.url.clone())(e)),
        };
        match job {
            Some(j) if j.status != JobStatus::Pending => return Ok(j),
            Some(_) => {}
            None => {
                if call!(ctx, tx_get(H256(job_id.0)))?.is_none() {
                    bail!(
                        "the job transaction {job_id} was dropped by the node; nothing was spent"
                    );
                }
            }
        }
        if start.elapsed() > timeout {
            bail!(
                "no result for job {job_id} after {}s; it stays on chain: check it with `infernet-wallet explore tx {job_id}` (it is refunded in full if it expires)",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `prompt --json`, and each line of `chat --json`: one answered job.
#[derive(Debug, Clone, Serialize)]
pub struct JobOutcomeJson {
    /// The job's id: its `SubmitJob` transaction id (hex).
    pub job_id: String,
    /// The record minted for it (hex; a record's id is its job's id).
    pub record_id: String,
    /// The miner that served it (`inf1…`).
    pub miner: String,
    /// The model (hex id).
    pub model_id: String,
    /// The decrypted answer.
    pub answer: String,
    /// Prompt tokens charged.
    pub tokens_in: u32,
    /// Tokens generated.
    pub tokens_out: u32,
    /// What the job cost, base units (decimal string).
    pub cost: String,
    /// What came back from the escrow, base units (decimal string).
    pub refund: String,
    /// The transaction fee, base units (decimal string).
    pub fee: String,
}

impl From<&JobOutcome> for JobOutcomeJson {
    fn from(o: &JobOutcome) -> JobOutcomeJson {
        JobOutcomeJson {
            job_id: o.job_id.to_hex(),
            record_id: o.job_id.to_hex(),
            miner: o.miner.to_string(),
            model_id: o.model.to_hex(),
            answer: o.answer.clone(),
            tokens_in: o.tokens_in,
            tokens_out: o.tokens_out,
            cost: o.cost.0.to_string(),
            refund: o.refund.0.to_string(),
            fee: o.fee.0.to_string(),
        }
    }
}

/// The footer after an answer, on stderr: tokens, cost, refund, fee, record.
fn print_outcome_footer(o: &JobOutcome) {
    eprintln!(
        "[{} in + {} out tokens · cost {} · refund {} · fee {} · record {}]",
        o.tokens_in,
        o.tokens_out,
        format_inf(o.cost),
        format_inf(o.refund),
        format_inf(o.fee),
        o.job_id
    );
}

/// `prompt TEXT`.
pub(crate) async fn prompt(ctx: &mut Ctx, text: &str, args: &JobArgs) -> Result<()> {
    let (name, id) = ctx.unlock()?;
    let o = run_job(ctx, &name, &id, args, text.as_bytes()).await?;
    ctx.print(&JobOutcomeJson::from(&o), || {
        println!("{}", o.answer);
        print_outcome_footer(&o);
    })?;
    Ok(())
}

/// `chat`: one job per line read from stdin, the conversation sealed each time.
pub(crate) async fn chat(ctx: &mut Ctx, args: &JobArgs) -> Result<()> {
    let (name, id) = ctx.unlock()?;
    let mut convo = Conversation::default();
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal() && !ctx.json;
    if interactive {
        eprintln!(
            "Chat: one paid job per turn, the whole conversation is sealed each time. Empty line or Ctrl-D ends."
        );
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!("> ");
            std::io::stderr().flush().ok();
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("cannot read from stdin")?;
        if line.trim().is_empty() || line.trim() == "/exit" {
            break;
        }
        convo.messages.push(Message {
            role: "user".into(),
            content: line,
        });
        let pt = convo.to_plaintext()?;
        let o = run_job(ctx, &name, &id, args, &pt).await?;
        if ctx.json {
            println!("{}", json_line(&JobOutcomeJson::from(&o))?);
        } else {
            println!("{}", o.answer);
            print_outcome_footer(&o);
        }
        convo.messages.push(Message {
            role: "assistant".into(),
            content: o.answer,
        });
    }
    Ok(())
}
