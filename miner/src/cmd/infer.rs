//! `infer`: one prompt through the engine, streamed to stdout or printed as one JSON
//! object.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use clap::Args;
use infernet_engine::generate::GenerationParams;
use infernet_engine::model::Backend;
use infernet_engine::sampler::SamplingParams;

use super::{load_engine_on, set_threads};

/// Parses `--backend` (`cpu`, `wgpu`, `cuda`).
pub(super) fn parse_backend(s: &str) -> Result<Backend, String> {
    s.parse::<Backend>().map_err(|e| e.to_string())
}

/// Arguments of `infer`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["prompt", "chat"])))]
pub struct InferArgs {
    /// The GGUF model file (default: the cached reference model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Raw prompt text, tokenized as is.
    #[arg(long)]
    prompt: Option<String>,
    /// One user message, rendered through the model's chat template.
    #[arg(long)]
    chat: Option<String>,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature; 0 is greedy decoding.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// Nucleus sampling mass (1 disables it).
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// Keep only the K most likely tokens (0 disables it).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Seed of the sampler's random stream.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop when the text contains this string (repeatable).
    #[arg(long = "stop")]
    stop: Vec<String>,
    /// Compute threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Compute backend: cpu (default), wgpu or cuda (the last two need a build with
    /// the `wgpu` / `cuda` feature).
    #[arg(long, default_value = "cpu", value_parser = parse_backend)]
    backend: Backend,
    /// Print one JSON object instead of streaming text.
    #[arg(long)]
    json: bool,
}

/// Runs `infer`.
pub fn run(args: InferArgs) -> anyhow::Result<()> {
    set_threads(args.threads)?;
    let path = args
        .model
        .clone()
        .unwrap_or_else(infernet_engine::default_model_path);
    let engine = load_engine_on(&path, args.backend)?;
    let prompt_tokens = match (&args.prompt, &args.chat) {
        (_, Some(chat)) => engine
            .encode_chat(chat)
            .context("applying the chat template")?,
        (Some(p), None) => engine.encode_prompt(p),
        (None, None) => anyhow::bail!("give --prompt TEXT or --chat TEXT"),
    };
    let params = GenerationParams {
        max_tokens: args.max_tokens,
        sampling: SamplingParams {
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            seed: args.seed,
        },
        stop_strings: args.stop.clone(),
        stop_at_eog: true,
    };
    let cancel = AtomicBool::new(false);
    let stdout = std::io::stdout();
    let json = args.json;
    let out = engine.generate(
        &prompt_tokens,
        &params,
        |_, text| {
            if !json && !text.is_empty() {
                let mut lock = stdout.lock();
                if lock
                    .write_all(text.as_bytes())
                    .and_then(|()| lock.flush())
                    .is_err()
                {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
        &cancel,
    )?;
    if json {
        let obj = serde_json::json!({
            "model_id": engine.model_id_hex(),
            "prompt_tokens": prompt_tokens,
            "tokens": out.tokens,
            "text": out.text,
            "finish_reason": out.finish_reason.as_str(),
            "prefill_tokens_per_s": out.prefill_tokens_per_s(),
            "decode_tokens_per_s": out.decode_tokens_per_s(),
        });
        println!("{obj}");
    } else {
        println!();
        eprintln!(
            "[{} prompt tokens, {} generated, {}; prefill {:.1} tok/s, decode {:.1} tok/s]",
            out.prompt_tokens,
            out.tokens.len(),
            out.finish_reason.as_str(),
            out.prefill_tokens_per_s(),
            out.decode_tokens_per_s()
        );
    }
    Ok(())
}
