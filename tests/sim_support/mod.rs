//! Test-side serial port for the simulator tests: opens the PTY slave the
//! way a daemon would (raw, non-blocking) and reads with deadlines.
#![allow(dead_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::sys::termios;
use tokio::io::unix::AsyncFd;

/// How long a test waits for an expected byte before failing.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct Port {
    fd: AsyncFd<OwnedFd>,
    pub buf: Vec<u8>,
}

/// Shows bytes with `\r`, `\n` and control bytes escaped.
pub fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

impl Port {
    pub fn open(path: &Path) -> Port {
        let raw = nix::fcntl::open(
            path,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK,
            Mode::empty(),
        )
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        // SAFETY: `open` returned a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut t = termios::tcgetattr(&fd).expect("tcgetattr");
        termios::cfmakeraw(&mut t);
        termios::tcsetattr(&fd, termios::SetArg::TCSANOW, &t).expect("tcsetattr");
        // SAFETY: the OwnedFd stays open and unchanged inside the AsyncFd.
        let fd = unsafe { AsyncFd::register(fd) }.expect("register");
        Port {
            fd,
            buf: Vec::new(),
        }
    }

    /// The descriptor, for tests that look at raw read results.
    pub fn raw(&self) -> &OwnedFd {
        self.fd.get_ref()
    }

    pub async fn write(&self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let mut g = self.fd.writable().await.expect("writable");
            match g.try_io(|f| nix::unistd::write(f.get_ref(), rest).map_err(std::io::Error::from))
            {
                Ok(Ok(n)) => rest = &rest[n..],
                Ok(Err(e)) => panic!("write: {e}"),
                Err(_) => continue,
            }
        }
    }

    /// Reads whatever arrives, once, waiting at most `d`. Returns false on timeout.
    async fn fill(&mut self, d: Duration) -> bool {
        let fut = async {
            loop {
                let mut g = self.fd.readable().await.expect("readable");
                let mut b = [0u8; 4096];
                match g.try_io(|f| {
                    nix::unistd::read(f.get_ref().as_raw_fd(), &mut b).map_err(std::io::Error::from)
                }) {
                    Ok(Ok(n)) => return b[..n].to_vec(),
                    Ok(Err(e)) => panic!("read: {e}"),
                    Err(_) => continue,
                }
            }
        };
        match tokio::time::timeout(d, fut).await {
            Ok(bytes) => {
                self.buf.extend_from_slice(&bytes);
                true
            }
            Err(_) => false,
        }
    }

    /// Takes exactly `n` bytes.
    pub async fn take(&mut self, n: usize) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.buf.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !self.fill(left).await {
                panic!("timed out waiting for {n} bytes; got {:?}", show(&self.buf));
            }
        }
        self.buf.drain(..n).collect()
    }

    /// Takes everything up to and including `needle`.
    pub async fn until(&mut self, needle: &[u8]) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(p) = self.buf.windows(needle.len()).position(|w| w == needle) {
                return self.buf.drain(..p + needle.len()).collect();
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !self.fill(left).await {
                panic!(
                    "timed out waiting for {:?}; got {:?}",
                    show(needle),
                    show(&self.buf)
                );
            }
        }
    }

    /// Everything that arrives within `d` (and what was already buffered).
    pub async fn quiet(&mut self, d: Duration) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || !self.fill(left).await {
                break;
            }
        }
        std::mem::take(&mut self.buf)
    }

    /// Writes `cmd` and asserts the answer is exactly `expect`.
    pub async fn exchange(&mut self, cmd: &[u8], expect: &[u8]) {
        self.write(cmd).await;
        let got = self.take(expect.len()).await;
        assert_eq!(
            show(&got),
            show(expect),
            "answer to {:?} differs",
            show(cmd)
        );
    }
}
