//! Opening the database: path resolution, pragmas, integrity check,
//! migration, and quarantine of a corrupt file.
//!
//! Guarantees: a corrupt file (and its `-wal`/`-shm`) is renamed to
//! `<name>.corrupt-<unix-ms>`, never deleted or overwritten, and reported
//! at error level; if it cannot be moved, opening fails. A full disk or an
//! unreadable directory is not corruption and is returned as an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::config::StorageConfig;

use super::{schema, Error, Result};

/// File name used when `storage.path` is a directory.
pub const FILE_NAME: &str = "gsmq.sqlite3";

/// A corrupt database that was moved aside at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    pub original: PathBuf,
    pub moved_to: PathBuf,
    pub cause: String,
}

pub(crate) struct Opened {
    pub path: PathBuf,
    pub writer: Connection,
    pub reader: Connection,
    pub quarantine: Option<Quarantine>,
}

/// Where the database file lives for `cfg.path`: an existing directory,
/// or a path without an extension, gets [`FILE_NAME`] inside.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if path.is_dir() || (!path.exists() && path.extension().is_none()) {
        path.join(FILE_NAME)
    } else {
        path.to_owned()
    }
}

pub(crate) fn open(cfg: &StorageConfig) -> Result<Opened> {
    let path = resolve(&cfg.path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            path: dir.to_owned(),
            detail: e.to_string(),
        })?;
    }
    let mut quarantine = None;
    let writer = match open_writer(&path, cfg) {
        Ok(conn) => conn,
        Err(Error::Corrupt { detail }) => {
            let moved_to = quarantine_file(&path, &detail)?;
            tracing::error!(
                path = %path.display(),
                moved_to = %moved_to.display(),
                cause = %detail,
                "DATABASE CORRUPT: moved aside, starting with an empty database"
            );
            quarantine = Some(Quarantine {
                original: path.clone(),
                moved_to,
                cause: detail,
            });
            open_writer(&path, cfg)?
        }
        Err(e) => return Err(e),
    };
    let reader = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    reader.busy_timeout(Duration::from_secs(5))?;
    Ok(Opened {
        path,
        writer,
        reader,
        quarantine,
    })
}

/// Prepared statements kept per connection: more than the store uses.
const STATEMENT_CACHE: usize = 128;
/// The writer's page cache, as SQLite's negative KiB count.
const WRITER_CACHE_KIB: i64 = -8192;

fn open_writer(path: &Path, cfg: &StorageConfig) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Reading the header is where a non-database file shows up.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Unavailable {
            reason: format!("cannot enable WAL journal (got {mode})"),
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Savepoint journals (one per request in a batch) stay in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // A batch's dirty pages stay in memory until its commit (the default
    // 2 MiB cache spills them to the WAL early, mid-transaction).
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    // Every hot statement is prepared once (the default cache holds 16).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    integrity_check(&conn)?;
    schema::migrate(&mut conn)?;
    set_max_size(&conn, cfg.max_size_mb)?;
    Ok(conn)
}

/// `PRAGMA quick_check`: O(file size), catches damaged pages and indexes
/// at start-up instead of in the middle of a send.
fn integrity_check(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(Error::Corrupt {
            detail: format!("quick_check: {}", rows.join("; ")),
        })
    }
}

/// Applies `storage.max_size_mb` as `max_page_count` (0 = no cap).
pub(crate) fn set_max_size(conn: &Connection, max_size_mb: u64) -> Result<()> {
    let page_size: u64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let pages = if max_size_mb == 0 {
        u32::MAX as u64 - 1
    } else {
        (max_size_mb * 1024 * 1024 / page_size.max(512)).max(1)
    };
    let _: u64 = conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
        r.get(0)
    })?;
    Ok(())
}

/// Renames the corrupt file and its WAL/SHM companions out of the way.
fn quarantine_file(path: &Path, cause: &str) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let with_suffix = |p: &Path, suffix: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    let moved_to = with_suffix(path, &format!(".corrupt-{stamp}"));
    let fail = |e: std::io::Error| Error::Quarantine {
        path: path.to_owned(),
        cause: cause.to_owned(),
        detail: e.to_string(),
    };
    std::fs::rename(path, &moved_to).map_err(fail)?;
    for companion in ["-wal", "-shm"] {
        let from = with_suffix(path, companion);
        if from.exists() {
            std::fs::rename(&from, with_suffix(&moved_to, companion)).map_err(fail)?;
        }
    }
    Ok(moved_to)
}
