//! `ListRecords` (tag 8): offer one record or a bundle for sale until a height
//! (`specs/protocol.md` §4, ListRecords).

use serde::{Deserialize, Serialize};

use crate::Amount;
use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes, put_list};
use crate::primitives::{Height, RecordId};

/// Offer one record or a bundle for sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRecords {
    /// The records offered (one, or a bundle).
    pub records: Vec<RecordId>,
    /// Price of the whole listing.
    pub price: Amount,
    /// Last height at which the listing can be bought.
    pub until: Height,
    /// Short title.
    pub title: String,
    /// Description.
    pub description: String,
}

impl Encode for ListRecords {
    fn encode_to(&self, out: &mut Vec<u8>) {
        put_list(out, &self.records);
        self.price.encode_to(out);
        self.until.encode_to(out);
        put_bytes(out, self.title.as_bytes());
        put_bytes(out, self.description.as_bytes());
    }
}

impl Decode for ListRecords {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(ListRecords {
            records: r.list(l.max_bundle_records, 32, "ListRecords.records")?,
            price: Amount::decode(r)?,
            until: r.u64("ListRecords.until")?,
            title: r.string(l.max_string_bytes, "ListRecords.title")?,
            description: r.string(l.max_string_bytes, "ListRecords.description")?,
        })
    }
}
