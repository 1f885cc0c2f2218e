#![allow(clippy::unwrap_used, missing_docs)]
//! The wallet talks JSON-RPC only: rocksdb, libp2p and burn must not be in its normal
//! dependency tree.

#[test]
fn no_rocksdb_libp2p_or_burn_in_the_dependency_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-p",
            "infernet-wallet",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("infernet-rpc"), "unexpected tree:\n{tree}");
    assert!(tree.contains("jsonrpsee"), "unexpected tree:\n{tree}");
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        for banned in ["rocksdb", "librocksdb-sys", "libp2p", "burn"] {
            assert!(
                !(name == banned || name.starts_with(&format!("{banned}-"))),
                "{name} is in the wallet's dependency tree:\n{tree}"
            );
        }
    }
}
