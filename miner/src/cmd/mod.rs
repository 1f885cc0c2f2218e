//! One module per subcommand, plus the helpers they share (progress bars, thread
//! pool, engine loading).

pub mod bench;
pub mod infer;
pub mod model;

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use infernet_engine::engine::Engine;
use infernet_engine::model::{Backend, ModelOptions};

/// A byte progress bar on stderr (hidden when stderr is not a terminal).
pub fn byte_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// Limits rayon's global pool (all compute threads of the CPU backend and of the
/// quantized kernels) to `threads`; `None` keeps one per core.
pub fn set_threads(threads: Option<usize>) -> anyhow::Result<usize> {
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("configuring the compute thread pool")?;
    }
    Ok(rayon::current_num_threads())
}

/// Loads (and hashes) a model with a progress bar, on the CPU.
pub fn load_engine(path: &Path) -> anyhow::Result<Engine> {
    load_engine_on(path, Backend::Cpu)
}

/// Loads (and hashes) a model with a progress bar onto `backend`'s device. The GPU
/// backends exist only in builds with the `wgpu` / `cuda` features.
pub(crate) fn load_engine_on(path: &Path, backend: Backend) -> anyhow::Result<Engine> {
    let size = std::fs::metadata(path)
        .with_context(|| {
            format!(
                "model file {} (run `infernet-miner model fetch`?)",
                path.display()
            )
        })?
        .len();
    let options = ModelOptions {
        device: Some(backend.device()?),
        ..ModelOptions::default()
    };
    let bar = byte_bar(size, "loading");
    let engine = Engine::load(path, &options, &mut |done, _| bar.set_position(done))
        .with_context(|| format!("loading {} on {}", path.display(), backend.name()))?;
    bar.finish_and_clear();
    Ok(engine)
}
