//! Serde helpers: fixed-size byte arrays and byte vectors as lowercase hex strings.

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes a byte slice as a lowercase hex string.
pub(crate) fn serialize<S: Serializer>(bytes: impl AsRef<[u8]>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

/// Deserializes a fixed-size array from a hex string of exactly `2 * N` characters.
pub(crate) fn deserialize_array<'de, D: Deserializer<'de>, const N: usize>(
    d: D,
) -> Result<[u8; N], D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    let mut out = [0u8; N];
    hex::decode_to_slice(s.as_bytes(), &mut out)
        .map_err(|e| serde::de::Error::custom(format!("expected {} hex characters: {e}", 2 * N)))?;
    Ok(out)
}

/// Deserializes a byte vector from a hex string.
pub(crate) fn deserialize_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    hex::decode(s.as_bytes()).map_err(|e| serde::de::Error::custom(format!("invalid hex: {e}")))
}
