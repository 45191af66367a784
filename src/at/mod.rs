//! Sans-IO AT protocol layer: a [`Digester`] that turns the modem→host byte
//! stream into typed [`Event`]s, typed [`command`] builders with timeouts and
//! retry classes, and typed [`response`] parsers.
//!
//! Guarantees: no I/O, no clock reads, no spawning; time-related values are
//! plain [`std::time::Duration`]s for the caller to apply. The digester never
//! panics and never fails on any input; bytes it cannot use are counted as
//! garbage. Parser errors are the small `Copy` [`Error`].

pub mod command;
mod digest;
mod event;
mod grammar;
pub mod response;
pub mod transcript;
mod urc;

pub use command::{Command, RetryClass};
pub use digest::{Digester, MAX_LINE, MAX_QUEUED_EVENTS};
pub use event::{CmeError, CmsError, Event, Final};
pub use urc::{BootMarker, Clip, Cusd, PowerEvent, Registration, RegistrationKind, Signal, Urc};

/// Errors of the AT response parsers and the transcript reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("no {0} in the response")]
    Missing(&'static str),
    #[error("malformed `{0}` line")]
    Malformed(&'static str),
    #[error("`{0}` value out of range")]
    Range(&'static str),
    #[error("`{0}` PDU line is not valid hex")]
    PduHex(&'static str),
    #[error("`{what}` PDU has {actual} octets but the header announced {declared}")]
    PduLength {
        what: &'static str,
        declared: usize,
        actual: usize,
    },
    #[error("invalid escape sequence (use \\r \\n \\t \\0 \\\\ \\xHH)")]
    Escape,
    #[error("transcript line must start with `<`, `>`, `>>` or `#`")]
    Transcript,
}

/// Result of the AT parsers.
pub type Result<T> = std::result::Result<T, Error>;

fn digest_all(chunks: impl Iterator<Item = (usize, usize)>, data: &[u8]) -> (Vec<Event>, u64) {
    let mut d = Digester::inferring();
    let mut out = Vec::new();
    for (a, b) in chunks {
        d.feed(&data[a..b]);
        while let Some(e) = d.poll_event() {
            out.push(e);
        }
    }
    d.finish();
    while let Some(e) = d.poll_event() {
        out.push(e);
    }
    (out, d.garbage_bytes())
}

/// Digests `data` whole, one byte at a time, and in chunks whose sizes are
/// taken from the data itself, and asserts that all three give the same
/// events (chunking invariance is a programmer-error invariant). Returns the
/// events. The fuzz target and the property tests call this.
pub fn fuzz_digest(data: &[u8]) -> Vec<Event> {
    let n = data.len();
    let whole = digest_all(std::iter::once((0, n)), data);
    let bytewise = digest_all((0..n).map(|i| (i, i + 1)), data);
    let mut cuts = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < n {
        let step = 1 + usize::from(data[k % n]) % 17;
        let j = (i + step).min(n);
        cuts.push((i, j));
        i = j;
        k += 7;
    }
    let chunked = digest_all(cuts.into_iter(), data);
    assert_eq!(whole, bytewise, "byte-at-a-time digest differs");
    assert_eq!(whole, chunked, "chunked digest differs");
    whole.0
}
