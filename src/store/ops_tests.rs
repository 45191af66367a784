//! Unit tests of every transition with a fake clock (`now` passed in).

use super::*;
use crate::store::schema;
use chrono::TimeZone;
use rand::SeedableRng;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn setup() -> (Connection, Ctx) {
    let mut c = Connection::open_in_memory().unwrap();
    c.pragma_update(None, "foreign_keys", true).unwrap();
    schema::migrate(&mut c).unwrap();
    let ctx = Ctx {
        storage: StorageConfig::new("unused"),
        retry: RetryConfig {
            max_attempts: 3,
            backoff_base_ms: 1_000,
            backoff_max_ms: 60_000,
            sim_retry_delay_ms: 30_000,
            reinit_delay_ms: 5_000,
        },
        rng: StdRng::seed_from_u64(42),
        groups: Default::default(),
    };
    (c, ctx)
}

/// The keys a modem leases from when no group is in use.
fn keys(modem: &str) -> Vec<String> {
    super::route::Groups::default().lease_keys(modem)
}

fn msg(parts: usize) -> NewMessage {
    NewMessage {
        client: "dev".into(),
        idempotency_key: None,
        to: "+4917012345678".into(),
        text: "hello".into(),
        encoding: "gsm7".into(),
        parts: (0..parts).map(|i| vec![0x11, i as u8]).collect(),
        priority: 0,
        send_at: None,
        valid_until: None,
        modem: None,
        report: false,
    }
}

fn state_of(c: &Connection, id: i64) -> MessageState {
    message_status(c, id).unwrap().unwrap().state
}

fn part_states(c: &Connection, id: i64) -> Vec<PartState> {
    message_status(c, id)
        .unwrap()
        .unwrap()
        .parts
        .iter()
        .map(|p| p.state)
        .collect()
}

/// The message events in the outbox, as (message id, state).
fn message_events(c: &Connection) -> Vec<(i64, MessageState)> {
    events_after(c, 0, 1_000, false)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Message(m) => Some((m.message_id, m.state)),
            _ => None,
        })
        .collect()
}

fn lease(c: &Connection, now: DateTime<Utc>) -> LeasedPart {
    lease_next_part(c, &keys("m1"), "m1", now)
        .unwrap()
        .expect("a due part")
}

#[test]
fn enqueue_stores_queued_parts_and_a_queued_event() {
    let (c, ctx) = setup();
    let e = enqueue(&c, &ctx, &msg(3), t(0)).unwrap();
    assert_eq!((e.duplicate, e.parts), (false, 3));
    assert_eq!(state_of(&c, e.message_id), MessageState::Queued);
    assert_eq!(part_states(&c, e.message_id), vec![PartState::Queued; 3]);
    assert_eq!(
        message_events(&c),
        vec![(e.message_id, MessageState::Queued)]
    );
}

#[test]
fn a_message_without_parts_is_refused() {
    let (c, ctx) = setup();
    let err = enqueue(&c, &ctx, &msg(0), t(0)).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
}

#[test]
fn an_idempotency_key_within_its_window_returns_the_first_message() {
    let (c, ctx) = setup();
    let mut m = msg(2);
    m.idempotency_key = Some("k1".into());
    let first = enqueue(&c, &ctx, &m, t(0)).unwrap();
    let again = enqueue(&c, &ctx, &m, t(3_600)).unwrap();
    assert_eq!(
        again,
        Enqueued {
            message_id: first.message_id,
            duplicate: true,
            parts: 2
        }
    );
    let other_client = NewMessage {
        client: "other".into(),
        ..m.clone()
    };
    assert!(
        !enqueue(&c, &ctx, &other_client, t(3_600))
            .unwrap()
            .duplicate
    );
    assert_eq!(message_events(&c).len(), 2, "a duplicate emits nothing");
}

#[test]
fn an_idempotency_key_past_its_window_creates_a_new_message() {
    let (c, ctx) = setup();
    let mut m = msg(1);
    m.idempotency_key = Some("k1".into());
    let first = enqueue(&c, &ctx, &m, t(0)).unwrap();
    let window = i64::from(ctx.storage.idempotency_window_h) * 3_600;
    let later = enqueue(&c, &ctx, &m, t(window + 1)).unwrap();
    assert!(!later.duplicate);
    assert_ne!(later.message_id, first.message_id);
}

#[test]
fn lease_moves_part_and_message_to_sending_and_counts_the_attempt() {
    let (c, ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(2), t(0)).unwrap().message_id;
    let p = lease(&c, t(1));
    assert_eq!(
        (p.message_id, p.seq, p.attempts, p.parts_total),
        (id, 0, 1, 2)
    );
    assert_eq!(p.tpdu, vec![0x11, 0]);
    assert_eq!(state_of(&c, id), MessageState::Sending);
    assert_eq!(
        part_states(&c, id),
        vec![PartState::Sending, PartState::Queued]
    );
}

#[test]
fn lease_prefers_higher_priority_then_earlier_due() {
    let (c, ctx) = setup();
    let low = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let mut hi = msg(1);
    hi.priority = 9;
    let high = enqueue(&c, &ctx, &hi, t(5)).unwrap().message_id;
    let mut later = msg(1);
    later.send_at = Some(t(100));
    later.priority = 200;
    let scheduled = enqueue(&c, &ctx, &later, t(6)).unwrap().message_id;
    assert_eq!(lease(&c, t(10)).message_id, high);
    assert_eq!(lease(&c, t(10)).message_id, low);
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(10))
        .unwrap()
        .is_none());
    assert_eq!(lease(&c, t(100)).message_id, scheduled);
}

#[test]
fn a_message_pinned_to_a_modem_is_leased_only_by_that_modem() {
    let (c, ctx) = setup();
    let mut m = msg(1);
    m.modem = Some("m2".into());
    let id = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(1))
        .unwrap()
        .is_none());
    assert_eq!(
        lease_next_part(&c, &keys("m2"), "m2", t(1))
            .unwrap()
            .unwrap()
            .message_id,
        id
    );
}

#[test]
fn all_parts_sent_makes_the_message_sent_with_one_event() {
    let (c, ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(2), t(0)).unwrap().message_id;
    let a = lease(&c, t(1));
    part_sent(&c, a.part_id, 7, t(2)).unwrap();
    assert_eq!(state_of(&c, id), MessageState::Sending);
    let b = lease(&c, t(3));
    part_sent(&c, b.part_id, 8, t(4)).unwrap();
    assert_eq!(state_of(&c, id), MessageState::Sent);
    assert_eq!(
        message_events(&c),
        vec![(id, MessageState::Queued), (id, MessageState::Sent)]
    );
    let ev = events_after(&c, 0, 10, false).unwrap();
    let EventKind::Message(sent) = &ev[1].kind else {
        panic!("not a message event")
    };
    assert_eq!((sent.parts_sent, sent.parts_total), (2, 2));
    assert_eq!(sent.modem.as_deref(), Some("m1"));
}

#[test]
fn part_sent_on_a_part_not_sending_is_refused() {
    let (c, ctx) = setup();
    enqueue(&c, &ctx, &msg(1), t(0)).unwrap();
    let p = lease(&c, t(1));
    part_sent(&c, p.part_id, 1, t(2)).unwrap();
    let err = part_sent(&c, p.part_id, 1, t(3)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidTransition { ref from, .. } if from == "sent"),
        "{err}"
    );
    assert!(matches!(
        part_sent(&c, 999, 1, t(3)).unwrap_err(),
        Error::NotFound { .. }
    ));
}

#[test]
fn a_transient_failure_requeues_with_backoff_within_the_jitter_window() {
    let (c, mut ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    let out = part_failed(
        &c,
        &mut ctx,
        p.part_id,
        ErrorClass::Transient,
        "timeout",
        t(10),
    )
    .unwrap();
    let FailOutcome::Retry {
        next_attempt_at,
        attempts,
    } = out
    else {
        panic!("expected a retry, got {out:?}")
    };
    assert_eq!(attempts, 1);
    assert!(
        next_attempt_at >= t(10) && next_attempt_at <= t(11),
        "{next_attempt_at}"
    );
    assert_eq!(part_states(&c, id), vec![PartState::Queued]);
    // Not due before its time, due after.
    let before = next_attempt_at - chrono::Duration::milliseconds(1);
    if before >= t(10) {
        assert!(lease_next_part(&c, &keys("m1"), "m1", before)
            .unwrap()
            .is_none());
    }
    assert_eq!(lease(&c, next_attempt_at).attempts, 2);
}

#[test]
fn a_part_that_keeps_failing_is_parked_and_does_not_block_others() {
    let (c, mut ctx) = setup();
    let bad = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let good = enqueue(&c, &ctx, &msg(1), t(1)).unwrap().message_id;
    let mut now = t(2);
    let mut outcome = None;
    for attempt in 1..=3 {
        let p = lease_next_part(&c, &keys("m1"), "m1", now)
            .unwrap()
            .unwrap();
        assert_eq!((p.message_id, p.attempts), (bad, attempt));
        let out = part_failed(&c, &mut ctx, p.part_id, ErrorClass::Transient, "busy", now).unwrap();
        // While the bad part backs off, the other message goes out.
        if attempt == 1 {
            let g = lease(&c, now);
            assert_eq!(g.message_id, good);
            part_sent(&c, g.part_id, 1, now).unwrap();
        }
        if let FailOutcome::Retry {
            next_attempt_at, ..
        } = out
        {
            now = next_attempt_at;
        }
        outcome = Some(out);
    }
    assert!(
        matches!(&outcome, Some(FailOutcome::Parked { reason }) if reason.contains("3 attempts") && reason.contains("busy")),
        "{outcome:?}"
    );
    assert_eq!(state_of(&c, bad), MessageState::Failed);
    assert_eq!(part_states(&c, bad), vec![PartState::Failed]);
    assert_eq!(state_of(&c, good), MessageState::Sent);
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(100_000))
        .unwrap()
        .is_none());
    assert!(message_events(&c).contains(&(bad, MessageState::Failed)));
}

#[test]
fn a_permanent_recipient_error_fails_the_message_at_once() {
    let (c, mut ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(2), t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    let out = part_failed(
        &c,
        &mut ctx,
        p.part_id,
        ErrorClass::PermanentRecipient,
        "CMS 21",
        t(1),
    )
    .unwrap();
    assert!(matches!(out, FailOutcome::Parked { .. }));
    assert_eq!(state_of(&c, id), MessageState::Failed);
    assert_eq!(part_states(&c, id), vec![PartState::Failed; 2]);
    let status = message_status(&c, id).unwrap().unwrap();
    assert!(status.reason.unwrap().contains("CMS 21"));
}

#[test]
fn sim_and_reinit_failures_wait_their_configured_delay() {
    let (c, mut ctx) = setup();
    enqueue(&c, &ctx, &msg(1), t(0)).unwrap();
    let p = lease(&c, t(0));
    let out = part_failed(
        &c,
        &mut ctx,
        p.part_id,
        ErrorClass::PermanentSim,
        "no credit",
        t(0),
    )
    .unwrap();
    assert!(matches!(out, FailOutcome::Retry { next_attempt_at, .. } if next_attempt_at == t(30)));
    let p = lease(&c, t(30));
    let out = part_failed(&c, &mut ctx, p.part_id, ErrorClass::Reinit, "hung", t(30)).unwrap();
    assert!(matches!(out, FailOutcome::Retry { next_attempt_at, .. } if next_attempt_at == t(35)));
}

#[test]
fn a_delivery_report_makes_the_message_delivered() {
    let (c, ctx) = setup();
    let mut m = msg(2);
    m.report = true;
    let id = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    let a = lease(&c, t(0));
    part_sent(&c, a.part_id, 10, t(1)).unwrap();
    let b = lease(&c, t(1));
    part_sent(&c, b.part_id, 11, t(2)).unwrap();
    assert_eq!(state_of(&c, id), MessageState::Sent);
    assert_eq!(
        status_report(&c, &ctx, "m1", 10, "+4917012345678", 0, None, t(5)).unwrap(),
        Some(a.part_id)
    );
    assert_eq!(state_of(&c, id), MessageState::Sent);
    // National format of the same number still matches.
    assert_eq!(
        status_report(&c, &ctx, "m1", 11, "017012345678", 0, None, t(6)).unwrap(),
        Some(b.part_id)
    );
    assert_eq!(state_of(&c, id), MessageState::Delivered);
    assert_eq!(
        message_events(&c).last(),
        Some(&(id, MessageState::Delivered))
    );
}

#[test]
fn a_temporary_report_status_keeps_the_part_sent_and_a_permanent_one_fails_it() {
    let (c, ctx) = setup();
    let mut m = msg(1);
    m.report = true;
    let id = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    let a = lease(&c, t(0));
    part_sent(&c, a.part_id, 3, t(1)).unwrap();
    status_report(&c, &ctx, "m1", 3, "+4917012345678", 0x30, None, t(2)).unwrap();
    assert_eq!(part_states(&c, id), vec![PartState::Sent]);
    status_report(&c, &ctx, "m1", 3, "+4917012345678", 0x41, None, t(3)).unwrap();
    assert_eq!(part_states(&c, id), vec![PartState::Failed]);
    assert_eq!(state_of(&c, id), MessageState::Failed);
}

/// Two parts to the same recipient with message reference 5 (the 8-bit
/// reference wrapped in between), sent at `t(0)` and `t(later)`:
/// (old message, old part, new message, new part).
fn two_parts_sharing_reference(c: &Connection, ctx: &Ctx, later: i64) -> (i64, i64, i64, i64) {
    let old = enqueue(c, ctx, &msg(1), t(0)).unwrap().message_id;
    let p = lease(c, t(0));
    part_sent(c, p.part_id, 5, t(0)).unwrap();
    let new = enqueue(c, ctx, &msg(1), t(later)).unwrap().message_id;
    let q = lease(c, t(later));
    part_sent(c, q.part_id, 5, t(later)).unwrap();
    (old, p.part_id, new, q.part_id)
}

/// A report for reference 5 to the usual recipient, received at `t(at)`
/// with the SMSC's time stamp `t(scts)`.
fn report_5(c: &Connection, ctx: &Ctx, scts: Option<i64>, at: i64) -> Option<i64> {
    status_report(c, ctx, "m1", 5, "+4917012345678", 0, scts.map(t), t(at)).unwrap()
}

#[test]
fn report_matching_picks_the_most_recent_part_after_reference_wrap_around() {
    let (c, ctx) = setup();
    let (old, _, new, q) = two_parts_sharing_reference(&c, &ctx, 600);
    // Another recipient with the same reference must not be picked.
    let mut other = msg(1);
    other.to = "+33612345678".into();
    enqueue(&c, &ctx, &other, t(700)).unwrap();
    let r = lease(&c, t(700));
    part_sent(&c, r.part_id, 5, t(700)).unwrap();

    assert_eq!(report_5(&c, &ctx, None, 800), Some(q));
    assert_eq!(part_states(&c, new), vec![PartState::Delivered]);
    assert_eq!(part_states(&c, old), vec![PartState::Sent]);
    // Another modem's reference never matches.
    assert_eq!(
        status_report(&c, &ctx, "m2", 5, "+4917012345678", 0, None, t(800)).unwrap(),
        None
    );
}

#[test]
fn a_late_report_goes_to_the_part_its_smsc_time_stamp_names_not_the_newest() {
    let (c, ctx) = setup();
    // 256 parts later (the phone was off) the reference is 5 again.
    let (old, p, new, q) = two_parts_sharing_reference(&c, &ctx, 3_600);
    // The first part's report arrives now; the SMSC's clock is 40 s ahead.
    assert_eq!(report_5(&c, &ctx, Some(40), 3_700), Some(p));
    assert_eq!(part_states(&c, old), vec![PartState::Delivered]);
    assert_eq!(part_states(&c, new), vec![PartState::Sent]);
    // Then the second part's own report.
    assert_eq!(report_5(&c, &ctx, Some(3_590), 3_800), Some(q));
    assert_eq!(part_states(&c, new), vec![PartState::Delivered]);
}

#[test]
fn a_report_goes_to_the_part_still_waiting_when_the_reference_wrapped_within_a_second() {
    let (c, ctx) = setup();
    // The old part got its report; 256 parts later, 300 ms on, the
    // reference is 5 again.
    let old = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    part_sent(&c, p.part_id, 5, t(0)).unwrap();
    assert_eq!(report_5(&c, &ctx, Some(0), 0), Some(p.part_id));
    let later = t(0) + chrono::Duration::milliseconds(300);
    let new = enqueue(&c, &ctx, &msg(1), later).unwrap().message_id;
    let q = lease(&c, later);
    part_sent(&c, q.part_id, 5, later).unwrap();
    // Its SMSC stamp (whole seconds) is nearer the old part's submit time.
    assert_eq!(report_5(&c, &ctx, Some(0), 1), Some(q.part_id));
    assert_eq!(part_states(&c, new), vec![PartState::Delivered]);
    assert_eq!(part_states(&c, old), vec![PartState::Delivered]);
}

#[test]
fn a_report_whose_smsc_clock_is_far_off_goes_to_the_newest_part() {
    let (c, ctx) = setup();
    let (old, _, new, q) = two_parts_sharing_reference(&c, &ctx, 3_600);
    // An SMSC that stamps local time as UTC, two hours behind: its stamp is
    // nearest the old part but too far from both to be trusted.
    assert_eq!(report_5(&c, &ctx, Some(3_600 - 7_200), 3_700), Some(q));
    assert_eq!(part_states(&c, new), vec![PartState::Delivered]);
    assert_eq!(part_states(&c, old), vec![PartState::Sent]);
}

#[test]
fn a_report_outside_the_window_matches_nothing_but_is_kept() {
    let (c, ctx) = setup();
    enqueue(&c, &ctx, &msg(1), t(0)).unwrap();
    let p = lease(&c, t(0));
    part_sent(&c, p.part_id, 9, t(0)).unwrap();
    let late = t(i64::from(ctx.storage.report_window_h) * 3_600 + 1);
    assert_eq!(
        status_report(&c, &ctx, "m1", 9, "+4917012345678", 0, None, late).unwrap(),
        None
    );
    let kept: i64 = c
        .query_row(
            "SELECT count(*) FROM status_reports WHERE part_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
}

#[test]
fn cancel_stops_queued_parts_and_reports_parts_already_out() {
    let (c, ctx) = setup();
    let mut m = msg(3);
    m.idempotency_key = Some("abc".into());
    let id = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    part_sent(&c, p.part_id, 1, t(1)).unwrap();
    assert_eq!(
        cancel(&c, "intruder", &CancelTarget::Id(id), t(2)).unwrap(),
        CancelOutcome::NotFound
    );
    let out = cancel(&c, "dev", &CancelTarget::IdempotencyKey("abc".into()), t(2)).unwrap();
    assert_eq!(
        out,
        CancelOutcome::Cancelled {
            message_id: id,
            parts_cancelled: 2,
            parts_sent: 1
        }
    );
    assert_eq!(state_of(&c, id), MessageState::Cancelled);
    assert_eq!(
        part_states(&c, id),
        vec![PartState::Sent, PartState::Cancelled, PartState::Cancelled]
    );
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(3))
        .unwrap()
        .is_none());
    assert_eq!(
        cancel(&c, "dev", &CancelTarget::Id(id), t(4)).unwrap(),
        CancelOutcome::AlreadyFinal {
            message_id: id,
            state: MessageState::Cancelled
        }
    );
    assert_eq!(
        message_events(&c).last(),
        Some(&(id, MessageState::Cancelled))
    );
}

#[test]
fn a_failure_after_cancel_is_dropped_not_retried() {
    let (c, mut ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    cancel(&c, "dev", &CancelTarget::Id(id), t(1)).unwrap();
    let out = part_failed(&c, &mut ctx, p.part_id, ErrorClass::Transient, "x", t(2)).unwrap();
    assert_eq!(
        out,
        FailOutcome::Dropped {
            state: MessageState::Cancelled
        }
    );
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(100_000))
        .unwrap()
        .is_none());
}

#[test]
fn a_message_past_its_validity_expires_at_lease_and_in_maintenance() {
    let (c, ctx) = setup();
    let mut m = msg(1);
    m.valid_until = Some(t(60));
    let a = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    let b = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(61))
        .unwrap()
        .is_none());
    assert_eq!(state_of(&c, a), MessageState::Expired);
    assert_eq!(state_of(&c, b), MessageState::Expired);
    assert_eq!(part_states(&c, a), vec![PartState::Expired]);

    let late = enqueue(&c, &ctx, &m, t(0)).unwrap().message_id;
    let report = maintain(&c, &ctx, t(61)).unwrap();
    assert_eq!(report.messages_expired, 1);
    assert_eq!(state_of(&c, late), MessageState::Expired);
    assert!(message_events(&c).contains(&(late, MessageState::Expired)));
}

#[test]
fn at_least_once_recovery_requeues_parts_in_flight() {
    let (c, ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(2), t(0)).unwrap().message_id;
    let a = lease(&c, t(0));
    let report = recover(&c, CrashPolicy::AtLeastOnce, t(5)).unwrap();
    assert_eq!(report.requeued, vec![a.part_id]);
    assert_eq!(part_states(&c, id), vec![PartState::Queued; 2]);
    let again = lease(&c, t(5));
    assert_eq!((again.part_id, again.attempts), (a.part_id, 2));
}

#[test]
fn at_most_once_recovery_marks_parts_unknown_and_fails_the_message() {
    let (c, ctx) = setup();
    let id = enqueue(&c, &ctx, &msg(2), t(0)).unwrap().message_id;
    let a = lease(&c, t(0));
    let report = recover(&c, CrashPolicy::AtMostOnce, t(5)).unwrap();
    assert_eq!(report.unknown, vec![a.part_id]);
    assert_eq!(
        part_states(&c, id),
        vec![PartState::Unknown, PartState::Failed]
    );
    assert_eq!(state_of(&c, id), MessageState::Failed);
    assert!(lease_next_part(&c, &keys("m1"), "m1", t(6))
        .unwrap()
        .is_none());
    assert_eq!(message_events(&c).last(), Some(&(id, MessageState::Failed)));
}

fn inbound(seq: Option<(u16, u8, u8)>, text: &str, at: DateTime<Utc>) -> InboundPart {
    InboundPart {
        modem: "m1".into(),
        sender: "+491709999".into(),
        concat: seq,
        text: text.into(),
        encoding: "gsm7".into(),
        raw_pdu: format!("{seq:?}{text}").into_bytes(),
        sent_at: Some(
            FixedOffset::east_opt(3_600)
                .unwrap()
                .from_local_datetime(&at.naive_utc())
                .unwrap(),
        ),
        received_at: at,
    }
}

#[test]
fn a_single_inbound_sms_is_complete_at_once_with_an_event() {
    let (c, _) = setup();
    let m = store_inbound_part(&c, &inbound(None, "hi", t(0)))
        .unwrap()
        .unwrap();
    assert!(m.complete);
    assert_eq!((m.text.as_str(), m.parts_total), ("hi", 1));
    let ev = events_after(&c, 0, 10, false).unwrap();
    assert_eq!(ev.len(), 1);
    assert!(matches!(&ev[0].kind, EventKind::InboundComplete(x) if *x == m));
}

#[test]
fn inbound_parts_in_any_order_are_reassembled_from_the_database() {
    let (c, _) = setup();
    assert!(store_inbound_part(&c, &inbound(Some((7, 3, 3)), "C", t(0)))
        .unwrap()
        .is_none());
    assert!(store_inbound_part(&c, &inbound(Some((7, 3, 1)), "A", t(1)))
        .unwrap()
        .is_none());
    // The same part read twice (no CMGD before a crash) is ignored.
    assert!(store_inbound_part(&c, &inbound(Some((7, 3, 1)), "A", t(1)))
        .unwrap()
        .is_none());
    let m = store_inbound_part(&c, &inbound(Some((7, 3, 2)), "B", t(2)))
        .unwrap()
        .unwrap();
    assert_eq!(m.text, "ABC");
    assert!(m.complete && m.missing.is_empty());
    assert_eq!(m.parts_received, 3);
}

#[test]
fn a_missing_inbound_part_is_reported_after_the_reassembly_timeout() {
    let (c, ctx) = setup();
    store_inbound_part(&c, &inbound(Some((9, 3, 1)), "A", t(0))).unwrap();
    store_inbound_part(&c, &inbound(Some((9, 3, 3)), "C", t(10))).unwrap();
    let timeout = ctx.storage.reassembly_timeout_s as i64;
    let early = maintain(&c, &ctx, t(timeout - 1)).unwrap();
    assert!(early.inbound_incomplete.is_empty());
    let late = maintain(&c, &ctx, t(timeout)).unwrap();
    assert_eq!(late.inbound_incomplete.len(), 1);
    let m = &late.inbound_incomplete[0];
    assert!(!m.complete);
    assert_eq!((m.text.as_str(), m.missing.clone()), ("AC", vec![2]));
    let ev = events_after(&c, 0, 10, false).unwrap();
    assert!(matches!(&ev.last().unwrap().kind, EventKind::InboundIncomplete(x) if x == m));
    // Reported once only.
    assert!(maintain(&c, &ctx, t(timeout + 5))
        .unwrap()
        .inbound_incomplete
        .is_empty());
}

#[test]
fn retention_prunes_terminal_messages_but_keeps_active_ones() {
    let (c, mut ctx) = setup();
    let done = enqueue(&c, &ctx, &msg(1), t(0)).unwrap().message_id;
    let p = lease(&c, t(0));
    part_sent(&c, p.part_id, 1, t(0)).unwrap();
    let mut later = msg(1);
    later.send_at = Some(t(10_000_000));
    let waiting = enqueue(&c, &ctx, &later, t(0)).unwrap().message_id;
    ctx.storage.retention_days = 1;
    let r = maintain(&c, &ctx, t(86_399)).unwrap();
    assert_eq!(r.messages_pruned, 0);
    let r = maintain(&c, &ctx, t(86_401)).unwrap();
    assert_eq!(r.messages_pruned, 1);
    assert!(message_status(&c, done).unwrap().is_none());
    assert!(message_status(&c, waiting).unwrap().is_some());
    let orphans: i64 = c
        .query_row(
            "SELECT count(*) FROM parts WHERE message_id = ?1",
            [done],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}

#[test]
fn event_seq_increases_and_published_events_are_skipped_by_the_unpublished_view() {
    let (c, ctx) = setup();
    for _ in 0..3 {
        enqueue(&c, &ctx, &msg(1), t(0)).unwrap();
    }
    let all = events_after(&c, 0, 10, false).unwrap();
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    mark_published(&c, seqs[0]).unwrap();
    let rest = events_after(&c, 0, 10, true).unwrap();
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs[1..]);
    assert_eq!(events_after(&c, seqs[1], 10, false).unwrap().len(), 1);
    assert_eq!(events_after(&c, 0, 2, false).unwrap().len(), 2);
}

#[test]
fn picking_the_next_part_uses_the_ready_index() {
    let (c, _) = setup();
    let plan: Vec<String> = c
        .prepare(
            "EXPLAIN QUERY PLAN SELECT due_ms, id FROM parts
             WHERE state = 'queued' AND priority = 1 AND want_modem = '' AND due_ms <= 5
             ORDER BY due_ms, id LIMIT 1",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        plan.iter().any(|l| l.contains("parts_ready"))
            && !plan.iter().any(|l| l.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}
