//! The single writer thread and its group commit.
//!
//! Guarantees: requests are drained from a bounded channel in batches of at
//! most `storage.group_commit_max`; a batch is one IMMEDIATE transaction in
//! which every request runs in its own savepoint. Replies are sent only
//! after `COMMIT` returned: a request's own error rolls back only its
//! savepoint; a failed commit fails every request of the batch with the
//! commit error. The thread ends when the last [`super::Store`] is dropped.

use rand::rngs::StdRng;
use rand::SeedableRng;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::config::{RetryConfig, StorageConfig};

use std::sync::{Arc, Mutex};

use super::ops::Ctx;
use super::route::Groups;
use super::{Error, Result};

/// A request to the writer.
pub(crate) enum Command {
    Job(Box<dyn Job>),
    /// `PRAGMA wal_checkpoint(TRUNCATE)`, outside any transaction.
    Checkpoint(oneshot::Sender<Result<()>>),
}

/// One request inside a batch.
pub(crate) trait Job: Send {
    /// Runs the request inside the batch transaction.
    fn apply(&mut self, tx: &mut rusqlite::Transaction<'_>, ctx: &mut Ctx);
    /// Delivers the result once the batch's commit outcome is known.
    fn finish(self: Box<Self>, commit: &Result<()>);
}

pub(crate) struct TypedJob<R, F> {
    f: Option<F>,
    out: Option<Result<R>>,
    reply: oneshot::Sender<Result<R>>,
}

impl<R, F> TypedJob<R, F> {
    pub fn new(f: F, reply: oneshot::Sender<Result<R>>) -> Self {
        Self {
            f: Some(f),
            out: None,
            reply,
        }
    }
}

impl<R, F> Job for TypedJob<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Connection, &mut Ctx) -> Result<R> + Send + 'static,
{
    fn apply(&mut self, tx: &mut rusqlite::Transaction<'_>, ctx: &mut Ctx) {
        let Some(f) = self.f.take() else { return };
        let out = (|| {
            let sp = tx.savepoint()?;
            let r = f(&sp, ctx)?;
            sp.commit()?;
            Ok(r)
        })();
        self.out = Some(out);
    }

    fn finish(self: Box<Self>, commit: &Result<()>) {
        let out = match (self.out, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(r)), Ok(())) => Ok(r),
            (_, Err(e)) => Err(e.clone()),
            (None, Ok(())) => Err(Error::Closed),
        };
        // The caller may have given up waiting; that is its business.
        let _ = self.reply.send(out);
    }
}

pub(crate) fn spawn(
    conn: Connection,
    rx: mpsc::Receiver<Command>,
    storage: StorageConfig,
    retry: RetryConfig,
    groups: Arc<Mutex<Groups>>,
) -> Result<()> {
    let max_batch = storage.group_commit_max.max(1);
    let ctx = Ctx {
        storage,
        retry,
        rng: StdRng::from_entropy(),
        groups,
    };
    std::thread::Builder::new()
        .name("gsmq-store-writer".into())
        .spawn(move || run(conn, rx, ctx, max_batch))
        .map(|_| ())
        .map_err(|e| Error::Io {
            path: "gsmq-store-writer".into(),
            detail: format!("cannot start writer thread: {e}"),
        })
}

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Command>, mut ctx: Ctx, max_batch: usize) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    while let Some(cmd) = rx.blocking_recv() {
        let mut pending = Some(cmd);
        while let Some(cmd) = pending.take() {
            match cmd {
                Command::Job(job) => batch.push(job),
                Command::Checkpoint(reply) => {
                    commit_batch(&mut conn, &mut ctx, &mut batch);
                    let _ = reply.send(checkpoint(&conn));
                }
            }
            if batch.len() < max_batch {
                pending = rx.try_recv().ok();
            }
        }
        commit_batch(&mut conn, &mut ctx, &mut batch);
    }
    if let Err(e) = checkpoint(&conn) {
        tracing::warn!(error = %e, "final WAL checkpoint failed");
    }
}

fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Runs `batch` in one transaction and answers every request.
fn commit_batch(conn: &mut Connection, ctx: &mut Ctx, batch: &mut Vec<Box<dyn Job>>) {
    if batch.is_empty() {
        return;
    }
    let result = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in batch.iter_mut() {
            job.apply(&mut tx, ctx);
        }
        tx.commit()?;
        Ok(())
    })();
    if let Err(e) = &result {
        tracing::error!(error = %e, requests = batch.len(), "store commit failed");
    }
    for job in batch.drain(..) {
        job.finish(&result);
    }
}
