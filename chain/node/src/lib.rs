//! Infernet node: wiring, import pipeline, sync driver and block production.
//!
//! (Filled in by a later issue.)
