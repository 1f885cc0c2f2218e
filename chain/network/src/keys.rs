//! The node key: an ed25519 libp2p identity, separate from wallet keys, stored in the data
//! dir as the protobuf encoding of a libp2p keypair (file mode 0600 on Unix).

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use libp2p::identity::{KeyType, Keypair};

use crate::error::KeyError;

/// File name of the node key inside the node's data dir.
pub const NODE_KEY_FILE: &str = "node_key";

/// Loads the node key from `path`.
pub fn load_node_key(path: &Path) -> Result<Keypair, KeyError> {
    let bytes = fs::read(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    let keypair = Keypair::from_protobuf_encoding(&bytes).map_err(|e| KeyError::Decode {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if keypair.key_type() != KeyType::Ed25519 {
        return Err(KeyError::NotEd25519 {
            path: path.to_owned(),
            kind: format!("{:?}", keypair.key_type()),
        });
    }
    Ok(keypair)
}

/// Saves `keypair` to `path`, atomically (a temporary file renamed over the target) and
/// readable only by the owner on Unix.
pub fn save_node_key(path: &Path, keypair: &Keypair) -> Result<(), KeyError> {
    let bytes = keypair
        .to_protobuf_encoding()
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    let io_err = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_err)?;
    }
    let tmp = tmp_path(path);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io_err)?;
    file.write_all(&bytes).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_err)
}

/// Loads the node key from `path`, or generates a new ed25519 key and saves it there if the
/// file does not exist. A file that exists but cannot be decoded is an error, never silently
/// replaced (the node's identity would change).
pub fn load_or_generate_node_key(path: &Path) -> Result<Keypair, KeyError> {
    match fs::metadata(path) {
        Ok(_) => load_node_key(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keypair = Keypair::generate_ed25519();
            save_node_key(path, &keypair)?;
            Ok(keypair)
        }
        Err(source) => Err(KeyError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_then_load_gives_the_same_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(NODE_KEY_FILE);
        let first = load_or_generate_node_key(&path).unwrap();
        let second = load_or_generate_node_key(&path).unwrap();
        assert_eq!(first.public().to_peer_id(), second.public().to_peer_id());
        assert_eq!(first.key_type(), KeyType::Ed25519);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_corrupt_key_file_is_an_error_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NODE_KEY_FILE);
        fs::write(&path, b"not a key").unwrap();
        let err = load_or_generate_node_key(&path).unwrap_err();
        assert!(matches!(err, KeyError::Decode { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"not a key");
    }
}
