//! `gsmq pdu decode` and `gsmq pdu encode`: offline SMS PDU tools. Decode
//! prints every field as JSON; encode prints the PDUs with their
//! `AT+CMGS` lengths. The JSON is built here, so `crate::pdu` stays free
//! of serialisation concerns.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::pdu::{
    self, Address, Concat, Dcs, Decoded, DeliverOptions, Encoding, EncodingChoice,
    InformationElement, NationalLanguage, SubmitOptions, Tpdu, UserData, Validity,
};

#[derive(Debug, Subcommand)]
pub enum PduCommand {
    /// Decode a hex PDU (as `+CMGR`/`+CMGL`/`+CMT`/`+CDS` print it) to JSON.
    Decode {
        /// The PDU in hex.
        hex: String,
        /// The PDU has no leading SMSC address (a bare TPDU).
        #[arg(long)]
        no_smsc: bool,
    },
    /// Encode a text as SMS-SUBMIT PDUs (or SMS-DELIVER with --from).
    Encode(EncodeArgs),
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Recipient: `+49…`, digits, or (for SMS-DELIVER) ignored.
    #[arg(long, required_unless_present = "from")]
    pub to: Option<String>,
    /// The message text.
    #[arg(long)]
    pub text: String,
    /// auto | gsm7 | ucs2.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Class 0 ("flash") message.
    #[arg(long)]
    pub flash: bool,
    /// Request a status report.
    #[arg(long)]
    pub report: bool,
    /// Relative validity period: seconds or a number with s/m/h/d/w.
    #[arg(long)]
    pub validity: Option<String>,
    /// Concatenation reference (above 255 uses the 16-bit element).
    #[arg(long, default_value_t = 0)]
    pub reference: u16,
    /// Allowed national shift tables, comma-separated (`tr,es,pt,hi`…).
    #[arg(long, value_delimiter = ',')]
    pub national: Vec<String>,
    /// Encode SMS-DELIVER PDUs from this sender instead (simulator use).
    #[arg(long)]
    pub from: Option<String>,
    /// SMS-DELIVER timestamp (RFC 3339), with --from.
    #[arg(long, default_value = "2000-01-01T00:00:00+00:00")]
    pub timestamp: String,
}

pub fn run(command: PduCommand) -> anyhow::Result<ExitCode> {
    let out = match command {
        PduCommand::Decode { hex, no_smsc } => match decode_json(&hex, !no_smsc) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("gsmq: cannot decode PDU: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        PduCommand::Encode(args) => encode_json(&args)?,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn address(a: &Address) -> Value {
    json!({
        "number": a.to_string(),
        "type": a.ton.as_str(),
        "npi": a.npi,
    })
}

fn dcs(d: Dcs) -> Value {
    json!({
        "raw": d.raw(),
        "group": d.group().as_str(),
        "alphabet": d.alphabet().as_str(),
        "class": d.class().map(|c| c.number()),
        "flash": d.is_flash(),
        "compressed": d.compressed(),
        "auto_delete": d.auto_delete(),
        "message_waiting": d.message_waiting().map(|m| json!({
            "kind": m.kind.as_str(),
            "active": m.active,
            "store": m.store,
        })),
    })
}

fn validity(v: &Validity) -> Value {
    let mut m = Map::new();
    m.insert("format".into(), v.format_str().into());
    match v {
        Validity::Relative(code) => {
            m.insert("code".into(), (*code).into());
        }
        Validity::Absolute(t) => {
            m.insert("expires".into(), rfc3339(t).into());
        }
        Validity::Enhanced(raw) => {
            m.insert("raw".into(), hex::encode_upper(raw).into());
            m.insert("single_shot".into(), v.single_shot().into());
        }
    }
    m.insert("seconds".into(), v.duration().map(|d| d.as_secs()).into());
    Value::Object(m)
}

fn concat(c: &Option<Concat>) -> Value {
    match c {
        Some(c) => json!({ "reference": c.reference, "total": c.total, "sequence": c.sequence }),
        None => Value::Null,
    }
}

fn user_data(m: &mut Map<String, Value>, ud: &UserData) {
    m.insert("encoding".into(), ud.encoding.as_str().into());
    if let Encoding::Gsm7National { locking, single } = ud.encoding {
        m.insert(
            "national".into(),
            json!({
                "locking": locking.map(NationalLanguage::as_str),
                "single": single.map(NationalLanguage::as_str),
            }),
        );
    }
    m.insert("concat".into(), concat(&ud.concat));
    m.insert(
        "ports".into(),
        ud.ports.map_or(
            Value::Null,
            |(d, s)| json!({ "destination": d, "originator": s }),
        ),
    );
    let header: Vec<Value> = ud
        .header
        .iter()
        .map(|InformationElement { id, data }| json!({ "id": id, "data": hex::encode_upper(data) }))
        .collect();
    m.insert("header_elements".into(), header.into());
    if ud.encoding == Encoding::Data8 {
        m.insert("data".into(), hex::encode_upper(&ud.data).into());
    } else {
        m.insert("text".into(), ud.text.clone().into());
    }
}

/// Every decoded field of `hex` as a JSON object.
pub fn decode_json(hex: &str, with_smsc: bool) -> pdu::Result<Value> {
    let Decoded { smsc, tpdu } = pdu::decode_hex(hex, with_smsc)?;
    let mut m = Map::new();
    m.insert("type".into(), tpdu.kind().into());
    m.insert("smsc".into(), smsc.as_ref().map_or(Value::Null, address));
    match &tpdu {
        Tpdu::Deliver(d) => {
            m.insert("sender".into(), address(&d.originator));
            m.insert("timestamp".into(), rfc3339(&d.scts).into());
            m.insert("pid".into(), d.pid.into());
            m.insert("dcs".into(), dcs(d.dcs));
            m.insert("more_messages".into(), d.more_messages.into());
            m.insert("loop_prevention".into(), d.loop_prevention.into());
            m.insert(
                "status_report_indication".into(),
                d.status_report_indication.into(),
            );
            m.insert("reply_path".into(), d.reply_path.into());
            let ud = UserData {
                encoding: d.encoding,
                text: d.text.clone(),
                data: d.data.clone(),
                concat: d.concat,
                ports: d.ports,
                header: d.header.clone(),
            };
            user_data(&mut m, &ud);
        }
        Tpdu::Submit(s) => {
            m.insert("message_reference".into(), s.message_reference.into());
            m.insert("recipient".into(), address(&s.destination));
            m.insert("pid".into(), s.pid.into());
            m.insert("dcs".into(), dcs(s.dcs));
            m.insert(
                "validity".into(),
                s.validity.as_ref().map_or(Value::Null, validity),
            );
            m.insert(
                "status_report_request".into(),
                s.status_report_request.into(),
            );
            m.insert("reject_duplicates".into(), s.reject_duplicates.into());
            m.insert("reply_path".into(), s.reply_path.into());
            let ud = UserData {
                encoding: s.encoding,
                text: s.text.clone(),
                data: s.data.clone(),
                concat: s.concat,
                ports: s.ports,
                header: s.header.clone(),
            };
            user_data(&mut m, &ud);
        }
        Tpdu::StatusReport(r) => {
            m.insert("message_reference".into(), r.message_reference.into());
            m.insert("recipient".into(), address(&r.recipient));
            m.insert("timestamp".into(), rfc3339(&r.scts).into());
            m.insert("discharge".into(), rfc3339(&r.discharge).into());
            m.insert(
                "status".into(),
                json!({
                    "code": r.status,
                    "text": r.status_text(),
                    "final": r.is_final(),
                    "delivered": r.is_delivered(),
                }),
            );
            m.insert("more_messages".into(), r.more_messages.into());
            m.insert("for_command".into(), r.for_command.into());
            m.insert("pid".into(), r.pid.into());
            m.insert("dcs".into(), r.dcs.map_or(Value::Null, dcs));
            if let Some(ud) = &r.user_data {
                user_data(&mut m, ud);
            }
        }
    }
    Ok(Value::Object(m))
}

/// Parses `90`, `90s`, `30m`, `12h`, `2d`, `1w`.
fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .with_context(|| format!("invalid validity period {s:?}"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => bail!("invalid validity unit in {s:?} (use s, m, h, d or w)"),
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

/// The PDUs for `args` as a JSON object.
pub fn encode_json(args: &EncodeArgs) -> anyhow::Result<Value> {
    let encoding = match args.encoding.as_str() {
        "auto" => EncodingChoice::Auto,
        "gsm7" => EncodingChoice::Gsm7,
        "ucs2" => EncodingChoice::Ucs2,
        other => bail!("unknown encoding {other:?} (use auto, gsm7 or ucs2)"),
    };
    let national = args
        .national
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.parse::<NationalLanguage>()
                .with_context(|| format!("--national {s:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let opts = SubmitOptions {
        encoding,
        status_report: args.report,
        flash: args.flash,
        validity: args.validity.as_deref().map(parse_duration).transpose()?,
        reference: args.reference,
        national: national.clone(),
    };
    let plan = pdu::try_plan(&args.text, &opts)?;
    let pdus: Vec<Value> = if let Some(from) = &args.from {
        let timestamp = DateTime::parse_from_rfc3339(&args.timestamp)
            .with_context(|| format!("--timestamp {:?}", args.timestamp))?;
        let dopts = DeliverOptions {
            from: from.clone(),
            timestamp,
            encoding,
            reference: args.reference,
            national,
            flash: args.flash,
            ..Default::default()
        };
        pdu::encode_deliver(&args.text, &dopts)?
            .into_iter()
            .map(|tpdu| {
                json!({
                    "length": tpdu.len(),
                    "pdu": format!("00{}", hex::encode_upper(&tpdu)),
                })
            })
            .collect()
    } else {
        let to = args.to.as_deref().unwrap_or_default();
        pdu::encode_submit(to, &args.text, &opts)?
            .into_iter()
            .map(|p| {
                json!({
                    "length": p.at_length(),
                    "command": format!("AT+CMGS={}", p.at_length()),
                    "pdu": p.at_hex(),
                })
            })
            .collect()
    };
    Ok(json!({
        "encoding": plan.encoding.as_str(),
        "parts": plan.parts,
        "units": plan.units,
        "units_per_part": plan.units_per_part,
        "pdus": pdus,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(to: &str, text: &str) -> EncodeArgs {
        EncodeArgs {
            to: Some(to.into()),
            text: text.into(),
            encoding: "auto".into(),
            flash: false,
            report: false,
            validity: None,
            reference: 0,
            national: vec![],
            from: None,
            timestamp: "2000-01-01T00:00:00+00:00".into(),
        }
    }

    #[test]
    fn decode_prints_every_deliver_field() {
        let v = decode_json(
            "07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034",
            true,
        )
        .unwrap();
        assert_eq!(v["type"], "deliver");
        assert_eq!(v["smsc"]["number"], "+27841004003");
        assert_eq!(v["sender"]["number"], "+27748577604");
        assert_eq!(v["sender"]["type"], "international");
        assert_eq!(v["timestamp"], "2013-01-28T14:51:42+02:00");
        assert_eq!(v["dcs"]["alphabet"], "gsm7");
        assert_eq!(v["dcs"]["class"], Value::Null);
        assert_eq!(v["text"], "Hello raspberry pi");
        assert_eq!(v["encoding"], "gsm7");
    }

    #[test]
    fn decode_prints_a_status_report_with_its_status() {
        let v = decode_json("06B70AA18092020000317071518590803170715185418000", false).unwrap();
        assert_eq!(v["type"], "status_report");
        assert_eq!(v["message_reference"], 183);
        assert_eq!(v["recipient"]["type"], "national");
        assert_eq!(v["discharge"], "2013-07-17T15:58:14+02:00");
        assert_eq!(v["status"]["delivered"], true);
    }

    #[test]
    fn decode_prints_a_submit_with_validity() {
        let v = decode_json("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", true).unwrap();
        assert_eq!(v["type"], "submit");
        assert_eq!(v["validity"]["format"], "relative");
        assert_eq!(v["validity"]["seconds"], 4 * 86400);
        assert_eq!(v["recipient"]["number"], "+46708251358");
    }

    #[test]
    fn encode_prints_the_pdu_and_its_cmgs_length() {
        let mut a = args("+46708251358", "hellohello");
        a.validity = Some("4d".into());
        let v = encode_json(&a).unwrap();
        assert_eq!(v["parts"], 1);
        assert_eq!(v["pdus"][0]["length"], 23);
        assert_eq!(v["pdus"][0]["command"], "AT+CMGS=23");
        assert_eq!(
            v["pdus"][0]["pdu"],
            "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
        );
    }

    #[test]
    fn encode_with_from_builds_deliver_pdus_that_decode() {
        let mut a = args("", "Merhaba ğ");
        a.to = None;
        a.from = Some("+905551112233".into());
        a.national = vec!["tr".into()];
        let v = encode_json(&a).unwrap();
        assert_eq!(v["encoding"], "gsm7_national");
        let hex = v["pdus"][0]["pdu"].as_str().unwrap();
        let d = decode_json(hex, true).unwrap();
        assert_eq!(d["text"], "Merhaba ğ");
        assert_eq!(d["sender"]["number"], "+905551112233");
    }

    #[test]
    fn bad_options_are_reported() {
        let mut a = args("+1", "x");
        a.encoding = "latin1".into();
        assert!(encode_json(&a).is_err());
        let mut a = args("+1", "x");
        a.validity = Some("3y".into());
        assert!(encode_json(&a).is_err());
        let mut a = args("+1", "x");
        a.national = vec!["klingon".into()];
        assert!(encode_json(&a).is_err());
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
    }
}
