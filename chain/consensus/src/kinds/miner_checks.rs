//! Checks `RegisterMiner` and `UpdateMiner` share: the offer list (R-052..R-054), the
//! attestation and the field limits.

use std::collections::HashSet;

use infernet_crypto::{Hash, ReplyPublicKey};
use infernet_types::state::Model;
use infernet_types::{Attestation, Limits, Offer};

use super::TxEnv;
use crate::error::TxError;
use crate::executor::Executor;
use crate::state::StateView;
use crate::validate::field;

/// R-023 for the miner fields.
pub(super) fn check_miner_limits(
    offers: &[Offer],
    p2p_addr: &str,
    attestation: &Attestation,
    l: &Limits,
) -> Result<(), TxError> {
    let attestation_len = match attestation {
        Attestation::Tdx { quote } => quote.len(),
        _ => 0,
    };
    field("offers", offers.len(), l.max_offers)?;
    field("p2p_addr", p2p_addr.len(), l.max_string_bytes)?;
    field("attestation", attestation_len, l.max_attestation_bytes)
}

/// for an offer list.
pub(super) fn check_offers<V: StateView + ?Sized>(
    env: &TxEnv<'_>,
    state: &mut Executor<'_, V>,
    offers: &[Offer],
) -> Result<(), TxError> {
    if offers.is_empty() {
        return Err(TxError::BadOffers { model: Hash::ZERO });
    }
    let mut seen = HashSet::new();
    for offer in offers {
        if !seen.insert(offer.model) {
            return Err(TxError::BadOffers { model: offer.model });
        }
        if state.get::<Model>(&offer.model)?.is_none() {
            return Err(TxError::OfferUnknownModel { model: offer.model });
        }
        let max = env.spec.limits.max_output_tokens;
        if offer.max_output_tokens == 0 || offer.max_output_tokens > max {
            return Err(TxError::OfferTokenLimit {
                tokens: offer.max_output_tokens,
                max,
            });
        }
    }
    Ok(())
}

/// the registration's attestation.
pub(super) fn check_attestation(
    env: &TxEnv<'_>,
    serving_key: &ReplyPublicKey,
    offers: &[Offer],
    attestation: &Attestation,
) -> Result<(), TxError> {
    match attestation {
        Attestation::None => Ok(()),
        Attestation::Simulated { report_data } => {
            if !env.spec.allow_simulated_attestation {
                return Err(TxError::AttestationRejected {
                    reason: "this chain does not accept simulated attestations",
                });
            }
            let models: Vec<Hash> = offers.iter().map(|o| o.model).collect();
            if *report_data != Attestation::report_data(serving_key, &models) {
                return Err(TxError::AttestationRejected {
                    reason: "report data does not bind the serving key and offered models",
                });
            }
            Ok(())
        }
        Attestation::Tdx { .. } => Err(TxError::AttestationRejected {
            reason: "TDX quote verification is not supported yet",
        }),
    }
}
