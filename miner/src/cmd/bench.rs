//! `bench`: prefill speed on a ~200-token prompt, decode speed over 128 tokens after
//! it, and the process's peak resident memory.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::Args;
use infernet_engine::generate::GenerationParams;
use infernet_engine::model::Backend;

use super::infer::parse_backend;
use super::{load_engine_on, set_threads};

/// Text the benchmark prompt is cut from (repeated as needed).
const BENCH_TEXT: &str = "The history of computing is a story of people who wanted to calculate faster \
and more reliably than they could by hand. Early mechanical calculators, such as the ones built by \
Pascal and Leibniz, could add and multiply. In the nineteenth century, Charles Babbage designed the \
Analytical Engine, a general-purpose machine programmed with punched cards, and Ada Lovelace wrote \
what many consider the first program for it. The twentieth century brought electronic computers: \
machines with vacuum tubes, then transistors, then integrated circuits that put millions and later \
billions of switches on a single chip. Software grew alongside the hardware, from machine code to \
assembly languages, compilers, operating systems and networks that connect computers across the \
world. Today, language models run on these machines and answer questions in plain words. ";

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The GGUF model file (default: the cached reference model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Compute threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Prompt length in tokens.
    #[arg(long, default_value_t = 200)]
    prompt_tokens: usize,
    /// Tokens to decode after the prompt.
    #[arg(long, default_value_t = 128)]
    decode_tokens: usize,
    /// Compute backend: cpu (default), wgpu or cuda.
    #[arg(long, default_value = "cpu", value_parser = parse_backend)]
    backend: Backend,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Peak resident set size of this process (Linux `VmHWM`), in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs `bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let threads = set_threads(args.threads)?;
    let path = args
        .model
        .clone()
        .unwrap_or_else(infernet_engine::default_model_path);
    let engine = load_engine_on(&path, args.backend)?;
    let mut prompt = Vec::new();
    while prompt.len() < args.prompt_tokens {
        prompt.extend(engine.encode_prompt(BENCH_TEXT));
    }
    prompt.truncate(args.prompt_tokens.max(1));
    let cancel = AtomicBool::new(false);
    // Warm-up: touches the weights and the allocator once.
    let warm = GenerationParams {
        max_tokens: 2,
        stop_at_eog: false,
        ..GenerationParams::default()
    };
    engine.generate(
        &prompt[..prompt.len().min(8)],
        &warm,
        |_, _| ControlFlow::Continue(()),
        &cancel,
    )?;
    let params = GenerationParams {
        // One more token than decode steps: the first comes from the prefill's logits.
        max_tokens: args.decode_tokens + 1,
        stop_at_eog: false,
        ..GenerationParams::default()
    };
    let out = engine.generate(&prompt, &params, |_, _| ControlFlow::Continue(()), &cancel)?;
    let peak = peak_rss_bytes();
    if args.json {
        let obj = serde_json::json!({
            "prefill_tokens_per_s": out.prefill_tokens_per_s(),
            "decode_tokens_per_s": out.decode_tokens_per_s(),
            "peak_rss_bytes": peak,
            "threads": threads,
            "backend": args.backend.name(),
            "prompt_tokens": out.prompt_tokens,
            "decode_tokens": out.decode_steps,
        });
        println!("{obj}");
    } else {
        println!("model:    {}", path.display());
        println!("threads:  {threads}");
        println!("backend:  {}", args.backend.name());
        println!(
            "prefill:  {:.1} tokens/s ({} tokens)",
            out.prefill_tokens_per_s(),
            out.prompt_tokens
        );
        println!(
            "decode:   {:.1} tokens/s ({} tokens)",
            out.decode_tokens_per_s(),
            out.decode_steps
        );
        match peak {
            Some(b) => println!("peak RSS: {:.1} MiB", b as f64 / (1024.0 * 1024.0)),
            None => println!("peak RSS: unknown"),
        }
    }
    Ok(())
}
