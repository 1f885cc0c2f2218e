//! Building a `ListRecords` transaction and summarising a bundle for a buyer.
//!
//! The checks here mirror the chain's rules (R-023, R-080– in
//! `specs/protocol.md`) so a seller gets a clear message before paying a fee for a
//! transaction the chain would refuse; the chain checks them again regardless.
//! [`BundleSummary`] is everything a buyer may see before paying — counts, models, token
//! totals, miners, dates — and never any content.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use infernet_crypto::{Address, Hash};
use infernet_rpc::views::{ListingStatus, ListingView, RecordView, SellerStatsView};
use infernet_types::ListRecords;
use infernet_types::{Amount, Limits, TxKind};
use serde::Serialize;

use super::MarketError;

/// What a seller asks for in `market list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingTerms {
    /// Records offered, in order (one, or a bundle).
    pub records: Vec<Hash>,
    /// Price of the whole listing.
    pub price: Amount,
    /// Last height at which it can be bought.
    pub until: u64,
    /// Short title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// Checks `terms` against the chain's `limits` at tip height `tip` and returns the
/// `ListRecords` kind. Ownership is checked separately ([`check_listable`]).
pub fn list_kind(terms: &ListingTerms, limits: &Limits, tip: u64) -> Result<TxKind, MarketError> {
    if terms.records.is_empty() {
        return Err(MarketError::NoRecords);
    }
    let mut seen = HashSet::new();
    for r in &terms.records {
        if !seen.insert(*r) {
            return Err(MarketError::RepeatedRecord { record: r.to_hex() });
        }
    }
    if terms.records.len() > limits.max_bundle_records as usize {
        return Err(MarketError::TooManyRecords {
            given: terms.records.len(),
            max: limits.max_bundle_records,
        });
    }
    for (field, text) in [("title", &terms.title), ("description", &terms.description)] {
        if text.len() > limits.max_string_bytes as usize {
            return Err(MarketError::TextTooLong {
                field,
                len: text.len(),
                max: limits.max_string_bytes,
            });
        }
    }
    // the listing is included at a height above the tip, so `until` must exceed that.
    let next = tip.saturating_add(1);
    let max = tip.saturating_add(limits.max_listing_lifetime);
    if terms.until <= next || terms.until > max {
        return Err(MarketError::BadUntil {
            until: terms.until,
            tip,
            max,
        });
    }
    Ok(TxKind::ListRecords(ListRecords {
        records: terms.records.clone(),
        price: terms.price,
        until: terms.until,
        title: terms.title.clone(),
        description: terms.description.clone(),
    }))
}

/// The default `--until`: the chain's longest listing lifetime from the tip.
#[must_use]
pub fn default_until(limits: &Limits, tip: u64) -> u64 {
    tip.saturating_add(limits.max_listing_lifetime)
}

/// Whether `listing` is live: it still holds its records (open and not lapsed, or pending a
/// purchase), as the chain's "live listing" definition says.
#[must_use]
pub fn is_live(listing: &ListingView) -> bool {
    matches!(
        listing.status,
        ListingStatus::Open | ListingStatus::Purchased
    )
}

/// Checks that `seller` owns every record of `records` (as fetched, `None` when the node
/// does not know the id) and that none is held by a live listing in `live_listings`.
pub fn check_listable(
    seller: &Address,
    ids: &[Hash],
    records: &[Option<RecordView>],
    live_listings: &[ListingView],
) -> Result<(), MarketError> {
    for (id, rec) in ids.iter().zip(records) {
        let rec = rec.as_ref().ok_or_else(|| MarketError::UnknownRecord {
            record: id.to_hex(),
        })?;
        if rec.owner.0 != seller.0 {
            return Err(MarketError::NotOwner {
                record: id.to_hex(),
                owner: Address(rec.owner.0).to_string(),
                you: seller.to_string(),
            });
        }
        if let Some(l) = live_listings
            .iter()
            .find(|l| is_live(l) && l.records.iter().any(|r| r.0 == id.0))
        {
            return Err(MarketError::AlreadyListed {
                record: id.to_hex(),
                listing: Hash(l.id.0).to_hex(),
            });
        }
    }
    Ok(())
}

/// What a buyer sees of a bundle before paying: aggregates over its records, no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleSummary {
    /// Number of records.
    pub records: usize,
    /// Records per model id (hex).
    pub models: BTreeMap<String, usize>,
    /// Distinct miners that produced the records (bech32m).
    pub miners: BTreeSet<String>,
    /// Prompt tokens over all records.
    pub input_tokens: u64,
    /// Generated tokens over all records.
    pub output_tokens: u64,
    /// Lowest mint height, if any record.
    pub first_minted: Option<u64>,
    /// Highest mint height, if any record.
    pub last_minted: Option<u64>,
}

/// Summarises `records` (the records of one listing, as fetched).
#[must_use]
pub fn summarize(records: &[RecordView]) -> BundleSummary {
    let mut s = BundleSummary {
        records: records.len(),
        models: BTreeMap::new(),
        miners: BTreeSet::new(),
        input_tokens: 0,
        output_tokens: 0,
        first_minted: None,
        last_minted: None,
    };
    for r in records {
        *s.models.entry(Hash(r.model.0).to_hex()).or_default() += 1;
        s.miners.insert(Address(r.miner.0).to_string());
        s.input_tokens += u64::from(r.input_tokens);
        s.output_tokens += u64::from(r.output_tokens);
        s.first_minted = Some(s.first_minted.map_or(r.minted_at, |m| m.min(r.minted_at)));
        s.last_minted = Some(s.last_minted.map_or(r.minted_at, |m| m.max(r.minted_at)));
    }
    s
}

/// A seller's market history as a buyer sees it: the chain's counters
/// (`state_getSellerStats`), plus the listings now waiting for the seller's delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SellerHistory {
    /// Listings created.
    pub listings: u64,
    /// Purchases delivered (sales).
    pub delivered: u64,
    /// Purchases refunded because the seller did not deliver by the deadline.
    pub refunded: u64,
    /// Listings waiting for the seller's delivery now.
    pub awaiting_delivery: u64,
    /// Listings cancelled.
    pub cancelled: u64,
    /// Complaints buyers posted on chain about the seller's deliveries.
    pub complaints: u64,
}

/// The history of a seller from the chain's `stats` and the seller's current `listings`.
#[must_use]
pub fn history(stats: &SellerStatsView, listings: &[ListingView]) -> SellerHistory {
    SellerHistory {
        listings: stats.listings,
        delivered: stats.sales,
        refunded: stats.refunded,
        awaiting_delivery: listings
            .iter()
            .filter(|l| l.status == ListingStatus::Purchased)
            .count() as u64,
        cancelled: stats.cancelled,
        complaints: stats.complaints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_rpc::views::{SamplingView, SealedBoxView};
    use infernet_rpc::{self as rpc, Bytes, H256};

    fn limits() -> Limits {
        infernet_types::ChainSpec::dev().limits
    }

    fn terms(records: Vec<Hash>) -> ListingTerms {
        ListingTerms {
            records,
            price: Amount(1_000),
            until: 50,
            title: "t".into(),
            description: "d".into(),
        }
    }

    pub(crate) fn record(id: u8, owner: [u8; 32], model: u8, miner: u8, at: u64) -> RecordView {
        RecordView {
            id: H256([id; 32]),
            owner: rpc::Address(owner),
            miner: rpc::Address([miner; 32]),
            model: H256([model; 32]),
            sealed_key: SealedBoxView {
                enc: H256([0; 32]),
                ciphertext: Bytes(vec![]),
            },
            payload: Bytes(vec![]),
            commitment: H256([0; 32]),
            input_tokens: 10,
            output_tokens: 20,
            sampling: SamplingView {
                temperature_milli: 0,
                top_p_milli: 1000,
                top_k: 0,
                seed: rpc::U64String(0),
            },
            user: rpc::Address(owner),
            request_hash: H256([0; 32]),
            minted_at: at,
            listing: None,
        }
    }

    fn listing(id: u8, records: Vec<Hash>, status: ListingStatus) -> ListingView {
        ListingView {
            id: H256([id; 32]),
            seller: rpc::Address([1; 32]),
            records: records.into_iter().map(|r| H256(r.0)).collect(),
            price: rpc::Amount(5),
            until: 100,
            title: String::new(),
            description: String::new(),
            created_at: 1,
            status,
            purchase: None,
        }
    }

    #[test]
    fn bundle_of_three_builds_list_records() {
        let ids = vec![Hash([1; 32]), Hash([2; 32]), Hash([3; 32])];
        let kind = list_kind(&terms(ids.clone()), &limits(), 10).unwrap();
        match kind {
            TxKind::ListRecords(ListRecords {
                records,
                price,
                until,
                ..
            }) => {
                assert_eq!(records, ids);
                assert_eq!(price, Amount(1_000));
                assert_eq!(until, 50);
            }
            other => panic!("unexpected kind {other:?}"),
        }
    }

    #[test]
    fn list_kind_refuses_what_the_chain_refuses() {
        let l = limits();
        assert!(matches!(
            list_kind(&terms(vec![]), &l, 10),
            Err(MarketError::NoRecords)
        ));
        assert!(matches!(
            list_kind(&terms(vec![Hash([1; 32]), Hash([1; 32])]), &l, 10),
            Err(MarketError::RepeatedRecord { .. })
        ));
        let many: Vec<Hash> = (0..=l.max_bundle_records)
            .map(|i| {
                let mut b = [0; 32];
                b[..4].copy_from_slice(&i.to_le_bytes());
                Hash(b)
            })
            .collect();
        assert!(matches!(
            list_kind(&terms(many), &l, 10),
            Err(MarketError::TooManyRecords { .. })
        ));
        let mut t = terms(vec![Hash([1; 32])]);
        t.title = "x".repeat(l.max_string_bytes as usize + 1);
        assert!(matches!(
            list_kind(&t, &l, 10),
            Err(MarketError::TextTooLong { field: "title", .. })
        ));
        let mut t = terms(vec![Hash([1; 32])]);
        t.until = 11;
        assert!(matches!(
            list_kind(&t, &l, 10),
            Err(MarketError::BadUntil { .. })
        ));
        t.until = default_until(&l, 10) + 1;
        assert!(matches!(
            list_kind(&t, &l, 10),
            Err(MarketError::BadUntil { .. })
        ));
        t.until = default_until(&l, 10);
        assert!(list_kind(&t, &l, 10).is_ok());
    }

    #[test]
    fn only_the_owner_lists_and_a_record_is_not_listed_twice() {
        let me = Address([1; 32]);
        let ids = [Hash([7; 32])];
        let mine = vec![Some(record(7, [1; 32], 3, 4, 5))];
        assert!(check_listable(&me, &ids, &mine, &[]).is_ok());
        let theirs = vec![Some(record(7, [2; 32], 3, 4, 5))];
        assert!(matches!(
            check_listable(&me, &ids, &theirs, &[]),
            Err(MarketError::NotOwner { .. })
        ));
        assert!(matches!(
            check_listable(&me, &ids, &[None], &[]),
            Err(MarketError::UnknownRecord { .. })
        ));
        let open = listing(9, vec![Hash([7; 32])], ListingStatus::Open);
        assert!(matches!(
            check_listable(&me, &ids, &mine, &[open]),
            Err(MarketError::AlreadyListed { .. })
        ));
        // A cancelled or lapsed listing no longer holds the record.
        let cancelled = listing(9, vec![Hash([7; 32])], ListingStatus::Cancelled);
        let expired = listing(10, vec![Hash([7; 32])], ListingStatus::Expired);
        assert!(check_listable(&me, &ids, &mine, &[cancelled, expired]).is_ok());
    }

    #[test]
    fn summary_counts_models_tokens_miners_and_dates() {
        let recs = vec![
            record(1, [1; 32], 3, 4, 9),
            record(2, [1; 32], 3, 5, 4),
            record(3, [1; 32], 6, 4, 7),
        ];
        let s = summarize(&recs);
        assert_eq!(s.records, 3);
        assert_eq!(s.models.get(&Hash([3; 32]).to_hex()), Some(&2));
        assert_eq!(s.models.get(&Hash([6; 32]).to_hex()), Some(&1));
        assert_eq!(s.miners.len(), 2);
        assert_eq!((s.input_tokens, s.output_tokens), (30, 60));
        assert_eq!((s.first_minted, s.last_minted), (Some(4), Some(9)));
        assert_eq!(summarize(&[]).first_minted, None);
    }

    #[test]
    fn history_takes_the_chains_counters_and_counts_pending_deliveries() {
        let ls = vec![
            listing(1, vec![], ListingStatus::Delivered),
            listing(3, vec![], ListingStatus::Purchased),
            listing(5, vec![], ListingStatus::Open),
        ];
        let stats = SellerStatsView {
            address: rpc::Address([1; 32]),
            listings: 7,
            sales: 2,
            refunded: 1,
            cancelled: 1,
            complaints: 3,
        };
        let h = history(&stats, &ls);
        assert_eq!(
            h,
            SellerHistory {
                listings: 7,
                delivered: 2,
                refunded: 1,
                awaiting_delivery: 1,
                cancelled: 1,
                complaints: 3,
            }
        );
    }
}
