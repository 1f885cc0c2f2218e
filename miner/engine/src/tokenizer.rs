//! (tokenizer: being written.)
