//! Fuzzes request payload parsing: any bytes on any request topic must end
//! in a validated request or a typed refusal, never a panic or a hang.
#![no_main]

use gsmq::api::{request, RequestKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let kind = RequestKind::ALL[usize::from(selector) % RequestKind::ALL.len()];
    let _ = request::parse(kind, payload, 64 * 1024);
});
