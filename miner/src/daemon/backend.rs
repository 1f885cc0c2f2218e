//! [`Inference`] over the engine: the models this daemon loaded, keyed by model id.
//!
//! A job's prompt is a [`Conversation`] (one user message, or the messages of a conversation
//! document: `specs/prompt.md`), rendered through the model's own chat template with the
//! assistant's turn opener appended (a model without a template gets the raw text as sealed).
//! For one user message this is exactly what `infernet-miner infer --chat` does, so a job's
//! answer equals `infer`'s for the same model, seed and parameters. Each model sits behind a
//! mutex: one generation per model at a time, which is what a CPU can sustain anyway.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use infernet_engine::engine::Engine;
use infernet_engine::generate::GenerationParams;
use infernet_engine::gguf::GgufFile;
use infernet_engine::template::{ChatMessage, ChatTemplate};
use infernet_types::{ModelId, SamplingParams};
use zeroize::{Zeroize, Zeroizing};

use super::prompt::Conversation;
use super::register::ModelInfo;
use super::secret::Plaintext;
use super::serve::{Completion, Inference, InferenceError, TokenLimits};

/// The engine's sampling parameters for a job's integer ones (thousandths → floats).
#[must_use]
pub fn engine_sampling(s: &SamplingParams) -> infernet_engine::sampler::SamplingParams {
    infernet_engine::sampler::SamplingParams {
        temperature: s.temperature_milli as f32 / 1000.0,
        top_p: s.top_p_milli as f32 / 1000.0,
        top_k: s.top_k as usize,
        seed: s.seed,
    }
}

/// Why a model file's chat template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateLoadError {
    /// The file does not open as GGUF.
    #[error("cannot read the chat template of {path}: {reason}")]
    Open {
        /// The model file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The chat template of the model file at `path` (`None` when it has none): the same one the
/// engine compiles when it loads the file.
pub fn chat_template_of(path: &std::path::Path) -> Result<Option<ChatTemplate>, TemplateLoadError> {
    let err = |reason: String| TemplateLoadError::Open {
        path: path.display().to_string(),
        reason,
    };
    let file = GgufFile::open(path).map_err(|e| err(e.to_string()))?;
    ChatTemplate::from_gguf(&file).map_err(|e| err(e.to_string()))
}

/// The prompt tokens of `conversation` for `engine`: the whole conversation rendered through
/// `template` with the generation prompt, or the raw text without a template.
pub fn encode_conversation(
    engine: &Engine,
    template: Option<&ChatTemplate>,
    conversation: &Conversation,
) -> Result<Zeroizing<Vec<u32>>, InferenceError> {
    let Some(template) = template else {
        return Ok(Zeroizing::new(
            engine.encode_prompt(conversation.text().expose()),
        ));
    };
    let mut messages: Vec<ChatMessage> = conversation
        .turns()
        .iter()
        .map(|t| ChatMessage::new(t.role.as_str(), t.content.expose()))
        .collect();
    let rendered = template.render(&messages, true);
    for m in &mut messages {
        m.content.zeroize();
    }
    let rendered = Zeroizing::new(rendered.map_err(|e| InferenceError::Engine(e.to_string()))?);
    // The template writes BOS itself when the model wants one (as `Engine::encode_chat`).
    Ok(Zeroizing::new(engine.tokenizer().encode(&rendered, false)))
}

struct Loaded {
    info: ModelInfo,
    template: Option<ChatTemplate>,
    engine: Mutex<Engine>,
}

/// The loaded models.
#[derive(Default)]
pub struct EngineSet {
    models: Vec<Loaded>,
}

impl std::fmt::Debug for EngineSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.models.iter().map(|m| &m.info))
            .finish()
    }
}

impl EngineSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a loaded engine under `name` with its file's chat template (see
    /// [`chat_template_of`]); returns what the chain needs to know about it.
    pub fn add(
        &mut self,
        name: String,
        engine: Engine,
        template: Option<ChatTemplate>,
    ) -> ModelInfo {
        let info = ModelInfo {
            id: infernet_crypto::Hash(engine.model_id()),
            name,
            architecture: "llama".to_owned(),
            context_length: u32::try_from(engine.model().config().context_length)
                .unwrap_or(u32::MAX),
        };
        self.models.push(Loaded {
            info: info.clone(),
            template,
            engine: Mutex::new(engine),
        });
        info
    }

    /// The loaded models.
    pub fn infos(&self) -> impl Iterator<Item = &ModelInfo> {
        self.models.iter().map(|m| &m.info)
    }
}

impl Inference for EngineSet {
    fn complete(
        &self,
        model: &ModelId,
        conversation: &Conversation,
        sampling: &SamplingParams,
        limits: TokenLimits,
    ) -> Result<Completion, InferenceError> {
        let loaded = self
            .models
            .iter()
            .find(|m| &m.info.id == model)
            .ok_or(InferenceError::UnknownModel(*model))?;
        let engine = loaded
            .engine
            .lock()
            .map_err(|_| InferenceError::Engine("an earlier generation panicked".into()))?;
        let tokens = encode_conversation(&engine, loaded.template.as_ref(), conversation)?;
        if tokens.len() > limits.max_input as usize {
            return Err(InferenceError::PromptTooLong {
                tokens: tokens.len(),
                max: limits.max_input,
            });
        }
        let params = GenerationParams {
            max_tokens: limits.max_output as usize,
            sampling: engine_sampling(sampling),
            stop_strings: Vec::new(),
            stop_at_eog: true,
        };
        let cancel = AtomicBool::new(false);
        let mut out = engine
            .generate(&tokens, &params, |_, _| ControlFlow::Continue(()), &cancel)
            .map_err(|e| InferenceError::Engine(e.to_string()))?;
        let answer = Plaintext::new(std::mem::take(&mut out.text));
        let output_tokens = out.tokens.len();
        out.tokens.zeroize();
        Ok(Completion {
            answer,
            input_tokens: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
            output_tokens: u32::try_from(output_tokens).unwrap_or(u32::MAX),
        })
    }
}
