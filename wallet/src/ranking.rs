//! Ranking miners and picking one for a job (`miners`, `prompt --miner auto`).
//!
//! A miner's reputation score is the Laplace-smoothed share of its jobs it served rather than
//! let expire, `(served + 1) / (served + expired + 2)`, scaled by its average rating (1–5,
//! 3 when unrated). `auto` picks the best score per unit of price: the highest
//! `score / (price_in + price_out + 1)` among miners that offer the model, are not unbonding and,
//! when asked, are attested; ties go to more jobs served, then to the address.

use infernet_rpc::H256;
use infernet_rpc::views::{AttestationView, MinerView, OfferView};

/// A miner with the offer considered and its score.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The miner.
    pub miner: MinerView,
    /// Its offer for the model asked for (the cheapest one when no model was given).
    pub offer: Option<OfferView>,
    /// Reputation in `[0, 1]`.
    pub reputation: f64,
}

/// Reputation in `[0, 1]` (see the module docs).
#[must_use]
pub fn reputation(m: &MinerView) -> f64 {
    let r = &m.reputation;
    let served = r.served as f64;
    let expired = r.expired as f64;
    let reliability = (served + 1.0) / (served + expired + 2.0);
    let rating = if r.ratings_count == 0 {
        3.0
    } else {
        r.ratings_sum as f64 / r.ratings_count as f64
    };
    reliability * (rating / 5.0)
}

/// Whether the miner registered an attestation.
#[must_use]
pub fn is_attested(m: &MinerView) -> bool {
    !matches!(m.attestation, AttestationView::None)
}

/// Short name of the attestation variant.
#[must_use]
pub fn attestation_name(m: &MinerView) -> &'static str {
    match m.attestation {
        AttestationView::None => "none",
        AttestationView::Simulated { .. } => "simulated",
        AttestationView::Tdx { .. } => "tdx",
    }
}

fn price_key(o: &OfferView) -> u128 {
    u128::from(o.price_in.0) + u128::from(o.price_out.0) + 1
}

/// Miners (offering `model`, if given), best first by the `auto` order.
#[must_use]
pub fn rank(miners: &[MinerView], model: Option<&H256>) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = miners
        .iter()
        .filter_map(|m| {
            let offer = match model {
                Some(id) => Some(m.offers.iter().find(|o| &o.model == id)?.clone()),
                None => m.offers.iter().min_by_key(|o| price_key(o)).cloned(),
            };
            Some(Ranked {
                miner: m.clone(),
                offer,
                reputation: reputation(m),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let value =
            |r: &Ranked| r.reputation / r.offer.as_ref().map_or(f64::MAX, |o| price_key(o) as f64);
        let unbonding = |r: &Ranked| r.miner.unbonding_at.is_some();
        unbonding(a)
            .cmp(&unbonding(b))
            .then(value(b).total_cmp(&value(a)))
            .then(b.miner.reputation.served.cmp(&a.miner.reputation.served))
            .then(a.miner.address.0.cmp(&b.miner.address.0))
    });
    out
}

/// The `auto` choice for `model`: the first of [`rank`] that is not unbonding and, when
/// `require_attestation`, is attested.
#[must_use]
pub fn pick(miners: &[MinerView], model: &H256, require_attestation: bool) -> Option<Ranked> {
    rank(miners, Some(model))
        .into_iter()
        .find(|r| r.miner.unbonding_at.is_none() && (!require_attestation || is_attested(&r.miner)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_rpc::views::ReputationView;
    use infernet_rpc::{Address, Amount};

    fn miner(byte: u8, price: u64, served: u64, expired: u64, attested: bool) -> MinerView {
        MinerView {
            address: Address([byte; 32]),
            serving_key: H256([byte; 32]),
            offers: vec![OfferView {
                model: H256([1; 32]),
                price_in: Amount(price),
                price_out: Amount(price),
                max_output_tokens: 256,
            }],
            p2p_addr: String::new(),
            attestation: if attested {
                AttestationView::Simulated {
                    report_data: H256([0; 32]),
                }
            } else {
                AttestationView::None
            },
            bond: Amount(0),
            registered_at: 0,
            unbonding_at: None,
            reputation: ReputationView {
                served,
                expired,
                ratings_sum: 0,
                ratings_count: 0,
            },
        }
    }

    #[test]
    fn reliable_cheap_miners_first() {
        let miners = vec![
            miner(1, 10, 0, 10, false),  // unreliable
            miner(2, 10, 10, 0, false),  // reliable
            miner(3, 1000, 10, 0, true), // reliable but expensive
        ];
        let order: Vec<u8> = rank(&miners, Some(&H256([1; 32])))
            .iter()
            .map(|r| r.miner.address.0[0])
            .collect();
        assert_eq!(order, [2, 1, 3]);
        assert_eq!(
            pick(&miners, &H256([1; 32]), false)
                .unwrap()
                .miner
                .address
                .0[0],
            2
        );
        assert_eq!(
            pick(&miners, &H256([1; 32]), true).unwrap().miner.address.0[0],
            3
        );
        assert!(pick(&miners, &H256([2; 32]), false).is_none());
        assert!(reputation(&miners[1]) > reputation(&miners[0]));
    }

    #[test]
    fn unbonding_miners_are_not_picked() {
        let mut m = miner(1, 1, 5, 0, false);
        m.unbonding_at = Some(9);
        assert!(pick(&[m.clone()], &H256([1; 32]), false).is_none());
        assert_eq!(rank(&[m], None).len(), 1);
    }
}
