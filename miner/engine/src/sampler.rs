//! (sampler: being written.)
