//! How commands print: JSON for scripts (`--json`), tables and `key: value` rows for people,
//! and the small formatting helpers both share.
//!
//! Every `--json` document is a typed struct of the command's module, serialized through a
//! [`serde_json::Value`]: its maps sort their keys, so the output is the same whatever order
//! a struct declares its fields in. Amounts are [`AmountJson`] (base units as a decimal
//! string, next to INF); a failed command prints [`ErrorJson`].

use anyhow::Result;
use infernet_crypto::Address;
use infernet_rpc::{self as rpc, H256};
use infernet_types::Amount;
use serde::Serialize;

/// An amount in `--json` output.
#[derive(Debug, Clone, Serialize)]
pub struct AmountJson {
    /// Base units, as a decimal string (amounts may exceed what JSON numbers hold exactly).
    pub base: String,
    /// The same amount in INF, with up to nine decimals (`"1.5"`).
    pub inf: String,
}

impl From<Amount> for AmountJson {
    fn from(a: Amount) -> AmountJson {
        AmountJson {
            base: a.0.to_string(),
            inf: a.to_inf_string(),
        }
    }
}

/// What a failed command prints on stdout with `--json` (one line).
#[derive(Debug, Clone, Serialize)]
pub struct ErrorJson {
    /// The error with its causes, as one line (`outer: inner: …`).
    pub error: String,
    /// The error and each of its causes, outermost first.
    pub causes: Vec<String>,
}

impl ErrorJson {
    /// The JSON form of `e`.
    pub fn new(e: &anyhow::Error) -> ErrorJson {
        ErrorJson {
            error: format!("{e:#}"),
            causes: e.chain().map(ToString::to_string).collect(),
        }
    }
}

/// `value` as pretty-printed JSON, keys sorted.
pub(crate) fn pretty_json<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(&serde_json::to_value(value)?)?)
}

/// `value` as JSON on one line, keys sorted (for streams of documents, e.g. `chat --json`).
pub fn json_line<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_value(value)?.to_string())
}

/// An RPC address as `inf1…`.
pub(crate) fn addr(a: &rpc::Address) -> String {
    Address(a.0).to_string()
}

/// The first 12 hex digits of a hash, for tables.
pub(crate) fn short(h: &H256) -> String {
    let s = hex::encode(h.0);
    format!("{}…", &s[..12])
}

/// Prints rows under a header, columns padded to their widest cell.
pub(crate) fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    if rows.is_empty() {
        println!("(none)");
    }
    for r in rows {
        line(r);
    }
}

/// Prints `key: value` rows, keys aligned.
pub(crate) fn kv(rows: Vec<Vec<String>>) {
    let w = rows
        .iter()
        .filter_map(|r| r.first())
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    for r in rows {
        if let [k, v] = r.as_slice() {
            println!("{k:<w$}  {v}");
        }
    }
}

// The record market's commands (engineer K); a child module so it can use `call!`, `Ctx`
// and the helpers above.
