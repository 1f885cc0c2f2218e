//! Generation of the protocol's own test vectors, `specs/vectors/*.json`.
//!
//! Every input is derived deterministically ([`test_bytes`]), so the files are a pure function
//! of this crate's code. The test `spec_vectors` fails if the committed files differ from
//! [`all`]; run it with `INFERNET_WRITE_VECTORS=1` to rewrite them after a deliberate change.

use serde_json::{Value, json};

use crate::address::Address;
use crate::domain;
use crate::hash::{Hash, merkle_root, plain_hash};
use crate::reply::ReplySecret;
use crate::seal::{SealError, seal_with_ephemeral};
use crate::sign::{Identity, Seed, signing_bytes};

/// Context of the generator's deterministic bytes (not a protocol context).
const GENERATOR_CONTEXT: &str = "infernet test-vector generator 2026-11-23";

/// `len` deterministic pseudo-random bytes named by `label`: BLAKE3 `derive_key` mode with a
/// fixed generator context over `label`, extended to `len` bytes (XOF).
pub fn test_bytes(label: &str, len: usize) -> Vec<u8> {
    let mut h = blake3::Hasher::new_derive_key(GENERATOR_CONTEXT);
    h.update(label.as_bytes());
    let mut out = vec![0u8; len];
    h.finalize_xof().fill(&mut out);
    out
}

fn test_array(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&test_bytes(label, 32));
    out
}

/// `hpke.json`: base-mode single-shot seals with fixed ephemeral secrets.
pub fn hpke() -> Result<Value, SealError> {
    let cases: [(&str, &[u8], &[u8], usize); 10] = [
        ("empty", b"", b"", 0),
        ("one-byte", b"", b"", 1),
        ("info-only", domain::HPKE_INFO_PROMPT.as_bytes(), b"", 13),
        ("aad-only", b"", b"job 1", 32),
        (
            "prompt",
            domain::HPKE_INFO_PROMPT.as_bytes(),
            b"chain 1 job 7",
            100,
        ),
        (
            "result",
            domain::HPKE_INFO_RESULT.as_bytes(),
            b"chain 1 job 7 miner",
            333,
        ),
        (
            "record-key",
            domain::HPKE_INFO_RECORD_KEY.as_bytes(),
            b"record 3 owner",
            32,
        ),
        (
            "empty-with-info-aad",
            domain::HPKE_INFO_RESULT.as_bytes(),
            b"aad",
            0,
        ),
        ("1KiB", b"info", b"aad", 1024),
        (
            "64KiB",
            domain::HPKE_INFO_RESULT.as_bytes(),
            b"large",
            64 * 1024,
        ),
    ];
    let mut out = Vec::new();
    for (name, info, aad, len) in cases {
        let sk = ReplySecret::from_bytes(test_array(&format!("hpke {name} recipient")));
        let eph = ReplySecret::from_bytes(test_array(&format!("hpke {name} ephemeral")));
        let pt = test_bytes(&format!("hpke {name} plaintext"), len);
        let sealed = seal_with_ephemeral(&sk.public_key(), &eph, info, aad, &pt)?;
        out.push(json!({
            "recipient_sk": hex::encode(*sk.to_bytes()),
            "recipient_pk": hex::encode(sk.public_key().0),
            "ephemeral_sk": hex::encode(*eph.to_bytes()),
            "info": hex::encode(info),
            "aad": hex::encode(aad),
            "plaintext": hex::encode(&pt),
            "enc": hex::encode(sealed.enc),
            "ciphertext": hex::encode(&sealed.ciphertext),
        }));
    }
    Ok(Value::Array(out))
}

/// `signatures.json`: domain-separated signatures and the exact bytes ed25519 signed.
pub fn signatures() -> Value {
    let cases: [(&str, u64, usize); 8] = [
        (domain::TX_SIGNATURE, 0, 0),
        (domain::TX_SIGNATURE, 1, 1),
        (domain::TX_SIGNATURE, 1, 100),
        (domain::TX_SIGNATURE, 2, 100),
        (domain::RECEIPT_SIGNATURE, 1, 64),
        (domain::RECEIPT_SIGNATURE, 0xffff_ffff, 1000),
        ("", 7, 5),
        (domain::TX_SIGNATURE, (1 << 53) - 1, 32),
    ];
    let out = cases
        .iter()
        .enumerate()
        .map(|(i, &(context, chain_id, len))| {
            let seed = Seed::from_bytes(test_array(&format!("signature {i} seed")));
            let id = Identity::from_seed(&seed);
            let message = test_bytes(&format!("signature {i} message"), len);
            let sig = id.sign(context, chain_id, &message);
            json!({
                "seed": hex::encode(seed.as_bytes()),
                "public_key": hex::encode(id.address().0),
                "context": context,
                "chain_id": chain_id,
                "message": hex::encode(&message),
                "signed_bytes": hex::encode(signing_bytes(context, chain_id, &message)),
                "signature": hex::encode(sig.0),
            })
        })
        .collect();
    Value::Array(out)
}

/// `addresses.json`: public keys and their bech32m addresses.
pub fn addresses() -> Value {
    let mut keys = vec![[0u8; 32], [0xff; 32]];
    for i in 0..6 {
        let seed = Seed::from_bytes(test_array(&format!("address {i} seed")));
        keys.push(Identity::from_seed(&seed).address().0);
    }
    Value::Array(
        keys.into_iter()
            .map(|k| json!({ "public_key": hex::encode(k), "address": Address(k).to_string() }))
            .collect(),
    )
}

/// `merkle.json`: roots of 0, 1, 2, 3, 4, 5 and 1000 leaves.
pub fn merkle() -> Value {
    let out = [0usize, 1, 2, 3, 4, 5, 1000]
        .iter()
        .map(|&n| {
            let leaves: Vec<Hash> = (0..n as u32)
                .map(|i| plain_hash(&i.to_le_bytes()))
                .collect();
            json!({
                "leaves": leaves.iter().map(Hash::to_hex).collect::<Vec<_>>(),
                "root": merkle_root(&leaves).to_hex(),
            })
        })
        .collect();
    Value::Array(out)
}

/// `reply_keys.json`: seeds and the X25519 reply keys derived from them.
pub fn reply_keys() -> Value {
    let out = (0..6)
        .map(|i| {
            let seed = Seed::from_bytes(test_array(&format!("reply {i} seed")));
            let sk = Identity::from_seed(&seed).reply_secret();
            json!({
                "seed": hex::encode(seed.as_bytes()),
                "x25519_sk": hex::encode(*sk.to_bytes()),
                "x25519_pk": hex::encode(sk.public_key().0),
            })
        })
        .collect();
    Value::Array(out)
}

/// Every vector file: `(file name, contents)`, contents as pretty JSON with a final newline.
pub fn all() -> Result<Vec<(&'static str, String)>, SealError> {
    let render = |v: Value| format!("{v:#}\n");
    Ok(vec![
        ("hpke.json", render(hpke()?)),
        ("signatures.json", render(signatures())),
        ("addresses.json", render(addresses())),
        ("merkle.json", render(merkle())),
        ("reply_keys.json", render(reply_keys())),
    ])
}
