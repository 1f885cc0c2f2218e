//! The wallet directory: encrypted key files, their names, and where passwords come from.
//!
//! Layout: `<wallet-dir>/keys/<NAME>.json`, each the crypto crate's [`Keystore`] (Argon2id,
//! mode 0600, never overwritten). One key holds one seed; the seed gives both the ed25519
//! identity (the address) and the X25519 reply key results are sealed to.

use std::path::{Path, PathBuf};

use infernet_crypto::{Address, Identity, KdfParams, Keystore, KeystoreError, Seed, mnemonic};
use zeroize::Zeroizing;

use crate::WalletError;

/// Longest key name accepted.
pub const MAX_KEY_NAME_LEN: usize = 64;

/// The default wallet directory: `ProjectDirs::from("org","infernet","infernet").data_dir()/wallet`.
pub fn default_wallet_dir() -> Result<PathBuf, WalletError> {
    directories::ProjectDirs::from("org", "infernet", "infernet")
        .map(|d| d.data_dir().join("wallet"))
        .ok_or(WalletError::NoDefaultDir)
}

/// Checks that `name` can be a key file name.
pub fn validate_key_name(name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_KEY_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(WalletError::BadKeyName {
            name: name.to_owned(),
        })
    }
}

/// A key file's name and public address (readable without the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// Its file.
    pub path: PathBuf,
}

/// A wallet directory on disk.
#[derive(Debug, Clone)]
pub struct WalletDir {
    root: PathBuf,
    kdf: KdfParams,
}

impl WalletDir {
    /// A wallet rooted at `root` (created on first write), with interactive-strength Argon2id.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WalletDir {
            root: root.into(),
            kdf: KdfParams::INTERACTIVE,
        }
    }

    /// Uses other Argon2id parameters for new keys (tests use cheap ones).
    #[must_use]
    pub fn with_kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// The wallet's root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/keys`.
    #[must_use]
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// The file of key `name`.
    pub fn key_path(&self, name: &str) -> Result<PathBuf, WalletError> {
        validate_key_name(name)?;
        Ok(self.keys_dir().join(format!("{name}.json")))
    }

    /// Stores `seed` as key `name`, encrypted with `password`. Refuses an existing name.
    pub fn store(&self, name: &str, seed: &Seed, password: &str) -> Result<KeyInfo, WalletError> {
        let path = self.key_path(name)?;
        if path.exists() {
            return Err(WalletError::KeyExists {
                name: name.to_owned(),
                path,
            });
        }
        let dir = self.keys_dir();
        std::fs::create_dir_all(&dir).map_err(|source| WalletError::Io {
            action: "cannot create the keys directory",
            path: dir.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| WalletError::Io {
                    action: "cannot restrict the permissions of",
                    path: dir.clone(),
                    source,
                },
            )?;
        }
        let ks = Keystore::encrypt_with_params(seed, password, Some(name), self.kdf)?;
        ks.write(&path)?;
        Ok(KeyInfo {
            name: name.to_owned(),
            address: ks.address(),
            path,
        })
    }

    /// Creates key `name` from a fresh 24-word mnemonic; returns the phrase (show it once).
    pub fn create(
        &self,
        name: &str,
        password: &str,
    ) -> Result<(KeyInfo, Zeroizing<String>), WalletError> {
        let phrase = mnemonic::generate(24)?;
        let seed = mnemonic::to_seed(&phrase, None)?;
        let info = self.store(name, &seed, password)?;
        Ok((info, phrase))
    }

    /// Imports key `name` from a mnemonic phrase.
    pub fn import_mnemonic(
        &self,
        name: &str,
        phrase: &str,
        password: &str,
    ) -> Result<KeyInfo, WalletError> {
        let seed = mnemonic::to_seed(phrase, None)?;
        self.store(name, &seed, password)
    }

    /// Imports dev account `index` (dev chains only: the keys are public).
    pub fn import_dev_account(
        &self,
        name: &str,
        index: u32,
        password: &str,
    ) -> Result<KeyInfo, WalletError> {
        let accounts = infernet_types::dev_accounts();
        let account =
            accounts
                .iter()
                .find(|a| a.index == index)
                .ok_or(WalletError::NoDevAccount {
                    index,
                    max: infernet_types::spec::DEV_ACCOUNT_COUNT.saturating_sub(1),
                })?;
        self.store(name, &account.seed, password)
    }

    /// Reads key `name`'s file (no password needed: the address is public).
    pub fn info(&self, name: &str) -> Result<KeyInfo, WalletError> {
        let path = self.key_path(name)?;
        if !path.exists() {
            return Err(WalletError::NoSuchKey {
                name: name.to_owned(),
                dir: self.keys_dir(),
            });
        }
        let ks = Keystore::read(&path)?;
        Ok(KeyInfo {
            name: name.to_owned(),
            address: ks.address(),
            path,
        })
    }

    /// Every key in the wallet, sorted by name. Files that are not keystores are skipped.
    pub fn list(&self) -> Result<Vec<KeyInfo>, WalletError> {
        let dir = self.keys_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(WalletError::Io {
                    action: "cannot list",
                    path: dir,
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if validate_key_name(name).is_err() {
                continue;
            }
            if let Ok(ks) = Keystore::read(&path) {
                out.push(KeyInfo {
                    name: name.to_owned(),
                    address: ks.address(),
                    path,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Decrypts key `name` with `password`.
    pub fn unlock(&self, name: &str, password: &str) -> Result<Identity, WalletError> {
        let info = self.info(name)?;
        let ks = Keystore::read(&info.path)?;
        match ks.decrypt(password) {
            Ok(seed) => Ok(Identity::from_seed(&seed)),
            Err(KeystoreError::WrongPassword) => Err(WalletError::WrongPassword {
                name: name.to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// Where a password may come from, in the order they are tried.
#[derive(Debug, Clone, Default)]
pub struct PasswordSources {
    /// `--password-file FILE`: its first line.
    pub file: Option<PathBuf>,
    /// `INFERNET_PASSWORD`.
    pub env: Option<String>,
    /// Whether a hidden terminal prompt is allowed (false under `--no-input`).
    pub interactive: bool,
}

impl PasswordSources {
    /// The password: the file's first line, else the environment, else a hidden prompt
    /// (twice when `confirm`, for a new key); [`WalletError::PasswordRequired`] when none.
    pub fn get(&self, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, WalletError> {
        if let Some(file) = &self.file {
            let text = Zeroizing::new(std::fs::read_to_string(file).map_err(|source| {
                WalletError::PasswordIo {
                    source_name: file.display().to_string(),
                    source,
                }
            })?);
            let line = text.lines().next().unwrap_or("");
            return non_empty(Zeroizing::new(line.to_owned()));
        }
        if let Some(env) = &self.env {
            return non_empty(Zeroizing::new(env.clone()));
        }
        if !self.interactive {
            return Err(WalletError::PasswordRequired);
        }
        let read = |p: &str| {
            rpassword::prompt_password(p)
                .map(Zeroizing::new)
                .map_err(|source| WalletError::PasswordIo {
                    source_name: "the terminal".to_owned(),
                    source,
                })
        };
        let first = read(prompt)?;
        if confirm {
            let second = read("Repeat the password: ")?;
            if *first != *second {
                return Err(WalletError::PasswordMismatch);
            }
        }
        non_empty(first)
    }
}

fn non_empty(p: Zeroizing<String>) -> Result<Zeroizing<String>, WalletError> {
    if p.is_empty() {
        Err(WalletError::EmptyPassword)
    } else {
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet(dir: &tempfile::TempDir) -> WalletDir {
        WalletDir::new(dir.path()).with_kdf(KdfParams::INSECURE_FOR_TESTS)
    }

    #[test]
    fn create_list_show_unlock() {
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(&dir);
        assert!(w.list().unwrap().is_empty());
        let (alice, phrase) = w.create("alice", "pw").unwrap();
        assert_eq!(phrase.split_whitespace().count(), 24);
        let bob = w.import_dev_account("bob", 1, "pw2").unwrap();
        assert_eq!(bob.address, infernet_types::dev_accounts()[1].address);
        let names: Vec<_> = w.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(w.info("alice").unwrap().address, alice.address);
        let id = w.unlock("alice", "pw").unwrap();
        assert_eq!(id.address(), alice.address);
        // The phrase re-imports to the same address.
        let again = w.import_mnemonic("alice2", &phrase, "x").unwrap();
        assert_eq!(again.address, alice.address);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&alice.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn errors_a_person_can_act_on() {
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(&dir);
        w.import_dev_account("a", 0, "pw").unwrap();
        assert!(matches!(
            w.unlock("a", "nope"),
            Err(WalletError::WrongPassword { .. })
        ));
        assert!(matches!(
            w.import_dev_account("a", 2, "pw"),
            Err(WalletError::KeyExists { .. })
        ));
        assert!(matches!(
            w.info("ghost"),
            Err(WalletError::NoSuchKey { .. })
        ));
        assert!(matches!(
            w.import_dev_account("z", 99, "pw"),
            Err(WalletError::NoDevAccount { index: 99, max: 9 })
        ));
        for bad in ["", "../x", ".hidden", "a/b", &"n".repeat(65)] {
            assert!(
                matches!(w.key_path(bad), Err(WalletError::BadKeyName { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            w.import_mnemonic("m", "not a phrase", "pw"),
            Err(WalletError::Mnemonic(_))
        ));
    }

    #[test]
    fn password_sources_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\nignored\n").unwrap();
        let all = PasswordSources {
            file: Some(file),
            env: Some("from-env".into()),
            interactive: false,
        };
        assert_eq!(all.get("p", false).unwrap().as_str(), "from-file");
        let env = PasswordSources {
            file: None,
            env: Some("from-env".into()),
            interactive: false,
        };
        assert_eq!(env.get("p", false).unwrap().as_str(), "from-env");
        let none = PasswordSources::default();
        assert!(matches!(
            none.get("p", false),
            Err(WalletError::PasswordRequired)
        ));
        let empty = PasswordSources {
            env: Some(String::new()),
            ..PasswordSources::default()
        };
        assert!(matches!(
            empty.get("p", false),
            Err(WalletError::EmptyPassword)
        ));
    }
}
