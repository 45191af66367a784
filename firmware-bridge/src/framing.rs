//! Serial-link framing: COBS with a CRC-16/CCITT-FALSE trailer and `0x00` delimiters.
//!
//! Wire format of one frame: `COBS(payload ++ crc16_be(payload)) ++ [0x00]`. COBS removes
//! every zero byte from the body, so `0x00` only ever marks a frame end and a receiver that
//! joins mid-stream, or loses bytes, resynchronises at the next delimiter. A sender may put a
//! `0x00` before its first frame to flush a receiver's partial garbage; empty frames are
//! ignored.
//!
//! Guarantees: no allocation; the decoder is incremental (any split of the input yields the
//! same frames), never panics, bounds its buffer at `N` bytes, and reports each bad frame
//! once (CRC mismatch, COBS violation, too short, too long) before resuming with the next
//! one. The gsmq daemon uses this same codec through the `std` feature.

/// Bytes of CRC appended to every payload.
pub const CRC_LEN: usize = 2;
/// Frame delimiter.
pub const DELIMITER: u8 = 0x00;

/// Largest encoded frame for a payload of `payload_len` bytes, delimiter included.
pub const fn max_encoded_len(payload_len: usize) -> usize {
    let body = payload_len + CRC_LEN;
    body + body / 254 + 1 + 1
}

/// Framing errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    #[error("frame needs {needed} bytes, the buffer has room for {available}")]
    BufferTooSmall { needed: usize, available: usize },
    #[error("frame longer than the {capacity} byte receive buffer was dropped")]
    Overflow { capacity: usize },
    #[error("frame CRC mismatch (got {got:#06x}, computed {computed:#06x})")]
    Crc { got: u16, computed: u16 },
    #[error("frame ended inside a COBS block")]
    Cobs,
    #[error("frame of {len} bytes is shorter than its CRC")]
    TooShort { len: usize },
}

/// Framing result.
pub type Result<T> = core::result::Result<T, Error>;

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected): `crc16(b"123456789") == 0x29B1`.
pub fn crc16(data: &[u8]) -> u16 {
    crc16_update(0xFFFF, data)
}

fn crc16_update(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Encodes one frame (delimiter included) into `out`; returns the bytes written.
pub fn encode(payload: &[u8], out: &mut [u8]) -> Result<usize> {
    let needed = max_encoded_len(payload.len());
    if out.len() < needed {
        return Err(Error::BufferTooSmall {
            needed,
            available: out.len(),
        });
    }
    let crc = crc16(payload).to_be_bytes();
    let mut code_at = 0;
    let mut pos = 1;
    let mut code: u8 = 1;
    for &b in payload.iter().chain(crc.iter()) {
        if b == 0 {
            out[code_at] = code;
            code_at = pos;
            pos += 1;
            code = 1;
        } else {
            out[pos] = b;
            pos += 1;
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = pos;
                pos += 1;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out[pos] = DELIMITER;
    Ok(pos + 1)
}

/// Encodes one frame into a new vector (host side).
#[cfg(feature = "std")]
pub fn encode_to_vec(payload: &[u8]) -> std::vec::Vec<u8> {
    let mut out = std::vec![0; max_encoded_len(payload.len())];
    let n = encode(payload, &mut out).unwrap_or(0);
    out.truncate(n);
    out
}

/// Incremental frame decoder with an `N`-byte buffer (payload plus [`CRC_LEN`]).
#[derive(Debug, Clone)]
pub struct Decoder<const N: usize = { crate::FRAME_BUFFER_LEN }> {
    buf: [u8; N],
    len: usize,
    /// Data bytes left in the current COBS block; 0 means the next byte is a code byte.
    remaining: u8,
    /// The current block ends with an implied zero (code < 0xFF).
    pending_zero: bool,
    /// A code byte has been seen since the last delimiter.
    started: bool,
    overflow: bool,
    frames: u32,
    errors: u32,
}

impl<const N: usize> Default for Decoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Decoder<N> {
    pub const fn new() -> Self {
        Decoder {
            buf: [0; N],
            len: 0,
            remaining: 0,
            pending_zero: false,
            started: false,
            overflow: false,
            frames: 0,
            errors: 0,
        }
    }

    /// Good frames decoded so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Bad frames (garbage) reported so far.
    pub fn errors(&self) -> u32 {
        self.errors
    }

    fn store(&mut self, b: u8) {
        if self.len == N {
            self.overflow = true;
        } else {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }

    fn reset(&mut self) {
        self.len = 0;
        self.remaining = 0;
        self.pending_zero = false;
        self.started = false;
        self.overflow = false;
    }

    /// Consumes bytes up to and including the next frame end. Returns how many bytes were
    /// used and, if a frame ended, its payload or why it was rejected. Call again with the
    /// rest of the input.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<Result<&[u8]>>) {
        for (i, &b) in input.iter().enumerate() {
            if b == DELIMITER {
                if !self.started {
                    self.reset();
                    continue;
                }
                let len = self.len;
                let verdict = if self.overflow {
                    Err(Error::Overflow { capacity: N })
                } else if self.remaining != 0 {
                    Err(Error::Cobs)
                } else if len < CRC_LEN {
                    Err(Error::TooShort { len })
                } else {
                    let got = u16::from_be_bytes([self.buf[len - 2], self.buf[len - 1]]);
                    let computed = crc16(&self.buf[..len - CRC_LEN]);
                    if got == computed {
                        Ok(len - CRC_LEN)
                    } else {
                        Err(Error::Crc { got, computed })
                    }
                };
                self.reset();
                return match verdict {
                    Ok(n) => {
                        self.frames = self.frames.wrapping_add(1);
                        (i + 1, Some(Ok(&self.buf[..n])))
                    }
                    Err(e) => {
                        self.errors = self.errors.wrapping_add(1);
                        trace!("framing: bad frame dropped");
                        (i + 1, Some(Err(e)))
                    }
                };
            }
            if self.overflow {
                continue;
            }
            if self.remaining == 0 {
                if self.started && self.pending_zero {
                    self.store(0);
                }
                self.started = true;
                self.remaining = b - 1;
                self.pending_zero = b != 0xFF;
            } else {
                self.store(b);
                self.remaining -= 1;
            }
        }
        (input.len(), None)
    }
}
