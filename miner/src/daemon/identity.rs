//! The miner key: an encrypted keystore file (`infernet_crypto::keystore`), created on first
//! run, and where its password comes from.
//!
//! Password sources, in order: `--password-file FILE`, the `INFERNET_PASSWORD` environment
//! variable, and — only in `--dev` mode — a generated password kept in `<key file>.password`
//! (mode 0600, created with the key). The dev convenience keeps the key encrypted at rest like
//! any other; it only spares typing a password on a throwaway chain, and the daemon prints
//! where the password file is. Outside dev mode a missing password is an error.

use std::io::Write;
use std::path::{Path, PathBuf};

use infernet_crypto::{Address, Identity, KdfParams, Keystore, KeystoreError, Seed};
use zeroize::Zeroizing;

/// Why the miner key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No password source was given.
    #[error(
        "the miner key {path} needs a password: give --password-file FILE or set INFERNET_PASSWORD"
    )]
    NoPassword {
        /// The key file.
        path: String,
    },
    /// A password file could not be read or written.
    #[error("password file {path}: {source}")]
    PasswordFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A password file is empty.
    #[error("password file {path} is empty")]
    EmptyPassword {
        /// The file.
        path: String,
    },
    /// The key's directory could not be created.
    #[error("cannot create the directory of the miner key {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The keystore failed (wrong password, damaged file, I/O).
    #[error("miner key {path}: {source}")]
    Keystore {
        /// The key file.
        path: String,
        /// Why.
        source: KeystoreError,
    },
    /// The system random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
}

/// Where the password comes from.
#[derive(Clone)]
pub enum PasswordSource {
    /// A file whose first line is the password.
    File(PathBuf),
    /// The password itself (from `INFERNET_PASSWORD`).
    Value(Zeroizing<String>),
    /// Dev mode: a generated password stored in this file (mode 0600), created if absent.
    DevGenerated(PathBuf),
}

impl std::fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordSource::File(p) => write!(f, "File({})", p.display()),
            PasswordSource::Value(_) => f.write_str("Value(<redacted>)"),
            PasswordSource::DevGenerated(p) => write!(f, "DevGenerated({})", p.display()),
        }
    }
}

impl PasswordSource {
    /// Picks the source from the flags: `--password-file`, then `INFERNET_PASSWORD`, then (in
    /// dev mode only) `<key>.password`.
    pub fn choose(
        key: &Path,
        file: Option<PathBuf>,
        env: Option<String>,
        dev: bool,
    ) -> Result<Self, IdentityError> {
        if let Some(f) = file {
            return Ok(PasswordSource::File(f));
        }
        if let Some(v) = env.filter(|v| !v.is_empty()) {
            return Ok(PasswordSource::Value(Zeroizing::new(v)));
        }
        if dev {
            return Ok(PasswordSource::DevGenerated(dev_password_path(key)));
        }
        Err(IdentityError::NoPassword {
            path: key.display().to_string(),
        })
    }

    /// The password.
    pub fn password(&self) -> Result<Zeroizing<String>, IdentityError> {
        match self {
            PasswordSource::Value(v) => Ok(v.clone()),
            PasswordSource::File(p) => read_password(p),
            PasswordSource::DevGenerated(p) => {
                if p.exists() {
                    read_password(p)
                } else {
                    create_password(p)
                }
            }
        }
    }
}

/// `<key>.password`: where dev mode keeps the generated password.
#[must_use]
pub fn dev_password_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".password");
    PathBuf::from(name)
}

fn read_password(path: &Path) -> Result<Zeroizing<String>, IdentityError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
        IdentityError::PasswordFile {
            path: path.display().to_string(),
            source,
        }
    })?);
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(IdentityError::EmptyPassword {
            path: path.display().to_string(),
        });
    }
    Ok(Zeroizing::new(line.to_owned()))
}

fn create_password(path: &Path) -> Result<Zeroizing<String>, IdentityError> {
    let mut raw = Zeroizing::new([0u8; 24]);
    getrandom::fill(raw.as_mut()).map_err(|e| IdentityError::Random(e.to_string()))?;
    let password = Zeroizing::new(hex::encode(raw.as_ref()));
    let io = |source| IdentityError::PasswordFile {
        path: path.display().to_string(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(password.as_bytes()).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(password)
}

/// The miner's loaded key.
pub struct MinerKey {
    /// The identity (signs transactions and receipts; its reply secret is the serving key).
    pub identity: Identity,
    /// Whether the file was created by this call.
    pub created: bool,
    /// The key file.
    pub path: PathBuf,
}

impl std::fmt::Debug for MinerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerKey")
            .field("address", &self.address())
            .field("created", &self.created)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl MinerKey {
    /// Opens `path` with the password from `source`, or creates a new key there (encrypted
    /// with `params`) when the file does not exist.
    pub fn load_or_create(
        path: &Path,
        source: &PasswordSource,
        params: KdfParams,
    ) -> Result<Self, IdentityError> {
        let ks_err = |source| IdentityError::Keystore {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            let password = source.password()?;
            let seed = Keystore::read(path)
                .and_then(|ks| ks.decrypt(&password))
                .map_err(ks_err)?;
            return Ok(MinerKey {
                identity: Identity::from_seed(&seed),
                created: false,
                path: path.to_owned(),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| IdentityError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let password = source.password()?;
        let seed = Seed::try_generate().map_err(|e| IdentityError::Random(e.to_string()))?;
        Keystore::encrypt_with_params(&seed, &password, Some("miner"), params)
            .and_then(|ks| ks.write(path))
            .map_err(ks_err)?;
        Ok(MinerKey {
            identity: Identity::from_seed(&seed),
            created: true,
            path: path.to_owned(),
        })
    }

    /// The miner's address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.identity.address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_is_encrypted_and_reopens_with_its_generated_password() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys/miner.json");
        let src = PasswordSource::choose(&key, None, None, true).unwrap();
        let first = MinerKey::load_or_create(&key, &src, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert!(first.created);
        let pw_file = dev_password_path(&key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&pw_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The key file does not hold the seed in clear.
        let file = std::fs::read_to_string(&key).unwrap();
        assert!(!file.contains(&hex::encode(first.identity.seed().as_bytes())));
        let again = MinerKey::load_or_create(&key, &src, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert!(!again.created);
        assert_eq!(again.address(), first.address());
    }

    #[test]
    fn wrong_password_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("miner.json");
        let good = PasswordSource::Value(Zeroizing::new("right".into()));
        MinerKey::load_or_create(&key, &good, KdfParams::INSECURE_FOR_TESTS).unwrap();
        let bad = PasswordSource::Value(Zeroizing::new("wrong".into()));
        let err = MinerKey::load_or_create(&key, &bad, KdfParams::INSECURE_FOR_TESTS).unwrap_err();
        assert!(matches!(err, IdentityError::Keystore { .. }), "{err}");
    }

    #[test]
    fn no_password_outside_dev_mode_is_an_error() {
        let err = PasswordSource::choose(Path::new("k.json"), None, None, false).unwrap_err();
        assert!(err.to_string().contains("--password-file"));
        let file =
            PasswordSource::choose(Path::new("k"), Some("pw".into()), Some("x".into()), true);
        assert!(matches!(file.unwrap(), PasswordSource::File(_)));
    }
}
