//! Infernet JSON-RPC API: methods, types, server and typed client.
//!
//! (Filled in by a later issue.)
