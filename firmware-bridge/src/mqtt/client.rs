//! Sans-IO MQTT 3.1.1 client state machine over caller-provided buffers.
//!
//! The caller owns the transport and the clock: it feeds bytes read with [`Client::receive`],
//! writes out [`Client::transmit`] and acknowledges with [`Client::transmitted`], passes
//! `now_ms` (any monotonic millisecond clock) to every call, and calls [`Client::poll`] until it
//! returns `Ok(None)`, then waits for input or until [`Client::poll_timeout`].
//!
//! Guarantees: no allocation, no I/O, no clock reads; an operation that returns an error has
//! changed nothing; unacknowledged QoS 1 publishes are kept (encoded, in the caller's inflight
//! buffer) and resent with DUP set after `retransmit_ms`, at most `max_retransmits` times, and
//! again after a reconnect with `clean_session = false`; keepalive PINGREQs go out after
//! `keep_alive_s` of transmit silence and a missing PINGRESP or CONNACK ends the connection.

use super::codec::{
    self, decode, packet_len, set_dup, ConnAck, Connect, ConnectReturnCode, Filters, LastWill,
    Packet, Publish, QoS, SubAck, Subscribe,
};
use crate::MAX_INFLIGHT;

/// Client errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    #[error("the broker refused the connection: {0}")]
    ConnectionRefused(ConnectReturnCode),
    #[error("no CONNACK within the response timeout")]
    ConnAckTimeout,
    #[error("no PINGRESP within the response timeout")]
    PingTimeout,
    #[error("not connected")]
    NotConnected,
    #[error("the transmit buffer has no room; write out `transmit()` first")]
    TxFull,
    #[error("all {MAX_INFLIGHT} QoS 1 slots wait for PUBACK")]
    InflightFull,
    #[error("packet of {len} bytes does not fit a buffer of {capacity} bytes")]
    PacketTooLarge { len: usize, capacity: usize },
    #[error("QoS 2 is not supported")]
    UnsupportedQoS,
    #[error("topic name is empty or contains a wildcard")]
    InvalidTopic,
    #[error("the broker sent a packet a client never receives")]
    UnexpectedPacket,
    #[error("malformed packet from the broker: {0}")]
    Codec(codec::Error),
}

/// Client result.
pub type Result<T> = core::result::Result<T, Error>;

impl From<codec::Error> for Error {
    fn from(e: codec::Error) -> Self {
        Error::Codec(e)
    }
}

/// Connection parameters and timing limits.
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<&'a [u8]>,
    pub will: Option<LastWill<'a>>,
    /// Keepalive announced in CONNECT; 0 disables PINGREQ.
    pub keep_alive_s: u16,
    pub clean_session: bool,
    /// Wait this long for CONNACK or PINGRESP before declaring the connection dead.
    pub response_timeout_ms: u64,
    /// Resend an unacknowledged QoS 1 PUBLISH (with DUP) after this long.
    pub retransmit_ms: u64,
    /// Give up on a QoS 1 PUBLISH after this many resends ([`Event::PublishDropped`]).
    pub max_retransmits: u8,
}

impl<'a> Config<'a> {
    /// Defaults: keepalive 60 s, clean session, 10 s response timeout, resend every 5 s, 5 resends.
    pub const fn new(client_id: &'a str) -> Self {
        Config {
            client_id,
            username: None,
            password: None,
            will: None,
            keep_alive_s: 60,
            clean_session: true,
            response_timeout_ms: 10_000,
            retransmit_ms: 5_000,
            max_retransmits: 5,
        }
    }
}

/// Connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    Disconnected,
    /// CONNECT queued at `since_ms`, waiting for CONNACK.
    Connecting {
        since_ms: u64,
    },
    Connected,
}

/// What the caller learns from [`Client::poll`]. Borrowed data lives in the receive buffer
/// until the next call on the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'r> {
    Connected {
        session_present: bool,
    },
    /// The broker acknowledged our QoS 1 PUBLISH.
    Published {
        pkid: u16,
    },
    Subscribed(SubAck<'r>),
    /// A PUBLISH from the broker (already acknowledged if QoS 1).
    Message(Publish<'r>),
    /// A QoS 1 PUBLISH ran out of resends and was forgotten.
    PublishDropped {
        pkid: u16,
    },
    /// A packet larger than the receive buffer was skipped.
    Oversized {
        len: usize,
    },
}

#[derive(Debug, Clone, Copy)]
struct Inflight {
    pkid: u16,
    len: usize,
    sent_at_ms: u64,
    resends: u8,
    /// Resend as soon as possible (after a reconnect).
    due: bool,
}

/// A received packet, classified without borrowing the receive buffer.
#[derive(Debug, Clone, Copy)]
enum Action {
    ConnAck {
        session_present: bool,
        code: ConnectReturnCode,
    },
    PubAck(u16),
    SubAck,
    Publish(QoS, u16),
    PingResp,
    Unexpected,
}

impl Action {
    fn of(p: &Packet<'_>) -> Action {
        match *p {
            Packet::ConnAck(ConnAck {
                session_present,
                code,
            }) => Action::ConnAck {
                session_present,
                code,
            },
            Packet::PubAck(id) => Action::PubAck(id),
            Packet::SubAck(_) => Action::SubAck,
            Packet::Publish(ref p) => Action::Publish(p.qos, p.pkid),
            Packet::PingResp => Action::PingResp,
            Packet::Connect(_) | Packet::Subscribe(_) | Packet::PingReq | Packet::Disconnect => {
                Action::Unexpected
            }
        }
    }
}

enum Handled {
    Connected {
        session_present: bool,
    },
    Published {
        pkid: u16,
    },
    /// The packet at the front of the receive buffer is the event.
    Borrowed,
}

/// The client. `'b` is the lifetime of the caller's buffers and configuration strings.
pub struct Client<'b> {
    config: Config<'b>,
    state: State,
    tx: &'b mut [u8],
    tx_len: usize,
    rx: &'b mut [u8],
    rx_len: usize,
    /// Bytes of the packet returned by the last `poll`, dropped on the next call.
    rx_hold: usize,
    /// Bytes of an oversized packet still to discard.
    rx_skip: usize,
    store: &'b mut [u8],
    inflight: [Option<Inflight>; MAX_INFLIGHT],
    next_pkid: u16,
    last_tx_ms: u64,
    ping_sent_ms: Option<u64>,
}

impl core::fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("tx_len", &self.tx_len)
            .field("rx_len", &self.rx_len)
            .field("inflight", &self.inflight_count())
            .finish()
    }
}

/// Appends an encoded packet to the transmit buffer, or fails with nothing written.
fn push(tx: &mut [u8], tx_len: &mut usize, packet: &Packet<'_>) -> Result<()> {
    let len = packet.encoded_len()?;
    if len > tx.len() {
        return Err(Error::PacketTooLarge {
            len,
            capacity: tx.len(),
        });
    }
    if len > tx.len() - *tx_len {
        return Err(Error::TxFull);
    }
    let n = packet.encode(&mut tx[*tx_len..])?;
    *tx_len += n;
    Ok(())
}

/// Moves `buf[from..end]` to the front. Swapping instead of `copy_within` keeps
/// `memmove` (about 1.5 KB on Cortex-M) out of firmware images.
fn shift_down(buf: &mut [u8], from: usize, end: usize) {
    let end = end.min(buf.len());
    for i in from..end {
        buf.swap(i - from, i);
    }
}

fn push_raw(tx: &mut [u8], tx_len: &mut usize, bytes: &[u8]) -> bool {
    let free = tx.len() - *tx_len;
    if bytes.len() > free {
        return false;
    }
    tx[*tx_len..*tx_len + bytes.len()].copy_from_slice(bytes);
    *tx_len += bytes.len();
    true
}

impl<'b> Client<'b> {
    /// `tx` holds bytes waiting to be written, `rx` bytes read but not yet parsed (it bounds
    /// the largest packet received), `inflight` is split into [`MAX_INFLIGHT`] equal slots
    /// that keep unacknowledged QoS 1 PUBLISHes (it bounds the largest QoS 1 publish).
    pub fn new(
        config: Config<'b>,
        tx: &'b mut [u8],
        rx: &'b mut [u8],
        inflight: &'b mut [u8],
    ) -> Self {
        Client {
            config,
            state: State::Disconnected,
            tx,
            tx_len: 0,
            rx,
            rx_len: 0,
            rx_hold: 0,
            rx_skip: 0,
            store: inflight,
            inflight: [None; MAX_INFLIGHT],
            next_pkid: 1,
            last_tx_ms: 0,
            ping_sent_ms: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// Number of QoS 1 publishes waiting for PUBACK.
    pub fn inflight_count(&self) -> usize {
        self.inflight.iter().flatten().count()
    }

    fn slot_len(&self) -> usize {
        self.store.len() / MAX_INFLIGHT
    }

    /// Starts a new connection on a fresh transport: forgets buffered bytes, queues CONNECT.
    /// With `clean_session` the inflight publishes are forgotten too; without, they are resent
    /// (DUP set) once CONNACK arrives.
    pub fn connect(&mut self, now_ms: u64) -> Result<()> {
        let c = &self.config;
        let packet = Packet::Connect(Connect {
            client_id: c.client_id,
            keep_alive_s: c.keep_alive_s,
            clean_session: c.clean_session,
            username: c.username,
            password: c.password,
            will: c.will,
        });
        let mut len = 0;
        push(self.tx, &mut len, &packet)?;
        self.tx_len = len;
        self.rx_len = 0;
        self.rx_hold = 0;
        self.rx_skip = 0;
        self.ping_sent_ms = None;
        self.last_tx_ms = now_ms;
        if self.config.clean_session {
            self.inflight = [None; MAX_INFLIGHT];
        }
        self.state = State::Connecting { since_ms: now_ms };
        debug!("mqtt: CONNECT queued");
        Ok(())
    }

    /// The transport broke: drop buffered bytes and go to `Disconnected` (inflight is kept).
    pub fn connection_lost(&mut self) {
        self.state = State::Disconnected;
        self.tx_len = 0;
        self.rx_len = 0;
        self.rx_hold = 0;
        self.rx_skip = 0;
        self.ping_sent_ms = None;
    }

    /// Queues DISCONNECT and goes to `Disconnected`; write out `transmit()`, then close.
    pub fn disconnect(&mut self) -> Result<()> {
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        push(self.tx, &mut self.tx_len, &Packet::Disconnect)?;
        self.state = State::Disconnected;
        Ok(())
    }

    /// Bytes to write to the transport.
    pub fn transmit(&self) -> &[u8] {
        &self.tx[..self.tx_len]
    }

    /// `n` bytes from the front of `transmit()` were written.
    pub fn transmitted(&mut self, n: usize) {
        let n = n.min(self.tx_len);
        shift_down(self.tx, n, self.tx_len);
        self.tx_len -= n;
    }

    /// Takes bytes read from the transport; returns how many fit (call `poll` to make room).
    pub fn receive(&mut self, data: &[u8]) -> usize {
        self.release_hold();
        let mut used = 0;
        if self.rx_skip > 0 {
            used = self.rx_skip.min(data.len());
            self.rx_skip -= used;
        }
        let rest = &data[used..];
        let n = rest.len().min(self.rx.len() - self.rx_len);
        self.rx[self.rx_len..self.rx_len + n].copy_from_slice(&rest[..n]);
        self.rx_len += n;
        used + n
    }

    fn release_hold(&mut self) {
        if self.rx_hold > 0 {
            shift_down(self.rx, self.rx_hold, self.rx_len);
            self.rx_len -= self.rx_hold;
            self.rx_hold = 0;
        }
    }

    fn alloc_pkid(&mut self) -> u16 {
        loop {
            let id = self.next_pkid;
            self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1);
            if !self.inflight.iter().flatten().any(|f| f.pkid == id) {
                return id;
            }
        }
    }

    /// Queues a PUBLISH. Returns its packet id (0 for QoS 0). A QoS 1 publish is kept until
    /// PUBACK ([`Event::Published`]) and resent meanwhile.
    pub fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
        now_ms: u64,
    ) -> Result<u16> {
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        if topic.is_empty() || topic.bytes().any(|b| b == b'+' || b == b'#') {
            return Err(Error::InvalidTopic);
        }
        let mut packet = Publish {
            dup: false,
            qos,
            retain,
            topic,
            pkid: 0,
            payload,
        };
        match qos {
            QoS::AtMostOnce => {
                push(self.tx, &mut self.tx_len, &Packet::Publish(packet))?;
                self.last_tx_ms = now_ms;
                Ok(0)
            }
            QoS::ExactlyOnce => Err(Error::UnsupportedQoS),
            QoS::AtLeastOnce => {
                let Some(slot) = self.inflight.iter().position(Option::is_none) else {
                    return Err(Error::InflightFull);
                };
                let len = Packet::Publish(Publish { pkid: 1, ..packet }).encoded_len()?;
                let slot_len = self.slot_len();
                if len > slot_len {
                    return Err(Error::PacketTooLarge {
                        len,
                        capacity: slot_len,
                    });
                }
                if len > self.tx.len() - self.tx_len {
                    return Err(if len > self.tx.len() {
                        Error::PacketTooLarge {
                            len,
                            capacity: self.tx.len(),
                        }
                    } else {
                        Error::TxFull
                    });
                }
                packet.pkid = self.alloc_pkid();
                let area = &mut self.store[slot * slot_len..(slot + 1) * slot_len];
                let n = Packet::Publish(packet).encode(area)?;
                push_raw(self.tx, &mut self.tx_len, &area[..n]);
                self.inflight[slot] = Some(Inflight {
                    pkid: packet.pkid,
                    len: n,
                    sent_at_ms: now_ms,
                    resends: 0,
                    due: false,
                });
                self.last_tx_ms = now_ms;
                trace!("mqtt: PUBLISH pkid {} queued", packet.pkid);
                Ok(packet.pkid)
            }
        }
    }

    /// Queues a SUBSCRIBE; the result arrives as [`Event::Subscribed`] with the returned id.
    pub fn subscribe(&mut self, filters: &[(&str, QoS)], now_ms: u64) -> Result<u16> {
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        let mut pkid = self.next_pkid;
        while self.inflight.iter().flatten().any(|f| f.pkid == pkid) {
            pkid = pkid.checked_add(1).unwrap_or(1);
        }
        let packet = Packet::Subscribe(Subscribe {
            pkid,
            filters: Filters::List(filters),
        });
        push(self.tx, &mut self.tx_len, &packet)?;
        self.next_pkid = pkid.checked_add(1).unwrap_or(1);
        self.last_tx_ms = now_ms;
        Ok(pkid)
    }

    /// Earliest time at which `poll` has timer work to do, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.state {
            State::Disconnected => None,
            State::Connecting { since_ms } => {
                Some(since_ms.saturating_add(self.config.response_timeout_ms))
            }
            State::Connected => {
                let mut t = u64::MAX;
                if let Some(p) = self.ping_sent_ms {
                    t = t.min(p.saturating_add(self.config.response_timeout_ms));
                } else if self.config.keep_alive_s > 0 {
                    t = t.min(
                        self.last_tx_ms
                            .saturating_add(u64::from(self.config.keep_alive_s) * 1000),
                    );
                }
                for f in self.inflight.iter().flatten() {
                    let due = if f.due {
                        f.sent_at_ms
                    } else {
                        f.sent_at_ms.saturating_add(self.config.retransmit_ms)
                    };
                    t = t.min(due);
                }
                (t != u64::MAX).then_some(t)
            }
        }
    }

    /// Processes received bytes and due timers. Call until it returns `Ok(None)`.
    /// Errors that end the connection leave the client `Disconnected` (call `connect` again).
    pub fn poll(&mut self, now_ms: u64) -> Result<Option<Event<'_>>> {
        loop {
            self.release_hold();
            if self.state == State::Disconnected {
                return Ok(None);
            }
            if let Some(total) = self.oversized()? {
                let dropped = self.rx_len;
                self.rx_len = 0;
                self.rx_skip = total - dropped;
                warn!("mqtt: skipping a {} byte packet", total);
                return Ok(Some(Event::Oversized { len: total }));
            }
            // First pass: classify the packet without keeping a borrow of the buffer.
            let action = match decode(&self.rx[..self.rx_len]) {
                Ok(None) => break,
                Ok(Some((packet, used))) => (Action::of(&packet), used),
                Err(e) => {
                    self.connection_lost();
                    return Err(Error::Codec(e));
                }
            };
            match self.handle(action, now_ms)? {
                Some(Handled::Connected { session_present }) => {
                    return Ok(Some(Event::Connected { session_present }))
                }
                Some(Handled::Published { pkid }) => return Ok(Some(Event::Published { pkid })),
                Some(Handled::Borrowed) => {
                    // Second pass: hand out the packet, which stays put until the next call.
                    return match decode(&self.rx[..self.rx_hold]) {
                        Ok(Some((Packet::SubAck(ack), _))) => Ok(Some(Event::Subscribed(ack))),
                        Ok(Some((Packet::Publish(p), _))) => Ok(Some(Event::Message(p))),
                        _ => Err(Error::UnexpectedPacket),
                    };
                }
                None => continue,
            }
        }
        self.timers(now_ms)
    }

    fn handle(&mut self, (action, used): (Action, usize), now_ms: u64) -> Result<Option<Handled>> {
        if let Action::ConnAck {
            session_present,
            code,
        } = action
        {
            self.rx_hold = used;
            if !matches!(self.state, State::Connecting { .. }) {
                self.connection_lost();
                return Err(Error::UnexpectedPacket);
            }
            if code != ConnectReturnCode::Accepted {
                self.connection_lost();
                return Err(Error::ConnectionRefused(code));
            }
            self.state = State::Connected;
            for f in self.inflight.iter_mut().flatten() {
                f.due = true;
            }
            debug!("mqtt: connected");
            return Ok(Some(Handled::Connected { session_present }));
        }
        if self.state != State::Connected {
            self.connection_lost();
            return Err(Error::UnexpectedPacket);
        }
        match action {
            Action::PubAck(pkid) => {
                self.rx_hold = used;
                let slot = self
                    .inflight
                    .iter_mut()
                    .find(|f| f.is_some_and(|f| f.pkid == pkid));
                if let Some(slot) = slot {
                    *slot = None;
                    return Ok(Some(Handled::Published { pkid }));
                }
                trace!("mqtt: PUBACK for unknown pkid {}", pkid);
                Ok(None)
            }
            Action::SubAck => {
                self.rx_hold = used;
                Ok(Some(Handled::Borrowed))
            }
            Action::Publish(QoS::AtMostOnce, _) => {
                self.rx_hold = used;
                Ok(Some(Handled::Borrowed))
            }
            Action::Publish(QoS::AtLeastOnce, pkid) => {
                // Leave the packet unread if the acknowledgement cannot be queued yet.
                push(self.tx, &mut self.tx_len, &Packet::PubAck(pkid))?;
                self.last_tx_ms = now_ms;
                self.rx_hold = used;
                Ok(Some(Handled::Borrowed))
            }
            Action::Publish(QoS::ExactlyOnce, _) => {
                self.connection_lost();
                Err(Error::UnsupportedQoS)
            }
            Action::PingResp => {
                self.rx_hold = used;
                self.ping_sent_ms = None;
                Ok(None)
            }
            Action::ConnAck { .. } | Action::Unexpected => {
                self.connection_lost();
                Err(Error::UnexpectedPacket)
            }
        }
    }

    /// Total length of the buffered packet if it can never fit the receive buffer.
    fn oversized(&self) -> Result<Option<usize>> {
        match packet_len(&self.rx[..self.rx_len]) {
            Ok(Some(total)) if total > self.rx.len() => Ok(Some(total)),
            Ok(_) => Ok(None),
            Err(e) => Err(Error::Codec(e)),
        }
    }

    fn timers(&mut self, now_ms: u64) -> Result<Option<Event<'_>>> {
        let timeout = self.config.response_timeout_ms;
        match self.state {
            State::Disconnected => return Ok(None),
            State::Connecting { since_ms } => {
                if now_ms.saturating_sub(since_ms) >= timeout {
                    self.connection_lost();
                    return Err(Error::ConnAckTimeout);
                }
                return Ok(None);
            }
            State::Connected => {}
        }
        if let Some(sent) = self.ping_sent_ms {
            if now_ms.saturating_sub(sent) >= timeout {
                self.connection_lost();
                return Err(Error::PingTimeout);
            }
        }
        let slot_len = self.slot_len();
        for i in 0..MAX_INFLIGHT {
            let Some(mut f) = self.inflight[i] else {
                continue;
            };
            if !f.due && now_ms.saturating_sub(f.sent_at_ms) < self.config.retransmit_ms {
                continue;
            }
            if f.resends >= self.config.max_retransmits {
                self.inflight[i] = None;
                warn!("mqtt: PUBLISH pkid {} dropped after resends", f.pkid);
                return Ok(Some(Event::PublishDropped { pkid: f.pkid }));
            }
            let area = &mut self.store[i * slot_len..i * slot_len + f.len];
            set_dup(area);
            if !push_raw(self.tx, &mut self.tx_len, area) {
                break; // Retry once the caller has written out the transmit buffer.
            }
            f.resends += 1;
            f.sent_at_ms = now_ms;
            f.due = false;
            self.inflight[i] = Some(f);
            self.last_tx_ms = now_ms;
            debug!("mqtt: PUBLISH pkid {} resent", f.pkid);
        }
        if self.ping_sent_ms.is_none()
            && self.config.keep_alive_s > 0
            && now_ms.saturating_sub(self.last_tx_ms) >= u64::from(self.config.keep_alive_s) * 1000
            && push(self.tx, &mut self.tx_len, &Packet::PingReq).is_ok()
        {
            self.ping_sent_ms = Some(now_ms);
            self.last_tx_ms = now_ms;
            trace!("mqtt: PINGREQ");
        }
        Ok(None)
    }
}
