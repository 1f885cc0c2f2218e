//! Wire-level primitive values of the JSON-RPC API and their JSON forms.
//!
//! This module owns how the API spells the protocol's basic values in JSON, so that every
//! view and every parameter agrees: 32-byte hashes and keys as 64 lowercase hex characters
//! ([`H256`]), byte strings as lowercase hex ([`Bytes`]), addresses as bech32m with the HRP
//! `inf` ([`Address`]), amounts in base units as decimal strings ([`Amount`]), 64-bit values
//! that may exceed 2^53 as decimal strings ([`U64String`]) and cumulative work as a decimal
//! string ([`Work`]). Parsing is strict: a malformed value is rejected when the request is
//! decoded, which the server reports as `-32602 Invalid params`.
//!
//! These types hold plain bytes and do not depend on the chain crates, so the client feature
//! stays light; the node converts its protocol values with the `From` impls and byte accessors.
//! Addresses are encoded and checked by `infernet-crypto` (the one bech32m implementation of
//! the workspace); this module only maps its errors onto [`ParseError`].

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The human-readable part of Infernet addresses.
pub const ADDRESS_HRP: &str = "inf";

/// Why a primitive value could not be parsed from its text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A 32-byte value did not have exactly 64 hex characters.
    #[error("expected 64 lowercase hex characters (32 bytes), got {0} characters")]
    HexLength(usize),
    /// A hex string contained something other than `0-9a-f`, or had an odd length.
    #[error("invalid hex (use lowercase 0-9a-f, an even number of characters, no 0x prefix)")]
    Hex,
    /// A hex byte string exceeded the size the API accepts.
    #[error("hex string of {len} characters exceeds the limit of {max} characters")]
    TooLong {
        /// Characters received.
        len: usize,
        /// Characters allowed.
        max: usize,
    },
    /// The address was not valid bech32m.
    #[error("invalid address: {0} (expected bech32m starting with `inf1`)")]
    Bech32(String),
    /// The address had a different human-readable part.
    #[error("address has prefix `{0}`, expected `inf`")]
    AddressHrp(String),
    /// The address did not carry exactly 32 bytes.
    #[error("address carries {0} bytes, expected 32")]
    AddressLength(usize),
    /// A decimal number was malformed or out of range.
    #[error("invalid decimal number `{0}`: use base-10 digits only, without sign or leading zeros")]
    Decimal(String),
}

/// The largest hex byte string ([`Bytes`]) accepted anywhere in a request, in characters.
///
/// Requests are also bounded by the server's body limit; this cap stops a single field from
/// being decoded into a large allocation. 2 MiB of bytes = 4 Mi hex characters.
pub const MAX_BYTES_HEX_CHARS: usize = 4 * 1024 * 1024;

fn decode_hex_lower(s: &str) -> Result<Vec<u8>, ParseError> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ParseError::Hex);
    }
    hex::decode(s).map_err(|_| ParseError::Hex)
}

/// A 32-byte value (hash, id or X25519 public key) shown as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct H256(pub [u8; 32]);

impl H256 {
    /// The all-zero value.
    pub const ZERO: H256 = H256([0u8; 32]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<[u8; 32]> for H256 {
    fn from(bytes: [u8; 32]) -> Self {
        H256(bytes)
    }
}

impl fmt::Display for H256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for H256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "H256({self})")
    }
}

impl FromStr for H256 {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.len() != 64 {
            return Err(ParseError::HexLength(s.len()));
        }
        let bytes = decode_hex_lower(s)?;
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes);
        Ok(H256(out))
    }
}

/// A byte string shown as lowercase hex, at most [`MAX_BYTES_HEX_CHARS`] characters in a request.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The raw bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes)
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl FromStr for Bytes {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.len() > MAX_BYTES_HEX_CHARS {
            return Err(ParseError::TooLong {
                len: s.len(),
                max: MAX_BYTES_HEX_CHARS,
            });
        }
        decode_hex_lower(s).map(Bytes)
    }
}

/// An account address: the 32-byte ed25519 public key, shown as bech32m with the HRP `inf`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 32]);

impl Address {
    /// The raw public-key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<[u8; 32]> for Address {
    fn from(bytes: [u8; 32]) -> Self {
        Address(bytes)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&infernet_crypto::Address(self.0).to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        // The bech32m rules live in `infernet-crypto`; the API only renames its errors.
        use infernet_crypto::AddressError;
        match s.parse::<infernet_crypto::Address>() {
            Ok(a) => Ok(Address(a.0)),
            Err(AddressError::WrongHrp { found }) => Err(ParseError::AddressHrp(found)),
            Err(AddressError::WrongLength { found }) => Err(ParseError::AddressLength(found)),
            Err(
                e @ (AddressError::BadChecksum
                | AddressError::MixedCase
                | AddressError::Malformed(_)),
            ) => Err(ParseError::Bech32(e.to_string())),
        }
    }
}

fn parse_decimal_u64(s: &str) -> Result<u64, ParseError> {
    let canonical = !s.is_empty()
        && s.len() <= 20
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err(ParseError::Decimal(truncate(s)));
    }
    s.parse::<u64>()
        .map_err(|_| ParseError::Decimal(truncate(s)))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// An amount in base units (1 INF = 10^9 base units), shown as a decimal string because it can
/// exceed 2^53.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Amount(pub u64);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Amount {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_decimal_u64(s).map(Amount)
    }
}

impl From<u64> for Amount {
    fn from(v: u64) -> Self {
        Amount(v)
    }
}

/// A 64-bit value that can exceed 2^53 (a proof-of-work nonce), shown as a decimal string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct U64String(pub u64);

impl fmt::Display for U64String {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for U64String {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_decimal_u64(s).map(U64String)
    }
}

impl From<u64> for U64String {
    fn from(v: u64) -> Self {
        U64String(v)
    }
}

/// Cumulative proof-of-work: an unsigned 256-bit integer (big-endian bytes), shown as a decimal
/// string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Work(pub [u8; 32]);

impl Work {
    /// Work from a `u128` (enough for any chain a test builds).
    pub fn from_u128(v: u128) -> Work {
        let mut out = [0u8; 32];
        out[16..].copy_from_slice(&v.to_be_bytes());
        Work(out)
    }

    /// The big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Work({self})")
    }
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ruint::aliases::U256::from_be_bytes(self.0), f)
    }
}

impl FromStr for Work {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let canonical = !s.is_empty()
            && s.len() <= 78
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !canonical {
            return Err(ParseError::Decimal(truncate(s)));
        }
        // Refuses values of 2^256 and more.
        let n = ruint::aliases::U256::from_str_radix(s, 10)
            .map_err(|_| ParseError::Decimal(truncate(s)))?;
        Ok(Work(n.to_be_bytes::<32>()))
    }
}

macro_rules! string_serde {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = Cow::<'de, str>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

string_serde!(H256, "H256", {
    "type": "string",
    "description": "32 bytes (hash, id or X25519 key) as 64 lowercase hex characters",
    "pattern": "^[0-9a-f]{64}$"
});
string_serde!(Bytes, "Bytes", {
    "type": "string",
    "description": "bytes as lowercase hex, without 0x prefix",
    "pattern": "^([0-9a-f]{2})*$"
});
string_serde!(Address, "Address", {
    "type": "string",
    "description": "account address: the ed25519 public key as bech32m with prefix `inf`",
    "pattern": "^inf1[02-9ac-hj-np-z]{58}$"
});
string_serde!(Amount, "Amount", {
    "type": "string",
    "description": "amount in base units (1 INF = 10^9) as a decimal string",
    "pattern": "^(0|[1-9][0-9]{0,19})$"
});
string_serde!(U64String, "U64String", {
    "type": "string",
    "description": "unsigned 64-bit integer as a decimal string",
    "pattern": "^(0|[1-9][0-9]{0,19})$"
});
string_serde!(Work, "Work", {
    "type": "string",
    "description": "cumulative proof-of-work (unsigned 256-bit) as a decimal string",
    "pattern": "^(0|[1-9][0-9]{0,77})$"
});

#[cfg(test)]
mod tests {
    use super::*;
    use bech32::{Bech32m, Hrp};

    #[test]
    fn h256_round_trips_and_rejects_bad_hex() {
        let h = H256([0xab; 32]);
        let s = h.to_string();
        assert_eq!(s, "ab".repeat(32));
        assert_eq!(s.parse::<H256>().unwrap(), h);
        assert_eq!("ab".parse::<H256>(), Err(ParseError::HexLength(2)));
        assert_eq!("AB".repeat(32).parse::<H256>(), Err(ParseError::Hex));
        assert_eq!("zz".repeat(32).parse::<H256>(), Err(ParseError::Hex));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<H256>(&json).unwrap(), h);
    }

    #[test]
    fn bytes_reject_odd_length_and_oversize() {
        assert_eq!("0a1".parse::<Bytes>(), Err(ParseError::Hex));
        assert_eq!("".parse::<Bytes>().unwrap(), Bytes(vec![]));
        let big = "00".repeat(MAX_BYTES_HEX_CHARS / 2 + 1);
        assert!(matches!(
            big.parse::<Bytes>(),
            Err(ParseError::TooLong { .. })
        ));
    }

    #[test]
    fn address_is_bech32m_inf() {
        let a = Address([7u8; 32]);
        let s = a.to_string();
        assert!(s.starts_with("inf1"), "{s}");
        assert_eq!(s.len(), 62);
        assert_eq!(s.parse::<Address>().unwrap(), a);
        // Wrong HRP.
        let other = bech32::encode::<Bech32m>(Hrp::parse("abc").unwrap(), &[7u8; 32]).unwrap();
        assert!(matches!(
            other.parse::<Address>(),
            Err(ParseError::AddressHrp(_))
        ));
        // Plain bech32 (not bech32m) checksum is refused.
        let legacy =
            bech32::encode::<bech32::Bech32>(Hrp::parse("inf").unwrap(), &[7u8; 32]).unwrap();
        assert!(matches!(
            legacy.parse::<Address>(),
            Err(ParseError::Bech32(_))
        ));
        // Wrong length.
        let short = bech32::encode::<Bech32m>(Hrp::parse("inf").unwrap(), &[7u8; 20]).unwrap();
        assert_eq!(short.parse::<Address>(), Err(ParseError::AddressLength(20)));
        // A flipped character breaks the checksum.
        let mut bad = s.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'q' { b'p' } else { b'q' };
        assert!(String::from_utf8(bad).unwrap().parse::<Address>().is_err());
    }

    #[test]
    fn amounts_are_canonical_decimal_strings() {
        assert_eq!(
            serde_json::to_string(&Amount(u64::MAX)).unwrap(),
            "\"18446744073709551615\""
        );
        assert_eq!(
            serde_json::from_str::<Amount>("\"42\"").unwrap(),
            Amount(42)
        );
        for bad in [
            "\"\"",
            "\"042\"",
            "\"-1\"",
            "\"18446744073709551616\"",
            "42",
            "\"1e3\"",
        ] {
            assert!(serde_json::from_str::<Amount>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn work_decimal_round_trips() {
        assert_eq!(Work::default().to_string(), "0");
        assert_eq!(
            Work::from_u128(1234567890123456789).to_string(),
            "1234567890123456789"
        );
        let max = Work([0xff; 32]);
        let s = max.to_string();
        assert_eq!(
            s,
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        assert_eq!(s.parse::<Work>().unwrap(), max);
        // 2^256 overflows.
        assert!(
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
                .parse::<Work>()
                .is_err()
        );
        assert_eq!("1000".parse::<Work>().unwrap(), Work::from_u128(1000));
    }
}
