//! Infernet consensus rules: validity checks, the state transition, PoW, difficulty and fork choice.
//!
//! (Filled in by a later issue.)
