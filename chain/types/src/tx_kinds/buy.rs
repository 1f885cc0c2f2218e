//! `Buy` (tag 10): buy a listing, escrowing its price (`specs/protocol.md` §4, Buy).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::primitives::ListingId;
use crate::{Hash, ReplyPublicKey};

/// Buy a listing, escrowing its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buy {
    /// The listing bought.
    pub listing: ListingId,
    /// The buyer's X25519 key the record keys are to be sealed to.
    pub reply_key: ReplyPublicKey,
}

impl Encode for Buy {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.listing.encode_to(out);
        self.reply_key.encode_to(out);
    }
}

impl Decode for Buy {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Buy {
            listing: Hash::decode(r)?,
            reply_key: ReplyPublicKey::decode(r)?,
        })
    }
}
