//! The wallet library's error type: one variant per thing a person can get wrong or fix.

use std::path::PathBuf;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No wallet directory could be determined.
    #[error(
        "cannot determine a default wallet directory (no home directory); pass --wallet-dir DIR or set INFERNET_WALLET_DIR"
    )]
    NoDefaultDir,
    /// A key name with characters that cannot be a file name.
    #[error(
        "invalid key name {name:?}: use 1 to 64 characters of A-Z a-z 0-9 _ - . (not starting with a dot)"
    )]
    BadKeyName {
        /// The name given.
        name: String,
    },
    /// `key new`/`key import` with a name already in use.
    #[error("a key named {name:?} already exists at {path}; pick another name or delete that file")]
    KeyExists {
        /// The name given.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// No key file with that name.
    #[error(
        "no key named {name:?} in {dir}; create one with `infernet-wallet key new {name}` or import one with `key import`"
    )]
    NoSuchKey {
        /// The name given.
        name: String,
        /// The keys directory searched.
        dir: PathBuf,
    },
    /// The password does not open the key.
    #[error("wrong password for key {name:?}")]
    WrongPassword {
        /// The key's name.
        name: String,
    },
    /// A password is needed but none was given and prompting is not allowed.
    #[error(
        "a password is needed: pass --password-file FILE or set INFERNET_PASSWORD (prompting is off under --no-input or without a terminal)"
    )]
    PasswordRequired,
    /// The two passwords typed for a new key differ.
    #[error("the passwords do not match")]
    PasswordMismatch,
    /// An empty password for a new key.
    #[error("the password is empty; choose a non-empty password")]
    EmptyPassword,
    /// Reading a password file or the terminal failed.
    #[error("cannot read the password from {source_name}: {source}")]
    PasswordIo {
        /// Where it was read from.
        source_name: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Filesystem error in the wallet directory or an export file.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The keystore file could not be read or written.
    #[error(transparent)]
    Keystore(#[from] infernet_crypto::KeystoreError),
    /// A bad mnemonic phrase.
    #[error("invalid mnemonic: {0}")]
    Mnemonic(#[from] infernet_crypto::MnemonicError),
    /// `--dev-account N` out of range.
    #[error("there is no dev account {index}: dev accounts are 0 to {max}")]
    NoDevAccount {
        /// The index given.
        index: u32,
        /// The largest index.
        max: u32,
    },
    /// An amount a person typed that does not parse.
    #[error(
        "invalid amount {input:?}: {reason} (write INF like `1.5` or `1.5inf`, or base units like `1500000000base`; 1 INF = 10^9 base units)"
    )]
    BadAmount {
        /// The input.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// Amount arithmetic overflowed (absurd prices or token counts).
    #[error("amount overflow computing {what}")]
    Overflow {
        /// What was computed.
        what: &'static str,
    },
    /// Sealing a prompt or record key failed.
    #[error("sealing failed: {0}")]
    Seal(#[from] infernet_crypto::SealError),
    /// The record key does not open with this wallet's reply key.
    #[error(
        "the record key of record {record} does not open with key {key:?}'s reply key: the record is not (or no longer) sealed to this key"
    )]
    RecordKeyDoesNotOpen {
        /// The record id (hex).
        record: String,
        /// The wallet key used.
        key: String,
    },
    /// The record key opened but is not 32 bytes.
    #[error("the record key of record {record} has {len} bytes instead of 32")]
    BadRecordKey {
        /// The record id (hex).
        record: String,
        /// Its length.
        len: usize,
    },
    /// The payload does not decrypt or decode.
    #[error("the payload of record {record} does not decrypt: {reason}")]
    BadPayload {
        /// The record id (hex).
        record: String,
        /// Why.
        reason: String,
    },
    /// The decrypted pair does not match the miner's commitment.
    #[error(
        "record {record}: the decrypted prompt and answer do not match the miner's commitment {commitment}; the record was tampered with"
    )]
    CommitmentMismatch {
        /// The record id (hex).
        record: String,
        /// The commitment on chain (hex).
        commitment: String,
    },
    /// No registered miner offers the model asked for.
    #[error(
        "no miner serves model {model}{extra}; see `infernet-wallet miners` for what is offered"
    )]
    NoMiner {
        /// The model asked for.
        model: String,
        /// Extra condition (e.g. attestation required).
        extra: String,
    },
    /// The named miner does not offer the model.
    #[error("miner {miner} does not offer model {model}")]
    MinerLacksModel {
        /// The miner.
        miner: String,
        /// The model.
        model: String,
    },
    /// A model given by name matches nothing.
    #[error("no registered model is named or has id {query:?}; see `infernet-wallet models`")]
    UnknownModel {
        /// The name or id given.
        query: String,
    },
    /// A model name that matches several models.
    #[error("model name {query:?} is ambiguous ({count} models): pass the model id instead")]
    AmbiguousModel {
        /// The name given.
        query: String,
        /// How many matched.
        count: usize,
    },
    /// Writing JSON failed.
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}
