//! Fuzz target: arbitrary bytes through firmware-bridge's MQTT packet
//! decoder and its serial frame decoder (the device bridge reads both from
//! untrusted UARTs).
#![no_main]

use firmware_bridge::{framing, mqtt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mqtt::decode(data);
    let mut decoder = framing::Decoder::<1282>::new();
    let mut input = data;
    while !input.is_empty() {
        let (used, frame) = decoder.feed(input);
        if let Some(Ok(payload)) = frame {
            let _ = mqtt::decode(payload);
        }
        input = &input[used..];
    }
});
