#![allow(clippy::unwrap_used, missing_docs)]
//! Both sides real: the `infernet-wallet` CLI against the `infernet-miner` daemon on a dev
//! chain with the tiny test model. A new key is funded and prompts (the answer equals
//! `infernet-miner infer`, the record is the key's, every balance moves exactly); a job to a
//! stopped miner expires and is refunded in full; tampered results are refused by the
//! daemon's node with the rule they break; a canary prompt sent through the wallet never
//! reaches the daemon's store, files or logs, the wallet's files or any RPC response; and a
//! two-turn `chat` is served as one conversation. A stop request while the daemon is still
//! registering ends it cleanly, and its store opens again.
//!
//! The wallet binary comes from the same target directory (`cargo build -p infernet-wallet`).

mod support;

use std::io::Write;
use std::process::Stdio;

use infernet_crypto::{Hash, RecordKey, record, seal};
use infernet_types::sealing::{
    prompt_aad, prompt_info, record_key_aad, record_key_info, record_payload_aad,
};
use infernet_types::{
    Amount, Attestation, AttestationEvidence, BASE_UNITS_PER_INF, ChainSpec, Offer, Receipt,
    RecordPlaintext, SamplingParams, SignedTransaction, TxKind, dev_accounts, request_hash,
};
use infernet_types::{PostResult, RegisterMiner, RegisterModel, SubmitJob, Transfer};
use serde_json::{Value, json};
use support::{
    DaemonSpec, Sampling, Wallet, address, amount, count_hits, files_under, miner_key, needles,
    rocksdb_dump, sign_at, tiny_model,
};

const SAMPLED: Sampling = Sampling {
    max_tokens: 24,
    temperature: "0.8",
    top_p: "0.95",
    top_k: 20,
    seed: 11,
};

#[test]
fn wallet_prompt_is_served_by_the_daemon_owned_and_paid_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = tiny_model(dir.path());
    let paid = support::scenario::prompt_and_pay(
        dir.path(),
        &model,
        "tiny-test",
        "hello there, how are you today?",
        &SAMPLED,
    );
    assert!(paid.tokens_out > 0 && paid.cost > 0);
    eprintln!("scenario took {:?}", paid.wall);
}

#[test]
fn a_job_to_a_stopped_miner_expires_and_is_refunded_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spec, miner, id) = support::serving_tiny(dir.path());

    // The daemon registers and serves; then it stops serving (restarted with --no-serve on
    // the same data: the chain goes on, the registered miner answers nothing).
    let mut d = spec.start("serve");
    d.wait_registered(&miner.address(), &id);
    d.stop();
    spec.serve = false;
    let mut d = spec.start("stopped");
    let w = Wallet::new(dir.path(), d.url());
    let user = w.import_dev("user", 1);
    let before = d.rpc.balance(&user);

    let out = w.output(
        Some("user"),
        &[
            "prompt",
            "is anybody there?",
            "--miner",
            &miner.address().to_bech32(),
            "--max-tokens",
            "8",
            "--expiry-blocks",
            "3",
            "--timeout",
            "60",
        ],
    );
    assert!(!out.status.success(), "no miner served it");
    let err: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let msg = err["error"].as_str().unwrap();
    assert!(msg.contains("refunded in full"), "{msg}");
    // "job <id> expired at height <h> …"
    let words: Vec<&str> = msg.split_whitespace().collect();
    assert_eq!(
        (words[0], words[2], words[3], words[4]),
        ("job", "expired", "at", "height"),
        "{msg}"
    );
    let job_id: Hash = words[1].parse().unwrap();
    let refund_height: u64 = words[5].parse().unwrap();

    let job = d.rpc.job(&job_id);
    assert_eq!(job["status"], "expired", "{job}");
    assert_eq!(job["expiry"].as_u64(), Some(refund_height));
    assert!(job["record"].is_null(), "{job}");
    assert_eq!(job["settled_at"].as_u64(), Some(refund_height), "{job}");
    let fee = amount(&d.rpc.tx(&job_id)["fee"]);
    assert!(fee > 0);
    assert_eq!(
        d.rpc.balance(&user),
        before - fee,
        "the escrow came back in full; only the fee is spent"
    );
    let m = d
        .rpc
        .call("state_getMiner", json!([miner.address().to_bech32()]));
    assert_eq!(m["reputation"]["expired"].as_u64(), Some(1), "{m}");
    assert_eq!(m["reputation"]["served"].as_u64(), Some(0), "{m}");
    assert!(
        d.rpc
            .call("state_getRecord", json!([hex::encode(job_id.0)]))
            .is_null()
    );
}

#[test]
fn a_stop_request_while_the_daemon_registers_exits_cleanly_and_keeps_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, miner, id) = support::serving_tiny(dir.path());

    // The RPC answers as soon as the node is up; funding and the two registrations still
    // need three blocks. SIGTERM now must stop the daemon with success, not kill it.
    let d = spec.start("early");
    d.stop();
    // The same data dir opens again and the registration completes.
    let mut d = spec.start("again");
    d.wait_registered(&miner.address(), &id);
    d.stop();
}

/// A job built and sealed here as the wallet builds it.
fn submit_job(
    rpc: &mut support::Rpc,
    user: &infernet_crypto::Identity,
    miner: &infernet_crypto::Identity,
    model: Hash,
    prompt: &str,
    expiry: u64,
    require_attestation: bool,
) -> SignedTransaction {
    let spec = ChainSpec::dev();
    let nonce = rpc.next_nonce(&user.address());
    let sealed = seal::seal(
        &miner.reply_secret().public_key(),
        &prompt_info(spec.chain_id),
        &prompt_aad(&user.address(), &miner.address(), &model, nonce),
        prompt.as_bytes(),
    )
    .unwrap();
    let tx = sign_at(
        user,
        nonce,
        TxKind::SubmitJob(SubmitJob {
            miner: miner.address(),
            model,
            sealed_prompt: sealed,
            reply_key: user.reply_secret().public_key(),
            max_input_tokens: 100,
            max_output_tokens: 16,
            price_in: Amount(1_000),
            price_out: Amount(3_000),
            sampling: SamplingParams {
                temperature_milli: 0,
                top_p_milli: 1_000,
                top_k: 0,
                seed: 3,
            },
            expiry,
            require_attestation,
        }),
    );
    rpc.send(&tx).unwrap_or_else(|e| panic!("job refused: {e}"));
    tx
}

/// A well-formed result for `job_tx`, as an honest miner would post it.
fn honest_result(
    job_tx: &SignedTransaction,
    miner: &infernet_crypto::Identity,
    answer: &str,
    tokens: (u32, u32),
) -> TxKind {
    let spec = ChainSpec::dev();
    let TxKind::SubmitJob(SubmitJob {
        model,
        sealed_prompt,
        reply_key,
        sampling,
        ..
    }) = &job_tx.tx.kind
    else {
        unreachable!()
    };
    let user = job_tx.tx.sender;
    let job = job_tx.txid();
    let prompt = seal::open(
        &miner.reply_secret(),
        &prompt_info(spec.chain_id),
        &prompt_aad(&user, &miner.address(), model, job_tx.tx.nonce),
        sealed_prompt,
    )
    .unwrap();
    let pt = RecordPlaintext {
        salt: [5; 32],
        prompt: prompt.to_vec(),
        answer: answer.as_bytes().to_vec(),
    };
    let key = RecordKey::generate();
    let receipt = Receipt {
        job,
        model: *model,
        miner: miner.address(),
        request_hash: request_hash(sealed_prompt),
        sampling: *sampling,
        input_tokens: tokens.0,
        output_tokens: tokens.1,
        commitment: pt.commitment(),
        user,
        user_reply_key: *reply_key,
    };
    TxKind::PostResult(PostResult {
        job,
        input_tokens: tokens.0,
        output_tokens: tokens.1,
        payload: record::encrypt(
            &key,
            &record_payload_aad(spec.chain_id, &job),
            &infernet_types::Encode::encode(&pt),
        ),
        sealed_record_key: seal::seal(
            reply_key,
            &record_key_info(spec.chain_id),
            &record_key_aad(&job, &user),
            key.as_bytes(),
        )
        .unwrap(),
        receipt_signature: receipt.sign(miner, spec.chain_id),
        attestation: Some(AttestationEvidence::Simulated {
            report_data: infernet_consensus::transition::evidence_report_data(
                &miner.reply_secret().public_key(),
                &job,
                &pt.commitment(),
            ),
        }),
        receipt,
    })
}

/// Applies `f` to the receipt of a `PostResult` and re-signs it with `signer`.
fn with_receipt(
    kind: &TxKind,
    signer: &infernet_crypto::Identity,
    f: impl FnOnce(&mut Receipt),
) -> TxKind {
    let mut k = kind.clone();
    if let TxKind::PostResult(PostResult {
        receipt,
        receipt_signature,
        ..
    }) = &mut k
    {
        f(receipt);
        *receipt_signature = receipt.sign(signer, ChainSpec::dev().chain_id);
    }
    k
}

/// Sends `tx`; it must be refused as `tx_rejected` naming `rule`.
fn refused(rpc: &mut support::Rpc, tx: &SignedTransaction, rule: &str) -> String {
    let err = match rpc.send(tx) {
        Ok(id) => panic!("a tampered result was accepted ({id}); expected {rule}"),
        Err(e) => e,
    };
    assert_eq!(err["code"].as_i64(), Some(-32051), "{err}");
    assert_eq!(err["data"]["reason"], "tx_rejected", "{err}");
    let msg = err["message"].as_str().unwrap().to_owned();
    assert!(msg.contains(rule), "expected {rule}: {err}");
    msg
}

#[test]
fn tampered_results_are_refused_by_the_daemon_node_with_the_rule_they_break() {
    let dir = tempfile::tempdir().unwrap();
    let (_, id) = tiny_model(dir.path());
    let (key, pw, miner) = miner_key(dir.path());
    let mut spec = DaemonSpec::new(dir.path());
    // The daemon's node judges; the test holds the miner key and plays a miner that cheats.
    spec.serve = false;
    spec.key = Some((key, pw));
    let devs = dev_accounts();
    // Block rewards go to an account the checks below do not watch.
    spec.coinbase = Some(devs[5].address);
    let mut d = spec.start("node");
    let (funder, user, owner, other) = (
        devs[0].identity(),
        devs[2].identity(),
        devs[3].identity(),
        devs[4].identity(),
    );
    let fund = d.rpc.sign(
        &funder,
        TxKind::Transfer(Transfer {
            to: miner.address(),
            amount: Amount(200 * BASE_UNITS_PER_INF),
        }),
    );
    d.rpc.send(&fund).unwrap();
    d.rpc.send_kind(
        &owner,
        TxKind::RegisterModel(RegisterModel {
            id,
            name: "tiny-test".into(),
            architecture: "llama".into(),
            context_length: 256,
            royalty_bps: 500,
            parent: None,
        }),
    );
    d.rpc.wait_mined(&fund.txid());
    let serving = miner.reply_secret().public_key();
    d.rpc.send_kind(
        &miner,
        TxKind::RegisterMiner(RegisterMiner {
            serving_key: serving,
            offers: vec![Offer {
                model: id,
                price_in: Amount(1_000),
                price_out: Amount(3_000),
                max_output_tokens: 64,
            }],
            p2p_addr: "/ip4/127.0.0.1/tcp/1".into(),
            attestation: Attestation::Simulated {
                report_data: Attestation::report_data(&serving, &[id]),
            },
            bond: ChainSpec::dev().min_miner_bond,
        }),
    );

    // Two jobs: one with a long expiry that requires attestation, one that expires soon.
    let h = d.rpc.height();
    let job = submit_job(
        &mut d.rpc,
        &user,
        &miner,
        id,
        "tamper with me",
        h + 60,
        true,
    );
    let short = submit_job(&mut d.rpc, &user, &miner, id, "too late", h + 4, false);
    d.rpc.wait_mined(&job.txid());
    d.rpc.wait_mined(&short.txid());

    let good = honest_result(&job, &miner, "an honest answer", (6, 3));
    let snapshot = |rpc: &mut support::Rpc| {
        (
            rpc.account(&miner.address()),
            rpc.account(&user.address()),
            rpc.balance(&other.address()),
            rpc.balance(&owner.address()),
            rpc.job(&job.txid()),
        )
    };
    let before = snapshot(&mut d.rpc);
    assert_eq!(before.4["status"], "pending");
    let nonce = d.rpc.next_nonce(&miner.address());

    // more output tokens than the job paid for (receipt consistent with the tx).
    let mut over = with_receipt(&good, &miner, |r| r.output_tokens = 17);
    if let TxKind::PostResult(PostResult { output_tokens, .. }) = &mut over {
        *output_tokens = 17;
    }
    refused(&mut d.rpc, &sign_at(&miner, nonce, over), "R-073");
    // the receipt disagrees with the transaction or the job, field by field.
    for (field, f) in [
        (
            "output_tokens",
            Box::new(|r: &mut Receipt| r.output_tokens += 1) as Box<dyn FnOnce(&mut Receipt)>,
        ),
        ("model", Box::new(|r: &mut Receipt| r.model = Hash([9; 32]))),
        (
            "request_hash",
            Box::new(|r: &mut Receipt| r.request_hash = Hash([8; 32])),
        ),
        ("sampling", Box::new(|r: &mut Receipt| r.sampling.seed += 1)),
        ("user", Box::new(|r: &mut Receipt| r.user = devs[6].address)),
    ] {
        let msg = refused(
            &mut d.rpc,
            &sign_at(&miner, nonce, with_receipt(&good, &miner, f)),
            "R-074",
        );
        assert!(msg.contains(field), "R-074 names `{field}`: {msg}");
    }
    // the receipt signed by someone other than the job's miner.
    refused(
        &mut d.rpc,
        &sign_at(&miner, nonce, with_receipt(&good, &other, |_| {})),
        "R-075",
    );
    // the right result, posted by another account.
    let other_nonce = d.rpc.next_nonce(&other.address());
    refused(
        &mut d.rpc,
        &sign_at(&other, other_nonce, good.clone()),
        "R-072",
    );
    // no attestation evidence for a job that requires it.
    let mut bare = good.clone();
    if let TxKind::PostResult(PostResult { attestation, .. }) = &mut bare {
        *attestation = None;
    }
    refused(&mut d.rpc, &sign_at(&miner, nonce, bare), "R-076");
    // a result for a job that does not exist.
    let mut ghost = good.clone();
    if let TxKind::PostResult(PostResult { job, .. }) = &mut ghost {
        *job = Hash([7; 32]);
    }
    refused(&mut d.rpc, &sign_at(&miner, nonce, ghost), "R-070");

    // Nothing changed: no fee charged, no nonce used, the job still pending, no record.
    let next = d.rpc.height() + 1;
    d.rpc.wait_height(next, 10);
    assert_eq!(snapshot(&mut d.rpc), before);
    assert!(
        d.rpc
            .call("state_getRecord", json!([hex::encode(job.txid().0)]))
            .is_null()
    );
    assert_eq!(d.rpc.call("tx_pending", json!([])), json!([]));

    // The honest result itself is accepted: the refusals were the tampering's.
    let post = sign_at(&miner, nonce, good);
    d.rpc.send(&post).unwrap();
    d.rpc.wait_mined(&post.txid());
    let rec = d
        .rpc
        .call("state_getRecord", json!([hex::encode(job.txid().0)]));
    assert_eq!(address(&rec["owner"]), user.address(), "{rec}");
    assert_eq!(d.rpc.job(&job.txid())["status"], "completed");

    // a well-formed result after the job expired and was refunded.
    wait_expired(&mut d, &short.txid());
    let late = honest_result(&short, &miner, "too late", (4, 2));
    let n = d.rpc.next_nonce(&miner.address());
    refused(&mut d.rpc, &sign_at(&miner, n, late), "R-071");
    assert!(
        d.rpc
            .call("state_getRecord", json!([hex::encode(short.txid().0)]))
            .is_null()
    );
}

fn wait_expired(d: &mut support::Daemon, job: &Hash) {
    support::wait_for("the short job to expire", 30, || {
        (d.rpc.job(job)["status"] == "expired").then_some(())
    });
}

#[test]
fn a_canary_prompt_through_the_wallet_never_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spec, miner, id) = support::serving_tiny(dir.path());
    spec.rust_log = "trace";
    let mut d = spec.start("trace");
    d.wait_registered(&miner.address(), &id);
    let w = Wallet::new(dir.path(), d.url());
    w.import_dev("user", 1);

    let canary = support::canary("wallet");
    let mut args = vec!["prompt", canary.as_str()];
    let flags = SAMPLED.flags();
    args.extend(flags.iter().map(String::as_str));
    let prompted = w.output(Some("user"), &args);
    let out = support::json_ok(&prompted);
    let rid = out["record_id"].as_str().unwrap().to_owned();
    // The owner decrypting the record is the one place the prompt may appear: a control that
    // the scan finds the canary where it is.
    let decrypted = w.output(Some("user"), &["records", "decrypt", &rid]);
    assert_eq!(
        support::json_ok(&decrypted)["prompt"].as_str(),
        Some(canary.as_str())
    );

    // Every RPC answer about the chain: all blocks, the job, the record, the mempool.
    let tip = d.rpc.height();
    for h in 0..=tip {
        d.rpc.call("chain_getBlockByHeight", json!([h]));
    }
    d.rpc.call("state_getRecord", json!([rid]));
    d.rpc.call("state_getJob", json!([rid]));
    d.rpc.call("tx_get", json!([rid]));
    d.rpc.call("tx_pending", json!([]));
    d.rpc.call(
        "state_getRecordsByOwner",
        json!([dev_accounts()[1].address.to_bech32()]),
    );
    let responses = d.rpc.responses.concat();
    let logs = d.logs();
    d.stop();

    let needles = needles(&canary);
    assert!(
        count_hits(&decrypted.stdout, &needles) > 0,
        "the scan finds the canary"
    );
    let (entries, db) = rocksdb_dump(&dir.path().join("data"));
    assert!(entries > 10, "the scan read the store ({entries} entries)");
    assert_eq!(count_hits(&db, &needles), 0, "canary in a rocksdb value");
    // Every file of the run: the daemon's data dir, its logs, the miner key, the wallet dir.
    let files = files_under(dir.path());
    assert!(files.iter().any(|f| f.starts_with(w.wallet_dir())));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(count_hits(&bytes, &needles), 0, "canary in {}", f.display());
    }
    assert!(
        logs.len() > 10_000,
        "trace logs were captured ({} bytes)",
        logs.len()
    );
    assert!(
        String::from_utf8_lossy(&logs).contains("TRACE"),
        "the daemon logged at TRACE"
    );
    assert_eq!(
        count_hits(&logs, &needles),
        0,
        "canary in the daemon's logs"
    );
    assert!(responses.contains(&rid));
    assert_eq!(
        count_hits(responses.as_bytes(), &needles),
        0,
        "canary in an RPC response"
    );
    // The wallet printed the answer, not the prompt; its stderr is clean too.
    assert_eq!(count_hits(&prompted.stdout, &needles), 0);
    assert_eq!(count_hits(&prompted.stderr, &needles), 0);
    assert_eq!(count_hits(&decrypted.stderr, &needles), 0);
}

/// The tiny model's ChatML rendering of `messages` with the generation prompt.
fn chatml(messages: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (role, content) in messages {
        s.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
    }
    s.push_str("<|im_start|>assistant\n");
    s
}

#[test]
fn a_two_turn_wallet_chat_is_served_as_one_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, miner, id) = support::serving_tiny(dir.path());
    let model = spec.models[0].clone();
    let mut d = spec.start("chat");
    d.wait_registered(&miner.address(), &id);
    let w = Wallet::new(dir.path(), d.url());
    w.import_dev("user", 1);

    let mut args = vec!["chat", "--timeout", "60"];
    let flags = SAMPLED.flags();
    args.extend(flags.iter().map(String::as_str));
    let mut chat = w
        .cmd(Some("user"), &args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    chat.stdin
        .take()
        .unwrap()
        .write_all(b"hello there\nwhat is a blockchain?\n")
        .unwrap();
    let out = chat.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let turns: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(turns.len(), 2, "{turns:?}");
    let first = turns[0]["answer"].as_str().unwrap();
    let second = turns[1]["answer"].as_str().unwrap();

    // Turn one is a plain prompt: one user message.
    let r1 = support::infer(&model, ["--chat", "hello there"], &SAMPLED);
    assert_eq!(first, r1["text"].as_str().unwrap());

    // Turn two's record holds the whole conversation, and its answer is the model's
    // continuation of that conversation rendered through the chat template.
    let rid = turns[1]["record_id"].as_str().unwrap();
    let dec = w.json(Some("user"), &["records", "decrypt", rid]);
    let convo: Value = serde_json::from_str(dec["prompt"].as_str().unwrap()).unwrap_or_else(|e| {
        panic!("the second record's prompt is not a conversation ({e}): {dec}")
    });
    assert_eq!(
        convo,
        json!({"messages": [
            {"role": "user", "content": "hello there"},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "what is a blockchain?"},
        ]})
    );
    assert_eq!(dec["answer"].as_str(), Some(second));
    let rendered = chatml(&[
        ("user", "hello there"),
        ("assistant", first),
        ("user", "what is a blockchain?"),
    ]);
    let r2 = support::infer(&model, ["--prompt", &rendered], &SAMPLED);
    assert_eq!(
        turns[1]["tokens_in"].as_u64(),
        Some(r2["prompt_tokens"].as_array().unwrap().len() as u64),
        "the daemon rendered the conversation, not the JSON text"
    );
    assert_eq!(second, r2["text"].as_str().unwrap());
}

/// Splits a printed shell command line into words (double quotes group, as a shell does for
/// these lines).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in {line:?}");
    if any {
        words.push(cur);
    }
    words
}

#[test]
fn the_wallet_commands_the_dev_daemon_prints_work_as_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, miner, id) = support::serving_tiny(dir.path());
    let model = spec.models[0].clone();
    let mut d = spec.start("dev");
    d.wait_registered(&miner.address(), &id);

    // The start banner's "Try:" block, printed once the miner is registered.
    let stdout = d.stdout.clone();
    let lines: Vec<String> = support::wait_for("the start banner", 60, || {
        let text = std::fs::read_to_string(&stdout).ok()?;
        let after: Vec<String> = text
            .lines()
            .skip_while(|l| l.trim() != "Try:")
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .map(|l| l.trim().to_owned())
            .collect();
        (after.len() >= 2).then_some(after)
    });
    // Logs written to a file carry no terminal colour codes.
    let logs = d.logs();
    assert!(logs.len() > 100, "the daemon logged ({} bytes)", logs.len());
    assert!(!logs.contains(&0x1b), "colour codes in a log file");
    let mut env: Vec<(String, String)> = Vec::new();
    let mut outputs = Vec::new();
    for line in &lines {
        let words = shell_words(line);
        if words[0] == "export" {
            let (k, v) = words[1].split_once('=').unwrap();
            env.push((k.to_owned(), v.to_owned()));
            continue;
        }
        assert_eq!(words[0], "infernet-wallet", "a wallet command: {line}");
        let out = std::process::Command::new(support::wallet_binary())
            .args(&words[1..])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("INFERNET_WALLET_DIR", dir.path().join("wallet"))
            .env("INFERNET_PASSWORD", "a password typed at the prompt")
            .env_remove("INFERNET_KEY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{line}` failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((line.clone(), out));
    }
    assert!(
        env.iter()
            .any(|(k, v)| k == "INFERNET_RPC" && v.contains(&d.rpc.addr)),
        "the banner exports this daemon's RPC URL: {env:?}"
    );
    // The prompt it suggests is answered with the model's own answer (the wallet's defaults:
    // greedy, at most 128 tokens).
    let (line, out) = outputs
        .iter()
        .find(|(l, _)| l.contains(" prompt "))
        .expect("the banner suggests a prompt");
    let text = shell_words(line).last().unwrap().clone();
    let greedy = Sampling {
        max_tokens: 128,
        temperature: "0",
        top_p: "1",
        top_k: 0,
        seed: 0,
    };
    let reference = support::infer(&model, ["--chat", &text], &greedy);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end_matches('\n'),
        reference["text"].as_str().unwrap()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cost"));
}
