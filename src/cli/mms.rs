//! `gsmq mms …`: MMS tools. `gsmq mms decode FILE` prints a binary MMS PDU
//! or a WAP push (raw or `--hex`) as JSON: headers in wire order, then the
//! parts (text inline for text parts, otherwise size and SHA-256);
//! `gsmq mms encode` builds an m-send-req from text and files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::mms::{self, Body, ContentType, Decoded, Param, Part, PartHeader, Pdu, Push};
use crate::mmsc::{part_text, sha256_hex};

#[derive(Debug, Args)]
pub struct MmsArgs {
    #[command(subcommand)]
    pub command: MmsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MmsCommand {
    /// Decode a binary MMS PDU or WAP push and print it as JSON.
    Decode(DecodeArgs),
    /// Build an m-send-req (text, attachments and a generated SMIL).
    Encode(EncodeArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Writes the binary m-send-req (or hex with --hex) to --output or stdout; post it
to an MMSC with e.g. curl --data-binary @m.mms -H 'Content-Type: application/vnd.wap.mms-message'.

Example:
  gsmq mms encode --to +491701234567 --subject Hi --text 'Look!' --attach pic.jpg -o m.mms")]
pub struct EncodeArgs {
    /// Recipient (phone number or e-mail address); repeatable.
    #[arg(long, required = true)]
    pub to: Vec<String>,
    #[arg(long)]
    pub subject: Option<String>,
    /// A text/plain part.
    #[arg(long)]
    pub text: Option<String>,
    /// A file to attach; the media type follows the extension.
    #[arg(long)]
    pub attach: Vec<PathBuf>,
    /// Transaction id.
    #[arg(long, default_value = "gsmq-1")]
    pub tid: String,
    /// Output file (default stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write uppercase hex instead of binary.
    #[arg(long)]
    pub hex: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Output (one JSON object):
  {\"kind\":\"mms\",\"mms\":{\"message_type\":\"m-retrieve-conf\",
   \"headers\":[{\"name\":\"X-Mms-Transaction-Id\",\"value\":\"T1\"},…],
   \"content_type\":\"application/vnd.wap.multipart.related; …\",
   \"parts\":[{\"content_type\":\"text/plain; charset=utf-8\",\"size\":5,\"sha256\":\"…\",\"text\":\"hello\"},
            {\"content_type\":\"image/png\",\"size\":1234,\"sha256\":\"…\"}]}}
A WAP push gives {\"kind\":\"push\",\"push\":{…},\"mms\":{…}}.

Examples:
  gsmq mms decode retrieve-conf.mms
  gsmq mms decode --hex push.hex")]
pub struct DecodeArgs {
    /// The file (`-` for stdin).
    pub file: PathBuf,
    /// The file holds hex (whitespace ignored) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
}

pub fn run(args: MmsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MmsCommand::Decode(a) => decode(&a),
        MmsCommand::Encode(a) => encode(&a),
    }
}

/// The media type for a file name's extension.
fn media_for(path: &std::path::Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "txt" => "text/plain",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "3gp" => "video/3gpp",
        "mp4" => "video/mp4",
        "vcf" => "text/x-vcard",
        _ => "application/octet-stream",
    }
}

fn encode(a: &EncodeArgs) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::new();
    let mut smil_body = String::new();
    for (i, path) in a.attach.iter().enumerate() {
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map_or_else(|| format!("part{i}"), str::to_owned);
        let media = media_for(path);
        let tag = match media.split('/').next() {
            Some("image") => "img",
            Some("audio") => "audio",
            Some("video") => "video",
            Some("text") => "text",
            _ => "ref",
        };
        smil_body.push_str(&format!("<par dur=\"5s\"><{tag} src=\"{name}\"/></par>"));
        let ct = ContentType::new(media).with(Param::Name(name.clone()));
        parts.push(Part::new(ct, &format!("part{i}"), &name, data));
    }
    if let Some(t) = &a.text {
        smil_body.push_str("<par dur=\"5s\"><text src=\"text.txt\"/></par>");
        parts.push(Part::text("text", "text.txt", t));
    }
    if parts.is_empty() {
        anyhow::bail!("nothing to send: give --text and/or --attach");
    }
    let smil = format!(
        "<smil><head><layout><root-layout/></layout></head><body>{smil_body}</body></smil>"
    );
    parts.insert(0, Part::smil("smil", &smil));
    let to: Vec<&str> = a.to.iter().map(String::as_str).collect();
    let pdu = Pdu::send_req(&a.tid, &to, a.subject.as_deref(), parts);
    let bytes = pdu.encode().context("encoding m-send-req")?;
    let out = if a.hex {
        format!("{}\n", hex::encode_upper(&bytes)).into_bytes()
    } else {
        bytes
    };
    match &a.output {
        Some(p) => std::fs::write(p, out).with_context(|| format!("writing {}", p.display()))?,
        None => {
            std::io::Write::write_all(&mut std::io::stdout(), &out).context("writing stdout")?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decode(a: &DecodeArgs) -> anyhow::Result<ExitCode> {
    let raw = if a.file.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).context("reading stdin")?;
        v
    } else {
        std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?
    };
    let bytes = if a.hex {
        let text: String = String::from_utf8_lossy(&raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        hex::decode(&text).context("input is not hex")?
    } else {
        raw
    };
    match mms::decode_any(&bytes) {
        Ok(d) => {
            println!("{}", to_json(&d));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("gsmq mms decode: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The JSON rendering printed by `gsmq mms decode`.
pub fn to_json(d: &Decoded) -> Value {
    match d {
        Decoded::Mms(p) => json!({ "kind": "mms", "mms": pdu_json(p) }),
        Decoded::Push { push, mms } => json!({
            "kind": "push",
            "push": push_json(push),
            "mms": mms.as_ref().map(pdu_json),
        }),
    }
}

fn push_json(p: &Push) -> Value {
    let mut v = json!({
        "tid": p.tid,
        "pdu_type": if p.pdu_type == mms::PDU_PUSH { "push" } else { "confirmed_push" },
        "content_type": p.content_type.to_string(),
        "headers": p.headers.iter().map(part_header_json).collect::<Vec<_>>(),
        "body_size": p.body.len(),
    });
    if !p.is_mms() {
        v["body_sha256"] = json!(sha256_hex(&p.body));
    }
    v
}

fn pdu_json(p: &Pdu) -> Value {
    let headers: Vec<Value> = p
        .headers
        .iter()
        .map(|h| json!({ "name": h.name(), "value": h.value_string() }))
        .collect();
    let mut v = json!({
        "message_type": p.message_type().map(|t| t.as_str()),
        "headers": headers,
    });
    match &p.content {
        Some((ct, Body::Multipart(parts))) => {
            v["content_type"] = json!(ct.to_string());
            v["parts"] = Value::Array(parts.iter().map(part_json).collect());
        }
        Some((ct, Body::Single(data))) => {
            v["content_type"] = json!(ct.to_string());
            v["body"] = data_json(ct, data);
        }
        None => {}
    }
    v
}

fn part_header_json(h: &PartHeader) -> Value {
    match h {
        PartHeader::ContentId(s) => json!({ "name": "Content-ID", "value": s }),
        PartHeader::ContentLocation(s) => json!({ "name": "Content-Location", "value": s }),
        PartHeader::Raw { code, value } => {
            json!({ "name": format!("wsp-{code:#04x}"), "value": hex::encode(value) })
        }
        PartHeader::Text { name, value } => json!({ "name": name, "value": value }),
    }
}

fn data_json(ct: &mms::ContentType, data: &[u8]) -> Value {
    let mut v = json!({ "size": data.len(), "sha256": sha256_hex(data) });
    if ct.is_text() {
        v["text"] = json!(part_text(ct, data));
    }
    v
}

fn part_json(p: &Part) -> Value {
    let mut v = data_json(&p.content_type, &p.data);
    v["content_type"] = json!(p.content_type.to_string());
    if let Some(id) = p.content_id() {
        v["content_id"] = json!(id);
    }
    if let Some(loc) = p.content_location() {
        v["content_location"] = json!(loc);
    }
    let others: Vec<Value> = p
        .headers
        .iter()
        .filter(|h| !matches!(h, PartHeader::ContentId(_) | PartHeader::ContentLocation(_)))
        .map(part_header_json)
        .collect();
    if !others.is_empty() {
        v["headers"] = Value::Array(others);
    }
    v
}
