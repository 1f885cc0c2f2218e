//! The one runner of the `infernet-wallet` CLI in tests: its own wallet dir and password
//! file, one node's RPC URL, stdin closed, the `INFERNET_*` environment cleared so the
//! developer's settings never leak in; arguments in, output or JSON out, and a failure that
//! shows the wallet's stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use infernet_crypto::Address;
use serde_json::Value;

use crate::{address, bin};

/// The password [`Wallet::new`] writes to the password file (without the newline).
pub const PASSWORD: &str = "wallet password";
const PASSWORD_LINE: &str = "wallet password\n";

/// The wallet CLI against one node, with its keys under `<dir>/wallet` and its password in
/// `<dir>/wallet.pw`. Cheap to clone (to run it off an async runtime).
#[derive(Debug, Clone)]
pub struct Wallet {
    /// The directory holding the wallet dir and the password file.
    pub dir: PathBuf,
    /// The node's RPC URL (`--rpc`).
    pub rpc: String,
    bin: PathBuf,
    /// The temp dir `dir` is, when the wallet made it ([`Wallet::temp`]); removed with the
    /// last clone.
    _temp: Option<Arc<tempfile::TempDir>>,
}

impl Wallet {
    /// A wallet under `dir` talking to `rpc`; writes its password file.
    pub fn new(dir: &Path, rpc: impl Into<String>) -> Self {
        let w = Wallet {
            dir: dir.to_owned(),
            rpc: rpc.into(),
            bin: bin::path(bin::WALLET),
            _temp: None,
        };
        std::fs::write(w.password_file(), PASSWORD_LINE).unwrap();
        w
    }

    /// A wallet on a fresh temp dir of its own (removed when the wallet is dropped).
    pub fn temp(rpc: impl Into<String>) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut w = Wallet::new(temp.path(), rpc);
        w._temp = Some(Arc::new(temp));
        w
    }

    /// The wallet's key directory (`--wallet-dir`).
    pub fn wallet_dir(&self) -> PathBuf {
        self.dir.join("wallet")
    }

    /// The password file (`--password-file`); a test may overwrite it.
    pub fn password_file(&self) -> PathBuf {
        self.dir.join("wallet.pw")
    }

    /// `infernet-wallet --rpc … --wallet-dir … --password-file … --no-input [--key KEY]
    /// ARGS`, stdin closed, output piped, without `--json`.
    pub fn plain(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--rpc")
            .arg(&self.rpc)
            .arg("--wallet-dir")
            .arg(self.wallet_dir())
            .arg("--password-file")
            .arg(self.password_file())
            .arg("--no-input");
        if let Some(k) = key {
            c.args(["--key", k]);
        }
        c.args(args)
            .env_remove("INFERNET_RPC")
            .env_remove("INFERNET_WALLET_DIR")
            .env_remove("INFERNET_KEY")
            .env_remove("INFERNET_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Like [`Wallet::plain`], with `--json`.
    pub fn cmd(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.plain(key, &all)
    }

    /// Runs a `--json` command and returns its output, whatever the status.
    pub fn output(&self, key: Option<&str>, args: &[&str]) -> Output {
        self.cmd(key, args).output().unwrap()
    }

    /// Runs a `--json` command that must succeed; returns its JSON.
    pub fn json(&self, key: Option<&str>, args: &[&str]) -> Value {
        json_ok(&self.output(key, args))
    }

    /// Runs a command without `--json` or key and returns its output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.plain(None, args).output().unwrap()
    }

    /// Runs a command (without `--json`) that must fail; returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} unexpectedly succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `key import NAME --dev-account N`; returns the address.
    pub fn import_dev(&self, name: &str, n: u32) -> Address {
        let v = self.json(
            None,
            &["key", "import", name, "--dev-account", &n.to_string()],
        );
        address(&v["address"])
    }

    /// `key new NAME`; returns the address.
    pub fn new_key(&self, name: &str) -> Address {
        let v = self.json(None, &["key", "new", name]);
        assert!(
            v["mnemonic"].as_str().unwrap().split_whitespace().count() >= 12,
            "{v}"
        );
        address(&v["address"])
    }
}

/// The JSON a successful wallet command printed; fails the test with its stderr otherwise.
pub fn json_ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "wallet failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "wallet printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
