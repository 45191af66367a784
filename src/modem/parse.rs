//! Small adapters from AT information lines to the values the session
//! needs. Each takes the info lines collected for one command and never
//! panics on malformed input: anything it cannot read becomes `None`.

/// SIM state from `+CPIN: <code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SimState {
    Ready,
    NeedsPin,
    Other(String),
}

fn find<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .map(str::trim)
}

/// Splits a comma list, keeping quoted commas together.
fn fields(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '(' if !quoted => {
                depth += 1;
                cur.push(c);
            }
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' if !quoted && depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

pub(crate) fn cpin(lines: &[String]) -> Option<SimState> {
    let v = unquote(find(lines, "+CPIN:")?);
    Some(match v {
        "READY" => SimState::Ready,
        "SIM PIN" => SimState::NeedsPin,
        other => SimState::Other(other.to_string()),
    })
}

/// The first non-empty info line with an optional `+XXX:` prefix removed
/// (identity queries: `AT+CGSN`, `AT+CCID`, ...).
pub(crate) fn identity(lines: &[String]) -> Option<String> {
    let l = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty())?;
    let v = match l.split_once(':') {
        Some((p, rest)) if p.starts_with('+') || p.starts_with('^') => rest.trim(),
        _ => l,
    };
    let v = unquote(v).trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// `+CSQ: <rssi>,<ber>` → dBm (27.007: -113 + 2·rssi; 99 = unknown).
pub(crate) fn csq_dbm(lines: &[String]) -> Option<Option<i32>> {
    let f = fields(find(lines, "+CSQ:")?);
    let rssi: i32 = f.first()?.parse().ok()?;
    Some(match rssi {
        0..=31 => Some(-113 + 2 * rssi),
        _ => None,
    })
}

/// `+CREG: <n>,<stat>[,...]` → stat.
pub(crate) fn creg_stat(lines: &[String]) -> Option<u8> {
    let f = fields(find(lines, "+CREG:")?);
    f.get(1).or(f.first())?.parse().ok()
}

/// `+COPS: <mode>[,<format>,"<oper>"[,<act>]]` → operator name.
pub(crate) fn cops_operator(lines: &[String]) -> Option<Option<String>> {
    let f = fields(find(lines, "+COPS:")?);
    Some(
        f.get(2)
            .map(|o| unquote(o).to_string())
            .filter(|o| !o.is_empty()),
    )
}

/// `+CPMS: ("SM","ME"),(...),(...)` → memories usable for all three roles.
pub(crate) fn cpms_test(lines: &[String]) -> Vec<String> {
    let Some(v) = find(lines, "+CPMS:") else {
        return Vec::new();
    };
    let groups: Vec<Vec<String>> = fields(v)
        .iter()
        .map(|g| {
            fields(g.trim().trim_start_matches('(').trim_end_matches(')'))
                .iter()
                .map(|m| unquote(m).to_string())
                .filter(|m| !m.is_empty())
                .collect()
        })
        .collect();
    let Some(first) = groups.first() else {
        return Vec::new();
    };
    let groups = &groups[..groups.len().min(3)];
    first
        .iter()
        .filter(|m| groups.iter().all(|g| g.contains(m)))
        .cloned()
        .collect()
}

/// `+CPMS: (...)` → the memories allowed for reading (`<mem1>`).
pub(crate) fn cpms_readable(lines: &[String]) -> Vec<String> {
    let Some(v) = find(lines, "+CPMS:") else {
        return Vec::new();
    };
    let groups = fields(v);
    let Some(first) = groups.first() else {
        return Vec::new();
    };
    fields(first.trim().trim_start_matches('(').trim_end_matches(')'))
        .iter()
        .map(|m| unquote(m).to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

/// `+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)` → the allowed values per field.
pub(crate) fn cnmi_test(lines: &[String]) -> Option<Vec<Vec<u8>>> {
    let v = find(lines, "+CNMI:")?;
    let mut out = Vec::new();
    for g in fields(v) {
        let inner = g.trim().trim_start_matches('(').trim_end_matches(')');
        let mut allowed = Vec::new();
        for item in inner.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            match item.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u8, u8) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                    allowed.extend(a..=b.min(9));
                }
                None => allowed.push(item.parse().ok()?),
            }
        }
        out.push(allowed);
    }
    Some(out)
}

/// `+CSCA: "<number>",<type>` → the number (empty when unset).
pub(crate) fn csca(lines: &[String]) -> Option<String> {
    let f = fields(find(lines, "+CSCA:")?);
    Some(unquote(f.first()?).to_string())
}

/// `+CMGS: <mr>[,...]` → message reference.
pub(crate) fn cmgs_mr(lines: &[String]) -> Option<u8> {
    let f = fields(find(lines, "+CMGS:")?);
    let mr: u32 = f.first()?.parse().ok()?;
    Some((mr % 256) as u8)
}

/// Parses a hex PDU line (possibly following the header on the same line).
fn hex_pdu(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || s.len() % 2 != 0 {
        return None;
    }
    hex::decode(s).ok()
}

/// `+CMGR: <stat>,[<alpha>],<len>` + PDU line → PDU bytes (with SMSC).
pub(crate) fn cmgr(lines: &[String]) -> Option<Vec<u8>> {
    let pos = lines.iter().position(|l| l.trim().starts_with("+CMGR:"))?;
    let header = lines[pos].trim();
    // Some modems put the PDU on the header line after a space.
    if let Some((_, tail)) = header.rsplit_once(' ') {
        if tail.len() > 20 {
            if let Some(p) = hex_pdu(tail) {
                return Some(p);
            }
        }
    }
    lines[pos + 1..].iter().find_map(|l| hex_pdu(l))
}

/// One `+CMGL` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub index: i32,
    pub pdu: Vec<u8>,
}

/// `+CMGL: <index>,<stat>,[<alpha>],<len>` followed by a PDU line, repeated.
pub(crate) fn cmgl(lines: &[String]) -> Vec<Listed> {
    let mut out = Vec::new();
    let mut index: Option<i32> = None;
    for l in lines {
        let l = l.trim();
        if let Some(h) = l.strip_prefix("+CMGL:") {
            index = fields(h).first().and_then(|i| i.parse().ok());
        } else if let Some(i) = index.take() {
            if let Some(pdu) = hex_pdu(l) {
                out.push(Listed { index: i, pdu });
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
