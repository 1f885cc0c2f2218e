//! Byte layouts of the records only storage reads: undo records, header entries, tx-index
//! entries and index keys (`specs/storage.md` §2–§4).
//!
//! Consensus objects (headers, blocks, state keys and values) are stored in their canonical
//! encodings and decoded by `infernet-types`; this module frames them.

use infernet_consensus::accumulator::ACCUMULATOR_BYTES;

/// One undo entry: a state key (canonical bytes) and its value before the block.
pub(crate) type UndoEntry = (Vec<u8>, Option<Vec<u8>>);

/// The undo record of one main-chain block (`specs/storage.md` §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UndoRecord {
    /// Every key the block changed and its previous value, in key-byte order.
    pub(crate) entries: Vec<UndoEntry>,
    /// The accumulator before the block ([`ACCUMULATOR_BYTES`] bytes).
    pub(crate) previous_accumulator: Vec<u8>,
}

/// Why stored bytes do not have the expected layout.
pub(crate) type LayoutError = &'static str;

struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LayoutError> {
        if n > self.buf.len() {
            return Err("truncated");
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, LayoutError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    fn u8(&mut self) -> Result<u8, LayoutError> {
        Ok(self.take(1)?[0])
    }

    /// A `u32le` length then that many bytes; the length is checked against what is left
    /// before anything is allocated.
    fn bytes(&mut self) -> Result<&'a [u8], LayoutError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // State keys and values are bounded by the decode limits (far below 4 GiB).
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

impl UndoRecord {
    /// The stored form.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let n = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_le_bytes());
        for (key, value) in &self.entries {
            push_bytes(&mut out, key);
            match value {
                None => out.push(0),
                Some(v) => {
                    out.push(1);
                    push_bytes(&mut out, v);
                }
            }
        }
        out.extend_from_slice(&self.previous_accumulator);
        out
    }

    /// Reads the stored form; every length is checked against the bytes left.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, LayoutError> {
        let mut c = Cursor { buf: bytes };
        let n = c.u32()? as usize;
        // Each entry takes at least 5 bytes: no count can make us allocate past the input.
        if n > c.buf.len() / 5 {
            return Err("entry count exceeds the record's size");
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let key = c.bytes()?.to_vec();
            let value = match c.u8()? {
                0 => None,
                1 => Some(c.bytes()?.to_vec()),
                _ => return Err("invalid presence tag"),
            };
            entries.push((key, value));
        }
        let acc = c.take(ACCUMULATOR_BYTES)?.to_vec();
        if !c.buf.is_empty() {
            return Err("trailing bytes");
        }
        Ok(UndoRecord {
            entries,
            previous_accumulator: acc,
        })
    }
}

/// `main_index` key of a height: big-endian so rocksdb order is height order.
pub(crate) fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// `tx_index` value: block hash ‖ u32le position.
pub(crate) fn tx_location(block: &[u8; 32], position: u32) -> [u8; 36] {
    let mut out = [0u8; 36];
    out[..32].copy_from_slice(block);
    out[32..].copy_from_slice(&position.to_le_bytes());
    out
}

/// Reads a `tx_index` value.
pub(crate) fn parse_tx_location(bytes: &[u8]) -> Result<([u8; 32], u32), LayoutError> {
    if bytes.len() != 36 {
        return Err("tx index entry is not 36 bytes");
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[..32]);
    let mut pos = [0u8; 4];
    pos.copy_from_slice(&bytes[32..]);
    Ok((hash, u32::from_le_bytes(pos)))
}

/// `record_owner` key: owner ‖ record id.
pub(crate) fn owner_key(owner: &[u8; 32], record: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(owner);
    out[32..].copy_from_slice(record);
    out
}

/// A 32-byte hash from stored bytes.
pub(crate) fn hash32(bytes: &[u8]) -> Result<[u8; 32], LayoutError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| "not a 32-byte hash")
}

/// `headers` value: cumulative work (big-endian) ‖ canonical header.
pub(crate) fn header_entry(work: [u8; 32], header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + header.len());
    out.extend_from_slice(&work);
    out.extend_from_slice(header);
    out
}

/// Splits a `headers` value into work and header bytes.
pub(crate) fn split_header_entry(bytes: &[u8]) -> Result<([u8; 32], &[u8]), LayoutError> {
    if bytes.len() < 32 {
        return Err("header entry shorter than its work prefix");
    }
    let (work, header) = bytes.split_at(32);
    Ok((hash32(work)?, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_roundtrip_and_rejects_damage() {
        let rec = UndoRecord {
            entries: vec![
                (vec![1, 2], None),
                (vec![3], Some(vec![4, 5, 6])),
                (vec![], Some(vec![])),
            ],
            previous_accumulator: vec![7u8; ACCUMULATOR_BYTES],
        };
        let bytes = rec.encode();
        assert_eq!(UndoRecord::decode(&bytes).unwrap(), rec);
        assert_eq!(
            UndoRecord::decode(&bytes[..bytes.len() - 1]),
            Err("truncated")
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(UndoRecord::decode(&long), Err("trailing bytes"));
        let mut huge = bytes;
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(UndoRecord::decode(&huge).is_err());
    }

    /// The stored form is part of schema 1 (`specs/storage.md` §4): it must not drift.
    #[test]
    fn undo_layout_is_byte_exact() {
        let rec = UndoRecord {
            entries: vec![(vec![0xaa], None), (vec![0xbb, 0xcc], Some(vec![0xdd]))],
            previous_accumulator: vec![0x11; ACCUMULATOR_BYTES],
        };
        let mut expected = vec![2, 0, 0, 0];
        expected.extend([1, 0, 0, 0, 0xaa, 0]);
        expected.extend([2, 0, 0, 0, 0xbb, 0xcc, 1, 1, 0, 0, 0, 0xdd]);
        expected.extend([0x11; ACCUMULATOR_BYTES]);
        assert_eq!(rec.encode(), expected);
        assert_eq!(height_key(0x0102), [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&tx_location(&[0; 32], 0x0102)[32..], &[2, 1, 0, 0]);
    }

    #[test]
    fn index_layouts() {
        assert!(height_key(1) < height_key(256));
        let loc = tx_location(&[9u8; 32], 7);
        assert_eq!(parse_tx_location(&loc).unwrap(), ([9u8; 32], 7));
        assert!(parse_tx_location(&loc[..35]).is_err());
        let entry = header_entry([1u8; 32], b"hdr");
        assert_eq!(
            split_header_entry(&entry).unwrap(),
            ([1u8; 32], &b"hdr"[..])
        );
        assert_eq!(&owner_key(&[1u8; 32], &[2u8; 32])[30..34], &[1, 1, 2, 2]);
    }
}
