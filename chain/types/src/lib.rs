//! Infernet protocol types, checked amounts, canonical bounded encoding and the chain spec.
//!
//! (Filled in by a later issue.)
