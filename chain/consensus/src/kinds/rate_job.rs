//! `RateJob` (`specs/protocol.md` §4, RateJob): ..R-093, then the score counts in
//! the miner's reputation.

use infernet_types::state::{JobStatus, Miner};
use infernet_types::{Amount, Limits, RateJob};

use super::{TxEnv, TxRules};
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

impl TxRules for RateJob {
    fn upfront_debit(&self) -> Amount {
        Amount::ZERO
    }

    fn check_limits(&self, _limits: &Limits) -> Result<(), TxError> {
        Ok(())
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        let (job_id, score) = (self.job, self.score);
        let mut job = state.job(&job_id)?;
        if !matches!(job.status, JobStatus::Completed { .. }) {
            return Err(TxError::JobNotCompleted { job: job_id });
        }
        if job.user != env.sender {
            return Err(TxError::NotJobUser);
        }
        if job.rating.is_some() {
            return Err(TxError::AlreadyRated { job: job_id });
        }
        if !(1..=5).contains(&score) {
            return Err(TxError::BadScore { score });
        }
        job.rating = Some(score);
        let mut miner = state
            .get::<Miner>(&job.miner)?
            .ok_or(TxError::UnknownMiner { miner: job.miner })?;
        let r = &mut miner.reputation;
        r.ratings_sum = r
            .ratings_sum
            .checked_add(u64::from(score))
            .ok_or(TxError::Overflow { what: "ratings" })?;
        r.ratings_count = r
            .ratings_count
            .checked_add(1)
            .ok_or(TxError::Overflow { what: "ratings" })?;
        state.store(miner);
        state.store(job);
        Ok(())
    }
}
