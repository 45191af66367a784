//! Architecture invariants from ARCHITECTURE.md, checked by reading `src/`.
//!
//! Each external crate is imported by exactly one module, topic strings live
//! only in `api`, and the sans-IO modules do no I/O and read no clock.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).expect("source is UTF-8");
            (rel, text)
        })
        .collect()
}

/// Lines that are code, not comments.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

fn violations(needle: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in sources() {
        if allowed.iter().any(|a| file.starts_with(a)) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if line.contains(needle) {
                found.push(format!("src/{file}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn each_external_crate_is_imported_by_exactly_one_module() {
    let rules: &[(&str, &[&str])] = &[
        ("rusqlite", &["store/"]),
        ("rmqtt", &["broker/"]),
        ("tokio_serial", &["modem/runner"]),
        ("sd_notify", &["daemon/"]),
    ];
    let mut all = Vec::new();
    for (krate, allowed) in rules {
        all.extend(violations(&format!("{krate}::"), allowed));
    }
    assert!(
        all.is_empty(),
        "imports outside their module:\n{}",
        all.join("\n")
    );
}

#[test]
fn sans_io_modules_do_no_io_and_read_no_clock() {
    let forbidden = [
        "tokio::",
        "std::fs",
        "std::net",
        "Instant::now",
        "SystemTime::now",
        "Utc::now",
        "Local::now",
        "std::thread",
    ];
    let sans_io = ["at/", "pdu/", "mms/", "modem/session"];
    let mut found = Vec::new();
    for (file, text) in sources() {
        if !sans_io.iter().any(|m| file.starts_with(m)) {
            continue;
        }
        // Test modules may use whatever they like.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code_lines(text) {
            for f in forbidden {
                if line.contains(f) {
                    found.push(format!("src/{file}:{n}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O or clock in sans-IO code:\n{}",
        found.join("\n")
    );
}

#[test]
fn topic_strings_appear_only_in_api() {
    let mut found = Vec::new();
    for needle in [
        "\"gsmq/",
        "/sms/send\"",
        "/reply\"",
        "/sms/status\"",
        "inbox/sms\"",
    ] {
        found.extend(violations(needle, &["api/"]));
    }
    assert!(
        found.is_empty(),
        "topic strings outside api:\n{}",
        found.join("\n")
    );
}
