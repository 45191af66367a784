//! Serial device bridge: MQTT for devices that only have a UART.
//!
//! A device running `firmware-bridge` speaks MQTT 3.1.1 in COBS+CRC frames
//! (one MQTT packet per frame) over a serial line. For each configured
//! `[[device]]` port, gsmq relays those packets to its own embedded broker
//! over a loopback TCP connection, so the device logs in with its own
//! credentials and gets exactly the permissions of that user; replies and
//! events come back framed the same way.
//!
//! Guarantees: the framing and MQTT packet codecs are the firmware crate's
//! own (never a copy); a corrupt frame is dropped, counted and logged, never
//! fatal; a CONNECT from the device always starts a fresh broker connection
//! (a rebooted device is not glued to its old session's socket); a broker
//! connection that closes is not reopened until the device sends its next
//! packet; every buffer is bounded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use firmware_bridge::framing;
use firmware_bridge::mqtt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Largest MQTT packet relayed from a device (the frame decoder's buffer).
pub const DEVICE_PACKET_MAX: usize = 16 * 1024;
/// Largest MQTT packet relayed from the broker to a device. Bigger ones are
/// dropped and counted: no device could buffer them.
pub const BROKER_PACKET_MAX: usize = 64 * 1024;
/// Bytes read from either side in one call.
const READ_CHUNK: usize = 4096;

/// Errors that end a bridge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("device {device}: serial I/O error: {source}")]
    Serial {
        device: String,
        source: std::io::Error,
    },
    #[error("device {device}: the serial port closed")]
    SerialClosed { device: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Counters of one bridge, for logs and tests.
#[derive(Debug, Default)]
pub struct Stats {
    /// Frames from the device relayed to the broker.
    pub frames_in: AtomicU64,
    /// Packets from the broker relayed to the device.
    pub packets_out: AtomicU64,
    /// Corrupt frames from the device (CRC, COBS, overflow).
    pub bad_frames: AtomicU64,
    /// Broker packets too large for a device, dropped.
    pub oversized: AtomicU64,
    /// Broker connections opened.
    pub connections: AtomicU64,
}

/// One device's bridge between a serial stream and the broker.
#[derive(Debug)]
pub struct DeviceBridge {
    name: String,
    broker: SocketAddr,
    stats: Arc<Stats>,
}

impl DeviceBridge {
    /// A bridge for device `name` relaying to the broker at `broker`.
    pub fn new(name: impl Into<String>, broker: SocketAddr) -> Self {
        Self {
            name: name.into(),
            broker,
            stats: Arc::default(),
        }
    }

    /// The bridge's counters.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// Relays until the serial stream ends or `cancel` fires.
    pub async fn run<S>(&self, serial: S, cancel: CancellationToken) -> Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (mut serial_rx, mut serial_tx) = tokio::io::split(serial);
        let mut decoder = framing::Decoder::<{ DEVICE_PACKET_MAX + framing::CRC_LEN }>::new();
        let mut serial_buf = vec![0u8; READ_CHUNK];
        let mut tcp: Option<TcpStream> = None;
        let mut from_broker: Vec<u8> = Vec::new();
        let mut tcp_buf = vec![0u8; READ_CHUNK];
        // Flush whatever partial frame the device may hold.
        self.write_serial(&mut serial_tx, &[framing::DELIMITER])
            .await?;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                read = serial_rx.read(&mut serial_buf) => {
                    let n = read.map_err(|source| Error::Serial { device: self.name.clone(), source })?;
                    if n == 0 {
                        return Err(Error::SerialClosed { device: self.name.clone() });
                    }
                    let mut input = &serial_buf[..n];
                    while !input.is_empty() {
                        let (used, frame) = decoder.feed(input);
                        input = &input[used..];
                        match frame {
                            None => {}
                            Some(Err(e)) => {
                                self.stats.bad_frames.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(device = %self.name, error = %e, "bad frame from device dropped");
                            }
                            Some(Ok(packet)) => {
                                let packet = packet.to_vec();
                                self.relay_to_broker(&mut tcp, &mut from_broker, &packet).await;
                            }
                        }
                    }
                }
                read = read_opt(&mut tcp, &mut tcp_buf) => {
                    match read {
                        Ok(0) | Err(_) => {
                            tracing::info!(device = %self.name, "broker connection closed");
                            tcp = None;
                            from_broker.clear();
                        }
                        Ok(n) => {
                            from_broker.extend_from_slice(&tcp_buf[..n]);
                            self.relay_to_device(&mut serial_tx, &mut from_broker).await?;
                            if from_broker.len() > BROKER_PACKET_MAX + 8 {
                                // A packet longer than any device could take: drop the link.
                                self.stats.oversized.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(device = %self.name, "oversized packet from broker; connection dropped");
                                tcp = None;
                                from_broker.clear();
                            }
                        }
                    }
                }
            }
        }
    }

    async fn relay_to_broker(
        &self,
        tcp: &mut Option<TcpStream>,
        from_broker: &mut Vec<u8>,
        packet: &[u8],
    ) {
        let is_connect = matches!(mqtt::decode(packet), Ok(Some((mqtt::Packet::Connect(_), _))));
        if is_connect || tcp.is_none() {
            if !is_connect {
                tracing::debug!(device = %self.name, "packet before CONNECT; opening a broker connection anyway");
            }
            *tcp = None;
            from_broker.clear();
            match TcpStream::connect(self.broker).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    self.stats.connections.fetch_add(1, Ordering::Relaxed);
                    *tcp = Some(stream);
                }
                Err(e) => {
                    tracing::warn!(device = %self.name, error = %e, "cannot reach the broker; packet dropped");
                    return;
                }
            }
        }
        if let Some(stream) = tcp.as_mut() {
            if let Err(e) = stream.write_all(packet).await {
                tracing::info!(device = %self.name, error = %e, "broker write failed; connection dropped");
                *tcp = None;
                from_broker.clear();
                return;
            }
            self.stats.frames_in.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn relay_to_device<W: AsyncWrite + Unpin>(
        &self,
        serial_tx: &mut W,
        from_broker: &mut Vec<u8>,
    ) -> Result<()> {
        loop {
            let len = match mqtt::packet_len(from_broker) {
                Ok(Some(len)) => len,
                Ok(None) => return Ok(()),
                Err(e) => {
                    tracing::warn!(device = %self.name, error = ?e, "undecodable bytes from broker dropped");
                    from_broker.clear();
                    return Ok(());
                }
            };
            if from_broker.len() < len {
                return Ok(());
            }
            let packet: Vec<u8> = from_broker.drain(..len).collect();
            let frame = framing::encode_to_vec(&packet);
            self.write_serial(serial_tx, &frame).await?;
            self.stats.packets_out.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn write_serial<W: AsyncWrite + Unpin>(&self, tx: &mut W, bytes: &[u8]) -> Result<()> {
        tx.write_all(bytes).await.map_err(|source| Error::Serial {
            device: self.name.clone(),
            source,
        })?;
        tx.flush().await.map_err(|source| Error::Serial {
            device: self.name.clone(),
            source,
        })
    }
}

/// Reads from the broker connection, or waits forever when there is none.
async fn read_opt(tcp: &mut Option<TcpStream>, buf: &mut [u8]) -> std::io::Result<usize> {
    match tcp {
        Some(stream) => stream.read(buf).await,
        None => std::future::pending().await,
    }
}
