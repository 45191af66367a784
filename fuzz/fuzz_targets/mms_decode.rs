//! Fuzz the MMS/WSP codec: arbitrary bytes as an MMS PDU and as a WAP push.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gsmq::mms::fuzz_decode(data);
});
