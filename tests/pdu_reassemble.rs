//! Reassembler behaviour: ordering, duplicates, keys, mismatched totals,
//! invalid sequence numbers, expiry and the group limit.

use std::time::{Duration, Instant};

use gsmq::pdu::{Concat, Outcome, Reassembler};
fn c(reference: u16, total: u8, sequence: u8) -> Concat {
    Concat {
        reference,
        total,
        sequence,
    }
}

#[test]
fn out_of_order_parts_complete_in_sequence_order() {
    let now = Instant::now();
    let mut r = Reassembler::default();
    assert_eq!(
        r.push("+1", c(7, 3, 3), "c", now),
        Outcome::Pending {
            received: 1,
            total: 3
        }
    );
    assert_eq!(
        r.push("+1", c(7, 3, 1), "a", now),
        Outcome::Pending {
            received: 2,
            total: 3
        }
    );
    assert_eq!(
        r.push("+1", c(7, 3, 2), "b", now),
        Outcome::Complete(vec!["a", "b", "c"])
    );
    assert_eq!(r.pending(), 0);
}

#[test]
fn a_duplicate_part_is_dropped() {
    let now = Instant::now();
    let mut r = Reassembler::default();
    r.push("+1", c(7, 2, 1), "a", now);
    assert_eq!(r.push("+1", c(7, 2, 1), "a again", now), Outcome::Duplicate);
    assert_eq!(
        r.push("+1", c(7, 2, 2), "b", now),
        Outcome::Complete(vec!["a", "b"])
    );
}

#[test]
fn senders_and_sixteen_bit_references_keep_groups_apart() {
    let now = Instant::now();
    let mut r = Reassembler::default();
    r.push("+1", c(0x1234, 2, 1), 1, now);
    r.push("+2", c(0x1234, 2, 1), 2, now);
    r.push("+1", c(0x34, 2, 1), 3, now);
    assert_eq!(r.pending(), 3);
    assert_eq!(
        r.push("+2", c(0x1234, 2, 2), 20, now),
        Outcome::Complete(vec![2, 20])
    );
}

#[test]
fn a_mismatched_total_is_reported() {
    let now = Instant::now();
    let mut r = Reassembler::default();
    r.push("+1", c(9, 3, 1), "a", now);
    assert_eq!(
        r.push("+1", c(9, 2, 2), "b", now),
        Outcome::TotalMismatch {
            existing: 3,
            got: 2
        }
    );
    assert_eq!(r.pending(), 2);
}

#[test]
fn impossible_sequence_numbers_are_refused() {
    let mut r = Reassembler::<&str>::default();
    let now = Instant::now();
    assert_eq!(r.push("+1", c(1, 2, 0), "x", now), Outcome::InvalidSequence);
    assert_eq!(r.push("+1", c(1, 2, 3), "x", now), Outcome::InvalidSequence);
    assert_eq!(r.push("+1", c(1, 0, 0), "x", now), Outcome::InvalidSequence);
    assert_eq!(
        r.push("+1", c(1, 1, 1), "x", now),
        Outcome::Complete(vec!["x"])
    );
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
