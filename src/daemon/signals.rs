//! Unix signals as a stream of lifecycle events: SIGTERM/SIGINT stop the
//! daemon, SIGHUP reloads users and permissions.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// What a signal asks the daemon to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// SIGTERM or SIGINT.
    Terminate,
    /// SIGHUP.
    Reload,
}

/// Installed handlers for SIGTERM, SIGINT and SIGHUP.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    /// Installs the handlers (needs a running tokio runtime).
    pub fn new() -> super::Result<Signals> {
        let mk = |k| signal(k).map_err(super::Error::Signal);
        Ok(Signals {
            term: mk(SignalKind::terminate())?,
            int: mk(SignalKind::interrupt())?,
            hup: mk(SignalKind::hangup())?,
        })
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> Event {
        tokio::select! {
            _ = self.term.recv() => Event::Terminate,
            _ = self.int.recv() => Event::Terminate,
            _ = self.hup.recv() => Event::Reload,
        }
    }
}
