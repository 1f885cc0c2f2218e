#![allow(clippy::unwrap_used, missing_docs)]
//! The record market end to end with real binaries only: a real `infernet-miner --dev`
//! daemon (node, block production and job serving in one process, a tiny GGUF model) and the
//! real `infernet-wallet` for both parties. Alice makes three prompts that the daemon serves
//! (three records), lists them as one bundle, Bob buys, Alice's `market watch --once`
//! delivers, Bob's `market verify` passes, `records decrypt` shows Alice's prompts and
//! `records export` writes Alice's three conversations; balances move by the price, the
//! royalties (the served model is a fork, so its parent's owner gets a share) and the fees
//! exactly; a non-owner cannot list and a listed record cannot be
//! listed again. The second flow covers a wrong delivered key (caught, complained about on
//! chain, shown in Alice's history), a lapsed listing and a refund at the deadline.

use std::process::Command;
use std::time::{Duration, Instant};

use infernet_crypto::{Hash, Identity, RecordKey};
use infernet_rpc::client::{HttpClient, InfernetApiClient, http_client};
use infernet_rpc::views::{ListingFilter, ListingStatus};
use infernet_rpc::{Address as RpcAddress, H256};
use infernet_testkit::Wallet;
use infernet_testkit::tx::{self, Fee};
use infernet_testkit::wallet::json_ok;
use infernet_types::RegisterModel;
use infernet_types::{Amount, ChainSpec, ParentModel, TxKind, dev_accounts};
use serde_json::Value;

#[path = "support/miner.rs"]
mod miner;

const CHAIN_ID: u64 = 1337;
const PROMPTS: [&str; 3] = ["What is 2+2?", "Name a colour.", "Say hi."];

async fn send(client: &HttpClient, id: &Identity, kind: TxKind) {
    let nonce = client
        .state_get_account(RpcAddress(id.address().0))
        .await
        .unwrap()
        .next_nonce;
    let signed = tx::sign(id, CHAIN_ID, nonce, Fee::PerByte(Amount(10)), kind);
    let txid = client.tx_send(tx::to_hex(&signed)).await.unwrap();
    wait_mined(client, txid).await;
}

async fn balance(client: &HttpClient, a: &infernet_crypto::Address) -> u64 {
    client
        .state_get_account(RpcAddress(a.0))
        .await
        .unwrap()
        .balance
        .0
}

/// The test kit's wallet runner (`--json`), as `key`, with its wallet under `dir`.
fn wallet(dir: &std::path::Path, rpc: &str, key: &str, args: &[&str]) -> Command {
    Wallet::new(dir, rpc).cmd(Some(key), args)
}

/// Runs the wallet off the async runtime and returns its JSON output.
async fn run_json(c: Command) -> Value {
    let mut c = c;
    json_ok(
        &tokio::task::spawn_blocking(move || c.output())
            .await
            .unwrap()
            .unwrap(),
    )
}

fn register_model(id: Hash, name: &str, parent: Option<ParentModel>) -> TxKind {
    TxKind::RegisterModel(RegisterModel {
        id,
        name: name.into(),
        architecture: "llama".into(),
        context_length: 512,
        royalty_bps: 0,
        parent,
    })
}

struct Env {
    daemon: miner::Daemon,
    client: HttpClient,
    dir: tempfile::TempDir,
    alice: Identity,
    bob: Identity,
    /// Alice's records, one per prompt, in order.
    records: Vec<Hash>,
    /// The answers the daemon gave, as Alice's `prompt` printed them.
    answers: Vec<String>,
}

/// Share of a fork's model-owner royalty passed to its parent in the lineage setup.
const PARENT_SHARE_BPS: u16 = 3_000;

/// A miner daemon serving the tiny model, and Alice's records from `prompts`, each made by
/// `infernet-wallet prompt` and served by the daemon. With `lineage`, the served model is
/// registered beforehand by dev account 4 as a fork of a model of dev account 6
/// ([`PARENT_SHARE_BPS`] to the parent); else the daemon registers it itself.
async fn setup(prompts: &[&str], lineage: bool) -> Env {
    let accounts = dev_accounts();
    let alice = accounts[1].identity();
    let bob = accounts[2].identity();
    // Rewards and fees go to account 5, so the miner's balance moves only by its pay.
    let coinbase = accounts[5].identity().address();
    let daemon = if lineage {
        let (owner, parent_owner) = (accounts[4].identity(), accounts[6].identity());
        miner::start_with(&coinbase, async |c: &HttpClient, model: Hash| {
            let parent = Hash([0x51; 32]);
            send(c, &parent_owner, register_model(parent, "parent", None)).await;
            let fork = register_model(
                model,
                "tiny-fork",
                Some(ParentModel {
                    model: parent,
                    share_bps: PARENT_SHARE_BPS,
                }),
            );
            send(c, &owner, fork).await;
        })
        .await
    } else {
        miner::start(&coinbase).await
    };
    let client = http_client(&daemon.rpc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let d = d.as_path();
    for (name, n) in [("alice", "1"), ("bob", "2")] {
        json_ok(
            &wallet(
                d,
                &daemon.rpc,
                name,
                &["key", "import", name, "--dev-account", n],
            )
            .output()
            .unwrap(),
        );
    }
    let model = daemon.model.to_hex();
    let mut records = Vec::new();
    let mut answers = Vec::new();
    for p in prompts {
        let out = run_json(wallet(
            d,
            &daemon.rpc,
            "alice",
            &[
                "prompt",
                p,
                "--model",
                &model,
                "--max-tokens",
                "8",
                "--timeout",
                "60",
            ],
        ))
        .await;
        assert_eq!(out["miner"], daemon.miner.to_string(), "{out}");
        records.push(out["record_id"].as_str().unwrap().parse::<Hash>().unwrap());
        answers.push(out["answer"].as_str().unwrap().to_owned());
    }
    Env {
        daemon,
        client,
        dir,
        alice,
        bob,
        records,
        answers,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_is_listed_bought_delivered_by_watch_and_verified() {
    let Env {
        daemon,
        client,
        dir,
        alice,
        bob,
        records,
        answers,
    } = setup(&PROMPTS, true).await;
    let d = dir.path();
    let ids: Vec<String> = records.iter().map(Hash::to_hex).collect();

    // A non-owner cannot list them.
    let mut args = vec!["market", "list"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--price", "3000000001base", "--title", "three prompts"]);
    let out = wallet(d, &daemon.rpc, "bob", &args).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("only the owner can list it"), "{err}");

    // Alice lists the bundle.
    let listed = json_ok(&wallet(d, &daemon.rpc, "alice", &args).output().unwrap());
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
        &daemon.rpc,
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
        &wallet(d, &daemon.rpc, "bob", &["market", "listings"])
            .output()
            .unwrap(),
    );
    assert_eq!(all[0]["listing_id"], listing);
    assert_eq!(all[0]["summary"]["records"], 3);
    let shown = json_ok(
        &wallet(d, &daemon.rpc, "bob", &["market", "show", &listing])
            .output()
            .unwrap(),
    );
    let (mut tin, mut tout) = (0u64, 0u64);
    for r in &records {
        let r = client.state_get_record(H256(r.0)).await.unwrap().unwrap();
        tin += u64::from(r.input_tokens);
        tout += u64::from(r.output_tokens);
    }
    assert!(tin > 0 && tout > 0);
    assert_eq!(shown["summary"]["input_tokens"], tin);
    assert_eq!(shown["summary"]["output_tokens"], tout);
    assert!(!shown.to_string().contains(PROMPTS[0]));
    // The served model is account 4's fork of account 6's model.
    let miner = daemon.miner;
    let (owner, parent_owner) = (
        dev_accounts()[4].identity().address(),
        dev_accounts()[6].identity().address(),
    );
    let model = client
        .state_get_model(H256(daemon.model.0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(model.owner.0, owner.0);
    assert_eq!(model.parent.unwrap().share_bps, PARENT_SHARE_BPS);
    // `market show` previews the split with the lineage.
    let roles: Vec<&str> = shown["sale_split"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"parent_model_owner"), "{shown}");

    let (a0, b0, m0, o0, p0) = (
        balance(&client, &alice.address()).await,
        balance(&client, &bob.address()).await,
        balance(&client, &miner).await,
        balance(&client, &owner).await,
        balance(&client, &parent_owner).await,
    );
    let bought = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "bob",
            &["market", "buy", &listing, "--wait"],
        )
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
        &wallet(d, &daemon.rpc, "alice", &["market", "watch", "--once"])
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
        &wallet(d, &daemon.rpc, "bob", &["market", "verify", &listing])
            .output()
            .unwrap(),
    );
    assert_eq!(v["verified"], true);
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    for (i, id) in ids.iter().enumerate() {
        let dec = json_ok(
            &wallet(d, &daemon.rpc, "bob", &["records", "decrypt", id])
                .output()
                .unwrap(),
        );
        assert_eq!(dec["prompt"], PROMPTS[i]);
        assert_eq!(dec["answer"], answers[i].as_str());
        assert_eq!(dec["verified"], true);
        assert!(dec["failed_check"].is_null());
    }
    // Bob's export: three conversations, user messages as Alice typed them.
    let jsonl = d.join("bought.jsonl");
    let exported = json_ok(
        &wallet(
            d,
            &daemon.rpc,
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
    let mut got: Vec<(String, String)> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["messages"].as_array().unwrap().len(), 2, "{v}");
            assert_eq!(v["messages"][0]["role"], "user");
            assert_eq!(v["messages"][1]["role"], "assistant");
            (
                v["messages"][0]["content"].as_str().unwrap().to_owned(),
                v["messages"][1]["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = PROMPTS
        .iter()
        .zip(&answers)
        .map(|(p, a)| ((*p).to_owned(), a.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(exported["verified"], 3);
    assert_eq!(exported["skipped"].as_array().unwrap().len(), 0);

    // The explorer: the listing with its delivered purchase, and each record's history.
    let ex = json_ok(
        &wallet(d, &daemon.rpc, "bob", &["explore", "listing", &listing])
            .output()
            .unwrap(),
    );
    assert_eq!(ex["status"], "delivered");
    assert_eq!(ex["purchase_detail"]["buyer"], bob.address().to_string());
    assert_eq!(ex["summary"]["records"], 3);
    assert_eq!(ex["seller_history"]["delivered"], 1);
    assert!(!ex.to_string().contains(PROMPTS[0]));
    let rec = json_ok(
        &wallet(d, &daemon.rpc, "bob", &["explore", "record", &ids[1]])
            .output()
            .unwrap(),
    );
    assert_eq!(rec["owner"], bob.address().to_string());
    let kinds: Vec<&str> = rec["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["minted", "listed", "sold"], "{rec}");
    let sold = &rec["history"][2];
    assert_eq!(sold["from"], alice.address().to_string());
    assert_eq!(sold["to"], bob.address().to_string());
    assert_eq!(sold["price"]["base"], "3000000001");

    // Balances: 3_000_000_001 split 1_000_000_001 / 1_000_000_000 / 1_000_000_000; per
    // share the miner gets the spec's miner rate, the model owners' cut goes 70% to the fork's
    // owner and 30% up to its parent's owner; Bob paid price + the Buy fee, Alice got the
    // rest minus the Deliver fee.
    let rates = ChainSpec::dev().sale_royalties;
    let shares = [1_000_000_001u64, 1_000_000_000, 1_000_000_000];
    let (mut to_miner, mut to_owner, mut to_parent) = (0u64, 0u64, 0u64);
    for s in shares {
        to_miner += s * u64::from(rates.miner_bps) / 10_000;
        let cut = s * u64::from(rates.model_owner_bps) / 10_000;
        let up = cut * u64::from(PARENT_SHARE_BPS) / 10_000;
        to_owner += cut - up;
        to_parent += up;
    }
    assert!(to_miner > 0 && to_owner > 0 && to_parent > 0);
    let royalty = to_miner + to_owner + to_parent;
    let (a1, b1, m1, o1, p1) = (
        balance(&client, &alice.address()).await,
        balance(&client, &bob.address()).await,
        balance(&client, &miner).await,
        balance(&client, &owner).await,
        balance(&client, &parent_owner).await,
    );
    assert_eq!(m1 - m0, to_miner);
    assert_eq!(o1 - o0, to_owner);
    assert_eq!(p1 - p0, to_parent);
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
    assert_eq!(a1 - a0, 3_000_000_001 - royalty - deliver_fee);
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
        daemon,
        client,
        dir,
        alice,
        bob,
        records,
        ..
    } = setup(&PROMPTS, false).await;
    let d = dir.path();
    let (r0, r1, r2) = (
        records[0].to_hex(),
        records[1].to_hex(),
        records[2].to_hex(),
    );

    // 0. Carol buys r2 and Alice never delivers: the refund (3.) comes at the deadline while
    //    1. and 2. run. Carol sends nothing else, so her balance tells the refund exactly.
    let carol = dev_accounts()[3].identity();
    json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "carol",
            &["key", "import", "carol", "--dev-account", "3"],
        )
        .output()
        .unwrap(),
    );
    let l = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "alice",
            &["market", "list", &r2, "--price", "5000base"],
        )
        .output()
        .unwrap(),
    );
    let unserved = l["listing_id"].as_str().unwrap().to_owned();
    wait_mined(&client, hash_of(&l["listing_id"])).await;
    let c0 = balance(&client, &carol.address()).await;
    let bought = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "carol",
            &["market", "buy", &unserved, "--wait"],
        )
        .output()
        .unwrap(),
    );
    let deadline = bought["deadline"].as_u64().unwrap();
    let carol_purchase = hash_of(&bought["purchase_id"]);
    let buy_fee = client
        .tx_get(carol_purchase)
        .await
        .unwrap()
        .unwrap()
        .tx
        .fee
        .0;
    assert_eq!(
        c0 - balance(&client, &carol.address()).await,
        5_000 + buy_fee
    );

    // 1. A dishonest seller delivers a well-formed box holding a random key.
    let l = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "alice",
            &["market", "list", &r0, "--price", "1000base"],
        )
        .output()
        .unwrap(),
    );
    let listing = l["listing_id"].as_str().unwrap().to_owned();
    wait_mined(&client, hash_of(&l["listing_id"])).await;
    let bought = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "bob",
            &["market", "buy", &listing, "--wait"],
        )
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
        &daemon.rpc,
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
    // The complaint went on chain; once mined it is in Alice's history for everyone.
    let first: Value = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        first["complaints"][0]["reason"], "key_does_not_open",
        "{first}"
    );
    assert_eq!(first["complaints"][0]["record_index"], 0);
    wait_mined(&client, hash_of(&first["complaints"][0]["txid"])).await;
    let hist = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "alice",
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
    for args in [
        ["market", "show", listing.as_str()],
        ["explore", "listing", listing.as_str()],
    ] {
        let v = json_ok(&wallet(d, &daemon.rpc, "alice", &args).output().unwrap());
        assert_eq!(v["seller_history"]["complaints"], 1, "{v}");
        assert_eq!(v["complaints"][0]["buyer"], bob.address().to_string());
        assert_eq!(v["complaints"][0]["record"], r0);
        assert_eq!(v["purchase_detail"]["status"], "delivered");
        assert_eq!(v["purchase_detail"]["buyer"], bob.address().to_string());
    }
    let c = json_ok(
        &wallet(
            d,
            &daemon.rpc,
            "alice",
            &["market", "complaints", "--seller", "alice"],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(c["complaints"].as_array().unwrap().len(), 1);
    assert_eq!(c["complaints"][0]["buyer"], bob.address().to_string());
    assert_eq!(c["complaints"][0]["reason"], "key_does_not_open");
    // Once per record: a second complaint about it is refused by the chain.
    let complain_as = |key: &str| {
        wallet(
            d,
            &daemon.rpc,
            key,
            &[
                "market",
                "complain",
                first["purchase_id"].as_str().unwrap(),
                "0",
                "--reason",
                "other",
            ],
        )
        .output()
        .unwrap()
    };
    let again = complain_as("bob");
    assert!(!again.status.success(), "a record is complained about once");
    // Only the buyer complains.
    let out = complain_as("alice");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("only its buyer can complain"), "{err}");
    // Bob's decrypt and export of the record fail verification too; nothing is exported.
    let out = wallet(d, &daemon.rpc, "bob", &["records", "decrypt", &r0])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let dec: Value = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(dec["verified"], false, "{dec}");
    assert_eq!(dec["failed_check"], "payload");
    assert!(dec["prompt"].is_null());
    let jsonl = d.join("bad.jsonl");
    let out = wallet(
        d,
        &daemon.rpc,
        "bob",
        &["records", "export", &r0, "--out", jsonl.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("none of the 1 records passed"), "{text}");
    assert!(!jsonl.exists());

    // 2. A listing that lapses cannot be bought and moves nothing.
    let tip = client.chain_get_tip().await.unwrap().height;
    let l = json_ok(
        &wallet(
            d,
            &daemon.rpc,
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
    let out = wallet(d, &daemon.rpc, "bob", &["market", "buy", &lapsed])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a lapsed listing cannot be bought");
    assert_eq!(balance(&client, &bob.address()).await, b0);
    assert_eq!(balance(&client, &alice.address()).await, a0);

    // 3. The purchase nobody delivered is refunded at its deadline; the listing reopens.
    // The deadline is the last height the seller may deliver at; the refund follows it.
    wait_height(&client, deadline + 1).await;
    assert_eq!(c0 - balance(&client, &carol.address()).await, buy_fee);
    let p = client
        .state_get_purchase(carol_purchase)
        .await
        .unwrap()
        .unwrap();
    assert!(p.refunded_at.is_some() && p.delivered_at.is_none(), "{p:?}");
    let open = json_ok(
        &wallet(d, &daemon.rpc, "bob", &["market", "listings"])
            .output()
            .unwrap(),
    );
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .any(|l| l["listing_id"] == unserved.as_str()),
        "the refunded listing is open again: {open}"
    );
    let hist = &open.as_array().unwrap()[0]["seller_history"];
    assert_eq!(hist["refunded"], 1, "{open}");
}
