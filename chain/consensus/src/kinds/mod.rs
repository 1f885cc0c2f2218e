//! The rules and effects of each transaction kind, one module per kind (one per section of
//! `specs/protocol.md` §4), behind the [`TxRules`] trait.
//!
//! Adding a kind means: its struct in `infernet_types::tx_kinds`, a module here implementing
//! [`TxRules`] for it, its arm in the dispatch below (the compiler asks for it), and its
//! section in `specs/protocol.md`. The rules common to every kind (nonce, fee) run before a
//! kind's [`TxRules::apply`] (`crate::executor`).

mod buy;
mod cancel_listing;
mod complain;
mod deliver;
mod list_records;
mod miner_checks;
mod post_result;
mod rate_job;
mod register_miner;
mod register_model;
mod submit_job;
mod transfer;
mod transfer_record;
mod unregister;
mod update_miner;

use infernet_crypto::{Address, Hash};
use infernet_types::{Amount, ChainSpec, Height, Limits, TxKind};

use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;

pub use post_result::evidence_report_data;

/// What a kind's rules know about the transaction besides its kind.
#[derive(Debug, Clone, Copy)]
pub struct TxEnv<'a> {
    /// The signer (who paid the fee).
    pub sender: Address,
    /// The transaction id (the id of the job, listing or purchase it creates).
    pub txid: Hash,
    /// Height of the block the transaction is applied in.
    pub height: Height,
    /// The chain's parameters.
    pub spec: &'a ChainSpec,
}

/// One transaction kind's rules: what it takes up front, its field limits, and its checks
/// and effects on the state.
pub trait TxRules {
    /// What the transaction takes from its sender's balance besides the fee, as far as the
    /// transaction alone tells (transfer amount, bond, job escrow; zero when it depends on
    /// state, as a `Buy`'s price). The mempool uses it to keep a sender's pending
    /// transactions within its balance. Saturates at [`Amount::MAX`]: consensus refuses an
    /// overflowing transaction anyway.
    fn upfront_debit(&self) -> Amount;

    /// every variable-size field of the kind within its chain-spec limit.
    fn check_limits(&self, limits: &Limits) -> Result<(), TxError>;

    /// The kind's rules (`specs/protocol.md` §4, its section) against `state`, and its
    /// effects. Called after the common rules (nonce, fee) passed; on error the caller
    /// discards every write of the transaction.
    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError>;
}

impl TxRules for TxKind {
    fn upfront_debit(&self) -> Amount {
        match self {
            TxKind::Transfer(k) => k.upfront_debit(),
            TxKind::RegisterModel(k) => k.upfront_debit(),
            TxKind::RegisterMiner(k) => k.upfront_debit(),
            TxKind::UpdateMiner(k) => k.upfront_debit(),
            TxKind::Unregister => unregister::Unregister.upfront_debit(),
            TxKind::SubmitJob(k) => k.upfront_debit(),
            TxKind::PostResult(k) => k.upfront_debit(),
            TxKind::TransferRecord(k) => k.upfront_debit(),
            TxKind::ListRecords(k) => k.upfront_debit(),
            TxKind::CancelListing(k) => k.upfront_debit(),
            TxKind::Buy(k) => k.upfront_debit(),
            TxKind::Deliver(k) => k.upfront_debit(),
            TxKind::RateJob(k) => k.upfront_debit(),
            TxKind::Complain(k) => k.upfront_debit(),
        }
    }

    fn check_limits(&self, limits: &Limits) -> Result<(), TxError> {
        match self {
            TxKind::Transfer(k) => k.check_limits(limits),
            TxKind::RegisterModel(k) => k.check_limits(limits),
            TxKind::RegisterMiner(k) => k.check_limits(limits),
            TxKind::UpdateMiner(k) => k.check_limits(limits),
            TxKind::Unregister => unregister::Unregister.check_limits(limits),
            TxKind::SubmitJob(k) => k.check_limits(limits),
            TxKind::PostResult(k) => k.check_limits(limits),
            TxKind::TransferRecord(k) => k.check_limits(limits),
            TxKind::ListRecords(k) => k.check_limits(limits),
            TxKind::CancelListing(k) => k.check_limits(limits),
            TxKind::Buy(k) => k.check_limits(limits),
            TxKind::Deliver(k) => k.check_limits(limits),
            TxKind::RateJob(k) => k.check_limits(limits),
            TxKind::Complain(k) => k.check_limits(limits),
        }
    }

    fn apply<V: StateView + ?Sized>(
        &self,
        env: &TxEnv<'_>,
        state: &mut Executor<'_, V>,
    ) -> Result<(), TxError> {
        match self {
            TxKind::Transfer(k) => k.apply(env, state),
            TxKind::RegisterModel(k) => k.apply(env, state),
            TxKind::RegisterMiner(k) => k.apply(env, state),
            TxKind::UpdateMiner(k) => k.apply(env, state),
            TxKind::Unregister => unregister::Unregister.apply(env, state),
            TxKind::SubmitJob(k) => k.apply(env, state),
            TxKind::PostResult(k) => k.apply(env, state),
            TxKind::TransferRecord(k) => k.apply(env, state),
            TxKind::ListRecords(k) => k.apply(env, state),
            TxKind::CancelListing(k) => k.apply(env, state),
            TxKind::Buy(k) => k.apply(env, state),
            TxKind::Deliver(k) => k.apply(env, state),
            TxKind::RateJob(k) => k.apply(env, state),
            TxKind::Complain(k) => k.apply(env, state),
        }
    }
}
