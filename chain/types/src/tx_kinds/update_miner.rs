//! `UpdateMiner` (tag 3): replace the sender's miner registration, optionally adding to its
//! bond (`specs/protocol.md` §4, UpdateMiner). Encodes like `RegisterMiner`.

use serde::{Deserialize, Serialize};

use super::register_miner::{put_miner_fields, read_miner_fields};
use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::inference::{Attestation, Offer};
use crate::{Amount, ReplyPublicKey};

/// Replace the sender's miner registration, optionally adding to its bond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateMiner {
    /// New serving key.
    pub serving_key: ReplyPublicKey,
    /// New offers (replace the old ones).
    pub offers: Vec<Offer>,
    /// New p2p address.
    pub p2p_addr: String,
    /// New attestation.
    pub attestation: Attestation,
    /// Added to the bond (may be zero).
    pub bond_top_up: Amount,
}

impl Encode for UpdateMiner {
    fn encode_to(&self, out: &mut Vec<u8>) {
        put_miner_fields(
            out,
            &self.serving_key,
            &self.offers,
            &self.p2p_addr,
            &self.attestation,
            &self.bond_top_up,
        );
    }
}

impl Decode for UpdateMiner {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (serving_key, offers, p2p_addr, attestation, bond_top_up) = read_miner_fields(r)?;
        Ok(UpdateMiner {
            serving_key,
            offers,
            p2p_addr,
            attestation,
            bond_top_up,
        })
    }
}
