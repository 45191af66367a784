//! A bounded in-memory retained-message store.
//!
//! rmqtt 0.24's default store is a stub that warns and keeps nothing; this
//! wraps its in-memory trie, turns it on, and caps the number of retained
//! topics at [`super::RETAINED_MAX`] so memory stays bounded. Expiry is
//! checked on every read; expired entries are reclaimed when the store is
//! full (no periodic timer, so an idle daemon stays idle).

use std::time::Duration;

use async_trait::async_trait;
use rmqtt::retain::{DefaultRetainStorage, RetainStorage};
use rmqtt::types::{Retain, TopicFilter, TopicName};

pub struct BoundedRetain {
    inner: DefaultRetainStorage,
    max: usize,
}

impl BoundedRetain {
    pub fn new(max: usize) -> Self {
        Self {
            inner: DefaultRetainStorage::new(),
            max,
        }
    }
}

#[async_trait]
impl RetainStorage for BoundedRetain {
    fn enable(&self) -> bool {
        true
    }

    async fn set(
        &self,
        topic: &TopicName,
        retain: Retain,
        expiry_interval: Option<Duration>,
    ) -> rmqtt::Result<()> {
        if !retain.publish.payload.is_empty() {
            let count = usize::try_from(self.inner.count().await).unwrap_or(0);
            if count >= self.max {
                // Reclaim expired entries before refusing.
                self.inner.remove_expired_messages().await;
                let count = usize::try_from(self.inner.count().await).unwrap_or(0);
                let exists = !self.inner.get_message(topic).await?.is_empty();
                if count >= self.max && !exists {
                    tracing::warn!(%topic, max = self.max, "retained message store full; retain flag ignored");
                    return Ok(());
                }
            }
        }
        self.inner
            .set_with_timeout(topic, retain, expiry_interval)
            .await
    }

    async fn get(&self, topic_filter: &TopicFilter) -> rmqtt::Result<Vec<(TopicName, Retain)>> {
        self.inner.get_message(topic_filter).await
    }

    async fn count(&self) -> isize {
        self.inner.count().await
    }

    async fn max(&self) -> isize {
        self.inner.max().await
    }
}
