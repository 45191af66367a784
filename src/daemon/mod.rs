//! Process lifecycle: signals, cancellation, sd-notify and the watchdog.
