#![allow(clippy::unwrap_used, missing_docs)]
//! In-process node tests: RPC, dev sealing, transactions, and two nodes syncing over libp2p.

use std::time::{Duration, Instant};

use infernet_node::{Node, NodeConfig, NodeHandle};
use infernet_rpc::client::{InfernetApiClient, http_client};
use infernet_rpc::views::TxStatus;
use infernet_testkit::tx::{self, Fee};
use infernet_types::{Amount, ChainSpec, dev_accounts};

async fn wait_tip(node: &NodeHandle, hash: infernet_rpc::H256, secs: u64) -> bool {
    let client = http_client(&node.rpc_url()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if client.chain_get_tip().await.unwrap().hash == hash {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn transfer(nonce: u64, amount: u64) -> (String, infernet_types::Address) {
    let accounts = dev_accounts();
    let to = accounts[1].address;
    let tx = tx::sign(
        &accounts[0].identity(),
        ChainSpec::DEV_CHAIN_ID,
        nonce,
        Fee::Fixed(Amount(10_000)),
        tx::transfer(to, amount),
    );
    (tx::to_hex(&tx), to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_node_answers_rpc_seals_on_demand_and_mines_a_transfer() {
    let mut config = NodeConfig::for_tests(ChainSpec::dev());
    config.p2p_addrs.clear();
    let node = Node::start(config).await.unwrap();
    let client = http_client(&node.rpc_url()).unwrap();
    let tip = client.chain_get_tip().await.unwrap();
    assert_eq!(tip.height, 0);

    let mined = client.dev_mine(3).await.unwrap();
    assert_eq!(mined.blocks.len(), 3);
    assert_eq!(mined.tip.height, 3);
    let block = client.chain_get_block_by_height(3).await.unwrap().unwrap();
    assert_eq!(block.header.hash, mined.tip.hash);

    let (hex_tx, to) = transfer(0, 1234);
    let before = client.state_get_account(to.into()).await.unwrap();
    let txid = client.tx_send(hex_tx.clone()).await.unwrap();
    let pending = client.tx_get(txid).await.unwrap().unwrap();
    assert_eq!(pending.status, TxStatus::Pending);
    assert_eq!(client.tx_pending(None).await.unwrap().len(), 1);
    // The same transaction again is refused as known.
    assert!(client.tx_send(hex_tx).await.is_err());

    client.dev_mine(1).await.unwrap();
    let confirmed = client.tx_get(txid).await.unwrap().unwrap();
    assert_eq!(confirmed.status, TxStatus::Confirmed);
    assert_eq!(confirmed.block_height, Some(4));
    let after = client.state_get_account(to.into()).await.unwrap();
    assert_eq!(after.balance.0, before.balance.0 + 1234);
    assert!(client.tx_pending(None).await.unwrap().is_empty());
    node.shutdown().await;
}

/// A transaction the sender cannot pay is refused with the rule id and name of R-031, taken
/// from the consensus error variant (not from its Debug text).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpayable_transfer_is_rejected_with_rule_r031_and_its_name() {
    let mut config = NodeConfig::for_tests(ChainSpec::dev());
    config.p2p_addrs.clear();
    let node = Node::start(config).await.unwrap();
    let client = http_client(&node.rpc_url()).unwrap();
    let (hex_tx, _) = transfer(0, u64::MAX / 2);
    let err = client.tx_send(hex_tx).await.unwrap_err();
    let infernet_rpc::client::ClientError::Call(obj) = &err else {
        panic!("expected a call error, got {err:?}")
    };
    let data: serde_json::Value = serde_json::from_str(obj.data().unwrap().get()).unwrap();
    assert_eq!(data["reason"], "tx_rejected", "{data}");
    assert_eq!(data["rule"], "R-031", "{data}");
    assert_eq!(data["name"], "insufficient_balance", "{data}");
    match infernet_rpc::RpcError::from_error_object(obj) {
        Some(infernet_rpc::RpcError::TxRejected { rule, name, .. }) => {
            assert_eq!(
                (rule.as_str(), name.as_str()),
                ("R-031", "insufficient_balance")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarts_on_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::for_tests(ChainSpec::dev());
    config.p2p_addrs.clear();
    config.data_dir = infernet_node::DataDir::Path(dir.path().to_path_buf());
    let node = Node::start(config.clone()).await.unwrap();
    let mined = node.producer().seal(2).await.unwrap();
    node.shutdown().await;
    let node = Node::start(config).await.unwrap();
    assert_eq!(node.chain().store().tip().hash, mined[1]);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sync_gossip_and_relay_transactions() {
    let a = Node::start(NodeConfig::for_tests(ChainSpec::dev()))
        .await
        .unwrap();
    let ca = http_client(&a.rpc_url()).unwrap();
    // A is ahead before B exists: B must catch up by sync, not gossip.
    ca.dev_mine(30).await.unwrap();
    let mut config_b = NodeConfig::for_tests(ChainSpec::dev());
    config_b.bootnodes = a.p2p_addrs().iter().map(ToString::to_string).collect();
    let b = Node::start(config_b).await.unwrap();
    let cb = http_client(&b.rpc_url()).unwrap();
    let tip = ca.chain_get_tip().await.unwrap();
    assert!(
        wait_tip(&b, tip.hash, 20).await,
        "B did not sync A's 30 blocks"
    );

    // Gossip: a new block on A reaches B.
    let more = ca.dev_mine(1).await.unwrap();
    assert!(
        wait_tip(&b, more.tip.hash, 20).await,
        "B did not get A's gossip block"
    );

    // A transaction sent to B is relayed to A and mined there.
    let (hex_tx, _) = transfer(0, 5);
    let txid = cb.tx_send(hex_tx).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while ca.tx_get(txid).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "tx never reached A");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mined = ca.dev_mine(1).await.unwrap();
    assert!(wait_tip(&b, mined.tip.hash, 20).await);
    let seen = cb.tx_get(txid).await.unwrap().unwrap();
    assert_eq!(seen.status, TxStatus::Confirmed);
    assert_eq!(cb.net_peers().await.unwrap().len(), 1);
    b.shutdown().await;
    a.shutdown().await;
}

#[test]
fn the_import_pipeline_refuses_invalid_blocks_and_orphans() {
    use infernet_node::chain::{Chain, ImportError, ImportOutcome};
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(ChainSpec::dev(), dir.path()).unwrap();
    let coinbase = dev_accounts()[0].address;
    let template = chain.template(coinbase).unwrap();
    let good = template.block.clone();

    // A wrong state root breaks a consensus rule: the sender would be penalised.
    let mut bad = good.clone();
    bad.header.state_root = infernet_types::Hash([7; 32]);
    assert!(matches!(
        chain.import_block(&bad),
        Err(ImportError::Invalid { .. })
    ));
    // A block whose parent is unknown asks for sync instead.
    let mut orphan = good.clone();
    orphan.header.prev_hash = infernet_types::Hash([9; 32]);
    assert!(matches!(
        chain.import_block(&orphan),
        Err(ImportError::UnknownParent { .. })
    ));
    assert_eq!(chain.store().tip().height(), 0, "nothing was written");

    assert_eq!(chain.import_block(&good).unwrap(), ImportOutcome::Extended);
    assert_eq!(chain.import_block(&good).unwrap(), ImportOutcome::Known);
    assert_eq!(chain.store().tip().hash, good.hash());
}

#[test]
fn a_paused_producer_stops_hashing_and_resumes() {
    use infernet_node::chain::Chain;
    use infernet_node::producer::{Producer, ProducerConfig};
    use std::sync::Arc;

    // A proof-of-work chain whose target no search will reach: the producer hashes for good.
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ChainSpec::testnet();
    spec.genesis.target = infernet_types::Target::from_leading_zero_bits(120);
    let chain = Arc::new(Chain::open(spec, dir.path()).unwrap());
    let (mined, _gossip) = tokio::sync::mpsc::channel(4);
    let config = ProducerConfig {
        coinbase: dev_accounts()[0].address,
        seal_interval: None,
        continuous: true,
        threads: 1,
    };
    let (producer, handle) = Producer::spawn(chain, config, mined).unwrap();
    let wait_for_hashes = |above: u64| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while handle.hashes() <= above {
            assert!(Instant::now() < deadline, "the producer never hashed");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for_hashes(0);

    for _ in 0..2 {
        let guard = handle.pause().hold();
        assert!(handle.pause().is_paused());
        // The batches in flight finish; then not one more nonce is tried.
        std::thread::sleep(Duration::from_millis(200));
        let paused_at = handle.hashes();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(handle.hashes(), paused_at, "hashing while paused");
        drop(guard);
        assert!(!handle.pause().is_paused());
        wait_for_hashes(paused_at);
    }
    producer.stop();
}
