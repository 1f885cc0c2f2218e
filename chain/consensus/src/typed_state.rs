//! Typed state access: [`StateEntry`] ties each kind of state entry to its key and its
//! value type, so the state transition reads `get::<Job>(&id)` instead of matching on
//! [`StateValue`] by hand (and a value of the wrong type under a key is reported once, as
//! corrupt state).
//!
//! Domain objects ([`Account`], [`Job`], …) are their own entry types; the four height-indexed
//! queues, whose values are plain lists, have marker types ([`JobExpiries`], …).

use infernet_crypto::{Address, Hash};
use infernet_types::state::{
    Account, Complaint, Job, Listing, Miner, Model, Payout, Purchase, Record, SellerStats,
    StateKey, StateValue,
};
use infernet_types::{Height, JobId, PurchaseId};

/// A kind of state entry: how its id becomes a [`StateKey`] and how its value is wrapped in
/// and taken out of a [`StateValue`].
pub trait StateEntry {
    /// What identifies one entry (an address, an id, a height).
    type Id: Copy;
    /// The value stored under the key.
    type Value;
    /// The entry's name, for corruption reports.
    const NAME: &'static str;
    /// The key of the entry `id`.
    fn key(id: &Self::Id) -> StateKey;
    /// The typed value, or `None` when the value is of another type.
    fn from_value(value: StateValue) -> Option<Self::Value>;
    /// Wraps a typed value.
    fn into_value(value: Self::Value) -> StateValue;
}

/// An entry whose value carries its own id, so it can be stored without naming the key.
pub trait Keyed: StateEntry {
    /// The id of `value`.
    fn id_of(value: &Self::Value) -> Self::Id;
}

macro_rules! entry {
    ($entry:ty, $value:ty, $id:ty, $name:literal, $key:ident, $variant:ident) => {
        impl StateEntry for $entry {
            type Id = $id;
            type Value = $value;
            const NAME: &'static str = $name;
            fn key(id: &$id) -> StateKey {
                StateKey::$key(*id)
            }
            fn from_value(value: StateValue) -> Option<$value> {
                match value {
                    StateValue::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn into_value(value: $value) -> StateValue {
                StateValue::$variant(value)
            }
        }
    };
}

macro_rules! keyed {
    ($entry:ty, $field:ident) => {
        impl Keyed for $entry {
            fn id_of(value: &Self::Value) -> Self::Id {
                value.$field
            }
        }
    };
}

/// Marker: the jobs expiring at a height (`StateKey::JobExpiry`).
pub enum JobExpiries {}
/// Marker: the purchases whose delivery deadline is a height (`StateKey::PurchaseDeadline`).
pub enum PurchaseDeadlines {}
/// Marker: the rewards maturing at a height (`StateKey::PendingReward`).
pub enum PendingRewards {}
/// Marker: the miners whose bond is released at a height (`StateKey::Unbonding`).
pub enum Unbondings {}

entry!(Account, Account, Address, "Account", Account, Account);
entry!(Model, Model, Hash, "Model", Model, Model);
entry!(Miner, Miner, Address, "Miner", Miner, Miner);
entry!(Job, Job, JobId, "Job", Job, Job);
entry!(Record, Record, Hash, "Record", Record, Record);
entry!(Listing, Listing, Hash, "Listing", Listing, Listing);
entry!(
    Purchase, Purchase, PurchaseId, "Purchase", Purchase, Purchase
);
entry!(
    SellerStats,
    SellerStats,
    Address,
    "SellerStats",
    SellerStats,
    SellerStats
);
entry!(
    JobExpiries,
    Vec<JobId>,
    Height,
    "JobQueue",
    JobExpiry,
    JobQueue
);
entry!(
    PurchaseDeadlines,
    Vec<PurchaseId>,
    Height,
    "PurchaseQueue",
    PurchaseDeadline,
    PurchaseQueue
);
entry!(
    PendingRewards,
    Vec<Payout>,
    Height,
    "RewardQueue",
    PendingReward,
    RewardQueue
);
entry!(
    Unbondings,
    Vec<Address>,
    Height,
    "UnbondingQueue",
    Unbonding,
    UnbondingQueue
);

keyed!(Model, id);
keyed!(Miner, address);
keyed!(Job, id);
keyed!(Record, id);
keyed!(Listing, id);
keyed!(Purchase, id);

impl StateEntry for Complaint {
    type Id = (PurchaseId, u32);
    type Value = Complaint;
    const NAME: &'static str = "Complaint";
    fn key(id: &(PurchaseId, u32)) -> StateKey {
        StateKey::Complaint(id.0, id.1)
    }
    fn from_value(value: StateValue) -> Option<Complaint> {
        match value {
            StateValue::Complaint(c) => Some(c),
            _ => None,
        }
    }
    fn into_value(value: Complaint) -> StateValue {
        StateValue::Complaint(value)
    }
}

impl Keyed for Complaint {
    fn id_of(value: &Complaint) -> (PurchaseId, u32) {
        (value.purchase, value.record_index)
    }
}
