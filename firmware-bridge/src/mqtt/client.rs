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
            let oversized = match self.oversized() {
                Ok(o) => o,
                Err(e) => {
                    self.connection_lost();
                    return Err(e);
                }
            };
            if let Some(total) = oversized {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::codec::SubAckCode;

    const RETRY: u64 = 5_000;
    const TIMEOUT: u64 = 10_000;

    fn config() -> Config<'static> {
        let mut c = Config::new("dev1");
        c.username = Some("dev1");
        c.password = Some(b"pw");
        c.keep_alive_s = 30;
        c.retransmit_ms = RETRY;
        c.response_timeout_ms = TIMEOUT;
        c.max_retransmits = 2;
        c
    }

    fn bytes(p: Packet<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; p.encoded_len().unwrap()];
        p.encode(&mut buf).unwrap();
        buf
    }

    /// Decodes everything the client wants to send (as owned debug strings) and drains it.
    fn sent(c: &mut Client<'_>) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = c.transmit();
        while let Some((p, n)) = decode(buf).unwrap() {
            out.push(format!("{p:?}"));
            buf = &buf[n..];
        }
        assert!(buf.is_empty(), "partial packet in tx");
        let n = c.transmit().len();
        c.transmitted(n);
        out
    }

    fn connack(code: ConnectReturnCode) -> Vec<u8> {
        bytes(Packet::ConnAck(ConnAck {
            session_present: false,
            code,
        }))
    }

    struct Bufs {
        tx: [u8; 512],
        rx: [u8; 256],
        inflight: [u8; 512],
    }

    impl Bufs {
        fn new() -> Self {
            Bufs {
                tx: [0; 512],
                rx: [0; 256],
                inflight: [0; 512],
            }
        }
        fn client(&mut self, config: Config<'static>) -> Client<'_> {
            Client::new(config, &mut self.tx, &mut self.rx, &mut self.inflight)
        }
    }

    fn connect(c: &mut Client<'_>, now: u64) {
        c.connect(now).unwrap();
        assert!(sent(c)[0].starts_with("Connect("));
        assert_eq!(c.receive(&connack(ConnectReturnCode::Accepted)), 4);
        assert_eq!(
            c.poll(now).unwrap(),
            Some(Event::Connected {
                session_present: false
            })
        );
        assert!(c.is_connected());
    }

    #[test]
    fn an_unacknowledged_qos1_publish_is_resent_with_dup_after_the_timeout() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        let pkid = c
            .publish("gsmq/dev1/sms/send", b"{}", QoS::AtLeastOnce, false, 100)
            .unwrap();
        let first = sent(&mut c);
        assert_eq!(first.len(), 1);
        assert!(first[0].contains("dup: false"), "{first:?}");
        assert_eq!(c.poll_timeout(), Some(100 + RETRY));

        assert_eq!(c.poll(100 + RETRY - 1).unwrap(), None);
        assert!(sent(&mut c).is_empty());

        assert_eq!(c.poll(100 + RETRY).unwrap(), None);
        let again = sent(&mut c);
        assert_eq!(again.len(), 1);
        assert_eq!(
            again[0],
            first[0].replace("dup: false", "dup: true"),
            "same packet, DUP set"
        );

        c.receive(&bytes(Packet::PubAck(pkid)));
        assert_eq!(
            c.poll(100 + RETRY + 1).unwrap(),
            Some(Event::Published { pkid })
        );
        assert_eq!(c.inflight_count(), 0);
        assert_eq!(c.poll(100 + 10 * RETRY).unwrap(), None);
        assert!(
            sent(&mut c).iter().all(|p| !p.starts_with("Publish")),
            "no resend after PUBACK"
        );
    }

    #[test]
    fn a_qos1_publish_is_dropped_after_its_last_resend() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        c.config.keep_alive_s = 0;
        connect(&mut c, 0);
        let pkid = c.publish("t", b"x", QoS::AtLeastOnce, false, 0).unwrap();
        sent(&mut c);
        assert_eq!(c.poll(RETRY).unwrap(), None);
        assert_eq!(c.poll(2 * RETRY).unwrap(), None);
        assert_eq!(sent(&mut c).len(), 2, "two resends (max_retransmits = 2)");
        assert_eq!(
            c.poll(3 * RETRY).unwrap(),
            Some(Event::PublishDropped { pkid })
        );
        assert_eq!(c.inflight_count(), 0);
        assert!(sent(&mut c).is_empty());
    }

    #[test]
    fn keepalive_sends_a_pingreq_after_transmit_silence_and_pingresp_clears_it() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        assert_eq!(c.poll_timeout(), Some(30_000));
        assert_eq!(c.poll(29_999).unwrap(), None);
        assert!(sent(&mut c).is_empty());
        assert_eq!(c.poll(30_000).unwrap(), None);
        assert_eq!(sent(&mut c), ["PingReq"]);
        assert_eq!(c.poll_timeout(), Some(30_000 + TIMEOUT));

        c.receive(&bytes(Packet::PingResp));
        assert_eq!(c.poll(30_500).unwrap(), None);
        assert_eq!(c.poll(30_000 + TIMEOUT).unwrap(), None, "no ping timeout");
        assert!(c.is_connected());
        assert_eq!(c.poll(60_000).unwrap(), None);
        assert_eq!(sent(&mut c), ["PingReq"], "next keepalive period");
    }

    #[test]
    fn a_missing_pingresp_ends_the_connection() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        c.poll(30_000).unwrap();
        assert_eq!(sent(&mut c), ["PingReq"]);
        assert_eq!(c.poll(30_000 + TIMEOUT), Err(Error::PingTimeout));
        assert_eq!(c.state(), State::Disconnected);
        assert_eq!(
            c.publish("t", b"", QoS::AtMostOnce, false, 0),
            Err(Error::NotConnected)
        );
    }

    #[test]
    fn connack_refusals_surface_as_typed_errors() {
        for code in [
            ConnectReturnCode::UnacceptableProtocolVersion,
            ConnectReturnCode::IdentifierRejected,
            ConnectReturnCode::ServerUnavailable,
            ConnectReturnCode::BadUserNameOrPassword,
            ConnectReturnCode::NotAuthorized,
        ] {
            let mut b = Bufs::new();
            let mut c = b.client(config());
            c.connect(0).unwrap();
            c.receive(&connack(code));
            assert_eq!(c.poll(1), Err(Error::ConnectionRefused(code)));
            assert_eq!(c.state(), State::Disconnected);
        }
    }

    #[test]
    fn no_connack_within_the_response_timeout_is_an_error() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        c.connect(1_000).unwrap();
        assert_eq!(c.poll_timeout(), Some(1_000 + TIMEOUT));
        assert_eq!(c.poll(1_000 + TIMEOUT - 1).unwrap(), None);
        assert_eq!(c.poll(1_000 + TIMEOUT), Err(Error::ConnAckTimeout));
        assert_eq!(c.state(), State::Disconnected);
    }

    #[test]
    fn an_incoming_qos1_publish_is_delivered_and_acknowledged() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        let msg = bytes(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "gsmq/dev1/reply",
            pkid: 77,
            payload: b"{\"ok\":true}",
        }));
        // Byte at a time: nothing until the last byte.
        for &byte in &msg[..msg.len() - 1] {
            c.receive(&[byte]);
            assert_eq!(c.poll(1).unwrap(), None);
        }
        c.receive(&msg[msg.len() - 1..]);
        match c.poll(1).unwrap() {
            Some(Event::Message(p)) => {
                assert_eq!(p.topic, "gsmq/dev1/reply");
                assert_eq!(p.payload, b"{\"ok\":true}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sent(&mut c), ["PubAck(77)"]);
        assert_eq!(c.poll(2).unwrap(), None);
    }

    #[test]
    fn a_suback_is_reported_with_its_return_codes() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        let pkid = c
            .subscribe(
                &[
                    ("gsmq/dev1/reply", QoS::AtLeastOnce),
                    ("gsmq/dev1/sms/status", QoS::AtLeastOnce),
                ],
                5,
            )
            .unwrap();
        assert!(sent(&mut c)[0].starts_with("Subscribe"));
        c.receive(&bytes(Packet::SubAck(SubAck {
            pkid,
            return_codes: &[1, 0x80],
        })));
        match c.poll(6).unwrap() {
            Some(Event::Subscribed(ack)) => {
                assert_eq!(ack.pkid, pkid);
                assert_eq!(
                    ack.codes().collect::<Vec<_>>(),
                    [SubAckCode::Success(QoS::AtLeastOnce), SubAckCode::Failure]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inflight_publishes_are_resent_with_dup_after_a_reconnect_without_clean_session() {
        let mut b = Bufs::new();
        let mut cfg = config();
        cfg.clean_session = false;
        let mut c = b.client(cfg);
        connect(&mut c, 0);
        let pkid = c
            .publish("t", b"keep", QoS::AtLeastOnce, false, 10)
            .unwrap();
        sent(&mut c);
        c.connection_lost();
        connect(&mut c, 1_000);
        assert_eq!(c.poll(1_000).unwrap(), None);
        let resent = sent(&mut c);
        assert_eq!(resent.len(), 1);
        assert!(resent[0].contains("dup: true"), "{resent:?}");
        assert!(resent[0].contains(&format!("pkid: {pkid}")), "{resent:?}");
    }

    #[test]
    fn a_clean_session_reconnect_forgets_inflight_publishes() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        c.publish("t", b"gone", QoS::AtLeastOnce, false, 10)
            .unwrap();
        c.connection_lost();
        connect(&mut c, 1_000);
        assert_eq!(c.inflight_count(), 0);
    }

    #[test]
    fn a_packet_larger_than_the_receive_buffer_is_skipped() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        let big = [b'x'; 400];
        let mut stream = bytes(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "big",
            pkid: 0,
            payload: &big,
        }));
        let big_len = stream.len();
        stream.extend(bytes(Packet::PubAck(9)));
        stream.extend(bytes(Packet::PingResp));
        let mut input = &stream[..];
        let mut events = Vec::new();
        while !input.is_empty() {
            let n = c.receive(input);
            input = &input[n..];
            while let Some(e) = c.poll(1).unwrap() {
                events.push(format!("{e:?}"));
            }
        }
        assert_eq!(events, [format!("Oversized {{ len: {big_len} }}")]);
        assert!(c.is_connected());
    }

    #[test]
    fn a_full_inflight_window_or_tx_buffer_rejects_a_publish_without_side_effects() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        for _ in 0..MAX_INFLIGHT {
            c.publish("t", b"p", QoS::AtLeastOnce, false, 0).unwrap();
        }
        let before = c.transmit().len();
        assert_eq!(
            c.publish("t", b"p", QoS::AtLeastOnce, false, 0),
            Err(Error::InflightFull)
        );
        assert_eq!(c.transmit().len(), before);
        assert_eq!(
            c.publish("t", &[0u8; 600], QoS::AtMostOnce, false, 0),
            Err(Error::PacketTooLarge {
                len: 606,
                capacity: 512
            })
        );
        assert_eq!(
            c.publish("t/+", b"p", QoS::AtMostOnce, false, 0),
            Err(Error::InvalidTopic)
        );
        assert_eq!(
            c.publish("t", b"p", QoS::ExactlyOnce, false, 0),
            Err(Error::UnsupportedQoS)
        );
        assert_eq!(c.transmit().len(), before);
    }

    #[test]
    fn a_packet_a_broker_never_sends_ends_the_connection() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        c.receive(&bytes(Packet::PingReq));
        assert_eq!(c.poll(1), Err(Error::UnexpectedPacket));
        assert_eq!(c.state(), State::Disconnected);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_and_times_never_panic_the_client(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), 0u64..40_000),
                0..20,
            ),
        ) {
            let mut b = Bufs::new();
            let mut c = b.client(config());
            connect(&mut c, 0);
            c.publish("t", b"x", QoS::AtLeastOnce, false, 0).unwrap();
            let mut now = 0;
            for (bytes, dt) in chunks {
                now += dt;
                let mut input = &bytes[..];
                let mut rounds = 0;
                while !input.is_empty() && rounds < 100 {
                    rounds += 1;
                    let n = c.receive(input);
                    input = &input[n..];
                    let mut events = 0;
                    while let Ok(Some(_)) = c.poll(now) {
                        events += 1;
                        proptest::prop_assert!(events < 1_000, "poll must run dry");
                    }
                    let pending = c.transmit().len();
                    c.transmitted(pending);
                    if c.state() == State::Disconnected {
                        c.connect(now).unwrap();
                    }
                }
                proptest::prop_assert!(input.is_empty(), "receive stalled");
                let _ = c.poll(now);
            }
        }
    }

    #[test]
    fn a_malformed_header_from_the_broker_ends_the_connection() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        c.connect(0).unwrap();
        c.receive(&[0x20, 0x80, 0x80, 0x80, 0x80, 0x01]);
        assert_eq!(
            c.poll(1),
            Err(Error::Codec(codec::Error::MalformedRemainingLength))
        );
        assert_eq!(c.state(), State::Disconnected);
        c.connect(2).unwrap();
        assert_eq!(c.receive(&connack(ConnectReturnCode::Accepted)), 4);
        assert!(matches!(c.poll(3), Ok(Some(Event::Connected { .. }))));
    }

    #[test]
    fn disconnect_queues_a_disconnect_packet() {
        let mut b = Bufs::new();
        let mut c = b.client(config());
        connect(&mut c, 0);
        c.disconnect().unwrap();
        assert_eq!(sent(&mut c), ["Disconnect"]);
        assert_eq!(c.state(), State::Disconnected);
        assert_eq!(c.disconnect(), Err(Error::NotConnected));
    }
}
