//! (gguf: being written.)
