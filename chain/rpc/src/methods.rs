//! The method table: one entry per method, and the OpenRPC document generated from it.
//!
//! This module owns the API's documentation in code: every method's name, summary,
//! parameters, result and possible error codes, with JSON schemas derived from the view types.
//! `rpc.discover` serves [`openrpc_document`]; `specs/openrpc.json` is the same document
//! committed to the repository, and tests check that the table, the committed file,
//! `specs/rpc.md` and the server's registered methods name the same set of methods.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::error::{RpcError, codes};
use crate::primitives::{Address, H256};
use crate::views::{
    AccountView, BlockRef, BlockView, ChainInfoView, ComplaintFilter, ComplaintView, DevMineView,
    HeaderView, JobView, ListingDetailView, ListingFilter, ListingView, MinerView, ModelView,
    NodeInfoView, Page, PageRequest, PeerView, PurchaseView, RecordEventView, RecordView,
    SellerStatsView, TipView, TransactionView, TxView,
};

/// Produces the JSON schema of a parameter or result type.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

fn tx_hex_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": "string",
        "description": "hex of the canonical signed transaction (lowercase, no 0x prefix)",
        "pattern": "^([0-9a-f]{2})+$"
    })
}

fn peer_id_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": "string",
        "description": "libp2p peer id (base58)",
        "pattern": "^[1-9A-HJ-NP-Za-km-z]{1,128}$"
    })
}

/// One parameter of a method.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Parameter name (positional order is the table order).
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Its schema.
    pub schema: SchemaFn,
}

/// A subscription's extra facts.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionSpec {
    /// The method that cancels it.
    pub unsubscribe: &'static str,
    /// Schema of each notification's `result`.
    pub item: SchemaFn,
}

/// One method of the API.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpec {
    /// Exact method name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Positional parameters.
    pub params: &'static [ParamSpec],
    /// Name of the result.
    pub result_name: &'static str,
    /// Schema of the result (for a subscription: the subscription id).
    pub result: SchemaFn,
    /// Domain or standard error codes the method returns besides -32602/-32603.
    pub errors: &'static [i32],
    /// Set for subscriptions.
    pub subscription: Option<SubscriptionSpec>,
}

const fn param(name: &'static str, description: &'static str, schema: SchemaFn) -> ParamSpec {
    ParamSpec {
        name,
        description,
        required: true,
        schema,
    }
}

const fn optional(name: &'static str, description: &'static str, schema: SchemaFn) -> ParamSpec {
    ParamSpec {
        name,
        description,
        required: false,
        schema,
    }
}

const fn call(
    name: &'static str,
    summary: &'static str,
    params: &'static [ParamSpec],
    result_name: &'static str,
    result: SchemaFn,
    errors: &'static [i32],
) -> MethodSpec {
    MethodSpec {
        name,
        summary,
        params,
        result_name,
        result,
        errors,
        subscription: None,
    }
}

const fn subscription(
    name: &'static str,
    unsubscribe: &'static str,
    summary: &'static str,
    params: &'static [ParamSpec],
    item: SchemaFn,
    errors: &'static [i32],
) -> MethodSpec {
    MethodSpec {
        name,
        summary,
        params,
        result_name: "subscription",
        result: schema_of::<String>,
        errors,
        subscription: Some(SubscriptionSpec { unsubscribe, item }),
    }
}

const PAGE: ParamSpec = optional(
    "page",
    "`{ cursor?, limit? }`; absent = first page, default size",
    schema_of::<PageRequest>,
);

/// Every method of the API, in documentation order.
pub const METHODS: &[MethodSpec] = &[
    call(
        "chain_getTip",
        "The best block: height, hash and cumulative work.",
        &[],
        "tip",
        schema_of::<TipView>,
        &[],
    ),
    call(
        "chain_getBlockByHeight",
        "The best chain's block at a height, with its transactions; null if none.",
        &[param(
            "height",
            "block height (genesis = 0)",
            schema_of::<u64>,
        )],
        "block",
        schema_of::<Option<BlockView>>,
        &[],
    ),
    call(
        "chain_getBlockByHash",
        "Any block the node stores, by hash; null if unknown.",
        &[param("hash", "block hash", schema_of::<H256>)],
        "block",
        schema_of::<Option<BlockView>>,
        &[],
    ),
    call(
        "chain_getHeader",
        "A header by height (number, best chain) or hash (hex string); null if unknown.",
        &[param("block", "height or hash", schema_of::<BlockRef>)],
        "header",
        schema_of::<Option<HeaderView>>,
        &[],
    ),
    call(
        "chain_getInfo",
        "Chain identity, tip, sync status and mempool occupancy.",
        &[],
        "info",
        schema_of::<ChainInfoView>,
        &[],
    ),
    call(
        "tx_send",
        "Validate a signed transaction, add it to the mempool and gossip it; returns its id.",
        &[param(
            "tx",
            "hex of the canonical signed transaction",
            tx_hex_schema,
        )],
        "txid",
        schema_of::<H256>,
        &[
            codes::TX_DECODE,
            codes::TX_REJECTED,
            codes::TX_KNOWN,
            codes::MEMPOOL_FULL,
        ],
    ),
    call(
        "tx_get",
        "A transaction with its status and confirmations; null if unknown.",
        &[param("txid", "transaction id", schema_of::<H256>)],
        "tx",
        schema_of::<Option<TxView>>,
        &[],
    ),
    call(
        "tx_pending",
        "Mempool transactions, best fee rate first.",
        &[optional(
            "limit",
            "most transactions to return (default 100)",
            schema_of::<u32>,
        )],
        "transactions",
        schema_of::<Vec<TransactionView>>,
        &[],
    ),
    call(
        "state_getAccount",
        "An account's balance and nonce (zero for an address never seen).",
        &[param("address", "account address", schema_of::<Address>)],
        "account",
        schema_of::<AccountView>,
        &[],
    ),
    call(
        "state_getModel",
        "A registered model; null if unknown.",
        &[param("id", "model id", schema_of::<H256>)],
        "model",
        schema_of::<Option<ModelView>>,
        &[],
    ),
    call(
        "state_getModels",
        "Registered models, paged.",
        &[PAGE],
        "models",
        schema_of::<Page<ModelView>>,
        &[],
    ),
    call(
        "state_getMiner",
        "A registered miner with its offers and reputation; null if unknown.",
        &[param("address", "miner address", schema_of::<Address>)],
        "miner",
        schema_of::<Option<MinerView>>,
        &[],
    ),
    call(
        "state_getMiners",
        "Registered miners, paged.",
        &[PAGE],
        "miners",
        schema_of::<Page<MinerView>>,
        &[],
    ),
    call(
        "state_getJob",
        "A job with its status and result; null if unknown.",
        &[param("id", "job id", schema_of::<H256>)],
        "job",
        schema_of::<Option<JobView>>,
        &[],
    ),
    call(
        "state_getRecord",
        "A record: ciphertext, sealed key, commitment and metadata; null if unknown.",
        &[param("id", "record id", schema_of::<H256>)],
        "record",
        schema_of::<Option<RecordView>>,
        &[],
    ),
    call(
        "state_getRecordsByOwner",
        "The records an address owns, paged.",
        &[param("owner", "owner address", schema_of::<Address>), PAGE],
        "records",
        schema_of::<Page<RecordView>>,
        &[],
    ),
    call(
        "state_getListings",
        "Market listings matching a filter, paged.",
        &[optional(
            "filter",
            "`{ seller?, model?, status?, page? }`; absent = all listings",
            schema_of::<ListingFilter>,
        )],
        "listings",
        schema_of::<Page<ListingView>>,
        &[],
    ),
    call(
        "state_getListing",
        "One listing with its current purchase (pending or delivered); null if unknown.",
        &[param("id", "listing id", schema_of::<H256>)],
        "listing",
        schema_of::<Option<ListingDetailView>>,
        &[],
    ),
    call(
        "state_getPurchase",
        "One purchase with its status, deadline and complaint deadline; null if unknown.",
        &[param("id", "purchase id", schema_of::<H256>)],
        "purchase",
        schema_of::<Option<PurchaseView>>,
        &[],
    ),
    call(
        "state_getComplaints",
        "Complaints recorded on chain, by seller and/or purchase, in (purchase, record index) \
         order; continue with `page.cursor` = `\"<purchase>:<record_index>\"` of the last one.",
        &[optional(
            "filter",
            "`{ seller?, purchase?, page? }`; absent = all complaints",
            schema_of::<ComplaintFilter>,
        )],
        "complaints",
        schema_of::<Vec<ComplaintView>>,
        &[],
    ),
    call(
        "state_getSellerStats",
        "A seller's market history: listings, sales, refunds, cancellations, complaints \
         (zeros for an address that never sold).",
        &[param("address", "seller address", schema_of::<Address>)],
        "stats",
        schema_of::<SellerStatsView>,
        &[],
    ),
    call(
        "state_getRecordHistory",
        "A record's ownership and sales history (minted, transferred, listed, cancelled, \
         sold, complained), oldest first; empty for an unknown record.",
        &[param("id", "record id", schema_of::<H256>)],
        "events",
        schema_of::<Vec<RecordEventView>>,
        &[],
    ),
    call(
        "net_peers",
        "Connected peers.",
        &[],
        "peers",
        schema_of::<Vec<PeerView>>,
        &[],
    ),
    call(
        "net_nodeInfo",
        "This node's peer id, addresses, version and chain.",
        &[],
        "node",
        schema_of::<NodeInfoView>,
        &[],
    ),
    call(
        "dev_mine",
        "Seal n blocks now from the mempool (dev chains only).",
        &[param(
            "n",
            "number of blocks, 1 to the server's limit (default 1000)",
            schema_of::<u32>,
        )],
        "mined",
        schema_of::<DevMineView>,
        &[codes::DEV_DISABLED, codes::UNAVAILABLE],
    ),
    call(
        "admin_blockPeer",
        "Disconnect a peer and refuse it until unblocked; true if it was not blocked before.",
        &[param("peer_id", "libp2p peer id", peer_id_schema)],
        "blocked",
        schema_of::<bool>,
        &[codes::UNAVAILABLE],
    ),
    call(
        "admin_unblockPeer",
        "Lift a peer block; true if the peer was blocked.",
        &[param("peer_id", "libp2p peer id", peer_id_schema)],
        "unblocked",
        schema_of::<bool>,
        &[codes::UNAVAILABLE],
    ),
    call(
        "rpc.discover",
        "This API's OpenRPC document.",
        &[],
        "openrpc",
        schema_of::<Value>,
        &[],
    ),
    subscription(
        "chain_subscribeNewHeads",
        "chain_unsubscribeNewHeads",
        "A header for every new best block (WebSocket only).",
        &[],
        schema_of::<HeaderView>,
        &[],
    ),
    subscription(
        "state_subscribeJobResult",
        "state_unsubscribeJobResult",
        "The job once completed or expired, then the subscription ends (WebSocket only).",
        &[param("job", "job id", schema_of::<H256>)],
        schema_of::<JobView>,
        &[codes::UNKNOWN_JOB],
    ),
    subscription(
        "state_subscribeOwnerRecords",
        "state_unsubscribeOwnerRecords",
        "Every record that becomes owned by an address, minted or transferred (WebSocket only).",
        &[param("owner", "owner address", schema_of::<Address>)],
        schema_of::<RecordView>,
        &[],
    ),
];

/// Every method name the server registers: the table's names plus each subscription's
/// unsubscribe method.
pub fn all_method_names() -> Vec<&'static str> {
    let mut names = Vec::new();
    for m in METHODS {
        names.push(m.name);
        if let Some(sub) = m.subscription {
            names.push(sub.unsubscribe);
        }
    }
    names
}

fn error_message(code: i32) -> String {
    RpcError::catalogue()
        .into_iter()
        .find(|e| e.code() == code)
        .map(|e| e.reason().to_owned())
        .unwrap_or_else(|| "error".to_owned())
}

/// The OpenRPC 1.2.6 document of the API, generated from [`METHODS`].
///
/// Subscriptions appear as methods returning a subscription id, with an
/// `x-subscription` extension naming the unsubscribe method and the notification schema;
/// each unsubscribe method appears as its own method returning a boolean.
pub fn openrpc_document() -> Value {
    let mut generator = SchemaSettings::draft07()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let mut methods = Vec::new();
    for m in METHODS {
        let params: Vec<Value> = m
            .params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "description": p.description,
                    "required": p.required,
                    "schema": (p.schema)(&mut generator),
                })
            })
            .collect();
        let mut errors: Vec<Value> = vec![
            json!({ "code": codes::INVALID_PARAMS, "message": "invalid_params" }),
            json!({ "code": codes::INTERNAL_ERROR, "message": "internal" }),
        ];
        errors.extend(
            m.errors
                .iter()
                .map(|c| json!({ "code": c, "message": error_message(*c) })),
        );
        let mut method = json!({
            "name": m.name,
            "summary": m.summary,
            "paramStructure": "by-position",
            "params": params,
            "result": { "name": m.result_name, "schema": (m.result)(&mut generator) },
            "errors": errors,
        });
        if let Some(sub) = m.subscription {
            let item = (sub.item)(&mut generator);
            if let Some(obj) = method.as_object_mut() {
                obj.insert(
                    "x-subscription".into(),
                    json!({ "unsubscribe": sub.unsubscribe, "notification": m.name, "item": item }),
                );
            }
            methods.push(method);
            methods.push(json!({
                "name": sub.unsubscribe,
                "summary": format!("Cancel a `{}` subscription.", m.name),
                "paramStructure": "by-position",
                "params": [{
                    "name": "subscription",
                    "required": true,
                    "schema": { "type": "string" },
                }],
                "result": { "name": "unsubscribed", "schema": { "type": "boolean" } },
            }));
        } else {
            methods.push(method);
        }
    }
    let schemas: Map<String, Value> = generator.take_definitions(true);
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": "Infernet JSON-RPC",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Namespaced methods (chain, tx, state, net, dev, admin) over HTTP and \
                            WebSocket; see specs/rpc.md.",
        },
        "methods": methods,
        "components": { "schemas": schemas },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let names = all_method_names();
        let set: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len(), "duplicate method name in the table");
    }

    #[test]
    fn document_lists_every_method_with_resolvable_refs() {
        let doc = openrpc_document();
        let listed: Vec<&str> = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, all_method_names());
        // Every $ref points at a schema present in components.
        let text = serde_json::to_string(&doc).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
        assert!(schemas.contains_key("BlockView"));
    }
}
