//! infernet-wallet: keys, prompts, records and explorer views over JSON-RPC.
//!
//! This crate owns the user's side of Infernet: the encrypted key files, building and signing
//! transactions, sealing prompts to a miner and opening the records that come back, ranking
//! miners, and exporting records as training data. The `infernet-wallet` commands ([`commands`])
//! wire these to the command line and to a node's JSON-RPC API; the binary (`src/main.rs`)
//! only parses and dispatches. The wallet never links rocksdb, libp2p or burn (a test checks
//! the dependency tree).
//!
//! Modules:
//! - [`commands`]: the CLI's commands, one module per group (`key`, `balance`/`send`/`tx`,
//!   `models`/`miners`, `prompt`/`chat`, `records`, `explore`, `market`), their context
//!   (flags, keystore, node client) and output (typed `--json` documents, tables);
//! - [`keys`]: the wallet directory and its keystores, password sources;
//! - [`amount`]: parsing amounts typed by people (`1.5`, `1.5inf`, `1500000000base`);
//! - [`tx`]: signing transactions with the minimum fee and encoding them for `tx_send`;
//! - [`job`]: sealing prompts (`SubmitJob`), opening records (`PostResult`), checking the
//!   miner's commitment against the decrypted pair;
//! - [`market`]: the record market's wallet side (listings, delivery, provenance, sale
//!   split, complaints);
//! - [`ranking`]: ranking miners and picking one for a model;
//! - [`export`]: JSONL export (OpenAI chat and TRL prompt/completion), provenance sidecar and
//!   dataset card;
//! - [`error`]: the error type, [`WalletError`].
//!
//! # Wallet directory
//!
//! ```text
//! <wallet-dir>/keys/<NAME>.json   the crypto crate's encrypted keystore (mode 0600)
//! ```
//!
//! The default `<wallet-dir>` is `ProjectDirs::from("org", "infernet", "infernet").data_dir()`
//! joined with `wallet` (on Linux `~/.local/share/infernet/wallet`); `--wallet-dir` or
//! `INFERNET_WALLET_DIR` override it. Key names are 1–64 characters of `A–Z a–z 0–9 _ - .`
//! and do not start with a dot.
//!
//! # Prompt plaintext
//!
//! The plaintext sealed to the miner is the UTF-8 text of the user's message for a single
//! prompt. A multi-turn `chat` seals a JSON document `{"messages":[{"role":"user"|"assistant",
//! "content":"…"},…]}` (see [`job::Conversation`]); a miner treats a plaintext that parses as
//! such a document as the conversation, anything else as one user message.

pub mod amount;
pub mod commands;
pub mod error;
pub mod export;
pub mod job;
pub mod keys;
pub mod market;
pub mod ranking;
pub mod tx;

pub use error::WalletError;
