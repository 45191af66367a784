//! Sans-IO AT protocol layer: a digester that turns modem bytes into typed
//! events, plus typed command builders. No I/O, no clock reads.
