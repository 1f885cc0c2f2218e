#![allow(clippy::unwrap_used, missing_docs)]
//! The `infernet-wallet` binary end to end: keys on a temp dir, errors a person can act on,
//! and accounts/transactions/explorer against a real `infernet-node --dev --tmp` process.
//!
//! The node and the wallet runner are the test kit's (`infernet-testkit`); the node binary is
//! taken from the same target directory (built by `cargo build -p infernet-node` or a
//! workspace build), and the test fails with that instruction if it is missing.

use std::process::Command;

use infernet_testkit::{Node, Wallet};
use serde_json::Value;

const WALLET: &str = env!("CARGO_BIN_EXE_infernet-wallet");

fn base(v: &Value) -> u64 {
    v["base"].as_str().unwrap().parse().unwrap()
}

#[test]
fn keys_on_a_temp_dir() {
    let env = Wallet::temp("http://127.0.0.1:1");
    let alice = env.json(None, &["key", "import", "alice", "--dev-account", "1"]);
    assert_eq!(
        alice["address"],
        infernet_types::dev_accounts()[1].address.to_string()
    );
    let bob = env.json(None, &["key", "new", "bob"]);
    let phrase = bob["mnemonic"].as_str().unwrap();
    assert_eq!(phrase.split_whitespace().count(), 24);
    // The mnemonic restores the same address.
    let again = env.json(None, &["key", "import", "bob2", "--mnemonic", phrase]);
    assert_eq!(again["address"], bob["address"]);
    let list = env.json(None, &["key", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "bob2"]);
    let shown = env.json(None, &["key", "show", "alice", "--reply-key"]);
    let reply = infernet_types::dev_accounts()[1]
        .identity()
        .reply_secret()
        .public_key()
        .to_string();
    assert_eq!(shown["reply_key"], reply.as_str());
    // Human output names the address.
    let out = env.run(&["key", "show", "bob"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(bob["address"].as_str().unwrap()));

    // Errors a person can act on.
    assert!(
        env.fails(&["key", "new", "alice"])
            .contains("already exists")
    );
    std::fs::write(env.password_file(), "wrong\n").unwrap();
    assert!(
        env.fails(&["key", "show", "alice", "--reply-key"])
            .contains("wrong password for key \"alice\"")
    );
    let out = Command::new(WALLET)
        .args(["--wallet-dir"])
        .arg(env.wallet_dir())
        .args(["--no-input", "key", "show", "alice", "--reply-key"])
        .env_remove("INFERNET_PASSWORD")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-file"));
    // INFERNET_PASSWORD is the second source.
    let out = Command::new(WALLET)
        .args(["--json", "--wallet-dir"])
        .arg(env.wallet_dir())
        .args(["--no-input", "key", "show", "alice", "--reply-key"])
        .env("INFERNET_PASSWORD", infernet_testkit::wallet::PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Several keys and no --key: asks for one.
    assert!(env.fails(&["balance"]).contains("--key NAME"));
    // Amount help is in --help.
    let help = env.run(&["send", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("1500000000base"));
}

#[test]
fn unreachable_node_and_completions() {
    let env = Wallet::temp("http://127.0.0.1:1");
    env.json(None, &["key", "import", "a", "--dev-account", "0"]);
    let err = env.fails(&["balance"]);
    assert!(
        err.contains("cannot reach an Infernet node at http://127.0.0.1:1"),
        "{err}"
    );
    assert!(err.contains("infernet-miner --dev"), "{err}");
    let out = env.run(&["completions", "bash"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("infernet-wallet"));
}

#[test]
fn accounts_transactions_and_explorer_on_a_dev_node() {
    let node = Node::start_dev();
    let env = Wallet::temp(node.rpc.clone());
    // Dev account 1 (account 0 receives the block rewards, so its balance moves on its own).
    env.json(None, &["key", "import", "alice", "--dev-account", "1"]);
    let bob = env.json(None, &["key", "new", "bob"]);
    let bob_addr = bob["address"].as_str().unwrap();
    let before = base(&env.json(None, &["--key", "alice", "balance"])["balance"]);
    assert_eq!(before, 1_000_000 * 1_000_000_000);

    let sent = env.json(None, &["--key", "alice", "send", "bob", "1.5", "--wait"]);
    let fee = base(&sent["fee"]);
    assert!(fee > 0);
    let height = sent["block_height"].as_u64().unwrap();
    let after = base(&env.json(None, &["--key", "alice", "balance"])["balance"]);
    assert_eq!(
        before - after,
        1_500_000_000 + fee,
        "moved by exactly amount + fee"
    );
    let b = env.json(None, &["balance", bob_addr]);
    assert_eq!(base(&b["balance"]), 1_500_000_000);

    // Base units with an explicit unit.
    let sent2 = env.json(
        None,
        &["--key", "bob", "send", "alice", "1000base", "--wait"],
    );
    let bob_after = base(&env.json(None, &["balance", "bob"])["balance"]);
    assert_eq!(bob_after, 1_500_000_000 - 1000 - base(&sent2["fee"]));

    // tx and explorer views.
    let txid = sent["txid"].as_str().unwrap();
    let tx = env.json(None, &["tx", txid]);
    assert_eq!(tx["status"], "confirmed");
    assert_eq!(tx["block_height"].as_u64(), Some(height));
    let block = env.json(None, &["explore", "block", &height.to_string()]);
    assert!(
        block["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["txid"] == txid)
    );
    let by_hash = env.json(None, &["explore", "block", block["hash"].as_str().unwrap()]);
    assert_eq!(by_hash["height"].as_u64(), Some(height));
    let tip = env.json(None, &["explore", "tip"]);
    assert_eq!(tip["chain_id"], 1337);
    assert!(tip["tip"]["height"].as_u64().unwrap() >= height);
    // The fee rate comes from the node (dev spec: 10 base units per byte); `--verbose` would
    // say if the wallet had to fall back to its built-in spec.
    assert_eq!(tip["min_fee_per_byte"], "10");
    let out = env.run(&[
        "--verbose",
        "--json",
        "--key",
        "alice",
        "send",
        "bob",
        "1base",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("no min_fee_per_byte"), "{stderr}");
    let human = env.run(&["explore", "tx", txid]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("transfer 1.5 INF"));

    // Errors a person can act on.
    let err = env.fails(&["--key", "bob", "send", "alice", "5"]);
    assert!(err.contains("insufficient balance"), "{err}");
    assert!(err.contains("needs 5.0000"), "{err}");
    let err = env.fails(&["--key", "bob", "prompt", "hello"]);
    assert!(err.contains("no miner serves"), "{err}");
    assert_eq!(env.json(None, &["models"]), serde_json::json!([]));
    assert!(
        env.json(None, &["--key", "bob", "records", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let err = env.fails(&["tx", &"ab".repeat(32)]);
    assert!(err.contains("no transaction"), "{err}");
}
