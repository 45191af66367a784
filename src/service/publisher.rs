//! Publishes the store's event outbox: status events to their user, inbound
//! SMS to the shared inbox and routed users; plus gateway and modem state.

use std::sync::Arc;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::{Backend, OutboxEvent, Outgoing, Shared, PUBLISH_BATCH, PUBLISH_POLL, PUBLISH_RETRY};
use crate::api::{payload::to_bytes, InboundMeta, ModemState, Topics};

/// Publishes every unpublished outbox event, then waits for more, until
/// `stop`; then drains once more and returns.
pub(super) async fn run<B: Backend>(shared: Arc<Shared<B>>, stop: CancellationToken) {
    loop {
        let drained = drain(&shared).await;
        if stop.is_cancelled() {
            return;
        }
        let pause = match drained {
            Ok(n) if n > 0 => continue,
            Ok(_) => PUBLISH_POLL,
            Err(()) => PUBLISH_RETRY,
        };
        tokio::select! {
            () = stop.cancelled() => {}
            () = shared.outbox.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Publishes one batch; returns how many events it handled.
async fn drain<B: Backend>(shared: &Shared<B>) -> Result<usize, ()> {
    let events = shared
        .backend
        .unpublished(PUBLISH_BATCH)
        .await
        .map_err(|e| tracing::warn!(error = %e, "reading the event outbox failed"))?;
    if events.is_empty() {
        return Ok(0);
    }
    for event in &events {
        for out in outgoing(shared, event) {
            shared
                .backend
                .publish(out)
                .await
                .map_err(|e| tracing::warn!(error = %e, "publishing an event failed"))?;
        }
    }
    shared
        .backend
        .mark_published(&events.iter().map(OutboxEvent::seq).collect::<Vec<_>>())
        .await
        .map_err(|e| tracing::warn!(error = %e, "marking events published failed"))?;
    Ok(events.len())
}

fn outgoing<B>(shared: &Shared<B>, event: &OutboxEvent) -> Vec<Outgoing> {
    let message = |topic: String, payload: Vec<u8>| Outgoing {
        topic,
        payload: Bytes::from(payload),
        retain: false,
        correlation_data: None,
    };
    match event {
        OutboxEvent::Status { user, event } => {
            vec![message(shared.topics.status(user), to_bytes(event))]
        }
        OutboxEvent::Inbox(m) => {
            let payload = Bytes::from(to_bytes(m));
            let topics = shared.api().inbox_topics(InboundMeta {
                from: &m.from,
                modem: &m.modem,
                text: &m.text,
            });
            topics
                .into_iter()
                .map(|topic| Outgoing {
                    topic,
                    payload: payload.clone(),
                    retain: false,
                    correlation_data: None,
                })
                .collect()
        }
        OutboxEvent::MmsStatus { user, event } => {
            vec![message(shared.topics.mms_status(user), to_bytes(event))]
        }
        OutboxEvent::MmsInbox(m) => vec![message(shared.topics.mms_inbox(), to_bytes(m))],
        OutboxEvent::Other { .. } => Vec::new(),
    }
}

/// Publishes the retained `{prefix}/modem/{name}/state`; the gateway calls
/// this on every modem state change.
pub async fn publish_modem_state<B: Backend>(
    backend: &B,
    topics: &Topics,
    name: &str,
    state: &ModemState,
) -> super::Result<()> {
    backend
        .publish(Outgoing {
            topic: topics.modem_state(name),
            payload: Bytes::from(state.to_bytes()),
            retain: true,
            correlation_data: None,
        })
        .await
}
