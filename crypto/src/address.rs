//! Addresses: a 32-byte ed25519 public key, shown to people as bech32m with HRP `inf`.
//!
//! The bech32m code (BIP 350) is the `bech32` crate's; this module is the one place in the
//! workspace that calls it, and it sorts the crate's errors so that every way a string can
//! fail to parse has its own [`AddressError`] variant with a message a person can act on.

use std::fmt;
use std::str::FromStr;

use bech32::Bech32m;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The human-readable part of every address.
pub const HRP: &str = "inf";

/// Length of an address string: `inf` + `1` + 52 data characters + 6 checksum characters.
pub const ADDRESS_STRING_LEN: usize = 62;

/// Longest string [`Address::from_str`] looks at (BIP 173's limit).
const MAX_STRING_LEN: usize = 90;

/// An account address: the 32-byte ed25519 public key of its owner.
///
/// `Display`, `FromStr`, `Debug` and serde all use the bech32m string (`inf1…`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 32]);

/// Why a string is not an address. Each variant names one way it can be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The part before the last `1` is not `inf`.
    #[error("wrong address prefix {found:?}: Infernet addresses start with \"inf1\"")]
    WrongHrp {
        /// The human-readable part that was found (lowercased).
        found: String,
    },
    /// The checksum does not match: a character was mistyped or the string was cut.
    #[error("address checksum does not match: check for a mistyped or missing character")]
    BadChecksum,
    /// Upper- and lowercase letters are mixed (bech32m allows one case only).
    #[error("address mixes upper and lower case letters; use one case only")]
    MixedCase,
    /// The checksum is valid but the payload is not 32 bytes.
    #[error("address carries {found} bytes, expected 32 (an ed25519 public key)")]
    WrongLength {
        /// How many bytes the address encodes.
        found: usize,
    },
    /// Not bech32 at all: no separator, a character outside the alphabet, too long, bad padding.
    #[error("not a bech32m address: {0}")]
    Malformed(String),
}

impl Address {
    /// Wraps a 32-byte ed25519 public key.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Address(bytes)
    }

    /// The public key bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The bech32m string, `inf1` followed by 58 characters.
    pub fn to_bech32(&self) -> String {
        encode(HRP, &self.0)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hrp, bytes) = decode(s)?;
        if hrp != HRP {
            return Err(AddressError::WrongHrp { found: hrp });
        }
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| AddressError::WrongLength { found: b.len() })?;
        Ok(Address(bytes))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_bech32())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// bech32m encoding of `data` under `hrp` (lowercase), through the `bech32` crate.
///
/// `hrp` is one of this crate's constants and `data` at most a few dozen bytes, so neither
/// can make the encoder fail; an empty string would only come from a broken constant.
pub(crate) fn encode(hrp: &str, data: &[u8]) -> String {
    bech32::Hrp::parse(hrp)
        .ok()
        .and_then(|hrp| bech32::encode_lower::<Bech32m>(hrp, data).ok())
        .unwrap_or_default()
}

/// bech32m decoding: returns the lowercased HRP and the payload bytes.
///
/// The `bech32` crate does the parsing and the checksum; this function only sorts its errors
/// into [`AddressError`] variants. Checks, in order: length, characters and case, separator,
/// HRP (must be [`HRP`]), checksum, padding.
pub(crate) fn decode(s: &str) -> Result<(String, Vec<u8>), AddressError> {
    use bech32::primitives::decode::{
        CharError, ChecksumError, UncheckedHrpstring, UncheckedHrpstringError,
    };

    if s.len() > MAX_STRING_LEN {
        return Err(AddressError::Malformed(format!(
            "{} characters, at most {MAX_STRING_LEN} allowed",
            s.len()
        )));
    }
    let unchecked = UncheckedHrpstring::new(s).map_err(|e| match e {
        UncheckedHrpstringError::Char(CharError::MixedCase) => AddressError::MixedCase,
        other => AddressError::Malformed(other.to_string()),
    })?;
    let hrp = unchecked.hrp().to_lowercase();
    if hrp != HRP {
        return Err(AddressError::WrongHrp { found: hrp });
    }
    let checked = unchecked
        .validate_and_remove_checksum::<Bech32m>()
        .map_err(|e| match e {
            ChecksumError::InvalidResidue => AddressError::BadChecksum,
            other => AddressError::Malformed(other.to_string()),
        })?;
    // The payload has no witness version, so the segwit padding rule (at most 4 zero bits)
    // is exactly the rule for the whole data part.
    checked
        .validate_segwit_padding()
        .map_err(|_| AddressError::Malformed("non-zero or overlong padding".into()))?;
    Ok((hrp, checked.byte_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip350_valid_vectors_have_valid_checksums() {
        // Valid bech32m strings from BIP 350.
        for s in [
            "A1LQFN3A",
            "a1lqfn3a",
            "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
            "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
            "?1v759aa",
        ] {
            let parsed = bech32::primitives::decode::UncheckedHrpstring::new(s).unwrap();
            assert!(parsed.has_valid_checksum::<Bech32m>(), "{s}");
        }
    }

    #[test]
    fn roundtrip_and_length() {
        let a = Address([7u8; 32]);
        let s = a.to_string();
        assert!(s.starts_with("inf1"));
        assert_eq!(s.len(), ADDRESS_STRING_LEN);
        assert_eq!(s.parse::<Address>().unwrap(), a);
        assert_eq!(s.to_ascii_uppercase().parse::<Address>().unwrap(), a);
        assert_eq!(format!("{a:?}"), format!("Address({s})"));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    }

    #[test]
    fn each_error_has_its_variant() {
        let s = Address([9u8; 32]).to_string();
        // Wrong HRP with a valid checksum.
        let other = encode("bc", &[9u8; 32]);
        assert_eq!(
            other.parse::<Address>(),
            Err(AddressError::WrongHrp { found: "bc".into() })
        );
        // Bad checksum: change one data character.
        let mut bad = s.clone().into_bytes();
        let i = 10;
        bad[i] = if bad[i] == b'q' { b'p' } else { b'q' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(bad.parse::<Address>(), Err(AddressError::BadChecksum));
        // Mixed case.
        let mixed = format!("INF1{}", &s[4..]);
        assert_eq!(mixed.parse::<Address>(), Err(AddressError::MixedCase));
        // Wrong length with a valid checksum.
        let short = encode(HRP, &[1u8; 20]);
        assert_eq!(
            short.parse::<Address>(),
            Err(AddressError::WrongLength { found: 20 })
        );
        let long = encode(HRP, &[1u8; 33]);
        assert_eq!(
            long.parse::<Address>(),
            Err(AddressError::WrongLength { found: 33 })
        );
        // Malformed.
        assert!(matches!(
            "inf".parse::<Address>(),
            Err(AddressError::Malformed(_))
        ));
        assert!(matches!(
            "inf1bbbbbbbbbb".parse::<Address>(),
            Err(AddressError::Malformed(_))
        ));
        // A bech32 (not bech32m) checksum is rejected as a bad checksum.
        assert_eq!(
            "a12uel5l".parse::<Address>(),
            Err(AddressError::WrongHrp { found: "a".into() })
        );
    }
}
