//! Handles one request: admission, encoding, quota, commit, reply.

use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{Backend, CancelOutcome, EncodeError, EncodeOptions, Enqueued, Incoming, NewSms};
use super::{OutboxEvent, Outgoing, Shared, BULK_KEY_SEPARATOR, MAX_REPLAY_SCAN, USSD_TIMEOUT};
use crate::api::request::CancelRequest;
use crate::api::request::{ReplayRequest, SendRequest, UssdRequest};
use crate::api::{Admitted, BulkItem, Error, ErrorCode, InboundMeta, MessageState, Reply, Request};

pub(super) async fn handle<B: Backend>(shared: &Shared<B>, incoming: Incoming) {
    let admitted = shared.api().admit(
        &incoming.username,
        &incoming.topic,
        &incoming.payload,
        Instant::now(),
    );
    let reply = match admitted {
        Admitted::NotOurs => return,
        Admitted::Refused { id, error } => Reply::error(id, error),
        Admitted::Accepted(request) => {
            let id = request.id().map(str::to_string);
            let result = match request {
                Request::Send(r) => send(shared, &incoming.username, r).await,
                Request::Cancel(r) => cancel(shared, &incoming.username, r).await,
                Request::Ussd(r) => ussd(shared, r).await,
                Request::Replay(r) => replay(shared, &incoming.username, r).await,
                Request::MmsSend(r) => super::mms::send(shared, &incoming.username, r).await,
            };
            result.unwrap_or_else(|e| Reply::error(id, e))
        }
    };
    let topic = shared
        .topics
        .reply_destination(&incoming.username, incoming.response_topic.as_deref());
    let correlation_data = incoming
        .response_topic
        .as_ref()
        .and(incoming.correlation_data);
    let out = Outgoing {
        topic,
        payload: Bytes::from(reply.to_bytes()),
        retain: false,
        correlation_data,
    };
    if let Err(e) = shared.backend.publish(out).await {
        tracing::warn!(user = %incoming.username, error = %e, "reply not published");
    }
}

fn encode_error(e: EncodeError) -> Error {
    match e {
        EncodeError::NotGsm7 => {
            Error::new(ErrorCode::InvalidField, e.to_string()).with_field("encoding")
        }
        EncodeError::Recipient => {
            Error::new(ErrorCode::InvalidRecipient, e.to_string()).with_field("to")
        }
        EncodeError::TooLong { .. } | EncodeError::Other(_) => {
            Error::new(ErrorCode::InvalidField, e.to_string()).with_field("text")
        }
    }
}

fn bulk_key(id: &str, index: usize) -> String {
    format!("{id}{BULK_KEY_SEPARATOR}{index}")
}

fn valid_until(r: &SendRequest, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = r.send_at.map_or(now, |s| s.max(now));
    let v = chrono::Duration::from_std(r.valid_for?).ok()?;
    start.checked_add_signed(v)
}

async fn send<B: Backend>(shared: &Shared<B>, user: &str, r: SendRequest) -> Result<Reply, Error> {
    let now = Utc::now();
    // Encode every recipient first: a request that cannot be sent whole
    // stores nothing.
    let mut encoded = Vec::with_capacity(r.to.len());
    let mut routes = Vec::with_capacity(r.to.len());
    for to in &r.to {
        routes.push(shared.api().route(user, r.modem.as_deref(), to)?);
        let opts = EncodeOptions {
            encoding: r.encoding,
            status_report: r.report,
            flash: r.flash,
            validity: r.valid_for,
            reference: shared.reference.fetch_add(1, Ordering::Relaxed),
            max_parts: shared.api().max_parts(),
        };
        let e = match shared.backend.encode(to, &r.text, &opts) {
            Ok(e) => e,
            Err(EncodeError::TooLong { parts }) => return Err(shared.api().too_long(parts)),
            Err(other) => return Err(encode_error(other)),
        };
        shared.api().check_parts(e.tpdus.len())?;
        encoded.push(e);
    }
    let encoding = encoded.first().map_or("gsm7", |e| e.encoding);
    let parts_each = encoded.first().map_or(0, |e| e.tpdus.len());
    let total: u64 = encoded.iter().map(|e| e.tpdus.len() as u64).sum();
    let reserved = shared.api().reserve_parts(user, total, now);
    if let Err(e) = reserved {
        return match duplicate_of(shared, user, &r, encoding, parts_each).await {
            Some(reply) => Ok(reply),
            None => Err(e),
        };
    }

    let valid_until = valid_until(&r, now);
    let commits =
        r.to.iter()
            .zip(encoded)
            .zip(routes)
            .enumerate()
            .map(|(i, ((to, e), route))| {
                let key = r.id.as_deref().map(|id| {
                    if r.bulk {
                        bulk_key(id, i)
                    } else {
                        id.to_string()
                    }
                });
                let parts = e.tpdus.len() as u64;
                let message = NewSms {
                    client: user.to_string(),
                    idempotency_key: key,
                    to: to.clone(),
                    text: r.text.clone(),
                    encoding: e.encoding.to_string(),
                    parts: e.tpdus,
                    priority: r.priority,
                    send_at: r.send_at,
                    valid_until,
                    route,
                    report: r.report,
                };
                async move { (parts, shared.backend.enqueue(message).await) }
            });
    let results = futures::future::join_all(commits).await;
    shared.outbox.notify_one();

    let mut refund = 0;
    let mut items = Vec::with_capacity(results.len());
    let mut failure = None;
    for ((parts, result), to) in results.into_iter().zip(&r.to) {
        match result {
            Ok(Enqueued {
                message_id,
                duplicate,
                parts: stored_parts,
            }) => {
                if duplicate {
                    refund += parts;
                }
                items.push(BulkItem {
                    to: to.clone(),
                    message_id,
                    parts: stored_parts,
                    duplicate,
                });
            }
            Err(e) => {
                refund += parts;
                failure = Some(e);
            }
        }
    }
    if refund > 0 {
        shared.api().refund_parts(user, refund, now);
    }
    if let Some(e) = failure {
        tracing::warn!(user, error = %e, "send request not committed");
        let mut error = Error::storage(e);
        if r.bulk && !items.is_empty() {
            error.message.push_str(&format!(
                "; {} of {} recipients were stored, retry with the same id to complete",
                items.len(),
                r.to.len()
            ));
        }
        return Err(error);
    }
    let mut reply = Reply::ok(r.id.clone());
    reply.encoding = Some(encoding.to_string());
    reply.parts = Some(parts_each);
    reply.duplicate = items.iter().all(|i| i.duplicate);
    if r.bulk {
        reply.messages = Some(items);
    } else if let Some(item) = items.first() {
        reply.message_id = Some(item.message_id);
        reply.parts = Some(item.parts);
    }
    Ok(reply)
}

/// The reply for a request whose every message is already stored under its
/// idempotency key, if that is the case.
async fn duplicate_of<B: Backend>(
    shared: &Shared<B>,
    user: &str,
    r: &SendRequest,
    encoding: &str,
    parts_each: usize,
) -> Option<Reply> {
    let id = r.id.as_deref()?;
    let mut items = Vec::with_capacity(r.to.len());
    for (i, to) in r.to.iter().enumerate() {
        let key = if r.bulk {
            bulk_key(id, i)
        } else {
            id.to_string()
        };
        let found = shared.backend.lookup(user, &key).await.ok()??;
        items.push(BulkItem {
            to: to.clone(),
            message_id: found.message_id,
            parts: found.parts,
            duplicate: true,
        });
    }
    let mut reply = Reply::ok(r.id.clone());
    reply.encoding = Some(encoding.to_string());
    reply.parts = Some(parts_each);
    reply.duplicate = true;
    if r.bulk {
        reply.messages = Some(items);
    } else {
        reply.message_id = items.first().map(|i| i.message_id);
        reply.parts = items.first().map(|i| i.parts);
    }
    Some(reply)
}

async fn cancel<B: Backend>(
    shared: &Shared<B>,
    user: &str,
    r: CancelRequest,
) -> Result<Reply, Error> {
    let outcome = shared
        .backend
        .cancel(user, &r.target)
        .await
        .map_err(Error::storage)?;
    shared.outbox.notify_one();
    let id = match &r.target {
        crate::api::request::CancelTarget::Key(k) => Some(k.clone()),
        crate::api::request::CancelTarget::MessageId(_) => None,
    };
    match outcome {
        CancelOutcome::Cancelled { message_id } => Ok(Reply {
            message_id: Some(message_id),
            state: Some(MessageState::Cancelled),
            ..Reply::ok(id)
        }),
        CancelOutcome::NotFound => Err(Error::new(
            ErrorCode::NotFound,
            "no message of this user matches",
        )
        .with_field(if id.is_some() { "id" } else { "message_id" })),
        CancelOutcome::NotCancellable { message_id, state } => Err(Error::new(
            ErrorCode::NotCancellable,
            format!(
                "message {message_id} is {} and can no longer be cancelled",
                state.as_str()
            ),
        )),
    }
}

async fn ussd<B: Backend>(shared: &Shared<B>, r: UssdRequest) -> Result<Reply, Error> {
    let unavailable = |m: String| Error::new(ErrorCode::ModemUnavailable, m).with_field("modem");
    let answer = tokio::time::timeout(USSD_TIMEOUT, shared.backend.ussd(&r.modem, &r.code))
        .await
        .map_err(|_| unavailable(format!("no USSD answer within {}s", USSD_TIMEOUT.as_secs())))?
        .map_err(unavailable)?;
    Ok(Reply {
        modem: Some(r.modem),
        response: Some(answer.response),
        session_open: Some(answer.session_open),
        ..Reply::ok(r.id)
    })
}

async fn replay<B: Backend>(
    shared: &Shared<B>,
    user: &str,
    r: ReplayRequest,
) -> Result<Reply, Error> {
    let inbox_permitted = shared
        .api()
        .permissions(user)
        .contains(&crate::config::Permission::Inbox);
    let mut cursor = r.after;
    let mut scanned = 0;
    let mut replayed = 0;
    let mut more = false;
    'scan: while scanned < MAX_REPLAY_SCAN {
        let batch = shared
            .backend
            .events_after(cursor, super::PUBLISH_BATCH)
            .await
            .map_err(Error::storage)?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            if replayed == r.limit {
                more = true;
                break 'scan;
            }
            scanned += 1;
            cursor = event.seq();
            let topic = match &event {
                OutboxEvent::Status { user: owner, .. } if owner == user => {
                    shared.topics.status(user)
                }
                OutboxEvent::MmsStatus { user: owner, .. } if owner == user => {
                    shared.topics.mms_status(user)
                }
                // The shared MMS inbox has no per-user copy to replay into.
                OutboxEvent::Inbox(m) => {
                    let user_topic = shared.topics.user_inbox(user);
                    let routed = shared
                        .api()
                        .inbox_topics(InboundMeta {
                            from: &m.from,
                            modem: &m.modem,
                            text: &m.text,
                        })
                        .contains(&user_topic);
                    if !(routed || inbox_permitted) {
                        continue;
                    }
                    user_topic
                }
                _ => continue,
            };
            let payload = match &event {
                OutboxEvent::Status { event, .. } => crate::api::payload::to_bytes(event),
                OutboxEvent::Inbox(m) => crate::api::payload::to_bytes(m),
                OutboxEvent::MmsStatus { event, .. } => crate::api::payload::to_bytes(event),
                OutboxEvent::MmsInbox(_) | OutboxEvent::Other { .. } => continue,
            };
            shared
                .backend
                .publish(Outgoing {
                    topic,
                    payload: Bytes::from(payload),
                    retain: false,
                    correlation_data: None,
                })
                .await
                .map_err(|e| Error::storage(format!("replay stopped: {e}")))?;
            replayed += 1;
        }
    }
    if scanned >= MAX_REPLAY_SCAN {
        more = true;
    }
    Ok(Reply {
        replayed: Some(replayed),
        last_seq: Some(cursor),
        more: Some(more),
        ..Reply::ok(r.id)
    })
}
