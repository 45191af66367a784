//! Pure reassembly of concatenated messages (TS 23.040 9.2.3.24.1): parts
//! are grouped by sender, reference and total, in any order; duplicates are
//! dropped; a part whose total disagrees with an open group of the same
//! sender and reference is reported (and kept in a group of its own).
//!
//! Guarantees: no clock and no I/O (the caller passes `now`); the number of
//! open groups is bounded (oldest evicted first); no input panics.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::Concat;

/// Default limit on open groups.
pub const GROUPS_MAX_DEFAULT: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    sender: String,
    reference: u16,
    total: u8,
}

#[derive(Debug)]
struct Group<T> {
    parts: Vec<Option<T>>,
    received: usize,
    first_seen: Instant,
}

/// What happened to a pushed part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The last missing part arrived: all parts in sequence order.
    Complete(Vec<T>),
    /// Stored; `received` of `total` parts are in.
    Pending { received: usize, total: u8 },
    /// A part with this sequence number was already stored; dropped.
    Duplicate,
    /// Stored in a new group, but an open group of the same sender and
    /// reference expects `existing` parts rather than `got`.
    TotalMismatch { existing: u8, got: u8 },
    /// Sequence 0, sequence above total, or total 0; dropped.
    InvalidSequence,
}

/// An incomplete message dropped by [`Reassembler::expire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<T> {
    pub sender: String,
    pub reference: u16,
    pub total: u8,
    /// The parts that did arrive, with their 1-based sequence numbers.
    pub parts: Vec<(u8, T)>,
}

/// Collects the parts of concatenated messages.
#[derive(Debug)]
pub struct Reassembler<T = String> {
    groups: HashMap<Key, Group<T>>,
    groups_max: usize,
    evicted: u64,
}

impl<T> Default for Reassembler<T> {
    fn default() -> Self {
        Reassembler::new(GROUPS_MAX_DEFAULT)
    }
}

impl<T> Reassembler<T> {
    /// A reassembler holding at most `groups_max` incomplete messages.
    pub fn new(groups_max: usize) -> Reassembler<T> {
        Reassembler { groups: HashMap::new(), groups_max: groups_max.max(1), evicted: 0 }
    }

    /// Incomplete messages currently held.
    pub fn pending(&self) -> usize {
        self.groups.len()
    }

    /// Groups dropped so far because the limit was reached.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Adds one part. Single-part messages (`total == 1`) complete at once.
    pub fn push(&mut self, sender: &str, concat: Concat, part: T, now: Instant) -> Outcome<T> {
        let Concat { reference, total, sequence } = concat;
        if total == 0 || sequence == 0 || sequence > total {
            return Outcome::InvalidSequence;
        }
        if total == 1 {
            return Outcome::Complete(vec![part]);
        }
        let key = Key { sender: sender.to_owned(), reference, total };
        let mut mismatch = None;
        if !self.groups.contains_key(&key) {
            mismatch = self
                .groups
                .keys()
                .find(|k| k.reference == reference && k.total != total && k.sender == sender)
                .map(|k| k.total);
            if self.groups.len() >= self.groups_max {
                self.evict_oldest();
            }
            let mut parts = Vec::with_capacity(usize::from(total));
            parts.resize_with(usize::from(total), || None);
            self.groups.insert(key.clone(), Group { parts, received: 0, first_seen: now });
        }
        let Some(group) = self.groups.get_mut(&key) else {
            return Outcome::InvalidSequence;
        };
        let slot = &mut group.parts[usize::from(sequence) - 1];
        if slot.is_some() {
            return Outcome::Duplicate;
        }
        *slot = Some(part);
        group.received += 1;
        if group.received == usize::from(total) {
            let group = self.groups.remove(&key).map(|g| g.parts).unwrap_or_default();
            return Outcome::Complete(group.into_iter().flatten().collect());
        }
        match mismatch {
            Some(existing) => Outcome::TotalMismatch { existing, got: total },
            None => Outcome::Pending { received: group.received, total },
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(key) = self.groups.iter().min_by_key(|(_, g)| g.first_seen).map(|(k, _)| k.clone()) {
            self.groups.remove(&key);
            self.evicted += 1;
        }
    }

    /// Removes and returns the groups whose first part is older than
    /// `max_age` at `now`.
    pub fn expire(&mut self, now: Instant, max_age: Duration) -> Vec<Expired<T>> {
        let old: Vec<Key> = self
            .groups
            .iter()
            .filter(|(_, g)| now.saturating_duration_since(g.first_seen) > max_age)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::with_capacity(old.len());
        for key in old {
            if let Some(g) = self.groups.remove(&key) {
                let parts = g
                    .parts
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.map(|p| (i as u8 + 1, p)))
                    .collect();
                out.push(Expired { sender: key.sender, reference: key.reference, total: key.total, parts });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(reference: u16, total: u8, sequence: u8) -> Concat {
        Concat { reference, total, sequence }
    }

    #[test]
    fn out_of_order_parts_complete_in_sequence_order() {
        let now = Instant::now();
        let mut r = Reassembler::default();
        assert_eq!(r.push("+1", c(7, 3, 3), "c", now), Outcome::Pending { received: 1, total: 3 });
        assert_eq!(r.push("+1", c(7, 3, 1), "a", now), Outcome::Pending { received: 2, total: 3 });
        assert_eq!(r.push("+1", c(7, 3, 2), "b", now), Outcome::Complete(vec!["a", "b", "c"]));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_duplicate_part_is_dropped() {
        let now = Instant::now();
        let mut r = Reassembler::default();
        r.push("+1", c(7, 2, 1), "a", now);
        assert_eq!(r.push("+1", c(7, 2, 1), "a again", now), Outcome::Duplicate);
        assert_eq!(r.push("+1", c(7, 2, 2), "b", now), Outcome::Complete(vec!["a", "b"]));
    }

    #[test]
    fn senders_and_sixteen_bit_references_keep_groups_apart() {
        let now = Instant::now();
        let mut r = Reassembler::default();
        r.push("+1", c(0x1234, 2, 1), 1, now);
        r.push("+2", c(0x1234, 2, 1), 2, now);
        r.push("+1", c(0x34, 2, 1), 3, now);
        assert_eq!(r.pending(), 3);
        assert_eq!(r.push("+2", c(0x1234, 2, 2), 20, now), Outcome::Complete(vec![2, 20]));
    }

    #[test]
    fn a_mismatched_total_is_reported() {
        let now = Instant::now();
        let mut r = Reassembler::default();
        r.push("+1", c(9, 3, 1), "a", now);
        assert_eq!(r.push("+1", c(9, 2, 2), "b", now), Outcome::TotalMismatch { existing: 3, got: 2 });
        assert_eq!(r.pending(), 2);
    }

    #[test]
    fn impossible_sequence_numbers_are_refused() {
        let mut r = Reassembler::<&str>::default();
        let now = Instant::now();
        assert_eq!(r.push("+1", c(1, 2, 0), "x", now), Outcome::InvalidSequence);
        assert_eq!(r.push("+1", c(1, 2, 3), "x", now), Outcome::InvalidSequence);
        assert_eq!(r.push("+1", c(1, 0, 0), "x", now), Outcome::InvalidSequence);
        assert_eq!(r.push("+1", c(1, 1, 1), "x", now), Outcome::Complete(vec!["x"]));
    }

    #[test]
    fn stale_groups_expire_and_the_limit_evicts_the_oldest() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(2);
        r.push("+1", c(1, 2, 1), "a", t0);
        r.push("+1", c(2, 2, 1), "b", t0 + Duration::from_secs(10));
        r.push("+1", c(3, 2, 1), "c", t0 + Duration::from_secs(20));
        assert_eq!((r.pending(), r.evicted()), (2, 1));
        let gone = r.expire(t0 + Duration::from_secs(100), Duration::from_secs(85));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].reference, 2);
        assert_eq!(gone[0].parts, vec![(1, "b")]);
        assert_eq!(r.pending(), 1);
    }
}
