//! `CancelListing` (tag 9): withdraw an open listing (`specs/protocol.md` §4, CancelListing).

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::primitives::ListingId;

/// Withdraw an open listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelListing {
    /// The listing.
    pub listing: ListingId,
}

impl Encode for CancelListing {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.listing.encode_to(out);
    }
}

impl Decode for CancelListing {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CancelListing {
            listing: Hash::decode(r)?,
        })
    }
}
