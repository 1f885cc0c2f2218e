//! Attestation *production*: what the daemon puts in its registration and next to each result.
//!
//! Two variants are produced today:
//! - [`AttestationMode::None`]: no attestation; jobs that require one are left to expire;
//! - [`AttestationMode::Simulated`]: for dev and test chains. The registration carries
//!   [`Attestation::report_data`] of the serving key and model ids — exactly the 32 bytes a
//!   real TEE would put in its report data — and each result carries evidence binding the
//!   serving key, the job and the result commitment
//!   ([`infernet_consensus::transition::evidence_report_data`]). An Intel TDX variant slots in
//!   by producing a quote over the same report data.
//!
//! Verification is consensus's job; this module only refuses, before anything is sent, a
//! simulated attestation on a chain whose spec does not accept one.

use std::fmt;
use std::str::FromStr;

use infernet_crypto::{Hash, ReplyPublicKey};
use infernet_types::{Attestation, AttestationEvidence, ChainSpec, JobId, ModelId};

/// Why an attestation mode cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// The chain spec refuses simulated attestations.
    #[error(
        "chain {chain_id} does not accept simulated attestations (allow_simulated_attestation \
         is false in its spec); run with --attestation none"
    )]
    SimulatedRefused {
        /// The chain's id.
        chain_id: u64,
    },
    /// An unknown `--attestation` value.
    #[error("unknown attestation mode {0:?}: expected `none` or `simulated`")]
    Unknown(String),
}

/// How the daemon attests its serving key and models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttestationMode {
    /// No attestation.
    #[default]
    None,
    /// Simulated attestation (dev and test chains only).
    Simulated,
}

impl AttestationMode {
    /// Checks that `spec` accepts this mode.
    pub fn check_allowed(self, spec: &ChainSpec) -> Result<(), AttestError> {
        match self {
            AttestationMode::Simulated if !spec.allow_simulated_attestation => {
                Err(AttestError::SimulatedRefused {
                    chain_id: spec.chain_id,
                })
            }
            _ => Ok(()),
        }
    }

    /// The attestation for a registration serving `models` under `serving_key`.
    #[must_use]
    pub fn registration(self, serving_key: &ReplyPublicKey, models: &[ModelId]) -> Attestation {
        match self {
            AttestationMode::None => Attestation::None,
            AttestationMode::Simulated => Attestation::Simulated {
                report_data: Attestation::report_data(serving_key, models),
            },
        }
    }

    /// The evidence attached to the result of `job` with plaintext commitment `commitment`.
    #[must_use]
    pub fn evidence(
        self,
        serving_key: &ReplyPublicKey,
        job: &JobId,
        commitment: &Hash,
    ) -> Option<AttestationEvidence> {
        match self {
            AttestationMode::None => None,
            AttestationMode::Simulated => Some(AttestationEvidence::Simulated {
                report_data: infernet_consensus::transition::evidence_report_data(
                    serving_key,
                    job,
                    commitment,
                ),
            }),
        }
    }

    /// Whether results carry evidence (jobs requiring attestation can be served).
    #[must_use]
    pub fn attests(self) -> bool {
        self != AttestationMode::None
    }
}

impl FromStr for AttestationMode {
    type Err = AttestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(AttestationMode::None),
            "simulated" => Ok(AttestationMode::Simulated),
            other => Err(AttestError::Unknown(other.to_owned())),
        }
    }
}

impl fmt::Display for AttestationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttestationMode::None => "none",
            AttestationMode::Simulated => "simulated",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::ReplySecret;

    #[test]
    fn simulated_registration_binds_key_and_models() {
        let key = ReplySecret::from_bytes([7; 32]).public_key();
        let models = [Hash([1; 32]), Hash([2; 32])];
        let att = AttestationMode::Simulated.registration(&key, &models);
        assert_eq!(
            att,
            Attestation::Simulated {
                report_data: Attestation::report_data(&key, &models)
            }
        );
        let other = ReplySecret::from_bytes([8; 32]).public_key();
        assert_ne!(
            att,
            AttestationMode::Simulated.registration(&other, &models)
        );
        assert_eq!(
            AttestationMode::None.registration(&key, &models),
            Attestation::None
        );
    }

    #[test]
    fn evidence_only_when_attesting() {
        let key = ReplySecret::from_bytes([7; 32]).public_key();
        assert!(
            AttestationMode::None
                .evidence(&key, &Hash([1; 32]), &Hash([2; 32]))
                .is_none()
        );
        let a = AttestationMode::Simulated.evidence(&key, &Hash([1; 32]), &Hash([2; 32]));
        let b = AttestationMode::Simulated.evidence(&key, &Hash([1; 32]), &Hash([3; 32]));
        assert!(a.is_some());
        assert_ne!(a, b, "evidence binds the commitment");
    }

    #[test]
    fn spec_may_refuse_simulated() {
        let mut spec = ChainSpec::dev();
        assert!(AttestationMode::Simulated.check_allowed(&spec).is_ok());
        spec.allow_simulated_attestation = false;
        assert!(matches!(
            AttestationMode::Simulated.check_allowed(&spec),
            Err(AttestError::SimulatedRefused { .. })
        ));
        assert!(AttestationMode::None.check_allowed(&spec).is_ok());
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(
            "simulated".parse::<AttestationMode>().unwrap(),
            AttestationMode::Simulated
        );
        assert_eq!(AttestationMode::None.to_string(), "none");
        assert!("tdx".parse::<AttestationMode>().is_err());
    }
}
