//! The real SmolLM2 file's own chat template, rendered by minijinja, against the
//! text Jinja2 renders and the ids llama.cpp gives for it
//! (`tests/data/template_smollm2.json`, from `miner/scripts/tokenizer_parity.py`).
//! Needs the model file: `infernet-miner model fetch`, or `INFERNET_MODEL_PATH`.
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::GgufFile;
use infernet_engine::template::{ChatMessage, ChatTemplate};
use infernet_engine::tokenizer::Tokenizer;

#[derive(serde::Deserialize)]
struct Message {
    role: String,
    content: String,
}

#[derive(serde::Deserialize)]
struct Chat {
    messages: Vec<Message>,
    add_generation_prompt: bool,
    text: String,
    ids: Vec<u32>,
}

#[test]
fn renders_and_tokenizes_like_jinja2_and_llama_cpp() {
    let path = infernet_engine::default_model_path();
    assert!(
        path.exists(),
        "the reference model {} is missing: run `infernet-miner model fetch` \
         (or set INFERNET_MODEL_PATH to SmolLM2-135M-Instruct.Q4_1.gguf)",
        path.display()
    );
    let file = GgufFile::open(&path).unwrap();
    let template = ChatTemplate::from_gguf(&file).unwrap().unwrap();
    let tok = Tokenizer::from_gguf(&file).unwrap();
    let chats: Vec<Chat> =
        serde_json::from_str(include_str!("data/template_smollm2.json")).unwrap();
    assert!(chats.len() >= 4);
    for chat in &chats {
        let messages: Vec<ChatMessage> = chat
            .messages
            .iter()
            .map(|m| ChatMessage::new(&m.role, &m.content))
            .collect();
        let text = template
            .render(&messages, chat.add_generation_prompt)
            .unwrap();
        assert_eq!(text, chat.text);
        assert_eq!(tok.encode(&text, false), chat.ids, "{text:?}");
    }
    // The chat prompt starts with <|im_start|>system and ends with the
    // assistant opener.
    let first = &chats[0].ids;
    assert_eq!(first[0], 1);
    assert_eq!(&first[first.len() - 4..], &[1, 520, 9531, 198]);
}
