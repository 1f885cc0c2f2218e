#![allow(clippy::unwrap_used, missing_docs)]
//! Multi-process scenarios: real `infernet-node` processes on 127.0.0.1, killed when the
//! test ends (also on failure: `Testnet` kills its children on drop). Every wait is bounded.
//!
//! The node binary is found next to the test executable (`target/<profile>/infernet-node`):
//! `cargo nextest run --workspace` builds it; with `-p infernet-testnet` alone, run
//! `cargo build -p infernet-node` first (or set `INFERNET_NODE_BIN`).

use std::time::{Duration, Instant};

use infernet_rpc::client::InfernetApiClient;
use infernet_rpc::views::TxStatus;
use infernet_testkit::tx::{self, Fee};
use infernet_testnet::{TESTNET_CHAIN_ID, Testnet, TestnetConfig};
use infernet_types::{Amount, dev_accounts};

struct Net {
    net: Testnet,
    _dir: tempfile::TempDir,
}

/// Starts a testnet in a temp dir. Each scenario has its own `base_port` block below Linux's
/// ephemeral range (32768–60999), so no port that another test got from the OS (`bind :0`) or
/// that an outgoing connection holds can be taken when a node binds.
async fn launch(nodes: usize, miners: usize, base_port: u16) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let config = TestnetConfig {
        nodes,
        miners,
        dir: dir.path().to_path_buf(),
        base_port,
        block_time_secs: 1,
    };
    let net = Testnet::up(config, Duration::from_secs(30)).await.unwrap();
    Net { net, _dir: dir }
}

fn transfer(from: usize, nonce: u64, amount: u64) -> String {
    let accounts = dev_accounts();
    let tx = tx::sign(
        &accounts[from].identity(),
        TESTNET_CHAIN_ID,
        nonce,
        Fee::Fixed(Amount(10_000)),
        tx::transfer(accounts[9].address, amount),
    );
    tx::to_hex(&tx)
}

async fn wait_for<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_converge_on_one_tip() {
    let n = launch(4, 1, 22_000).await;
    let tip = n
        .net
        .wait_converged(3, Duration::from_secs(40))
        .await
        .unwrap();
    assert!(tip.height >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sent_to_one_node_is_mined_and_visible_on_all() {
    let n = launch(4, 0, 22_100).await;
    let last = n.net.nodes[3].client().unwrap();
    let txid = last.tx_send(transfer(0, 0, 77)).await.unwrap();
    let first = n.net.nodes[0].client().unwrap();
    wait_for("the tx to reach node 0", 20, || async {
        first.tx_get(txid).await.unwrap().is_some()
    })
    .await;
    let mined = first.dev_mine(1).await.unwrap();
    assert_eq!(mined.tip.height, 1);
    for node in &n.net.nodes {
        let c = node.client().unwrap();
        wait_for("the tx to be confirmed everywhere", 20, || async {
            c.tx_get(txid)
                .await
                .unwrap()
                .is_some_and(|t| t.status == TxStatus::Confirmed)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_with_sigkill_restarts_and_catches_up() {
    let mut n = launch(3, 0, 22_200).await;
    let c0 = n.net.nodes[0].client().unwrap();
    c0.dev_mine(5).await.unwrap();
    n.net
        .wait_converged(5, Duration::from_secs(20))
        .await
        .unwrap();
    n.net.kill(2).unwrap();
    c0.dev_mine(10).await.unwrap();
    n.net.start(2).unwrap();
    let tip = n
        .net
        .wait_converged(15, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(tip.height, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_node_syncs_500_blocks_from_peers() {
    let mut n = launch(1, 0, 22_300).await;
    let c0 = n.net.nodes[0].client().unwrap();
    let mined = c0.dev_mine(500).await.unwrap();
    assert_eq!(mined.tip.height, 500);
    n.net.add_node().unwrap();
    let tip = n
        .net
        .wait_converged(500, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(tip.hash, mined.tip.hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_groups_rejoin_on_the_heaviest_branch_with_losing_txs_back_in_mempools() {
    let n = launch(4, 0, 22_400).await;
    let c: Vec<_> = n.net.nodes.iter().map(|x| x.client().unwrap()).collect();
    c[0].dev_mine(2).await.unwrap();
    n.net
        .wait_converged(2, Duration::from_secs(20))
        .await
        .unwrap();

    // Partition {0, 1} | {2, 3}: each side blocks the other side's peer ids.
    let ids: Vec<String> = n.net.nodes.iter().map(|x| x.peer_id.clone()).collect();
    let side = |i: usize| i / 2;
    for (i, client) in c.iter().enumerate() {
        for (j, id) in ids.iter().enumerate() {
            if side(i) != side(j) {
                client.admin_block_peer(id.clone()).await.unwrap();
            }
        }
    }
    // The losing side {2, 3} mines a transaction in 1 block; the winning side 3 blocks.
    let txid = c[2].tx_send(transfer(1, 0, 5)).await.unwrap();
    let losing = c[2].dev_mine(1).await.unwrap();
    assert_eq!(
        c[2].tx_get(txid).await.unwrap().unwrap().status,
        TxStatus::Confirmed
    );
    let winning = c[0].dev_mine(3).await.unwrap();
    wait_for("each side to converge on its branch", 20, || async {
        c[1].chain_get_tip().await.unwrap().hash == winning.tip.hash
            && c[3].chain_get_tip().await.unwrap().hash == losing.tip.hash
    })
    .await;

    // Join.
    for (i, client) in c.iter().enumerate() {
        for (j, id) in ids.iter().enumerate() {
            if side(i) != side(j) {
                client.admin_unblock_peer(id.clone()).await.unwrap();
            }
        }
    }
    let tip = n
        .net
        .wait_converged(5, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(tip.hash, winning.tip.hash);
    for client in &c[2..] {
        let tx = client.tx_get(txid).await.unwrap().unwrap();
        assert_eq!(
            tx.status,
            TxStatus::Pending,
            "the losing branch's tx is back in the mempool"
        );
    }
}
