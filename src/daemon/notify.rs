//! sd-notify messages (pinned sd-notify =0.4.5; 0.5 dropped `unset_env`).
//! Every call is a no-op without `NOTIFY_SOCKET`; failures are logged,
//! never fatal.

use std::time::Duration;

use sd_notify::NotifyState;

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// `READY=1` plus a `STATUS=` line.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// `STATUS=<status>`.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// `RELOADING=1` while a SIGHUP reload runs; finish with [`ready`].
pub fn reloading() {
    send(&[NotifyState::Reloading]);
}

/// `STOPPING=1` plus a `STATUS=` line.
pub fn stopping(status: &str) {
    send(&[NotifyState::Stopping, NotifyState::Status(status)]);
}

/// `WATCHDOG=1`. Only [`super::watchdog`] calls this.
pub(super) fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// The watchdog interval systemd asked for (`WATCHDOG_USEC` for this PID).
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0u64;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec))
}
