//! (model: being written.)
