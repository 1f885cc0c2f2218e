//! `RateJob` (tag 12): the job's user rates it, once (`specs/protocol.md` §4, RateJob).

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::primitives::JobId;

/// The job's user rates it, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateJob {
    /// The job rated.
    pub job: JobId,
    /// Score, 1 to 5.
    pub score: u8,
}

impl Encode for RateJob {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.job.encode_to(out);
        self.score.encode_to(out);
    }
}

impl Decode for RateJob {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(RateJob {
            job: Hash::decode(r)?,
            score: r.u8("RateJob.score")?,
        })
    }
}
