//! MQTT 3.1.1 packet codec over borrowed buffers (OASIS MQTT 3.1.1, chapters 2 and 3).
//!
//! Guarantees: no allocation, no panics on any input, `decode` never reads past the buffer and
//! tells an incomplete packet (`Ok(None)`) apart from an invalid one (`Err`). Every decoded
//! packet borrows from the input, every encoded packet is written into a caller buffer.
//! Supported packets: CONNECT, CONNACK, PUBLISH (QoS 0/1/2 header), PUBACK, SUBSCRIBE, SUBACK,
//! PINGREQ, PINGRESP, DISCONNECT. QoS 2 handshakes and UNSUBSCRIBE are out of scope and decode
//! as [`Error::UnsupportedPacket`].

use core::fmt;

/// Largest value the 4-byte "remaining length" field can carry (MQTT 3.1.1 §2.2.3).
pub const REMAINING_LENGTH_MAX: usize = 268_435_455;
/// Largest fixed header: one type byte plus four remaining-length bytes.
pub const FIXED_HEADER_MAX: usize = 5;
/// Protocol level of MQTT 3.1.1 in CONNECT.
pub const PROTOCOL_LEVEL: u8 = 4;

/// Codec errors: small, `Copy`, never allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    #[error("remaining length is malformed (more than 4 bytes)")]
    MalformedRemainingLength,
    #[error("packet type {0} is reserved")]
    InvalidPacketType(u8),
    #[error("packet type {0} is not supported by this codec")]
    UnsupportedPacket(u8),
    #[error("fixed header flags {0:#04x} are invalid for this packet type")]
    InvalidFlags(u8),
    #[error("QoS {0} is invalid")]
    InvalidQoS(u8),
    #[error("packet body is shorter than its fields")]
    Truncated,
    #[error("packet body has bytes after its last field")]
    TrailingBytes,
    #[error("string field is not valid UTF-8")]
    InvalidUtf8,
    #[error("string or binary field is longer than 65535 bytes")]
    FieldTooLong,
    #[error("CONNECT does not announce MQTT 3.1.1")]
    InvalidProtocol,
    #[error("CONNECT flags are inconsistent")]
    InvalidConnectFlags,
    #[error("CONNACK return code {0} is unknown")]
    InvalidConnectReturnCode(u8),
    #[error("SUBACK return code {0:#04x} is unknown")]
    InvalidSubAckCode(u8),
    #[error("packet identifier 0 is not allowed")]
    ZeroPacketId,
    #[error("SUBSCRIBE carries no topic filter")]
    EmptySubscribe,
    #[error("packet needs {needed} bytes, the buffer has room for {available}")]
    BufferTooSmall { needed: usize, available: usize },
    #[error("packet length exceeds the MQTT maximum")]
    PacketTooLarge,
}

/// Codec result.
pub type Result<T> = core::result::Result<T, Error>;

/// Quality of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    /// Maps the two wire bits; 3 is invalid.
    pub fn from_u8(v: u8) -> Result<QoS> {
        match v {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            2 => Ok(QoS::ExactlyOnce),
            other => Err(Error::InvalidQoS(other)),
        }
    }
}

/// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectReturnCode {
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,
}

impl ConnectReturnCode {
    fn from_u8(v: u8) -> Result<Self> {
        Ok(match v {
            0 => Self::Accepted,
            1 => Self::UnacceptableProtocolVersion,
            2 => Self::IdentifierRejected,
            3 => Self::ServerUnavailable,
            4 => Self::BadUserNameOrPassword,
            5 => Self::NotAuthorized,
            other => return Err(Error::InvalidConnectReturnCode(other)),
        })
    }
}

impl fmt::Display for ConnectReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Accepted => "connection accepted",
            Self::UnacceptableProtocolVersion => "unacceptable protocol version",
            Self::IdentifierRejected => "client identifier rejected",
            Self::ServerUnavailable => "server unavailable",
            Self::BadUserNameOrPassword => "bad user name or password",
            Self::NotAuthorized => "not authorized",
        })
    }
}

/// Will message carried in CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastWill<'a> {
    pub topic: &'a str,
    pub message: &'a [u8],
    pub qos: QoS,
    pub retain: bool,
}

/// CONNECT (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    pub client_id: &'a str,
    pub keep_alive_s: u16,
    pub clean_session: bool,
    pub username: Option<&'a str>,
    pub password: Option<&'a [u8]>,
    pub will: Option<LastWill<'a>>,
}

/// CONNACK (§3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    pub code: ConnectReturnCode,
}

/// PUBLISH (§3.3). `pkid` is 0 for QoS 0 (no identifier on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    pub topic: &'a str,
    pub pkid: u16,
    pub payload: &'a [u8],
}

/// Topic filters of a SUBSCRIBE: a list when encoding, the validated wire bytes when decoded.
#[derive(Clone, Copy)]
pub enum Filters<'a> {
    List(&'a [(&'a str, QoS)]),
    Wire(&'a [u8]),
}

impl<'a> Filters<'a> {
    /// Iterates over `(filter, requested QoS)`.
    pub fn iter(&self) -> FilterIter<'a> {
        match *self {
            Filters::List(l) => FilterIter::List(l.iter()),
            Filters::Wire(w) => FilterIter::Wire(Reader::new(w)),
        }
    }
}

impl PartialEq for Filters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for Filters<'_> {}

impl fmt::Debug for Filters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over SUBSCRIBE filters.
pub enum FilterIter<'a> {
    List(core::slice::Iter<'a, (&'a str, QoS)>),
    Wire(Reader<'a>),
}

impl<'a> Iterator for FilterIter<'a> {
    type Item = (&'a str, QoS);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            FilterIter::List(it) => it.next().copied(),
            FilterIter::Wire(r) => {
                if r.is_empty() {
                    return None;
                }
                // Validated by `decode`; a failure here only ends the iteration.
                let topic = r.string().ok()?;
                let qos = QoS::from_u8(r.u8().ok()?).ok()?;
                Some((topic, qos))
            }
        }
    }
}

/// SUBSCRIBE (§3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribe<'a> {
    pub pkid: u16,
    pub filters: Filters<'a>,
}

/// One SUBACK return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SubAckCode {
    Success(QoS),
    Failure,
}

impl SubAckCode {
    /// Wire value (0, 1, 2 or 0x80).
    pub fn to_u8(self) -> u8 {
        match self {
            SubAckCode::Success(q) => q as u8,
            SubAckCode::Failure => 0x80,
        }
    }
    fn from_u8(v: u8) -> Result<Self> {
        match v {
            0x80 => Ok(SubAckCode::Failure),
            0..=2 => Ok(SubAckCode::Success(QoS::from_u8(v)?)),
            other => Err(Error::InvalidSubAckCode(other)),
        }
    }
}

/// SUBACK (§3.9); `return_codes` are the raw wire bytes (validated when decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubAck<'a> {
    pub pkid: u16,
    pub return_codes: &'a [u8],
}

impl SubAck<'_> {
    /// Typed return codes; invalid bytes (only possible for hand-built values) read as failure.
    pub fn codes(&self) -> impl Iterator<Item = SubAckCode> + '_ {
        self.return_codes
            .iter()
            .map(|&c| SubAckCode::from_u8(c).unwrap_or(SubAckCode::Failure))
    }
}

/// A decoded or to-be-encoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    Connect(Connect<'a>),
    ConnAck(ConnAck),
    Publish(Publish<'a>),
    PubAck(u16),
    Subscribe(Subscribe<'a>),
    SubAck(SubAck<'a>),
    PingReq,
    PingResp,
    Disconnect,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Bounds-checked cursor over a packet body.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(Error::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn binary(&mut self) -> Result<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Result<&'a str> {
        core::str::from_utf8(self.binary()?).map_err(|_| Error::InvalidUtf8)
    }
    fn pkid(&mut self) -> Result<u16> {
        match self.u16()? {
            0 => Err(Error::ZeroPacketId),
            id => Ok(id),
        }
    }
    fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }
    fn finish(&self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes)
        }
    }
}

/// Parses the fixed header: `Ok(None)` if more bytes are needed, else
/// `(first byte, header length, remaining length)`.
fn fixed_header(buf: &[u8]) -> Result<Option<(u8, usize, usize)>> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let mut len: usize = 0;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        len |= ((b & 0x7F) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((first, 2 + i, len)));
        }
    }
    Err(Error::MalformedRemainingLength)
}

/// Total length of the packet at the start of `buf` once its fixed header is complete.
pub fn packet_len(buf: &[u8]) -> Result<Option<usize>> {
    Ok(fixed_header(buf)?.map(|(_, h, r)| h + r))
}

/// Decodes one packet from the start of `buf`.
///
/// Returns `Ok(None)` if `buf` holds only part of a packet, `Ok(Some((packet, consumed)))`
/// on success, and `Err` if the bytes can never form a valid packet.
pub fn decode(buf: &[u8]) -> Result<Option<(Packet<'_>, usize)>> {
    let Some((first, header_len, remaining)) = fixed_header(buf)? else {
        return Ok(None);
    };
    let ptype = first >> 4;
    let flags = first & 0x0F;
    // Validate the type before waiting for the body so garbage fails fast.
    match ptype {
        0 | 15 => return Err(Error::InvalidPacketType(ptype)),
        5..=7 | 10 | 11 => return Err(Error::UnsupportedPacket(ptype)),
        _ => {}
    }
    let total = header_len + remaining;
    if buf.len() < total {
        return Ok(None);
    }
    let mut r = Reader::new(&buf[header_len..total]);
    let expect_flags = |want: u8| {
        if flags == want {
            Ok(())
        } else {
            Err(Error::InvalidFlags(flags))
        }
    };
    let packet = match ptype {
        1 => {
            expect_flags(0)?;
            Packet::Connect(decode_connect(&mut r)?)
        }
        2 => {
            expect_flags(0)?;
            let ack_flags = r.u8()?;
            if ack_flags & 0xFE != 0 {
                return Err(Error::InvalidFlags(ack_flags));
            }
            let code = ConnectReturnCode::from_u8(r.u8()?)?;
            Packet::ConnAck(ConnAck {
                session_present: ack_flags & 1 == 1,
                code,
            })
        }
        3 => {
            let qos = QoS::from_u8((flags >> 1) & 3)?;
            let dup = flags & 0x08 != 0;
            if qos == QoS::AtMostOnce && dup {
                return Err(Error::InvalidFlags(flags));
            }
            let topic = r.string()?;
            let pkid = if qos == QoS::AtMostOnce { 0 } else { r.pkid()? };
            Packet::Publish(Publish {
                dup,
                qos,
                retain: flags & 1 != 0,
                topic,
                pkid,
                payload: r.rest(),
            })
        }
        4 => {
            expect_flags(0)?;
            Packet::PubAck(r.pkid()?)
        }
        8 => {
            expect_flags(2)?;
            let pkid = r.pkid()?;
            let wire = r.rest();
            let mut check = Reader::new(wire);
            if check.is_empty() {
                return Err(Error::EmptySubscribe);
            }
            while !check.is_empty() {
                check.string()?;
                let q = check.u8()?;
                if q & 0xFC != 0 {
                    return Err(Error::InvalidQoS(q));
                }
                QoS::from_u8(q)?;
            }
            Packet::Subscribe(Subscribe {
                pkid,
                filters: Filters::Wire(wire),
            })
        }
        9 => {
            expect_flags(0)?;
            let pkid = r.pkid()?;
            let codes = r.rest();
            for &c in codes {
                SubAckCode::from_u8(c)?;
            }
            Packet::SubAck(SubAck {
                pkid,
                return_codes: codes,
            })
        }
        12 => {
            expect_flags(0)?;
            Packet::PingReq
        }
        13 => {
            expect_flags(0)?;
            Packet::PingResp
        }
        14 => {
            expect_flags(0)?;
            Packet::Disconnect
        }
        other => return Err(Error::UnsupportedPacket(other)),
    };
    r.finish()?;
    Ok(Some((packet, total)))
}

fn decode_connect<'a>(r: &mut Reader<'a>) -> Result<Connect<'a>> {
    if r.binary()? != b"MQTT" || r.u8()? != PROTOCOL_LEVEL {
        return Err(Error::InvalidProtocol);
    }
    let flags = r.u8()?;
    let keep_alive_s = r.u16()?;
    let has_user = flags & 0x80 != 0;
    let has_pass = flags & 0x40 != 0;
    let will_retain = flags & 0x20 != 0;
    let will_qos = (flags >> 3) & 3;
    let has_will = flags & 0x04 != 0;
    if flags & 0x01 != 0 || (!has_will && (will_retain || will_qos != 0)) || (has_pass && !has_user)
    {
        return Err(Error::InvalidConnectFlags);
    }
    let client_id = r.string()?;
    let will = if has_will {
        let topic = r.string()?;
        let message = r.binary()?;
        Some(LastWill {
            topic,
            message,
            qos: QoS::from_u8(will_qos)?,
            retain: will_retain,
        })
    } else {
        None
    };
    let username = if has_user { Some(r.string()?) } else { None };
    let password = if has_pass { Some(r.binary()?) } else { None };
    Ok(Connect {
        client_id,
        keep_alive_s,
        clean_session: flags & 0x02 != 0,
        username,
        password,
        will,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Bounds-checked writer into a caller buffer.
struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // Capacity was checked up front against `encoded_len`.
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }
    fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    fn u16(&mut self, v: u16) {
        self.put(&v.to_be_bytes());
    }
    fn binary(&mut self, b: &[u8]) {
        self.u16(b.len() as u16);
        self.put(b);
    }
}

fn field_len(b: &[u8]) -> Result<usize> {
    if b.len() > u16::MAX as usize {
        Err(Error::FieldTooLong)
    } else {
        Ok(2 + b.len())
    }
}

fn remaining_len_bytes(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

impl Packet<'_> {
    /// Length of the body after the fixed header.
    fn body_len(&self) -> Result<usize> {
        Ok(match self {
            Packet::Connect(c) => {
                let mut n = field_len(b"MQTT")? + 1 + 1 + 2 + field_len(c.client_id.as_bytes())?;
                if let Some(w) = &c.will {
                    n += field_len(w.topic.as_bytes())? + field_len(w.message)?;
                }
                if let Some(u) = c.username {
                    n += field_len(u.as_bytes())?;
                }
                if let Some(p) = c.password {
                    n += field_len(p)?;
                }
                n
            }
            Packet::ConnAck(_) | Packet::PubAck(_) => 2,
            Packet::Publish(p) => {
                let id = if p.qos == QoS::AtMostOnce { 0 } else { 2 };
                field_len(p.topic.as_bytes())? + id + p.payload.len()
            }
            Packet::Subscribe(s) => {
                let mut n = 2;
                for (f, _) in s.filters.iter() {
                    n += field_len(f.as_bytes())? + 1;
                }
                n
            }
            Packet::SubAck(s) => 2 + s.return_codes.len(),
            Packet::PingReq | Packet::PingResp | Packet::Disconnect => 0,
        })
    }

    /// Exact number of bytes [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> Result<usize> {
        let body = self.body_len()?;
        if body > REMAINING_LENGTH_MAX {
            return Err(Error::PacketTooLarge);
        }
        Ok(1 + remaining_len_bytes(body) + body)
    }

    fn validate(&self) -> Result<()> {
        match self {
            Packet::Connect(c) if c.password.is_some() && c.username.is_none() => {
                return Err(Error::InvalidConnectFlags);
            }
            Packet::Publish(p) => {
                if p.qos != QoS::AtMostOnce && p.pkid == 0 {
                    return Err(Error::ZeroPacketId);
                }
                if p.qos == QoS::AtMostOnce && p.dup {
                    return Err(Error::InvalidFlags(0x08));
                }
            }
            Packet::PubAck(0) => return Err(Error::ZeroPacketId),
            Packet::Subscribe(s) => {
                if s.pkid == 0 {
                    return Err(Error::ZeroPacketId);
                }
                if s.filters.iter().next().is_none() {
                    return Err(Error::EmptySubscribe);
                }
            }
            Packet::SubAck(s) => {
                if s.pkid == 0 {
                    return Err(Error::ZeroPacketId);
                }
                for &c in s.return_codes {
                    SubAckCode::from_u8(c)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Encodes into the start of `out`, returning the number of bytes written.
    /// Nothing is written if `out` is too small ([`Error::BufferTooSmall`]).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize> {
        self.validate()?;
        let total = self.encoded_len()?;
        if out.len() < total {
            return Err(Error::BufferTooSmall {
                needed: total,
                available: out.len(),
            });
        }
        let body = self.body_len()?;
        let mut w = Writer { buf: out, pos: 0 };
        let first = match self {
            Packet::Connect(_) => 0x10,
            Packet::ConnAck(_) => 0x20,
            Packet::Publish(p) => {
                0x30 | (u8::from(p.dup) << 3) | ((p.qos as u8) << 1) | u8::from(p.retain)
            }
            Packet::PubAck(_) => 0x40,
            Packet::Subscribe(_) => 0x82,
            Packet::SubAck(_) => 0x90,
            Packet::PingReq => 0xC0,
            Packet::PingResp => 0xD0,
            Packet::Disconnect => 0xE0,
        };
        w.u8(first);
        let mut len = body;
        loop {
            let mut b = (len & 0x7F) as u8;
            len >>= 7;
            if len > 0 {
                b |= 0x80;
            }
            w.u8(b);
            if len == 0 {
                break;
            }
        }
        match self {
            Packet::Connect(c) => {
                w.binary(b"MQTT");
                w.u8(PROTOCOL_LEVEL);
                let mut flags = 0u8;
                if c.username.is_some() {
                    flags |= 0x80;
                }
                if c.password.is_some() {
                    flags |= 0x40;
                }
                if let Some(will) = &c.will {
                    flags |= 0x04 | ((will.qos as u8) << 3);
                    if will.retain {
                        flags |= 0x20;
                    }
                }
                if c.clean_session {
                    flags |= 0x02;
                }
                w.u8(flags);
                w.u16(c.keep_alive_s);
                w.binary(c.client_id.as_bytes());
                if let Some(will) = &c.will {
                    w.binary(will.topic.as_bytes());
                    w.binary(will.message);
                }
                if let Some(u) = c.username {
                    w.binary(u.as_bytes());
                }
                if let Some(p) = c.password {
                    w.binary(p);
                }
            }
            Packet::ConnAck(a) => {
                w.u8(u8::from(a.session_present));
                w.u8(a.code as u8);
            }
            Packet::Publish(p) => {
                w.binary(p.topic.as_bytes());
                if p.qos != QoS::AtMostOnce {
                    w.u16(p.pkid);
                }
                w.put(p.payload);
            }
            Packet::PubAck(id) => w.u16(*id),
            Packet::Subscribe(s) => {
                w.u16(s.pkid);
                for (f, q) in s.filters.iter() {
                    w.binary(f.as_bytes());
                    w.u8(q as u8);
                }
            }
            Packet::SubAck(s) => {
                w.u16(s.pkid);
                w.put(s.return_codes);
            }
            Packet::PingReq | Packet::PingResp | Packet::Disconnect => {}
        }
        debug_assert_eq!(w.pos, total);
        Ok(total)
    }
}

/// Encodes into a new vector (host side).
#[cfg(feature = "std")]
impl Packet<'_> {
    pub fn to_vec(&self) -> Result<std::vec::Vec<u8>> {
        let mut out = std::vec![0; self.encoded_len()?];
        let n = self.encode(&mut out)?;
        out.truncate(n);
        Ok(out)
    }
}

/// Sets the DUP flag on an encoded QoS 1/2 PUBLISH (for retransmission, §3.3.1.1).
pub fn set_dup(encoded_publish: &mut [u8]) {
    if let Some(first) = encoded_publish.first_mut() {
        if *first >> 4 == 3 && (*first >> 1) & 3 != 0 {
            *first |= 0x08;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(p: &Packet<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; p.encoded_len().unwrap()];
        assert_eq!(p.encode(&mut buf), Ok(buf.len()));
        buf
    }

    fn publish(payload: &[u8]) -> Packet<'_> {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "t",
            pkid: 1,
            payload,
        })
    }

    #[test]
    fn remaining_length_boundaries_round_trip() {
        // Body = 2 (topic len) + 1 (topic) + 2 (pkid) + payload.
        for (payload_len, header_len) in [(122, 2), (123, 3), (16_378, 3), (16_379, 4)] {
            let payload = vec![0xA5; payload_len];
            let bytes = enc(&publish(&payload));
            assert_eq!(bytes.len(), header_len + 5 + payload_len, "{payload_len}");
            assert_eq!(packet_len(&bytes), Ok(Some(bytes.len())));
            assert_eq!(decode(&bytes), Ok(Some((publish(&payload), bytes.len()))));
        }
    }

    #[test]
    fn malformed_headers_are_errors_not_incomplete() {
        assert_eq!(
            decode(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(Error::MalformedRemainingLength)
        );
        assert_eq!(decode(&[0x00, 0x00]), Err(Error::InvalidPacketType(0)));
        assert_eq!(decode(&[0xF0, 0x00]), Err(Error::InvalidPacketType(15)));
        // PUBREC is refused as soon as its header is complete.
        assert_eq!(decode(&[0x50, 0x02]), Err(Error::UnsupportedPacket(5)));
        assert_eq!(decode(&[0x30]), Ok(None));
        assert_eq!(decode(&[]), Ok(None));
    }

    #[test]
    fn invalid_flags_qos_and_ids_are_rejected() {
        // PUBLISH with QoS 3.
        assert_eq!(decode(&[0x36, 0x03, 0, 1, b't']), Err(Error::InvalidQoS(3)));
        // QoS 0 PUBLISH with DUP.
        assert_eq!(
            decode(&[0x38, 0x03, 0, 1, b't']),
            Err(Error::InvalidFlags(8))
        );
        // SUBSCRIBE must have flags 0b0010.
        assert_eq!(
            decode(&[0x80, 0x06, 0, 1, 0, 1, b't', 0]),
            Err(Error::InvalidFlags(0))
        );
        // SUBSCRIBE without filters.
        assert_eq!(decode(&[0x82, 0x02, 0, 1]), Err(Error::EmptySubscribe));
        assert_eq!(decode(&[0x40, 0x02, 0, 0]), Err(Error::ZeroPacketId));
        assert_eq!(decode(&[0xD0, 0x01, 0]), Err(Error::TrailingBytes));
        assert_eq!(decode(&[0x40, 0x01, 0]), Err(Error::Truncated));
        assert_eq!(
            decode(&[0x20, 0x02, 0, 6]),
            Err(Error::InvalidConnectReturnCode(6))
        );
        assert_eq!(
            decode(&[0x90, 0x03, 0, 1, 3]),
            Err(Error::InvalidSubAckCode(3))
        );
        assert_eq!(
            decode(&[0x30, 0x04, 0, 2, 0xC3, 0x28]),
            Err(Error::InvalidUtf8)
        );
    }

    #[test]
    fn connect_flags_are_checked_both_ways() {
        let c = Connect {
            client_id: "c",
            keep_alive_s: 5,
            clean_session: true,
            username: None,
            password: Some(b"pw"),
            will: None,
        };
        let mut buf = [0u8; 64];
        assert_eq!(
            Packet::Connect(c).encode(&mut buf),
            Err(Error::InvalidConnectFlags)
        );
        let ok = Packet::Connect(Connect {
            username: Some("u"),
            ..c
        });
        let mut bytes = enc(&ok);
        assert_eq!(decode(&bytes).unwrap().unwrap().0, ok);
        bytes[9] &= !0x80; // clear the user-name flag: password without user name
        assert_eq!(decode(&bytes), Err(Error::InvalidConnectFlags));
        bytes[8] = 3; // protocol level 3 (MQTT 3.1)
        assert_eq!(decode(&bytes), Err(Error::InvalidProtocol));
    }

    #[test]
    fn encode_into_a_small_buffer_writes_nothing() {
        let mut buf = [0xEEu8; 6];
        assert_eq!(
            publish(b"abc").encode(&mut buf),
            Err(Error::BufferTooSmall {
                needed: 10,
                available: 6
            })
        );
        assert_eq!(buf, [0xEE; 6]);
    }

    #[test]
    fn set_dup_marks_only_qos1_and_qos2_publishes() {
        let mut q1 = enc(&publish(b"x"));
        set_dup(&mut q1);
        let Some((Packet::Publish(p), _)) = decode(&q1).unwrap() else {
            panic!()
        };
        assert!(p.dup);
        let mut q0 = enc(&Packet::Publish(Publish {
            qos: QoS::AtMostOnce,
            pkid: 0,
            ..match publish(b"x") {
                Packet::Publish(p) => p,
                _ => unreachable!(),
            }
        }));
        let before = q0.clone();
        set_dup(&mut q0);
        assert_eq!(q0, before);
        let mut ack = enc(&Packet::PubAck(3));
        set_dup(&mut ack);
        assert_eq!(ack, [0x40, 2, 0, 3]);
    }
}
