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

/// What the firmware knows besides the client.
struct App {
    json: [u8; SEND_REQUEST_MAX],
    frame: [u8; FRAME_ENCODED_MAX],
    id: gsmq::RequestId,
    send_topic: gsmq::Topic,
    reply_topic: gsmq::Topic,
    sent: bool,
}

impl App {
    /// Drains the client's events, then frames and writes what it wants to send.
    fn service(&mut self, client: &mut Client<'_>, now: u64) {
        loop {
            match client.poll(now) {
                Ok(None) => break,
                Ok(Some(Event::Connected { .. })) => {
                    let _ = client.subscribe(&[(self.reply_topic.as_str(), QoS::AtLeastOnce)], now);
                }
                Ok(Some(Event::Subscribed(_))) if !self.sent => {
                    let request = SendSms {
                        id: Some(self.id.as_str()),
                        to: Recipients::One("+491701234567"),
                        text: "Pump 3 pressure low \u{26a0}\u{fe0f}",
                        report: true,
                    };
                    if let Ok(n) = request.write_json(&mut self.json) {
                        self.sent = client
                            .publish(
                                &self.send_topic,
                                &self.json[..n],
                                QoS::AtLeastOnce,
                                false,
                                now,
                            )
                            .is_ok();
                    }
                }
                Ok(Some(Event::Message(p))) if p.topic == self.reply_topic.as_str() => {
                    if let Ok(r) = gsmq::parse_reply(p.payload) {
                        if r.id.as_deref() == Some(self.id.as_str()) {
                            let code = match r.outcome {
                                Outcome::Accepted { message_id, .. } => message_id as u32,
                                Outcome::Rejected { .. } => 0xFFFF,
                            };
                            let _ = client.disconnect();
                            self.flush(client);
                            halt(code);
                        }
                    }
                }
                Ok(Some(_)) => {}
                Err(_) => {
                    // Connection lost or refused: start over (a real device would back off).
                    let _ = client.connect(now);
                    self.sent = false;
                }
            }
        }
        self.flush(client);
    }

    fn flush(&mut self, client: &mut Client<'_>) {
        loop {
            let out = client.transmit();
            if out.is_empty() {
                return;
            }
            let chunk = &out[..out.len().min(FRAME_PAYLOAD_MAX)];
            let Ok(n) = framing::encode(chunk, &mut self.frame) else {
                return;
            };
            uart_write(&self.frame[..n]);
            let len = chunk.len();
            client.transmitted(len);
        }
    }
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut tx = [0u8; TX_BUFFER_LEN];
    let mut rx = [0u8; RX_BUFFER_LEN];
    let mut inflight = [0u8; INFLIGHT_BUFFER_LEN];
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
    let mut app = App {
        json: [0; SEND_REQUEST_MAX],
        frame: [0; FRAME_ENCODED_MAX],
        id: ids.next_id(),
        send_topic,
        reply_topic,
        sent: false,
    };

    if client.connect(now_ms()).is_err() {
        halt(2);
    }
    uart_write(&[framing::DELIMITER]); // flush the peer's half-frame, if any
    loop {
        let now = now_ms();
        // Input: UART bytes through the frame decoder into the client; servicing the client
        // between pieces makes room in its receive buffer.
        if let Some(byte) = uart_read() {
            if let (_, Some(Ok(mut payload))) = decoder.feed(&[byte]) {
                while !payload.is_empty() {
                    let n = client.receive(payload);
                    payload = &payload[n..];
                    app.service(&mut client, now);
                }
            }
        }
        app.service(&mut client, now);
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    halt(0xDEAD)
}
