//! [`Inference`] over the engine: the models this daemon loaded, keyed by model id.
//!
//! A job's prompt is one user message, rendered through the model's own chat template (a
//! model without one gets the raw text), exactly as `infernet-miner infer --chat` does, so a
//! job's answer equals `infer`'s for the same model, seed and parameters. Each model sits
//! behind a mutex: one generation per model at a time, which is what a CPU can sustain anyway.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use infernet_engine::engine::Engine;
use infernet_engine::generate::GenerationParams;
use infernet_types::{ModelId, SamplingParams};

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

struct Loaded {
    info: ModelInfo,
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

    /// Adds a loaded engine under `name`; returns what the chain needs to know about it.
    pub fn add(&mut self, name: String, engine: Engine) -> ModelInfo {
        let info = ModelInfo {
            id: infernet_crypto::Hash(engine.model_id()),
            name,
            architecture: "llama".to_owned(),
            context_length: u32::try_from(engine.model().config().context_length)
                .unwrap_or(u32::MAX),
        };
        self.models.push(Loaded {
            info: info.clone(),
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
        prompt: &Plaintext,
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
        let tokens = if engine.has_chat_template() {
            engine
                .encode_chat(prompt.expose())
                .map_err(|e| InferenceError::Engine(e.to_string()))?
        } else {
            engine.encode_prompt(prompt.expose())
        };
        let tokens = zeroize::Zeroizing::new(tokens);
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
        zeroize::Zeroize::zeroize(&mut out.tokens);
        Ok(Completion {
            answer,
            input_tokens: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
            output_tokens: u32::try_from(output_tokens).unwrap_or(u32::MAX),
        })
    }
}
