//! `gsmq at …`: AT protocol tools for people debugging a modem.
//! `gsmq at parse` digests a modem→host capture with the same digester the
//! daemon uses and prints one JSON object per event.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use crate::at::transcript::{self, Step};
use crate::at::{response, Command, Digester, Event};

#[derive(Debug, Args)]
pub struct AtArgs {
    #[command(subcommand)]
    pub command: AtCommand,
}

#[derive(Debug, Subcommand)]
pub enum AtCommand {
    /// Digest a modem→host capture and print one JSON object per event.
    Parse(ParseArgs),
}

/// How the capture is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// The bytes exactly as read from the serial port (e.g. `cat /dev/ttyUSB2 > cap`).
    Raw,
    /// Text with C escapes (`\r \n \t \0 \\ \xHH`) as pasted from a log;
    /// real line breaks in the file are ignored.
    Escaped,
    /// The `.at` transcript format of tests/data: `> CMD` host lines, `< bytes`
    /// modem lines (escaped), `>> payload`, `# comment`.
    Transcript,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Output: one JSON object per line, in stream order:
  {\"event\":\"echo\",\"text\":\"AT+CSQ\"}
  {\"event\":\"info\",\"text\":\"+CSQ: 21,99\",\"typed\":{\"type\":\"csq\",\"value\":{\"ber\":99,\"rssi\":21}}}
  {\"event\":\"final\",\"final\":{\"type\":\"ok\"}}
  {\"event\":\"urc\",\"urc\":{\"data\":{\"index\":3,\"mem\":\"SM\"},\"type\":\"cmti\"}}
  {\"event\":\"prompt\"}   {\"event\":\"garbage\",\"len\":4}
Transcript input also prints {\"event\":\"host\",\"text\":\"AT+CSQ\"} for each `>` line.

Which lines answer which command: with echo on, every echoed `AT…` line
starts a command (turn off with --no-infer). With echo off, list the commands
the host sent with --expect, in order; each becomes pending after the
previous command's final result.

Examples:
  gsmq at parse capture.bin
  gsmq at parse --input escaped --expect AT+CREG? --expect AT+CMGL=4 log.txt
  printf 'AT+CSQ\\r\\r\\n+CSQ: 9,99\\r\\n\\r\\nOK\\r\\n' | gsmq at parse --summary")]
pub struct ParseArgs {
    /// Capture file; stdin when absent or `-`.
    pub file: Option<PathBuf>,
    /// How the capture is written.
    #[arg(long, value_enum, default_value = "raw")]
    pub input: InputFormat,
    /// A command line the host sent (repeatable, in order), e.g. `--expect AT+CSQ`.
    #[arg(long = "expect", value_name = "CMD")]
    pub expect: Vec<String>,
    /// Do not take echoed `AT…` lines as the start of a command.
    #[arg(long)]
    pub no_infer: bool,
    /// Feed the capture one byte at a time (the events must not change).
    #[arg(long)]
    pub bytewise: bool,
    /// Print event counts and garbage bytes to stderr at the end.
    #[arg(long)]
    pub summary: bool,
}

pub fn run(args: AtArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AtCommand::Parse(p) => parse(p),
    }
}

fn read_input(file: &Option<PathBuf>) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            buf = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("reading stdin")?;
        }
    }
    Ok(buf)
}

/// The JSON record printed for one event: `event` names the kind, the other
/// keys carry its fields (`text`, `typed`, `final`, `urc`, `len`).
pub fn event_json(e: &Event) -> Value {
    let to = |v: Result<Value, serde_json::Error>| v.unwrap_or_else(|err| json!(err.to_string()));
    match e {
        Event::Echo(t) => json!({"event": "echo", "text": t}),
        Event::Info(t) => {
            let mut v = json!({"event": "info", "text": t});
            match response::typed(t) {
                Some(Ok(typed)) => v["typed"] = to(serde_json::to_value(typed)),
                Some(Err(err)) => v["parse_error"] = json!(err.to_string()),
                None => {}
            }
            v
        }
        Event::Final(f) => json!({"event": "final", "final": to(serde_json::to_value(f))}),
        Event::Prompt => json!({"event": "prompt"}),
        Event::Urc(u) => json!({"event": "urc", "urc": to(serde_json::to_value(u))}),
        Event::Garbage { len } => json!({"event": "garbage", "len": len}),
    }
}

fn parse(args: ParseArgs) -> anyhow::Result<ExitCode> {
    let input = read_input(&args.file)?;
    let steps = match args.input {
        InputFormat::Raw => vec![Step::Modem(input)],
        InputFormat::Escaped => {
            let text = String::from_utf8(input).context("escaped input is not UTF-8")?;
            let joined: String = text.lines().collect();
            vec![Step::Modem(transcript::unescape(&joined)?)]
        }
        InputFormat::Transcript => {
            let text = String::from_utf8(input).context("transcript is not UTF-8")?;
            transcript::parse(&text).map_err(|(line, e)| anyhow::anyhow!("line {line}: {e}"))?
        }
    };

    let mut d = Digester::new();
    d.set_infer(!args.no_infer);
    for cmd in &args.expect {
        d.expect_after(&Command::from_line(cmd));
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut count = 0u64;
    let mut emit = |d: &mut Digester, out: &mut dyn Write| -> anyhow::Result<()> {
        while let Some(e) = d.poll_event() {
            count += 1;
            writeln!(out, "{}", event_json(&e))?;
        }
        Ok(())
    };
    for step in &steps {
        match step {
            Step::Host(line) => {
                writeln!(out, "{}", json!({"event": "host", "text": line}))?;
                d.expect(&Command::from_line(line));
            }
            Step::Payload(_) => {}
            Step::Modem(bytes) => {
                if args.bytewise {
                    for b in bytes {
                        d.feed(std::slice::from_ref(b));
                        emit(&mut d, &mut out)?;
                    }
                } else {
                    d.feed(bytes);
                    emit(&mut d, &mut out)?;
                }
            }
        }
    }
    d.finish();
    emit(&mut d, &mut out)?;
    out.flush()?;
    if args.summary {
        eprintln!(
            "{}",
            json!({"summary": {"events": count, "garbage_bytes": d.garbage_bytes(),
                   "pending": d.is_pending()}})
        );
    }
    Ok(ExitCode::SUCCESS)
}
