#![allow(clippy::unwrap_used, missing_docs)]
//! The protocol's own vectors, `specs/vectors/*.json`: the committed files must equal what the
//! code generates, and each file is checked again through the public API, field by field, the
//! way an outside implementation would read it.
//!
//! After a deliberate change: `INFERNET_WRITE_VECTORS=1 cargo nextest run -p infernet-crypto
//! --test spec_vectors` rewrites the files (the test still fails if they had differed, so a
//! rewrite is never silent).

use std::path::PathBuf;

use infernet_crypto::hash::merkle_root;
use infernet_crypto::seal::{self, SealedBox};
use infernet_crypto::sign::verify_signed_bytes;
use infernet_crypto::{
    Address, Hash, Identity, ReplySecret, Seed, Signature, signing_bytes, vectors, verify,
};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/vectors")
}

fn committed(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn arr32(v: &Value) -> [u8; 32] {
    hx(v).try_into().unwrap()
}

#[test]
fn committed_files_equal_generated() {
    let write = std::env::var_os("INFERNET_WRITE_VECTORS").is_some();
    let mut differ = Vec::new();
    for (name, contents) in vectors::all().unwrap() {
        let path = dir().join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != contents {
            differ.push(name);
            if write {
                std::fs::create_dir_all(dir()).unwrap();
                std::fs::write(&path, &contents).unwrap();
            }
        }
    }
    assert!(
        differ.is_empty(),
        "specs/vectors differ from the generator: {differ:?}{}",
        if write {
            " (rewritten now; run again)"
        } else {
            "; rerun with INFERNET_WRITE_VECTORS=1 to rewrite them"
        }
    );
}

#[test]
fn hpke_vectors_open() {
    let v = committed("hpke.json");
    let v = v.as_array().unwrap();
    assert!(v.len() >= 8);
    let lens: Vec<usize> = v.iter().map(|e| hx(&e["plaintext"]).len()).collect();
    assert!(lens.contains(&0) && lens.contains(&65536), "{lens:?}");
    for e in v {
        let sk = ReplySecret::from_bytes(arr32(&e["recipient_sk"]));
        assert_eq!(sk.public_key().0, arr32(&e["recipient_pk"]));
        let eph = ReplySecret::from_bytes(arr32(&e["ephemeral_sk"]));
        assert_eq!(eph.public_key().0, arr32(&e["enc"]));
        let sealed = SealedBox {
            enc: arr32(&e["enc"]),
            ciphertext: hx(&e["ciphertext"]),
        };
        let (info, aad) = (hx(&e["info"]), hx(&e["aad"]));
        let pt = seal::open(&sk, &info, &aad, &sealed).unwrap();
        assert_eq!(*pt, hx(&e["plaintext"]));
        assert_eq!(sealed.ciphertext.len(), pt.len() + seal::SEAL_OVERHEAD);
    }
}

#[test]
fn signature_vectors_verify() {
    let v = committed("signatures.json");
    for e in v.as_array().unwrap() {
        let seed = Seed::from_bytes(arr32(&e["seed"]));
        let id = Identity::from_seed(&seed);
        let address = Address(arr32(&e["public_key"]));
        assert_eq!(id.address(), address);
        let (context, chain_id) = (
            e["context"].as_str().unwrap(),
            e["chain_id"].as_u64().unwrap(),
        );
        let message = hx(&e["message"]);
        let signed = hx(&e["signed_bytes"]);
        assert_eq!(signing_bytes(context, chain_id, &message), signed);
        let sig = Signature::from_slice(&hx(&e["signature"])).unwrap();
        assert_eq!(verify(&address, context, chain_id, &message, &sig), Ok(()));
        assert_eq!(verify_signed_bytes(&address, &signed, &sig), Ok(()));
        // ed25519 is deterministic: signing again gives the same bytes.
        assert_eq!(id.sign(context, chain_id, &message), sig);
    }
}

#[test]
fn address_vectors_parse() {
    let v = committed("addresses.json");
    for e in v.as_array().unwrap() {
        let a = Address(arr32(&e["public_key"]));
        let s = e["address"].as_str().unwrap();
        assert_eq!(a.to_string(), s);
        assert_eq!(s.parse::<Address>().unwrap(), a);
    }
}

#[test]
fn merkle_vectors_match() {
    let v = committed("merkle.json");
    let counts: Vec<usize> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["leaves"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [0, 1, 2, 3, 4, 5, 1000]);
    for e in v.as_array().unwrap() {
        let leaves: Vec<Hash> = e["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            merkle_root(&leaves),
            e["root"].as_str().unwrap().parse().unwrap()
        );
    }
}

#[test]
fn reply_key_vectors_derive() {
    let v = committed("reply_keys.json");
    for e in v.as_array().unwrap() {
        let id = Identity::from_seed(&Seed::from_bytes(arr32(&e["seed"])));
        let sk = id.reply_secret();
        assert_eq!(*sk.to_bytes(), arr32(&e["x25519_sk"]));
        assert_eq!(sk.public_key().0, arr32(&e["x25519_pk"]));
    }
}
