#![allow(clippy::unwrap_used, missing_docs)]
//! The documentation and the server agree: `specs/rpc.md`, `specs/openrpc.json`, the method
//! table and the methods the server registers name the same set of methods.
//!
//! Regenerate `specs/openrpc.json` after changing the API with
//! `INFERNET_BLESS=1 cargo nextest run -p infernet-rpc --test spec`.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use infernet_rpc::RpcLimits;
use infernet_rpc::client::{InfernetApiClient, http_client};
use infernet_rpc::error::RpcError;
use infernet_rpc::methods::{METHODS, all_method_names, openrpc_document};

fn specs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

fn table_names() -> BTreeSet<String> {
    all_method_names().into_iter().map(str::to_owned).collect()
}

#[test]
fn server_registers_exactly_the_documented_methods() {
    let module = infernet_rpc::rpc_module(MemBackend::new(true), RpcLimits::default()).unwrap();
    let registered: BTreeSet<String> = module.method_names().map(str::to_owned).collect();
    assert_eq!(registered, table_names());
}

#[test]
fn rpc_md_documents_every_method_and_error() {
    let text = std::fs::read_to_string(specs_dir().join("rpc.md")).unwrap();
    // Every method has a `### `name`` heading; unsubscribe methods are documented with
    // their subscription.
    let documented: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    let expected: BTreeSet<String> = METHODS.iter().map(|m| m.name.to_owned()).collect();
    assert_eq!(
        documented, expected,
        "specs/rpc.md headings differ from the method table"
    );
    for m in METHODS {
        if let Some(sub) = m.subscription {
            assert!(
                text.contains(sub.unsubscribe),
                "{} is not mentioned",
                sub.unsubscribe
            );
        }
    }
    // Every error code and reason is in the error table.
    for e in RpcError::catalogue() {
        let row = format!("| {} | `{}` |", e.code(), e.reason());
        assert!(
            text.contains(&row),
            "specs/rpc.md lacks the error row `{row}`"
        );
    }
}

#[test]
fn committed_openrpc_json_is_current() {
    let path = specs_dir().join("openrpc.json");
    let generated = serde_json::to_string_pretty(&openrpc_document()).unwrap() + "\n";
    if std::env::var_os("INFERNET_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "specs/openrpc.json is stale: run `INFERNET_BLESS=1 cargo nextest run -p infernet-rpc \
         --test spec` and commit the result"
    );
}

#[tokio::test]
async fn rpc_discover_serves_the_document() {
    let server = serve(MemBackend::new(true), RpcLimits::default()).await;
    let c = http_client(&server.http_url()).unwrap();
    let doc = c.rpc_discover().await.unwrap();
    assert_eq!(doc, openrpc_document());
    let served: BTreeSet<String> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(served, table_names());
    assert!(server.stop());
}
