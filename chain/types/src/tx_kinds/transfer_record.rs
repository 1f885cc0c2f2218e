//! `TransferRecord` (tag 7): give a record to another owner, its key sealed to them
//! (`specs/protocol.md` §4, TransferRecord).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::primitives::{RecordId, put_sealed_box, read_sealed_box};
use crate::{Address, Hash, SealedBox};

/// Give a record to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRecord {
    /// The record.
    pub record: RecordId,
    /// The new owner.
    pub to: Address,
    /// The record key sealed to the new owner.
    pub sealed_key: SealedBox,
}

impl Encode for TransferRecord {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.record.encode_to(out);
        self.to.encode_to(out);
        put_sealed_box(out, &self.sealed_key);
    }
}

impl Decode for TransferRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(TransferRecord {
            record: Hash::decode(r)?,
            to: Address::decode(r)?,
            sealed_key: read_sealed_box(r, l.max_sealed_key_bytes, "TransferRecord.sealed_key")?,
        })
    }
}
