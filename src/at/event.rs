//! What the digester emits: [`Event`]s, and the typed final result codes
//! ([`Final`], [`CmeError`], [`CmsError`]) of 3GPP TS 27.007 §9.2 and
//! TS 27.005 §3.2.5 plus the vendor finals seen in the field (MODEM-SPEC §1.2).

use serde::Serialize;

use super::grammar::starts_with_ci;
use super::urc::Urc;

/// One thing the modem said, in stream order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The modem echoed a command line (echo on), or, inside the SMS prompt,
    /// the PDU characters the host typed. A repeated prompt within the same
    /// command (the modem re-prompts for every CR typed in the prompt) is
    /// reported as `Echo(">")` so the host sees exactly one [`Event::Prompt`].
    Echo(String),
    /// An information line belonging to the pending command. For
    /// `+CMGR`/`+CMGL` the PDU line after each header is its own `Info`.
    Info(String),
    /// The final result code ending the pending command.
    Final(Final),
    /// The SMS text prompt (`\r\n> `, `> ` or `\r\n>`): send the PDU now.
    Prompt,
    /// An unsolicited result code.
    Urc(Urc),
    /// Bytes that form no valid line (binary noise, over-long lines);
    /// skipped and counted, never fatal.
    Garbage { len: usize },
}

/// A final result code: it ends one command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Final {
    Ok,
    Error,
    Cme(CmeError),
    Cms(CmsError),
    /// A vendor final: Huawei `COMMAND NOT SUPPORT`, Motorola `MODEM ERROR: n`,
    /// or a call final (`NO CARRIER`, `BUSY`, …) ending a dial command.
    Vendor(String),
}

impl Final {
    /// True for `OK` only.
    pub fn is_ok(&self) -> bool {
        matches!(self, Final::Ok)
    }

    /// Recognises a final result line; `dialing` admits the call finals
    /// (`NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`).
    pub(crate) fn parse(line: &str, dialing: bool) -> Option<Final> {
        let b = line.as_bytes();
        match b.first()?.to_ascii_uppercase() {
            b'O' if line.eq_ignore_ascii_case("OK") => Some(Final::Ok),
            b'E' if line.eq_ignore_ascii_case("ERROR") => Some(Final::Error),
            b'+' if starts_with_ci(line, "+CME ERROR:") => {
                Some(Final::Cme(CmeError::from_text(line[11..].trim())))
            }
            b'+' if starts_with_ci(line, "+CMS ERROR:") => {
                Some(Final::Cms(CmsError::from_text(line[11..].trim())))
            }
            b'C' if line.eq_ignore_ascii_case("COMMAND NOT SUPPORT") => {
                Some(Final::Vendor(line.to_string()))
            }
            b'M' if starts_with_ci(line, "MODEM ERROR:") => Some(Final::Vendor(line.to_string())),
            b'N' | b'B'
                if dialing
                    && ["NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"]
                        .iter()
                        .any(|w| line.eq_ignore_ascii_case(w)) =>
            {
                Some(Final::Vendor(line.to_string()))
            }
            _ => None,
        }
    }
}

macro_rules! coded_error {
    ($(#[$doc:meta])* $name:ident, $table:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            /// Numeric form (`AT+CMEE=1`).
            Code(u16),
            /// Verbose form (`AT+CMEE=2`), as the modem spelled it.
            Text(String),
        }

        impl $name {
            fn from_text(s: &str) -> Self {
                match s.parse::<u16>() {
                    Ok(n) => $name::Code(n),
                    Err(_) => $name::Text(s.to_string()),
                }
            }

            /// The numeric code; verbose forms are mapped through the
            /// standard table (case-insensitive), unknown texts give `None`.
            pub fn code(&self) -> Option<u16> {
                match self {
                    $name::Code(n) => Some(*n),
                    $name::Text(t) => $table
                        .iter()
                        .find(|(_, s)| s.eq_ignore_ascii_case(t))
                        .map(|(n, _)| *n),
                }
            }
        }
    };
}

coded_error!(
    /// `+CME ERROR: <n|text>` (3GPP TS 27.007 §9.2).
    CmeError,
    CME_TEXTS
);
coded_error!(
    /// `+CMS ERROR: <n|text>` (3GPP TS 27.005 §3.2.5).
    CmsError,
    CMS_TEXTS
);

const CME_TEXTS: &[(u16, &str)] = &[
    (0, "phone failure"),
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (15, "SIM wrong"),
    (16, "incorrect password"),
    (20, "memory full"),
    (21, "invalid index"),
    (22, "not found"),
    (23, "memory failure"),
    (30, "no network service"),
    (31, "network timeout"),
    (32, "network not allowed - emergency calls only"),
    (100, "unknown"),
];

const CMS_TEXTS: &[(u16, &str)] = &[
    (300, "ME failure"),
    (301, "SMS service of ME reserved"),
    (302, "operation not allowed"),
    (303, "operation not supported"),
    (304, "invalid PDU mode parameter"),
    (305, "invalid text mode parameter"),
    (310, "SIM not inserted"),
    (311, "SIM PIN required"),
    (312, "PH-SIM PIN required"),
    (313, "SIM failure"),
    (314, "SIM busy"),
    (315, "SIM wrong"),
    (316, "SIM PUK required"),
    (320, "memory failure"),
    (321, "invalid memory index"),
    (322, "memory full"),
    (330, "SMSC address unknown"),
    (331, "no network service"),
    (332, "network timeout"),
    (340, "no +CNMA acknowledgement expected"),
    (500, "unknown error"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_final_form_is_recognised() {
        let table: &[(&str, Option<Final>)] = &[
            ("OK", Some(Final::Ok)),
            ("ok", Some(Final::Ok)),
            ("ERROR", Some(Final::Error)),
            ("+CME ERROR: 10", Some(Final::Cme(CmeError::Code(10)))),
            ("+CME ERROR:14", Some(Final::Cme(CmeError::Code(14)))),
            (
                "+CME ERROR: SIM busy",
                Some(Final::Cme(CmeError::Text("SIM busy".into()))),
            ),
            ("+CMS ERROR: 500", Some(Final::Cms(CmsError::Code(500)))),
            (
                "+CMS ERROR: memory full",
                Some(Final::Cms(CmsError::Text("memory full".into()))),
            ),
            (
                "COMMAND NOT SUPPORT",
                Some(Final::Vendor("COMMAND NOT SUPPORT".into())),
            ),
            (
                "MODEM ERROR: 3",
                Some(Final::Vendor("MODEM ERROR: 3".into())),
            ),
            ("NO CARRIER", None),
            ("OKAY", None),
            ("+CMTI: \"SM\",1", None),
        ];
        for (line, want) in table {
            assert_eq!(&Final::parse(line, false), want, "{line}");
        }
        assert_eq!(
            Final::parse("NO CARRIER", true),
            Some(Final::Vendor("NO CARRIER".into()))
        );
    }

    #[test]
    fn verbose_errors_map_to_their_numeric_codes() {
        assert_eq!(CmeError::Text("sim busy".into()).code(), Some(14));
        assert_eq!(CmsError::Text("SIM busy".into()).code(), Some(314));
        assert_eq!(CmsError::Code(512).code(), Some(512));
        assert_eq!(CmeError::Text("weird".into()).code(), None);
    }
}
