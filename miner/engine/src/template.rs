//! The model's own chat template (`tokenizer.chat_template`, Jinja), rendered with
//! minijinja the way Hugging Face `transformers` renders it: `trim_blocks` and
//! `lstrip_blocks` on, `messages`, `add_generation_prompt`, `bos_token` and
//! `eos_token` in the context, `raise_exception` and Python string/dict methods
//! (`.strip()`, `.startswith()`, `.items()`, …) available.
//!
//! Rendering produces text; turning it into ids (with special-token parsing) is the
//! tokenizer's job.

use minijinja::{Environment, ErrorKind, Value, context};

use crate::gguf::{GgufError, GgufFile, MetaValue};

/// The metadata key holding the Jinja chat template.
pub const CHAT_TEMPLATE_KEY: &str = "tokenizer.chat_template";

/// Errors from compiling or rendering a chat template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template's metadata could not be read.
    #[error("chat template metadata: {0}")]
    Metadata(#[from] GgufError),
    /// The template does not compile.
    #[error("the model's chat template does not compile: {0}")]
    Compile(String),
    /// Rendering failed (including the template calling `raise_exception`).
    #[error("rendering the chat template failed: {0}")]
    Render(String),
}

/// One chat message.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message text.
    pub content: String,
}

impl ChatMessage {
    /// A message with `role` and `content`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
}

impl std::fmt::Debug for ChatMessage {
    // Message contents are user plaintext: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatMessage")
            .field("role", &self.role)
            .field(
                "content",
                &format_args!("<{} bytes redacted>", self.content.len()),
            )
            .finish()
    }
}

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").finish_non_exhaustive()
    }
}

const TEMPLATE_NAME: &str = "chat";

fn token_text(file: &GgufFile, key: &str) -> Option<String> {
    let md = file.metadata();
    let id = md.get(key).and_then(MetaValue::as_i128)?;
    let id = usize::try_from(id).ok()?;
    match md.get("tokenizer.ggml.tokens")? {
        MetaValue::Array(tokens) => match tokens.get(id)? {
            MetaValue::String(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

impl ChatTemplate {
    /// The template in the file's `tokenizer.chat_template`, or `None` when the file
    /// has none. `bos_token`/`eos_token` are the texts of the file's BOS/EOS tokens.
    pub fn from_gguf(file: &GgufFile) -> Result<Option<Self>, TemplateError> {
        if file.metadata().get(CHAT_TEMPLATE_KEY).is_none() {
            return Ok(None);
        }
        let source = file.metadata().str(CHAT_TEMPLATE_KEY)?;
        let bos = token_text(file, "tokenizer.ggml.bos_token_id").unwrap_or_default();
        let eos = token_text(file, "tokenizer.ggml.eos_token_id").unwrap_or_default();
        Self::new(source, &bos, &eos).map(Some)
    }

    /// Compiles `source` with the given BOS/EOS token texts.
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned(TEMPLATE_NAME, source.to_owned())
            .map_err(|e| TemplateError::Compile(format!("{e:#}")))?;
        Ok(Self {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// Renders `messages`, ending with the assistant's turn opener when
    /// `add_generation_prompt`.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, TemplateError> {
        let tmpl = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| TemplateError::Render(format!("{e:#}")))?;
        tmpl.render(context! {
            messages => Value::from_serialize(messages),
            add_generation_prompt => add_generation_prompt,
            bos_token => self.bos.as_str(),
            eos_token => self.eos.as_str(),
        })
        .map_err(|e| TemplateError::Render(render_message(&e)))
    }
}

/// The error text without the template source dump (which could echo user text).
fn render_message(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

fn raise_exception(msg: String) -> Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
}
