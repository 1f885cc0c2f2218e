//! The encrypted keystore file: a seed encrypted under a password, as versioned JSON.
//!
//! ```json
//! {
//!   "version": 1,
//!   "name": "alice",
//!   "address": "inf1…",
//!   "kdf": { "algorithm": "argon2id", "version": 19, "memory_kib": 65536,
//!            "iterations": 3, "parallelism": 1, "salt": "<16 bytes hex>" },
//!   "cipher": { "algorithm": "xchacha20-poly1305", "nonce": "<24 bytes hex>",
//!               "ciphertext": "<48 bytes hex: encrypted seed and tag>" },
//!   "checksum": "<32 bytes hex>"
//! }
//! ```
//!
//! The key is Argon2id(password, salt) with the stated parameters; the AEAD's associated data
//! is the address string, so the clear address cannot be swapped. The checksum
//! (`hash(KEYSTORE_CHECKSUM, …)`, layout in `specs/crypto.md`) covers everything but `name`:
//! a damaged file is reported as [`KeystoreError::Corrupt`], and an AEAD failure on an intact
//! file as [`KeystoreError::WrongPassword`]. A file from elsewhere is untrusted: its Argon2
//! parameters are bounded ([`KdfParams::validate`]) before Argon2 runs.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::address::Address;
use crate::domain;
use crate::hash::DomainHasher;
use crate::record::{self, RecordKey};
use crate::sign::{Identity, Seed};

/// The only keystore version this crate writes and reads.
pub const KEYSTORE_VERSION: u32 = 1;
/// Largest file [`Keystore::read`] accepts.
pub const MAX_FILE_LEN: u64 = 64 * 1024;
/// Largest Argon2 memory a file may ask for: 1 GiB.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// Most Argon2 passes a file may ask for.
pub const MAX_ITERATIONS: u32 = 16;
/// Most Argon2 lanes a file may ask for.
pub const MAX_PARALLELISM: u32 = 16;
/// Longest `name`.
pub const MAX_NAME_LEN: usize = 128;

const SALT_LEN: usize = 16;
const ARGON2_VERSION: u32 = 0x13;
const KDF_ALGORITHM: &str = "argon2id";
const CIPHER_ALGORITHM: &str = "xchacha20-poly1305";

/// Why a keystore could not be written, read or opened.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The file is intact but the password does not open it.
    #[error("wrong password for this keystore")]
    WrongPassword,
    /// The file is damaged or is not a keystore.
    #[error("keystore file is corrupt: {reason}")]
    Corrupt {
        /// What is wrong with it.
        reason: String,
    },
    /// The file was written by a newer (or unknown) format version.
    #[error(
        "keystore version {found} is not supported (this build reads version {KEYSTORE_VERSION})"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
    },
    /// Argon2 parameters outside the accepted bounds (in a file or given to a constructor).
    #[error("unacceptable Argon2id parameters: {reason}")]
    BadParameters {
        /// Which bound was crossed.
        reason: String,
    },
    /// Reading or writing the file failed.
    #[error("keystore I/O on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The random salt or nonce could not be generated.
    #[error(transparent)]
    Rng(#[from] crate::RngError),
}

fn corrupt(reason: impl Into<String>) -> KeystoreError {
    KeystoreError::Corrupt {
        reason: reason.into(),
    }
}

/// Argon2id cost parameters, as stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Number of lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The parameters [`Keystore::encrypt`] uses: 64 MiB, 3 passes, 1 lane (about a third of a
    /// second on one core).
    pub const INTERACTIVE: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests only (64 KiB, 1 pass): never for real keys.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Checks the bounds a file's parameters must meet before Argon2 runs: 1 to
    /// [`MAX_ITERATIONS`] passes, 1 to [`MAX_PARALLELISM`] lanes, and between 8 KiB per lane and
    /// [`MAX_MEMORY_KIB`] of memory.
    pub fn validate(&self) -> Result<(), KeystoreError> {
        let bad = |reason: String| Err(KeystoreError::BadParameters { reason });
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return bad(format!(
                "iterations {} not in 1..={MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return bad(format!(
                "parallelism {} not in 1..={MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        if self.memory_kib > MAX_MEMORY_KIB {
            return bad(format!(
                "memory {} KiB above the {MAX_MEMORY_KIB} KiB limit",
                self.memory_kib
            ));
        }
        if self.memory_kib < 8 * self.parallelism {
            return bad(format!(
                "memory {} KiB below 8 KiB per lane",
                self.memory_kib
            ));
        }
        Ok(())
    }

    fn derive_key(
        &self,
        password: &[u8],
        salt: &[u8; SALT_LEN],
    ) -> Result<RecordKey, KeystoreError> {
        self.validate()?;
        let bad = |e: argon2::Error| KeystoreError::BadParameters {
            reason: e.to_string(),
        };
        let params =
            argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
                .map_err(bad)?;
        let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; 32]);
        a.hash_password_into(password, salt, &mut key[..])
            .map_err(bad)?;
        Ok(RecordKey::from_bytes(*key))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfJson {
    algorithm: String,
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    #[serde(deserialize_with = "crate::hex_serde::deserialize_array")]
    salt: [u8; SALT_LEN],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CipherJson {
    algorithm: String,
    #[serde(deserialize_with = "crate::hex_serde::deserialize_array")]
    nonce: [u8; record::NONCE_LEN],
    #[serde(deserialize_with = "crate::hex_serde::deserialize_array")]
    ciphertext: [u8; 48],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    version: u32,
    name: Option<String>,
    address: Address,
    kdf: KdfJson,
    cipher: CipherJson,
    #[serde(deserialize_with = "crate::hex_serde::deserialize_array")]
    checksum: [u8; 32],
}

/// An encrypted seed, as held in a keystore file.
pub struct Keystore {
    name: Option<String>,
    address: Address,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; record::NONCE_LEN],
    ciphertext: [u8; 48],
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keystore")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Keystore {
    /// Encrypts `seed` under `password` with [`KdfParams::INTERACTIVE`].
    pub fn encrypt(seed: &Seed, password: &str, name: Option<&str>) -> Result<Self, KeystoreError> {
        Self::encrypt_with_params(seed, password, name, KdfParams::INTERACTIVE)
    }

    /// Encrypts `seed` with explicit Argon2id parameters (tests use
    /// [`KdfParams::INSECURE_FOR_TESTS`]).
    pub fn encrypt_with_params(
        seed: &Seed,
        password: &str,
        name: Option<&str>,
        params: KdfParams,
    ) -> Result<Self, KeystoreError> {
        if let Some(n) = name {
            check_name(n)?;
        }
        let address = Identity::from_seed(seed).address();
        let mut salt = [0u8; SALT_LEN];
        crate::rng::fill(&mut salt)?;
        let mut nonce = [0u8; record::NONCE_LEN];
        crate::rng::fill(&mut nonce)?;
        let key = params.derive_key(password.as_bytes(), &salt)?;
        let ct = record::encrypt_with_nonce(
            &key,
            &nonce,
            address.to_bech32().as_bytes(),
            seed.as_bytes(),
        )
        .map_err(|e| corrupt(e.to_string()))?;
        let ciphertext: [u8; 48] = ct[record::NONCE_LEN..]
            .try_into()
            .map_err(|_| corrupt("unexpected ciphertext length"))?;
        Ok(Keystore {
            name: name.map(str::to_owned),
            address,
            params,
            salt,
            nonce,
            ciphertext,
        })
    }

    /// Decrypts the seed. [`KeystoreError::WrongPassword`] if the password does not open it.
    pub fn decrypt(&self, password: &str) -> Result<Seed, KeystoreError> {
        let key = self.params.derive_key(password.as_bytes(), &self.salt)?;
        let mut data = Vec::with_capacity(record::NONCE_LEN + 48);
        data.extend_from_slice(&self.nonce);
        data.extend_from_slice(&self.ciphertext);
        let plain = record::decrypt(&key, self.address.to_bech32().as_bytes(), &data)
            .map_err(|_| KeystoreError::WrongPassword)?;
        let bytes: [u8; 32] = plain[..]
            .try_into()
            .map_err(|_| corrupt("decrypted seed is not 32 bytes"))?;
        let seed = Seed::from_bytes(bytes);
        if Identity::from_seed(&seed).address() != self.address {
            return Err(corrupt(
                "decrypted seed does not match the address in the file",
            ));
        }
        Ok(seed)
    }

    /// The address in clear.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The optional label.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The Argon2id parameters.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    fn checksum(&self) -> [u8; 32] {
        let mut h = DomainHasher::new(domain::KEYSTORE_CHECKSUM);
        h.update(&KEYSTORE_VERSION.to_le_bytes())
            .update(&self.address.0)
            .update(&self.params.memory_kib.to_le_bytes())
            .update(&self.params.iterations.to_le_bytes())
            .update(&self.params.parallelism.to_le_bytes())
            .update(&self.salt)
            .update(&self.nonce)
            .update(&self.ciphertext);
        h.finalize().0
    }

    /// The file contents (pretty JSON).
    pub fn to_json(&self) -> String {
        let file = serde_json::json!({
            "version": KEYSTORE_VERSION,
            "name": self.name,
            "address": self.address.to_bech32(),
            "kdf": {
                "algorithm": KDF_ALGORITHM,
                "version": ARGON2_VERSION,
                "memory_kib": self.params.memory_kib,
                "iterations": self.params.iterations,
                "parallelism": self.params.parallelism,
                "salt": hex::encode(self.salt),
            },
            "cipher": {
                "algorithm": CIPHER_ALGORITHM,
                "nonce": hex::encode(self.nonce),
                "ciphertext": hex::encode(self.ciphertext),
            },
            "checksum": hex::encode(self.checksum()),
        });
        format!("{file:#}")
    }

    /// Parses file contents, checking version, algorithms, parameter bounds and checksum.
    pub fn from_json(text: &str) -> Result<Self, KeystoreError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| corrupt(format!("not JSON: {e}")))?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| corrupt("no numeric \"version\" field"))?;
        if version != u64::from(KEYSTORE_VERSION) {
            return Err(KeystoreError::UnsupportedVersion { found: version });
        }
        let file: FileJson =
            serde_json::from_value(value).map_err(|e| corrupt(format!("bad field: {e}")))?;
        if file.version != KEYSTORE_VERSION {
            return Err(KeystoreError::UnsupportedVersion {
                found: u64::from(file.version),
            });
        }
        if file.kdf.algorithm != KDF_ALGORITHM || file.kdf.version != ARGON2_VERSION {
            return Err(corrupt(format!(
                "kdf {} version {} (expected {KDF_ALGORITHM} version {ARGON2_VERSION})",
                file.kdf.algorithm, file.kdf.version
            )));
        }
        if file.cipher.algorithm != CIPHER_ALGORITHM {
            return Err(corrupt(format!(
                "cipher {} (expected {CIPHER_ALGORITHM})",
                file.cipher.algorithm
            )));
        }
        if let Some(n) = &file.name {
            check_name(n).map_err(|_| corrupt("name too long"))?;
        }
        let params = KdfParams {
            memory_kib: file.kdf.memory_kib,
            iterations: file.kdf.iterations,
            parallelism: file.kdf.parallelism,
        };
        params.validate()?;
        let ks = Keystore {
            name: file.name,
            address: file.address,
            params,
            salt: file.kdf.salt,
            nonce: file.cipher.nonce,
            ciphertext: file.cipher.ciphertext,
        };
        if ks.checksum() != file.checksum {
            return Err(corrupt("checksum mismatch: the file was damaged or edited"));
        }
        Ok(ks)
    }

    /// Writes a new file at `path` with mode 0600 (owner read/write only). Refuses to overwrite
    /// an existing file, so a key is never lost by accident.
    pub fn write(&self, path: &Path) -> Result<(), KeystoreError> {
        let io = |source| KeystoreError::Io {
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
        f.write_all(self.to_json().as_bytes()).map_err(io)?;
        f.write_all(b"\n").map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Reads and checks a keystore file (at most [`MAX_FILE_LEN`] bytes).
    pub fn read(path: &Path) -> Result<Self, KeystoreError> {
        let io = |source| KeystoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let f = File::open(path).map_err(io)?;
        let mut text = String::new();
        f.take(MAX_FILE_LEN + 1)
            .read_to_string(&mut text)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidData => corrupt("not UTF-8 text"),
                _ => io(e),
            })?;
        if text.len() as u64 > MAX_FILE_LEN {
            return Err(corrupt(format!("larger than {MAX_FILE_LEN} bytes")));
        }
        Self::from_json(&text)
    }
}

fn check_name(name: &str) -> Result<(), KeystoreError> {
    if name.len() > MAX_NAME_LEN {
        return Err(KeystoreError::BadParameters {
            reason: format!("name longer than {MAX_NAME_LEN} bytes"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Seed, Keystore) {
        let seed = Seed::from_bytes([42; 32]);
        let ks = Keystore::encrypt_with_params(
            &seed,
            "pw",
            Some("alice"),
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        (seed, ks)
    }

    #[test]
    fn roundtrip_through_file_with_mode_0600() {
        let (seed, ks) = sample();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        ks.write(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(ks.write(&path), Err(KeystoreError::Io { .. })));
        let back = Keystore::read(&path).unwrap();
        assert_eq!(back.address(), Identity::from_seed(&seed).address());
        assert_eq!(back.name(), Some("alice"));
        assert_eq!(back.decrypt("pw").unwrap().as_bytes(), seed.as_bytes());
        assert!(matches!(
            back.decrypt("pW"),
            Err(KeystoreError::WrongPassword)
        ));
    }

    #[test]
    fn corrupt_version_and_bounds_are_distinct() {
        let (_, ks) = sample();
        let json = ks.to_json();
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        // One flipped ciphertext byte: the checksum catches it.
        let ct = v["cipher"]["ciphertext"].as_str().unwrap().to_owned();
        let flipped = format!("{}{}", if &ct[..1] == "0" { "1" } else { "0" }, &ct[1..]);
        let mut w = v.clone();
        w["cipher"]["ciphertext"] = flipped.into();
        assert!(matches!(
            Keystore::from_json(&w.to_string()),
            Err(KeystoreError::Corrupt { .. })
        ));
        assert!(matches!(
            Keystore::from_json("{"),
            Err(KeystoreError::Corrupt { .. })
        ));
        assert!(matches!(
            Keystore::from_json(&json[..json.len() / 2]),
            Err(KeystoreError::Corrupt { .. })
        ));
        let mut w = v.clone();
        w["version"] = 2.into();
        assert!(matches!(
            Keystore::from_json(&w.to_string()),
            Err(KeystoreError::UnsupportedVersion { found: 2 })
        ));
        // Absurd memory cost is refused before Argon2 runs.
        v["kdf"]["memory_kib"] = (4u64 * 1024 * 1024).into();
        assert!(matches!(
            Keystore::from_json(&v.to_string()),
            Err(KeystoreError::BadParameters { .. })
        ));
        // Renaming is allowed (the name is a label outside the checksum).
        let mut w: serde_json::Value = serde_json::from_str(&json).unwrap();
        w["name"] = "bob".into();
        let renamed = Keystore::from_json(&w.to_string()).unwrap();
        assert_eq!(renamed.name(), Some("bob"));
        renamed.decrypt("pw").unwrap();
    }

    #[test]
    fn params_bounds() {
        assert!(KdfParams::INTERACTIVE.validate().is_ok());
        assert!(KdfParams::INSECURE_FOR_TESTS.validate().is_ok());
        for p in [
            KdfParams {
                memory_kib: 64,
                iterations: 0,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 17,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 0,
            },
            KdfParams {
                memory_kib: 8,
                iterations: 1,
                parallelism: 2,
            },
            KdfParams {
                memory_kib: MAX_MEMORY_KIB + 1,
                iterations: 1,
                parallelism: 1,
            },
        ] {
            assert!(
                matches!(p.validate(), Err(KeystoreError::BadParameters { .. })),
                "{p:?}"
            );
        }
    }
}
