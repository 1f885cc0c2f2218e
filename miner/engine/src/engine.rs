//! The engine's high-level API: one loaded model file with its tokenizer and chat
//! template, ready to generate.
//!
//! This is what the miner daemon and the `infernet-miner` CLI call. It owns loading
//! (the file is hashed while it is read: the BLAKE3 model id), prompt encoding (raw
//! text or one chat turn through the model's template) and generation. Nothing here
//! logs or `Debug`-prints prompt or answer text.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::generate::{GenerateError, GenerationOutput, GenerationParams, generate};
use crate::gguf::{GgufError, GgufFile};
use crate::model::{Llama, ModelError, ModelOptions};
use crate::template::{ChatMessage, ChatTemplate, TemplateError};
use crate::tokenizer::{Tokenizer, TokenizerError};

/// Errors of the engine API.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model file could not be opened or parsed.
    #[error("cannot load model file {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        source: GgufError,
    },
    /// The model weights could not be built.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The tokenizer in the file's metadata could not be built.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    /// The chat template could not be compiled or rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `--chat` was used with a model whose file has no chat template.
    #[error("this model file has no chat template (tokenizer.chat_template); use a raw prompt")]
    NoChatTemplate,
    /// Generation failed.
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

/// A loaded model, its tokenizer and its chat template.
pub struct Engine {
    model: Llama,
    tokenizer: Tokenizer,
    template: Option<ChatTemplate>,
    model_id: [u8; 32],
    file_size: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("model_id", &hex32(&self.model_id))
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

fn hex32(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Engine {
    /// Opens and hashes `path` (reporting `(bytes done, total)` to `progress`), then
    /// builds the model, tokenizer and template.
    pub fn load(
        path: &Path,
        options: &ModelOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Self, EngineError> {
        let file = GgufFile::open_hashed(path, progress).map_err(|source| EngineError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_file(&file, options)
    }

    /// Builds the engine from an already opened file. The model id is the file's
    /// BLAKE3 when it was opened hashed, else all zeros.
    pub fn from_file(file: &GgufFile, options: &ModelOptions) -> Result<Self, EngineError> {
        let tokenizer = Tokenizer::from_gguf(file)?;
        let template = ChatTemplate::from_gguf(file)?;
        let model = Llama::load(file, options)?;
        Ok(Self {
            model,
            tokenizer,
            template,
            model_id: file.model_id().unwrap_or([0; 32]),
            file_size: file.file_size(),
        })
    }

    /// BLAKE3 of the model file (the on-chain model id).
    pub fn model_id(&self) -> [u8; 32] {
        self.model_id
    }

    /// The model id as lowercase hex.
    pub fn model_id_hex(&self) -> String {
        hex32(&self.model_id)
    }

    /// Size of the model file in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The model.
    pub fn model(&self) -> &Llama {
        &self.model
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Whether the file carries a chat template.
    pub fn has_chat_template(&self) -> bool {
        self.template.is_some()
    }

    /// Token ids of a raw prompt (with BOS when the model asks for it).
    pub fn encode_prompt(&self, text: &str) -> Vec<u32> {
        self.tokenizer
            .encode(text, self.tokenizer.add_bos_default())
    }

    /// Token ids of one user turn rendered through the model's chat template with the
    /// generation prompt appended.
    pub fn encode_chat(&self, user_text: &str) -> Result<Vec<u32>, EngineError> {
        let template = self.template.as_ref().ok_or(EngineError::NoChatTemplate)?;
        let rendered = template.render(
            &[ChatMessage {
                role: "user".into(),
                content: user_text.into(),
            }],
            true,
        )?;
        // The template writes BOS itself when the model wants one.
        Ok(self.tokenizer.encode(&rendered, false))
    }

    /// Generates from `prompt_tokens`; see [`generate`](crate::generate::generate).
    pub fn generate(
        &self,
        prompt_tokens: &[u32],
        params: &GenerationParams,
        on_token: impl FnMut(u32, &str) -> ControlFlow<()>,
        cancel: &AtomicBool,
    ) -> Result<GenerationOutput, EngineError> {
        Ok(generate(
            &self.model,
            &self.tokenizer,
            prompt_tokens,
            params,
            on_token,
            cancel,
        )?)
    }
}
