//! `RegisterMiner` (tag 2): register the sender as a miner, locking a bond
//! (`specs/protocol.md` §4, RegisterMiner). Its fields encode like `UpdateMiner`'s.

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes, put_list};
use crate::inference::{Attestation, Offer};
use crate::{Amount, ReplyPublicKey};

/// Register the sender as a miner, locking `bond`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterMiner {
    /// X25519 key users seal prompts to.
    pub serving_key: ReplyPublicKey,
    /// Models served and their prices.
    pub offers: Vec<Offer>,
    /// Where the miner can be reached (a libp2p multiaddr).
    pub p2p_addr: String,
    /// TEE attestation of the serving key and models.
    pub attestation: Attestation,
    /// Bond locked while registered.
    pub bond: Amount,
}

/// Encodes the fields `RegisterMiner` and `UpdateMiner` share, in their order.
pub(super) fn put_miner_fields(
    out: &mut Vec<u8>,
    serving_key: &ReplyPublicKey,
    offers: &[Offer],
    p2p_addr: &str,
    attestation: &Attestation,
    amount: &Amount,
) {
    serving_key.encode_to(out);
    put_list(out, offers);
    put_bytes(out, p2p_addr.as_bytes());
    attestation.encode_to(out);
    amount.encode_to(out);
}

/// The fields `RegisterMiner` and `UpdateMiner` share, decoded in their order.
pub(super) type MinerFields = (ReplyPublicKey, Vec<Offer>, String, Attestation, Amount);

/// Decodes the fields `RegisterMiner` and `UpdateMiner` share.
pub(super) fn read_miner_fields(r: &mut Reader<'_>) -> Result<MinerFields, DecodeError> {
    let l = *r.limits();
    Ok((
        ReplyPublicKey::decode(r)?,
        r.list(l.max_offers, Offer::ENCODED_LEN, "offers")?,
        r.string(l.max_string_bytes, "p2p_addr")?,
        Attestation::decode(r)?,
        Amount::decode(r)?,
    ))
}

impl Encode for RegisterMiner {
    fn encode_to(&self, out: &mut Vec<u8>) {
        put_miner_fields(
            out,
            &self.serving_key,
            &self.offers,
            &self.p2p_addr,
            &self.attestation,
            &self.bond,
        );
    }
}

impl Decode for RegisterMiner {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (serving_key, offers, p2p_addr, attestation, bond) = read_miner_fields(r)?;
        Ok(RegisterMiner {
            serving_key,
            offers,
            p2p_addr,
            attestation,
            bond,
        })
    }
}
