#![allow(clippy::unwrap_used, missing_docs)]
//! The keystore file format: a committed v1 file (snapshot of the on-disk format) still opens,
//! its fields follow `specs/crypto.md` §11 when recomputed by hand, and damage gives the right
//! error.

use std::path::PathBuf;

use infernet_crypto::hash::DomainHasher;
use infernet_crypto::{
    Address, Identity, KdfParams, Keystore, KeystoreError, RecordKey, Seed, domain, record,
};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/keystore-v1.json")
}

fn fixture_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_path()).unwrap()).unwrap()
}

fn fixture_seed() -> Seed {
    Seed::from_bytes(core::array::from_fn(|i| i as u8))
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn committed_v1_file_opens() {
    let ks = Keystore::read(&fixture_path()).unwrap();
    assert_eq!(ks.name(), Some("fixture"));
    assert_eq!(ks.address(), Identity::from_seed(&fixture_seed()).address());
    assert_eq!(
        ks.params(),
        KdfParams {
            memory_kib: 256,
            iterations: 2,
            parallelism: 1
        }
    );
    assert_eq!(
        ks.decrypt(PASSWORD).unwrap().as_bytes(),
        fixture_seed().as_bytes()
    );
    assert!(matches!(
        ks.decrypt("wrong"),
        Err(KeystoreError::WrongPassword)
    ));
}

#[test]
fn format_recomputed_from_the_spec() {
    let v = fixture_json();
    let kdf = &v["kdf"];
    let salt = hx(&kdf["salt"]);
    let params = argon2::Params::new(
        kdf["memory_kib"].as_u64().unwrap() as u32,
        kdf["iterations"].as_u64().unwrap() as u32,
        kdf["parallelism"].as_u64().unwrap() as u32,
        Some(32),
    )
    .unwrap();
    let mut key = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(PASSWORD.as_bytes(), &salt, &mut key)
        .unwrap();
    let address = v["address"].as_str().unwrap();
    let nonce = hx(&v["cipher"]["nonce"]);
    let ct = hx(&v["cipher"]["ciphertext"]);
    let mut data = nonce.clone();
    data.extend_from_slice(&ct);
    let seed = record::decrypt(&RecordKey::from_bytes(key), address.as_bytes(), &data).unwrap();
    assert_eq!(&seed[..], fixture_seed().as_bytes());
    // Checksum layout.
    let pk = address.parse::<Address>().unwrap();
    let mut h = DomainHasher::new(domain::KEYSTORE_CHECKSUM);
    h.update(&1u32.to_le_bytes()).update(&pk.0);
    for f in ["memory_kib", "iterations", "parallelism"] {
        h.update(&(kdf[f].as_u64().unwrap() as u32).to_le_bytes());
    }
    h.update(&salt).update(&nonce).update(&ct);
    assert_eq!(h.finalize().0.to_vec(), hx(&v["checksum"]));
}

#[test]
fn every_damaged_field_is_corrupt_not_wrong_password() {
    let v = fixture_json();
    let flip = |s: &str| -> String {
        let mut b = hex::decode(s).unwrap();
        b[0] ^= 1;
        hex::encode(b)
    };
    let mut cases: Vec<(&str, Value)> = Vec::new();
    for path in [
        &["kdf", "salt"][..],
        &["cipher", "nonce"],
        &["cipher", "ciphertext"],
        &["checksum"],
    ] {
        let mut w = v.clone();
        let mut slot = &mut w;
        for p in path {
            slot = &mut slot[*p];
        }
        *slot = flip(slot.as_str().unwrap()).into();
        cases.push((path[path.len() - 1], w));
    }
    let mut w = v.clone();
    w["kdf"]["iterations"] = 3.into();
    cases.push(("iterations", w));
    let mut w = v.clone();
    w["address"] = Identity::from_seed(&Seed::from_bytes([9; 32]))
        .address()
        .to_string()
        .into();
    cases.push(("address", w));
    for (what, w) in cases {
        let r = Keystore::from_json(&w.to_string());
        assert!(
            matches!(r, Err(KeystoreError::Corrupt { .. })),
            "{what}: {r:?}"
        );
    }
    // Unknown fields and a missing field are corrupt too.
    let mut w = v.clone();
    w["extra"] = 1.into();
    assert!(matches!(
        Keystore::from_json(&w.to_string()),
        Err(KeystoreError::Corrupt { .. })
    ));
    let mut w = v.clone();
    w.as_object_mut().unwrap().remove("cipher");
    assert!(matches!(
        Keystore::from_json(&w.to_string()),
        Err(KeystoreError::Corrupt { .. })
    ));
    // A file that is not JSON at all.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("garbage");
    std::fs::write(&p, [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(
        Keystore::read(&p),
        Err(KeystoreError::Corrupt { .. })
    ));
    assert!(matches!(
        Keystore::read(&dir.path().join("missing")),
        Err(KeystoreError::Io { .. })
    ));
}

/// The real parameters (64 MiB, 3 passes): the one slow keystore test (about a second).
#[test]
fn interactive_parameters_roundtrip() {
    let seed = Seed::from_bytes([77; 32]);
    let ks = Keystore::encrypt(&seed, "pw", None).unwrap();
    assert_eq!(ks.params(), KdfParams::INTERACTIVE);
    let back = Keystore::from_json(&ks.to_json()).unwrap();
    assert_eq!(
        back.params(),
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1
        }
    );
    assert_eq!(back.decrypt("pw").unwrap().as_bytes(), seed.as_bytes());
}
