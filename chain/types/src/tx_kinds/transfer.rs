//! `Transfer` (tag 0): move INF from the sender to another address
//! (`specs/protocol.md` §4, Transfer).

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::{Address, Amount};

/// Move `amount` from the sender to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Recipient.
    pub to: Address,
    /// Amount moved.
    pub amount: Amount,
}

impl Encode for Transfer {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.to.encode_to(out);
        self.amount.encode_to(out);
    }
}

impl Decode for Transfer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Transfer {
            to: Address::decode(r)?,
            amount: Amount::decode(r)?,
        })
    }
}
