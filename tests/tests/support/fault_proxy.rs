//! A TCP proxy in front of the relay that fails the way a fair's network fails: the relay
//! unreachable (every connection closed at once), or a sync cut off mid-way (the relay gets
//! a request and handles it, the tablet never gets the answer). It reads just enough HTTP/1.1
//! (the answer's head and `Content-Length`) to count answers on kept-alive connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does to traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Passes everything.
    Pass,
    /// The relay is unreachable: every connection is closed before anything passes.
    Down,
    /// Passes this many more answers, then closes every connection at the next answer's
    /// head instead of passing it (the relay has handled that request by then).
    CutAfter(u64),
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    mode: Mutex<Mode>,
    /// Connections refused while down.
    refused: AtomicU64,
    /// Answers withheld (and their connections closed).
    cut: AtomicU64,
    /// Answers passed.
    passed: AtomicU64,
}

/// A proxy on a loopback port in front of `upstream`.
#[derive(Debug)]
pub struct FaultProxy {
    pub address: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

/// The largest answer head read before passing it on.
const MAX_HEAD: usize = 64 * 1024;

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let state = Arc::new(State {
            upstream,
            mode: Mutex::new(Mode::Pass),
            refused: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            passed: AtomicU64::new(0),
        });
        let task = tokio::spawn({
            let state = Arc::clone(&state);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(carry(client, Arc::clone(&state)));
                }
            }
        });
        FaultProxy {
            address,
            state,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().expect("mode") = mode;
    }

    pub fn refused(&self) -> u64 {
        self.state.refused.load(Ordering::SeqCst)
    }

    pub fn cut(&self) -> u64 {
        self.state.cut.load(Ordering::SeqCst)
    }

    pub fn passed(&self) -> u64 {
        self.state.passed.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl State {
    fn mode(&self) -> Mode {
        *self.mode.lock().expect("mode")
    }

    /// Whether the next answer passes; counts it either way.
    fn let_answer_pass(&self) -> bool {
        let mut mode = self.mode.lock().expect("mode");
        let pass = match *mode {
            Mode::Pass => true,
            Mode::Down | Mode::CutAfter(0) => false,
            Mode::CutAfter(left) => {
                *mode = Mode::CutAfter(left - 1);
                true
            }
        };
        if pass {
            self.passed.fetch_add(1, Ordering::SeqCst);
        } else {
            self.cut.fetch_add(1, Ordering::SeqCst);
        }
        pass
    }
}

/// One client connection: requests go up as they come, answers come down one by one, each
/// allowed or cut by the mode.
async fn carry(client: TcpStream, state: Arc<State>) {
    if state.mode() == Mode::Down {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let Ok(upstream) = TcpStream::connect(state.upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let requests = tokio::spawn({
        let state = Arc::clone(&state);
        async move {
            let mut buffer = vec![0u8; 16 * 1024];
            loop {
                let read = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => read,
                };
                if state.mode() == Mode::Down {
                    state.refused.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                if upstream_write.write_all(&buffer[..read]).await.is_err() {
                    return;
                }
            }
        }
    });
    let mut pending = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        // One answer's head.
        let head_end = loop {
            if let Some(end) = find(&pending, b"\r\n\r\n") {
                break end + 4;
            }
            if pending.len() > MAX_HEAD {
                requests.abort();
                return;
            }
            match upstream_read.read(&mut buffer).await {
                Ok(0) | Err(_) => {
                    requests.abort();
                    return;
                }
                Ok(read) => pending.extend_from_slice(&buffer[..read]),
            }
        };
        if !state.let_answer_pass() {
            // Both sides close: the relay handled the request, the tablet never hears.
            requests.abort();
            return;
        }
        let head = String::from_utf8_lossy(&pending[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        while pending.len() < head_end + length {
            match upstream_read.read(&mut buffer).await {
                Ok(0) | Err(_) => {
                    requests.abort();
                    return;
                }
                Ok(read) => pending.extend_from_slice(&buffer[..read]),
            }
        }
        let answer: Vec<u8> = pending.drain(..head_end + length).collect();
        if client_write.write_all(&answer).await.is_err() {
            requests.abort();
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
