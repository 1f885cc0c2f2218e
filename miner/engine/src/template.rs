//! (template: being written.)
