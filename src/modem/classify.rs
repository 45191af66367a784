//! Classification of modem errors into retry classes (MODEM-SPEC §3.3).
//! Pure functions; the store maps [`FailClass`] onto its own error classes.

use super::at;

/// What the outbox should do with a part whose submission failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailClass {
    /// Retry later (with backoff), on this or another modem.
    Transient,
    /// The recipient or the message itself is refused; never retry.
    PermanentRecipient,
    /// This SIM cannot send (barred, no SMS plan, SMSC unset): retry on another modem.
    PermanentSim,
    /// Retry after the modem is re-initialised.
    Reinit,
}

/// Classifies a `+CMS ERROR: <code>` (3GPP TS 27.005 §3.2.5 and the field
/// reports collected in MODEM-SPEC §3.3).
pub fn cms(code: u16) -> FailClass {
    use FailClass::*;
    match code {
        1 | 8 | 10 | 21 | 27..=30 => PermanentRecipient,
        38 | 41 | 42 | 47 => Transient,
        50 | 69 => PermanentSim,
        96 => PermanentRecipient,
        111 => Transient,
        300..=302 => Reinit,
        304 | 305 => PermanentRecipient,
        314 => Transient,
        310..=318 => PermanentSim,
        320 => Reinit,
        321 | 322 => Transient,
        330 => PermanentSim,
        331 | 332 => Transient,
        340 => Transient,
        500 => Transient,
        512..=517 => Transient,
        _ => Transient,
    }
}

/// Classifies a `+CME ERROR: <code>` (3GPP TS 27.007 §9.2).
pub fn cme(code: u16) -> FailClass {
    use FailClass::*;
    match code {
        // SIM not inserted, PIN/PUK required, SIM failure, wrong SIM.
        10..=13 | 15..=18 => PermanentSim,
        // SIM busy, no network, network timeout, "init in progress".
        14 | 30 | 31 | 515 => Transient,
        // Phone failure / operation not allowed or supported.
        0 | 3 | 4 => Reinit,
        _ => Transient,
    }
}

/// Classifies a final result code that ended a send command in error.
pub fn final_result(f: &at::Final) -> FailClass {
    match f {
        at::Final::Ok => FailClass::Transient,
        at::Final::Error | at::Final::Vendor(_) => FailClass::Transient,
        at::Final::Cms(e) => match cms_code(e) {
            Some(c) => cms(c),
            None => FailClass::Transient,
        },
        at::Final::Cme(e) => match cme_code(e) {
            Some(c) => cme(c),
            None => FailClass::Transient,
        },
    }
}

/// The numeric code of a `+CMS ERROR`, if it had one.
pub fn cms_code(e: &at::CmsError) -> Option<u16> {
    e.code()
}

/// The numeric code of a `+CME ERROR`, if it had one.
pub fn cme_code(e: &at::CmeError) -> Option<u16> {
    e.code()
}

/// A short human-readable form of a final result, for failure reasons.
pub fn describe(f: &at::Final) -> String {
    match f {
        at::Final::Ok => "OK".into(),
        at::Final::Error => "ERROR".into(),
        at::Final::Vendor(s) => s.clone(),
        at::Final::Cms(e) => match e {
            at::CmsError::Code(c) => format!("+CMS ERROR: {c}"),
            at::CmsError::Text(t) => format!("+CMS ERROR: {t}"),
        },
        at::Final::Cme(e) => match e {
            at::CmeError::Code(c) => format!("+CME ERROR: {c}"),
            at::CmeError::Text(t) => format!("+CME ERROR: {t}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_table_classes_hold() {
        assert_eq!(cms(304), FailClass::PermanentRecipient);
        assert_eq!(cms(500), FailClass::Transient);
        assert_eq!(cms(512), FailClass::Transient);
        assert_eq!(cms(50), FailClass::PermanentSim);
        assert_eq!(cms(330), FailClass::PermanentSim);
        assert_eq!(cms(302), FailClass::Reinit);
        assert_eq!(cms(314), FailClass::Transient);
        assert_eq!(cms(28), FailClass::PermanentRecipient);
        assert_eq!(cme(10), FailClass::PermanentSim);
        assert_eq!(cme(14), FailClass::Transient);
    }
}
