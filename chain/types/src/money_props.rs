//! Property tests of [`crate::money`]: nothing is created or lost. A job's settlement and
//! its royalty's walk along the lineage, and a sale's split, add up to exactly what they
//! divide.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::money::{
    LineageLink, RecordPayees, bps_of, sale_split, settle_job, split_along_lineage,
};
use crate::{Address, Amount, SaleRoyalties};

fn arb_lineage() -> impl Strategy<Value = Vec<LineageLink>> {
    vec(
        (any::<u8>(), 0u16..=10_000).prop_map(|(who, parent_share_bps)| LineageLink {
            owner: Address([who; 32]),
            parent_share_bps,
        }),
        0..5,
    )
}

fn sum(parts: &[Amount]) -> u128 {
    parts.iter().map(|a| u128::from(a.0)).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_job_settlement_conserves_the_escrow(
        price_in in 0u64..1_000_000, price_out in 0u64..1_000_000,
        max_in in 0u32..100_000, max_out in 0u32..100_000,
        used_in in 0u32..100_000, used_out in 0u32..100_000,
        royalty_bps in proptest::option::of(0u16..=10_000),
        lineage in arb_lineage(),
    ) {
        let (used_in, used_out) = (used_in.min(max_in), used_out.min(max_out));
        let (pi, po) = (Amount(price_in), Amount(price_out));
        let escrow = crate::money::job_cost(pi, po, max_in, max_out).unwrap();
        let s = settle_job(escrow, pi, po, used_in, used_out, royalty_bps).unwrap();
        prop_assert_eq!(s.cost.0 + s.refund.0, escrow.0);
        prop_assert_eq!(s.royalty.0 + s.miner_pay.0, s.cost.0);
        prop_assert_eq!(s.royalty, bps_of(s.cost, royalty_bps.unwrap_or(0)).unwrap());
        let parts = split_along_lineage(s.royalty, &lineage).unwrap();
        prop_assert_eq!(parts.len(), lineage.len());
        if !lineage.is_empty() {
            prop_assert_eq!(sum(&parts), u128::from(s.royalty.0));
        }
    }

    #[test]
    fn a_sale_split_conserves_the_price(
        price in prop_oneof![any::<u64>(), 0u64..1_000, (u64::MAX - 1_000)..=u64::MAX],
        records in vec((any::<u8>(), arb_lineage()), 1..12),
        miner_bps in 0u16..=5_000, model_owner_bps in 0u16..=5_000,
    ) {
        let payees: Vec<RecordPayees> = records
            .into_iter()
            .map(|(m, lineage)| RecordPayees { miner: Address([m; 32]), lineage })
            .collect();
        let rates = SaleRoyalties { miner_bps, model_owner_bps };
        let split = sale_split(Amount(price), &payees, rates).unwrap();
        let mut total = u128::from(split.seller.0);
        let mut shares = 0u128;
        for (record, payee) in split.records.iter().zip(&payees) {
            shares += u128::from(record.share.0);
            total += u128::from(record.miner.0) + sum(&record.lineage);
            prop_assert_eq!(record.lineage.len(), payee.lineage.len());
        }
        prop_assert_eq!(shares, u128::from(price));
        prop_assert_eq!(total, u128::from(price));
    }
}
