//! The sans-IO modem state machine: bytes and time in, timed output bytes
//! and events out. No I/O, no clock reads, no spawning; the PTY task in
//! `pty.rs` (or a test) drives it.
//!
//! Driving protocol:
//! 1. [`Modem::handle_input`] with the bytes the DTE wrote and `now`.
//! 2. [`Modem::handle_timeout`] whenever `now` reaches
//!    [`Modem::poll_timeout`].
//! 3. Drain [`Modem::poll_transmit`] (chunks whose release time has come)
//!    and [`Modem::poll_event`] (submitted messages, unplug requests).
//!
//! Guarantees: the output is a single ordered byte stream (a chunk is never
//! released before an earlier one); URCs only land at line boundaries
//! (MODEM-SPEC §1.3), and outside a command or prompt unless the fault
//! injector pins them to a §5.1 injection point; every random decision comes
//! from one RNG seeded by [`SimOptions::seed`], so the same seed and the same
//! input give the same bytes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::codec;
use super::faults::{CMS_PERMANENT, CMS_TRANSIENT};
use super::personality::{NotReady, Personality, Profile};
use super::storage::{MemId, Storage, Stored, REC_READ, REC_UNREAD};
use super::timing::Rat;
use super::{SentPart, SimOptions};

/// Longest command line or prompt buffer kept (longer input is dropped).
pub const MAX_LINE: usize = 2048;
/// Most output chunks queued before the oldest are dropped.
pub const MAX_QUEUED_CHUNKS: usize = 4096;
/// Most held URCs / refused messages kept.
pub const MAX_PENDING: usize = 256;

/// What the modem asks its driver to do, or reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemEvent {
    /// The network accepted a submitted part (`+CMGS: <mr>` was sent).
    Submitted(SentPart),
    /// Close the PTY now and re-plug after `down_for` (MODEM-SPEC §5.4).
    Unplug { down_for: Duration, rename: bool },
    /// `AT+QMMSEND` / `AT+CMMSSEND`: post this MMS to the MMSC, then call
    /// [`Modem::mms_result`] (MODEM-SPEC §7).
    MmsSubmit(super::mms::Submission),
    /// An HTTP request of the modem's own MMS or HTTP client (retrieval,
    /// acknowledgement): make it, then call [`Modem::mms_reply`].
    MmsHttp(super::mms::HttpRequest),
}

/// Reset flavours (MODEM-SPEC §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetKind {
    /// Same PTY, boot URCs, settings back to the profile (echo on).
    Soft,
    /// Output cut off mid-line, then a soft reset.
    MidResponse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Powering up: input is lost until the first boot URC.
    Boot,
    Cmd,
    /// `AT+CMGS` prompt: everything typed is message data (§5.5).
    Prompt {
        declared: usize,
        /// Text-mode destination (`AT+CMGF=1`).
        text_to: Option<String>,
        buf: Vec<u8>,
    },
    /// `AT+QFUPL` after CONNECT / `AT+CMMSDOWN` after `>`: the next
    /// `remaining` bytes are raw file data.
    Upload {
        remaining: usize,
        buf: Vec<u8>,
        target: super::mms::Upload,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Timer {
    Boot { generation: u64, step: usize },
    Inbound { tpdu: Vec<u8> },
    Report { tpdu: Vec<u8> },
    Ussd { generation: u64, text: String },
    CnmaTimeout { id: u64 },
    Redeliver,
    Noise { generation: u64 },
    FaultReset { generation: u64 },
    FaultUnplug { generation: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Final {
    Ok,
    Error,
    Cme(u16),
    Cms(u16),
    /// The personality's own error token (`COMMAND NOT SUPPORT`).
    Vendor,
}

enum Outcome {
    Lines(Vec<String>),
    Fail(Final),
    /// Enter the prompt (must be the last command of the line).
    Prompt {
        declared: usize,
        text_to: Option<String>,
    },
    /// Take raw upload bytes (must be the last command of the line).
    Upload {
        size: usize,
        target: super::mms::Upload,
    },
    /// No answer until the MMSC answered (SIM800 `AT+CMMSSEND`; must be
    /// the last command of the line).
    Blocked,
    /// The line `head`, raw `data`, then `tail` lines and OK (downloads;
    /// must be the last command of the line).
    Raw {
        head: String,
        data: Vec<u8>,
        tail: Vec<String>,
    },
}

/// Runtime settings that a reset restores (§4 "Reset semantics").
#[derive(Debug, Clone)]
struct Settings {
    echo: bool,
    verbose: bool,
    quiet: bool,
    cmee: u8,
    cmgf: u8,
    cscs: String,
    cnmi: [u8; 5],
    csmp: [u16; 4],
    cpms: [MemId; 3],
    csms: u8,
    cmms: u8,
    creg_n: u8,
    cereg_n: u8,
    cgreg_n: u8,
    curc: bool,
}

impl Settings {
    fn profile(echo: bool) -> Settings {
        Settings {
            echo,
            verbose: true,
            quiet: false,
            cmee: 0,
            cmgf: 0,
            cscs: "GSM".into(),
            cnmi: [2, 1, 0, 0, 0],
            csmp: [17, 167, 0, 0],
            cpms: [MemId::Sm, MemId::Sm, MemId::Sm],
            csms: 0,
            cmms: 0,
            creg_n: 0,
            cereg_n: 0,
            cgreg_n: 0,
            curc: true,
        }
    }
}

/// The simulated modem.
#[derive(Debug)]
pub struct Modem {
    personality: Personality,
    profile: Profile,
    opts: SimOptions,
    rng: StdRng,
    start: Instant,
    wall_start: DateTime<Utc>,

    settings: Settings,
    /// `AT&W` profile echo (NVRAM).
    stored_echo: bool,
    mode: Mode,
    generation: u64,
    boot_step: usize,
    storage: Storage,
    mr: u8,
    smsc: String,
    cfun: u8,
    rssi: u8,
    ber: u8,
    reg_stat: u8,

    inbox: VecDeque<u8>,
    line: Vec<u8>,
    last_byte: u8,
    busy_until: Option<Instant>,
    hung_until: Option<Instant>,
    link_open_until: Option<Instant>,

    out: VecDeque<(Instant, Vec<u8>)>,
    last_out: Option<Instant>,
    held_urcs: VecDeque<String>,
    timers: Vec<(Instant, u64, Timer)>,
    timer_seq: u64,
    events: VecDeque<ModemEvent>,

    cnma_pending: VecDeque<(u64, Vec<u8>)>,
    cnma_seq: u64,
    refused: VecDeque<Vec<u8>>,
    /// Status reports refused because the report memory was full (§6.6:
    /// the SMSC keeps them and retries, like refused SMS).
    refused_reports: VecDeque<Vec<u8>>,
    memfull_signalled: bool,
    concat_ref: u16,
    mms: super::mms::SimMms,
    /// A blocking MMS send waits for the MMSC (SIM800).
    mms_blocking: bool,
}

impl Modem {
    /// A modem that powers on at `now`; `wall` is the wall-clock time at
    /// `now` (for PDU timestamps).
    pub fn new(opts: SimOptions, now: Instant, wall: DateTime<Utc>) -> Modem {
        let profile = opts.personality.profile();
        let mut m = Modem {
            personality: opts.personality,
            rng: StdRng::seed_from_u64(opts.seed),
            start: now,
            wall_start: wall,
            settings: Settings::profile(true),
            stored_echo: true,
            mode: Mode::Boot,
            generation: 0,
            boot_step: 0,
            storage: Storage::new(opts.storage),
            mr: opts.mr_start,
            smsc: opts.smsc.clone(),
            cfun: 1,
            rssi: 21,
            ber: 99,
            reg_stat: 1,
            inbox: VecDeque::new(),
            line: Vec::new(),
            last_byte: 0,
            busy_until: None,
            hung_until: None,
            link_open_until: None,
            out: VecDeque::new(),
            last_out: None,
            held_urcs: VecDeque::new(),
            timers: Vec::new(),
            timer_seq: 0,
            events: VecDeque::new(),
            cnma_pending: VecDeque::new(),
            cnma_seq: 0,
            refused: VecDeque::new(),
            refused_reports: VecDeque::new(),
            memfull_signalled: false,
            concat_ref: 0,
            mms: super::mms::SimMms::with_max_attachment(opts.mms_max_attachment_bytes),
            mms_blocking: false,
            profile,
            opts,
        };
        m.power_on(now);
        m
    }

    /// The personality this modem plays.
    pub fn personality(&self) -> Personality {
        self.personality
    }

    /// The modem's own number.
    pub fn number(&self) -> &str {
        &self.opts.number
    }

    /// Whether the modem currently echoes input (`ATE`).
    pub fn echo(&self) -> bool {
        self.settings.echo
    }

    /// Messages stored in a memory, with their 0-based slots.
    pub fn stored(&self, mem: MemId) -> Vec<(usize, Stored)> {
        self.storage
            .entries(mem)
            .map(|(i, s)| (i, s.clone()))
            .collect()
    }

    // ------------------------------------------------------------ driving

    /// Bytes written by the DTE.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        self.fire_due(now);
        let room = (MAX_LINE * 4).saturating_sub(self.inbox.len());
        self.inbox.extend(bytes.iter().take(room));
        self.process(now);
        self.flush_held(now);
    }

    /// Runs due timers and pending input.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.fire_due(now);
        self.process(now);
        self.flush_held(now);
    }

    fn fire_due(&mut self, now: Instant) {
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (at, _, _))| *at <= now)
                .min_by_key(|(_, (at, seq, _))| (*at, *seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let (at, _, timer) = self.timers.swap_remove(i);
            self.fire(timer, at);
        }
    }

    /// The next instant at which something happens.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timer = self.timers.iter().map(|(at, _, _)| *at).min();
        let out = self.out.front().map(|(at, _)| *at);
        // Waiting input, or held URCs that go out when the command ends, need
        // a wake-up when the modem stops being busy. (Held URCs in the prompt
        // or behind a half-typed line wait for the DTE instead.)
        let held_can_flush =
            !self.held_urcs.is_empty() && self.mode == Mode::Cmd && self.line.is_empty();
        let busy = if !self.inbox.is_empty() || held_can_flush {
            self.busy_until
        } else {
            None
        };
        [timer, out, busy].into_iter().flatten().min()
    }

    /// The next output chunk due at `now`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.out.front().is_some_and(|(at, _)| *at <= now) {
            return self.out.pop_front().map(|(_, b)| b);
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ModemEvent> {
        self.events.pop_front()
    }

    /// The MMSC accepted the submission of [`ModemEvent::MmsSubmit`]
    /// (`Ok`) or not (`Err(http_status)`, 0 = unreachable): the vendor's
    /// completion URC follows.
    pub fn mms_result(&mut self, result: Result<(), u16>, now: Instant) {
        if self.mms_blocking {
            // SIM800: the blocking AT+CMMSSEND answers now.
            self.mms_blocking = false;
            let fin = match result {
                Ok(()) => Final::Ok,
                Err(0) => Final::Cme(173),
                Err(_) => Final::Cme(100),
            };
            self.respond(now, Vec::new(), fin);
            self.busy_until = Some(now);
            return;
        }
        if let Some(u) = super::mms::completion_urc(self.personality, result) {
            self.urc(u, now);
        }
    }

    /// What the PTY task reports for [`ModemEvent::MmsSubmit`] or
    /// [`ModemEvent::MmsHttp`]: the vendor's URC follows.
    pub fn mms_reply(&mut self, reply: super::mms::NetReply, now: Instant) {
        match reply {
            super::mms::NetReply::Submitted(r) => self.mms_result(r, now),
            super::mms::NetReply::Http(r) => {
                if let Some(u) = self.mms.http_done(r) {
                    self.urc(u, now);
                }
                self.mms_http_event();
            }
        }
    }

    fn mms_http_event(&mut self) {
        if let Some(req) = self.mms.take_http() {
            self.events.push_back(ModemEvent::MmsHttp(req));
        }
    }

    // ---------------------------------------------------------- control

    /// An SMS-DELIVER TPDU (no SMSC) arrives from the network now.
    pub fn inject_deliver(&mut self, tpdu: Vec<u8>, now: Instant) {
        self.deliver_inbound(tpdu, now);
    }

    /// Encodes `text` from `from` with the codec and delivers it (several
    /// parts when long). Returns the number of parts.
    pub fn inject_text(
        &mut self,
        from: &str,
        text: &str,
        alphabet: codec::Alphabet,
        now: Instant,
    ) -> Result<usize, codec::CodecError> {
        self.concat_ref = self.concat_ref.wrapping_add(1) & 0xFF;
        let parts = codec::encode_deliver(from, text, self.wall(now), self.concat_ref, alphabet)?;
        let n = parts.len();
        for p in parts {
            self.deliver_inbound(p, now);
        }
        Ok(n)
    }

    /// A TPDU from another subscriber: arrives after the timing model's
    /// delivery delay (paging, transfer, store; MODEM-SPEC §8.3).
    pub fn network_deliver(&mut self, tpdu: Vec<u8>, now: Instant) {
        let d = self.opts.timing.delivery.draw(&mut self.rng);
        self.add_timer(now + d, Timer::Inbound { tpdu });
    }

    /// Resets the modem now.
    pub fn reset(&mut self, kind: ResetKind, now: Instant) {
        if kind == ResetKind::MidResponse {
            if let Some((_, last)) = self.out.back_mut() {
                let keep = last.len() / 2;
                last.truncate(keep);
            }
        }
        self.power_on(now);
    }

    /// The modem comes back after an unplug: pending output is gone.
    pub fn replug(&mut self, now: Instant) {
        self.out.clear();
        self.last_out = None;
        self.power_on(now);
        if self.opts.faults.garbage_on_open > 0 {
            let n = self.opts.faults.garbage_on_open;
            let g = self.garbage_bytes(n);
            self.push(now, g);
        }
    }

    /// Stops answering until `now + d` (input is swallowed).
    pub fn hang(&mut self, d: Duration, now: Instant) {
        self.hung_until = Some(now + d.min(super::timing::DELAY_MAX));
        self.inbox.clear();
    }

    /// Sets `+CSQ` values.
    pub fn set_signal(&mut self, rssi: u8, ber: u8) {
        self.rssi = rssi;
        self.ber = ber;
    }

    /// Sets the registration state (27.007 `<stat>`); emits `+CREG`/`+CEREG`
    /// URCs when enabled.
    pub fn set_registration(&mut self, stat: u8, now: Instant) {
        self.reg_stat = stat;
        if self.settings.creg_n > 0 {
            let u = format!(
                "+CREG: {}",
                self.reg_fields(self.settings.creg_n, false, true)
            );
            self.urc(u, now);
        }
        if self.settings.cereg_n > 0 {
            let u = format!(
                "+CEREG: {}",
                self.reg_fields(self.settings.cereg_n, true, true)
            );
            self.urc(u, now);
        }
    }

    /// Emits a URC (held until the next line boundary outside a command).
    pub fn inject_urc(&mut self, text: &str, now: Instant) {
        self.urc(text.to_string(), now);
    }

    /// The wall-clock time at `now`.
    pub fn wall(&self, now: Instant) -> DateTime<FixedOffset> {
        let dt = chrono::Duration::from_std(now.saturating_duration_since(self.start))
            .unwrap_or_default();
        (self.wall_start + dt).fixed_offset()
    }

    // ------------------------------------------------------------ internals

    fn power_on(&mut self, now: Instant) {
        self.generation += 1;
        self.settings = Settings::profile(self.stored_echo);
        self.mode = Mode::Boot;
        self.boot_step = 0;
        self.inbox.clear();
        self.line.clear();
        self.busy_until = None;
        self.hung_until = None;
        self.link_open_until = None;
        self.held_urcs.clear();
        self.cnma_pending.clear();
        self.cfun = 1;
        if !self.opts.mr_persists {
            self.mr = self.opts.mr_start;
        }
        let steps = self.profile.boot.len();
        let total = self.opts.timing.boot.unwrap_or(self.profile.boot_time);
        if steps == 0 {
            self.mode = Mode::Cmd;
        } else {
            for step in 0..steps {
                let at = now + total.mul_f64((step + 1) as f64 / steps as f64);
                let generation = self.generation;
                self.add_timer(at, Timer::Boot { generation, step });
            }
        }
        let noise = self.opts.timing.noise_interval;
        if !self.profile.noise_urcs.is_empty() && !noise.is_zero() {
            let generation = self.generation;
            self.add_timer(now + total + noise, Timer::Noise { generation });
        }
        self.handle_timeout(now);
    }

    fn sms_ready(&self) -> bool {
        self.mode != Mode::Boot && self.boot_step >= self.profile.sms_ready_index
    }

    fn add_timer(&mut self, at: Instant, timer: Timer) {
        self.timer_seq += 1;
        self.timers.push((at, self.timer_seq, timer));
    }

    fn fire(&mut self, timer: Timer, at: Instant) {
        match timer {
            Timer::Boot { generation, step } if generation == self.generation => {
                if self.mode == Mode::Boot {
                    self.mode = Mode::Cmd;
                }
                self.boot_step = step + 1;
                if let Some(u) = self.profile.boot.get(step) {
                    let bytes = format!("\r\n{u}\r\n").into_bytes();
                    self.push(at, bytes);
                }
            }
            Timer::Inbound { tpdu } => self.deliver_inbound(tpdu, at),
            Timer::Report { tpdu } => self.deliver_report(tpdu, at),
            Timer::Ussd { generation, text } if generation == self.generation => {
                self.urc(text, at);
            }
            Timer::CnmaTimeout { id } => {
                if let Some(pos) = self.cnma_pending.iter().position(|(i, _)| *i == id) {
                    // §6.5: the network saw no ack; the SMSC retries later.
                    if let Some((_, tpdu)) = self.cnma_pending.remove(pos) {
                        let redo = at + self.opts.timing.redeliver_on_free;
                        self.add_timer(redo, Timer::Inbound { tpdu });
                    }
                }
            }
            Timer::Redeliver => {
                let mem = self.settings.cpms[2];
                while !self.storage.is_full(mem) {
                    let Some(tpdu) = self.refused.pop_front() else {
                        break;
                    };
                    self.deliver_inbound(tpdu, at);
                }
                while !self.storage.is_full(MemId::Sr) {
                    let Some(tpdu) = self.refused_reports.pop_front() else {
                        break;
                    };
                    self.deliver_report(tpdu, at);
                }
            }
            Timer::Noise { generation }
                if generation == self.generation
                    && self.settings.curc
                    && !self.profile.noise_urcs.is_empty() =>
            {
                let i = self.rng.gen_range(0..self.profile.noise_urcs.len());
                let u = self.profile.noise_urcs[i].to_string();
                self.urc(u, at);
                let next = at + self.opts.timing.noise_interval;
                self.add_timer(next, Timer::Noise { generation });
            }
            Timer::FaultReset { generation } if generation == self.generation => {
                self.power_on(at);
            }
            Timer::FaultUnplug { generation } if generation == self.generation => {
                self.events.push_back(ModemEvent::Unplug {
                    down_for: self.opts.faults.unplug_duration,
                    rename: self.opts.faults.rename_on_replug,
                });
            }
            _ => {}
        }
    }

    fn is_busy(&self, now: Instant) -> bool {
        self.busy_until.is_some_and(|b| b > now)
    }

    fn idle(&self, now: Instant) -> bool {
        self.mode == Mode::Cmd && !self.is_busy(now) && self.line.is_empty()
    }

    fn process(&mut self, now: Instant) {
        loop {
            if self.hung_until.is_some_and(|h| h > now) {
                self.inbox.clear();
                return;
            }
            self.hung_until = None;
            if self.is_busy(now) {
                return;
            }
            if self.mode == Mode::Boot {
                self.inbox.clear();
                return;
            }
            let Some(b) = self.inbox.pop_front() else {
                return;
            };
            let busy_at = self.busy_until.map_or(now, |b| b.max(now));
            let at = busy_at.max(now);
            if matches!(self.mode, Mode::Upload { .. }) {
                self.upload_byte(b, at);
            } else if matches!(self.mode, Mode::Prompt { .. }) {
                self.prompt_byte(b, at);
            } else {
                self.cmd_byte(b, at);
            }
            self.last_byte = b;
        }
    }

    fn cmd_byte(&mut self, b: u8, now: Instant) {
        match b {
            b'\r' => {
                if self.settings.echo {
                    self.push(now, vec![b]);
                }
                let line = std::mem::take(&mut self.line);
                let text = String::from_utf8_lossy(&line).into_owned();
                self.execute_line(&text, now);
            }
            b'\n' if self.last_byte == b'\r' || self.line.is_empty() => {}
            0x1B | 0x1A | 0x00 => {}
            0x08 | 0x7F => {
                if self.settings.echo {
                    self.push(now, vec![b]);
                }
                self.line.pop();
            }
            _ => {
                if self.settings.echo {
                    self.push(now, vec![b]);
                }
                if self.line.len() < MAX_LINE {
                    self.line.push(b);
                }
            }
        }
    }

    fn upload_byte(&mut self, b: u8, now: Instant) {
        let Mode::Upload { remaining, buf, .. } = &mut self.mode else {
            return;
        };
        buf.push(b);
        *remaining = remaining.saturating_sub(1);
        if *remaining > 0 {
            return;
        }
        let Mode::Upload { buf, target, .. } = std::mem::replace(&mut self.mode, Mode::Cmd) else {
            return;
        };
        let lines = self.mms.uploaded(target, buf);
        self.mms_http_event();
        self.respond(now, lines, Final::Ok);
        self.flush_held(now);
    }

    fn prompt_byte(&mut self, b: u8, now: Instant) {
        match b {
            0x1B => {
                self.mode = Mode::Cmd;
                if self.opts.esc_reply_ok {
                    self.push(now, b"\r\nOK\r\n".to_vec());
                }
                self.flush_held(now);
            }
            0x1A => self.submit(now),
            b'\r' => {
                // §3.1: each CR inside the prompt starts a new text line.
                let p = self.opts.prompt.clone().into_bytes();
                self.push(now, p);
            }
            b'\n' => {}
            _ => {
                if self.settings.echo {
                    self.push(now, vec![b]);
                }
                if let Mode::Prompt { buf, .. } = &mut self.mode {
                    if buf.len() < MAX_LINE {
                        buf.push(b);
                    }
                }
            }
        }
    }

    fn execute_line(&mut self, line: &str, now: Instant) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        let upper = trimmed.to_ascii_uppercase();
        if !upper.starts_with("AT") {
            return; // garbage line: real modems stay silent
        }
        let faults = self.opts.faults.clone();
        if faults.hang > 0.0 && self.rng.gen_bool(faults.hang.min(1.0)) {
            self.hang(faults.hang_duration, now);
            return;
        }
        let delay = self.opts.timing.command.draw(&mut self.rng);
        let at = now + delay;
        let cmds = split_commands(&trimmed[2..]);
        let mut lines = Vec::new();
        let mut fin = Final::Ok;
        let mut prompt = None;
        let mut upload = None;
        let mut raw = None;
        let mut reset_after = false;
        for c in &cmds {
            let upper_c = c.to_ascii_uppercase();
            if upper_c == "Z" || upper_c == "Z0" || upper_c == "&F" || upper_c == "&F0" {
                reset_after = true;
                continue;
            }
            if upper_c.starts_with("+CFUN=1,1") {
                reset_after = true;
                continue;
            }
            match self.exec(c, at) {
                Outcome::Lines(l) => lines.extend(l),
                Outcome::Fail(f) => {
                    fin = f;
                    break;
                }
                Outcome::Prompt { declared, text_to } => {
                    prompt = Some((declared, text_to));
                    break;
                }
                Outcome::Upload { size, target } => {
                    upload = Some((size, target));
                    break;
                }
                Outcome::Raw { head, data, tail } => {
                    raw = Some((head, data, tail));
                    break;
                }
                Outcome::Blocked => {
                    self.mms_blocking = true;
                    break;
                }
            }
        }
        if self.mms_blocking {
            // Busy until `mms_result` answers; input waits meanwhile.
            self.busy_until = Some(at + Duration::from_secs(3600));
            return;
        }
        if let Some((head, data, tail)) = raw {
            self.push(at, format!("\r\n{head}\r\n").into_bytes());
            self.push(at, data);
            self.respond(at, tail, Final::Ok);
            self.busy_until = Some(at);
            return;
        }
        if let Some((size, target)) = upload {
            let intro = if matches!(self.personality, Personality::Ec25 | Personality::Sim800) {
                b"\r\nCONNECT\r\n".to_vec()
            } else {
                self.opts.prompt.clone().into_bytes()
            };
            self.push(at, intro);
            if size == 0 {
                let lines = self.mms.uploaded(target, Vec::new());
                self.respond(at, lines, Final::Ok);
            } else {
                self.mode = Mode::Upload {
                    remaining: size,
                    buf: Vec::new(),
                    target,
                };
            }
            self.busy_until = Some(at);
            return;
        }
        if let Some((declared, text_to)) = prompt {
            let pd = self.opts.timing.prompt.draw(&mut self.rng);
            let at = now + pd;
            self.maybe_fault_urc(at);
            let p = self.opts.prompt.clone().into_bytes();
            self.push(at, p);
            self.mode = Mode::Prompt {
                declared,
                text_to,
                buf: Vec::new(),
            };
            self.busy_until = Some(at);
            return;
        }
        self.respond(at, lines, fin);
        self.busy_until = Some(at);
        if reset_after {
            if upper.contains("&F") {
                self.stored_echo = true;
            }
            self.settings = Settings::profile(self.stored_echo);
            if upper.contains("+CFUN=1,1") {
                let generation = self.generation;
                self.add_timer(at, Timer::FaultReset { generation });
            }
        }
        self.after_command_faults(at);
    }

    fn after_command_faults(&mut self, at: Instant) {
        let f = self.opts.faults.clone();
        if f.garbage > 0.0 && self.rng.gen_bool(f.garbage.min(1.0)) {
            let n = self.rng.gen_range(1..=32);
            let mut g = self.garbage_bytes(n);
            g.extend_from_slice(b"\r\n");
            self.push(at, g);
        }
        if f.soft_reset > 0.0 && self.rng.gen_bool(f.soft_reset.min(1.0)) {
            let generation = self.generation;
            self.add_timer(at, Timer::FaultReset { generation });
        } else if f.unplug > 0.0 && self.rng.gen_bool(f.unplug.min(1.0)) {
            let generation = self.generation;
            self.add_timer(at, Timer::FaultUnplug { generation });
        }
    }

    fn garbage_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| loop {
                let b: u8 = self.rng.gen();
                if b != b'\r' && b != b'\n' {
                    break b;
                }
            })
            .collect()
    }

    /// Emits information lines and a final result, with fault URCs at the
    /// §5.1 injection points.
    fn respond(&mut self, at: Instant, lines: Vec<String>, fin: Final) {
        // §5.1 (1): between the echo and the response.
        self.maybe_fault_urc(at);
        let n = lines.len();
        let next_is_entry: Vec<bool> = lines.iter().map(|l| l.starts_with('+')).collect();
        for (i, l) in lines.into_iter().enumerate() {
            let mut s = String::new();
            if self.settings.verbose {
                if i == 0 {
                    s.push_str("\r\n");
                }
                s.push_str(&l);
                s.push_str("\r\n");
            } else {
                s.push_str(&l);
                s.push_str("\r\n");
            }
            self.push(at, s.into_bytes());
            // §5.1 (2): inside a multi-line response, between entries (never
            // between a `+CMGL`/`+CMGR` header and its PDU line).
            if i + 1 < n && next_is_entry.get(i + 1).copied().unwrap_or(false) {
                self.maybe_fault_urc(at);
            }
        }
        if n > 0 {
            // §5.1 (2): between the last line and the final result.
            self.maybe_fault_urc(at);
            if self.profile.extra_blank_line && self.settings.verbose {
                self.push(at, b"\r\n".to_vec());
            }
        }
        self.final_result(at, fin);
        self.flush_held_at(at);
    }

    fn final_result(&mut self, at: Instant, fin: Final) {
        if self.settings.quiet {
            return;
        }
        let cmee = self.settings.cmee;
        let verbose = self.settings.verbose;
        let text = match fin {
            Final::Ok => {
                if verbose {
                    "OK".to_string()
                } else {
                    "0".into()
                }
            }
            Final::Error => self.error_text(),
            Final::Vendor => {
                if verbose {
                    self.profile.error_token.to_string()
                } else {
                    "4".into()
                }
            }
            Final::Cme(n) => match cmee {
                0 => self.error_text(),
                1 => format!("+CME ERROR: {n}"),
                _ => format!("+CME ERROR: {}", cme_text(n)),
            },
            Final::Cms(n) => match cmee {
                0 => self.error_text(),
                1 => format!("+CMS ERROR: {n}"),
                _ => format!("+CMS ERROR: {}", cms_text(n)),
            },
        };
        let bytes = if verbose {
            format!("\r\n{text}\r\n")
        } else {
            format!("{text}\r")
        };
        self.push(at, bytes.into_bytes());
    }

    fn error_text(&self) -> String {
        if self.settings.verbose {
            "ERROR".into()
        } else {
            "4".into()
        }
    }

    fn maybe_fault_urc(&mut self, at: Instant) {
        let p = self.opts.faults.urc;
        if p <= 0.0 || !self.rng.gen_bool(p.min(1.0)) {
            return;
        }
        let u = match self.held_urcs.pop_front() {
            Some(u) => u,
            None => {
                // §5.1 (5): same token as a possible pending query.
                let stat = self.reg_stat;
                if self.profile.noise_urcs.is_empty() {
                    format!("+CREG: {stat}")
                } else {
                    self.profile.noise_urcs[0].to_string()
                }
            }
        };
        self.push(at, format!("\r\n{u}\r\n").into_bytes());
    }

    fn urc(&mut self, text: String, now: Instant) {
        if self.idle(now) && self.held_urcs.is_empty() {
            let at = self.last_out.map_or(now, |l| l.max(now));
            self.push(at, format!("\r\n{text}\r\n").into_bytes());
        } else if self.held_urcs.len() < MAX_PENDING {
            self.held_urcs.push_back(text);
        }
    }

    fn flush_held(&mut self, now: Instant) {
        if self.idle(now) {
            self.flush_held_at(now);
        }
    }

    fn flush_held_at(&mut self, at: Instant) {
        if !self.line.is_empty() || self.mode != Mode::Cmd {
            return;
        }
        while let Some(u) = self.held_urcs.pop_front() {
            self.push(at, format!("\r\n{u}\r\n").into_bytes());
        }
    }

    fn push(&mut self, at: Instant, bytes: Vec<u8>) {
        if bytes.is_empty() || self.hung_until.is_some_and(|h| h > at) {
            return;
        }
        let mut at = self.last_out.map_or(at, |l| l.max(at));
        if self.opts.baud > 0 {
            // 8N1: ten bit times per byte; a chunk leaves when its last byte has.
            let secs = bytes.len() as f64 * 10.0 / f64::from(self.opts.baud);
            at += Duration::from_secs_f64(secs);
        }
        let f = &self.opts.faults;
        if f.split_writes {
            let gap_max = f.split_gap_max;
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = self.rng.gen_range(1..=64usize).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                self.out.push_back((at, chunk.to_vec()));
                rest = tail;
                if !rest.is_empty() && !gap_max.is_zero() {
                    at += self.rng.gen_range(Duration::ZERO..=gap_max);
                }
            }
        } else if let Some((last_at, last)) = self.out.back_mut() {
            if *last_at == at {
                last.extend_from_slice(&bytes);
            } else {
                self.out.push_back((at, bytes));
            }
        } else {
            self.out.push_back((at, bytes));
        }
        while self.out.len() > MAX_QUEUED_CHUNKS {
            self.out.pop_front();
        }
        self.last_out = Some(at);
    }

    // ------------------------------------------------------------ SMS

    fn submit(&mut self, now: Instant) {
        let Mode::Prompt {
            declared,
            text_to,
            buf,
        } = std::mem::replace(&mut self.mode, Mode::Cmd)
        else {
            return;
        };
        if let Some(to) = text_to {
            self.submit_text(&to, &buf, now);
            return;
        }
        let fin = match self.check_pdu(declared, &buf) {
            Ok((tpdu, info)) => {
                let f = self.opts.faults.clone();
                let link_open = self.link_open_until.is_some_and(|l| l > now);
                let rat = if self.personality == Personality::Sim800 {
                    Rat::Gsm
                } else {
                    Rat::Sgs
                };
                let latency = self.opts.timing.draw_submit(
                    &mut self.rng,
                    rat,
                    tpdu.len(),
                    link_open,
                    self.profile.max_submit,
                );
                let at = now + latency;
                let x: f64 = self.rng.gen();
                if x < f.cms_transient {
                    let code = CMS_TRANSIENT[self.rng.gen_range(0..CMS_TRANSIENT.len())];
                    Err((at, Final::Cms(code)))
                } else if x < f.cms_transient + f.cms_permanent {
                    let code = CMS_PERMANENT[self.rng.gen_range(0..CMS_PERMANENT.len())];
                    Err((at, Final::Cms(code)))
                } else {
                    Ok((at, tpdu, info))
                }
            }
            Err(fin) => Err((now, fin)),
        };
        match fin {
            Ok((at, tpdu, info)) => {
                let mr = self.mr;
                self.mr = self.mr.wrapping_add(1);
                // §5.1 (4): after ^Z, before +CMGS.
                self.respond(at, vec![format!("+CMGS: {mr}")], Final::Ok);
                self.busy_until = Some(at);
                if self.settings.cmms > 0 {
                    self.link_open_until = Some(at + self.opts.timing.cmms_window);
                }
                if info.status_report {
                    if let Some(d) = self.opts.timing.draw_report(&mut self.rng) {
                        let scts = self.wall(at);
                        let discharge = self.wall(at + d);
                        if let Ok(sr) =
                            codec::encode_status_report(mr, &info.destination, scts, discharge, 0)
                        {
                            self.add_timer(at + d, Timer::Report { tpdu: sr });
                        }
                    }
                }
                let part = SentPart {
                    at: self.wall(at).with_timezone(&Utc),
                    from: self.opts.number.clone(),
                    to: info.destination,
                    text: info.text,
                    encoding: info.encoding.to_string(),
                    mr,
                    concat: info.concat,
                    status_report: info.status_report,
                    tpdu,
                };
                self.events.push_back(ModemEvent::Submitted(part));
                self.after_command_faults(at);
            }
            Err((at, fin)) => {
                self.respond(at, Vec::new(), fin);
                self.busy_until = Some(at);
            }
        }
    }

    fn check_pdu(
        &self,
        declared: usize,
        buf: &[u8],
    ) -> Result<(Vec<u8>, codec::SubmitInfo), Final> {
        let text: String = buf
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|&b| char::from(b))
            .collect();
        let bytes = hex::decode(&text).map_err(|_| Final::Cms(304))?;
        let sca = usize::from(*bytes.first().ok_or(Final::Cms(304))?);
        let tpdu = bytes.get(1 + sca..).ok_or(Final::Cms(304))?.to_vec();
        let ok = match self.opts.pdu_length {
            super::PduLengthPolicy::Strict => tpdu.len() == declared,
            super::PduLengthPolicy::Lenient => true,
            super::PduLengthPolicy::ScaIncluded => bytes.len() == declared,
        };
        if !ok {
            return Err(Final::Cms(304));
        }
        let info = codec::decode_submit(&tpdu).map_err(|_| Final::Cms(304))?;
        if sca == 0 && self.smsc.is_empty() {
            return Err(Final::Cms(330));
        }
        Ok((tpdu, info))
    }

    fn submit_text(&mut self, to: &str, buf: &[u8], now: Instant) {
        let raw = String::from_utf8_lossy(buf).into_owned();
        let text = if self.settings.cscs.eq_ignore_ascii_case("UCS2") {
            match hex::decode(raw.trim()) {
                Ok(b) => String::from_utf16_lossy(
                    &b.chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect::<Vec<_>>(),
                ),
                Err(_) => {
                    self.respond(now, Vec::new(), Final::Cms(305));
                    return;
                }
            }
        } else {
            raw
        };
        let latency = self.opts.timing.draw_submit(
            &mut self.rng,
            Rat::Sgs,
            text.len(),
            false,
            self.profile.max_submit,
        );
        let at = now + latency;
        let mr = self.mr;
        self.mr = self.mr.wrapping_add(1);
        self.respond(at, vec![format!("+CMGS: {mr}")], Final::Ok);
        self.busy_until = Some(at);
        let part = SentPart {
            at: self.wall(at).with_timezone(&Utc),
            from: self.opts.number.clone(),
            to: to.to_string(),
            text,
            encoding: "text".into(),
            mr,
            concat: None,
            status_report: self.settings.csmp[0] & 0x20 != 0,
            tpdu: Vec::new(),
        };
        self.events.push_back(ModemEvent::Submitted(part));
    }

    fn smsc_octets(&self) -> Vec<u8> {
        let digits: Vec<u8> = self
            .smsc
            .trim_start_matches('+')
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        if digits.is_empty() {
            return vec![0];
        }
        let mut v = vec![0, 0x91];
        for pair in digits.chunks(2) {
            v.push(pair[0] | (pair.get(1).copied().unwrap_or(0x0F) << 4));
        }
        v[0] = (v.len() - 1) as u8;
        v
    }

    fn deliver_inbound(&mut self, tpdu: Vec<u8>, now: Instant) {
        let mut pdu = self.smsc_octets();
        pdu.extend_from_slice(&tpdu);
        // SIM800: the MMS client takes WAP pushes itself (MODEM-SPEC §7.1).
        if self.personality == Personality::Sim800 {
            match self.mms.push_sms(&pdu) {
                Some(Some(n)) if self.mode != Mode::Boot => {
                    self.urc(format!("+CMTI: \"SM\",{n},\"MMS PUSH\",2,1"), now);
                    return;
                }
                Some(_) => return,
                None => {}
            }
        }
        // SIM7600 with its MMS client: the push is announced, not stored (§7.2).
        if self.personality == Personality::Sim7600 {
            match self.mms.wap_push_urc(&pdu, self.wall(now)) {
                Some(Some(u)) if self.mode != Mode::Boot => {
                    self.urc(u, now);
                    return;
                }
                Some(_) => return,
                None => {}
            }
        }
        let mt = self.settings.cnmi[1];
        if mt == 2 && self.mode != Mode::Boot {
            let len = tpdu.len();
            let u = match codec::decode_deliver_text(&pdu) {
                Ok(d) if self.settings.cmgf == 1 => {
                    format!(
                        "+CMT: \"{}\",,\"{}\"\r\n{}",
                        d.from,
                        d.scts,
                        self.text_out(&d.text)
                    )
                }
                _ => format!("+CMT: ,{len}\r\n{}", hex::encode_upper(&pdu)),
            };
            self.urc(u, now);
            if self.settings.csms == 1 {
                self.cnma_seq += 1;
                let id = self.cnma_seq;
                self.cnma_pending.push_back((id, tpdu));
                let at = now + self.opts.timing.cnma_timeout;
                self.add_timer(at, Timer::CnmaTimeout { id });
            }
            return;
        }
        let bogus = self.opts.faults.bogus_cmti;
        if bogus > 0.0 && self.rng.gen_bool(bogus.min(1.0)) {
            // §5.2 / Q26: SIMCom on some networks: not stored, unreadable.
            self.urc("+CMTI: ,-1".into(), now);
            return;
        }
        let mem = self.settings.cpms[2];
        match self.storage.store(
            mem,
            Stored {
                stat: REC_UNREAD,
                pdu,
            },
        ) {
            Some(slot) => {
                if mt != 0 && self.mode != Mode::Boot {
                    let idx = slot + usize::from(self.profile.index_base);
                    self.urc(format!("+CMTI: \"{}\",{idx}", mem.as_str()), now);
                }
            }
            None => {
                // §6.6: refused; the SMSC keeps it and retries after a free.
                if self.refused.len() < MAX_PENDING {
                    self.refused.push_back(tpdu);
                }
                if !self.memfull_signalled {
                    self.memfull_signalled = true;
                    if let Some(u) = self.profile.memfull_urc {
                        self.urc(u.to_string(), now);
                    }
                }
            }
        }
    }

    fn deliver_report(&mut self, tpdu: Vec<u8>, now: Instant) {
        let mut pdu = self.smsc_octets();
        pdu.extend_from_slice(&tpdu);
        match self.settings.cnmi[3] {
            1 => {
                let u = format!("+CDS: {}\r\n{}", tpdu.len(), hex::encode_upper(&pdu));
                self.urc(u, now);
            }
            2 => {
                if let Some(slot) = self.storage.store(
                    MemId::Sr,
                    Stored {
                        stat: REC_UNREAD,
                        pdu,
                    },
                ) {
                    let idx = slot + usize::from(self.profile.index_base);
                    self.urc(format!("+CDSI: \"SR\",{idx}"), now);
                } else if self.refused_reports.len() < MAX_PENDING {
                    // §6.6: refused; the SMSC retries after a free.
                    self.refused_reports.push_back(tpdu);
                }
            }
            _ => {}
        }
    }

    fn storage_freed(&mut self, now: Instant) {
        let mem = self.settings.cpms[2];
        let mut redeliver = false;
        if !self.storage.is_full(mem) {
            self.memfull_signalled = false;
            redeliver |= !self.refused.is_empty();
        }
        redeliver |= !self.storage.is_full(MemId::Sr) && !self.refused_reports.is_empty();
        if redeliver {
            let at = now + self.opts.timing.redeliver_on_free;
            self.add_timer(at, Timer::Redeliver);
        }
    }

    // ------------------------------------------------------------ commands

    fn not_ready(&self) -> Final {
        match self.profile.not_ready_error {
            NotReady::PlainError => Final::Error,
            NotReady::CmeBusy => Final::Cme(14),
        }
    }

    fn index_to_slot(&self, idx: &str) -> Option<usize> {
        let i: usize = idx.trim().parse().ok()?;
        i.checked_sub(usize::from(self.profile.index_base))
    }

    fn reg_fields(&self, n: u8, lte: bool, urc: bool) -> String {
        let stat = self.reg_stat;
        let mut s = if urc {
            format!("{stat}")
        } else {
            format!("{n},{stat}")
        };
        if n >= 2 && (stat == 1 || stat == 5) {
            let (lac, ci) = if lte {
                ("00C3", "0A13F01")
            } else {
                ("00C3", "0000A13F")
            };
            if self.profile.creg_unquoted {
                s.push_str(&format!(",{},{}", lac.trim_start_matches('0'), ci));
            } else {
                s.push_str(&format!(",\"{lac}\",\"{ci}\""));
            }
            if lte {
                s.push_str(",7");
            }
        }
        s
    }

    fn digits(&self, salt: u64, n: usize) -> String {
        let mut x = self.opts.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for b in self.opts.number.bytes() {
            x = x.wrapping_mul(31).wrapping_add(u64::from(b));
        }
        let mut r = StdRng::seed_from_u64(x);
        (0..n)
            .map(|_| char::from(b'0' + r.gen_range(0..10u8)))
            .collect()
    }

    fn imei(&self) -> String {
        let mut s = format!("{}{}", self.profile.imei_prefix, self.digits(1, 12));
        s.push(luhn(&s));
        s
    }

    fn imsi(&self) -> String {
        format!("{}{}", self.profile.cimi_plmn, self.digits(2, 10))
    }

    fn iccid(&self) -> String {
        format!("8900{}", self.digits(3, 15))
    }

    fn exec(&mut self, cmd: &str, now: Instant) -> Outcome {
        use Outcome::{Fail, Lines};
        let upper = cmd.to_ascii_uppercase();
        // Basic (V.250) commands.
        if !upper.starts_with(['+', '^', '$', '#', '%']) {
            return self.exec_basic(&upper);
        }
        let (name, kind, args) = split_extended(cmd);
        if matches!(kind, Kind::Set | Kind::Exec) {
            let set_args = matches!(kind, Kind::Set).then_some(args);
            if let Some(action) = self.mms.exec(self.personality, &name, set_args) {
                return self.mms_action(action);
            }
        }
        let sms_cmd = matches!(
            name.as_str(),
            "+CMGF"
                | "+CMGS"
                | "+CMGR"
                | "+CMGL"
                | "+CMGD"
                | "+CPMS"
                | "+CNMI"
                | "+CSCA"
                | "+CSMP"
                | "+CMMS"
                | "+CNMA"
                | "+CSMS"
        );
        if sms_cmd && !self.sms_ready() {
            return Fail(self.not_ready());
        }
        let ok = || Lines(Vec::new());
        let bad = Fail(Final::Cme(50));
        match (name.as_str(), kind) {
            ("+CMEE", Kind::Set) => match args.trim().parse::<u8>() {
                Ok(n @ 0..=2) => {
                    self.settings.cmee = n;
                    ok()
                }
                _ => bad,
            },
            ("+CMEE", Kind::Query) => Lines(vec![format!("+CMEE: {}", self.settings.cmee)]),
            ("+CMEE", Kind::Test) => Lines(vec!["+CMEE: (0-2)".into()]),
            ("+CGMI" | "+GMI", Kind::Exec) => Lines(vec![self.profile.manufacturer.into()]),
            ("+CGMM" | "+GMM", Kind::Exec) => Lines(vec![self.profile.model.into()]),
            ("+CGMR" | "+GMR", Kind::Exec) => Lines(vec![self.profile.revision.into()]),
            ("+CGSN" | "+GSN", Kind::Exec) => Lines(vec![self.imei()]),
            ("+CIMI", Kind::Exec) => Lines(vec![self.imsi()]),
            ("+CCID" | "+ICCID", Kind::Exec | Kind::Query) => Lines(vec![self.iccid()]),
            ("+GCAP", Kind::Exec) => Lines(vec!["+GCAP: +CGSM".into()]),
            ("+CNUM", Kind::Exec) => Lines(vec![format!(
                "+CNUM: \"\",\"{}\",{}",
                self.opts.number,
                if self.opts.number.starts_with('+') {
                    145
                } else {
                    129
                }
            )]),
            ("+CPIN", Kind::Query) => Lines(vec!["+CPIN: READY".into()]),
            ("+CPIN", Kind::Set) => Fail(Final::Cme(3)),
            ("+CSQ", Kind::Exec) => Lines(vec![format!("+CSQ: {},{}", self.rssi, self.ber)]),
            ("+CSQ", Kind::Test) => Lines(vec!["+CSQ: (0-31,99),(0-7,99)".into()]),
            ("+CREG" | "+CEREG" | "+CGREG", Kind::Set) => match args.trim().parse::<u8>() {
                Ok(n @ 0..=2) => {
                    match name.as_str() {
                        "+CREG" => self.settings.creg_n = n,
                        "+CEREG" => self.settings.cereg_n = n,
                        _ => self.settings.cgreg_n = n,
                    }
                    ok()
                }
                _ => bad,
            },
            ("+CREG" | "+CEREG" | "+CGREG", Kind::Query) => {
                let (n, lte) = match name.as_str() {
                    "+CREG" => (self.settings.creg_n, false),
                    "+CEREG" => (self.settings.cereg_n, true),
                    _ => (self.settings.cgreg_n, false),
                };
                Lines(vec![format!("{name}: {}", self.reg_fields(n, lte, false))])
            }
            ("+CREG" | "+CEREG" | "+CGREG", Kind::Test) => Lines(vec![format!("{name}: (0-2)")]),
            ("+COPS", Kind::Query) => {
                if self.reg_stat == 1 || self.reg_stat == 5 {
                    Lines(vec![format!(
                        "+COPS: 0,0,\"{}\",{}",
                        self.profile.operator, self.profile.act
                    )])
                } else {
                    Lines(vec!["+COPS: 0".into()])
                }
            }
            ("+COPS", Kind::Set) => ok(),
            ("+COPS", Kind::Test) => Lines(vec![format!(
                "+COPS: (2,\"{}\",\"TestOp\",\"00101\",{}),,(0-4),(0-2)",
                self.profile.operator, self.profile.act
            )]),
            ("+CFUN", Kind::Query) => Lines(vec![format!("+CFUN: {}", self.cfun)]),
            ("+CFUN", Kind::Test) => Lines(vec!["+CFUN: (0,1,4),(0,1)".into()]),
            ("+CFUN", Kind::Set) => {
                let a: Vec<&str> = args.split(',').map(str::trim).collect();
                match a.first().and_then(|s| s.parse::<u8>().ok()) {
                    Some(n @ (0 | 1 | 4)) => {
                        self.cfun = n;
                        self.reg_stat = if n == 1 { 1 } else { 0 };
                        ok()
                    }
                    _ => bad,
                }
            }
            ("+CMGF", Kind::Set) => match args.trim().parse::<u8>() {
                Ok(n @ 0..=1) => {
                    self.settings.cmgf = n;
                    ok()
                }
                _ => Fail(Final::Cms(303)),
            },
            ("+CMGF", Kind::Query) => Lines(vec![format!("+CMGF: {}", self.settings.cmgf)]),
            ("+CMGF", Kind::Test) => Lines(vec!["+CMGF: (0,1)".into()]),
            ("+CSCS", Kind::Set) => {
                let cs = unquote(args).to_ascii_uppercase();
                if ["GSM", "IRA", "UCS2", "8859-1", "PCCP437", "HEX"].contains(&cs.as_str()) {
                    self.settings.cscs = cs;
                    ok()
                } else {
                    bad
                }
            }
            ("+CSCS", Kind::Query) => Lines(vec![format!("+CSCS: \"{}\"", self.settings.cscs)]),
            ("+CSCS", Kind::Test) => Lines(vec!["+CSCS: (\"IRA\",\"GSM\",\"UCS2\")".into()]),
            ("+CPMS", Kind::Test) => Lines(vec![
                "+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")".into(),
            ]),
            ("+CPMS", Kind::Query) => {
                let parts: Vec<String> = self
                    .settings
                    .cpms
                    .iter()
                    .map(|&m| {
                        format!(
                            "\"{}\",{},{}",
                            m.as_str(),
                            self.storage.used(m),
                            self.storage.capacity(m)
                        )
                    })
                    .collect();
                Lines(vec![format!("+CPMS: {}", parts.join(","))])
            }
            ("+CPMS", Kind::Set) => {
                let mut new = self.settings.cpms;
                for (i, a) in args.split(',').take(3).enumerate() {
                    match MemId::parse(a) {
                        Some(m) if i == 0 || m != MemId::Sr => new[i] = m,
                        _ => return Fail(Final::Cms(302)),
                    }
                }
                self.settings.cpms = new;
                let parts: Vec<String> = new
                    .iter()
                    .map(|&m| format!("{},{}", self.storage.used(m), self.storage.capacity(m)))
                    .collect();
                Lines(vec![format!("+CPMS: {}", parts.join(","))])
            }
            ("+CNMI", Kind::Test) => Lines(vec!["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)".into()]),
            ("+CNMI", Kind::Query) => {
                let c = self.settings.cnmi;
                Lines(vec![format!(
                    "+CNMI: {},{},{},{},{}",
                    c[0], c[1], c[2], c[3], c[4]
                )])
            }
            ("+CNMI", Kind::Set) => {
                let max = [2u8, 3, 3, 2, 1];
                let mut new = self.settings.cnmi;
                for (i, a) in args.split(',').take(5).enumerate() {
                    let a = a.trim();
                    if a.is_empty() {
                        continue;
                    }
                    match a.parse::<u8>() {
                        Ok(v) if v <= max[i] && !(i == 2 && v == 1) => new[i] = v,
                        _ => return Fail(Final::Cms(303)),
                    }
                }
                self.settings.cnmi = new;
                ok()
            }
            ("+CSMP", Kind::Set) => {
                for (i, a) in args.split(',').take(4).enumerate() {
                    if let Ok(v) = a.trim().parse::<u16>() {
                        self.settings.csmp[i] = v;
                    }
                }
                ok()
            }
            ("+CSMP", Kind::Query) => {
                let c = self.settings.csmp;
                Lines(vec![format!("+CSMP: {},{},{},{}", c[0], c[1], c[2], c[3])])
            }
            ("+CSCA", Kind::Query) => {
                let t = if self.smsc.starts_with('+') { 145 } else { 129 };
                let s = if self.settings.cscs == "UCS2" {
                    self.smsc
                        .encode_utf16()
                        .map(|u| format!("{u:04X}"))
                        .collect()
                } else {
                    self.smsc.clone()
                };
                Lines(vec![format!("+CSCA: \"{s}\",{t}")])
            }
            ("+CSCA", Kind::Set) => {
                let num = unquote(args.split(',').next().unwrap_or(""));
                self.smsc = num.to_string();
                ok()
            }
            ("+CMMS", _) if !self.profile.cmms_supported => Fail(Final::Cms(500)),
            ("+CMMS", Kind::Set) => match args.trim().parse::<u8>() {
                Ok(n @ 0..=2) => {
                    self.settings.cmms = n;
                    if n == 0 {
                        self.link_open_until = None;
                    }
                    ok()
                }
                _ => Fail(Final::Cms(303)),
            },
            ("+CMMS", Kind::Query) => {
                if self.settings.cmms == 1 && self.link_open_until.is_none_or(|l| l <= now) {
                    self.settings.cmms = 0;
                }
                Lines(vec![format!("+CMMS: {}", self.settings.cmms)])
            }
            ("+CMMS", Kind::Test) => Lines(vec!["+CMMS: (0-2)".into()]),
            ("+CSMS", Kind::Set) => match args.trim().parse::<u8>() {
                Ok(n @ 0..=1) => {
                    self.settings.csms = n;
                    Lines(vec!["+CSMS: 1,1,1".into()])
                }
                _ => Fail(Final::Cms(303)),
            },
            ("+CSMS", Kind::Query) => Lines(vec![format!("+CSMS: {},1,1,1", self.settings.csms)]),
            ("+CSMS", Kind::Test) => Lines(vec!["+CSMS: (0,1)".into()]),
            ("+CNMA", Kind::Exec | Kind::Set) => {
                if self.settings.csms == 1 && self.cnma_pending.pop_front().is_some() {
                    ok()
                } else {
                    Fail(Final::Cms(340))
                }
            }
            ("+CMGS", Kind::Set) => {
                if self.settings.cmgf == 1 {
                    let to = unquote(args.split(',').next().unwrap_or("")).to_string();
                    if to.is_empty() {
                        return Fail(Final::Cms(305));
                    }
                    return Outcome::Prompt {
                        declared: 0,
                        text_to: Some(to),
                    };
                }
                match args.trim().parse::<usize>() {
                    Ok(n @ 1..=180) => Outcome::Prompt {
                        declared: n,
                        text_to: None,
                    },
                    _ => Fail(Final::Cms(304)),
                }
            }
            ("+CMGR", Kind::Set) => self.cmgr(args),
            ("+CMGL", Kind::Exec | Kind::Set) => self.cmgl(args, kind == Kind::Exec),
            ("+CMGL", Kind::Test) => {
                if self.settings.cmgf == 0 {
                    Lines(vec!["+CMGL: (0-4)".into()])
                } else {
                    Lines(vec![
                        "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"
                            .into(),
                    ])
                }
            }
            ("+CMGD", Kind::Set) => self.cmgd(args, now),
            ("+CMGD", Kind::Test) => {
                let mem = self.settings.cpms[0];
                let base = usize::from(self.profile.index_base);
                let used: Vec<String> = self
                    .storage
                    .entries(mem)
                    .map(|(i, _)| (i + base).to_string())
                    .collect();
                Lines(vec![format!("+CMGD: ({}),(0-4)", used.join(","))])
            }
            ("+CUSD", Kind::Set) => {
                let a: Vec<&str> = args.splitn(3, ',').collect();
                let n = a.first().map(|s| s.trim()).unwrap_or("");
                match n {
                    "0" | "1" if a.len() >= 2 => {
                        let code = unquote(a[1]).to_string();
                        let text = format!(
                            "+CUSD: 0,\"Simulated reply to {code}: balance 12.34 EUR, number {}\",15",
                            self.opts.number
                        );
                        let d = self.opts.timing.ussd.draw(&mut self.rng);
                        let generation = self.generation;
                        self.add_timer(now + d, Timer::Ussd { generation, text });
                        ok()
                    }
                    "0" | "1" | "2" | "" => ok(),
                    _ => bad,
                }
            }
            ("+CUSD", Kind::Query) => Lines(vec!["+CUSD: 1".into()]),
            ("+CUSD", Kind::Test) => Lines(vec!["+CUSD: (0-2)".into()]),
            ("+CLAC", Kind::Exec) => Lines(SUPPORTED.iter().map(|s| format!("AT{s}")).collect()),
            (
                "+CLIP" | "+CRC" | "+CVHU" | "+CLIR" | "+CGEREP" | "+CSCB" | "+IPR" | "+IFC"
                | "+CMOD" | "+CTZU" | "+CTZR",
                Kind::Set,
            ) => ok(),
            ("+IPR", Kind::Query) => Lines(vec!["+IPR: 115200".into()]),
            ("^CURC", Kind::Set) if self.personality == Personality::E3372 => {
                self.settings.curc = args.trim() != "0";
                ok()
            }
            ("^PORTSEL", Kind::Set) if self.personality == Personality::E3372 => ok(),
            ("^ICCID", Kind::Query) if self.personality == Personality::E3372 => {
                Lines(vec![format!("^ICCID: {}", self.iccid())])
            }
            (n, Kind::Exec) if self.profile.iccid_command.is_some_and(|(c, _)| c == n) => {
                let prefix = self.profile.iccid_command.map_or("", |(_, p)| p);
                Lines(vec![format!("{prefix}{}", self.iccid())])
            }
            _ => {
                if self.settings.cmee == 0 {
                    Fail(Final::Vendor)
                } else {
                    Fail(Final::Cme(4))
                }
            }
        }
    }

    fn mms_action(&mut self, action: super::mms::Action) -> Outcome {
        use super::mms::Action;
        self.mms_http_event();
        match action {
            Action::Lines(l) => Outcome::Lines(l),
            Action::LinesThenUrc(l, urc) => {
                // Held until the command's result is out.
                if self.held_urcs.len() < MAX_PENDING {
                    self.held_urcs.push_back(urc);
                }
                Outcome::Lines(l)
            }
            Action::Raw { head, data, tail } => Outcome::Raw { head, data, tail },
            Action::Fail(code) => Outcome::Fail(Final::Cme(code)),
            Action::Upload { size, target } => Outcome::Upload { size, target },
            Action::SubmitBlocking { pdu } => match self.mms.submission(pdu) {
                Some(sub) => {
                    self.events.push_back(ModemEvent::MmsSubmit(sub));
                    Outcome::Blocked
                }
                None => Outcome::Fail(Final::Cme(50)),
            },
            Action::Submit { pdu } => match self.mms.submission(pdu) {
                Some(sub) => {
                    self.events.push_back(ModemEvent::MmsSubmit(sub));
                    Outcome::Lines(Vec::new())
                }
                None => Outcome::Fail(Final::Cme(50)),
            },
        }
    }

    fn exec_basic(&mut self, upper: &str) -> Outcome {
        use Outcome::{Fail, Lines};
        let (letter, rest) = if let Some(r) = upper.strip_prefix('&') {
            (
                format!("&{}", r.get(..1).unwrap_or("")),
                r.get(1..).unwrap_or(""),
            )
        } else {
            (
                upper.get(..1).unwrap_or("").to_string(),
                upper.get(1..).unwrap_or(""),
            )
        };
        let n: u8 = if rest.is_empty() {
            0
        } else {
            match rest.parse() {
                Ok(n) => n,
                Err(_) if letter == "S" => 0,
                Err(_) => return Fail(Final::Error),
            }
        };
        match letter.as_str() {
            "" => Lines(Vec::new()),
            "E" if n <= 1 => {
                self.settings.echo = n == 1;
                Lines(Vec::new())
            }
            "V" if n <= 1 => {
                self.settings.verbose = n == 1;
                Lines(Vec::new())
            }
            "Q" if n <= 1 => {
                self.settings.quiet = n == 1;
                Lines(Vec::new())
            }
            "&W" => {
                self.stored_echo = self.settings.echo;
                Lines(Vec::new())
            }
            "X" | "&C" | "&D" | "L" | "M" | "H" => Lines(Vec::new()),
            "S" => {
                if rest.ends_with('?') {
                    let reg = rest.trim_end_matches('?');
                    let v = match reg {
                        "3" => 13,
                        "4" => 10,
                        "5" => 8,
                        _ => 0,
                    };
                    Lines(vec![format!("{v:03}")])
                } else {
                    Lines(Vec::new())
                }
            }
            "I" => Lines(vec![
                self.profile.manufacturer.into(),
                self.profile.model.into(),
                self.profile.revision.into(),
            ]),
            _ => Fail(Final::Error),
        }
    }

    fn cmgr(&mut self, args: &str) -> Outcome {
        let mem = self.settings.cpms[0];
        let Some(slot) = self.index_to_slot(args) else {
            return Outcome::Fail(Final::Cms(321));
        };
        if slot >= self.storage.capacity(mem) {
            return Outcome::Fail(Final::Cms(321));
        }
        let empty_ok = self.profile.cmgr_empty_ok;
        let text_mode = self.settings.cmgf == 1;
        match self.storage.get_mut(mem, slot) {
            Some(m) => {
                let stat = m.stat;
                if m.stat == REC_UNREAD {
                    m.stat = REC_READ;
                }
                if text_mode {
                    let Ok(d) = codec::decode_deliver_text(&m.pdu) else {
                        return Outcome::Fail(Final::Cms(302));
                    };
                    return Outcome::Lines(vec![
                        format!(
                            "+CMGR: \"{}\",\"{}\",,\"{}\"",
                            stat_name(stat),
                            d.from,
                            d.scts
                        ),
                        self.text_out(&d.text),
                    ]);
                }
                Outcome::Lines(vec![
                    format!("+CMGR: {stat},,{}", m.tpdu_len()),
                    hex::encode_upper(&m.pdu),
                ])
            }
            None if empty_ok => Outcome::Lines(Vec::new()),
            None => Outcome::Fail(Final::Cms(321)),
        }
    }

    fn cmgl(&mut self, args: &str, exec: bool) -> Outcome {
        let text_mode = self.settings.cmgf == 1;
        let stat: u8 = if exec {
            0
        } else if text_mode {
            let a = args.trim().trim_matches('"').to_ascii_uppercase();
            match (0..=4u8).find(|&s| stat_name(s) == a) {
                Some(s) => s,
                None => return Outcome::Fail(Final::Cms(302)),
            }
        } else {
            match args.trim().parse::<u8>() {
                Ok(s @ 0..=4) => s,
                _ => return Outcome::Fail(Final::Cms(302)),
            }
        };
        let mem = self.settings.cpms[0];
        let base = usize::from(self.profile.index_base);
        let mut lines = Vec::new();
        let slots: Vec<usize> = self
            .storage
            .entries(mem)
            .filter(|(_, m)| stat == 4 || m.stat == stat)
            .map(|(i, _)| i)
            .collect();
        for slot in slots {
            if text_mode {
                let Some(m) = self.storage.get_mut(mem, slot) else {
                    continue;
                };
                let st = m.stat;
                if m.stat == REC_UNREAD {
                    m.stat = REC_READ;
                }
                if let Ok(d) = codec::decode_deliver_text(&m.pdu) {
                    lines.push(format!(
                        "+CMGL: {},\"{}\",\"{}\",,\"{}\"",
                        slot + base,
                        stat_name(st),
                        d.from,
                        d.scts
                    ));
                    lines.push(self.text_out(&d.text));
                }
                continue;
            }
            if let Some(m) = self.storage.get_mut(mem, slot) {
                lines.push(format!(
                    "+CMGL: {},{},,{}",
                    slot + base,
                    m.stat,
                    m.tpdu_len()
                ));
                lines.push(hex::encode_upper(&m.pdu));
                if m.stat == REC_UNREAD {
                    m.stat = REC_READ;
                }
            }
        }
        Outcome::Lines(lines)
    }

    /// Text as `AT+CSCS` asks for it: UCS-2 as hex, else as is.
    fn text_out(&self, text: &str) -> String {
        if self.settings.cscs == "UCS2" {
            text.encode_utf16().map(|u| format!("{u:04X}")).collect()
        } else {
            text.to_string()
        }
    }

    fn cmgd(&mut self, args: &str, now: Instant) -> Outcome {
        let mem = self.settings.cpms[0];
        let mut a = args.split(',');
        let idx = a.next().unwrap_or("");
        let flag: u8 = match a.next().map(str::trim) {
            None | Some("") => 0,
            Some(f) => match f.parse() {
                Ok(f @ 0..=4) => f,
                _ => return Outcome::Fail(Final::Cms(302)),
            },
        };
        if flag > 0 {
            self.storage.delete_flag(mem, flag);
        } else {
            let Some(slot) = self.index_to_slot(idx) else {
                return Outcome::Fail(Final::Cms(321));
            };
            match self.storage.delete(mem, slot) {
                Ok(Some(_)) => {}
                Ok(None) if !self.opts.delete_missing_error => {}
                _ => return Outcome::Fail(Final::Cms(321)),
            }
        }
        self.storage_freed(now);
        Outcome::Lines(Vec::new())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exec,
    Query,
    Test,
    Set,
}

/// Commands listed by `AT+CLAC`.
const SUPPORTED: &[&str] = &[
    "E", "V", "Q", "Z", "&F", "&W", "I", "+CMEE", "+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CIMI",
    "+CCID", "+CNUM", "+CPIN", "+CSQ", "+CREG", "+CEREG", "+CGREG", "+COPS", "+CFUN", "+CMGF",
    "+CSCS", "+CPMS", "+CNMI", "+CSMP", "+CSCA", "+CMMS", "+CSMS", "+CNMA", "+CMGS", "+CMGR",
    "+CMGL", "+CMGD", "+CUSD", "+CLAC",
];

/// Splits the body of a command line (after `AT`) into commands: basic
/// commands (`E0`, `&C1`) and extended ones (`+CMEE=1`) separated by `;`.
fn split_commands(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    if chars.is_empty() {
        out.push(String::new());
    }
    while i < chars.len() {
        let c = chars[i];
        if c == ';' || c == ' ' {
            i += 1;
            continue;
        }
        if matches!(c, '+' | '^' | '$' | '#' | '%') {
            let mut s = String::new();
            let mut quoted = false;
            while i < chars.len() {
                let ch = chars[i];
                if ch == '"' {
                    quoted = !quoted;
                }
                if ch == ';' && !quoted {
                    break;
                }
                s.push(ch);
                i += 1;
            }
            out.push(s);
        } else {
            let mut s = String::new();
            if c == '&' {
                s.push(c);
                i += 1;
            }
            if let Some(&l) = chars.get(i) {
                s.push(l);
                i += 1;
            }
            if s.eq_ignore_ascii_case("S") || s.eq_ignore_ascii_case("&S") {
                while i < chars.len() && (chars[i].is_ascii_digit() || "=?".contains(chars[i])) {
                    s.push(chars[i]);
                    i += 1;
                }
            } else {
                while i < chars.len() && chars[i].is_ascii_digit() {
                    s.push(chars[i]);
                    i += 1;
                }
            }
            out.push(s);
        }
    }
    out
}

fn split_extended(cmd: &str) -> (String, Kind, &str) {
    let end = cmd.find(['=', '?']).unwrap_or(cmd.len());
    let name = cmd[..end].trim().to_ascii_uppercase();
    let rest = &cmd[end..];
    if rest.starts_with("=?") {
        (name, Kind::Test, "")
    } else if let Some(a) = rest.strip_prefix('=') {
        (name, Kind::Set, a)
    } else if rest.starts_with('?') {
        (name, Kind::Query, "")
    } else {
        (name, Kind::Exec, "")
    }
}

/// 27.005 text-mode `<stat>` names.
fn stat_name(stat: u8) -> &'static str {
    match stat {
        0 => "REC UNREAD",
        1 => "REC READ",
        2 => "STO UNSENT",
        3 => "STO SENT",
        _ => "ALL",
    }
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

fn luhn(digits: &str) -> char {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

fn cme_text(n: u16) -> &'static str {
    match n {
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        14 => "SIM busy",
        21 => "invalid index",
        50 => "incorrect parameters",
        515 => "please wait, init or command processing in progress",
        _ => "unknown",
    }
}

fn cms_text(n: u16) -> &'static str {
    match n {
        1 => "unassigned number",
        21 => "short message transfer rejected",
        28 => "unidentified subscriber",
        42 => "congestion",
        50 => "requested facility not subscribed",
        96 => "invalid mandatory information",
        300 => "ME failure",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        305 => "invalid text mode parameter",
        314 => "SIM busy",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "SMSC address unknown",
        332 => "network timeout",
        340 => "no +CNMA acknowledgement expected",
        512 => "MM establishment failure",
        513 => "lower layer failure",
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concatenated_line_splits_into_basic_and_extended_commands() {
        assert_eq!(
            split_commands("E0+CMEE=1;+CLIP=1;+CREG=2"),
            vec!["E0", "+CMEE=1", "+CLIP=1", "+CREG=2"]
        );
        assert_eq!(split_commands("E0V1&C1"), vec!["E0", "V1", "&C1"]);
        assert_eq!(
            split_commands("+CPMS=\"SM\",\"SM\";+CSQ"),
            vec!["+CPMS=\"SM\",\"SM\"", "+CSQ"]
        );
    }

    #[test]
    fn the_imei_check_digit_follows_luhn() {
        assert_eq!(luhn("49015420323751"), '8');
    }
}
