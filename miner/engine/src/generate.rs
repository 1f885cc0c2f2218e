//! (generate: being written.)
