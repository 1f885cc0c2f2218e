//! The sale split of a delivered purchase, as the chain credits it (`specs/protocol.md` §5,
//! "Sale"): with price `P` and `n` records, record `i`'s share is `floor(P / n)` (record 0
//! also gets the remainder `P mod n`); its miner gets `floor(share × miner_bps / 10000)`, the
//! model owners `floor(share × model_owner_bps / 10000)` (nothing when the model is not
//! registered), and the seller the rest of `P`. The credits sum to `P` exactly.
//!
//! The model owners' cut walks the model's fork lineage as an inference royalty does: with
//! cut `c` at a model whose parent is registered (and the lineage shorter than the chain's
//! `max_lineage_depth`), the parent's owner gets `floor(c × share_bps / 10000)` (`share_bps`
//! is the fork's share to its parent) and the model's owner keeps the rest; the walk goes on
//! from the parent with what was passed up, and the last model's owner keeps all of it.
//!
//! The wallet computes it to show a buyer and a seller what each party receives
//! (`market show`) and so tests can predict balances to the base unit. The arithmetic is
//! `infernet_types::money`, the same functions the chain applies; this module only labels
//! the credits by role.

use std::collections::BTreeMap;

use infernet_crypto::{Address, Hash};
use infernet_types::{Amount, ParentModel, SaleRoyalties, money};
use serde::Serialize;

use super::MarketError;

/// The lineage links and per-record payees of a sale are the chain's own types, so the wallet
/// computes a split exactly as consensus does.
pub use infernet_types::money::{LineageLink, RecordPayees};

/// A model as [`lineage_of`] needs it: its owner and its parent with the parent's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelNode {
    /// Owner.
    pub owner: Address,
    /// Parent model id and the share passed to it (basis points), for a fork.
    pub parent: Option<([u8; 32], u16)>,
}

/// The lineage the chain walks for a record of `model`: the model, then each registered
/// parent, stopping at an unregistered parent or after `max_depth` models (the chain's
/// `max_lineage_depth`). `lookup` returns a registered model.
pub fn lineage_of(
    model: [u8; 32],
    max_depth: u8,
    mut lookup: impl FnMut(&[u8; 32]) -> Option<ModelNode>,
) -> Vec<LineageLink> {
    let links = money::lineage(&Hash(model), max_depth, |id| {
        Ok::<_, std::convert::Infallible>(lookup(&id.0).map(|m| money::LineageNode {
            owner: m.owner,
            parent: m.parent.map(|(parent, share_bps)| ParentModel {
                model: Hash(parent),
                share_bps,
            }),
        }))
    });
    match links {
        Ok(links) => links,
        Err(never) => match never {},
    }
}

/// Why an address is credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The seller.
    Seller,
    /// A miner that produced a record.
    Miner,
    /// The owner of a record's model.
    ModelOwner,
    /// The owner of an ancestor of a record's model (a fork's parent, grandparent, …).
    ParentModelOwner,
}

/// The split of a sale: credits per (address, role), summing to the price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Credits by (address, role); an address with two roles appears twice.
    pub credits: BTreeMap<(Address, Role), Amount>,
}

impl Split {
    /// What `who` receives in all roles.
    #[must_use]
    pub fn total_for(&self, who: &Address) -> u64 {
        self.credits
            .iter()
            .filter(|((a, _), _)| a == who)
            .map(|(_, v)| v.0)
            .sum()
    }

    /// The sum of all credits (equal to the price).
    #[must_use]
    pub fn total(&self) -> u128 {
        self.credits.values().map(|v| u128::from(v.0)).sum()
    }
}

fn add(
    credits: &mut BTreeMap<(Address, Role), Amount>,
    key: (Address, Role),
    v: u64,
) -> Result<(), MarketError> {
    if v == 0 {
        return Ok(());
    }
    let e = credits.entry(key).or_insert(Amount(0));
    e.0 = e.0.checked_add(v).ok_or(MarketError::Overflow {
        what: "sale credit",
    })?;
    Ok(())
}

/// Splits `price` between `seller` and the payees of each record (in listing order).
pub fn sale_split(
    price: Amount,
    seller: Address,
    records: &[RecordPayees],
    rates: SaleRoyalties,
) -> Result<Split, MarketError> {
    let (mb, ob) = (
        u128::from(rates.miner_bps),
        u128::from(rates.model_owner_bps),
    );
    if mb + ob > 10_000 {
        return Err(MarketError::BadRates {
            miner_bps: u32::from(rates.miner_bps),
            owner_bps: u32::from(rates.model_owner_bps),
        });
    }
    let sale = money::sale_split(price, records, rates)
        .map_err(|e| MarketError::Overflow { what: e.what })?;
    let mut split = Split::default();
    for (r, part) in records.iter().zip(&sale.records) {
        add(&mut split.credits, (r.miner, Role::Miner), part.miner.0)?;
        for (j, (link, amount)) in r.lineage.iter().zip(&part.lineage).enumerate() {
            let role = if j == 0 {
                Role::ModelOwner
            } else {
                Role::ParentModelOwner
            };
            add(&mut split.credits, (link.owner, role), amount.0)?;
        }
    }
    add(&mut split.credits, (seller, Role::Seller), sale.seller.0)?;
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: SaleRoyalties = SaleRoyalties {
        miner_bps: 500,
        model_owner_bps: 500,
    };

    #[test]
    fn three_record_bundle_splits_exactly() {
        let (seller, miner, owner) = (Address([1; 32]), Address([2; 32]), Address([3; 32]));
        let payees = vec![
            RecordPayees {
                miner,
                lineage: vec![LineageLink {
                    owner,
                    parent_share_bps: 0
                }],
            };
            3
        ];
        // 1000 / 3 = 333 (record 0: 334); 5% of 334 = 16, of 333 = 16.
        let s = sale_split(Amount(1_000), seller, &payees, RATES).unwrap();
        assert_eq!(s.total_for(&miner), 48);
        assert_eq!(s.total_for(&owner), 48);
        assert_eq!(s.total_for(&seller), 1_000 - 96);
        assert_eq!(s.total(), 1_000);
    }

    #[test]
    fn an_unregistered_model_pays_its_share_to_the_seller() {
        let (seller, miner) = (Address([1; 32]), Address([2; 32]));
        let payees = [RecordPayees {
            miner,
            lineage: Vec::new(),
        }];
        let s = sale_split(Amount(10_000), seller, &payees, RATES).unwrap();
        assert_eq!(s.total_for(&miner), 500);
        assert_eq!(s.total_for(&seller), 9_500);
    }

    #[test]
    fn rates_above_one_hundred_percent_are_refused() {
        let r = SaleRoyalties {
            miner_bps: 6_000,
            model_owner_bps: 5_000,
        };
        assert!(matches!(
            sale_split(Amount(1), Address([1; 32]), &[], r),
            Err(MarketError::BadRates { .. })
        ));
    }

    /// Nothing created or lost: over many pseudo-random prices, bundle sizes, payees and
    /// rates (including `u64::MAX` prices), the credits sum to the price and the seller,
    /// as the holder of the remainder, never gets less than `P × (1 − rates)`.
    #[test]
    fn credits_always_sum_to_the_price() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..2_000 {
            let price = match round % 4 {
                0 => u64::MAX - next() % 1_000,
                1 => next() % 100,
                _ => next(),
            };
            let n = (next() % 40) as usize + usize::from(round % 7 != 0);
            let payees: Vec<RecordPayees> = (0..n)
                .map(|_| RecordPayees {
                    miner: Address([(next() % 4) as u8; 32]),
                    lineage: (0..next() % 4)
                        .map(|_| LineageLink {
                            owner: Address([(next() % 4) as u8 + 2; 32]),
                            parent_share_bps: (next() % 10_001) as u16,
                        })
                        .collect(),
                })
                .collect();
            let mb = (next() % 5_001) as u16;
            let ob = (next() % 5_001) as u16;
            let rates = SaleRoyalties {
                miner_bps: mb,
                model_owner_bps: ob,
            };
            let seller = Address([9; 32]);
            let s = sale_split(Amount(price), seller, &payees, rates).unwrap();
            assert_eq!(s.total(), u128::from(price), "round {round}");
            let seller_min =
                u128::from(price) - u128::from(price) * (u128::from(mb) + u128::from(ob)) / 10_000;
            assert!(
                u128::from(s.total_for(&seller)) >= seller_min,
                "round {round}"
            );
        }
    }

    #[test]
    fn a_forks_cut_walks_its_lineage() {
        // Model C (owner c) forks B (owner b, 30% to its parent), B forks A (owner a).
        let (seller, miner) = (Address([1; 32]), Address([2; 32]));
        let (a, b, c) = (Address([3; 32]), Address([4; 32]), Address([5; 32]));
        let models = |id: &[u8; 32]| match id[0] {
            30 => Some(ModelNode {
                owner: c,
                parent: Some(([20; 32], 5_000)),
            }),
            20 => Some(ModelNode {
                owner: b,
                parent: Some(([10; 32], 3_000)),
            }),
            10 => Some(ModelNode {
                owner: a,
                parent: None,
            }),
            _ => None,
        };
        let lineage = lineage_of([30; 32], 8, models);
        assert_eq!(lineage.len(), 3);
        let payees = [RecordPayees { miner, lineage }];
        // Model owners' cut: 5% of 100_000 = 5_000; c keeps 2_500, b 1_750, a 750.
        let s = sale_split(Amount(100_000), seller, &payees, RATES).unwrap();
        assert_eq!(s.total_for(&c), 2_500);
        assert_eq!(s.total_for(&b), 1_750);
        assert_eq!(s.total_for(&a), 750);
        assert_eq!(
            s.credits.get(&(a, Role::ParentModelOwner)),
            Some(&Amount(750))
        );
        assert_eq!(s.total_for(&miner), 5_000);
        assert_eq!(s.total(), 100_000);
        // The chain's depth limit: with 2, the walk stops at B, which keeps what A would get.
        let short = lineage_of([30; 32], 2, models);
        assert_eq!(short.len(), 2);
        let s = sale_split(
            Amount(100_000),
            seller,
            &[RecordPayees {
                miner,
                lineage: short,
            }],
            RATES,
        )
        .unwrap();
        assert_eq!(s.total_for(&b), 2_500);
        assert_eq!(s.total_for(&a), 0);
        // An unregistered parent ends the walk too.
        let orphan = lineage_of(
            [30; 32],
            8,
            |id| if id[0] == 30 { models(id) } else { None },
        );
        assert_eq!(orphan.len(), 1);
        assert!(lineage_of([99; 32], 8, models).is_empty());
    }
}
