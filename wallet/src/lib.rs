//! infernet-wallet: keys, prompts, records, market and explorer over JSON-RPC.
//!
//! (Filled in by a later issue.)
