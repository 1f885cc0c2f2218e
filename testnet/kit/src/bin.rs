//! Where the binaries under test are: `INFERNET_<NAME>_BIN` if set, else next to the test
//! executable or one directory up (integration tests run from `target/<profile>/deps/`).

use std::path::PathBuf;

/// The node binary's name.
pub const NODE: &str = "infernet-node";
/// The miner daemon's binary name.
pub const MINER: &str = "infernet-miner";
/// The wallet CLI's binary name.
pub const WALLET: &str = "infernet-wallet";

/// The override variable of `name`: `infernet-node` → `INFERNET_NODE_BIN`.
pub fn env_var(name: &str) -> String {
    format!(
        "INFERNET_{}_BIN",
        name.trim_start_matches("infernet-").to_ascii_uppercase()
    )
}

/// Finds `name`; on failure, the directories searched.
pub fn find(name: &str) -> Result<PathBuf, Vec<String>> {
    if let Ok(p) = std::env::var(env_var(name)) {
        return Ok(PathBuf::from(p));
    }
    let mut searched = Vec::new();
    let exe = std::env::current_exe().map_err(|e| vec![format!("current exe: {e}")])?;
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(d.display().to_string());
        dir = d.parent();
    }
    Err(searched)
}

/// Finds `name` or fails the test with how to build it.
pub fn path(name: &str) -> PathBuf {
    find(name).unwrap_or_else(|searched| {
        panic!(
            "{name} is missing (searched {}): build it first with `cargo build -p {name}` (same \
             profile and target dir), run `cargo nextest run --workspace`, or set {}",
            searched.join(", "),
            env_var(name)
        )
    })
}
