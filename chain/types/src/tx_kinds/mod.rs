//! The transaction kinds: [`TxKind`] and one struct per kind, each in its own module with its
//! canonical encoding (`specs/encoding.md`, layout of each kind in the order of its fields).
//!
//! The tag byte of a kind comes first, then the kind's fields. Adding a kind means: a module
//! here with its struct and its `Encode`/`Decode`, a variant of [`TxKind`] (its tag in
//! [`TxKind::tag`], its name in [`TxKind::NAMES`], a line in each codec match below), and its
//! rules in `infernet-consensus` (`src/kinds/`). Every match on [`TxKind`] in the workspace
//! is exhaustive, so the compiler lists every other place that must handle it.

mod buy;
mod cancel_listing;
mod complain;
mod deliver;
mod list_records;
mod post_result;
mod rate_job;
mod register_miner;
mod register_model;
mod submit_job;
mod transfer;
mod transfer_record;
mod update_miner;

use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader};

pub use buy::Buy;
pub use cancel_listing::CancelListing;
pub use complain::{Complain, ComplaintReason};
pub use deliver::Deliver;
pub use list_records::ListRecords;
pub use post_result::PostResult;
pub use rate_job::RateJob;
pub use register_miner::RegisterMiner;
pub use register_model::{ParentModel, RegisterModel};
pub use submit_job::SubmitJob;
pub use transfer::Transfer;
pub use transfer_record::TransferRecord;
pub use update_miner::UpdateMiner;

/// What a transaction does. The tag byte of each variant is given in its doc and in
/// `specs/encoding.md`; the JSON view is the kind's struct with a `type` field naming it.
// Boxing the large variants would make every constructor and match noisier for callers;
// the size (a few hundred bytes per value) is irrelevant next to the bytes they carry.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TxKind {
    /// Tag 0: move INF ([`Transfer`]).
    Transfer(Transfer),
    /// Tag 1: register a model owned by the sender ([`RegisterModel`]).
    RegisterModel(RegisterModel),
    /// Tag 2: register the sender as a miner, locking a bond ([`RegisterMiner`]).
    RegisterMiner(RegisterMiner),
    /// Tag 3: replace the sender's miner registration ([`UpdateMiner`]).
    UpdateMiner(UpdateMiner),
    /// Tag 4: start unregistering the sender as a miner; the bond is released after the
    /// chain spec's unbonding delay. No fields.
    Unregister,
    /// Tag 5: submit a job to a miner, escrowing its maximum cost ([`SubmitJob`]).
    SubmitJob(SubmitJob),
    /// Tag 6: the job's miner posts the result ([`PostResult`]).
    PostResult(PostResult),
    /// Tag 7: give a record to another owner ([`TransferRecord`]).
    TransferRecord(TransferRecord),
    /// Tag 8: offer one record or a bundle for sale ([`ListRecords`]).
    ListRecords(ListRecords),
    /// Tag 9: withdraw an open listing ([`CancelListing`]).
    CancelListing(CancelListing),
    /// Tag 10: buy a listing, escrowing its price ([`Buy`]).
    Buy(Buy),
    /// Tag 11: the seller delivers the record keys of a purchase ([`Deliver`]).
    Deliver(Deliver),
    /// Tag 12: the job's user rates it, once ([`RateJob`]).
    RateJob(RateJob),
    /// Tag 13: the buyer complains about a delivered record ([`Complain`],
    /// `specs/protocol.md` §4.14).
    Complain(Complain),
}

impl TxKind {
    /// Every kind's name, in tag order (the `type` field of the JSON view).
    pub const NAMES: [&'static str; 14] = [
        "transfer",
        "register_model",
        "register_miner",
        "update_miner",
        "unregister",
        "submit_job",
        "post_result",
        "transfer_record",
        "list_records",
        "cancel_listing",
        "buy",
        "deliver",
        "rate_job",
        "complain",
    ];

    /// The variant's tag byte.
    #[must_use]
    pub fn tag(&self) -> u8 {
        match self {
            TxKind::Transfer(_) => 0,
            TxKind::RegisterModel(_) => 1,
            TxKind::RegisterMiner(_) => 2,
            TxKind::UpdateMiner(_) => 3,
            TxKind::Unregister => 4,
            TxKind::SubmitJob(_) => 5,
            TxKind::PostResult(_) => 6,
            TxKind::TransferRecord(_) => 7,
            TxKind::ListRecords(_) => 8,
            TxKind::CancelListing(_) => 9,
            TxKind::Buy(_) => 10,
            TxKind::Deliver(_) => 11,
            TxKind::RateJob(_) => 12,
            TxKind::Complain(_) => 13,
        }
    }

    /// The kind's name (`"transfer"`, `"submit_job"`, …), as in the JSON view.
    #[must_use]
    pub fn name(&self) -> &'static str {
        Self::NAMES[usize::from(self.tag())]
    }
}

impl Encode for TxKind {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(self.tag());
        match self {
            TxKind::Transfer(k) => k.encode_to(out),
            TxKind::RegisterModel(k) => k.encode_to(out),
            TxKind::RegisterMiner(k) => k.encode_to(out),
            TxKind::UpdateMiner(k) => k.encode_to(out),
            TxKind::Unregister => {}
            TxKind::SubmitJob(k) => k.encode_to(out),
            TxKind::PostResult(k) => k.encode_to(out),
            TxKind::TransferRecord(k) => k.encode_to(out),
            TxKind::ListRecords(k) => k.encode_to(out),
            TxKind::CancelListing(k) => k.encode_to(out),
            TxKind::Buy(k) => k.encode_to(out),
            TxKind::Deliver(k) => k.encode_to(out),
            TxKind::RateJob(k) => k.encode_to(out),
            TxKind::Complain(k) => k.encode_to(out),
        }
    }
}

impl Decode for TxKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("TxKind")?;
        Ok(match tag {
            0 => TxKind::Transfer(Decode::decode(r)?),
            1 => TxKind::RegisterModel(Decode::decode(r)?),
            2 => TxKind::RegisterMiner(Decode::decode(r)?),
            3 => TxKind::UpdateMiner(Decode::decode(r)?),
            4 => TxKind::Unregister,
            5 => TxKind::SubmitJob(Decode::decode(r)?),
            6 => TxKind::PostResult(Decode::decode(r)?),
            7 => TxKind::TransferRecord(Decode::decode(r)?),
            8 => TxKind::ListRecords(Decode::decode(r)?),
            9 => TxKind::CancelListing(Decode::decode(r)?),
            10 => TxKind::Buy(Decode::decode(r)?),
            11 => TxKind::Deliver(Decode::decode(r)?),
            12 => TxKind::RateJob(Decode::decode(r)?),
            13 => TxKind::Complain(Decode::decode(r)?),
            tag => {
                return Err(DecodeError::InvalidTag {
                    type_name: "TxKind",
                    tag,
                });
            }
        })
    }
}
