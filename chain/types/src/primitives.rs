//! Small protocol primitives: [`Height`], the id aliases, the PoW [`Target`], and the
//! canonical encodings of the crypto crate's fixed-size types and sealed boxes.

use std::fmt;
use std::str::FromStr;

use infernet_crypto::seal::SealedBox;
use infernet_crypto::{Address, Hash, ReplyPublicKey, Signature};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes};

/// A block height; genesis is height 0.
pub type Height = u64;

/// A model id: the plain (unkeyed) BLAKE3 hash of the model's weights file, as `b3sum` prints.
pub type ModelId = Hash;
/// A job id: the txid of the `SubmitJob` transaction that created the job.
pub type JobId = Hash;
/// A record id: the id of the job whose result minted the record.
pub type RecordId = Hash;
/// A listing id: the txid of the `ListRecords` transaction that created the listing.
pub type ListingId = Hash;
/// A purchase id: the txid of the `Buy` transaction that opened the purchase.
pub type PurchaseId = Hash;
/// A transaction id: `hash(TX_ID, encode(signed transaction))`.
pub type TxId = Hash;
/// A block hash: `hash(BLOCK_HEADER, encode(header))`.
pub type BlockHash = Hash;

/// A proof-of-work target: a 256-bit unsigned integer stored big-endian.
///
/// A header satisfies its target when its PoW hash, read as a big-endian 256-bit integer, is
/// at or below the target ([`Target::is_met_by`]). Bigger targets are easier; [`Target::MAX`]
/// (all bits set) accepts every hash. The difficulty rule (consensus crate) computes targets;
/// this type only stores and compares them. Encoded as its 32 raw bytes; JSON as 64 hex
/// characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target(pub [u8; 32]);

impl Target {
    /// The easiest target: every hash meets it.
    pub const MAX: Target = Target([0xff; 32]);

    /// Whether `pow_hash`, as a big-endian 256-bit integer, is at or below this target.
    #[must_use]
    pub fn is_met_by(&self, pow_hash: &Hash) -> bool {
        // Lexicographic order on big-endian bytes is numeric order.
        pow_hash.0 <= self.0
    }

    /// The target `2^(256 − leading_zero_bits) − 1`: hashes need `leading_zero_bits`
    /// leading zero bits. `0` gives [`Target::MAX`]; values ≥ 256 give the zero target.
    #[must_use]
    pub fn from_leading_zero_bits(leading_zero_bits: u32) -> Target {
        let mut bytes = [0xffu8; 32];
        let mut bits = leading_zero_bits.min(256);
        for b in &mut bytes {
            if bits >= 8 {
                *b = 0;
                bits -= 8;
            } else {
                *b = 0xff >> bits;
                break;
            }
        }
        Target(bytes)
    }

    /// The raw big-endian bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

impl FromStr for Target {
    type Err = hex::FromHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(Target(out))
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Encode for Target {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn encoded_len(&self) -> usize {
        32
    }
}

impl Decode for Target {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array("Target").map(Target)
    }
}

macro_rules! raw_codec {
    ($t:ident, $n:expr, $name:expr) => {
        impl Encode for $t {
            fn encode_to(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0);
            }
            fn encoded_len(&self) -> usize {
                $n
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.array::<$n>($name).map($t)
            }
        }
    };
}

raw_codec!(Hash, 32, "Hash");
raw_codec!(Address, 32, "Address");
raw_codec!(ReplyPublicKey, 32, "ReplyPublicKey");
raw_codec!(Signature, 64, "Signature");

/// Encodes a sealed box: its 32-byte encapsulated key, then the length-prefixed ciphertext.
pub fn put_sealed_box(out: &mut Vec<u8>, sealed: &SealedBox) {
    out.extend_from_slice(&sealed.enc);
    put_bytes(out, &sealed.ciphertext);
}

/// Decodes a sealed box whose ciphertext may be at most `max` bytes.
pub fn read_sealed_box(
    r: &mut Reader<'_>,
    max: u32,
    field: &'static str,
) -> Result<SealedBox, DecodeError> {
    let enc = r.array::<32>(field)?;
    let ciphertext = r.bytes(max, field)?;
    Ok(SealedBox { enc, ciphertext })
}

/// Serde helpers showing `Vec<u8>` as a lowercase hex string in JSON.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes bytes as lowercase hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    /// Deserializes bytes from a hex string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(deserializer)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_comparison_is_numeric() {
        let t = Target::from_leading_zero_bits(12);
        assert_eq!(&t.0[..3], &[0x00, 0x0f, 0xff]);
        assert!(t.is_met_by(&Hash([0u8; 32])));
        let mut h = [0xffu8; 32];
        h[0] = 0;
        h[1] = 0x0f;
        assert!(t.is_met_by(&Hash(h)));
        h[1] = 0x10;
        assert!(!t.is_met_by(&Hash(h)));
        assert!(Target::MAX.is_met_by(&Hash([0xff; 32])));
        assert_eq!(Target::from_leading_zero_bits(0), Target::MAX);
        assert_eq!(Target::from_leading_zero_bits(300), Target([0; 32]));
    }

    #[test]
    fn target_hex_round_trip() {
        let t = Target::from_leading_zero_bits(20);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json.len(), 66);
        assert_eq!(serde_json::from_str::<Target>(&json).unwrap(), t);
    }
}
