#![allow(clippy::unwrap_used, missing_docs)]
//! Property tests: round trips, tamper detection, and injectivity of the encodings.

use infernet_crypto::hash::{self, merkle_root};
use infernet_crypto::seal::{self, SealError};
use infernet_crypto::{
    Address, AddressError, Hash, Identity, Keystore, RecordKey, ReplySecret, Seed, Signature,
    domain, mnemonic, record, signing_bytes, verify,
};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn seal_open_roundtrip(
        sk in any::<[u8; 32]>(),
        info in proptest::collection::vec(any::<u8>(), 0..64),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        pt in proptest::collection::vec(any::<u8>(), 0..2048),
        flip in any::<prop::sample::Index>(),
    ) {
        let sk = ReplySecret::from_bytes(sk);
        let sealed = seal::seal(&sk.public_key(), &info, &aad, &pt).unwrap();
        prop_assert_eq!(sealed.ciphertext.len(), pt.len() + seal::SEAL_OVERHEAD);
        prop_assert_eq!(&**seal::open(&sk, &info, &aad, &sealed).unwrap(), &pt[..]);
        // Any flipped ciphertext bit is detected.
        let mut bad = sealed.clone();
        let i = flip.index(bad.ciphertext.len());
        bad.ciphertext[i] ^= 0x01;
        prop_assert!(matches!(seal::open(&sk, &info, &aad, &bad), Err(SealError::DecryptionFailed)));
        // A different aad is detected.
        let mut aad2 = aad.clone();
        aad2.push(0);
        prop_assert!(seal::open(&sk, &info, &aad2, &sealed).is_err());
    }

    #[test]
    fn address_roundtrip_and_typos(key in any::<[u8; 32]>(), pos in 4usize..62, c in 0usize..32) {
        let a = Address(key);
        let s = a.to_string();
        prop_assert_eq!(s.parse::<Address>().unwrap(), a);
        let charset = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        let mut typo = s.clone().into_bytes();
        prop_assume!(typo[pos] != charset[c]);
        typo[pos] = charset[c];
        let typo = String::from_utf8(typo).unwrap();
        // One substituted character is always caught by the bech32m checksum.
        prop_assert!(matches!(typo.parse::<Address>(), Err(AddressError::BadChecksum)));
    }

    #[test]
    fn hash_text_roundtrip(bytes in any::<[u8; 32]>()) {
        let h = Hash(bytes);
        prop_assert_eq!(h.to_string().parse::<Hash>().unwrap(), h);
    }

    #[test]
    fn merkle_root_commits_to_every_leaf(
        n in 1usize..40,
        which in any::<prop::sample::Index>(),
    ) {
        let leaves: Vec<Hash> = (0..n as u32).map(|i| hash::plain_hash(&i.to_le_bytes())).collect();
        let root = merkle_root(&leaves);
        let mut changed = leaves.clone();
        let i = which.index(n);
        changed[i] = hash::plain_hash(b"other");
        prop_assert_ne!(merkle_root(&changed), root);
        let mut longer = leaves.clone();
        longer.push(leaves[n - 1]);
        prop_assert_ne!(merkle_root(&longer), root);
        prop_assert_ne!(merkle_root(&leaves[..n - 1]), root);
    }

    #[test]
    fn sign_verify_roundtrip(
        seed in any::<[u8; 32]>(),
        chain_id in any::<u64>(),
        msg in proptest::collection::vec(any::<u8>(), 0..256),
        bit in 0usize..512,
    ) {
        let id = Identity::from_seed(&Seed::from_bytes(seed));
        let sig = id.sign(domain::TX_SIGNATURE, chain_id, &msg);
        prop_assert_eq!(verify(&id.address(), domain::TX_SIGNATURE, chain_id, &msg, &sig), Ok(()));
        let mut bad = sig.0;
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify(&id.address(), domain::TX_SIGNATURE, chain_id, &msg, &Signature(bad)).is_err());
        prop_assert!(verify(&id.address(), domain::TX_SIGNATURE, chain_id.wrapping_add(1), &msg, &sig).is_err());
    }

    #[test]
    fn signing_bytes_is_injective(
        c1 in "[a-z/-]{0,12}", c2 in "[a-z/-]{0,12}",
        id1 in 0u64..4, id2 in 0u64..4,
        m1 in proptest::collection::vec(0u8..4, 0..6), m2 in proptest::collection::vec(0u8..4, 0..6),
    ) {
        let same_input = (c1.as_str(), id1, &m1) == (c2.as_str(), id2, &m2);
        prop_assert_eq!(signing_bytes(&c1, id1, &m1) == signing_bytes(&c2, id2, &m2), same_input);
    }

    #[test]
    fn record_roundtrip(
        key in any::<[u8; 32]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..32),
        pt in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let k = RecordKey::from_bytes(key);
        let data = record::encrypt(&k, &aad, &pt);
        prop_assert_eq!(data.len(), pt.len() + record::RECORD_OVERHEAD);
        prop_assert_eq!(&**record::decrypt(&k, &aad, &data).unwrap(), &pt[..]);
    }

    /// Untrusted text never panics the parsers; it parses or returns an error.
    #[test]
    fn parsers_do_not_panic(s in "\\PC{0,100}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = s.parse::<Address>();
        let _ = s.parse::<Hash>();
        let _ = Keystore::from_json(&s);
        let _ = mnemonic::validate(&s);
        let _ = serde_json::from_str::<seal::SealedBox>(&s);
        let _ = record::decrypt(&RecordKey::from_bytes([1; 32]), b"", &bytes);
        let _ = Signature::from_slice(&bytes);
        // Lowercase bech32-looking strings with the right prefix exercise the checksum path.
        let lower = format!("inf1{}", s.to_ascii_lowercase());
        prop_assert!(lower.parse::<Address>().is_err() || lower.len() == 62);
    }
}
