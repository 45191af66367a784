//! Size-check firmware: connect to gsmq over a COBS-framed UART, send one SMS, wait for the
//! reply, disconnect. The "UART" and "timer" are memory-mapped registers read and written with
//! volatile accesses so the optimiser keeps the whole client.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use firmware_bridge::framing::{self, Decoder};
use firmware_bridge::gsmq::{self, Outcome, Recipients, SendSms};
use firmware_bridge::mqtt::{Client, Config, Event, QoS};
use firmware_bridge::{FRAME_BUFFER_LEN, FRAME_ENCODED_MAX, FRAME_PAYLOAD_MAX};
use firmware_bridge::{INFLIGHT_BUFFER_LEN, RX_BUFFER_LEN, SEND_REQUEST_MAX, TX_BUFFER_LEN};

const UART_STATUS: *const u32 = 0x4001_1000 as *const u32;
const UART_DATA: *mut u32 = 0x4001_1004 as *mut u32;
const TIMER_MS: *const u32 = 0x4000_0024 as *const u32;
const RX_READY: u32 = 1 << 5;
const TX_EMPTY: u32 = 1 << 7;
const USER: &str = "dev1";

fn now_ms() -> u64 {
    // SAFETY: fixed MMIO register of the (imaginary) board.
    u64::from(unsafe { TIMER_MS.read_volatile() })
}

fn uart_read() -> Option<u8> {
    // SAFETY: fixed MMIO registers of the (imaginary) board.
    unsafe {
        if UART_STATUS.read_volatile() & RX_READY != 0 {
            Some(UART_DATA.read_volatile() as u8)
        } else {
            None
        }
    }
}

fn uart_write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: fixed MMIO registers of the (imaginary) board.
        unsafe {
            while UART_STATUS.read_volatile() & TX_EMPTY == 0 {}
            UART_DATA.write_volatile(u32::from(b));
        }
    }
}

fn halt(code: u32) -> ! {
    // SAFETY: fixed MMIO register of the (imaginary) board.
    unsafe { UART_DATA.write_volatile(code) };
    loop {
        core::hint::spin_loop();
    }
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut tx = [0u8; TX_BUFFER_LEN];
    let mut rx = [0u8; RX_BUFFER_LEN];
    let mut inflight = [0u8; INFLIGHT_BUFFER_LEN];
    let mut frame = [0u8; FRAME_ENCODED_MAX];
    let mut json = [0u8; SEND_REQUEST_MAX];
    let mut decoder = Decoder::<FRAME_BUFFER_LEN>::new();

    let mut config = Config::new("dev1-board");
    config.username = Some(USER);
    config.password = Some(b"secret");
    config.keep_alive_s = 30;
    let mut client = Client::new(config, &mut tx, &mut rx, &mut inflight);
    let Ok(mut ids) = gsmq::RequestIds::new("dev1", 0) else {
        halt(1)
    };
    let (Ok(send_topic), Ok(reply_topic)) = (gsmq::send_topic(USER), gsmq::reply_topic(USER))
    else {
        halt(1)
    };
    let id = ids.next_id();
    let mut sent = false;

    if client.connect(now_ms()).is_err() {
        halt(2);
    }
    loop {
        let now = now_ms();
        // Input: one UART byte at a time through the frame decoder into the client.
        if let Some(byte) = uart_read() {
            if let (_, Some(Ok(payload))) = decoder.feed(&[byte]) {
                client.receive(payload);
            }
        }
        // Events.
        loop {
            match client.poll(now) {
                Ok(None) => break,
                Ok(Some(Event::Connected { .. })) => {
                    let _ = client.subscribe(&[(reply_topic.as_str(), QoS::AtLeastOnce)], now);
                }
                Ok(Some(Event::Subscribed(_))) if !sent => {
                    let request = SendSms {
                        id: Some(id.as_str()),
                        to: Recipients::One("+491701234567"),
                        text: "Pump 3 pressure low \u{26a0}\u{fe0f}",
                        report: true,
                    };
                    if let Ok(n) = request.write_json(&mut json) {
                        sent = client
                            .publish(&send_topic, &json[..n], QoS::AtLeastOnce, false, now)
                            .is_ok();
                    }
                }
                Ok(Some(Event::Message(p))) if p.topic == reply_topic.as_str() => {
                    match gsmq::parse_reply(p.payload) {
                        Ok(r) if r.id.as_deref() == Some(id.as_str()) => {
                            let code = match r.outcome {
                                Outcome::Accepted { message_id, .. } => message_id as u32,
                                Outcome::Rejected { .. } => 0xFFFF,
                            };
                            let _ = client.disconnect();
                            let out = client.transmit();
                            if let Ok(n) = framing::encode(out, &mut frame) {
                                uart_write(&frame[..n]);
                            }
                            halt(code);
                        }
                        _ => {}
                    }
                }
                Ok(Some(_)) => {}
                Err(_) => {
                    let _ = client.connect(now);
                    sent = false;
                }
            }
        }
        // Output: frame what the client wants to send.
        let out = client.transmit();
        if !out.is_empty() {
            let chunk = &out[..out.len().min(FRAME_PAYLOAD_MAX)];
            if let Ok(n) = framing::encode(chunk, &mut frame) {
                uart_write(&frame[..n]);
                let len = chunk.len();
                client.transmitted(len);
            }
        }
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    halt(0xDEAD)
}
