//! A minimal blocking JSON-RPC client over HTTP/1.1 for tests: no runtime needed, and every
//! raw response is kept ([`Rpc::responses`]) so privacy tests can scan what a node answered.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use infernet_crypto::{Address, Hash, Identity};
use infernet_types::{SignedTransaction, TxKind};
use serde_json::{Value, json};

use crate::{amount, h256, tx, wait_for};

/// Why an RPC call failed.
#[derive(Debug)]
pub enum RpcFailure {
    /// The node could not be reached or answered garbage.
    Transport(String),
    /// The node answered with a JSON-RPC error object.
    Error(Value),
}

/// A minimal JSON-RPC client over HTTP/1.1; every raw response is kept for scans.
#[derive(Debug)]
pub struct Rpc {
    /// `HOST:PORT` of the server.
    pub addr: String,
    /// Every raw HTTP response so far, in order.
    pub responses: Vec<String>,
}

impl Rpc {
    /// A client of the server at `addr` (`HOST:PORT`, no scheme).
    pub fn new(addr: String) -> Self {
        Rpc {
            addr,
            responses: Vec::new(),
        }
    }

    /// One call.
    pub fn request(&mut self, method: &str, params: &Value) -> Result<Value, RpcFailure> {
        let t = |e: std::io::Error| RpcFailure::Transport(e.to_string());
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(&self.addr).map_err(t)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(t)?;
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.addr,
            body.len(),
            body
        )
        .map_err(t)?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).map_err(t)?;
        let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        self.responses.push(resp);
        let v: Value = serde_json::from_str(&body)
            .map_err(|e| RpcFailure::Transport(format!("bad response to {method}: {e}: {body}")))?;
        match v.get("error") {
            Some(err) => Err(RpcFailure::Error(err.clone())),
            None => Ok(v["result"].clone()),
        }
    }

    /// A call that must succeed.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, &params) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// A call whose failure means "not yet".
    pub fn try_call(&mut self, method: &str, params: Value) -> Option<Value> {
        self.request(method, &params).ok()
    }

    /// The tip height.
    pub fn height(&mut self) -> u64 {
        self.call("chain_getTip", json!([]))["height"]
            .as_u64()
            .unwrap()
    }

    /// `state_getAccount`.
    pub fn account(&mut self, a: &Address) -> Value {
        self.call("state_getAccount", json!([a.to_bech32()]))
    }

    /// The balance of `a`, in base units.
    pub fn balance(&mut self, a: &Address) -> u64 {
        amount(&self.account(a)["balance"])
    }

    /// `state_getJob`.
    pub fn job(&mut self, id: &Hash) -> Value {
        self.call("state_getJob", json!([hex::encode(id.0)]))
    }

    /// `tx_get`.
    pub fn tx(&mut self, id: &Hash) -> Value {
        self.call("tx_get", json!([hex::encode(id.0)]))
    }

    /// Waits until `height` is reached.
    pub fn wait_height(&mut self, height: u64, secs: u64) {
        wait_for(&format!("height {height}"), secs, || {
            (self.try_call("chain_getTip", json!([]))?["height"].as_u64()? >= height).then_some(())
        });
    }

    /// Waits until `txid` is in a block of the best chain.
    pub fn wait_mined(&mut self, txid: &Hash) {
        let id = hex::encode(txid.0);
        wait_for(&format!("tx {id} to be mined"), 30, || {
            self.try_call("tx_get", json!([id]))?["block_height"]
                .as_u64()
                .map(|_| ())
        });
    }

    /// The nonce `a`'s next transaction takes (counting the node's pending ones).
    pub fn next_nonce(&mut self, a: &Address) -> u64 {
        self.account(a)["next_nonce"].as_u64().unwrap()
    }

    /// Signs `kind` from `who` with the next nonce and the minimum fee of the dev chain.
    pub fn sign(&mut self, who: &Identity, kind: TxKind) -> SignedTransaction {
        let nonce = self.next_nonce(&who.address());
        tx::dev_min_fee(who, nonce, kind)
    }

    /// `tx_send`: the txid, or the node's error object.
    pub fn send(&mut self, tx: &SignedTransaction) -> Result<Hash, Value> {
        match self.request("tx_send", &json!([tx::to_hex(tx)])) {
            Ok(v) => Ok(Hash(h256(&v))),
            Err(RpcFailure::Error(e)) => Err(e),
            Err(RpcFailure::Transport(e)) => panic!("tx_send: {e}"),
        }
    }

    /// Signs and sends `kind` from `who` and waits until it is mined.
    pub fn send_kind(&mut self, who: &Identity, kind: TxKind) -> Hash {
        let tx = self.sign(who, kind);
        let id = self.send(&tx).unwrap_or_else(|e| panic!("refused: {e}"));
        assert_eq!(id, tx.txid());
        self.wait_mined(&id);
        id
    }
}
