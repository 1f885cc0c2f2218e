//! BIP39 mnemonic phrases (English, 12 or 24 words) and the seed they give.
//!
//! `Seed = BLAKE3-derive_key(context = MNEMONIC_SEED, BIP39-seed(phrase, passphrase))`, where
//! the BIP39 seed is the standard 64-byte PBKDF2-HMAC-SHA512 output (2048 rounds, salt
//! `"mnemonic" || passphrase`, both NFKD-normalised).

use zeroize::{Zeroize, Zeroizing};

use crate::domain;
use crate::hash::hash;
use crate::sign::Seed;

/// Why a phrase was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MnemonicError {
    /// Only 12- and 24-word phrases are accepted.
    #[error("a phrase has 12 or 24 words, this one has {0}")]
    WordCount(usize),
    /// A word is not in the BIP39 English list.
    #[error("word {index} ({word:?}) is not in the BIP39 English word list")]
    UnknownWord {
        /// Position of the word, from 1.
        index: usize,
        /// The word.
        word: String,
    },
    /// All words are valid but the checksum does not match: a word is wrong or misplaced.
    #[error("phrase checksum does not match: a word is wrong or out of order")]
    BadChecksum,
    /// Any other rejection by the BIP39 implementation.
    #[error("invalid phrase: {0}")]
    Invalid(String),
    /// The random entropy could not be generated.
    #[error(transparent)]
    Rng(#[from] crate::RngError),
}

/// A new random phrase of `words` words (12 or 24), in a string that zeroizes itself.
pub fn generate(words: usize) -> Result<Zeroizing<String>, MnemonicError> {
    let entropy_len = match words {
        12 => 16,
        24 => 32,
        n => return Err(MnemonicError::WordCount(n)),
    };
    let mut entropy = Zeroizing::new([0u8; 32]);
    crate::rng::fill(&mut entropy[..entropy_len])?;
    let m = bip39::Mnemonic::from_entropy(&entropy[..entropy_len])
        .map_err(|e| MnemonicError::Invalid(e.to_string()))?;
    Ok(Zeroizing::new(m.to_string()))
}

/// Checks a phrase without deriving anything (the expensive part of [`to_seed`] is PBKDF2).
pub fn validate(phrase: &str) -> Result<(), MnemonicError> {
    parse(phrase).map(|_| ())
}

fn parse(phrase: &str) -> Result<bip39::Mnemonic, MnemonicError> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    if words.len() != 12 && words.len() != 24 {
        return Err(MnemonicError::WordCount(words.len()));
    }
    let list = bip39::Language::English.word_list();
    for (i, w) in words.iter().enumerate() {
        if !list.contains(&w.to_lowercase().as_str()) {
            return Err(MnemonicError::UnknownWord {
                index: i + 1,
                word: (*w).to_owned(),
            });
        }
    }
    let joined = Zeroizing::new(words.join(" "));
    let normalized = Zeroizing::new(joined.to_lowercase());
    bip39::Mnemonic::parse_in(bip39::Language::English, normalized.as_str()).map_err(|e| match e {
        bip39::Error::InvalidChecksum => MnemonicError::BadChecksum,
        other => MnemonicError::Invalid(other.to_string()),
    })
}

/// The [`Seed`] of `phrase` with an optional BIP39 passphrase (none = empty string).
pub fn to_seed(phrase: &str, passphrase: Option<&str>) -> Result<Seed, MnemonicError> {
    let m = parse(phrase)?;
    let mut bip39_seed = m.to_seed(passphrase.unwrap_or(""));
    let seed = Seed::from_bytes(hash(domain::MNEMONIC_SEED, &bip39_seed).0);
    bip39_seed.zeroize();
    Ok(seed)
}

/// The 64-byte standard BIP39 seed (for interoperability checks against other wallets).
pub fn bip39_seed(
    phrase: &str,
    passphrase: Option<&str>,
) -> Result<Zeroizing<[u8; 64]>, MnemonicError> {
    Ok(Zeroizing::new(
        parse(phrase)?.to_seed(passphrase.unwrap_or("")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn bip39_reference_vector() {
        // Trezor's reference vector: entropy 00…00, passphrase "TREZOR".
        let s = bip39_seed(ABANDON, Some("TREZOR")).unwrap();
        assert_eq!(
            hex::encode(*s),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        );
        let seed = to_seed(ABANDON, Some("TREZOR")).unwrap();
        assert_eq!(seed.as_bytes(), &hash(domain::MNEMONIC_SEED, &*s).0);
        // Pinned, and reproduced independently by crypto/tests/independent_check.py.
        assert_eq!(
            hex::encode(seed.as_bytes()),
            "511633f5b2d3ed1f66f9d19e36a1d1b78d8c40775984870f5923402eb85cab23"
        );
    }

    #[test]
    fn generate_and_errors() {
        for n in [12, 24] {
            let p = generate(n).unwrap();
            assert_eq!(p.split_whitespace().count(), n);
            validate(&p).unwrap();
            assert_ne!(*generate(n).unwrap(), *p);
        }
        assert_eq!(generate(15), Err(MnemonicError::WordCount(15)));
        assert_eq!(
            validate("abandon abandon"),
            Err(MnemonicError::WordCount(2))
        );
        let bad_word = ABANDON.replace("about", "aboot");
        assert_eq!(
            validate(&bad_word),
            Err(MnemonicError::UnknownWord {
                index: 12,
                word: "aboot".into()
            })
        );
        let bad_sum = ABANDON.replace("about", "abandon");
        assert_eq!(validate(&bad_sum), Err(MnemonicError::BadChecksum));
        assert_ne!(
            to_seed(ABANDON, None).unwrap().as_bytes(),
            to_seed(ABANDON, Some("x")).unwrap().as_bytes()
        );
    }
}
