//! Infernet mempool: pending transactions, ordering, limits and eviction.
//!
//! (Filled in by a later issue.)
