#![allow(clippy::unwrap_used, missing_docs)]
//! Transport-level behaviour checked with raw HTTP: body and batch limits, parse errors,
//! invalid requests and unknown methods, as any JSON-RPC client would see them.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use infernet_rpc::RpcLimits;
use infernet_rpc::error::codes;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// POST `body` to `/` and return the status code and the parsed JSON body.
async fn post(addr: SocketAddr, body: &str) -> (u16, Value) {
    let fut = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        // The server may answer and close before reading an oversized body; ignore write errors.
        let _ = stream.write_all(request.as_bytes()).await;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).unwrap();
        let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
        let (head, payload) = text.split_once("\r\n\r\n").unwrap();
        let payload = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(payload)
        } else {
            payload.to_owned()
        };
        (
            status,
            serde_json::from_str(&payload).unwrap_or(Value::Null),
        )
    };
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .unwrap()
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {v}"))
}

#[tokio::test]
async fn oversized_body_is_refused_before_parsing() {
    let limits = RpcLimits {
        max_request_body_bytes: 1024,
        ..RpcLimits::default()
    };
    let server = serve(MemBackend::new(true), limits).await;
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tx_send", "params": ["00".repeat(2048)]
    })
    .to_string();
    let (status, v) = post(server.local_addr(), &body).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&v), i64::from(codes::OVERSIZED_REQUEST));
    // A small request on the same server is still served.
    let (status, v) = post(
        server.local_addr(),
        r#"{"jsonrpc":"2.0","id":2,"method":"chain_getTip"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["result"]["height"], 2);
    assert!(server.stop());
}

#[tokio::test]
async fn malformed_json_and_requests_get_standard_codes() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let a = server.local_addr();
    let (_, v) = post(a, "{not json").await;
    assert_eq!(error_code(&v), i64::from(codes::PARSE_ERROR));
    let (_, v) = post(a, r#"{"jsonrpc":"2.0","id":1,"params":[]}"#).await;
    assert_eq!(error_code(&v), i64::from(codes::INVALID_REQUEST));
    let (_, v) = post(a, r#"{"jsonrpc":"2.0","id":1,"method":"no_such"}"#).await;
    assert_eq!(error_code(&v), i64::from(codes::METHOD_NOT_FOUND));
    let (_, v) = post(
        a,
        r#"{"jsonrpc":"2.0","id":1,"method":"chain_getBlockByHeight","params":[-1]}"#,
    )
    .await;
    assert_eq!(error_code(&v), i64::from(codes::INVALID_PARAMS));
    assert!(server.stop());
}

#[tokio::test]
async fn batches_are_capped() {
    let limits = RpcLimits {
        max_batch_len: 3,
        ..RpcLimits::default()
    };
    let server = serve(MemBackend::new(true), limits).await;
    let call = |id: u32| json!({ "jsonrpc": "2.0", "id": id, "method": "chain_getTip" });
    let ok = Value::Array((0..3).map(call).collect()).to_string();
    let (_, v) = post(server.local_addr(), &ok).await;
    let answers = v.as_array().unwrap();
    assert_eq!(answers.len(), 3);
    assert!(answers.iter().all(|a| a["result"]["height"] == 2));
    let too_many = Value::Array((0..4).map(call).collect()).to_string();
    let (_, v) = post(server.local_addr(), &too_many).await;
    assert_eq!(error_code(&v), i64::from(codes::TOO_BIG_BATCH));
    assert!(server.stop());
}
