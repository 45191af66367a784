//! Small adapters from the info lines the session collected for one
//! command to the values it needs. The reading itself is
//! [`crate::at::response`]'s; here a line that cannot be read becomes
//! `None` (or is skipped, in lists), never an error that stops the session.

use crate::at::response;

/// SIM state from `+CPIN: <code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SimState {
    Ready,
    NeedsPin,
    Other(String),
}

/// The first line that starts with `prefix` (e.g. `+CSQ`).
fn find<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with(prefix))
}

pub(crate) fn cpin(lines: &[String]) -> Option<SimState> {
    let v = find(lines, "+CPIN:")?["+CPIN:".len()..]
        .trim()
        .trim_matches('"');
    Some(match v {
        "READY" => SimState::Ready,
        "SIM PIN" => SimState::NeedsPin,
        other => SimState::Other(other.to_string()),
    })
}

/// The value of an identity query (`AT+CGSN`, `AT+CCID`, ...).
pub(crate) fn identity(lines: &[String]) -> Option<String> {
    response::identity(lines).ok()
}

/// `+CSQ` → dBm (`Some(None)`: the modem does not know).
pub(crate) fn csq_dbm(lines: &[String]) -> Option<Option<i32>> {
    let csq = response::csq(find(lines, "+CSQ")?).ok()?;
    Some(csq.dbm().map(i32::from))
}

/// `<stat>` of `+CREG`/`+CGREG`/`+CEREG`.
pub(crate) fn creg_stat(lines: &[String]) -> Option<u8> {
    let line = lines.iter().find_map(|l| response::creg(l).ok())?;
    Some(line.stat)
}

/// The operator of `+COPS?` (`Some(None)`: not registered).
pub(crate) fn cops_operator(lines: &[String]) -> Option<Option<String>> {
    let cops = response::cops(find(lines, "+COPS")?).ok()?;
    Some(cops.operator.filter(|o| !o.is_empty()))
}

/// The memories of `AT+CPMS=?` valid for every role it lists.
pub(crate) fn cpms_test(lines: &[String]) -> Vec<String> {
    let Some(s) = find(lines, "+CPMS").and_then(|l| response::cpms_test(l).ok()) else {
        return Vec::new();
    };
    let roles: Vec<&Vec<String>> = [&s.read, &s.write, &s.receive]
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    s.read
        .iter()
        .filter(|m| roles.iter().all(|r| r.contains(m)))
        .cloned()
        .collect()
}

/// The memories `AT+CPMS=?` allows for reading.
pub(crate) fn cpms_readable(lines: &[String]) -> Vec<String> {
    find(lines, "+CPMS")
        .and_then(|l| response::cpms_test(l).ok())
        .map(|s| s.read)
        .unwrap_or_default()
}

/// The values `AT+CNMI=?` allows, per parameter (empty: unconstrained).
pub(crate) fn cnmi_test(lines: &[String]) -> Option<Vec<Vec<u8>>> {
    let s = response::cnmi_test(find(lines, "+CNMI")?).ok()?;
    Some(
        [s.mode, s.mt, s.bm, s.ds, s.bfr]
            .iter()
            .map(|v| v.values())
            .collect(),
    )
}

/// The SMSC of `+CSCA?`.
pub(crate) fn csca(lines: &[String]) -> Option<String> {
    Some(response::csca(find(lines, "+CSCA")?).ok()?.number)
}

/// The message reference of `+CMGS`.
pub(crate) fn cmgs_mr(lines: &[String]) -> Option<u8> {
    response::cmgs(find(lines, "+CMGS")?).ok()
}

/// The PDU of an `AT+CMGR` answer.
pub(crate) fn cmgr(lines: &[String]) -> Option<Vec<u8>> {
    Some(response::cmgr(lines).ok()??.pdu)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub index: i32,
    pub pdu: Vec<u8>,
}

/// The entries of an `AT+CMGL` answer. Each entry is read on its own, so
/// one unreadable entry does not hide the others (they are all kept on the
/// modem until committed anyway).
pub(crate) fn cmgl(lines: &[String]) -> Vec<Listed> {
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with("+CMGL"))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        match response::cmgl(&lines[start..end]) {
            Ok(entries) => out.extend(entries.into_iter().filter_map(|e| {
                Some(Listed {
                    index: i32::try_from(e.index).ok()?,
                    pdu: e.pdu,
                })
            })),
            Err(e) => {
                tracing::warn!(line = %lines[start].trim(), error = %e, "unreadable +CMGL entry skipped")
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn cnmi_ranges_with_and_without_spaces_are_read() {
        let r = cnmi_test(&l(&["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"])).unwrap();
        assert_eq!(r[1], vec![0, 1, 2, 3]);
        assert_eq!(r[2], vec![0, 2]);
        let r = cnmi_test(&l(&["+CNMI:(2),(0-1,3),(0,2),(0-1),(0)"])).unwrap();
        assert_eq!(r[0], vec![2]);
        assert_eq!(r[1], vec![0, 1, 3]);
        assert_eq!(r[4], vec![0]);
    }

    #[test]
    fn cpms_test_keeps_memories_valid_for_every_role() {
        let m = cpms_test(&l(&[r#"+CPMS: ("SM","ME"),("SM","ME"),("SM")"#]));
        assert_eq!(m, vec!["SM".to_string()]);
        assert!(cpms_test(&l(&["+CPMS: (),(),()"])).is_empty());
    }

    #[test]
    fn cmgl_pairs_headers_with_pdu_lines() {
        let e = cmgl(&l(&["+CMGL: 0,1,,3", "0011AA", "+CMGL: 4,0,,2", "BEEF"]));
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].index, 4);
        assert_eq!(e[1].pdu, vec![0xBE, 0xEF]);
        // A broken entry does not hide the next one.
        let e = cmgl(&l(&["+CMGL: 0,1,,3", "XYZ", "+CMGL: 4,0,,2", "BEEF"]));
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), vec![4]);
    }

    #[test]
    fn csq_99_is_unknown_and_others_map_to_dbm() {
        assert_eq!(csq_dbm(&l(&["+CSQ: 21,99"])), Some(Some(-71)));
        assert_eq!(csq_dbm(&l(&["+CSQ: 99,99"])), Some(None));
    }

    #[test]
    fn identity_strips_prefixes_and_quotes() {
        assert_eq!(identity(&l(&["+CCID: \"8944\""])), Some("8944".into()));
        assert_eq!(identity(&l(&["867"])), Some("867".into()));
    }
}
