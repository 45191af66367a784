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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; max_encoded_len(payload.len())];
        let n = encode(payload, &mut out).unwrap();
        out.truncate(n);
        out
    }

    /// Feeds `input` in chunks of `chunk` bytes; collects payloads and errors.
    fn decode_all<const N: usize>(
        dec: &mut Decoder<N>,
        input: &[u8],
        chunk: usize,
    ) -> Vec<core::result::Result<Vec<u8>, Error>> {
        let mut out = Vec::new();
        for mut piece in input.chunks(chunk.max(1)) {
            while !piece.is_empty() {
                let (used, got) = dec.feed(piece);
                piece = &piece[used..];
                if let Some(r) = got {
                    out.push(r.map(<[u8]>::to_vec));
                }
            }
        }
        out
    }

    #[test]
    fn crc16_matches_the_ccitt_false_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn an_encoded_frame_has_no_zero_before_its_delimiter() {
        let f = frame(&[0, 0, 1, 0, 2, 0]);
        assert_eq!(f.last(), Some(&0));
        assert!(!f[..f.len() - 1].contains(&0));
        let mut dec = Decoder::<64>::new();
        assert_eq!(decode_all(&mut dec, &f, 1), [Ok(vec![0, 0, 1, 0, 2, 0])]);
    }

    #[test]
    fn garbage_before_a_frame_is_reported_once_and_the_frame_still_decodes() {
        let mut input = b"\x13\x37 line noise \xFF\xFE".to_vec();
        input.push(0); // the garbage ends at the next delimiter
        input.extend(frame(b"CONNECT"));
        let mut dec = Decoder::<64>::new();
        let got = decode_all(&mut dec, &input, 3);
        assert_eq!(got.len(), 2);
        assert!(got[0].is_err());
        assert_eq!(got[1], Ok(b"CONNECT".to_vec()));
        assert_eq!((dec.frames(), dec.errors()), (1, 1));
    }

    #[test]
    fn a_corrupted_byte_fails_the_crc_and_the_next_frame_is_unaffected() {
        let mut bad = frame(b"hello gsmq");
        bad[3] ^= 0x01;
        let mut input = bad;
        input.extend(frame(b"next"));
        let mut dec = Decoder::<64>::new();
        let got = decode_all(&mut dec, &input, 64);
        assert!(
            matches!(got[0], Err(Error::Crc { .. } | Error::Cobs)),
            "{got:?}"
        );
        assert_eq!(got[1], Ok(b"next".to_vec()));
    }

    #[test]
    fn a_frame_longer_than_the_buffer_is_dropped_as_overflow() {
        let mut input = frame(&[7u8; 100]);
        input.extend(frame(&[8u8; 10]));
        let mut dec = Decoder::<32>::new();
        let got = decode_all(&mut dec, &input, 7);
        assert_eq!(
            got,
            [Err(Error::Overflow { capacity: 32 }), Ok(vec![8u8; 10])]
        );
    }

    #[test]
    fn empty_frames_and_short_frames_are_handled() {
        let mut dec = Decoder::<32>::new();
        // Repeated delimiters are idle line, not errors; a lone code byte is too short.
        let got = decode_all(&mut dec, &[0, 0, 0, 0x01, 0], 1);
        assert_eq!(got, [Err(Error::TooShort { len: 0 })]);
        assert_eq!(decode_all(&mut dec, &frame(b""), 1), [Ok(vec![])]);
    }

    #[test]
    fn encode_refuses_a_small_buffer() {
        let mut out = [0u8; 4];
        assert_eq!(
            encode(b"abc", &mut out),
            Err(Error::BufferTooSmall {
                needed: 7,
                available: 4
            })
        );
    }

    proptest! {
        #[test]
        fn frames_round_trip_under_any_split(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 1..5),
            chunk in 1usize..64,
        ) {
            let mut input = Vec::new();
            for p in &payloads {
                let f = frame(p);
                prop_assert!(f.len() <= max_encoded_len(p.len()));
                input.extend(f);
            }
            let mut dec = Decoder::<{ 700 + CRC_LEN }>::new();
            let got = decode_all(&mut dec, &input, chunk);
            let want: Vec<_> = payloads.iter().cloned().map(Ok).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn the_decoder_resyncs_after_arbitrary_garbage(
            garbage in proptest::collection::vec(any::<u8>(), 0..200),
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..4),
        ) {
            let mut input = garbage;
            input.push(DELIMITER);
            for p in &payloads {
                input.extend(frame(p));
            }
            let mut dec = Decoder::<{ 300 + CRC_LEN }>::new();
            let got = decode_all(&mut dec, &input, 13);
            // Whatever the garbage produced, the real frames come out last, in order.
            let good: Vec<_> = got[got.len() - payloads.len()..].to_vec();
            let want: Vec<_> = payloads.iter().cloned().map(Ok).collect();
            prop_assert_eq!(good, want);
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_decoder(input in proptest::collection::vec(any::<u8>(), 0..500)) {
            let mut dec = Decoder::<16>::new();
            let got = decode_all(&mut dec, &input, 5);
            prop_assert!(got.len() <= input.iter().filter(|&&b| b == 0).count());
        }
    }
}
