#![allow(clippy::unwrap_used, missing_docs)]
//! End-to-end tests of the server through the typed client over HTTP and WebSocket.

mod common;

use std::time::Duration;

use common::*;
use infernet_rpc::client::{ClientError, InfernetApiClient, domain_error, http_client, ws_client};
use infernet_rpc::error::codes;
use infernet_rpc::views::*;
use infernet_rpc::{Amount, H256, RpcError, RpcLimits};
use jsonrpsee::core::client::{ClientT, SubscriptionClientT};
use jsonrpsee::rpc_params;

const TIMEOUT: Duration = Duration::from_secs(5);

fn code_of(err: &ClientError) -> i32 {
    match err {
        ClientError::Call(obj) => obj.code(),
        other => panic!("expected a JSON-RPC error object, got {other:?}"),
    }
}

/// Calls every non-subscription method and checks the answers against the fixtures.
async fn exercise_every_method<C: InfernetApiClient + Sync>(c: &C) {
    assert_eq!(c.chain_get_tip().await.unwrap(), tip());
    assert_eq!(
        c.chain_get_block_by_height(1).await.unwrap(),
        Some(block(1))
    );
    assert_eq!(c.chain_get_block_by_height(99).await.unwrap(), None);
    assert_eq!(
        c.chain_get_block_by_hash(header(2).hash).await.unwrap(),
        Some(block(2))
    );
    assert_eq!(c.chain_get_block_by_hash(h(0xee)).await.unwrap(), None);
    assert_eq!(
        c.chain_get_header(BlockRef::Height(0)).await.unwrap(),
        Some(header(0))
    );
    assert_eq!(
        c.chain_get_header(BlockRef::Hash(header(1).hash))
            .await
            .unwrap(),
        Some(header(1))
    );
    assert_eq!(c.chain_get_info().await.unwrap(), chain_info());

    let txid = c.tx_send("0a0b".into()).await.unwrap();
    let mut expected = [0u8; 32];
    expected[0] = 0x0a;
    expected[1] = 0x0b;
    assert_eq!(txid, H256(expected));
    let tx = c.tx_get(transfer_tx().txid).await.unwrap().unwrap();
    assert_eq!(tx.status, TxStatus::Confirmed);
    assert_eq!(tx.confirmations, 1);
    assert_eq!(tx.tx, transfer_tx());
    assert_eq!(c.tx_get(h(0xee)).await.unwrap(), None);
    assert_eq!(
        c.tx_pending(None).await.unwrap(),
        vec![transfer_tx(), submit_job_tx()]
    );
    assert_eq!(c.tx_pending(Some(1)).await.unwrap(), vec![transfer_tx()]);

    assert_eq!(
        c.state_get_account(addr(1)).await.unwrap(),
        account(addr(1))
    );
    assert_eq!(
        c.state_get_account(addr(9)).await.unwrap().balance,
        Amount(0)
    );
    assert_eq!(c.state_get_model(h(0x90)).await.unwrap(), Some(model()));
    assert_eq!(c.state_get_model(h(0x91)).await.unwrap(), None);
    assert_eq!(c.state_get_models(None).await.unwrap().items, vec![model()]);
    assert_eq!(c.state_get_miner(addr(3)).await.unwrap(), Some(miner()));
    assert_eq!(c.state_get_miner(addr(4)).await.unwrap(), None);
    assert_eq!(c.state_get_miners(None).await.unwrap().items, vec![miner()]);
    assert_eq!(
        c.state_get_job(h(PENDING_JOB))
            .await
            .unwrap()
            .unwrap()
            .status,
        JobStatus::Pending
    );
    assert_eq!(c.state_get_job(h(0xee)).await.unwrap(), None);
    assert_eq!(
        c.state_get_record(h(DONE_JOB)).await.unwrap(),
        Some(record(h(DONE_JOB), addr(1)))
    );
    assert_eq!(c.state_get_record(h(0xee)).await.unwrap(), None);

    // Paging: 5 records, 2 per page.
    let req = |cursor: Option<String>| {
        Some(PageRequest {
            cursor,
            limit: Some(2),
        })
    };
    let p1 = c
        .state_get_records_by_owner(addr(1), req(None))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = c
        .state_get_records_by_owner(addr(1), req(p1.next_cursor.clone()))
        .await
        .unwrap();
    assert_eq!(p2.items[0].id, h(0xa2));
    let p3 = c
        .state_get_records_by_owner(addr(1), req(p2.next_cursor.clone()))
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 1);
    assert_eq!(p3.next_cursor, None);
    assert!(
        c.state_get_records_by_owner(addr(2), None)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let all = c.state_get_listings(None).await.unwrap();
    assert_eq!(all.items, vec![listing()]);
    let filter = ListingFilter {
        seller: Some(addr(2)),
        ..Default::default()
    };
    assert!(
        c.state_get_listings(Some(filter))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // The record market's reads.
    assert_eq!(
        c.state_get_listing(h(0x80)).await.unwrap(),
        Some(listing_detail())
    );
    assert_eq!(c.state_get_listing(h(0xee)).await.unwrap(), None);
    assert_eq!(
        c.state_get_purchase(h(0x81)).await.unwrap(),
        Some(purchase())
    );
    assert_eq!(c.state_get_purchase(h(0xee)).await.unwrap(), None);
    assert_eq!(c.state_get_complaints(None).await.unwrap(), complaints());
    let by_seller = c
        .state_get_complaints(Some(ComplaintFilter {
            seller: Some(addr(1)),
            page: PageRequest {
                cursor: None,
                limit: Some(2),
            },
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(by_seller, complaints()[..2].to_vec());
    let last = by_seller.last().unwrap();
    let rest = c
        .state_get_complaints(Some(ComplaintFilter {
            seller: Some(addr(1)),
            page: PageRequest {
                cursor: Some(format!("{}:{}", last.purchase, last.record_index)),
                limit: Some(2),
            },
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(rest, complaints()[2..3].to_vec());
    let by_purchase = c
        .state_get_complaints(Some(ComplaintFilter {
            purchase: Some(h(0x82)),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(by_purchase, complaints()[3..].to_vec());
    let stats = c.state_get_seller_stats(addr(1)).await.unwrap();
    assert_eq!((stats.listings, stats.sales, stats.complaints), (2, 1, 3));
    let none = c.state_get_seller_stats(addr(9)).await.unwrap();
    assert_eq!(none.address, addr(9));
    assert_eq!(none.listings + none.sales + none.complaints, 0);
    assert_eq!(
        c.state_get_record_history(h(DONE_JOB)).await.unwrap(),
        record_history()
    );
    assert!(
        c.state_get_record_history(h(0xee))
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(c.net_peers().await.unwrap(), vec![peer()]);
    assert_eq!(c.net_node_info().await.unwrap(), node_info());

    let mined = c.dev_mine(3).await.unwrap();
    assert_eq!(mined.blocks.len(), 3);
    assert_eq!(mined.tip.height, 5);

    let id = peer().peer_id;
    assert!(c.admin_block_peer(id.clone()).await.unwrap());
    assert!(!c.admin_block_peer(id.clone()).await.unwrap());
    assert!(c.admin_unblock_peer(id.clone()).await.unwrap());
    assert!(!c.admin_unblock_peer(id).await.unwrap());

    let doc = c.rpc_discover().await.unwrap();
    assert_eq!(doc["openrpc"], "1.2.6");
}

#[tokio::test]
async fn every_method_over_http() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let client = http_client(&server.http_url()).unwrap();
    tokio::time::timeout(TIMEOUT, exercise_every_method(&client))
        .await
        .unwrap();
    assert!(server.stop());
}

#[tokio::test]
async fn every_method_over_websocket() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let client = ws_client(&server.ws_url()).await.unwrap();
    tokio::time::timeout(TIMEOUT, exercise_every_method(&client))
        .await
        .unwrap();
    assert!(server.stop());
}

#[tokio::test]
async fn wire_format_matches_the_published_names() {
    // Call by raw method name and read raw JSON, as a tool outside the project would.
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let client = http_client(&server.http_url()).unwrap();
    let tip: serde_json::Value = client.request("chain_getTip", rpc_params![]).await.unwrap();
    assert_eq!(tip["height"], 2);
    assert_eq!(tip["hash"], "66".repeat(32));
    assert_eq!(tip["cumulative_work"], (3u128 << 100).to_string());
    let block: serde_json::Value = client
        .request("chain_getBlockByHeight", rpc_params![1])
        .await
        .unwrap();
    assert_eq!(block["height"], 1);
    assert_eq!(block["hash"], "65".repeat(32));
    let none: serde_json::Value = client
        .request("chain_getBlockByHeight", rpc_params![50])
        .await
        .unwrap();
    assert!(none.is_null());
    let acct: serde_json::Value = client
        .request("state_getAccount", rpc_params![addr(1).to_string()])
        .await
        .unwrap();
    assert_eq!(acct["balance"], "12345678901234567890");
    assert_eq!(acct["nonce"], 3);
    let mined: serde_json::Value = client.request("dev_mine", rpc_params![1]).await.unwrap();
    assert_eq!(mined["blocks"].as_array().unwrap().len(), 1);
    let info: serde_json::Value = client
        .request("chain_getInfo", rpc_params![])
        .await
        .unwrap();
    assert_eq!(info["min_fee_per_byte"], "10");
    assert_eq!(info["complaint_window"], 1000);
    // state_getListing: the listing's fields at the top level plus `purchase_detail`.
    let listing: serde_json::Value = client
        .request("state_getListing", rpc_params!["80".repeat(32)])
        .await
        .unwrap();
    assert_eq!(listing["status"], "delivered");
    assert_eq!(listing["price"], "1000000");
    assert_eq!(listing["purchase"], "81".repeat(32));
    assert_eq!(listing["purchase_detail"]["status"], "delivered");
    assert_eq!(listing["purchase_detail"]["delivered_at"], 12);
    assert_eq!(listing["purchase_detail"]["buyer"], addr(2).to_string());
    let plain: ListingView = serde_json::from_value(listing).unwrap();
    assert_eq!(plain.id, h(0x80));
    let complaints: serde_json::Value = client
        .request(
            "state_getComplaints",
            rpc_params![serde_json::json!({ "purchase": "82".repeat(32) })],
        )
        .await
        .unwrap();
    assert_eq!(complaints[0]["reason"], "commitment_mismatch");
    assert_eq!(complaints[0]["record_index"], 0);
    let stats: serde_json::Value = client
        .request("state_getSellerStats", rpc_params![addr(1).to_string()])
        .await
        .unwrap();
    assert_eq!(stats["complaints"], 3);
    let history: serde_json::Value = client
        .request(
            "state_getRecordHistory",
            rpc_params![h(DONE_JOB).to_string()],
        )
        .await
        .unwrap();
    assert_eq!(history[0]["kind"], "minted");
    assert_eq!(history[2]["kind"], "sold");
    assert_eq!(history[2]["price"], "1000000");
    assert!(history[0]["price"].is_null());
    assert!(server.stop());
}

#[tokio::test]
async fn bad_params_get_invalid_params_with_reason() {
    let limits = RpcLimits {
        max_tx_bytes: 8,
        max_page_size: 10,
        default_page_size: 5,
        ..RpcLimits::default()
    };
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), limits).await;
    let c = http_client(&server.http_url()).unwrap();

    // Wrong JSON types and malformed primitives are refused while decoding params.
    let e = c
        .request::<serde_json::Value, _>("chain_getBlockByHeight", rpc_params!["x"])
        .await;
    assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS);
    let e = c
        .request::<serde_json::Value, _>("chain_getBlockByHash", rpc_params!["00ff"])
        .await;
    assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS);
    let e = c
        .request::<serde_json::Value, _>("state_getAccount", rpc_params!["inf1qqqq"])
        .await;
    assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS);
    let e = c
        .request::<serde_json::Value, _>("chain_getTip", rpc_params![1, 2])
        .await;
    assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS);
    let e = c
        .request::<serde_json::Value, _>("tx_get", rpc_params![])
        .await;
    assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS);

    // Caps checked by the server, reported with data.reason.
    let e = c.tx_send("00".repeat(9)).await.unwrap_err();
    assert_eq!(code_of(&e), codes::INVALID_PARAMS);
    let RpcError::InvalidParams { message } = domain_error(&e).unwrap() else {
        panic!()
    };
    assert!(message.contains("limit is 16"), "{message}");
    assert_eq!(
        code_of(&c.tx_send("0x00".into()).await.unwrap_err()),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        code_of(&c.dev_mine(0).await.unwrap_err()),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        code_of(&c.dev_mine(1001).await.unwrap_err()),
        codes::INVALID_PARAMS
    );
    let big = Some(PageRequest {
        cursor: None,
        limit: Some(11),
    });
    assert_eq!(
        code_of(&c.state_get_models(big).await.unwrap_err()),
        codes::INVALID_PARAMS
    );
    let long = Some(PageRequest {
        cursor: Some("c".repeat(300)),
        limit: None,
    });
    assert_eq!(
        code_of(&c.state_get_miners(long).await.unwrap_err()),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        code_of(
            &c.admin_block_peer("not a peer id!".into())
                .await
                .unwrap_err()
        ),
        codes::INVALID_PARAMS
    );

    // The record market's methods validate their params too.
    for (method, params) in [
        ("state_getListing", rpc_params!["80"]),
        ("state_getListing", rpc_params![]),
        ("state_getPurchase", rpc_params![42]),
        ("state_getSellerStats", rpc_params!["inf1qqqq"]),
        ("state_getSellerStats", rpc_params![addr(1).to_string(), 1]),
        ("state_getRecordHistory", rpc_params!["zz".repeat(32)]),
        (
            "state_getComplaints",
            rpc_params![serde_json::json!({ "seller": "nope" })],
        ),
        (
            "state_getComplaints",
            rpc_params![serde_json::json!({ "page": { "cursor": "not-a-cursor" } })],
        ),
        (
            "state_getComplaints",
            rpc_params![serde_json::json!({ "page": { "limit": 11 } })],
        ),
        (
            "state_getComplaints",
            rpc_params![serde_json::json!({ "page": { "limit": 0 } })],
        ),
    ] {
        let e = c.request::<serde_json::Value, _>(method, params).await;
        assert_eq!(code_of(&e.unwrap_err()), codes::INVALID_PARAMS, "{method}");
    }
    // The history is capped at the page size.
    c.state_get_record_history(h(DONE_JOB)).await.unwrap();
    assert_eq!(*backend.last_history_limit.lock().unwrap(), Some(10));
    assert!(server.stop());
}

#[tokio::test]
async fn default_page_size_is_applied() {
    let limits = RpcLimits {
        default_page_size: 7,
        ..RpcLimits::default()
    };
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), limits).await;
    let c = http_client(&server.http_url()).unwrap();
    c.state_get_models(None).await.unwrap();
    assert_eq!(backend.last_page.lock().unwrap().as_ref().unwrap().limit, 7);
    let filter = ListingFilter {
        status: Some(ListingStatus::Open),
        page: PageRequest {
            cursor: None,
            limit: Some(3),
        },
        ..Default::default()
    };
    c.state_get_listings(Some(filter)).await.unwrap();
    let q = backend.last_listing_query.lock().unwrap().clone().unwrap();
    assert_eq!(q.page.limit, 3);
    assert_eq!(q.status, Some(ListingStatus::Open));
    assert!(server.stop());
}

#[tokio::test]
async fn domain_errors_carry_code_and_data() {
    let server = serve(MemBackend::new(false), RpcLimits::default()).await;
    let c = ws_client(&server.ws_url()).await.unwrap();

    let e = c.tx_send("de00".into()).await.unwrap_err();
    assert_eq!(code_of(&e), codes::TX_DECODE);
    assert!(matches!(domain_error(&e), Some(RpcError::TxDecode { .. })));

    let e = c.tx_send("0100".into()).await.unwrap_err();
    assert_eq!(code_of(&e), codes::TX_REJECTED);
    match domain_error(&e) {
        Some(RpcError::TxRejected { rule, .. }) => assert_eq!(rule, "nonce_too_low"),
        other => panic!("unexpected {other:?}"),
    }
    let ClientError::Call(obj) = &e else { panic!() };
    let data: serde_json::Value = serde_json::from_str(obj.data().unwrap().get()).unwrap();
    assert_eq!(data["reason"], "tx_rejected");
    assert_eq!(data["rule"], "nonce_too_low");

    let e = c.dev_mine(1).await.unwrap_err();
    assert_eq!(code_of(&e), codes::DEV_DISABLED);
    assert_eq!(domain_error(&e), Some(RpcError::DevDisabled));
    assert!(server.stop());
}

#[tokio::test]
async fn unknown_method_is_method_not_found() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    for err in [
        http_client(&server.http_url())
            .unwrap()
            .request::<serde_json::Value, _>("chain_getTipp", rpc_params![])
            .await
            .unwrap_err(),
        ws_client(&server.ws_url())
            .await
            .unwrap()
            .request::<serde_json::Value, _>("eth_blockNumber", rpc_params![])
            .await
            .unwrap_err(),
    ] {
        assert_eq!(code_of(&err), codes::METHOD_NOT_FOUND);
    }
    assert!(server.stop());
}

#[tokio::test]
async fn new_heads_subscription_delivers_a_head() {
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), RpcLimits::default()).await;
    let c = ws_client(&server.ws_url()).await.unwrap();
    let mut sub = c.chain_subscribe_new_heads().await.unwrap();
    // The receiver exists once the subscription is accepted.
    assert_eq!(backend.heads.receiver_count(), 1);
    backend.heads.send(header(3)).unwrap();
    backend.heads.send(header(4)).unwrap();
    let first = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let second = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((first, second), (header(3), header(4)));
    sub.unsubscribe().await.unwrap();
    // The server drops its receiver once the client unsubscribes.
    tokio::time::timeout(TIMEOUT, async {
        while backend.heads.receiver_count() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert!(server.stop());
}

#[tokio::test]
async fn job_result_subscription_waits_for_completion() {
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), RpcLimits::default()).await;
    let c = ws_client(&server.ws_url()).await.unwrap();

    // A pending job: only its own completion is delivered.
    let mut sub = c.state_subscribe_job_result(h(PENDING_JOB)).await.unwrap();
    backend
        .jobs
        .send(job(h(0x99), JobStatus::Completed))
        .unwrap();
    backend
        .jobs
        .send(job(h(PENDING_JOB), JobStatus::Pending))
        .unwrap();
    backend
        .jobs
        .send(job(h(PENDING_JOB), JobStatus::Completed))
        .unwrap();
    let got = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.id, h(PENDING_JOB));
    assert_eq!(got.status, JobStatus::Completed);
    assert_eq!(got.record, Some(h(PENDING_JOB)));

    // An already completed job is delivered at once.
    let mut done = c.state_subscribe_job_result(h(DONE_JOB)).await.unwrap();
    let got = tokio::time::timeout(TIMEOUT, done.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got, job(h(DONE_JOB), JobStatus::Completed));

    // An unknown job is refused with its domain code.
    let err = c.state_subscribe_job_result(h(0xee)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::UNKNOWN_JOB);
    assert_eq!(
        domain_error(&err),
        Some(RpcError::UnknownJob { job: h(0xee) })
    );

    // A malformed id is refused as invalid params.
    let err = c
        .subscribe::<JobView, _>(
            "state_subscribeJobResult",
            rpc_params!["zz"],
            "state_unsubscribeJobResult",
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), codes::INVALID_PARAMS);
    assert!(server.stop());
}

#[tokio::test]
async fn owner_records_subscription_filters_by_owner() {
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), RpcLimits::default()).await;
    let c = ws_client(&server.ws_url()).await.unwrap();
    let mut sub = c.state_subscribe_owner_records(addr(7)).await.unwrap();
    backend.records.send(record(h(0xb0), addr(8))).unwrap();
    backend.records.send(record(h(0xb1), addr(7))).unwrap();
    let got = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.id, h(0xb1));
    assert_eq!(got.owner, addr(7));
    assert!(server.stop());
}

#[tokio::test]
async fn subscriptions_need_websocket() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let c = http_client(&server.http_url()).unwrap();
    assert!(c.chain_subscribe_new_heads().await.is_err());
    assert!(server.stop());
}

#[tokio::test]
async fn connection_limit_refuses_extra_websockets() {
    let limits = RpcLimits {
        max_connections: 1,
        ..RpcLimits::default()
    };
    let server = serve(MemBackend::new(true), limits).await;
    let first = ws_client(&server.ws_url()).await.unwrap();
    assert_eq!(first.chain_get_tip().await.unwrap(), tip());
    let second = ws_client(&server.ws_url()).await;
    let refused = match second {
        Err(_) => true,
        Ok(c) => c.chain_get_tip().await.is_err(),
    };
    assert!(
        refused,
        "a second connection over the limit of 1 was served"
    );
    // The first keeps working.
    assert_eq!(first.chain_get_tip().await.unwrap(), tip());
    assert!(server.stop());
}

#[tokio::test]
async fn server_reports_bind_errors() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let taken = server.local_addr();
    let err = infernet_rpc::start(taken, MemBackend::new(true), RpcLimits::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot bind"), "{err}");
    let bad = RpcLimits {
        default_page_size: 0,
        ..RpcLimits::default()
    };
    let any = "127.0.0.1:0".parse().unwrap();
    assert!(
        infernet_rpc::start(any, MemBackend::new(true), bad)
            .await
            .is_err()
    );
    assert!(server.stop());
    server.stopped().await;
}

#[tokio::test]
async fn lagging_subscribers_skip_heads_but_lose_record_subscriptions() {
    let backend = MemBackend::new(true);
    let server = serve(backend.clone(), RpcLimits::default()).await;
    let c = ws_client(&server.ws_url()).await.unwrap();
    let mut heads = c.chain_subscribe_new_heads().await.unwrap();
    let mut records = c.state_subscribe_owner_records(addr(7)).await.unwrap();
    // The test runtime is single-threaded: these sends all happen before the server's
    // subscription tasks run, so both overflow the 16-slot channels.
    for i in 0..40u8 {
        backend.heads.send(header(u64::from(i))).unwrap();
        backend.records.send(record(h(i), addr(7))).unwrap();
    }
    // Heads: the oldest are dropped, delivery resumes with the oldest still buffered.
    let first = tokio::time::timeout(TIMEOUT, heads.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first, header(24));
    // Records: the subscription ends instead of silently missing records.
    let next = tokio::time::timeout(TIMEOUT, records.next()).await.unwrap();
    assert!(
        !matches!(next, Some(Ok(_))),
        "a lagged record subscription kept delivering"
    );
    assert!(server.stop());
}

#[tokio::test]
async fn subscriptions_per_connection_are_capped() {
    let limits = RpcLimits {
        max_subscriptions_per_connection: 2,
        ..RpcLimits::default()
    };
    let server = serve(MemBackend::new(true), limits).await;
    let c = ws_client(&server.ws_url()).await.unwrap();
    let _a = c.chain_subscribe_new_heads().await.unwrap();
    let _b = c.state_subscribe_owner_records(addr(1)).await.unwrap();
    let err = c.chain_subscribe_new_heads().await.unwrap_err();
    assert_eq!(code_of(&err), -32006);
    assert!(server.stop());
}
