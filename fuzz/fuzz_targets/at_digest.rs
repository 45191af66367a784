//! Fuzz the AT digester: any bytes, digested whole, byte by byte and in
//! data-derived chunks, must not panic and must give the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gsmq::at::fuzz_digest(data);
});
