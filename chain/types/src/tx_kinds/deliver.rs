//! `Deliver` (tag 11): the seller delivers a purchase's record keys sealed to the buyer
//! (`specs/protocol.md` §4, Deliver).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_len};
use crate::primitives::{PurchaseId, put_sealed_box, read_sealed_box};
use crate::{Hash, SealedBox};

/// The seller delivers the record keys of a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    /// The purchase delivered.
    pub purchase: PurchaseId,
    /// Record keys sealed to the buyer, one per record of the listing, in order.
    pub sealed_keys: Vec<SealedBox>,
}

impl Encode for Deliver {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.purchase.encode_to(out);
        put_len(out, self.sealed_keys.len());
        for sealed in &self.sealed_keys {
            put_sealed_box(out, sealed);
        }
    }
}

impl Decode for Deliver {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        let purchase = Hash::decode(r)?;
        // Each sealed key takes at least 36 bytes (32-byte enc + 4-byte length).
        let count = r.length(l.max_bundle_records, 36, "Deliver.sealed_keys")?;
        let mut sealed_keys = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            sealed_keys.push(read_sealed_box(
                r,
                l.max_sealed_key_bytes,
                "Deliver.sealed_keys",
            )?);
        }
        Ok(Deliver {
            purchase,
            sealed_keys,
        })
    }
}
