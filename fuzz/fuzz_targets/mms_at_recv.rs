//! Fuzz the modem MMS receive path: the raw download capture (chunking
//! invariance) and the `+WAP_PUSH_MMS:` / `+CMMSRDPUSH:` parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    gsmq::modem::mms_at::recv::fuzz_capture(data);
});
