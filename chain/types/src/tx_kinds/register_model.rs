//! `RegisterModel` (tag 1): register a model, or a fork of one, owned by the sender
//! (`specs/protocol.md` §4, RegisterModel), and the [`ParentModel`] link of a fork.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader, put_bytes, put_option};
use crate::primitives::ModelId;

/// The parent of a forked model and the share of royalties that flows up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentModel {
    /// The parent model.
    pub model: ModelId,
    /// Share of this model's royalty paid to the parent's owner, in basis points (≤ 10,000).
    pub share_bps: u16,
}

impl Encode for ParentModel {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.model.encode_to(out);
        self.share_bps.encode_to(out);
    }
}

impl Decode for ParentModel {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ParentModel {
            model: Hash::decode(r)?,
            share_bps: r.u16("ParentModel.share_bps")?,
        })
    }
}

/// Register a model owned by the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterModel {
    /// Model id: plain BLAKE3 of the weights file.
    pub id: ModelId,
    /// Human-readable name.
    pub name: String,
    /// Architecture name (e.g. `llama`).
    pub architecture: String,
    /// Context length in tokens.
    pub context_length: u32,
    /// Royalty on every job's cost, in basis points.
    pub royalty_bps: u16,
    /// For a fork: the parent model and its share of the royalty.
    pub parent: Option<ParentModel>,
}

impl Encode for RegisterModel {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.id.encode_to(out);
        put_bytes(out, self.name.as_bytes());
        put_bytes(out, self.architecture.as_bytes());
        self.context_length.encode_to(out);
        self.royalty_bps.encode_to(out);
        put_option(out, self.parent.as_ref());
    }
}

impl Decode for RegisterModel {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let l = *r.limits();
        Ok(RegisterModel {
            id: Hash::decode(r)?,
            name: r.string(l.max_string_bytes, "RegisterModel.name")?,
            architecture: r.string(l.max_string_bytes, "RegisterModel.architecture")?,
            context_length: r.u32("RegisterModel.context_length")?,
            royalty_bps: r.u16("RegisterModel.royalty_bps")?,
            parent: if r.option_tag("Option<ParentModel>")? {
                Some(ParentModel::decode(r)?)
            } else {
                None
            },
        })
    }
}
