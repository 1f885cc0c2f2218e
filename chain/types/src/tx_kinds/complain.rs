//! `Complain` (tag 13): the buyer of a delivered purchase complains about one of its
//! records, and the [`ComplaintReason`] it gives (`specs/protocol.md` §4.14).

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes};
use crate::primitives::PurchaseId;

/// Why a buyer complains about a delivered record (`Complain`). Encoded as one byte, the
/// variant's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintReason {
    /// Tag 0: the delivered sealed key does not open with the buyer's reply key, or the
    /// record payload does not decrypt with the key it holds.
    KeyDoesNotOpen,
    /// Tag 1: the decrypted pair does not match the miner's on-chain commitment.
    CommitmentMismatch,
    /// Tag 2: the model id or token counts do not match the miner's receipt.
    ReceiptMismatch,
    /// Tag 3: anything else (explained in the complaint's `detail`).
    Other,
}

impl ComplaintReason {
    /// Every reason, in tag order.
    pub const ALL: [ComplaintReason; 4] = [
        ComplaintReason::KeyDoesNotOpen,
        ComplaintReason::CommitmentMismatch,
        ComplaintReason::ReceiptMismatch,
        ComplaintReason::Other,
    ];

    /// The tag byte.
    #[must_use]
    pub fn tag(self) -> u8 {
        match self {
            ComplaintReason::KeyDoesNotOpen => 0,
            ComplaintReason::CommitmentMismatch => 1,
            ComplaintReason::ReceiptMismatch => 2,
            ComplaintReason::Other => 3,
        }
    }

    /// The reason's name as in JSON (`"key_does_not_open"`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ComplaintReason::KeyDoesNotOpen => "key_does_not_open",
            ComplaintReason::CommitmentMismatch => "commitment_mismatch",
            ComplaintReason::ReceiptMismatch => "receipt_mismatch",
            ComplaintReason::Other => "other",
        }
    }
}

impl Encode for ComplaintReason {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
    }
}

impl Decode for ComplaintReason {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("ComplaintReason")?;
        ComplaintReason::ALL
            .get(usize::from(tag))
            .copied()
            .ok_or(DecodeError::InvalidTag {
                type_name: "ComplaintReason",
                tag,
            })
    }
}

/// The buyer of a delivered purchase complains about one of its records. The chain records
/// the complaint and counts it in the seller's market history; it cannot check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complain {
    /// The delivered purchase.
    pub purchase: PurchaseId,
    /// Index of the record in the listing's `records`.
    pub record_index: u32,
    /// What the buyer's check found.
    pub reason: ComplaintReason,
    /// Free text (at most `limits.max_string_bytes` bytes).
    pub detail: String,
}

impl Encode for Complain {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.purchase.encode_to(out);
        self.record_index.encode_to(out);
        self.reason.encode_to(out);
        put_bytes(out, self.detail.as_bytes());
    }
}

impl Decode for Complain {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(Complain {
            purchase: Hash::decode(r)?,
            record_index: r.u32("Complain.record_index")?,
            reason: ComplaintReason::decode(r)?,
            detail: r.string(l.max_string_bytes, "Complain.detail")?,
        })
    }
}
