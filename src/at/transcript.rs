//! The `.at` transcript format used by `tests/data/<model>/*.at` and by
//! `gsmq at parse --input transcript`. Pure text processing, no I/O.
//!
//! One record per line:
//! - `# …` comment, blank lines ignored;
//! - `> AT+CSQ` a command line the host wrote (the digester is told to
//!   expect it at this point of the stream);
//! - `>> 0011…` a payload the host wrote inside the prompt (informational);
//! - `< \r\n+CSQ: 21,99\r\n` bytes the modem sent, with C escapes
//!   (`\r \n \t \0 \\ \xHH`); one space after `<` is dropped.

use super::{Command, Digester, Error, Event, Result};

/// One record of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The host wrote this command line (without `\r`).
    Host(String),
    /// The host wrote this payload inside the prompt.
    Payload(String),
    /// The modem sent these bytes.
    Modem(Vec<u8>),
}

/// Decodes C escapes (`\r \n \t \0 \\ \xHH`); other characters pass through
/// as their UTF-8 bytes.
pub fn unescape(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = *b.get(i + 1).ok_or(Error::Escape)?;
        i += 2;
        match c {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = s.get(i..i + 2).ok_or(Error::Escape)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| Error::Escape)?);
                i += 2;
            }
            _ => return Err(Error::Escape),
        }
    }
    Ok(out)
}

/// Parses a transcript; the error names the 1-based line.
pub fn parse(text: &str) -> std::result::Result<Vec<Step>, (usize, Error)> {
    let mut steps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let step = if let Some(rest) = line.strip_prefix(">>") {
            Step::Payload(rest.trim().to_string())
        } else if let Some(rest) = line.strip_prefix('>') {
            Step::Host(rest.trim().to_string())
        } else if let Some(rest) = line.strip_prefix('<') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            Step::Modem(unescape(rest).map_err(|e| (n + 1, e))?)
        } else {
            return Err((n + 1, Error::Transcript));
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Replays `steps` through `digester`: each `Host` step becomes an
/// [`Digester::expect`] of [`Command::from_line`], each `Modem` step is fed
/// in chunks of the sizes `chunks` yields (cycled; `None` feeds whole).
/// Returns every event, after [`Digester::finish`].
pub fn replay(steps: &[Step], digester: &mut Digester, chunks: Option<&[usize]>) -> Vec<Event> {
    let mut out = Vec::new();
    let mut sizes = chunks.unwrap_or(&[]).iter().copied().cycle();
    for step in steps {
        match step {
            Step::Host(line) => digester.expect(&Command::from_line(line)),
            Step::Payload(_) => {}
            Step::Modem(bytes) => {
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let n = match chunks {
                        Some(_) => sizes.next().unwrap_or(rest.len()).clamp(1, rest.len()),
                        None => rest.len(),
                    };
                    digester.feed(&rest[..n]);
                    rest = &rest[n..];
                    out.extend(std::iter::from_fn(|| digester.poll_event()));
                }
            }
        }
    }
    digester.finish();
    out.extend(std::iter::from_fn(|| digester.poll_event()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_parse_into_host_and_modem_steps() {
        let t = "# boot\n> AT+CSQ\n<  \\r\\n+CSQ: 1,2\\r\\n\\x1a\n>> 00FF\n";
        assert_eq!(
            parse(t).unwrap(),
            vec![
                Step::Host("AT+CSQ".into()),
                Step::Modem(b" \r\n+CSQ: 1,2\r\n\x1a".to_vec()),
                Step::Payload("00FF".into()),
            ]
        );
        assert_eq!(parse("x\n"), Err((1, Error::Transcript)));
        assert_eq!(parse("< \\q"), Err((1, Error::Escape)));
        assert_eq!(parse("< \\x4"), Err((1, Error::Escape)));
    }
}
