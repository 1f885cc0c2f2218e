//! Fuzzes the GGUF reader: any byte string must parse or fail with an error, and a
//! file that parses must let every tensor, the tokenizer and the chat template be
//! read (or refused) without panicking.
//!
//! Run: `cd miner/engine/fuzz && cargo +nightly fuzz run gguf_open`
#![no_main]

use infernet_engine::gguf::GgufFile;
use infernet_engine::template::ChatTemplate;
use infernet_engine::tokenizer::Tokenizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = GgufFile::from_bytes(data.to_vec()) else {
        return;
    };
    for info in file.tensors() {
        if let Ok(view) = file.tensor(&info.name) {
            // Bounded: the data slice is at most the input's size.
            if view.data.len() <= 1 << 16 {
                let _ = view.to_f32();
            }
        }
    }
    if let Ok(tok) = Tokenizer::from_gguf(&file) {
        let ids = tok.encode("Hello <|im_start|> wörld 123", true);
        let _ = tok.decode(&ids);
    }
    let _ = ChatTemplate::from_gguf(&file);
});
