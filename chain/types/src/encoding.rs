//! The canonical consensus encoding: the [`Encode`] / [`Decode`] traits, the bounded
//! [`Reader`], [`DecodeLimits`] and [`DecodeError`].
//!
//! Everything that is hashed or signed is encoded with these traits, never with serde.
//! The rules (written byte by byte in `specs/encoding.md`):
//!
//! - integers are fixed-width little-endian (`u8`, `u16`, `u32`, `u64`);
//! - `bool` is one byte, `0` or `1`; any other byte is rejected;
//! - fixed-size byte arrays (hashes, addresses, keys, signatures) are written raw;
//! - variable-length byte strings, UTF-8 strings and lists are a `u32` length (bytes or
//!   items) followed by the content; the length is checked against a per-field cap *and*
//!   against the bytes left in the input before anything is allocated;
//! - `Option<T>` is a tag byte `0` (none) or `1` (some) followed by `T`;
//! - enums are a tag byte followed by the variant's fields; unknown tags are rejected;
//! - a top-level decode ([`decode_exact`]) rejects trailing bytes.
//!
//! Every byte string therefore has at most one decoding, and a value that decodes
//! re-encodes to exactly the input bytes.

use thiserror::Error;

use crate::spec::Limits;

/// Why a byte string is not the canonical encoding of the expected value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended in the middle of a value.
    #[error("input ends early while reading {field}: needed {needed} more bytes, {remaining} left")]
    UnexpectedEnd {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needed.
        needed: u64,
        /// Bytes that were left in the input.
        remaining: u64,
    },
    /// A length or count prefix exceeds the cap for its field (checked before allocating).
    #[error("{field} has length {len}, above the limit of {max}")]
    LengthTooLarge {
        /// The field whose prefix is too large.
        field: &'static str,
        /// The length or item count found in the prefix.
        len: u64,
        /// The largest length the decoding limits allow for this field.
        max: u64,
    },
    /// A boolean byte other than 0 or 1.
    #[error("{field} must be a boolean byte 0 or 1, found {byte}")]
    InvalidBool {
        /// The boolean field.
        field: &'static str,
        /// The byte found.
        byte: u8,
    },
    /// An enum or option tag that names no variant.
    #[error("unknown tag {tag} for {type_name}")]
    InvalidTag {
        /// The enum (or `Option`) being decoded.
        type_name: &'static str,
        /// The tag byte found.
        tag: u8,
    },
    /// A string field that is not valid UTF-8.
    #[error("{field} is not valid UTF-8")]
    InvalidUtf8 {
        /// The string field.
        field: &'static str,
    },
    /// A value is well-formed but not in its one canonical form.
    #[error("{field} is not canonical: {reason}")]
    NonCanonical {
        /// The field that is not canonical.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Bytes were left over after the top-level value.
    #[error("{count} trailing bytes after the encoded value")]
    TrailingBytes {
        /// Number of bytes left over.
        count: u64,
    },
}

/// Caps applied while decoding, one per variable-length field family.
///
/// [`DecodeLimits::PROTOCOL_MAX`] holds the absolute maxima of the protocol (no chain spec
/// may exceed them); [`DecodeLimits::from_limits`] derives tighter caps from a chain spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest encoded transaction, and cap for any byte string inside one.
    pub max_tx_bytes: u32,
    /// Largest encoded block, and cap on the number of transactions it may list.
    pub max_block_bytes: u32,
    /// Largest sealed prompt ciphertext in a `SubmitJob`.
    pub max_sealed_prompt_bytes: u32,
    /// Largest record payload ciphertext in a `PostResult` or a `Record`.
    pub max_payload_bytes: u32,
    /// Largest sealed record key ciphertext (a sealed 32-byte key plus its tag).
    pub max_sealed_key_bytes: u32,
    /// Largest UTF-8 string field (names, titles, descriptions, p2p addresses).
    pub max_string_bytes: u32,
    /// Largest attestation quote or evidence blob.
    pub max_attestation_bytes: u32,
    /// Most offers a miner may list.
    pub max_offers: u32,
    /// Most records in one listing (a bundle).
    pub max_bundle_records: u32,
    /// Most entries in a state queue value (jobs expiring at one height, etc.). State values
    /// are produced by the node itself; this cap only bounds what a corrupt store can make
    /// the decoder allocate.
    pub max_queue_entries: u32,
}

impl DecodeLimits {
    /// The absolute protocol maxima: no chain spec may allow more, and values read from
    /// storage are decoded under these.
    pub const PROTOCOL_MAX: DecodeLimits = DecodeLimits {
        max_tx_bytes: 4 * 1024 * 1024,
        max_block_bytes: 32 * 1024 * 1024,
        max_sealed_prompt_bytes: 1024 * 1024,
        max_payload_bytes: 4 * 1024 * 1024,
        max_sealed_key_bytes: 1024,
        max_string_bytes: 4096,
        max_attestation_bytes: 64 * 1024,
        max_offers: 256,
        max_bundle_records: 4096,
        max_queue_entries: 1 << 20,
    };

    /// Caps derived from a chain spec's limits, never above [`DecodeLimits::PROTOCOL_MAX`].
    #[must_use]
    pub fn from_limits(limits: &Limits) -> Self {
        let max = Self::PROTOCOL_MAX;
        DecodeLimits {
            max_tx_bytes: limits.max_tx_bytes.min(max.max_tx_bytes),
            max_block_bytes: limits.max_block_bytes.min(max.max_block_bytes),
            max_sealed_prompt_bytes: limits
                .max_sealed_prompt_bytes
                .min(max.max_sealed_prompt_bytes),
            max_payload_bytes: limits.max_payload_bytes.min(max.max_payload_bytes),
            max_sealed_key_bytes: max.max_sealed_key_bytes,
            max_string_bytes: limits.max_string_bytes.min(max.max_string_bytes),
            max_attestation_bytes: limits.max_attestation_bytes.min(max.max_attestation_bytes),
            max_offers: limits.max_offers.min(max.max_offers),
            max_bundle_records: limits.max_bundle_records.min(max.max_bundle_records),
            max_queue_entries: max.max_queue_entries,
        }
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::PROTOCOL_MAX
    }
}

/// A value with a canonical consensus encoding.
pub trait Encode {
    /// Appends the canonical encoding of `self` to `out`.
    fn encode_to(&self, out: &mut Vec<u8>);

    /// The canonical encoding of `self` as a new vector.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_to(&mut out);
        out
    }

    /// Length in bytes of the canonical encoding.
    fn encoded_len(&self) -> usize {
        self.encode().len()
    }
}

/// A value that can be decoded from its canonical encoding.
pub trait Decode: Sized {
    /// Reads one value from `r`, leaving the reader just after it.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// Decodes a complete value from `bytes` under `limits`, rejecting trailing bytes.
pub fn decode_exact<T: Decode>(bytes: &[u8], limits: &DecodeLimits) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes, limits);
    let value = T::decode(&mut r)?;
    r.finish()?;
    Ok(value)
}

/// A cursor over an input byte string that enforces the [`DecodeLimits`].
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: &'a DecodeLimits,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8], limits: &'a DecodeLimits) -> Self {
        Reader {
            buf,
            pos: 0,
            limits,
        }
    }

    /// The limits this reader enforces.
    #[must_use]
    pub fn limits(&self) -> &'a DecodeLimits {
        self.limits
    }

    /// Bytes not yet read.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes read so far.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless the input is fully read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes { count: n as u64 }),
        }
    }

    /// Reads exactly `n` bytes, borrowed from the input.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::UnexpectedEnd {
                field,
                needed: n as u64,
                remaining: self.remaining() as u64,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads a fixed-size byte array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// Reads a boolean byte (`0` or `1` only).
    pub fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(DecodeError::InvalidBool { field, byte }),
        }
    }

    /// Reads a `u32` length prefix and checks it against `max` and against the bytes left
    /// (each counted unit takes at least `min_unit_bytes` bytes), before anything is allocated.
    pub fn length(
        &mut self,
        max: u32,
        min_unit_bytes: usize,
        field: &'static str,
    ) -> Result<usize, DecodeError> {
        let len = self.u32(field)?;
        if len > max {
            return Err(DecodeError::LengthTooLarge {
                field,
                len: u64::from(len),
                max: u64::from(max),
            });
        }
        let len = len as usize;
        let needed = len.saturating_mul(min_unit_bytes.max(1));
        if needed > self.remaining() {
            return Err(DecodeError::UnexpectedEnd {
                field,
                needed: needed as u64,
                remaining: self.remaining() as u64,
            });
        }
        Ok(len)
    }

    /// Reads a length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: u32, field: &'static str) -> Result<Vec<u8>, DecodeError> {
        let len = self.length(max, 1, field)?;
        Ok(self.take(len, field)?.to_vec())
    }

    /// Reads a length-prefixed UTF-8 string of at most `max` bytes.
    pub fn string(&mut self, max: u32, field: &'static str) -> Result<String, DecodeError> {
        let len = self.length(max, 1, field)?;
        let raw = self.take(len, field)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(DecodeError::InvalidUtf8 { field }),
        }
    }

    /// Reads a count-prefixed list of at most `max` items, each decoded with `T::decode`.
    /// Every item must take at least `min_item_bytes` bytes of input (used to reject a count
    /// that the remaining input cannot possibly hold).
    pub fn list<T: Decode>(
        &mut self,
        max: u32,
        min_item_bytes: usize,
        field: &'static str,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.length(max, min_item_bytes, field)?;
        // Capacity is bounded by the checked count and by the input size; a peer can't make
        // us reserve more than a small multiple of what it sent.
        let mut out = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            out.push(T::decode(self)?);
        }
        Ok(out)
    }

    /// Reads an option tag: `0` → `false` (none), `1` → `true` (some).
    pub fn option_tag(&mut self, type_name: &'static str) -> Result<bool, DecodeError> {
        match self.u8(type_name)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::InvalidTag { type_name, tag }),
        }
    }
}

/// Writes a `u32` length prefix.
///
/// Lengths above `u32::MAX` can't occur for values that passed the limits; such a value would
/// be rejected by every decoder, so saturating here never produces an accepted encoding.
pub fn put_len(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
}

/// Writes a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Writes a boolean byte.
pub fn put_bool(out: &mut Vec<u8>, value: bool) {
    out.push(u8::from(value));
}

/// Writes a count-prefixed list.
pub fn put_list<T: Encode>(out: &mut Vec<u8>, items: &[T]) {
    put_len(out, items.len());
    for item in items {
        item.encode_to(out);
    }
}

/// Writes an option: tag `0`, or tag `1` followed by the value.
pub fn put_option<T: Encode>(out: &mut Vec<u8>, value: Option<&T>) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            v.encode_to(out);
        }
    }
}

macro_rules! int_codec {
    ($($t:ty => $read:ident),*) => {$(
        impl Encode for $t {
            fn encode_to(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn encoded_len(&self) -> usize {
                std::mem::size_of::<$t>()
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.$read(stringify!($t))
            }
        }
    )*};
}
int_codec!(u8 => u8, u16 => u16, u32 => u32, u64 => u64);

impl Encode for bool {
    fn encode_to(&self, out: &mut Vec<u8>) {
        put_bool(out, *self);
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.bool("bool")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: DecodeLimits = DecodeLimits::PROTOCOL_MAX;

    #[test]
    fn integers_are_little_endian() {
        assert_eq!(0x0102_0304u32.encode(), vec![4, 3, 2, 1]);
        assert_eq!(decode_exact::<u64>(&[1, 0, 0, 0, 0, 0, 0, 0], &L), Ok(1));
        assert_eq!(decode_exact::<u16>(&[0xff, 0x01], &L), Ok(0x01ff));
    }

    #[test]
    fn rejects_trailing_bytes() {
        assert_eq!(
            decode_exact::<u32>(&[0, 0, 0, 0, 9], &L),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
    }

    #[test]
    fn rejects_short_input() {
        assert!(matches!(
            decode_exact::<u64>(&[1, 2, 3], &L),
            Err(DecodeError::UnexpectedEnd {
                needed: 8,
                remaining: 3,
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_bool() {
        assert_eq!(decode_exact::<bool>(&[1], &L), Ok(true));
        assert_eq!(decode_exact::<bool>(&[0], &L), Ok(false));
        assert_eq!(
            decode_exact::<bool>(&[2], &L),
            Err(DecodeError::InvalidBool {
                field: "bool",
                byte: 2
            })
        );
    }

    #[test]
    fn oversized_length_prefix_rejected_before_allocating() {
        // u32::MAX as a length with a 2-byte body: must fail on the cap, not try to allocate.
        let input = [0xff, 0xff, 0xff, 0xff, 0xaa, 0xbb];
        let mut r = Reader::new(&input, &L);
        assert_eq!(
            r.bytes(L.max_tx_bytes, "blob"),
            Err(DecodeError::LengthTooLarge {
                field: "blob",
                len: u64::from(u32::MAX),
                max: u64::from(L.max_tx_bytes),
            })
        );
        // A length under the cap but beyond the input is also rejected before allocating.
        let input = [0x00, 0x10, 0x00, 0x00, 0xaa];
        let mut r = Reader::new(&input, &L);
        assert!(matches!(
            r.bytes(L.max_tx_bytes, "blob"),
            Err(DecodeError::UnexpectedEnd {
                needed: 4096,
                remaining: 1,
                ..
            })
        ));
        // A list count is checked against the remaining input times the item size.
        let input = [0x10, 0x00, 0x00, 0x00, 0, 0, 0, 0];
        let mut r = Reader::new(&input, &L);
        assert!(matches!(
            r.list::<u64>(1000, 8, "items"),
            Err(DecodeError::UnexpectedEnd {
                needed: 128,
                remaining: 4,
                ..
            })
        ));
    }

    #[test]
    fn rejects_non_utf8_string() {
        let input = [2, 0, 0, 0, 0xc3, 0x28];
        let mut r = Reader::new(&input, &L);
        assert_eq!(
            r.string(16, "name"),
            Err(DecodeError::InvalidUtf8 { field: "name" })
        );
        let input = [2, 0, 0, 0, b'o', b'k'];
        let mut r = Reader::new(&input, &L);
        assert_eq!(r.string(16, "name").as_deref(), Ok("ok"));
    }

    #[test]
    fn rejects_bad_option_tag() {
        let input = [2];
        let mut r = Reader::new(&input, &L);
        assert_eq!(
            r.option_tag("Option<u8>"),
            Err(DecodeError::InvalidTag {
                type_name: "Option<u8>",
                tag: 2
            })
        );
    }
}
