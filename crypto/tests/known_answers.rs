#![allow(clippy::unwrap_used, missing_docs)]
//! Third-party known-answer tests, run through this crate's API: RFC 9180 (HPKE), the official
//! BLAKE3 vectors, and Wycheproof (X25519, ChaCha20-Poly1305, XChaCha20-Poly1305, Ed25519).
//!
//! The files live in `shared/vectors/` beside the repository (`../../shared/vectors` from this
//! crate). A missing file fails the test: nothing is skipped.

use std::path::PathBuf;

use infernet_crypto::seal::{self, AeadMode, Mode};
use infernet_crypto::sign::verify_signed_bytes;
use infernet_crypto::{
    Address, RecordKey, ReplyPublicKey, ReplySecret, SealError, Signature, aead, hash, record,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors");
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "test vectors missing: cannot read {} ({e}); the repository expects shared/vectors/ beside it",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn arr32(v: &Value) -> [u8; 32] {
    hx(v).try_into().unwrap()
}

fn wycheproof_tests(file: &str) -> Vec<(Value, Value)> {
    let w = load(file);
    let mut out = Vec::new();
    for g in w["testGroups"].as_array().unwrap() {
        // The group's own fields (e.g. the public key), without its list of tests.
        let mut header = g.clone();
        header.as_object_mut().unwrap().remove("tests");
        for t in g["tests"].as_array().unwrap() {
            out.push((header.clone(), t.clone()));
        }
    }
    assert_eq!(out.len() as u64, w["numberOfTests"].as_u64().unwrap());
    out
}

#[test]
fn rfc9180_hpke_base_and_psk() {
    let entries = load("hpke_rfc9180_x25519_hkdfsha256_chacha20poly1305_base_psk.json");
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 4);
    let (mut encryptions, mut exports) = (0, 0);
    for e in entries {
        assert_eq!(e["kem_id"], 32);
        assert_eq!(e["kdf_id"], 1);
        let (psk, psk_id) = (
            e.get("psk").map(hx).unwrap_or_default(),
            e.get("psk_id").map(hx).unwrap_or_default(),
        );
        let mode = match e["mode"].as_u64().unwrap() {
            0 => Mode::Base,
            1 => Mode::Psk {
                psk: &psk,
                psk_id: &psk_id,
            },
            m => panic!("unexpected mode {m}"),
        };
        // DeriveKeyPair from the IKMs gives the listed keys.
        let sk_r = seal::derive_key_pair(&hx(&e["ikmR"])).unwrap();
        let sk_e = seal::derive_key_pair(&hx(&e["ikmE"])).unwrap();
        assert_eq!(*sk_r.to_bytes(), arr32(&e["skRm"]));
        assert_eq!(*sk_e.to_bytes(), arr32(&e["skEm"]));
        assert_eq!(sk_r.public_key().0, arr32(&e["pkRm"]));
        assert_eq!(sk_e.public_key().0, arr32(&e["pkEm"]));
        let info = hx(&e["info"]);
        let pk_r = ReplyPublicKey(arr32(&e["pkRm"]));
        let is_export_only = e["aead_id"] == 65535;
        let aead_mode = if is_export_only {
            AeadMode::ExportOnly
        } else {
            assert_eq!(e["aead_id"], 3);
            AeadMode::ChaCha20Poly1305
        };
        let (enc, mut sender) = seal::setup_sender(mode, aead_mode, &pk_r, &sk_e, &info).unwrap();
        assert_eq!(enc, arr32(&e["enc"]));
        let mut receiver = seal::setup_receiver(mode, aead_mode, &sk_r, &enc, &info).unwrap();
        if is_export_only {
            assert!(matches!(sender.seal(b"", b"x"), Err(SealError::ExportOnly)));
        }
        let encs = e["encryptions"].as_array().unwrap();
        assert_eq!(encs.is_empty(), is_export_only);
        for (i, x) in encs.iter().enumerate() {
            let (aad, pt, ct) = (hx(&x["aad"]), hx(&x["pt"]), hx(&x["ct"]));
            assert_eq!(sender.seal(&aad, &pt).unwrap(), ct, "encryption {i}");
            assert_eq!(*receiver.open(&aad, &ct).unwrap(), pt, "decryption {i}");
            encryptions += 1;
        }
        for x in e["exports"].as_array().unwrap() {
            let ctx = hx(&x["exporter_context"]);
            let len = x["L"].as_u64().unwrap() as usize;
            let want = hx(&x["exported_value"]);
            assert_eq!(*sender.export(&ctx, len).unwrap(), want);
            assert_eq!(*receiver.export(&ctx, len).unwrap(), want);
            exports += 1;
        }
        // The single-shot base-mode API agrees with the first encryption.
        if matches!(mode, Mode::Base) && !is_export_only {
            let x = &encs[0];
            let sealed =
                seal::seal_with_ephemeral(&pk_r, &sk_e, &info, &hx(&x["aad"]), &hx(&x["pt"]))
                    .unwrap();
            assert_eq!(sealed.ciphertext, hx(&x["ct"]));
            assert_eq!(
                *seal::open(&sk_r, &info, &hx(&x["aad"]), &sealed).unwrap(),
                hx(&x["pt"])
            );
            let exp = &e["exports"][0];
            let got = seal::export_receiver(
                &sk_r,
                &enc,
                &info,
                &hx(&exp["exporter_context"]),
                exp["L"].as_u64().unwrap() as usize,
            )
            .unwrap();
            assert_eq!(*got, hx(&exp["exported_value"]));
        }
    }
    assert_eq!(encryptions, 2 * 257);
    assert_eq!(exports, 4 * 3);
}

#[test]
fn blake3_official_vectors() {
    let v = load("blake3_test_vectors.json");
    let context = v["context_string"].as_str().unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 35);
    for c in cases {
        let len = c["input_len"].as_u64().unwrap() as usize;
        let input: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        // 32-byte outputs are the first 32 bytes of the extended outputs.
        let want = |field: &str| hx(&c[field])[..32].to_vec();
        assert_eq!(
            hash::plain_hash(&input).0.to_vec(),
            want("hash"),
            "hash {len}"
        );
        assert_eq!(
            hash::file_hash(&input[..]).unwrap().0.to_vec(),
            want("hash")
        );
        assert_eq!(
            hash::hash(context, &input).0.to_vec(),
            want("derive_key"),
            "derive_key {len}"
        );
        let mut h = hash::DomainHasher::new(context);
        for piece in input.chunks(1000) {
            h.update(piece);
        }
        assert_eq!(h.finalize().0.to_vec(), want("derive_key"));
        // keyed_hash is not used by the protocol; checked against the library directly.
        let key: [u8; 32] = v["key"].as_str().unwrap().as_bytes().try_into().unwrap();
        assert_eq!(
            blake3::keyed_hash(&key, &input).as_bytes().to_vec(),
            want("keyed_hash")
        );
    }
}

/// Policy: every `valid` case matches; `acceptable` cases whose shared secret is all zero
/// (low-order public keys) are refused by the checked DH the sealed box uses; all other
/// `acceptable` cases (twist points, non-canonical u, top bit set) follow RFC 7748 and must
/// give the listed shared secret.
#[test]
fn wycheproof_x25519() {
    let (mut valid, mut zero_rejected, mut acceptable_ok) = (0, 0, 0);
    for (_, t) in wycheproof_tests("wycheproof_x25519_test.json") {
        let sk = ReplySecret::from_bytes(arr32(&t["private"]));
        let pk = ReplyPublicKey(arr32(&t["public"]));
        let shared = arr32(&t["shared"]);
        let id = &t["tcId"];
        assert_eq!(*sk.diffie_hellman(&pk), shared, "raw X25519, tcId {id}");
        let checked = sk.diffie_hellman_checked(&pk);
        match t["result"].as_str().unwrap() {
            "valid" => {
                assert_eq!(*checked.unwrap(), shared, "tcId {id}");
                valid += 1;
            }
            "acceptable" if shared == [0u8; 32] => {
                assert!(
                    matches!(checked, Err(SealError::ZeroSharedSecret)),
                    "tcId {id}"
                );
                // And sealing to that key is refused.
                assert!(matches!(
                    seal::seal(&pk, b"", b"", b"x"),
                    Err(SealError::ZeroSharedSecret)
                ));
                zero_rejected += 1;
            }
            "acceptable" => {
                assert_eq!(*checked.unwrap(), shared, "tcId {id}");
                acceptable_ok += 1;
            }
            r => panic!("unexpected result {r} in tcId {id}"),
        }
    }
    assert_eq!((valid, zero_rejected, acceptable_ok), (264, 31, 223));
}

#[test]
fn wycheproof_chacha20_poly1305() {
    let (mut valid, mut invalid) = (0, 0);
    for (_, t) in wycheproof_tests("wycheproof_chacha20_poly1305_test.json") {
        let key = arr32(&t["key"]);
        let (iv, aad, msg) = (hx(&t["iv"]), hx(&t["aad"]), hx(&t["msg"]));
        let mut ct = hx(&t["ct"]);
        ct.extend_from_slice(&hx(&t["tag"]));
        let id = &t["tcId"];
        match t["result"].as_str().unwrap() {
            "valid" => {
                assert_eq!(
                    aead::encrypt(&key, &iv, &aad, &msg).unwrap(),
                    ct,
                    "tcId {id}"
                );
                assert_eq!(
                    *aead::decrypt(&key, &iv, &aad, &ct).unwrap(),
                    msg,
                    "tcId {id}"
                );
                valid += 1;
            }
            "invalid" => {
                assert!(aead::decrypt(&key, &iv, &aad, &ct).is_err(), "tcId {id}");
                invalid += 1;
            }
            r => panic!("unexpected result {r} in tcId {id}"),
        }
    }
    assert_eq!((valid, invalid), (256, 69));
}

#[test]
fn wycheproof_xchacha20_poly1305_through_record_format() {
    let (mut valid, mut invalid) = (0, 0);
    for (_, t) in wycheproof_tests("wycheproof_xchacha20_poly1305_test.json") {
        let key = RecordKey::from_bytes(arr32(&t["key"]));
        let (iv, aad, msg) = (hx(&t["iv"]), hx(&t["aad"]), hx(&t["msg"]));
        // The record format is nonce || ciphertext || tag.
        let mut data = iv.clone();
        data.extend_from_slice(&hx(&t["ct"]));
        data.extend_from_slice(&hx(&t["tag"]));
        let id = &t["tcId"];
        match t["result"].as_str().unwrap() {
            "valid" => {
                let nonce: [u8; 24] = iv.as_slice().try_into().unwrap();
                assert_eq!(
                    record::encrypt_with_nonce(&key, &nonce, &aad, &msg).unwrap(),
                    data,
                    "tcId {id}"
                );
                assert_eq!(
                    *record::decrypt(&key, &aad, &data).unwrap(),
                    msg,
                    "tcId {id}"
                );
                valid += 1;
            }
            "invalid" => {
                assert!(record::decrypt(&key, &aad, &data).is_err(), "tcId {id}");
                invalid += 1;
            }
            r => panic!("unexpected result {r} in tcId {id}"),
        }
    }
    assert_eq!((valid, invalid), (246, 69));
}

/// Every `valid` case passes `verify_strict`; every `invalid` one (malleable `s`, wrong
/// lengths, bad encodings) is rejected. The file has no `acceptable` cases.
#[test]
fn wycheproof_ed25519_strict() {
    let (mut valid, mut invalid) = (0, 0);
    for (g, t) in wycheproof_tests("wycheproof_ed25519_test.json") {
        let address = Address(arr32(&g["publicKey"]["pk"]));
        let msg = hx(&t["msg"]);
        let id = &t["tcId"];
        let outcome = Signature::from_slice(&hx(&t["sig"]))
            .and_then(|sig| verify_signed_bytes(&address, &msg, &sig));
        match t["result"].as_str().unwrap() {
            "valid" => {
                assert_eq!(outcome, Ok(()), "tcId {id}");
                // Batch verification agrees.
                let sig = Signature::from_slice(&hx(&t["sig"])).unwrap();
                assert_eq!(
                    infernet_crypto::verify_batch(&[(address, msg, sig)]),
                    Ok(())
                );
                valid += 1;
            }
            "invalid" => {
                assert!(outcome.is_err(), "tcId {id}");
                invalid += 1;
            }
            r => panic!("unexpected result {r} in tcId {id}"),
        }
    }
    assert_eq!((valid, invalid), (88, 63));
}
