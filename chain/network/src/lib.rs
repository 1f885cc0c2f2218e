//! Infernet peer-to-peer network on libp2p: gossip, sync and peer scoring.
//!
//! (Filled in by a later issue.)
