//! Modem driver: a sans-IO session state machine plus one runner task per
//! modem that owns the serial port.
