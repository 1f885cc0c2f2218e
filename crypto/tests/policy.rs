#![allow(clippy::unwrap_used, missing_docs)]
//! The verification policy of `specs/crypto.md`, case by case: what strict ed25519 rejects
//! that a lenient verifier would accept, and the X25519 all-zero rule of the sealed box.

use infernet_crypto::seal::{self, SealError, SealedBox};
use infernet_crypto::sign::verify_signed_bytes;
use infernet_crypto::{
    Address, Identity, ReplyPublicKey, ReplySecret, Seed, Signature, SignatureError, verify_batch,
};

/// The group order l of ed25519, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

#[test]
fn non_canonical_s_is_rejected() {
    let id = Identity::from_seed(&Seed::from_bytes([11; 32]));
    let msg = b"message";
    let sig = id.sign_raw(msg);
    assert_eq!(verify_signed_bytes(&id.address(), msg, &sig), Ok(()));
    // s + l is the same scalar mod l, but not the canonical encoding.
    let mut malleated = sig.0;
    let s: [u8; 32] = sig.0[32..].try_into().unwrap();
    malleated[32..].copy_from_slice(&add_le(&s, &L));
    assert_eq!(
        verify_signed_bytes(&id.address(), msg, &Signature(malleated)),
        Err(SignatureError::Invalid)
    );
}

#[test]
fn small_order_public_key_is_rejected() {
    // The identity point as a public key, with R = identity and s = 0, satisfies the
    // cofactorless equation for every message; strict verification refuses the weak key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut sig = [0u8; 64];
    sig[0] = 1;
    for msg in [&b""[..], b"anything"] {
        let r = verify_signed_bytes(&Address(identity), msg, &Signature(sig));
        assert!(r.is_err(), "{r:?}");
        assert!(verify_batch(&[(Address(identity), msg.to_vec(), Signature(sig))]).is_err());
    }
}

#[test]
fn small_order_r_is_rejected() {
    // A real key with R = identity point: strict verification rejects small-order R.
    let id = Identity::from_seed(&Seed::from_bytes([12; 32]));
    let mut sig = [0u8; 64];
    sig[0] = 1;
    assert!(verify_signed_bytes(&id.address(), b"m", &Signature(sig)).is_err());
}

#[test]
fn not_a_point_is_an_invalid_key() {
    // y = 2 is not on the curve.
    let mut bad = [0u8; 32];
    bad[0] = 2;
    let id = Identity::from_seed(&Seed::from_bytes([13; 32]));
    let sig = id.sign_raw(b"m");
    assert_eq!(
        verify_signed_bytes(&Address(bad), b"m", &sig),
        Err(SignatureError::InvalidPublicKey)
    );
}

#[test]
fn batch_agrees_with_strict() {
    let ids: Vec<Identity> = (0u8..8)
        .map(|i| Identity::from_seed(&Seed::from_bytes([i; 32])))
        .collect();
    let mut items: Vec<(Address, Vec<u8>, Signature)> = ids
        .iter()
        .map(|id| (id.address(), vec![1, 2, 3], id.sign_raw(&[1, 2, 3])))
        .collect();
    assert_eq!(verify_batch(&items), Ok(()));
    // Malleate item 5 only: batch must fail exactly where strict fails.
    let s: [u8; 32] = items[5].2.0[32..].try_into().unwrap();
    items[5].2.0[32..].copy_from_slice(&add_le(&s, &L));
    for (i, (a, m, s)) in items.iter().enumerate() {
        assert_eq!(verify_signed_bytes(a, m, s).is_ok(), i != 5);
    }
    match verify_batch(&items) {
        Err(SignatureError::BatchItem { index: 5, .. }) => {}
        other => panic!("expected item 5 to fail, got {other:?}"),
    }
}

#[test]
fn zero_shared_secret_is_refused_both_ways() {
    let sk = ReplySecret::from_bytes([9; 32]);
    // Order-8 point on Curve25519 (from RFC 7748's list of small-order points).
    let small: [u8; 32] =
        hex::decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")
            .unwrap()
            .try_into()
            .unwrap();
    assert!(matches!(
        seal::seal(&ReplyPublicKey(small), b"", b"", b"x"),
        Err(SealError::ZeroSharedSecret)
    ));
    let forged = SealedBox {
        enc: small,
        ciphertext: vec![0; 32],
    };
    assert!(matches!(
        seal::open(&sk, b"", b"", &forged),
        Err(SealError::ZeroSharedSecret)
    ));
}
