//! Exporting decrypted records as training data.
//!
//! Writes three files: `<out>` (JSONL, one record per line), `<out>.provenance.json` (record
//! ids, models, miners, commitments, receipts' public fields and heights, so a reader can check
//! every line against the chain) and `<out>.README.md` (a dataset card). Formats:
//! - `openai`: `{"messages":[{"role":"user","content":…},{"role":"assistant","content":…}]}`;
//! - `trl`: `{"prompt":…,"completion":…}`.
//!
//! Both load with Hugging Face `datasets.load_dataset("json", data_files=…)`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::WalletError;
use crate::job::{Conversation, Message};
use crate::market::provenance::Check;

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat fine-tuning format.
    OpenAi,
    /// TRL prompt/completion format.
    Trl,
}

impl Format {
    /// The name used on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAi => "openai",
            Format::Trl => "trl",
        }
    }
}

/// One decrypted record with its public provenance.
#[derive(Clone, Serialize)]
pub struct ExportRecord {
    /// Record id (hex).
    pub record_id: String,
    /// Model id (hex).
    pub model_id: String,
    /// Miner address.
    pub miner: String,
    /// The user who submitted the job.
    pub user: String,
    /// Commitment to the plaintext (hex).
    pub commitment: String,
    /// Hash of the sealed request (hex).
    pub request_hash: String,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Generated tokens.
    pub output_tokens: u32,
    /// Height the record was minted at.
    pub minted_at: u64,
    /// Sampling parameters (JSON view).
    pub sampling: serde_json::Value,
    /// `true` when every provenance check passed (`market::provenance`); an export keeps
    /// unverified records only with `--include-unverified`, and marks them here.
    pub verified: bool,
    /// The first provenance check that failed, `None` when verified.
    pub failed_check: Option<Check>,
    /// Why that check failed, for a person.
    pub failure: Option<String>,
    /// The decrypted prompt (text or a conversation document).
    #[serde(skip)]
    pub prompt: String,
    /// The decrypted answer.
    #[serde(skip)]
    pub answer: String,
}

impl std::fmt::Debug for ExportRecord {
    /// Redacts the plaintexts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ExportRecord {{ record_id: {}, <plaintext redacted> }}",
            self.record_id
        )
    }
}

/// The JSONL line of one record.
pub fn line(format: Format, rec: &ExportRecord) -> Result<String, WalletError> {
    let convo = Conversation::from_prompt(rec.prompt.as_bytes());
    let value = match format {
        Format::OpenAi => {
            let mut messages: Vec<Message> = convo.messages.clone();
            messages.push(Message {
                role: "assistant".to_owned(),
                content: rec.answer.clone(),
            });
            json!({ "messages": messages })
        }
        Format::Trl => {
            let prompt = match convo.messages.as_slice() {
                [only] if only.role == "user" => json!(only.content),
                many => json!(many),
            };
            json!({ "prompt": prompt, "completion": rec.answer })
        }
    };
    Ok(serde_json::to_string(&value)?)
}

/// The provenance sidecar's path for `out`.
#[must_use]
pub fn provenance_path(out: &Path) -> PathBuf {
    with_suffix(out, ".provenance.json")
}

/// The dataset card's path for `out`.
#[must_use]
pub fn card_path(out: &Path) -> PathBuf {
    with_suffix(out, ".README.md")
}

fn with_suffix(out: &Path, suffix: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes the JSONL file, the provenance sidecar and the dataset card; returns their paths.
pub fn write(
    out: &Path,
    format: Format,
    chain: &str,
    chain_id: u64,
    records: &[ExportRecord],
) -> Result<[PathBuf; 3], WalletError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| WalletError::Io {
            action,
            path,
            source,
        }
    };
    let mut body = String::new();
    for r in records {
        body.push_str(&line(format, r)?);
        body.push('\n');
    }
    let mut f = std::fs::File::create(out).map_err(io("cannot create", out))?;
    f.write_all(body.as_bytes())
        .map_err(io("cannot write", out))?;
    let prov = json!({
        "chain": chain,
        "chain_id": chain_id,
        "format": format.name(),
        "records": records,
    });
    let prov_path = provenance_path(out);
    std::fs::write(&prov_path, serde_json::to_string_pretty(&prov)?)
        .map_err(io("cannot write", &prov_path))?;
    let card = card(out, format, chain, chain_id, records);
    let card_path = card_path(out);
    std::fs::write(&card_path, card).map_err(io("cannot write", &card_path))?;
    Ok([out.to_owned(), prov_path, card_path])
}

fn card(
    out: &Path,
    format: Format,
    chain: &str,
    chain_id: u64,
    records: &[ExportRecord],
) -> String {
    let file = out
        .file_name()
        .map_or_else(|| "data.jsonl".into(), |n| n.to_string_lossy().into_owned());
    let mut models: Vec<&str> = records.iter().map(|r| r.model_id.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let mut miners: Vec<&str> = records.iter().map(|r| r.miner.as_str()).collect();
    miners.sort_unstable();
    miners.dedup();
    let tokens: u64 = records
        .iter()
        .map(|r| u64::from(r.input_tokens) + u64::from(r.output_tokens))
        .sum();
    let unverified = records.iter().filter(|r| !r.verified).count();
    let verification = if unverified == 0 {
        "Every record passed the wallet's provenance checks (record key, payload, the miner's \
commitment, the receipt against its job) when it was exported."
            .to_owned()
    } else {
        format!(
            "**{unverified} of {n} records failed the wallet's provenance checks** and were kept on \
request (`--include-unverified`); the sidecar marks them with `\"verified\": false` and the \
failed check.",
            n = records.len()
        )
    };
    let schema = match format {
        Format::OpenAi => {
            "`{\"messages\": [{\"role\": \"user\", \"content\": …}, {\"role\": \"assistant\", \"content\": …}]}`"
        }
        Format::Trl => "`{\"prompt\": …, \"completion\": …}`",
    };
    format!(
        "---\nconfigs:\n- config_name: default\n  data_files: {file}\n---\n\n# Infernet records export\n\n\
{n} records from chain `{chain}` (id {chain_id}), {tokens} tokens in all, exported by `infernet-wallet records export --format {fmt}`.\n\n\
Each line of `{file}` is {schema}.\n\n\
Load it with:\n\n```python\nfrom datasets import load_dataset\nds = load_dataset(\"json\", data_files=\"{file}\")\n```\n\n\
## Provenance\n\n`{file}.provenance.json` lists, per line in the same order, the record id, model id, miner, user, \
the miner's commitment to the plaintext pair, the request hash, token counts, sampling parameters and the height it was \
minted at. Anyone holding a record's key can recompute the commitment from the decrypted pair and compare it with the \
record on chain (`infernet-wallet explore record ID`).\n\n{verification}\n\n\
Models: {models}\n\nMiners: {miners}\n",
        n = records.len(),
        fmt = format.name(),
        models = models.join(", "),
        miners = miners.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(prompt: &str, answer: &str) -> ExportRecord {
        ExportRecord {
            record_id: "aa".into(),
            model_id: "bb".into(),
            miner: "inf1miner".into(),
            user: "inf1user".into(),
            commitment: "cc".into(),
            request_hash: "dd".into(),
            input_tokens: 3,
            output_tokens: 4,
            minted_at: 9,
            sampling: json!({}),
            verified: true,
            failed_check: None,
            failure: None,
            prompt: prompt.into(),
            answer: answer.into(),
        }
    }

    #[test]
    fn formats() {
        let r = rec("What is 2+2?", "4");
        let v: serde_json::Value =
            serde_json::from_str(&line(Format::OpenAi, &r).unwrap()).unwrap();
        assert_eq!(v["messages"][0]["role"], "user");
        assert_eq!(v["messages"][0]["content"], "What is 2+2?");
        assert_eq!(v["messages"][1]["role"], "assistant");
        assert_eq!(v["messages"][1]["content"], "4");
        let v: serde_json::Value = serde_json::from_str(&line(Format::Trl, &r).unwrap()).unwrap();
        assert_eq!(v, json!({"prompt": "What is 2+2?", "completion": "4"}));
        // A chat record expands to its turns.
        let chat = r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"user","content":"and?"}]}"#;
        let v: serde_json::Value =
            serde_json::from_str(&line(Format::OpenAi, &rec(chat, "done")).unwrap()).unwrap();
        assert_eq!(v["messages"].as_array().unwrap().len(), 4);
        assert_eq!(v["messages"][3]["content"], "done");
    }

    #[test]
    fn writes_jsonl_sidecar_and_card() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("data.jsonl");
        let paths = write(
            &out,
            Format::Trl,
            "dev",
            1337,
            &[rec("a", "b"), rec("c", "d")],
        )
        .unwrap();
        let body = std::fs::read_to_string(&paths[0]).unwrap();
        assert_eq!(body.lines().count(), 2);
        for l in body.lines() {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&paths[1]).unwrap()).unwrap();
        assert_eq!(prov["records"][1]["commitment"], "cc");
        assert!(
            prov["records"][0].get("prompt").is_none(),
            "plaintext stays out of the sidecar"
        );
        assert_eq!(paths[1], dir.path().join("data.jsonl.provenance.json"));
        let card = std::fs::read_to_string(&paths[2]).unwrap();
        assert!(card.contains("load_dataset(\"json\", data_files=\"data.jsonl\")"));
        assert!(card.contains("2 records"));
        assert!(card.contains("Every record passed"));
        assert_eq!(prov["records"][0]["verified"], true);
        assert!(prov["records"][0]["failed_check"].is_null());
    }

    #[test]
    fn unverified_records_are_marked_in_the_sidecar_and_the_card() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("d.jsonl");
        let mut bad = rec("c", "d");
        bad.verified = false;
        bad.failed_check = Some(Check::Receipt);
        bad.failure = Some("token counts exceed the job's limits".into());
        let paths = write(&out, Format::OpenAi, "dev", 1337, &[rec("a", "b"), bad]).unwrap();
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&paths[1]).unwrap()).unwrap();
        assert_eq!(prov["records"][1]["verified"], false);
        assert_eq!(prov["records"][1]["failed_check"], "receipt");
        assert_eq!(prov["records"][0]["verified"], true);
        let card = std::fs::read_to_string(&paths[2]).unwrap();
        assert!(card.contains("1 of 2 records failed"), "{card}");
    }
}
