//! The record history index (`specs/storage.md` §3): every main-chain event of a record —
//! minted, transferred, listed, listing cancelled, sold, complained about — derived from a
//! block and the state delta `apply_block` returned for it, and the byte layouts of the two
//! column families that hold it.
//!
//! `record_history`: record id ‖ height (u64 BE) ‖ position (u32 BE) → event.
//! `history_by_height`: height (u64 BE) ‖ position (u32 BE) ‖ record id → empty, so that
//! disconnecting a block finds (and deletes) its events without re-deriving them.
//!
//! The events are an index, not consensus data: the chain commits to the state, and the
//! state holds each record's current owner and listing, not its past.

use infernet_consensus::state::StateDelta;
use infernet_crypto::{Address, Hash};
use infernet_types::{
    Amount, Block, Height, ListingStatus, RecordId, StateKey, StateValue, TxId, TxKind,
};
use infernet_types::{CancelListing, Complain, Deliver, ListRecords, PostResult, TransferRecord};

use crate::error::StorageError;
use crate::records::LayoutError;

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordEventKind {
    /// Minted by `PostResult` (`from`: the miner, `to`: the job's user).
    Minted,
    /// Given away by `TransferRecord` (`from` → `to`).
    Transferred,
    /// Offered by `ListRecords` (`from`: the seller; `price`: the listing's price).
    Listed,
    /// Its listing was cancelled (`from`: the seller).
    ListingCancelled,
    /// Delivered to a buyer (`from`: the seller, `to`: the buyer, `price`: the listing's).
    Sold,
    /// The buyer filed a complaint about it (`from`: the buyer, `to`: the seller).
    Complained,
}

impl RecordEventKind {
    const ALL: [RecordEventKind; 6] = [
        RecordEventKind::Minted,
        RecordEventKind::Transferred,
        RecordEventKind::Listed,
        RecordEventKind::ListingCancelled,
        RecordEventKind::Sold,
        RecordEventKind::Complained,
    ];

    fn tag(self) -> u8 {
        match self {
            RecordEventKind::Minted => 0,
            RecordEventKind::Transferred => 1,
            RecordEventKind::Listed => 2,
            RecordEventKind::ListingCancelled => 3,
            RecordEventKind::Sold => 4,
            RecordEventKind::Complained => 5,
        }
    }
}

/// One event of a record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEvent {
    /// The record.
    pub record: RecordId,
    /// Height of the block.
    pub height: Height,
    /// Position of the transaction in the block.
    pub position: u32,
    /// The transaction.
    pub txid: TxId,
    /// What happened.
    pub kind: RecordEventKind,
    /// Where the record came from, or who acted (see the kind).
    pub from: Option<Address>,
    /// Where the record went, or the counterparty (see the kind).
    pub to: Option<Address>,
    /// The listing's price (listed, sold).
    pub price: Option<Amount>,
    /// The listing (listed, cancelled, sold, complained).
    pub listing: Option<Hash>,
    /// The purchase (sold, complained).
    pub purchase: Option<Hash>,
}

/// Length of a `record_history` key.
pub(crate) const HISTORY_KEY_LEN: usize = 32 + 8 + 4;

impl RecordEvent {
    /// The `record_history` key.
    pub(crate) fn key(&self) -> [u8; HISTORY_KEY_LEN] {
        let mut k = [0u8; HISTORY_KEY_LEN];
        k[..32].copy_from_slice(&self.record.0);
        k[32..40].copy_from_slice(&self.height.to_be_bytes());
        k[40..].copy_from_slice(&self.position.to_be_bytes());
        k
    }

    /// The `history_by_height` key.
    pub(crate) fn height_key(&self) -> [u8; HISTORY_KEY_LEN] {
        let mut k = [0u8; HISTORY_KEY_LEN];
        k[..8].copy_from_slice(&self.height.to_be_bytes());
        k[8..12].copy_from_slice(&self.position.to_be_bytes());
        k[12..].copy_from_slice(&self.record.0);
        k
    }

    /// The `record_history` value: kind ‖ txid ‖ from? ‖ to? ‖ price? (u64le) ‖ listing? ‖
    /// purchase?, each option a 0/1 byte then the value.
    pub(crate) fn encode_value(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 32 + 5 * 33);
        out.push(self.kind.tag());
        out.extend_from_slice(&self.txid.0);
        let mut opt = |bytes: Option<&[u8]>| match bytes {
            None => out.push(0),
            Some(b) => {
                out.push(1);
                out.extend_from_slice(b);
            }
        };
        opt(self.from.as_ref().map(|a| a.0.as_slice()));
        opt(self.to.as_ref().map(|a| a.0.as_slice()));
        let price = self.price.map(|p| p.0.to_le_bytes());
        opt(price.as_ref().map(<[u8; 8]>::as_slice));
        opt(self.listing.as_ref().map(|h| h.0.as_slice()));
        opt(self.purchase.as_ref().map(|h| h.0.as_slice()));
        out
    }

    /// Reads a `record_history` entry back.
    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<RecordEvent, LayoutError> {
        if key.len() != HISTORY_KEY_LEN {
            return Err("record history key is not 44 bytes");
        }
        let mut record = [0u8; 32];
        record.copy_from_slice(&key[..32]);
        let mut height = [0u8; 8];
        height.copy_from_slice(&key[32..40]);
        let mut position = [0u8; 4];
        position.copy_from_slice(&key[40..]);
        let mut rest = value;
        let mut take = |n: usize| -> Result<&[u8], LayoutError> {
            if n > rest.len() {
                return Err("record history value truncated");
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let tag = take(1)?[0];
        let kind = *RecordEventKind::ALL
            .get(usize::from(tag))
            .ok_or("unknown record event kind")?;
        let txid = Hash(hash_of(take(32)?)?);
        let mut opt = |n: usize| -> Result<Option<&[u8]>, LayoutError> {
            match take(1)?[0] {
                0 => Ok(None),
                1 => take(n).map(Some),
                _ => Err("bad option tag in record history value"),
            }
        };
        let from = opt(32)?.map(hash_of).transpose()?.map(Address::from_bytes);
        let to = opt(32)?.map(hash_of).transpose()?.map(Address::from_bytes);
        let price = opt(8)?
            .map(|b| {
                <[u8; 8]>::try_from(b)
                    .map(|b| Amount(u64::from_le_bytes(b)))
                    .map_err(|_| "bad price")
            })
            .transpose()?;
        let listing = opt(32)?.map(hash_of).transpose()?.map(Hash);
        let purchase = opt(32)?.map(hash_of).transpose()?.map(Hash);
        if !rest.is_empty() {
            return Err("trailing bytes in record history value");
        }
        Ok(RecordEvent {
            record: Hash(record),
            height: u64::from_be_bytes(height),
            position: u32::from_be_bytes(position),
            txid,
            kind,
            from,
            to,
            price,
            listing,
            purchase,
        })
    }
}

fn hash_of(bytes: &[u8]) -> Result<[u8; 32], LayoutError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| "not 32 bytes")
}

/// The records' events of `block`, derived from its transactions and the values `delta`
/// gives the state objects they changed, in block order.
pub(crate) fn events_of(
    block: &Block,
    delta: &StateDelta,
) -> Result<Vec<RecordEvent>, StorageError> {
    let block_hash = block.hash();
    let height = block.header.height;
    let mut out = Vec::new();
    for (i, stx) in block.txs.iter().enumerate() {
        let txid = stx.txid();
        let position = u32::try_from(i).unwrap_or(u32::MAX);
        let sender = stx.tx.sender;
        let missing = |what: &'static str| StorageError::DeltaIncomplete {
            block: block_hash,
            txid,
            missing: what,
        };
        let get = |key: StateKey| delta.changes.get(&key).and_then(Option::as_ref);
        let event = |record: RecordId, kind: RecordEventKind| RecordEvent {
            record,
            height,
            position,
            txid,
            kind,
            from: None,
            to: None,
            price: None,
            listing: None,
            purchase: None,
        };
        match &stx.tx.kind {
            TxKind::PostResult(PostResult { job, .. }) => {
                let Some(StateValue::Job(j)) = get(StateKey::Job(*job)) else {
                    return Err(missing("job"));
                };
                out.push(RecordEvent {
                    from: Some(sender),
                    to: Some(j.user),
                    ..event(*job, RecordEventKind::Minted)
                });
            }
            TxKind::TransferRecord(TransferRecord { record, to, .. }) => out.push(RecordEvent {
                from: Some(sender),
                to: Some(*to),
                ..event(*record, RecordEventKind::Transferred)
            }),
            TxKind::ListRecords(ListRecords { records, price, .. }) => {
                for record in records {
                    out.push(RecordEvent {
                        from: Some(sender),
                        price: Some(*price),
                        listing: Some(txid),
                        ..event(*record, RecordEventKind::Listed)
                    });
                }
            }
            TxKind::CancelListing(CancelListing { listing }) => {
                let Some(StateValue::Listing(l)) = get(StateKey::Listing(*listing)) else {
                    return Err(missing("listing"));
                };
                for record in &l.records {
                    out.push(RecordEvent {
                        from: Some(sender),
                        listing: Some(*listing),
                        ..event(*record, RecordEventKind::ListingCancelled)
                    });
                }
            }
            TxKind::Deliver(Deliver { purchase, .. }) => {
                let Some(StateValue::Purchase(p)) = get(StateKey::Purchase(*purchase)) else {
                    return Err(missing("purchase"));
                };
                let Some(StateValue::Listing(l)) = get(StateKey::Listing(p.listing)) else {
                    return Err(missing("listing"));
                };
                debug_assert!(matches!(l.status, ListingStatus::Sold { .. }));
                for record in &l.records {
                    out.push(RecordEvent {
                        from: Some(sender),
                        to: Some(p.buyer),
                        price: Some(p.escrow),
                        listing: Some(l.id),
                        purchase: Some(*purchase),
                        ..event(*record, RecordEventKind::Sold)
                    });
                }
            }
            TxKind::Complain(Complain {
                purchase,
                record_index,
                ..
            }) => {
                let Some(StateValue::Complaint(c)) =
                    get(StateKey::Complaint(*purchase, *record_index))
                else {
                    return Err(missing("complaint"));
                };
                out.push(RecordEvent {
                    from: Some(sender),
                    to: Some(c.seller),
                    listing: Some(c.listing),
                    purchase: Some(*purchase),
                    ..event(c.record, RecordEventKind::Complained)
                });
            }
            TxKind::Transfer(_)
            | TxKind::RegisterModel(_)
            | TxKind::RegisterMiner(_)
            | TxKind::UpdateMiner(_)
            | TxKind::Unregister
            | TxKind::SubmitJob(_)
            | TxKind::Buy(_)
            | TxKind::RateJob(_) => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_layout_roundtrips_and_rejects_damage() {
        let full = RecordEvent {
            record: Hash([1; 32]),
            height: 0x0102_0304_0506_0708,
            position: 9,
            txid: Hash([2; 32]),
            kind: RecordEventKind::Sold,
            from: Some(Address::from_bytes([3; 32])),
            to: Some(Address::from_bytes([4; 32])),
            price: Some(Amount(1_000)),
            listing: Some(Hash([5; 32])),
            purchase: Some(Hash([6; 32])),
        };
        let bare = RecordEvent {
            kind: RecordEventKind::Minted,
            from: None,
            to: None,
            price: None,
            listing: None,
            purchase: None,
            ..full.clone()
        };
        for e in [&full, &bare] {
            let (k, v) = (e.key(), e.encode_value());
            assert_eq!(&RecordEvent::decode(&k, &v).unwrap(), e);
            assert!(RecordEvent::decode(&k, &v[..v.len() - 1]).is_err());
            let mut longer = v.clone();
            longer.push(0);
            assert!(RecordEvent::decode(&k, &longer).is_err());
            assert!(RecordEvent::decode(&k[1..], &v).is_err());
        }
        // Key order is (record, height, position); the by-height key starts with the height.
        assert_eq!(&full.key()[32..40], &full.height.to_be_bytes());
        assert_eq!(&full.height_key()[..8], &full.height.to_be_bytes());
        assert_eq!(&full.height_key()[12..], &full.record.0);
        let mut v = full.encode_value();
        v[0] = 6;
        assert!(RecordEvent::decode(&full.key(), &v).is_err());
        assert_eq!(full.encode_value().len(), 1 + 32 + 4 * 33 + 9);
    }
}
