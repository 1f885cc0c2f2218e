//! Infernet rocksdb storage: atomic block commit, undo data, reorgs and indexes.
//!
//! (Filled in by a later issue.)
