//! The daemon's TOML configuration: types, defaults and validation.
//!
//! Guarantees: unknown keys are rejected; every error names the key, the
//! line and what was expected (toml's spans plus our own validation that
//! carries the key path). Passwords only ever appear as argon2 PHC hashes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Errors from loading or validating a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: invalid value for `{key}`{line}: {message}", line = line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        key: String,
        line: Option<usize>,
        message: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub broker: BrokerConfig,
    pub storage: StorageConfig,
    #[serde(default, rename = "user")]
    pub users: Vec<UserConfig>,
    #[serde(default, rename = "modem")]
    pub modems: Vec<ModemConfig>,
    #[serde(default, rename = "device")]
    pub devices: Vec<DeviceConfig>,
    #[serde(default)]
    pub sim: SimConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub api: ApiConfig,
    #[serde(default)]
    pub retry: RetryConfig,
    /// `[mms]`: MMS over MM1; MMS is off when the section is absent.
    #[serde(default)]
    pub mms: Option<MmsConfig>,
}

// ------------------------------------------------------------------- [mms]

/// `[mms]`: MMS over IP (MM1) through the operator's MMSC.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmsConfig {
    /// The MMSC URL m-send-req and m-notifyresp-ind are posted to.
    pub mmsc_url: String,
    /// MMS proxy (`10.0.0.172:80` or `http://10.0.0.172:80`); none = direct.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Directory for received parts above `inline_max_bytes`; default
    /// `mms-spool` next to the database.
    #[serde(default)]
    pub spool: Option<PathBuf>,
    /// Largest MMS accepted for sending (the encoded m-send-req), in bytes.
    #[serde(default = "defaults::mms_max_message_bytes")]
    pub max_message_bytes: usize,
    /// Received parts larger than this are written to the spool directory
    /// and referenced by path and SHA-256 instead of inline.
    #[serde(default = "defaults::mms_inline_max_bytes")]
    pub inline_max_bytes: usize,
    /// Re-post a submission whose outcome is unknown (may duplicate the MMS).
    #[serde(default)]
    pub retry_unknown: bool,
    /// How MMS are sent: over MM1 by the gateway (default) or by the
    /// modems' own MMS clients (vendor AT flows, SIMCom SIM7x00/SIM5320 and
    /// Quectel EC2x only).
    #[serde(default)]
    pub transport: MmsTransport,
    /// MMS APN the modem's MMS client uses (Quectel activates a PDP
    /// context on it); required with `transport = "modem"`.
    #[serde(default)]
    pub apn: Option<String>,
}

/// `[mms] transport`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MmsTransport {
    /// The gateway posts m-send-req to the MMSC over IP (MM1).
    #[default]
    Mm1,
    /// Each modem with a vendor MMS flow sends through its own MMS client.
    Modem,
}

impl MmsConfig {
    /// A configuration with every default and the given MMSC URL.
    pub fn new(mmsc_url: impl Into<String>) -> Self {
        Self {
            mmsc_url: mmsc_url.into(),
            proxy: None,
            spool: None,
            max_message_bytes: defaults::mms_max_message_bytes(),
            inline_max_bytes: defaults::mms_inline_max_bytes(),
            retry_unknown: false,
            transport: MmsTransport::Mm1,
            apn: None,
        }
    }

    /// The modems' MMS client settings (`transport = "modem"`): the proxy
    /// as host and port (port 80 when none is given).
    pub fn modem_client(&self) -> crate::modem::mms_at::MmsAtConfig {
        let proxy = self.proxy.as_deref().map(|p| {
            let p = p.trim_start_matches("http://").trim_end_matches('/');
            match p.rsplit_once(':') {
                Some((host, port)) => match port.parse::<u16>() {
                    Ok(port) => (host.to_string(), port),
                    Err(_) => (p.to_string(), 80),
                },
                None => (p.to_string(), 80),
            }
        });
        crate::modem::mms_at::MmsAtConfig {
            mmsc_url: self.mmsc_url.clone(),
            proxy,
            apn: self.apn.clone().unwrap_or_default(),
            context_id: 1,
        }
    }

    /// The spool directory: `spool`, else `mms-spool` beside the database.
    pub fn spool_dir(&self, storage: &StorageConfig) -> PathBuf {
        if let Some(s) = &self.spool {
            return s.clone();
        }
        let base = if storage.path.extension().is_some() {
            storage
                .path
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        } else {
            storage.path.clone()
        };
        base.join("mms-spool")
    }
}

// ---------------------------------------------------------------- [broker]

/// `[broker]`: the embedded MQTT broker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerConfig {
    /// Plain MQTT listener, e.g. `127.0.0.1:1883`.
    pub listen: SocketAddr,
    /// Optional MQTT over TLS listener.
    #[serde(default)]
    pub tls_listen: Option<SocketAddr>,
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Optional MQTT over WebSocket listener.
    #[serde(default)]
    pub ws_listen: Option<SocketAddr>,
    /// Allow clients without username/password (off by default).
    #[serde(default)]
    pub allow_anonymous: bool,
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    #[serde(default = "defaults::max_packet_size")]
    pub max_packet_size: u32,
    #[serde(default = "defaults::max_inflight")]
    pub max_inflight: u16,
    #[serde(default = "defaults::max_queued_messages")]
    pub max_queued_messages: usize,
    /// How long queued messages of an offline persistent session are kept.
    #[serde(default = "defaults::message_expiry_s")]
    pub message_expiry_s: u64,
}

// --------------------------------------------------------------- [storage]

/// `[storage]`: the SQLite database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory or file path of the database. A directory gets `gsmq.sqlite3`.
    pub path: PathBuf,
    /// Days terminal messages are kept before pruning.
    #[serde(default = "defaults::retention_days")]
    pub retention_days: u32,
    /// Hours an idempotency key is remembered.
    #[serde(default = "defaults::idempotency_window_h")]
    pub idempotency_window_h: u32,
    /// Policy for parts found in `sending` at start-up.
    #[serde(default)]
    pub crash_policy: CrashPolicy,
    /// Seconds to wait for missing parts of an inbound concatenated SMS.
    #[serde(default = "defaults::reassembly_timeout_s")]
    pub reassembly_timeout_s: u64,
    /// Hours after submission a delivery report may still match a sent part
    /// (by modem, message reference and recipient; the most recent wins).
    #[serde(default = "defaults::report_window_h")]
    pub report_window_h: u32,
    /// Upper bound of the database file in MiB, 0 = only the disk's size.
    /// When reached, new requests are refused as `storage_unavailable`.
    #[serde(default)]
    pub max_size_mb: u64,
    /// Requests the writer may have waiting (bounded channel).
    #[serde(default = "defaults::writer_queue")]
    pub writer_queue: usize,
    /// Requests committed together in one transaction at most.
    #[serde(default = "defaults::group_commit_max")]
    pub group_commit_max: usize,
}

impl StorageConfig {
    /// A configuration with every default and the given database path.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            retention_days: defaults::retention_days(),
            idempotency_window_h: defaults::idempotency_window_h(),
            crash_policy: CrashPolicy::default(),
            reassembly_timeout_s: defaults::reassembly_timeout_s(),
            report_window_h: defaults::report_window_h(),
            max_size_mb: 0,
            writer_queue: defaults::writer_queue(),
            group_commit_max: defaults::group_commit_max(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPolicy {
    /// Resend parts that were in flight at the crash (may duplicate those parts).
    #[default]
    AtLeastOnce,
    /// Mark in-flight parts unknown and report them (may lose those parts).
    AtMostOnce,
}

// ----------------------------------------------------------------- [retry]

/// `[retry]`: the outbox retry policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    #[serde(default = "defaults::backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "defaults::backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Delay before a part refused by one SIM (permanent per SIM) is offered
    /// again, so another modem can take it.
    #[serde(default = "defaults::sim_retry_delay_ms")]
    pub sim_retry_delay_ms: u64,
    /// Delay before a part whose modem needs re-initialisation is retried.
    #[serde(default = "defaults::reinit_delay_ms")]
    pub reinit_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: defaults::max_attempts(),
            backoff_base_ms: defaults::backoff_base_ms(),
            backoff_max_ms: defaults::backoff_max_ms(),
            sim_retry_delay_ms: defaults::sim_retry_delay_ms(),
            reinit_delay_ms: defaults::reinit_delay_ms(),
        }
    }
}

// ------------------------------------------------------------------ [user]

/// A permission a user may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Send SMS/MMS on `gsmq/<user>/sms/send`.
    Send,
    /// Receive every inbound message on `gsmq/inbox/#`.
    Inbox,
    /// Run USSD codes.
    Ussd,
    /// Read modem state topics.
    Status,
}

/// `[[user]]`: an MQTT account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    /// argon2 PHC string (`$argon2id$...`), made with `gsmq passwd`.
    pub password_hash: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// Modem names this user may send through (empty = any).
    #[serde(default)]
    pub modems: Vec<String>,
    /// Requests per second (token bucket refill), 0 = unlimited.
    #[serde(default)]
    pub rate_per_s: f64,
    /// Burst size of the token bucket.
    #[serde(default = "defaults::rate_burst")]
    pub rate_burst: u32,
    /// SMS parts per day, 0 = unlimited.
    #[serde(default)]
    pub daily_quota: u32,
}

// ----------------------------------------------------------------- [modem]

/// `[[modem]]`: a GSM/LTE modem.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemConfig {
    pub name: String,
    /// `/dev/ttyUSB2`, `/dev/serial/by-id/...`, or `sim:<personality>` for a
    /// built-in simulated modem. Empty (left out): the modem is found by
    /// `imei` among the ports matching `scan`.
    #[serde(default)]
    pub port: String,
    /// Where to look for a modem configured by `imei` alone (globs).
    #[serde(default = "defaults::scan")]
    pub scan: Vec<String>,
    #[serde(default = "defaults::baud")]
    pub baud: u32,
    #[serde(default)]
    pub pin: Option<String>,
    /// Expected IMEI; when set, the modem is recognised by it, not by path.
    #[serde(default)]
    pub imei: Option<String>,
    /// Free-form tags for routing (`modem = "tag"` in a send request).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Destination prefixes this modem serves (empty = any).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Clients (MQTT users) whose messages this modem carries (empty = any).
    #[serde(default)]
    pub clients: Vec<String>,
    /// Per-SIM limits, 0 = unlimited.
    #[serde(default)]
    pub max_per_minute: u32,
    #[serde(default)]
    pub max_per_day: u32,
    /// Receive with direct `+CMT` routing and `AT+CNMA` instead of `+CMTI`.
    #[serde(default)]
    pub direct_delivery: bool,
    /// Seconds between signal/registration polls.
    #[serde(default = "defaults::health_interval_s")]
    pub health_interval_s: u64,
    /// Seconds the modem may be down before the multipart messages it had
    /// started (none of whose parts went out yet) move to other modems.
    #[serde(default = "defaults::failover_after_s")]
    pub failover_after_s: u64,
    /// Own number of a simulated modem (`sim:` ports only).
    #[serde(default)]
    pub sim_number: Option<String>,
    /// Latency model of a simulated modem (`sim:` ports only): `realistic`
    /// (the default: MODEM-SPEC §8.3 submit latencies and delivery-report
    /// delays), `fast` (no delays; reports after 50 ms) or `fixed:<ms>`.
    #[serde(default)]
    pub sim_timing: Option<String>,
}

// ------------------------------------------------------------------- [sim]

/// `[sim]`: the simulated modems (`port = "sim:<personality>"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Unix socket of the simulator's control plane (JSON lines: inject
    /// inbound SMS, resets, the sent log; see docs/sim.md). Off when unset.
    #[serde(default)]
    pub control_socket: Option<PathBuf>,
}

// ---------------------------------------------------------------- [device]

/// `[[device]]`: a microcontroller on a UART that speaks framed MQTT
/// (firmware-bridge); gsmq bridges it into the embedded broker, where it
/// logs in with its own `[[user]]` credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    pub name: String,
    /// Serial device path, e.g. `/dev/ttyAMA0` or `/dev/serial/by-id/...`.
    pub port: String,
    #[serde(default = "defaults::baud")]
    pub baud: u32,
}

// ------------------------------------------------------------------- [log]

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `gsmq=debug,rmqtt=warn`.
    #[serde(default = "defaults::log_level")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: defaults::log_level(),
        }
    }
}

// ------------------------------------------------------------------- [api]

/// `[api]`: the MQTT topic schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Topic prefix, `gsmq` by default.
    #[serde(default = "defaults::topic_prefix")]
    pub prefix: String,
    /// Maximum SMS parts one request may expand to.
    #[serde(default = "defaults::max_parts")]
    pub max_parts: u32,
    /// Maximum accepted request payload in bytes.
    #[serde(default = "defaults::max_payload_bytes")]
    pub max_payload_bytes: usize,
    /// `[[api.route]]`: inbound SMS routing to `{prefix}/{user}/sms/inbox`.
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteConfig>,
}

/// `[[api.route]]`: copies every inbound SMS that matches all the given
/// criteria to `{prefix}/{user}/sms/inbox` (a route without criteria
/// matches every SMS).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The `[[user]]` that receives the matching messages.
    pub user: String,
    /// First word of the text, compared case-insensitively (`"STOP"`).
    #[serde(default)]
    pub keyword: Option<String>,
    /// Sender number or number prefix (`"+49"` matches every German sender).
    #[serde(default)]
    pub sender: Option<String>,
    /// Name of the receiving modem.
    #[serde(default)]
    pub modem: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            prefix: defaults::topic_prefix(),
            max_parts: defaults::max_parts(),
            max_payload_bytes: defaults::max_payload_bytes(),
            routes: Vec::new(),
        }
    }
}

mod defaults {
    pub fn max_connections() -> usize {
        10_000
    }
    pub fn max_packet_size() -> u32 {
        256 * 1024
    }
    pub fn max_inflight() -> u16 {
        32
    }
    pub fn max_queued_messages() -> usize {
        1_000
    }
    pub fn message_expiry_s() -> u64 {
        7 * 24 * 3600
    }
    pub fn retention_days() -> u32 {
        30
    }
    pub fn idempotency_window_h() -> u32 {
        48
    }
    pub fn reassembly_timeout_s() -> u64 {
        24 * 3600
    }
    pub fn max_attempts() -> u32 {
        8
    }
    pub fn backoff_base_ms() -> u64 {
        2_000
    }
    pub fn backoff_max_ms() -> u64 {
        600_000
    }
    pub fn report_window_h() -> u32 {
        72
    }
    pub fn writer_queue() -> usize {
        4_096
    }
    pub fn group_commit_max() -> usize {
        512
    }
    pub fn sim_retry_delay_ms() -> u64 {
        30_000
    }
    pub fn reinit_delay_ms() -> u64 {
        10_000
    }
    pub fn rate_burst() -> u32 {
        20
    }
    pub fn baud() -> u32 {
        115_200
    }
    pub fn health_interval_s() -> u64 {
        60
    }
    pub fn failover_after_s() -> u64 {
        60
    }
    pub fn scan() -> Vec<String> {
        ["/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*"]
            .map(String::from)
            .to_vec()
    }
    pub fn log_level() -> String {
        "info".into()
    }
    pub fn topic_prefix() -> String {
        "gsmq".into()
    }
    pub fn max_parts() -> u32 {
        10
    }
    pub fn max_payload_bytes() -> usize {
        64 * 1024
    }
    pub fn mms_max_message_bytes() -> usize {
        300 * 1024
    }
    pub fn mms_inline_max_bytes() -> usize {
        64 * 1024
    }
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_owned(),
            message: describe_toml_error(text, &e),
        })?;
        config.validate(text, path)?;
        Ok(config)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<()> {
        let invalid = |key: String, needle: &str, message: String| Error::Invalid {
            path: path.to_owned(),
            line: find_line(text, needle),
            key,
            message,
        };
        let b = &self.broker;
        let positive = [
            ("broker.max_connections", b.max_connections == 0),
            ("broker.max_packet_size", b.max_packet_size < 64),
            ("broker.max_inflight", b.max_inflight == 0),
            ("broker.max_queued_messages", b.max_queued_messages == 0),
            ("broker.message_expiry_s", b.message_expiry_s == 0),
        ];
        for (key, bad) in positive {
            if bad {
                let field = key.trim_start_matches("broker.");
                return Err(invalid(
                    key.into(),
                    field,
                    "expected a positive number (max_packet_size: at least 64)".into(),
                ));
            }
        }
        if let Some(mms) = &self.mms {
            if !(mms.mmsc_url.starts_with("http://") || mms.mmsc_url.starts_with("https://")) {
                return Err(invalid(
                    "mms.mmsc_url".into(),
                    "mmsc_url",
                    "expected an http:// or https:// URL".into(),
                ));
            }
            if mms.max_message_bytes < 1024 {
                return Err(invalid(
                    "mms.max_message_bytes".into(),
                    "max_message_bytes",
                    "expected at least 1024".into(),
                ));
            }
            if mms.transport == MmsTransport::Modem
                && mms.apn.as_deref().is_none_or(|a| a.trim().is_empty())
            {
                return Err(invalid(
                    "mms.apn".into(),
                    "apn",
                    "transport = \"modem\" needs the MMS APN".into(),
                ));
            }
        }
        if b.tls_listen.is_some() && (b.tls_cert.is_none() || b.tls_key.is_none()) {
            return Err(invalid(
                "broker.tls_listen".into(),
                "tls_listen",
                "needs broker.tls_cert and broker.tls_key".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            if user.name.is_empty() || user.name.contains(['/', '+', '#']) {
                return Err(invalid(
                    format!("user[{i}].name"),
                    &user.name,
                    "expected a non-empty name without '/', '+' or '#'".into(),
                ));
            }
            if crate::api::acl::RESERVED_LEVELS.contains(&user.name.as_str()) {
                return Err(invalid(
                    format!("user[{i}].name"),
                    &user.name,
                    format!(
                        "{:?} is reserved for a topic level (reserved: {:?})",
                        user.name,
                        crate::api::acl::RESERVED_LEVELS
                    ),
                ));
            }
            if !names.insert(user.name.as_str()) {
                return Err(invalid(
                    format!("user[{i}].name"),
                    &user.name,
                    format!("user {:?} is defined twice", user.name),
                ));
            }
            if argon2::PasswordHash::new(&user.password_hash).is_err() {
                return Err(invalid(
                    format!("user[{i}].password_hash"),
                    &user.password_hash,
                    "expected an argon2 PHC string such as \"$argon2id$v=19$...\" (make one with `gsmq passwd`)".into(),
                ));
            }
            if !(user.rate_per_s.is_finite() && user.rate_per_s >= 0.0) {
                return Err(invalid(
                    format!("user[{i}].rate_per_s"),
                    "rate_per_s",
                    "expected a non-negative number".into(),
                ));
            }
        }
        let mut modem_names = std::collections::HashSet::new();
        for (i, modem) in self.modems.iter().enumerate() {
            // '/', '+', '#' would break topics; ',', ':', '@' routing keys.
            if modem.name.is_empty() || modem.name.contains(['/', '+', '#', ',', ':', '@']) {
                return Err(invalid(
                    format!("modem[{i}].name"),
                    &modem.name,
                    "expected a non-empty name without '/', '+', '#', ',', ':' or '@'".into(),
                ));
            }
            if !modem_names.insert(modem.name.as_str()) {
                return Err(invalid(
                    format!("modem[{i}].name"),
                    &modem.name,
                    format!("modem {:?} is defined twice", modem.name),
                ));
            }
            if modem.port.is_empty() && modem.imei.is_none() {
                return Err(invalid(
                    format!("modem[{i}].port"),
                    "port",
                    "expected a device path or sim:<personality>, or an imei to find the modem by"
                        .into(),
                ));
            }
        }
        if self.api.prefix.is_empty() || self.api.prefix.contains(['+', '#']) {
            return Err(invalid(
                "api.prefix".into(),
                "prefix",
                "expected a topic prefix without wildcards".into(),
            ));
        }
        for (i, route) in self.api.routes.iter().enumerate() {
            if !names.contains(route.user.as_str()) {
                return Err(invalid(
                    format!("api.route[{i}].user"),
                    &route.user,
                    format!("no [[user]] is named {:?}", route.user),
                ));
            }
            if let Some(m) = &route.modem {
                if !modem_names.contains(m.as_str()) {
                    return Err(invalid(
                        format!("api.route[{i}].modem"),
                        m,
                        format!("no [[modem]] is named {m:?}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Formats a toml error with its line number and the offending key.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let snippet = text
                .lines()
                .nth(line - 1)
                .unwrap_or_default()
                .trim()
                .to_string();
            format!("line {line}: {msg} (at `{snippet}`)")
        }
        None => msg,
    }
}

/// The 1-based line where `needle` first appears, for error messages.
fn find_line(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Q0r3m7mGdXqV3x9q1gW0J3Q9ZpW6o9pGQW2yOq0eIY";

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn a_minimal_config_parses_with_defaults() {
        let c =
            parse("[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"/tmp/x\"\n").unwrap();
        assert_eq!(c.broker.listen.port(), 1883);
        assert!(!c.broker.allow_anonymous);
        assert_eq!(c.api.prefix, "gsmq");
        assert_eq!(c.storage.crash_policy, CrashPolicy::AtLeastOnce);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err =
            parse("[broker]\nlisten = \"127.0.0.1:1883\"\nlisen = 3\n[storage]\npath = \"x\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_the_line_and_expectation() {
        let err = parse("[broker]\nlisten = 1883\n[storage]\npath = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("socket address"), "{err}");
    }

    #[test]
    fn a_plain_text_password_is_refused_with_the_key_and_line() {
        let text = "[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[[user]]\nname = \"dev\"\npassword_hash = \"secret\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("user[0].password_hash"), "{err}");
        assert!(err.contains("line 7"), "{err}");
    }

    #[test]
    fn a_zero_broker_limit_is_named_with_its_line() {
        let err = parse(
            "[broker]\nlisten = \"127.0.0.1:1883\"\nmax_inflight = 0\n[storage]\npath = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("broker.max_inflight"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn a_modem_needs_a_port_or_an_imei_and_a_name_fit_for_routing() {
        let base = "[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[[modem]]\n";
        let err = parse(&format!("{base}name = \"m\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("modem[0].port"), "{err}");
        assert!(err.contains("imei"), "{err}");
        let c = parse(&format!("{base}name = \"m\"\nimei = \"356938035643809\"\n")).unwrap();
        assert_eq!(c.modems[0].port, "");
        assert_eq!(c.modems[0].scan, defaults::scan());
        for bad in ["a,b", "grp:x", "@m"] {
            let err = parse(&format!("{base}name = {bad:?}\nport = \"sim:generic\"\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("modem[0].name"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_mms_section_gets_its_defaults_and_mms_stays_off_without_it() {
        let base = "[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"/var/lib/gsmq\"\n";
        assert_eq!(parse(base).unwrap().mms, None);
        let c = parse(&format!(
            "{base}[mms]\nmmsc_url = \"http://mmsc.example/mms\"\n"
        ))
        .unwrap();
        let mms = c.mms.clone().unwrap();
        assert_eq!(mms, MmsConfig::new("http://mmsc.example/mms"));
        assert_eq!(mms.max_message_bytes, 300 * 1024);
        assert!(!mms.retry_unknown);
        assert_eq!(
            mms.spool_dir(&c.storage),
            PathBuf::from("/var/lib/gsmq/mms-spool")
        );
    }

    #[test]
    fn the_modem_mms_transport_needs_an_apn_and_splits_the_proxy() {
        let base = "[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[mms]\nmmsc_url = \"http://m/mms\"\n";
        assert_eq!(
            parse(base).unwrap().mms.unwrap().transport,
            MmsTransport::Mm1
        );
        let err = parse(&format!("{base}transport = \"modem\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("mms.apn"), "{err}");
        let err = parse(&format!("{base}transport = \"carrier-pigeon\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("transport"), "{err}");
        let c = parse(&format!(
            "{base}transport = \"modem\"\napn = \"mms\"\nproxy = \"http://10.0.0.172:8080\"\n"
        ))
        .unwrap();
        let mms = c.mms.unwrap();
        assert_eq!(mms.transport, MmsTransport::Modem);
        let client = mms.modem_client();
        assert_eq!(client.proxy, Some(("10.0.0.172".to_string(), 8080)));
        assert_eq!(client.apn, "mms");
        assert_eq!(client.mmsc_url, "http://m/mms");
    }

    #[test]
    fn an_mms_url_without_scheme_and_unknown_mms_keys_are_refused() {
        let base = "[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[mms]\n";
        let err = parse(&format!("{base}mmsc_url = \"mmsc.example\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("mms.mmsc_url"), "{err}");
        assert!(err.contains("line 6"), "{err}");
        let err = parse(&format!("{base}mmsc_url = \"http://m\"\nmmsc = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("mmsc"), "{err}");
    }

    #[test]
    fn a_reserved_user_name_is_refused() {
        let text = format!("[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[[user]]\nname = \"inbox\"\npassword_hash = \"{HASH}\"\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("user[0].name"), "{err}");
        assert!(err.contains("reserved"), "{err}");
    }

    #[test]
    fn a_phc_hash_is_accepted() {
        let text = format!("[broker]\nlisten = \"127.0.0.1:1883\"\n[storage]\npath = \"x\"\n[[user]]\nname = \"dev\"\npassword_hash = \"{HASH}\"\npermissions = [\"send\", \"inbox\"]\n");
        let c = parse(&text).unwrap();
        assert_eq!(
            c.users[0].permissions,
            vec![Permission::Send, Permission::Inbox]
        );
    }

    #[test]
    fn the_shipped_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gsmq.toml");
        let c = Config::load(&path).unwrap();
        assert!(!c.users.is_empty());
        assert!(!c.modems.is_empty());
    }
}
