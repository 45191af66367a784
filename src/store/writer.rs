//! The single writer thread and its group commit.
//!
//! Guarantees: requests are taken from a bounded channel in batches of at
//! most `storage.group_commit_max`; a batch is one IMMEDIATE transaction in
//! which every request runs in its own savepoint, applied as it arrives (a
//! request sent while the batch is being applied joins it). Replies are sent only
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
    /// Runs the request inside the batch transaction, in its own savepoint
    /// (its error rolls back only its own changes). An `Err` means the
    /// transaction itself is broken and the batch must not commit.
    fn apply(&mut self, tx: &mut rusqlite::Transaction<'_>, ctx: &mut Ctx) -> Result<()>;
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
    fn apply(&mut self, tx: &mut rusqlite::Transaction<'_>, ctx: &mut Ctx) -> Result<()> {
        let Some(f) = self.f.take() else {
            return Ok(());
        };
        if let Err(e) = savepoint(tx, "SAVEPOINT job") {
            self.out = Some(Err(e));
            return Ok(());
        }
        let out = f(tx, ctx);
        let end = match &out {
            Ok(_) => savepoint(tx, "RELEASE job"),
            Err(_) => savepoint(tx, "ROLLBACK TO job").and_then(|()| savepoint(tx, "RELEASE job")),
        };
        self.out = Some(out);
        // A savepoint that cannot be released or rolled back leaves the
        // transaction in an unknown state: the whole batch is abandoned.
        end
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

/// Runs a savepoint statement through the statement cache: one savepoint
/// per request makes these the most frequent statements of a batch.
fn savepoint(c: &Connection, sql: &str) -> Result<()> {
    super::ops::exec(c, sql, []).map(drop)
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
        let deferred = match cmd {
            Command::Job(job) => {
                run_batch(&mut conn, &mut ctx, &mut batch, job, &mut rx, max_batch)
            }
            Command::Checkpoint(reply) => Some(reply),
        };
        if let Some(reply) = deferred {
            let _ = reply.send(checkpoint(&conn));
        }
    }
    if let Err(e) = checkpoint(&conn) {
        tracing::warn!(error = %e, "final WAL checkpoint failed");
    }
}

fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// One batch: opens a transaction, applies `first` and then every request
/// that arrives while the batch is open (up to `max_batch`, so requests
/// sent while earlier ones were being applied share the commit instead of
/// waiting for the next one), commits, and answers every request. A
/// checkpoint request met on the way ends the batch and is returned, to be
/// run after the commit.
fn run_batch(
    conn: &mut Connection,
    ctx: &mut Ctx,
    batch: &mut Vec<Box<dyn Job>>,
    first: Box<dyn Job>,
    rx: &mut mpsc::Receiver<Command>,
    max_batch: usize,
) -> Option<oneshot::Sender<Result<()>>> {
    let mut deferred = None;
    let mut next = Some(first);
    let result = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        while let Some(mut job) = next.take() {
            let applied = job.apply(&mut tx, ctx);
            batch.push(job);
            applied?;
            if batch.len() >= max_batch {
                break;
            }
            match rx.try_recv() {
                Ok(Command::Job(j)) => next = Some(j),
                Ok(Command::Checkpoint(reply)) => deferred = Some(reply),
                Err(_) => {}
            }
        }
        tx.commit()?;
        Ok(())
    })();
    // A job not applied because the transaction could not be opened.
    if let Some(job) = next {
        batch.push(job);
    }
    if let Err(e) = &result {
        tracing::error!(error = %e, requests = batch.len(), "store commit failed");
    }
    for job in batch.drain(..) {
        job.finish(&result);
    }
    deferred
}
