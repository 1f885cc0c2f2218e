//! Addresses: a 32-byte ed25519 public key, shown to people as bech32m with HRP `inf`.
//!
//! The bech32m code (BIP 350) is implemented here rather than through a library so that
//! every way a string can fail to parse has its own [`AddressError`] variant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The human-readable part of every address.
pub const HRP: &str = "inf";

/// Length of an address string: `inf` + `1` + 52 data characters + 6 checksum characters.
pub const ADDRESS_STRING_LEN: usize = 62;

/// Longest string [`Address::from_str`] looks at (BIP 173's limit).
const MAX_STRING_LEN: usize = 90;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONST: u32 = 0x2bc8_30a3;
const GENERATOR: [u32; 5] = [
    0x3b6a_57b2,
    0x2650_8e6d,
    0x1ea1_19fa,
    0x3d42_33dd,
    0x2a14_62b3,
];

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

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> impl Iterator<Item = u8> + '_ {
    hrp.bytes()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.bytes().map(|c| c & 31))
}

/// Regroups 8-bit bytes into 5-bit groups, zero-padding the last group.
fn to_5bit(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((data.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

/// Regroups 5-bit groups into bytes; the padding must be under 5 bits and all zero.
fn from_5bit(data: &[u8]) -> Result<Vec<u8>, AddressError> {
    let mut out = Vec::with_capacity(data.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &v in data {
        acc = ((acc << 5) | u32::from(v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    if bits >= 5 || (acc << (8 - bits)) & 0xff != 0 {
        return Err(AddressError::Malformed(
            "non-zero or overlong padding".into(),
        ));
    }
    Ok(out)
}

/// bech32m encoding of `data` under `hrp` (lowercase).
pub(crate) fn encode(hrp: &str, data: &[u8]) -> String {
    let five = to_5bit(data);
    let pm = polymod(hrp_expand(hrp).chain(five.iter().copied()).chain([0u8; 6])) ^ BECH32M_CONST;
    let mut s = String::with_capacity(hrp.len() + 1 + five.len() + 6);
    s.push_str(hrp);
    s.push('1');
    for v in five {
        s.push(char::from(CHARSET[usize::from(v)]));
    }
    for i in 0..6 {
        s.push(char::from(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize]));
    }
    s
}

/// bech32m decoding: returns the lowercased HRP and the payload bytes.
///
/// Checks, in order: length and characters, case, separator, HRP, checksum, padding.
pub(crate) fn decode(s: &str) -> Result<(String, Vec<u8>), AddressError> {
    if s.len() > MAX_STRING_LEN {
        return Err(AddressError::Malformed(format!(
            "{} characters, at most {MAX_STRING_LEN} allowed",
            s.len()
        )));
    }
    if let Some(c) = s.chars().find(|c| !(' '..='~').contains(c) || *c == ' ') {
        return Err(AddressError::Malformed(format!("invalid character {c:?}")));
    }
    let has_lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = s.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return Err(AddressError::MixedCase);
    }
    let s = s.to_ascii_lowercase();
    let sep = s
        .rfind('1')
        .ok_or_else(|| AddressError::Malformed("no \"1\" separator".into()))?;
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp.is_empty() {
        return Err(AddressError::Malformed("empty prefix".into()));
    }
    if hrp != HRP {
        return Err(AddressError::WrongHrp {
            found: hrp.to_owned(),
        });
    }
    if data.len() < 6 {
        return Err(AddressError::Malformed("shorter than a checksum".into()));
    }
    let values = data
        .bytes()
        .map(|c| {
            CHARSET
                .iter()
                .position(|&x| x == c)
                .map(|p| p as u8)
                .ok_or_else(|| {
                    AddressError::Malformed(format!(
                        "{:?} is not a bech32 character",
                        char::from(c)
                    ))
                })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    if polymod(hrp_expand(hrp).chain(values.iter().copied())) != BECH32M_CONST {
        return Err(AddressError::BadChecksum);
    }
    let bytes = from_5bit(&values[..values.len() - 6])?;
    Ok((hrp.to_owned(), bytes))
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
            let lower = s.to_ascii_lowercase();
            let sep = lower.rfind('1').unwrap();
            let values: Vec<u8> = lower[sep + 1..]
                .bytes()
                .map(|c| CHARSET.iter().position(|&x| x == c).unwrap() as u8)
                .collect();
            assert_eq!(
                polymod(hrp_expand(&lower[..sep]).chain(values.iter().copied())),
                BECH32M_CONST,
                "{s}"
            );
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
