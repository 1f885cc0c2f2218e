//! The paid-prompt scenario both the tiny-model and the SmolLM2 tests run: a model registered
//! by its own owner (with a royalty), the real daemon serving it, a new wallet key funded from
//! a dev account, one `infernet-wallet prompt`, and the exact checks of the answer (against
//! `infernet-miner infer`), the record and every balance that moves.

use std::path::Path;
use std::time::Instant;

use infernet_types::RegisterModel;
use infernet_types::{BASE_UNITS_PER_INF, TxKind, dev_accounts};
use serde_json::{Value, json};

use super::{DaemonSpec, Sampling, Wallet, address, amount, miner_key, model_id};

/// The model owner's royalty in the scenario.
pub const ROYALTY_BPS: u16 = 500;
/// The daemon's prices (base units per token).
pub const PRICE_IN: u64 = 1_000;
pub const PRICE_OUT: u64 = 3_000;

/// What the scenario measured, for the caller's own checks.
#[derive(Debug)]
pub struct Paid {
    pub answer: String,
    /// `infernet-miner infer`'s prompt and answer token ids (equal to the daemon's counts).
    pub prompt_ids: Vec<u64>,
    pub answer_ids: Vec<u64>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost: u64,
    pub royalty: u64,
    pub wall: std::time::Duration,
}

/// Runs the scenario with `model` (registered as `name`) and `prompt`.
pub fn prompt_and_pay(dir: &Path, model: &Path, name: &str, prompt: &str, s: &Sampling) -> Paid {
    let started = Instant::now();
    let id = model_id(model);
    let (key, pw, miner) = miner_key(dir);
    let devs = dev_accounts();
    let owner = devs[3].identity();
    let coinbase = devs[5].address;
    let mut spec = DaemonSpec::new(dir);
    spec.key = Some((key, pw));
    spec.coinbase = Some(coinbase);
    spec.price_in = PRICE_IN;
    spec.price_out = PRICE_OUT;
    spec.models = vec![model.to_owned()];

    // The model's owner registers it first (royalty 5%), on the same chain the serving daemon
    // then reopens: the daemon sees the model known and only registers itself.
    spec.serve = false;
    let mut d = spec.start("setup");
    let context_length = 256;
    d.rpc.send_kind(
        &owner,
        TxKind::RegisterModel(RegisterModel {
            id,
            name: name.into(),
            architecture: "llama".into(),
            context_length,
            royalty_bps: ROYALTY_BPS,
            parent: None,
        }),
    );
    d.stop();
    spec.serve = true;
    let mut d = spec.start("serve");
    let registered = d.wait_registered(&miner.address(), &id);
    assert_eq!(registered["offers"][0]["price_in"], PRICE_IN.to_string());
    let model_view = d.rpc.call("state_getModel", json!([hex::encode(id.0)]));
    assert_eq!(
        address(&model_view["owner"]),
        owner.address(),
        "{model_view}"
    );

    // A new key, funded by dev account 0 through the wallet.
    let w = Wallet::new(dir, d.url());
    w.import_dev("alice", 0);
    let bob = w.new_key("bob");
    let sent = w.json(Some("alice"), &["send", &bob.to_bech32(), "100", "--wait"]);
    assert_eq!(
        amount(&sent["amount"]["base"]),
        100 * BASE_UNITS_PER_INF,
        "{sent}"
    );
    d.rpc
        .wait_mined(&sent["txid"].as_str().unwrap().parse().unwrap());
    let bob_before = d.rpc.balance(&bob);
    assert_eq!(bob_before, 100 * BASE_UNITS_PER_INF);
    let miner_before = d.rpc.balance(&miner.address());
    let owner_before = d.rpc.balance(&owner.address());

    // The prompt, through the wallet, served by the daemon.
    let mut args = vec!["prompt", prompt, "--model", name];
    let flags = s.flags();
    args.extend(flags.iter().map(String::as_str));
    let out = w.json(Some("bob"), &args);
    let job_id: infernet_crypto::Hash = out["job_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(out["record_id"], out["job_id"]);
    assert_eq!(address(&out["miner"]), miner.address());
    assert_eq!(out["model_id"].as_str().unwrap(), hex::encode(id.0));

    // The answer is what `infernet-miner infer` gives for the same model, text and sampling:
    // the daemon renders a plain prompt as one user message through the chat template.
    let reference = super::infer(model, ["--chat", prompt], s);
    let answer = out["answer"].as_str().unwrap().to_owned();
    assert_eq!(answer, reference["text"].as_str().unwrap());
    let tokens_in = out["tokens_in"].as_u64().unwrap();
    let tokens_out = out["tokens_out"].as_u64().unwrap();
    assert_eq!(
        tokens_in,
        reference["prompt_tokens"].as_array().unwrap().len() as u64
    );
    assert_eq!(
        tokens_out,
        reference["tokens"].as_array().unwrap().len() as u64
    );

    // The job settled: cost from the token counts, refund = escrow - cost.
    let job = d.rpc.job(&job_id);
    assert_eq!(job["status"], "completed", "{job}");
    let escrow = amount(&job["escrow"]);
    assert_eq!(
        escrow,
        job["max_input_tokens"].as_u64().unwrap() * PRICE_IN
            + job["max_output_tokens"].as_u64().unwrap() * PRICE_OUT
    );
    assert_eq!(
        job["max_output_tokens"].as_u64().unwrap(),
        u64::from(s.max_tokens)
    );
    let cost = tokens_in * PRICE_IN + tokens_out * PRICE_OUT;
    let royalty = cost * u64::from(ROYALTY_BPS) / 10_000;
    assert!(royalty > 0, "the royalty is checked with a non-zero amount");
    assert_eq!(amount(&out["cost"]), cost);
    assert_eq!(amount(&out["refund"]), escrow - cost);
    assert_eq!(job["record"], out["record_id"], "{job}");
    let user_fee = amount(&out["fee"]);
    assert_eq!(user_fee, amount(&d.rpc.tx(&job_id)["fee"]));
    // The miner's `PostResult`, in the block that settled the job.
    let settled = d
        .rpc
        .call("chain_getBlockByHeight", json!([job["settled_at"]]));
    let posts: Vec<&Value> = settled["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"]["type"] == "post_result" && t["kind"]["job"] == out["job_id"])
        .collect();
    assert_eq!(posts.len(), 1, "{settled}");
    let post = posts[0];
    assert_eq!(address(&post["sender"]), miner.address(), "{post}");
    assert_eq!(
        (
            post["kind"]["input_tokens"].as_u64(),
            post["kind"]["output_tokens"].as_u64()
        ),
        (Some(tokens_in), Some(tokens_out)),
        "{post}"
    );
    let post_fee = amount(&post["fee"]);

    // Balances move by exactly the cost, the fees and the royalty (block rewards go to a
    // separate coinbase address).
    assert_eq!(d.rpc.balance(&bob), bob_before - cost - user_fee);
    assert_eq!(
        d.rpc.balance(&miner.address()),
        miner_before + cost - royalty - post_fee
    );
    assert_eq!(d.rpc.balance(&owner.address()), owner_before + royalty);

    // The record belongs to the new key, and decrypts to the prompt and the answer.
    let rid = hex::encode(job_id.0);
    let list = w.json(Some("bob"), &["records", "list"]);
    let mine: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"].as_str() == Some(rid.as_str()))
        .collect();
    assert_eq!(mine.len(), 1, "{list}");
    assert_eq!(address(&mine[0]["owner"]), bob);
    let shown = w.json(Some("bob"), &["records", "show", &rid]);
    assert_eq!(address(&shown["owner"]), bob, "{shown}");
    assert_eq!(address(&shown["miner"]), miner.address());
    assert_eq!(shown["model"].as_str().unwrap(), hex::encode(id.0));
    assert_eq!(
        (
            shown["input_tokens"].as_u64(),
            shown["output_tokens"].as_u64()
        ),
        (Some(tokens_in), Some(tokens_out))
    );
    let dec = w.json(Some("bob"), &["records", "decrypt", &rid]);
    assert_eq!(dec["prompt"].as_str(), Some(prompt));
    assert_eq!(dec["answer"].as_str(), Some(answer.as_str()));
    let alice_list = w.json(Some("alice"), &["records", "list"]);
    assert!(
        !alice_list.to_string().contains(&rid),
        "the funder does not own it: {alice_list}"
    );
    let ids = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap())
            .collect()
    };
    Paid {
        answer,
        prompt_ids: ids(&reference["prompt_tokens"]),
        answer_ids: ids(&reference["tokens"]),
        tokens_in,
        tokens_out,
        cost,
        royalty,
        wall: started.elapsed(),
    }
}
