//! The sale split of a delivered purchase, as the chain credits it (`specs/protocol.md` §5,
//! "Sale"): with price `P` and `n` records, record `i`'s share is `floor(P / n)` (record 0
//! also gets the remainder `P mod n`); its miner gets `floor(share × miner_bps / 10000)`, the
//! owner of its model `floor(share × model_owner_bps / 10000)` (nothing when the model is not
//! registered), and the seller the rest of `P`. The credits sum to `P` exactly.
//!
//! The wallet computes it to show a buyer and a seller what each party receives
//! (`market show`) and so tests can predict balances to the base unit; the chain's own
//! computation is the consensus crate's.

use std::collections::BTreeMap;

use infernet_crypto::Address;
use infernet_types::{Amount, SaleRoyalties};
use serde::Serialize;

use super::MarketError;

/// Who gets paid for one record of a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPayees {
    /// The miner that produced the record (its receipt's miner).
    pub miner: Address,
    /// The owner of the record's model, `None` when the model is not registered.
    pub model_owner: Option<Address>,
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
    let mut split = Split::default();
    let n = records.len() as u64;
    if n == 0 {
        add(&mut split.credits, (seller, Role::Seller), price.0)?;
        return Ok(split);
    }
    let p = price.0;
    let mut royalties: u64 = 0;
    for (i, r) in records.iter().enumerate() {
        let share = u128::from(p / n + if i == 0 { p % n } else { 0 });
        // share × bps / 10000 ≤ share ≤ P fits u64.
        let to_miner = u64::try_from(share * mb / 10_000).map_err(|_| MarketError::Overflow {
            what: "miner royalty",
        })?;
        add(&mut split.credits, (r.miner, Role::Miner), to_miner)?;
        royalties += to_miner;
        if let Some(owner) = r.model_owner {
            let to_owner =
                u64::try_from(share * ob / 10_000).map_err(|_| MarketError::Overflow {
                    what: "model owner royalty",
                })?;
            add(&mut split.credits, (owner, Role::ModelOwner), to_owner)?;
            royalties += to_owner;
        }
    }
    // royalties ≤ P × (mb + ob) / 10000 ≤ P.
    let rest = p.checked_sub(royalties).ok_or(MarketError::Overflow {
        what: "seller share",
    })?;
    add(&mut split.credits, (seller, Role::Seller), rest)?;
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
                model_owner: Some(owner),
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
            model_owner: None,
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
                    model_owner: (next() % 3 != 0).then(|| Address([(next() % 4) as u8 + 2; 32])),
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
}
