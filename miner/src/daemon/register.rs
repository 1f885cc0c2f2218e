//! The registrations the daemon sends on start: `RegisterModel` for each served model the
//! chain does not know yet, then `RegisterMiner` — or `UpdateMiner` when the on-chain
//! registration differs from what the daemon now serves (serving key, offers, p2p address or
//! attestation): a stale registration.
//!
//! Building the transactions is pure; the daemon decides when to send them, with the nonce
//! and the fee rate of the chain it runs on.

use infernet_crypto::ReplyPublicKey;
use infernet_types::{
    Amount, AmountError, Attestation, Miner, ModelId, Offer, Transaction, TxKind,
};
use infernet_types::{RegisterMiner, RegisterModel, UpdateMiner};

/// What the chain needs to know about a served model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// BLAKE3 of the weights file.
    pub id: ModelId,
    /// Human-readable name (`general.name`, or the file name).
    pub name: String,
    /// Architecture (`llama`).
    pub architecture: String,
    /// Context length in tokens.
    pub context_length: u32,
}

impl ModelInfo {
    /// The `RegisterModel` for this model, with the sender as owner.
    #[must_use]
    pub fn register_kind(&self, royalty_bps: u16) -> TxKind {
        TxKind::RegisterModel(RegisterModel {
            id: self.id,
            name: self.name.clone(),
            architecture: self.architecture.clone(),
            context_length: self.context_length,
            royalty_bps,
            parent: None,
        })
    }
}

/// The miner registration the daemon wants on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// X25519 key users seal prompts to.
    pub serving_key: ReplyPublicKey,
    /// Models served and their prices.
    pub offers: Vec<Offer>,
    /// Where the miner can be reached (libp2p multiaddr).
    pub p2p_addr: String,
    /// Attestation of the serving key and models.
    pub attestation: Attestation,
}

impl Registration {
    /// Whether `on_chain` already says exactly this (nothing to send).
    #[must_use]
    pub fn is_current(&self, on_chain: &Miner) -> bool {
        on_chain.serving_key == self.serving_key
            && on_chain.offers == self.offers
            && on_chain.p2p_addr == self.p2p_addr
            && on_chain.attestation == self.attestation
            && on_chain.unbonding_at.is_none()
    }

    /// The transaction kind to send given the current on-chain registration, if any:
    /// `RegisterMiner` (locking `bond`) when there is none, `UpdateMiner` when it is stale,
    /// nothing when it is current.
    ///
    /// A registration that is unbonding is treated as stale: `UpdateMiner` is what the chain
    /// offers to go on serving, and consensus decides whether it is accepted.
    #[must_use]
    pub fn kind_for(&self, on_chain: Option<&Miner>, bond: Amount) -> Option<TxKind> {
        match on_chain {
            None => Some(TxKind::RegisterMiner(RegisterMiner {
                serving_key: self.serving_key,
                offers: self.offers.clone(),
                p2p_addr: self.p2p_addr.clone(),
                attestation: self.attestation.clone(),
                bond,
            })),
            Some(m) if self.is_current(m) => None,
            Some(_) => Some(TxKind::UpdateMiner(UpdateMiner {
                serving_key: self.serving_key,
                offers: self.offers.clone(),
                p2p_addr: self.p2p_addr.clone(),
                attestation: self.attestation.clone(),
                bond_top_up: Amount::ZERO,
            })),
        }
    }
}

/// An unsigned transaction paying exactly the minimum fee at `fee_per_byte`.
pub fn with_min_fee(
    sender: infernet_crypto::Address,
    nonce: u64,
    kind: TxKind,
    fee_per_byte: Amount,
) -> Result<Transaction, AmountError> {
    let mut tx = Transaction {
        sender,
        nonce,
        fee: Amount::ZERO,
        kind,
    };
    // The fee field has a fixed width: setting it does not change the size it is charged on.
    tx.fee = tx.min_fee(fee_per_byte)?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::{Address, Hash, ReplySecret};
    use infernet_types::Reputation;

    fn reg() -> Registration {
        Registration {
            serving_key: ReplySecret::from_bytes([3; 32]).public_key(),
            offers: vec![Offer {
                model: Hash([1; 32]),
                price_in: Amount(10),
                price_out: Amount(20),
                max_output_tokens: 64,
            }],
            p2p_addr: "/ip4/127.0.0.1/tcp/1".into(),
            attestation: Attestation::None,
        }
    }

    fn on_chain(r: &Registration) -> Miner {
        Miner {
            address: Address([9; 32]),
            serving_key: r.serving_key,
            offers: r.offers.clone(),
            p2p_addr: r.p2p_addr.clone(),
            attestation: r.attestation.clone(),
            bond: Amount(100),
            reputation: Reputation::default(),
            registered_at: 1,
            unbonding_at: None,
        }
    }

    #[test]
    fn registers_when_absent_and_skips_when_current() {
        let r = reg();
        assert!(matches!(
            r.kind_for(None, Amount(100)),
            Some(TxKind::RegisterMiner(RegisterMiner {
                bond: Amount(100),
                ..
            }))
        ));
        assert_eq!(r.kind_for(Some(&on_chain(&r)), Amount(100)), None);
    }

    #[test]
    fn updates_a_stale_registration() {
        let r = reg();
        let mut m = on_chain(&r);
        m.offers[0].price_out = Amount(21);
        assert!(matches!(
            r.kind_for(Some(&m), Amount(100)),
            Some(TxKind::UpdateMiner(_))
        ));
        let mut m = on_chain(&r);
        m.serving_key = ReplySecret::from_bytes([4; 32]).public_key();
        assert!(!r.is_current(&m));
    }

    #[test]
    fn min_fee_covers_the_signed_size() {
        let tx = with_min_fee(Address([1; 32]), 0, TxKind::Unregister, Amount(3)).unwrap();
        assert_eq!(tx.fee, Amount(3 * tx.signed_len() as u64));
    }
}
