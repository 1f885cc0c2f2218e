//! Local multi-node Infernet networks and multi-process scenario tests.
//!
//! (Filled in by a later issue.)
