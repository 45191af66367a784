//! The digester: modem bytes in, [`Event`]s out.
//!
//! Guarantees:
//! - Chunking-invariant: feeding a stream whole, in any chunks, or one byte
//!   at a time yields the same events (checked by property tests and by
//!   [`crate::at::fuzz_digest`]).
//! - Never fails and never panics: bytes that form no line are reported as
//!   [`Event::Garbage`] and counted in [`Digester::garbage_bytes`].
//! - Bounded: a line longer than [`MAX_LINE`] is discarded as garbage, so
//!   the buffer never holds more than `MAX_LINE` bytes.
//!
//! Framing: CR, LF, NUL, ^Z and ESC all end a line; runs of them and blank
//! lines are skipped, so `\r\n`, `\r\r\n`, bare `\r`, bare `\n` and stray NULs
//! all work. A `>` at the start of a line is the SMS prompt and is reported
//! at once (the prompt is not followed by a line end). Lines are scanned with
//! a table lookup over the slice; only complete lines are classified.
//!
//! A `+CUSD:` line with an unclosed quote is joined with the following lines
//! (by `\n`) until the quote closes, as USSD texts may contain line breaks.
//!
//! Classification of one line, in order: the PDU line of a pending two-line
//! URC; PDU characters echoed inside the prompt; the echo of the pending
//! command; a final result code; a two-line URC header; an information line
//! with the pending command's prefix (for `+CREG`/`+CGREG`/`+CEREG` only when
//! it has the answer's shape, and for single-line answers only the first);
//! a recognised URC; otherwise an information line of the pending command
//! (or, with none pending, an unknown URC).

use std::collections::VecDeque;

use super::command::Command;
use super::event::{Event, Final};
use super::grammar::{has_prefix, is_hex, starts_with_ci};
use super::urc::{self, TwoLineKind, Urc};

/// Longest line the digester keeps; longer ones are discarded as garbage.
/// The longest legitimate line is a `+CMGR` header with its PDU on the same
/// line (≈ 30 + 2 × 176 characters).
pub const MAX_LINE: usize = 2048;

/// Most events held before the oldest are dropped (and counted as garbage):
/// bounds memory when the caller stops polling.
pub const MAX_QUEUED_EVENTS: usize = 4096;

const fn separators() -> [bool; 256] {
    let mut t = [false; 256];
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[0] = true;
    t[0x1a] = true;
    t[0x1b] = true;
    t
}
static SEP: [bool; 256] = separators();

#[inline]
fn is_sep(b: u8) -> bool {
    SEP[b as usize]
}

#[derive(Debug)]
struct Pending {
    line: String,
    info_prefix: Option<&'static str>,
    prompt_seen: bool,
    echo_seen: bool,
    /// A prefixed information line was already taken.
    answered: bool,
    dialing: bool,
}

impl Pending {
    fn new(cmd: &Command) -> Pending {
        Pending {
            line: cmd.line.trim().to_string(),
            info_prefix: cmd.info_prefix,
            prompt_seen: false,
            echo_seen: false,
            answered: false,
            dialing: starts_with_ci(&cmd.line, "ATD") || starts_with_ci(&cmd.line, "ATA"),
        }
    }
}

#[derive(Debug)]
struct TwoLine {
    kind: TwoLineKind,
    length: usize,
    header: String,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<Event>,
    pending: Option<Pending>,
    queued: VecDeque<Command>,
    infer: bool,
    skip_space: bool,
    discarding: Option<usize>,
    two_line: Option<TwoLine>,
    /// A `+CUSD:` line whose quoted text continues on the next lines.
    multiline: Option<String>,
    garbage: u64,
}

/// Incremental, sans-IO AT response digester. See the module docs.
#[derive(Debug, Default)]
pub struct Digester {
    /// The unterminated tail of the stream (never contains a separator).
    buf: Vec<u8>,
    st: State,
}

impl Digester {
    pub fn new() -> Digester {
        Digester::default()
    }

    /// A digester that, with no command pending, takes an echoed `AT…` line
    /// as the start of that command (for captures without `expect` calls).
    pub fn inferring() -> Digester {
        let mut d = Digester::new();
        d.st.infer = true;
        d
    }

    /// Turns echo inference on or off (see [`Digester::inferring`]).
    pub fn set_infer(&mut self, on: bool) {
        self.st.infer = on;
    }

    /// Tells the digester that `cmd` is now pending (call it before writing
    /// the command). It replaces any pending command; the final result
    /// clears it.
    pub fn expect(&mut self, cmd: &Command) {
        self.st.pending = Some(Pending::new(cmd));
    }

    /// Queues `cmd` to become pending after the current command's final
    /// result (or at once when none is pending). For replaying captures.
    pub fn expect_after(&mut self, cmd: &Command) {
        if self.st.pending.is_none() {
            self.expect(cmd);
        } else {
            self.st.queued.push_back(cmd.clone());
        }
    }

    /// True while a command is pending (no final result seen yet).
    pub fn is_pending(&self) -> bool {
        self.st.pending.is_some()
    }

    /// Feeds bytes from the modem, in any chunking.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.buf.is_empty() {
            let used = self.st.scan(bytes, 0);
            self.buf.extend_from_slice(&bytes[used..]);
        } else {
            let hint = self.buf.len();
            self.buf.extend_from_slice(bytes);
            let used = self.st.scan(&self.buf, hint);
            self.buf.drain(..used);
        }
    }

    /// End of stream: classifies an unterminated last line and reports an
    /// unfinished two-line URC. The digester stays usable.
    pub fn finish(&mut self) {
        if let Some(n) = self.st.discarding.take() {
            self.st.add_garbage(n);
        }
        let tail = std::mem::take(&mut self.buf);
        if !tail.is_empty() {
            self.st.line(&tail);
        }
        if let Some(tl) = self.st.two_line.take() {
            self.st.push(Event::Urc(Urc::Unknown(tl.header)));
        }
        if let Some(acc) = self.st.multiline.take() {
            self.st.push(Event::Urc(Urc::Unknown(acc)));
        }
        self.st.skip_space = false;
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.st.events.pop_front()
    }

    /// Total bytes skipped as garbage so far.
    pub fn garbage_bytes(&self) -> u64 {
        self.st.garbage
    }
}

/// The pending command's prefix, with the vendor spellings of `+CCID`.
fn prefix_matches(line: &str, px: &str) -> bool {
    has_prefix(line, px)
        || (px == "+CCID" && (has_prefix(line, "+ICCID") || has_prefix(line, "+QCCID")))
}

impl State {
    fn push(&mut self, e: Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn add_garbage(&mut self, len: usize) {
        self.garbage += len as u64;
        tracing::trace!(len, "AT garbage skipped");
        self.push(Event::Garbage { len });
    }

    /// Consumes complete lines from `data`; returns how many bytes were used.
    /// The rest is an unterminated line without separators. `hint` bytes at
    /// the start are known to hold no separator.
    fn scan(&mut self, data: &[u8], mut hint: usize) -> usize {
        let n = data.len();
        let mut pos = 0;
        loop {
            if let Some(count) = self.discarding {
                match data[pos..].iter().position(|&b| is_sep(b)) {
                    Some(k) => {
                        self.discarding = None;
                        self.add_garbage(count + k);
                        pos += k;
                    }
                    None => {
                        self.discarding = Some(count + (n - pos));
                        return n;
                    }
                }
            }
            while pos < n && is_sep(data[pos]) {
                pos += 1;
                hint = 0;
            }
            if pos == n {
                return n;
            }
            if self.skip_space {
                self.skip_space = false;
                if data[pos] == b' ' {
                    pos += 1;
                    hint = 0;
                    continue;
                }
            }
            if data[pos] == b'>' {
                self.prompt();
                pos += 1;
                hint = 0;
                self.skip_space = true;
                continue;
            }
            let start = pos;
            let limit = n.min(start + MAX_LINE);
            let from = (start + hint).min(limit);
            hint = 0;
            match data[from..limit].iter().position(|&b| is_sep(b)) {
                Some(k) => {
                    let end = from + k;
                    self.line(&data[start..end]);
                    pos = end;
                }
                None if limit - start >= MAX_LINE => {
                    self.discarding = Some(MAX_LINE);
                    pos = limit;
                }
                None => return start,
            }
        }
    }

    fn prompt(&mut self) {
        match &mut self.pending {
            Some(p) if p.prompt_seen => self.push(Event::Echo(">".to_string())),
            Some(p) => {
                p.prompt_seen = true;
                self.push(Event::Prompt);
            }
            None => self.push(Event::Prompt),
        }
    }

    fn line(&mut self, raw: &[u8]) {
        let text = match std::str::from_utf8(raw) {
            Ok(t) if !t.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) => t,
            _ => {
                self.add_garbage(raw.len());
                return;
            }
        };
        let t = text.trim_matches([' ', '\t']);
        if t.is_empty() {
            return;
        }
        if let Some(mut acc) = self.multiline.take() {
            if Final::parse(t, false).is_some() {
                // The quote never closed: report what we have, then the final.
                self.push(Event::Urc(Urc::Unknown(acc)));
            } else {
                acc.push('\n');
                acc.push_str(t);
                if acc.matches('"').count() % 2 == 0 || acc.len() >= MAX_LINE {
                    self.classify(&acc);
                } else {
                    self.multiline = Some(acc);
                }
                return;
            }
        } else if has_prefix(t, "+CUSD") && t.matches('"').count() % 2 == 1 {
            // USSD text with embedded line breaks (`+CUSD: 0,"Line 1\nLine 2",15`).
            self.multiline = Some(t.to_string());
            return;
        }
        self.classify(t);
    }

    /// Classifies one trimmed, non-empty, printable line.
    fn classify(&mut self, t: &str) {
        // The PDU line of a two-line URC.
        if let Some(tl) = self.two_line.take() {
            if is_hex(t.as_bytes()) {
                if let Some(pdu) = urc::pdu_line(t) {
                    self.push(Event::Urc(tl.kind.make(tl.length, pdu)));
                    return;
                }
            }
            self.push(Event::Urc(Urc::Unknown(tl.header)));
        }

        // PDU characters echoed inside the prompt.
        if let Some(p) = &self.pending {
            if p.prompt_seen && t.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.push(Event::Echo(t.to_string()));
                return;
            }
        }

        // The command echo.
        if let Some(p) = &mut self.pending {
            if !p.echo_seen && t.eq_ignore_ascii_case(&p.line) {
                p.echo_seen = true;
                self.push(Event::Echo(t.to_string()));
                return;
            }
        }
        let idle = self.pending.as_ref().is_none_or(|p| !p.echo_seen);
        if starts_with_ci(t, "AT") && (self.pending.is_none() || (self.infer && idle)) {
            if self.infer {
                let mut p = Pending::new(&Command::from_line(t));
                p.echo_seen = true;
                self.pending = Some(p);
            }
            self.push(Event::Echo(t.to_string()));
            return;
        }

        // Final result codes.
        let dialing = self.pending.as_ref().is_some_and(|p| p.dialing);
        if let Some(f) = Final::parse(t, dialing) {
            self.push(Event::Final(f));
            self.pending = self.queued.pop_front().map(|c| Pending::new(&c));
            return;
        }

        if t.as_bytes()[0] == b'+' {
            // Two-line URC header (PDU mode).
            if let Some((kind, length)) = urc::two_line_header(t) {
                self.two_line = Some(TwoLine {
                    kind,
                    length,
                    header: t.to_string(),
                });
                return;
            }
            // The pending command's own prefix.
            if let Some(p) = &mut self.pending {
                if let Some(px) = p.info_prefix {
                    if prefix_matches(t, px) {
                        let is_urc = if matches!(px, "+CREG" | "+CGREG" | "+CEREG") {
                            urc::registration_line_is_urc(t)
                        } else {
                            p.answered && px != "+CMGL"
                        };
                        if !is_urc {
                            p.answered = true;
                            self.push(Event::Info(t.to_string()));
                            return;
                        }
                    }
                }
            }
        }

        match urc::parse(t) {
            Some(u) => {
                let untyped_answer = !urc::is_typed(&u)
                    && self
                        .pending
                        .as_ref()
                        .is_some_and(|p| p.info_prefix.is_none());
                if untyped_answer {
                    self.push(Event::Info(t.to_string()));
                } else {
                    self.push(Event::Urc(u));
                }
            }
            None if self.pending.is_some() => self.push(Event::Info(t.to_string())),
            None => self.push(Event::Urc(Urc::Unknown(t.to_string()))),
        }
    }
}
