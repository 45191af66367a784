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
        Reassembler {
            groups: HashMap::new(),
            groups_max: groups_max.max(1),
            evicted: 0,
        }
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
        let Concat {
            reference,
            total,
            sequence,
        } = concat;
        if total == 0 || sequence == 0 || sequence > total {
            return Outcome::InvalidSequence;
        }
        if total == 1 {
            return Outcome::Complete(vec![part]);
        }
        let key = Key {
            sender: sender.to_owned(),
            reference,
            total,
        };
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
            self.groups.insert(
                key.clone(),
                Group {
                    parts,
                    received: 0,
                    first_seen: now,
                },
            );
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
            let group = self
                .groups
                .remove(&key)
                .map(|g| g.parts)
                .unwrap_or_default();
            return Outcome::Complete(group.into_iter().flatten().collect());
        }
        match mismatch {
            Some(existing) => Outcome::TotalMismatch {
                existing,
                got: total,
            },
            None => Outcome::Pending {
                received: group.received,
                total,
            },
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(key) = self
            .groups
            .iter()
            .min_by_key(|(_, g)| g.first_seen)
            .map(|(k, _)| k.clone())
        {
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
                out.push(Expired {
                    sender: key.sender,
                    reference: key.reference,
                    total: key.total,
                    parts,
                });
            }
        }
        out
    }
}
