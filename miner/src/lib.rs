//! infernet-miner: a mining, model-serving Infernet node.
//!
//! The binary's subcommands (`model`, `infer`, `bench`) live in `main.rs` and its `cmd`
//! modules. This library holds the daemon's serving side, each part in its own module under
//! [`daemon`]:
//!
//! - [`daemon::secret`]: [`daemon::secret::Plaintext`], the only type that holds a user's
//!   prompt or answer; zeroized on drop, redacted in `Debug` and `Display`;
//! - [`daemon::attest`]: attestation *production* (none, simulated) for registrations and
//!   per-job evidence;
//! - [`daemon::register`]: the `RegisterModel` / `RegisterMiner` / `UpdateMiner` the daemon
//!   sends on start, and whether an on-chain registration is stale;
//! - [`daemon::identity`]: the miner key file (an encrypted keystore, created on first run)
//!   and where its password comes from;
//! - [`daemon::prompt`]: what a prompt's plaintext means — one user message or a whole
//!   conversation document (the rule is `specs/prompt.md`, shared with the wallet);
//! - [`daemon::serve`]: one job end to end — open the sealed prompt, run the model through
//!   the [`daemon::serve::Inference`] trait, encrypt the record, seal its key to the user,
//!   sign the receipt — giving the `PostResult` to submit;
//! - [`daemon::backend`]: [`daemon::serve::Inference`] over the engine's loaded models;
//! - [`daemon::queue`]: the bounded worker queue jobs wait in, on `std` threads.
//!
//! What it leaves to others: validity rules (consensus), sealing and record crypto
//! (`infernet-crypto`), the shared `info`/`aad` ([`infernet_types::sealing`]), the model
//! itself (`infernet-engine`), and the node (block production, mempool, RPC).

pub mod daemon;
