//! Fuzz target: arbitrary bytes through the PDU decoder (with and without
//! an SMSC address) and, for what decodes, the emit/decode round trip.
//! Run: `cargo fuzz run pdu_decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gsmq::pdu::fuzz_decode(data);
});
