//! infernet-miner: a mining, model-serving Infernet node.
//!
//! (Filled in by a later issue.)
