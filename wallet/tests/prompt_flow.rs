#![allow(clippy::unwrap_used, missing_docs)]
//! `infernet-wallet prompt` end to end against a real `infernet-node --dev`, with the test
//! playing the miner through the real crypto and types crates: it registers a model and a
//! miner, opens the sealed prompt it sees on chain, posts a `PostResult`, and checks what
//! the wallet prints and what balances, records and exports show. A second job is left
//! unserved: it expires and is refunded in full.
//!
//! (The same flow against the `infernet-miner` daemon belongs to the miner's tests.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use infernet_crypto::{Hash, Identity, RecordKey, ReplyPublicKey, record, seal};
use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};
use infernet_rpc::views::{JobStatus, TxKindView};
use infernet_rpc::{Address as RpcAddress, H256};
use infernet_testkit::tx::{self, Fee};
use infernet_testkit::wallet::json_ok;
use infernet_testkit::{Node, Wallet};
use infernet_types::{
    Amount, Attestation, ChainSpec, Encode, Offer, Receipt, RecordPlaintext, SamplingParams,
    TxKind, dev_accounts, sealing,
};
use infernet_types::{PostResult, RegisterMiner, RegisterModel};
use serde_json::Value;

const CHAIN_ID: u64 = 1337;
const PRICE_IN: u64 = 1_000;
const PRICE_OUT: u64 = 2_000;
const ROYALTY_BPS: u16 = 500;

async fn send(client: &HttpClient, id: &Identity, kind: TxKind) -> Hash {
    let nonce = client
        .state_get_account(RpcAddress(id.address().0))
        .await
        .unwrap()
        .next_nonce;
    let signed = tx::sign(id, CHAIN_ID, nonce, Fee::PerByte(Amount(10)), kind);
    let txid = client.tx_send(tx::to_hex(&signed)).await.unwrap();
    wait_confirmed(client, txid).await;
    Hash(txid.0)
}

async fn wait_confirmed(client: &HttpClient, txid: H256) {
    let start = Instant::now();
    loop {
        if let Some(t) = client.tx_get(txid).await.unwrap()
            && t.block_height.is_some()
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "tx not mined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn balance(client: &HttpClient, a: &infernet_crypto::Address) -> u64 {
    client
        .state_get_account(RpcAddress(a.0))
        .await
        .unwrap()
        .balance
        .0
}

/// Waits for a pending job to `miner` on chain; returns its SubmitJob view and sender nonce.
async fn next_job(
    client: &HttpClient,
    miner: &infernet_crypto::Address,
) -> (H256, u64, TxKindView) {
    let start = Instant::now();
    loop {
        let tip = client.chain_get_tip().await.unwrap().height;
        for h in tip.saturating_sub(3)..=tip {
            let Some(b) = client.chain_get_block_by_height(h).await.unwrap() else {
                continue;
            };
            for t in b.transactions {
                if let TxKindView::SubmitJob { miner: m, .. } = &t.kind
                    && m.0 == miner.0
                {
                    let job = client.state_get_job(t.txid).await.unwrap().unwrap();
                    if job.status == JobStatus::Pending {
                        return (t.txid, t.nonce, t.kind);
                    }
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no job arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Serves the next job to `miner` with `answer`; returns the prompt it opened.
async fn serve_next(
    client: &HttpClient,
    miner: &Identity,
    user: &Identity,
    model: Hash,
    answer: &str,
) -> Vec<u8> {
    let (job_id, nonce, kind) = next_job(client, &miner.address()).await;
    let TxKindView::SubmitJob {
        sealed_prompt,
        reply_key,
        sampling,
        ..
    } = kind
    else {
        unreachable!()
    };
    let sealed = infernet_crypto::SealedBox {
        enc: sealed_prompt.enc.0,
        ciphertext: sealed_prompt.ciphertext.0.clone(),
    };
    let prompt = seal::open(
        &miner.reply_secret(),
        &sealing::prompt_info(CHAIN_ID),
        &sealing::prompt_aad(&user.address(), &miner.address(), &model, nonce),
        &sealed,
    )
    .unwrap();
    let id = Hash(job_id.0);
    let pt = RecordPlaintext {
        salt: [1; 32],
        prompt: prompt.to_vec(),
        answer: answer.as_bytes().to_vec(),
    };
    let key = RecordKey::generate();
    let reply_key = ReplyPublicKey(reply_key.0);
    let receipt = Receipt {
        job: id,
        model,
        miner: miner.address(),
        request_hash: infernet_types::request_hash(&sealed),
        sampling: SamplingParams {
            temperature_milli: sampling.temperature_milli,
            top_p_milli: sampling.top_p_milli,
            top_k: sampling.top_k,
            seed: sampling.seed.0,
        },
        input_tokens: 1,
        output_tokens: 1,
        commitment: pt.commitment(),
        user: user.address(),
        user_reply_key: reply_key,
    };
    let kind = TxKind::PostResult(PostResult {
        job: id,
        input_tokens: 1,
        output_tokens: 1,
        payload: record::encrypt(
            &key,
            &sealing::record_payload_aad(CHAIN_ID, &id),
            &pt.encode(),
        ),
        sealed_record_key: seal::seal(
            &reply_key,
            &sealing::record_key_info(CHAIN_ID),
            &sealing::record_key_aad(&id, &user.address()),
            key.as_bytes(),
        )
        .unwrap(),
        receipt_signature: receipt.sign(miner, CHAIN_ID),
        receipt,
        attestation: None,
    });
    send(client, miner, kind).await;
    prompt.to_vec()
}

fn wallet(dir: &std::path::Path, rpc: &str, args: &[&str]) -> Command {
    wallet_as(dir, rpc, "user", args)
}

/// The test kit's wallet runner (`--json`), as `key`, with its wallet under `dir`.
fn wallet_as(dir: &std::path::Path, rpc: &str, key: &str, args: &[&str]) -> Command {
    Wallet::new(dir, rpc).cmd(Some(key), args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_is_served_decrypted_paid_and_exported_and_an_unserved_job_is_refunded() {
    let node = Node::start_dev();
    let client = http_client(&node.rpc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let accounts = dev_accounts();
    let user = accounts[1].identity();
    let miner = accounts[3].identity();
    let owner = accounts[4].identity();
    json_ok(
        &wallet(
            dir.path(),
            &node.rpc,
            &["key", "import", "user", "--dev-account", "1"],
        )
        .output()
        .unwrap(),
    );

    // The model owner registers a model; the miner registers with an offer for it.
    let model = Hash([7; 32]);
    send(
        &client,
        &owner,
        TxKind::RegisterModel(RegisterModel {
            id: model,
            name: "tiny-test".into(),
            architecture: "llama".into(),
            context_length: 512,
            royalty_bps: ROYALTY_BPS,
            parent: None,
        }),
    )
    .await;
    send(
        &client,
        &miner,
        TxKind::RegisterMiner(RegisterMiner {
            serving_key: miner.reply_secret().public_key(),
            offers: vec![Offer {
                model,
                price_in: Amount(PRICE_IN),
                price_out: Amount(PRICE_OUT),
                max_output_tokens: 64,
            }],
            p2p_addr: "/ip4/127.0.0.1/tcp/1".into(),
            attestation: Attestation::None,
            bond: ChainSpec::dev().min_miner_bond,
        }),
    )
    .await;
    let listed = json_ok(
        &wallet(dir.path(), &node.rpc, &["miners", "--model", "tiny-test"])
            .output()
            .unwrap(),
    );
    assert_eq!(listed[0]["address"], miner.address().to_string());

    let user_before = balance(&client, &user.address()).await;
    let owner_before = balance(&client, &owner.address()).await;
    let child = wallet(
        dir.path(),
        &node.rpc,
        &[
            "prompt",
            "hello miner",
            "--model",
            "tiny-test",
            "--max-tokens",
            "16",
            "--seed",
            "9",
        ],
    )
    .spawn()
    .unwrap();

    // Serve it as a miner would.
    let (job_id, nonce, kind) = next_job(&client, &miner.address()).await;
    let TxKindView::SubmitJob {
        sealed_prompt,
        reply_key,
        sampling,
        max_input_tokens,
        max_output_tokens,
        ..
    } = kind
    else {
        unreachable!()
    };
    assert_eq!(max_output_tokens, 16);
    assert_eq!(sampling.seed.0, 9);
    let sealed = infernet_crypto::SealedBox {
        enc: sealed_prompt.enc.0,
        ciphertext: sealed_prompt.ciphertext.0.clone(),
    };
    let prompt = seal::open(
        &miner.reply_secret(),
        &sealing::prompt_info(CHAIN_ID),
        &sealing::prompt_aad(&user.address(), &miner.address(), &model, nonce),
        &sealed,
    )
    .unwrap();
    assert_eq!(prompt.as_slice(), b"hello miner");
    let record_id = Hash(job_id.0);
    let pt = RecordPlaintext {
        salt: [3; 32],
        prompt: prompt.to_vec(),
        answer: b"hello user".to_vec(),
    };
    let key = RecordKey::generate();
    let payload = record::encrypt(
        &key,
        &sealing::record_payload_aad(CHAIN_ID, &record_id),
        &pt.encode(),
    );
    let reply_key = ReplyPublicKey(reply_key.0);
    let sealed_record_key = seal::seal(
        &reply_key,
        &sealing::record_key_info(CHAIN_ID),
        &sealing::record_key_aad(&record_id, &user.address()),
        key.as_bytes(),
    )
    .unwrap();
    let (tin, tout) = (5u32, 3u32);
    let receipt = Receipt {
        job: record_id,
        model,
        miner: miner.address(),
        request_hash: infernet_types::request_hash(&sealed),
        sampling: SamplingParams {
            temperature_milli: sampling.temperature_milli,
            top_p_milli: sampling.top_p_milli,
            top_k: sampling.top_k,
            seed: sampling.seed.0,
        },
        input_tokens: tin,
        output_tokens: tout,
        commitment: pt.commitment(),
        user: user.address(),
        user_reply_key: reply_key,
    };
    let receipt_signature = receipt.sign(&miner, CHAIN_ID);
    send(
        &client,
        &miner,
        TxKind::PostResult(PostResult {
            job: record_id,
            input_tokens: tin,
            output_tokens: tout,
            payload,
            sealed_record_key,
            receipt,
            receipt_signature,
            attestation: None,
        }),
    )
    .await;

    let out = json_ok(
        &tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap(),
    );
    let cost = PRICE_IN * u64::from(tin) + PRICE_OUT * u64::from(tout);
    let escrow = PRICE_IN * u64::from(max_input_tokens) + PRICE_OUT * 16;
    assert_eq!(out["answer"], "hello user");
    assert_eq!(out["job_id"], hex::encode(job_id.0));
    assert_eq!(out["record_id"], hex::encode(job_id.0));
    assert_eq!(out["miner"], miner.address().to_string());
    assert_eq!(out["model_id"], model.to_hex());
    assert_eq!(
        (out["tokens_in"].as_u64(), out["tokens_out"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(out["cost"], cost.to_string());
    assert_eq!(out["refund"], (escrow - cost).to_string());
    let fee: u64 = out["fee"].as_str().unwrap().parse().unwrap();
    // Balances move by exactly the cost (plus the fee) and the royalty.
    assert_eq!(
        user_before - balance(&client, &user.address()).await,
        cost + fee
    );
    let royalty = cost * u64::from(ROYALTY_BPS) / 10_000;
    assert_eq!(
        balance(&client, &owner.address()).await - owner_before,
        royalty
    );

    // Records: owned by the user, decrypt, export.
    let list = json_ok(
        &wallet(dir.path(), &node.rpc, &["records", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(list[0]["id"], hex::encode(job_id.0));
    assert_eq!(list[0]["owner"], user.address().to_string());
    let dec = json_ok(
        &wallet(
            dir.path(),
            &node.rpc,
            &["records", "decrypt", &hex::encode(job_id.0)],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(
        (dec["prompt"].as_str(), dec["answer"].as_str()),
        (Some("hello miner"), Some("hello user"))
    );
    let jsonl = dir.path().join("out.jsonl");
    json_ok(
        &wallet(
            dir.path(),
            &node.rpc,
            &[
                "records",
                "export",
                "--format",
                "trl",
                "--out",
                jsonl.to_str().unwrap(),
            ],
        )
        .output()
        .unwrap(),
    );
    let line: Value =
        serde_json::from_str(std::fs::read_to_string(&jsonl).unwrap().trim()).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"prompt": "hello miner", "completion": "hello user"})
    );
    let prov: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out.jsonl.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(prov["records"][0]["commitment"], pt.commitment().to_hex());

    // Chat: two turns; the second seals the whole conversation.
    let mut chat = wallet(dir.path(), &node.rpc, &["chat", "--model", "tiny-test"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = chat.stdin.take().unwrap();
        stdin
            .write_all(b"first question\nsecond question\n")
            .unwrap();
    }
    assert_eq!(
        serve_next(&client, &miner, &user, model, "first answer").await,
        b"first question"
    );
    let second = serve_next(&client, &miner, &user, model, "second answer").await;
    let convo: Value = serde_json::from_slice(&second).unwrap();
    assert_eq!(
        convo,
        serde_json::json!({"messages": [
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "second question"},
        ]})
    );
    let out = tokio::task::spawn_blocking(move || chat.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[1]["answer"], "second answer");

    // Transfer: the record key is sealed to the new owner, who can decrypt; the old can't.
    let rid = hex::encode(job_id.0);
    json_ok(
        &wallet(dir.path(), &node.rpc, &["key", "new", "bob"])
            .output()
            .unwrap(),
    );
    let bob = json_ok(
        &wallet(
            dir.path(),
            &node.rpc,
            &["key", "show", "bob", "--reply-key"],
        )
        .output()
        .unwrap(),
    );
    let moved = json_ok(
        &wallet(
            dir.path(),
            &node.rpc,
            &[
                "records",
                "transfer",
                &rid,
                "bob",
                "--reply-key",
                bob["reply_key"].as_str().unwrap(),
            ],
        )
        .output()
        .unwrap(),
    );
    let txid: infernet_crypto::Hash = moved["txid"].as_str().unwrap().parse().unwrap();
    wait_confirmed(&client, H256(txid.0)).await;
    let shown = json_ok(
        &wallet(dir.path(), &node.rpc, &["records", "show", &rid])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["owner"], bob["address"]);
    let dec = json_ok(
        &wallet_as(dir.path(), &node.rpc, "bob", &["records", "decrypt", &rid])
            .output()
            .unwrap(),
    );
    assert_eq!(dec["answer"], "hello user");
    let old = wallet(dir.path(), &node.rpc, &["records", "decrypt", &rid])
        .output()
        .unwrap();
    assert!(!old.status.success());
    assert!(String::from_utf8_lossy(&old.stdout).contains("does not open"));

    // An unserved job expires and is refunded in full (only the fee is spent).
    let before = balance(&client, &user.address()).await;
    let out = wallet(
        dir.path(),
        &node.rpc,
        &[
            "prompt",
            "nobody answers",
            "--model",
            "tiny-test",
            "--expiry-blocks",
            "2",
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = err["error"].as_str().unwrap();
    assert!(
        msg.contains("expired at height") && msg.contains("refunded in full"),
        "{msg}"
    );
    let after = balance(&client, &user.address()).await;
    let spent = before - after;
    assert!(
        spent > 0 && spent < 10_000,
        "only the fee is spent, not the escrow: {spent}"
    );
}
