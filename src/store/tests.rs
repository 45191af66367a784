//! Tests of the async handle: group commit, reopening, disk full,
//! corruption, schema refusal.

use super::*;

fn cfg(dir: &Path) -> StorageConfig {
    StorageConfig::new(dir.join("db"))
}

fn msg(i: usize) -> NewMessage {
    NewMessage {
        client: "dev".into(),
        idempotency_key: Some(format!("k{i}")),
        to: "+4917012345678".into(),
        text: format!("message {i}"),
        encoding: "gsm7".into(),
        parts: vec![vec![0x11; 140], vec![0x22; 140]],
        priority: 0,
        send_at: None,
        valid_until: None,
        modem: None,
        report: false,
    }
}

#[tokio::test]
async fn a_directory_path_gets_the_default_file_name_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    assert_eq!(store.path(), dir.path().join("db").join(open::FILE_NAME));
    store.enqueue(msg(0)).await.unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(store.quarantined().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_enqueues_are_all_committed_and_readable_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.enqueue(msg(i)).await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let e = t.await.unwrap().unwrap();
        assert!(!e.duplicate);
        ids.push(e.message_id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    store.checkpoint().await.unwrap();
    drop(store);

    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    for id in &ids {
        let m = store
            .message(*id)
            .await
            .unwrap()
            .expect("committed message");
        assert_eq!((m.state, m.parts.len()), (MessageState::Queued, 2));
    }
    let events = store.events_after(0, 1_000).await.unwrap();
    assert_eq!(events.len(), 200);
    // The same idempotency key after reopening is still a duplicate.
    assert!(store.enqueue(msg(5)).await.unwrap().duplicate);
}

#[tokio::test]
async fn one_failing_request_in_a_batch_does_not_spoil_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let bad = NewMessage {
        parts: vec![],
        ..msg(1)
    };
    let (a, b, c) = tokio::join!(
        store.enqueue(msg(0)),
        store.enqueue(bad),
        store.enqueue(msg(2))
    );
    assert!(a.is_ok() && c.is_ok());
    assert!(matches!(b, Err(Error::Invalid(_))));
}

#[tokio::test]
async fn a_request_failing_after_its_writes_rolls_back_only_its_own_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    // Many concurrent requests so that some share a batch with the failing one.
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if i == 31 {
                store
                    .write(|c, _| {
                        c.execute(
                            "INSERT INTO events (kind, payload, created_ms) VALUES ('x', '{}', 0)",
                            [],
                        )?;
                        Err::<(), _>(Error::Invalid("fails after writing".into()))
                    })
                    .await
                    .map(|_| 0)
            } else {
                store.enqueue(msg(i)).await.map(|e| e.message_id)
            }
        }));
    }
    let mut ok = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Invalid(m)) => assert_eq!((i, m.as_str()), (31, "fails after writing")),
            Err(e) => panic!("request {i}: {e}"),
        }
    }
    assert_eq!(ok, 63);
    let events = store.events_after(0, 1_000).await.unwrap();
    assert_eq!(
        events.len(),
        63,
        "the failed request's event row was rolled back"
    );
}

#[tokio::test]
async fn the_driver_flow_works_through_the_handle() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let now = Utc::now();
    let e = store.enqueue_at(msg(0), now).await.unwrap();
    assert!(store.peek_next_part("m1", now).await.unwrap().is_some());
    let p = store.lease_next_part("m1", now).await.unwrap().unwrap();
    store.part_sent(p.part_id, 4, now).await.unwrap();
    let q = store.lease_next_part("m1", now).await.unwrap().unwrap();
    let out = store
        .part_failed(q.part_id, ErrorClass::Transient, "timeout".into(), now)
        .await
        .unwrap();
    let FailOutcome::Retry {
        next_attempt_at, ..
    } = out
    else {
        panic!("{out:?}")
    };
    let q = store
        .lease_next_part("m1", next_attempt_at)
        .await
        .unwrap()
        .unwrap();
    store
        .part_sent(q.part_id, 5, next_attempt_at)
        .await
        .unwrap();
    let m = store.message(e.message_id).await.unwrap().unwrap();
    assert_eq!(m.state, MessageState::Sent);
    let events = store.unpublished_events(10).await.unwrap();
    assert_eq!(events.len(), 2);
    for ev in &events {
        store.mark_published(ev.seq).await.unwrap();
    }
    assert!(store.unpublished_events(10).await.unwrap().is_empty());
    let inbound = store
        .store_inbound_part(InboundPart {
            modem: "m1".into(),
            sender: "+4917000".into(),
            concat: None,
            text: "yo".into(),
            encoding: "gsm7".into(),
            raw_pdu: vec![1, 2, 3],
            sent_at: None,
            received_at: now,
        })
        .await
        .unwrap()
        .unwrap();
    assert!(inbound.complete);
    let replay = store.events_after(events[1].seq, 10).await.unwrap();
    assert!(
        matches!(&replay[..], [Event { kind: EventKind::InboundComplete(m), .. }] if *m == inbound)
    );
}

#[tokio::test]
async fn a_full_database_refuses_requests_and_recovers_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.max_size_mb = 1;
    let store = Store::open(&c, &RetryConfig::default()).unwrap();
    let mut refused = None;
    for i in 0..10_000 {
        match store.enqueue(msg(i)).await {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("a 1 MiB database fills up");
    assert!(matches!(err, Error::Unavailable { .. }), "{err}");
    assert!(err.to_string().starts_with("storage unavailable"), "{err}");
    // Still refused while full, and the writer is still there.
    assert!(matches!(
        store.enqueue(msg(20_000)).await,
        Err(Error::Unavailable { .. })
    ));
    store.set_max_size_mb(0).await.unwrap();
    let ok = store.enqueue(msg(20_001)).await.unwrap();
    assert!(store.message(ok.message_id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_corrupt_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    let file = dir.path().join("db").join(open::FILE_NAME);
    let garbage = b"this is not an SQLite database, just garbage bytes....".repeat(100);
    std::fs::write(&file, &garbage).unwrap();
    let store = Store::open(&c, &RetryConfig::default()).unwrap();
    let q = store.quarantined().expect("quarantine reported").clone();
    assert_eq!(q.original, file);
    assert_eq!(std::fs::read(&q.moved_to).unwrap(), garbage, "kept intact");
    assert!(store.enqueue(msg(0)).await.is_ok());
}

#[tokio::test]
async fn a_database_with_damaged_pages_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    {
        let store = Store::open(&c, &RetryConfig::default()).unwrap();
        for i in 0..300 {
            store.enqueue(msg(i)).await.unwrap();
        }
        store.checkpoint().await.unwrap();
    }
    // Let the writer thread close the file.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let file = dir.path().join("db").join(open::FILE_NAME);
    let mut bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() > 16 * 4096);
    for b in &mut bytes[8 * 4096..12 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&file, &bytes).unwrap();
    let store = Store::open(&c, &RetryConfig::default()).unwrap();
    let q = store.quarantined().expect("damaged pages found");
    assert_eq!(std::fs::read(&q.moved_to).unwrap(), bytes);
    assert!(store.message(1).await.unwrap().is_none(), "fresh database");
}

#[tokio::test]
async fn a_database_from_a_newer_gsmq_is_refused_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    let file = dir.path().join("db").join(open::FILE_NAME);
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(&c, &RetryConfig::default()).unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew { .. }), "{err}");
    assert!(file.exists());
}

#[tokio::test]
async fn a_v1_database_file_is_upgraded_on_open_and_its_outbox_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path());
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    let file = dir.path().join("db").join(open::FILE_NAME);
    let submit = Utc::now() - chrono::Duration::minutes(5);
    {
        let mut conn = rusqlite::Connection::open(&file).unwrap();
        schema::migrate_to(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO messages (id, client, recipient, body, encoding, priority, report, state,
                 parts_total, parts_sent, created_ms, updated_ms)
             VALUES (1, 'dev', '+4917012345678', 'hi', 'gsm7', 0, 1, 'sent', 1, 1, ?1, ?1)",
            [submit.timestamp_millis()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO parts (message_id, seq, tpdu, state, priority, due_ms, modem, mr, submit_ms)
             VALUES (1, 0, x'01', 'sent', 0, ?1, 'm1', 77, ?1)",
            [submit.timestamp_millis()],
        )
        .unwrap();
    }
    let store = Store::open(&c, &RetryConfig::default()).unwrap();
    let part = store
        .status_report("m1", 77, "+4917012345678", 0, None, Utc::now())
        .await
        .unwrap();
    assert!(part.is_some());
    let m = store.message(1).await.unwrap().unwrap();
    assert_eq!(m.state, MessageState::Delivered);
    assert_eq!(m.parts[0].report_status, Some(0));
}

#[tokio::test]
async fn a_key_is_looked_up_within_its_window_and_forgotten_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.idempotency_window_h = 1;
    let store = Store::open(&c, &RetryConfig::default()).unwrap();
    assert_eq!(store.lookup_key("dev", "k1").await.unwrap(), None);
    let e = store.enqueue(msg(1)).await.unwrap();
    let found = store.lookup_key("dev", "k1").await.unwrap().unwrap();
    assert_eq!(
        found,
        Enqueued {
            message_id: e.message_id,
            duplicate: true,
            parts: 2
        }
    );
    // Keys belong to their client.
    assert_eq!(store.lookup_key("other", "k1").await.unwrap(), None);
    // A key used before the window is free again.
    let mut old = msg(2);
    old.idempotency_key = Some("old".into());
    store
        .enqueue_at(old, Utc::now() - chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(store.lookup_key("dev", "old").await.unwrap(), None);
}

#[tokio::test]
async fn parts_enqueued_since_sums_each_clients_parts_and_skips_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let now = Utc::now();
    let mut yesterday = msg(0);
    yesterday.idempotency_key = None;
    store
        .enqueue_at(yesterday, now - chrono::Duration::days(1))
        .await
        .unwrap();
    store.enqueue(msg(1)).await.unwrap();
    // A duplicate stores nothing and so counts nothing.
    assert!(store.enqueue(msg(1)).await.unwrap().duplicate);
    let mut other = msg(2);
    other.client = "other".into();
    other.parts.truncate(1);
    store.enqueue(other).await.unwrap();
    let mut used = store
        .parts_enqueued_since(now - chrono::Duration::minutes(1))
        .await
        .unwrap();
    used.sort();
    assert_eq!(used, vec![("dev".to_string(), 2), ("other".to_string(), 1)]);
}

#[tokio::test]
async fn a_group_message_goes_to_any_member_and_its_parts_stay_on_one_modem() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let now = Utc::now();
    let mut m = msg(0);
    m.modem = Some(group_key(&["b".into(), "a".into()]));
    let id = store.enqueue(m).await.unwrap().message_id;
    // "c" is not in the group.
    assert!(store.lease_next_part("c", now).await.unwrap().is_none());
    let first = store.lease_next_part("b", now).await.unwrap().unwrap();
    assert_eq!((first.message_id, first.seq), (id, 0));
    // The second part may not go out through "a": it would never reassemble.
    assert!(store.lease_next_part("a", now).await.unwrap().is_none());
    let second = store.lease_next_part("b", now).await.unwrap().unwrap();
    assert_eq!((second.message_id, second.seq), (id, 1));
}

#[tokio::test]
async fn a_group_key_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let mut m = msg(0);
    m.modem = Some(group_key(&["a".into(), "b".into()]));
    store.enqueue(m).await.unwrap();
    store.checkpoint().await.unwrap();
    drop(store);
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    assert!(store
        .lease_next_part("a", Utc::now())
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_dead_modems_unsent_multipart_message_is_released_but_a_half_sent_one_waits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cfg(dir.path()), &RetryConfig::default()).unwrap();
    let now = Utc::now();
    let unsent = store.enqueue(msg(1)).await.unwrap().message_id;
    let half = store.enqueue(msg(2)).await.unwrap().message_id;
    // "dead" leases a part of each; one fails back, one goes out.
    let p = store.lease_next_part("dead", now).await.unwrap().unwrap();
    assert_eq!(p.message_id, unsent);
    store
        .part_failed(p.part_id, ErrorClass::Transient, "port closed".into(), now)
        .await
        .unwrap();
    let later = now + chrono::Duration::hours(1);
    let q = store.lease_next_part("dead", later).await.unwrap().unwrap();
    assert_eq!(q.message_id, unsent, "sticky parts come first");
    store
        .part_failed(q.part_id, ErrorClass::Transient, "port closed".into(), now)
        .await
        .unwrap();
    // Meanwhile "dead" got part 1 of the other message out, then died.
    let mut r = store.lease_next_part("dead", later).await.unwrap().unwrap();
    while r.message_id != half {
        store
            .part_failed(r.part_id, ErrorClass::Transient, "x".into(), now)
            .await
            .unwrap();
        r = store.lease_next_part("dead", later).await.unwrap().unwrap();
    }
    store.part_sent(r.part_id, 7, now).await.unwrap();
    assert!(store
        .lease_next_part("alive", later)
        .await
        .unwrap()
        .is_none());

    let moved = store.release_modem("dead").await.unwrap();
    assert_eq!(moved, 2, "both parts of the unsent message");
    let a = store
        .lease_next_part("alive", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.message_id, unsent);
    let b = store
        .lease_next_part("alive", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.message_id, unsent);
    // The half-sent message waits for its modem.
    assert!(store
        .lease_next_part("alive", later)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .lease_next_part("dead", later)
            .await
            .unwrap()
            .unwrap()
            .message_id,
        half
    );
}
