//! MMS store operations against a real database with a fake clock.

use chrono::{Duration, TimeZone, Utc};

use super::super::{EventKind, Store};
use super::*;
use crate::config::{RetryConfig, StorageConfig};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &StorageConfig::new(dir.path().join("db")),
        &RetryConfig::default(),
    )
    .unwrap();
    (dir, store)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn new_mms(key: Option<&str>) -> NewMms {
    NewMms {
        modem: None,
        client: "alice".into(),
        idempotency_key: key.map(str::to_owned),
        to: vec!["+4917011111".into(), "+4917022222".into()],
        subject: Some("Holiday".into()),
        pdu: vec![0x8C, 0x80, 1, 2, 3],
    }
}

async fn mms_events(store: &Store) -> Vec<MmsEvent> {
    store
        .events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Mms(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_mms_is_queued_with_its_event_and_a_repeated_key_stores_nothing() {
    let (_dir, store) = open();
    let first = store.enqueue_mms(new_mms(Some("k1")), t0()).await.unwrap();
    assert!(!first.duplicate);
    let again = store.enqueue_mms(new_mms(Some("k1")), t0()).await.unwrap();
    assert_eq!(
        again,
        MmsEnqueued {
            mms_id: first.mms_id,
            duplicate: true
        }
    );
    let events = mms_events(&store).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].state, MmsState::Queued);
    assert_eq!(events[0].to, vec!["+4917011111", "+4917022222"]);
    assert_eq!(events[0].idempotency_key.as_deref(), Some("k1"));
}

#[tokio::test]
async fn a_sent_mms_becomes_delivered_by_its_mmsc_message_id() {
    let (_dir, store) = open();
    let id = store.enqueue_mms(new_mms(None), t0()).await.unwrap().mms_id;
    assert!(!store.mms_due(t0() - Duration::seconds(1)).await.unwrap());
    assert!(store.mms_due(t0()).await.unwrap());
    let leased = store.lease_mms(t0()).await.unwrap().unwrap();
    assert_eq!((leased.mms_id, leased.attempts), (id, 1));
    assert!(!store.mms_due(t0()).await.unwrap());
    assert_eq!(leased.pdu, vec![0x8C, 0x80, 1, 2, 3]);
    assert_eq!(store.lease_mms(t0()).await.unwrap(), None, "leased once");
    store
        .mms_result(
            id,
            MmsResult::Sent {
                mmsc_message_id: Some("msg-9".into()),
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .mms_delivery("msg-other", Delivery::Delivered, t0())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .mms_delivery("msg-9", Delivery::Delivered, t0())
            .await
            .unwrap(),
        Some(id)
    );
    let states: Vec<_> = mms_events(&store).await.iter().map(|e| e.state).collect();
    assert_eq!(
        states,
        vec![MmsState::Queued, MmsState::Sent, MmsState::Delivered]
    );
    let now = store.mms(id).await.unwrap().unwrap();
    assert_eq!(now.mmsc_message_id.as_deref(), Some("msg-9"));
}

#[tokio::test]
async fn an_unknown_outcome_is_final_and_a_retry_waits_for_its_due_time() {
    let (_dir, store) = open();
    let a = store
        .enqueue_mms(new_mms(Some("a")), t0())
        .await
        .unwrap()
        .mms_id;
    let b = store
        .enqueue_mms(new_mms(Some("b")), t0())
        .await
        .unwrap()
        .mms_id;
    store.lease_mms(t0()).await.unwrap().unwrap();
    store
        .mms_result(
            a,
            MmsResult::Unknown {
                reason: "timeout".into(),
            },
            t0(),
        )
        .await
        .unwrap();
    let leased = store.lease_mms(t0()).await.unwrap().unwrap();
    assert_eq!(leased.mms_id, b);
    let later = t0() + Duration::seconds(30);
    store
        .mms_result(
            b,
            MmsResult::Retry {
                reason: "connect refused".into(),
                at: later,
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(store.lease_mms(t0()).await.unwrap(), None);
    let again = store.lease_mms(later).await.unwrap().unwrap();
    assert_eq!((again.mms_id, again.attempts), (b, 2));
    let ev = store.mms(a).await.unwrap().unwrap();
    assert_eq!(
        (ev.state, ev.reason.as_deref()),
        (MmsState::Unknown, Some("timeout"))
    );
    assert!(matches!(
        store
            .mms_result(a, MmsResult::Failed { reason: "x".into() }, t0())
            .await,
        Err(Error::InvalidTransition { .. })
    ));
}

#[tokio::test]
async fn an_mms_in_flight_at_a_crash_is_unknown_unless_retry_unknown() {
    let (_dir, store) = open();
    let a = store
        .enqueue_mms(new_mms(Some("a")), t0())
        .await
        .unwrap()
        .mms_id;
    store.lease_mms(t0()).await.unwrap().unwrap();
    assert_eq!(store.recover_mms(false, t0()).await.unwrap(), vec![a]);
    assert_eq!(
        store.mms(a).await.unwrap().unwrap().state,
        MmsState::Unknown
    );
    let b = store
        .enqueue_mms(new_mms(Some("b")), t0())
        .await
        .unwrap()
        .mms_id;
    store.lease_mms(t0()).await.unwrap().unwrap();
    assert_eq!(store.recover_mms(true, t0()).await.unwrap(), vec![b]);
    assert_eq!(store.lease_mms(t0()).await.unwrap().unwrap().mms_id, b);
}

fn push_part(seq: u8, data: &[u8]) -> PushPart {
    PushPart {
        modem: "m1".into(),
        sender: "+4917099999".into(),
        concat: Some((7, 3, seq)),
        data: data.to_vec(),
        raw_pdu: vec![seq, 0xAA],
        received_at: t0(),
    }
}

#[tokio::test]
async fn push_parts_in_any_order_complete_one_pending_push_once() {
    let (_dir, store) = open();
    assert_eq!(
        store.store_push_part(push_part(3, b"ghi")).await.unwrap(),
        None
    );
    assert_eq!(
        store.store_push_part(push_part(1, b"abc")).await.unwrap(),
        None
    );
    assert_eq!(
        store.store_push_part(push_part(1, b"abc")).await.unwrap(),
        None,
        "re-read"
    );
    let push_id = store
        .store_push_part(push_part(2, b"def"))
        .await
        .unwrap()
        .unwrap();
    let pending = store.pending_pushes(t0(), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].push_id, push_id);
    assert_eq!(pending[0].data, b"abcdefghi");
    assert_eq!(
        store.store_push_part(push_part(2, b"def")).await.unwrap(),
        None
    );
    store
        .push_outcome(
            push_id,
            PushOutcome::Retry {
                reason: "MMSC down".into(),
                at: t0() + Duration::seconds(60),
            },
            t0(),
        )
        .await
        .unwrap();
    assert!(store.pending_pushes(t0(), 10).await.unwrap().is_empty());
    let later = store
        .pending_pushes(t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(later[0].attempts, 1);
}

#[tokio::test]
async fn a_received_mms_is_committed_with_its_event_and_ends_its_push() {
    let (_dir, store) = open();
    let single = PushPart {
        concat: None,
        ..push_part(1, b"push")
    };
    let push_id = store.store_push_part(single).await.unwrap().unwrap();
    let mms = InboundMms {
        id: 0,
        modem: "m1".into(),
        from: "+4917099999".into(),
        to: vec!["+4917000000".into()],
        subject: Some("Hi".into()),
        sent_at: Some(t0()),
        transaction_id: "T1".into(),
        mmsc_message_id: Some("in-1".into()),
        received_at: t0(),
        parts: vec![
            MmsPart {
                content_type: "text/plain; charset=utf-8".into(),
                name: Some("t.txt".into()),
                content_id: Some("<t>".into()),
                size: 2,
                sha256: "ab".into(),
                data: Some(b"hi".to_vec()),
                path: None,
            },
            MmsPart {
                content_type: "image/jpeg".into(),
                name: Some("p.jpg".into()),
                content_id: None,
                size: 100_000,
                sha256: "cd".into(),
                data: None,
                path: Some("/spool/T1-1-p.jpg".into()),
            },
        ],
    };
    let stored = store
        .store_inbound_mms(Some(push_id), mms.clone())
        .await
        .unwrap();
    assert!(stored.id > 0);
    assert!(store.pending_pushes(t0(), 10).await.unwrap().is_empty());
    let events = store.events_after(0, 10).await.unwrap();
    let EventKind::MmsInbound(ev) = &events[0].kind else {
        panic!("{events:?}")
    };
    assert_eq!(
        ev,
        &InboundMms {
            id: stored.id,
            ..mms
        }
    );
}

#[tokio::test]
async fn maintenance_prunes_finished_mms_after_the_retention_age_and_keeps_queued_ones() {
    let (_dir, store) = open();
    let done = store
        .enqueue_mms(new_mms(Some("a")), t0())
        .await
        .unwrap()
        .mms_id;
    store.lease_mms(t0()).await.unwrap();
    store
        .mms_result(
            done,
            MmsResult::Failed {
                reason: "no".into(),
            },
            t0(),
        )
        .await
        .unwrap();
    let waiting = store
        .enqueue_mms(new_mms(Some("b")), t0())
        .await
        .unwrap()
        .mms_id;
    store.maintain(t0() + Duration::days(31)).await.unwrap();
    assert_eq!(store.mms(done).await.unwrap(), None);
    assert!(store.mms(waiting).await.unwrap().is_some());
}

#[tokio::test]
async fn a_leased_push_belongs_to_its_modem_and_is_due_again_only_after_the_hold() {
    let (_dir, store) = open();
    let mut single = push_part(1, b"abc");
    single.concat = None;
    let push_id = store.store_push_part(single).await.unwrap().unwrap();
    assert!(!store.push_due("m2", t0()).await.unwrap());
    assert!(store.push_due("m1", t0()).await.unwrap());
    assert_eq!(
        store
            .lease_push("m2", t0(), Duration::minutes(10))
            .await
            .unwrap(),
        None
    );
    let leased = store
        .lease_push("m1", t0(), Duration::minutes(10))
        .await
        .unwrap()
        .expect("leased");
    assert_eq!(leased.push_id, push_id);
    assert_eq!(leased.data, b"abc");
    // Held: neither the modem nor the MM1 task sees it meanwhile.
    assert!(!store.push_due("m1", t0()).await.unwrap());
    assert!(store.pending_pushes(t0(), 10).await.unwrap().is_empty());
    // Nobody recorded an outcome (a crash): due again after the hold.
    let later = t0() + Duration::minutes(10);
    assert!(store.push_due("m1", later).await.unwrap());
    let again = store
        .lease_push("m1", later, Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(again.map(|p| (p.push_id, p.attempts)), Some((push_id, 0)));
}

#[tokio::test]
async fn a_routed_mms_is_leased_only_by_the_modems_its_key_names() {
    let (_dir, store) = open();
    let mut to_b = new_mms(None);
    to_b.modem = Some("b".into());
    let b = store.enqueue_mms(to_b, t0()).await.unwrap().mms_id;
    let mut to_group = new_mms(None);
    to_group.modem = Some(super::super::group_key(&["c".into(), "a".into()]));
    let group = store.enqueue_mms(to_group, t0()).await.unwrap().mms_id;
    // "ab" is no member of grp:a,c, and "a" is not "b".
    assert!(!store.mms_due_for("ab", t0()).await.unwrap());
    assert_eq!(store.lease_mms_for("ab", t0()).await.unwrap(), None);
    assert!(store.mms_due_for("a", t0()).await.unwrap());
    let leased = store.lease_mms_for("a", t0()).await.unwrap().unwrap();
    assert_eq!(leased.mms_id, group);
    assert_eq!(store.lease_mms_for("a", t0()).await.unwrap(), None);
    assert_eq!(
        store
            .lease_mms_for("b", t0())
            .await
            .unwrap()
            .unwrap()
            .mms_id,
        b
    );
    // An unrouted MMS goes to any modem, and to the MM1 sender.
    let any = store.enqueue_mms(new_mms(None), t0()).await.unwrap().mms_id;
    assert_eq!(
        store
            .lease_mms_for("z", t0())
            .await
            .unwrap()
            .unwrap()
            .mms_id,
        any
    );
}
