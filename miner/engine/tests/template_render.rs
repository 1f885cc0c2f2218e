//! Chat templates rendered with minijinja as transformers renders them: the tiny
//! model's ChatML template, SmolLM2's own template (literal copy), BOS/EOS
//! variables, Python string methods, `raise_exception`, and the file lookup.
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::tiny::{TinyConfig, tiny_llama_bytes};
use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgufFile, MetaValue};
use infernet_engine::template::{ChatMessage, ChatTemplate, TemplateError};

/// SmolLM2-135M-Instruct's `tokenizer.chat_template`.
const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

#[test]
fn smollm2_template_adds_default_system_prompt() {
    let t = ChatTemplate::new(SMOLLM2, "<|im_start|>", "<|im_end|>").unwrap();
    let user = [ChatMessage::user(
        "Explain what a blockchain is in one sentence.",
    )];
    assert_eq!(
        t.render(&user, true).unwrap(),
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n\
         <|im_start|>user\nExplain what a blockchain is in one sentence.<|im_end|>\n\
         <|im_start|>assistant\n"
    );
    let with_system = [
        ChatMessage::new("system", "Be brief."),
        ChatMessage::user("Hi"),
    ];
    assert_eq!(
        t.render(&with_system, false).unwrap(),
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
    );
}

#[test]
fn trim_and_lstrip_blocks_like_transformers() {
    let src = "{% for m in messages %}\n    {% if m.role == 'user' %}\nU:{{ m.content }}\n    {% endif %}\n{% endfor %}";
    let t = ChatTemplate::new(src, "", "").unwrap();
    assert_eq!(t.render(&[ChatMessage::user("x")], false).unwrap(), "U:x\n");
}

#[test]
fn bos_eos_python_methods_and_raise_exception() {
    let src = "{{ bos_token }}{% for m in messages %}{% if m['role'] not in ['user', 'assistant'] %}{{ raise_exception('bad role: ' + m['role']) }}{% endif %}[{{ m['content'].strip().upper() }}]{% if m['content'].startswith(' ') %}*{% endif %}{% endfor %}{{ eos_token }}";
    let t = ChatTemplate::new(src, "<s>", "</s>").unwrap();
    assert_eq!(
        t.render(&[ChatMessage::user("  hi ")], false).unwrap(),
        "<s>[HI]*</s>"
    );
    let err = t
        .render(&[ChatMessage::new("tool", "x")], false)
        .unwrap_err();
    assert!(
        matches!(err, TemplateError::Render(ref m) if m.contains("bad role: tool")),
        "{err}"
    );
}

#[test]
fn compile_errors_are_reported() {
    assert!(matches!(
        ChatTemplate::new("{% for %}", "", ""),
        Err(TemplateError::Compile(_))
    ));
}

#[test]
fn from_gguf_reads_template_and_special_texts() {
    let file = GgufFile::from_bytes(tiny_llama_bytes(&TinyConfig::default(), 3).unwrap()).unwrap();
    let t = ChatTemplate::from_gguf(&file).unwrap().unwrap();
    assert_eq!(
        t.render(&[ChatMessage::user("hello")], true).unwrap(),
        "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
    );
    // A file without a template gives None.
    let mut w = GgufWriter::new();
    w.add_metadata("general.architecture", MetaValue::String("llama".into()));
    let bare = GgufFile::from_bytes(w.to_bytes()).unwrap();
    assert!(ChatTemplate::from_gguf(&bare).unwrap().is_none());
}

#[test]
fn debug_redacts_message_content() {
    let m = ChatMessage::user("secret prompt");
    let shown = format!("{m:?}");
    assert!(!shown.contains("secret"), "{shown}");
}

/// TinyLlama-1.1B-Chat's template (Zephyr style): block tags on their own lines,
/// so the output depends on `trim_blocks`/`lstrip_blocks` exactly as in
/// transformers. Expected text produced by Jinja2 with those options.
#[test]
fn tinyllama_template_matches_jinja2() {
    let src = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    let t = ChatTemplate::new(src, "<s>", "</s>").unwrap();
    let msgs = [
        ChatMessage::new("system", "Be kind."),
        ChatMessage::user("Hi"),
    ];
    assert_eq!(
        t.render(&msgs, true).unwrap(),
        "<|system|>\nBe kind.</s>\n<|user|>\nHi</s>\n<|assistant|>\n"
    );
}
