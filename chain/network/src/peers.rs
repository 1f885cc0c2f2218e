//! Misbehaviour accounting: penalty points per peer, bans with an expiry, and the admin
//! block list. Pure bookkeeping, driven by the event loop, with the clock passed in.
//!
//! Every map here is bounded by [`PeerPolicy::max_tracked`]: when full, the entry whose last
//! offence is oldest is forgotten first.

use std::{
    collections::{HashMap, HashSet},
    time::Instant,
};

use libp2p::PeerId;

use crate::config::PeerPolicy;

/// A kind of misbehaviour, each with its penalty from [`PeerPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offence {
    /// A gossip block the node judged invalid.
    InvalidBlock,
    /// A gossip transaction the node judged invalid.
    InvalidTx,
    /// An oversized or undecodable sync message.
    BadSyncMessage,
    /// The peer is on another chain (identify's protocol version differs): useless to us,
    /// so it is banned at once rather than redialed forever.
    WrongChain,
}

/// What the event loop must do after an offence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep the peer; its points are below the threshold.
    Keep {
        /// The peer's points now.
        points: u32,
    },
    /// Ban it: disconnect and refuse it until the ban expires.
    Ban,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    points: u32,
    last: Instant,
}

/// Penalty points, timed bans and admin blocks.
#[derive(Debug)]
pub(crate) struct PeerBook {
    policy: PeerPolicy,
    records: HashMap<PeerId, Record>,
    /// Peers banned for misbehaviour, with the ban's expiry.
    bans: HashMap<PeerId, Instant>,
    /// Peers blocked by an operator (no expiry).
    blocked: HashSet<PeerId>,
}

impl PeerBook {
    pub(crate) fn new(policy: PeerPolicy) -> Self {
        Self {
            policy,
            records: HashMap::new(),
            bans: HashMap::new(),
            blocked: HashSet::new(),
        }
    }

    /// Adds the offence's points to `peer`.
    pub(crate) fn offend(&mut self, peer: PeerId, offence: Offence, now: Instant) -> Verdict {
        let add = match offence {
            Offence::InvalidBlock => self.policy.invalid_block,
            Offence::InvalidTx => self.policy.invalid_tx,
            Offence::BadSyncMessage => self.policy.bad_sync_message,
            Offence::WrongChain => self.policy.ban_threshold,
        };
        if !self.records.contains_key(&peer) {
            evict_oldest(&mut self.records, self.policy.max_tracked, |r| r.last);
        }
        let record = self.records.entry(peer).or_insert(Record {
            points: 0,
            last: now,
        });
        record.points = record.points.saturating_add(add);
        record.last = now;
        if record.points >= self.policy.ban_threshold {
            self.records.remove(&peer);
            if !self.bans.contains_key(&peer) {
                evict_oldest(&mut self.bans, self.policy.max_tracked, |expiry| *expiry);
            }
            self.bans.insert(peer, now + self.policy.ban_duration);
            Verdict::Ban
        } else {
            Verdict::Keep {
                points: record.points,
            }
        }
    }

    /// The peer's current penalty points (0 when unknown or banned).
    pub(crate) fn points(&self, peer: &PeerId) -> u32 {
        self.records.get(peer).map_or(0, |r| r.points)
    }

    /// Whether the peer is banned or blocked.
    pub(crate) fn is_refused(&self, peer: &PeerId) -> bool {
        self.bans.contains_key(peer) || self.blocked.contains(peer)
    }

    /// Blocks a peer until [`Self::unblock`]. Returns whether it was newly blocked.
    pub(crate) fn block(&mut self, peer: PeerId) -> bool {
        if self.blocked.contains(&peer) {
            return false;
        }
        if self.blocked.len() >= self.policy.max_tracked {
            // An operator list this long is a mistake; refuse rather than grow without end.
            return false;
        }
        self.blocked.insert(peer)
    }

    /// Lifts an admin block and any ban. Returns whether the peer was refused before.
    pub(crate) fn unblock(&mut self, peer: &PeerId) -> bool {
        let blocked = self.blocked.remove(peer);
        let banned = self.bans.remove(peer).is_some();
        self.records.remove(peer);
        blocked || banned
    }

    /// Forgets stale penalty points and returns the peers whose ban expired (to be
    /// unblocked in the swarm unless an operator also blocked them).
    pub(crate) fn sweep(&mut self, now: Instant) -> Vec<PeerId> {
        let forget = self.policy.forget_after;
        self.records
            .retain(|_, r| now.saturating_duration_since(r.last) < forget);
        let expired: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, expiry)| **expiry <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in &expired {
            self.bans.remove(peer);
        }
        expired
            .into_iter()
            .filter(|peer| !self.blocked.contains(peer))
            .collect()
    }
}

fn evict_oldest<V>(map: &mut HashMap<PeerId, V>, cap: usize, key: impl Fn(&V) -> Instant) {
    while map.len() >= cap.max(1) {
        let Some(oldest) = map.iter().min_by_key(|(_, v)| key(v)).map(|(p, _)| *p) else {
            return;
        };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn policy() -> PeerPolicy {
        PeerPolicy {
            max_tracked: 3,
            ..PeerPolicy::default()
        }
    }

    #[test]
    fn points_accumulate_to_a_ban_that_expires() {
        let mut book = PeerBook::new(policy());
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert_eq!(
            book.offend(peer, Offence::InvalidTx, t0),
            Verdict::Keep { points: 25 }
        );
        assert_eq!(
            book.offend(peer, Offence::InvalidBlock, t0),
            Verdict::Keep { points: 75 }
        );
        assert!(!book.is_refused(&peer));
        assert_eq!(book.offend(peer, Offence::BadSyncMessage, t0), Verdict::Ban);
        assert!(book.is_refused(&peer));
        assert!(book.sweep(t0 + Duration::from_secs(60)).is_empty());
        let expired = book.sweep(t0 + policy().ban_duration);
        assert_eq!(expired, vec![peer]);
        assert!(!book.is_refused(&peer));
        assert_eq!(book.points(&peer), 0);
    }

    #[test]
    fn a_peer_of_another_chain_is_banned_at_once() {
        let mut book = PeerBook::new(policy());
        let peer = PeerId::random();
        assert_eq!(
            book.offend(peer, Offence::WrongChain, Instant::now()),
            Verdict::Ban
        );
        assert!(book.is_refused(&peer));
    }

    #[test]
    fn stale_points_are_forgotten() {
        let mut book = PeerBook::new(policy());
        let peer = PeerId::random();
        let t0 = Instant::now();
        book.offend(peer, Offence::InvalidBlock, t0);
        assert_eq!(book.points(&peer), 50);
        book.sweep(t0 + policy().forget_after);
        assert_eq!(book.points(&peer), 0);
    }

    #[test]
    fn tracking_is_bounded_oldest_first() {
        let mut book = PeerBook::new(policy());
        let t0 = Instant::now();
        let peers: Vec<PeerId> = (0..4).map(|_| PeerId::random()).collect();
        for (i, peer) in peers.iter().enumerate() {
            book.offend(
                *peer,
                Offence::InvalidTx,
                t0 + Duration::from_secs(i as u64),
            );
        }
        assert_eq!(book.records.len(), 3);
        assert_eq!(book.points(&peers[0]), 0);
        assert_eq!(book.points(&peers[3]), 25);
    }

    #[test]
    fn an_expired_ban_keeps_an_admin_block() {
        let mut book = PeerBook::new(policy());
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert!(book.block(peer));
        assert!(!book.block(peer));
        book.offend(peer, Offence::InvalidBlock, t0);
        book.offend(peer, Offence::InvalidBlock, t0);
        assert!(book.sweep(t0 + policy().ban_duration).is_empty());
        assert!(book.is_refused(&peer));
        assert!(book.unblock(&peer));
        assert!(!book.is_refused(&peer));
    }
}
