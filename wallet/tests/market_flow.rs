#![allow(clippy::unwrap_used, missing_docs)]
//! The record market end to end against a real `infernet-node --dev`, with the real
//! `infernet-wallet` binary for both parties and the test playing the miner through the real
//! crypto and types crates (as `prompt_flow.rs` does): Alice makes three prompts, lists the
//! three records as one bundle, Bob buys, Alice's `market watch --once` delivers, Bob's
//! `market verify` passes and `records decrypt` shows Alice's prompts; balances move by the
//! price, the royalties and the fees exactly; a non-owner cannot list and a listed record
//! cannot be listed again.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use infernet_crypto::{Hash, Identity, RecordKey, ReplyPublicKey, record, seal};
use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};
use infernet_rpc::views::{JobStatus, ListingFilter, ListingStatus, TxKindView};
use infernet_rpc::{Address as RpcAddress, H256};
use infernet_types::{
    Amount, Attestation, ChainSpec, Encode, Offer, Receipt, RecordPlaintext, SamplingParams,
    TxKind, dev_accounts, sealing,
};
use infernet_wallet::tx;
use serde_json::Value;

#[path = "support/node.rs"]
mod node;

const WALLET: &str = env!("CARGO_BIN_EXE_infernet-wallet");
const CHAIN_ID: u64 = 1337;
const PROMPTS: [&str; 3] = ["What is 2+2?", "Name a colour.", "Say hi."];

async fn send(client: &HttpClient, id: &Identity, kind: TxKind) {
    let nonce = client
        .state_get_account(RpcAddress(id.address().0))
        .await
        .unwrap()
        .next_nonce;
    let signed = tx::sign(id, CHAIN_ID, nonce, Amount(10), kind).unwrap();
    let txid = client.tx_send(tx::to_hex(&signed)).await.unwrap();
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

fn wallet(dir: &std::path::Path, rpc: &str, key: &str, args: &[&str]) -> Command {
    let mut c = Command::new(WALLET);
    c.arg("--rpc")
        .arg(rpc)
        .arg("--wallet-dir")
        .arg(dir.join("wallet"))
        .arg("--password-file")
        .arg(dir.join("pw"))
        .args(["--no-input", "--json", "--key", key])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn json_ok(out: std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "wallet failed: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Serves the next pending job to `miner` the way the daemon does; returns the record id.
async fn serve_next(client: &HttpClient, miner: &Identity, user: &Identity, model: Hash) -> Hash {
    let start = Instant::now();
    let (job_id, nonce, kind) = 'found: loop {
        let tip = client.chain_get_tip().await.unwrap().height;
        for h in tip.saturating_sub(3)..=tip {
            let Some(b) = client.chain_get_block_by_height(h).await.unwrap() else {
                continue;
            };
            for t in b.transactions {
                if let TxKindView::SubmitJob { miner: m, .. } = &t.kind
                    && m.0 == miner.address().0
                    && client.state_get_job(t.txid).await.unwrap().unwrap().status
                        == JobStatus::Pending
                {
                    break 'found (t.txid, t.nonce, t.kind);
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no job arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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
    let record_id = Hash(job_id.0);
    let pt = RecordPlaintext {
        salt: [3; 32],
        prompt: prompt.to_vec(),
        answer: format!("answer to {}", String::from_utf8_lossy(&prompt)).into_bytes(),
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
        input_tokens: 4,
        output_tokens: 3,
        commitment: pt.commitment(),
        user: user.address(),
        user_reply_key: reply_key,
    };
    let receipt_signature = receipt.sign(miner, CHAIN_ID);
    send(
        client,
        miner,
        TxKind::PostResult {
            job: record_id,
            input_tokens: 4,
            output_tokens: 3,
            payload,
            sealed_record_key,
            receipt,
            receipt_signature,
            attestation: None,
        },
    )
    .await;
    record_id
}

struct Env {
    node: node::Node,
    client: HttpClient,
    dir: tempfile::TempDir,
    alice: Identity,
    bob: Identity,
    miner: Identity,
    owner: Identity,
    records: Vec<Hash>,
}

/// A dev node with a registered model and miner, and Alice's records from `prompts`.
async fn setup(prompts: &[&str]) -> Env {
    let node = node::start();
    let client = http_client(&node.rpc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let d = d.as_path();
    std::fs::write(d.join("pw"), "pw\n").unwrap();
    let accounts = dev_accounts();
    let alice = accounts[1].identity();
    let bob = accounts[2].identity();
    let miner = accounts[3].identity();
    let owner = accounts[4].identity();
    for (name, n) in [("alice", "1"), ("bob", "2")] {
        json_ok(
            wallet(
                d,
                &node.rpc,
                name,
                &["key", "import", name, "--dev-account", n],
            )
            .output()
            .unwrap(),
        );
    }
    let model = Hash([7; 32]);
    send(
        &client,
        &owner,
        TxKind::RegisterModel {
            id: model,
            name: "tiny-test".into(),
            architecture: "llama".into(),
            context_length: 512,
            royalty_bps: 500,
            parent: None,
        },
    )
    .await;
    send(
        &client,
        &miner,
        TxKind::RegisterMiner {
            serving_key: miner.reply_secret().public_key(),
            offers: vec![Offer {
                model,
                price_in: Amount(1_000),
                price_out: Amount(2_000),
                max_output_tokens: 64,
            }],
            p2p_addr: "/ip4/127.0.0.1/tcp/1".into(),
            attestation: Attestation::None,
            bond: ChainSpec::dev().min_miner_bond,
        },
    )
    .await;

    // Alice makes three prompts: three records.
    let mut records = Vec::new();
    for p in prompts {
        let child = wallet(
            d,
            &node.rpc,
            "alice",
            &["prompt", p, "--model", "tiny-test", "--max-tokens", "8"],
        )
        .spawn()
        .unwrap();
        records.push(serve_next(&client, &miner, &alice, model).await);
        json_ok(
            tokio::task::spawn_blocking(move || child.wait_with_output())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    Env {
        node,
        client,
        dir,
        alice,
        bob,
        miner,
        owner,
        records,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_is_listed_bought_delivered_by_watch_and_verified() {
    let Env {
        node,
        client,
        dir,
        alice,
        bob,
        miner,
        owner,
        records,
    } = setup(&PROMPTS).await;
    let d = dir.path();
    let ids: Vec<String> = records.iter().map(Hash::to_hex).collect();

    // A non-owner cannot list them.
    let mut args = vec!["market", "list"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--price", "3000000001base", "--title", "three prompts"]);
    let out = wallet(d, &node.rpc, "bob", &args).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("only the owner can list it"), "{err}");

    // Alice lists the bundle.
    let listed = json_ok(wallet(d, &node.rpc, "alice", &args).output().unwrap());
    let listing = listed["listing_id"].as_str().unwrap().to_owned();
    assert_eq!(listed["records"], serde_json::json!(ids));
    assert_eq!(listed["price"]["base"], "3000000001");
    let lid = H256(listing.parse::<Hash>().unwrap().0);
    let start = Instant::now();
    while client
        .tx_get(lid)
        .await
        .unwrap()
        .and_then(|t| t.block_height)
        .is_none()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "listing not mined"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A listed record cannot be listed again.
    let out = wallet(
        d,
        &node.rpc,
        "alice",
        &["market", "list", &ids[0], "--price", "1"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("already offered by listing"), "{err}");

    // Bob browses and sees counts, never content.
    let all = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "listings"])
            .output()
            .unwrap(),
    );
    assert_eq!(all[0]["listing_id"], listing);
    assert_eq!(all[0]["summary"]["records"], 3);
    let shown = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "show", &listing])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["summary"]["input_tokens"], 12);
    assert_eq!(shown["summary"]["output_tokens"], 9);
    assert!(!shown.to_string().contains(PROMPTS[0]));

    let (a0, b0, m0, o0) = (
        balance(&client, &alice.address()).await,
        balance(&client, &bob.address()).await,
        balance(&client, &miner.address()).await,
        balance(&client, &owner.address()).await,
    );
    let bought = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "buy", &listing, "--wait"])
            .output()
            .unwrap(),
    );
    let purchase = H256(
        bought["purchase_id"]
            .as_str()
            .unwrap()
            .parse::<Hash>()
            .unwrap()
            .0,
    );
    let delivered = json_ok(
        wallet(d, &node.rpc, "alice", &["market", "watch", "--once"])
            .output()
            .unwrap(),
    );
    assert_eq!(delivered["event"], "delivered");
    let start = Instant::now();
    loop {
        let page = client
            .state_get_listings(Some(ListingFilter::default()))
            .await
            .unwrap();
        if page
            .items
            .iter()
            .any(|l| l.id == lid && l.status == ListingStatus::Delivered)
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Bob verifies provenance and reads Alice's prompts.
    let v = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "verify", &listing])
            .output()
            .unwrap(),
    );
    assert_eq!(v["verified"], true);
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    for (i, id) in ids.iter().enumerate() {
        let dec = json_ok(
            wallet(d, &node.rpc, "bob", &["records", "decrypt", id])
                .output()
                .unwrap(),
        );
        assert_eq!(dec["prompt"], PROMPTS[i]);
    }
    // Bob's export: three conversations, user messages as Alice typed them.
    let jsonl = d.join("bought.jsonl");
    json_ok(
        wallet(
            d,
            &node.rpc,
            "bob",
            &[
                "records",
                "export",
                "--format",
                "openai",
                "--out",
                jsonl.to_str().unwrap(),
            ],
        )
        .output()
        .unwrap(),
    );
    let mut users: Vec<String> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["messages"][1]["role"], "assistant");
            assert_eq!(
                v["messages"][1]["content"],
                format!(
                    "answer to {}",
                    v["messages"][0]["content"].as_str().unwrap()
                )
            );
            v["messages"][0]["content"].as_str().unwrap().to_owned()
        })
        .collect();
    users.sort();
    let mut want: Vec<String> = PROMPTS.iter().map(|p| (*p).to_owned()).collect();
    want.sort();
    assert_eq!(users, want);

    // Balances: 3_000_000_001 split 1_000_000_001 / 1_000_000_000 / 1_000_000_000; 5% of
    // each share to the miner and to the model owner; Bob paid price + the Buy fee, Alice
    // got the rest minus the Deliver fee.
    let royalty = 50_000_000 * 3;
    let (a1, b1, m1, o1) = (
        balance(&client, &alice.address()).await,
        balance(&client, &bob.address()).await,
        balance(&client, &miner.address()).await,
        balance(&client, &owner.address()).await,
    );
    assert_eq!(m1 - m0, royalty);
    assert_eq!(o1 - o0, royalty);
    let buy_fee = client.tx_get(purchase).await.unwrap().unwrap().tx.fee.0;
    let deliver_tx = H256(
        delivered["txid"]
            .as_str()
            .unwrap()
            .parse::<Hash>()
            .unwrap()
            .0,
    );
    let deliver_fee = client.tx_get(deliver_tx).await.unwrap().unwrap().tx.fee.0;
    assert!(buy_fee > 0 && deliver_fee > 0);
    assert_eq!(b0 - b1, 3_000_000_001 + buy_fee);
    assert_eq!(a1 - a0, 3_000_000_001 - 2 * royalty - deliver_fee);
}

async fn wait_mined(client: &HttpClient, txid: H256) -> u64 {
    let start = Instant::now();
    loop {
        if let Some(h) = client
            .tx_get(txid)
            .await
            .unwrap()
            .and_then(|t| t.block_height)
        {
            return h;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "tx not mined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_height(client: &HttpClient, h: u64) {
    let start = Instant::now();
    while client.chain_get_tip().await.unwrap().height < h {
        assert!(start.elapsed() < Duration::from_secs(60), "chain stalled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn hash_of(v: &Value) -> H256 {
    H256(v.as_str().unwrap().parse::<Hash>().unwrap().0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_caught_a_lapsed_listing_moves_nothing_and_an_undelivered_purchase_is_refunded()
 {
    let Env {
        node,
        client,
        dir,
        alice,
        bob,
        records,
        ..
    } = setup(&PROMPTS[..2]).await;
    let d = dir.path();
    let (r0, r1) = (records[0].to_hex(), records[1].to_hex());

    // 1. A dishonest seller delivers a well-formed box holding a random key.
    let l = json_ok(
        wallet(
            d,
            &node.rpc,
            "alice",
            &["market", "list", &r0, "--price", "1000base"],
        )
        .output()
        .unwrap(),
    );
    let listing = l["listing_id"].as_str().unwrap().to_owned();
    wait_mined(&client, hash_of(&l["listing_id"])).await;
    let bought = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "buy", &listing, "--wait"])
            .output()
            .unwrap(),
    );
    let wrong = infernet_wallet::market::delivery::seal_keys(
        CHAIN_ID,
        &bob.address(),
        &bob.reply_secret().public_key(),
        &[records[0]],
        &[RecordKey::generate()],
    )
    .unwrap();
    let purchase = bought["purchase_id"]
        .as_str()
        .unwrap()
        .parse::<Hash>()
        .unwrap();
    send(
        &client,
        &alice,
        infernet_wallet::market::delivery::deliver_kind(purchase, wrong),
    )
    .await;
    let out = wallet(
        d,
        &node.rpc,
        "bob",
        &["market", "verify", &listing, "--complain"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success(), "a wrong key must fail verification");
    // `--json` prints the verdicts first, then the error object.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"failed_check\": \"payload\""), "{text}");
    assert!(
        text.contains("provenance verification failed for 1 of 1 records"),
        "{text}"
    );
    // Bob's complaint shows in Alice's history as Bob's wallet presents it.
    let hist = json_ok(
        wallet(
            d,
            &node.rpc,
            "bob",
            &[
                "market",
                "listings",
                "--all",
                "--seller",
                &alice.address().to_string(),
            ],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(hist[0]["seller_history"]["complaints"], 1);
    assert_eq!(hist[0]["seller_history"]["delivered"], 1);
    let c = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "complaints"])
            .output()
            .unwrap(),
    );
    assert_eq!(c["complaints"][0]["buyer"], bob.address().to_string());
    assert_eq!(c["complaints"][0]["check"], "payload");

    // 2. A listing that lapses cannot be bought and moves nothing.
    let tip = client.chain_get_tip().await.unwrap().height;
    let l = json_ok(
        wallet(
            d,
            &node.rpc,
            "alice",
            &[
                "market",
                "list",
                &r1,
                "--price",
                "1000base",
                "--until",
                &(tip + 4).to_string(),
            ],
        )
        .output()
        .unwrap(),
    );
    let lapsed = l["listing_id"].as_str().unwrap().to_owned();
    wait_mined(&client, hash_of(&l["listing_id"])).await;
    wait_height(&client, tip + 5).await;
    let (a0, b0) = (
        balance(&client, &alice.address()).await,
        balance(&client, &bob.address()).await,
    );
    let out = wallet(d, &node.rpc, "bob", &["market", "buy", &lapsed])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a lapsed listing cannot be bought");
    assert_eq!(balance(&client, &bob.address()).await, b0);
    assert_eq!(balance(&client, &alice.address()).await, a0);

    // 3. The record is free again; a purchase nobody delivers is refunded at its deadline.
    let l = json_ok(
        wallet(
            d,
            &node.rpc,
            "alice",
            &["market", "list", &r1, "--price", "5000base"],
        )
        .output()
        .unwrap(),
    );
    let listing = l["listing_id"].as_str().unwrap().to_owned();
    wait_mined(&client, hash_of(&l["listing_id"])).await;
    let b0 = balance(&client, &bob.address()).await;
    let bought = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "buy", &listing, "--wait"])
            .output()
            .unwrap(),
    );
    let deadline = bought["deadline"].as_u64().unwrap();
    let buy_fee = client
        .tx_get(hash_of(&bought["purchase_id"]))
        .await
        .unwrap()
        .unwrap()
        .tx
        .fee
        .0;
    assert_eq!(b0 - balance(&client, &bob.address()).await, 5_000 + buy_fee);
    wait_height(&client, deadline).await;
    assert_eq!(b0 - balance(&client, &bob.address()).await, buy_fee);
    let open = json_ok(
        wallet(d, &node.rpc, "bob", &["market", "listings"])
            .output()
            .unwrap(),
    );
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .any(|l| l["listing_id"] == listing.as_str()),
        "the refunded listing is open again: {open}"
    );
}
