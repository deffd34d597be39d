//! How the relay holds its connections: it accepts at most `max_connections` at a time (the
//! rest wait in the listen queue until one closes), and drops any that would otherwise stay
//! open for nothing. A TLS handshake, a request's head and a request's body each have a
//! deadline, and a connection on which no byte moves either way for the idle timeout is
//! closed. Without them, slow or silent clients (half-sent requests, idle keep-alive
//! connections) would hold file descriptors until the relay could not answer anyone.
//!
//! [`serve_connections`] is the accept loop behind [`crate::serve`] and [`crate::serve_tls`]:
//! plain HTTP/1.1 through hyper, or TLS first, then the same.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The bounds on every connection; see the README's "Connections" for what each means to
/// an operator. [`ConnectionLimits::default`] is what `serve` uses unless configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time for a request's head (request line and headers) to arrive, counted from when
    /// the relay starts waiting for it: after the connection opened (and its TLS handshake)
    /// or after the previous answer. An idle keep-alive connection is closed after it too.
    pub header_read_timeout: Duration,
    /// Time for a request's whole body to arrive, counted from its head.
    pub body_read_timeout: Duration,
    /// A connection on which no byte moves in either direction this long is closed (a
    /// client that stalls mid-body or stops reading its answer).
    pub idle_timeout: Duration,
    /// Time for a client to complete the TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 client by its /64) is served at once;
    /// further ones are closed at once, so one client cannot take every place.
    pub max_connections_per_client: usize,
}

/// Defaults: generous for a tablet on a slow mobile network sending the largest sync body
/// (8 MiB in 120 s is about 70 KB/s), and a connection cap well under the usual open-file
/// limit of 1024, leaving room for the database, logs and checkpoints.
pub const DEFAULT_LIMITS: ConnectionLimits = ConnectionLimits {
    header_read_timeout: Duration::from_secs(10),
    body_read_timeout: Duration::from_secs(120),
    idle_timeout: Duration::from_secs(60),
    tls_handshake_timeout: Duration::from_secs(10),
    max_connections: 256,
    // Tablets at a fair may share one address behind the venue's NAT, each with one sync
    // at a time: a quarter of the places leaves room for dozens of them and for others.
    max_connections_per_client: 64,
};

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        DEFAULT_LIMITS
    }
}

/// Serves `app` on `listener` within `limits` (over TLS when `tls` is given) until
/// `shutdown` completes; then stops accepting, lets each connection finish the request it
/// is answering, and returns once all are closed.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = within_file_limit(limits.max_connections, open_file_limit());
    let slots = Arc::new(Semaphore::new(max));
    let clients = Arc::new(Clients::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // A slot first: beyond the cap, new connections wait in the kernel's listen queue
        // rather than being accepted and left unanswered.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(connection) => connection,
            Err(error) => {
                // Out of file descriptors (or similar): wait a moment instead of spinning.
                tracing::error!(%error, "cannot accept a connection");
                drop(slot);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(200)) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let Some(client) = clients.enter(peer.ip(), limits.max_connections_per_client) else {
            // The peer's address is not logged: it can identify a person.
            tracing::debug!("a client holds as many connections as it may; closed another");
            drop(stream);
            drop(slot);
            continue;
        };
        // Answers are small TLS records or short JSON: Nagle would only delay them.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            peer,
            app.clone(),
            limits,
            tls.clone(),
            stopping.clone(),
            (slot, client),
        ));
    }
    let _ = stop.send(true);
    drop(listener);
    // Every connection holds a slot until it closes: having them all back means all closed.
    let _all_closed = slots.acquire_many(max as u32).await;
    Ok(())
}

/// Connections open per client address (an IPv6 client by its /64).
#[derive(Debug, Default)]
struct Clients {
    open: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

impl Clients {
    /// A place for one more connection of `address`, if it holds fewer than `max`.
    fn enter(self: &Arc<Self>, address: std::net::IpAddr, max: usize) -> Option<ClientTurn> {
        let address = crate::enrollment::address_bucket(address);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= max.max(1) {
            return None;
        }
        *count += 1;
        Some(ClientTurn {
            clients: self.clone(),
            address,
        })
    }
}

/// One open connection of a client; dropping it gives the place back.
struct ClientTurn {
    clients: Arc<Clients>,
    address: std::net::IpAddr,
}

impl Drop for ClientTurn {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// File descriptors kept free for what the relay opens besides connections: the database
/// and its WAL, the lock file, keys, checkpoints, backups, the listener itself.
const RESERVED_FILES: u64 = 64;

/// `wanted` connections, lowered so that they and [`RESERVED_FILES`] fit under the
/// process's open-file limit (when it is known): past it, `accept` fails and nobody is
/// answered, not even `/healthz`.
fn within_file_limit(wanted: usize, file_limit: Option<u64>) -> usize {
    let wanted = wanted.clamp(1, Semaphore::MAX_PERMITS);
    let Some(limit) = file_limit else {
        return wanted;
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX);
    if wanted > room {
        tracing::warn!(
            max_connections = wanted,
            open_file_limit = limit,
            serving = room,
            "max_connections is above what the open-file limit leaves room for; serving fewer \
             (raise `ulimit -n` or lower max_connections)"
        );
        return room;
    }
    wanted
}

/// The process's soft limit on open files, read from `/proc/self/limits` (Linux); `None`
/// where that is not available or says "unlimited".
fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    soft_open_file_limit(&text)
}

fn soft_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    stopping: watch::Receiver<bool>,
    _held: (OwnedSemaphorePermit, ClientTurn),
) {
    match tls {
        None => {
            serve_http(
                IdleIo::new(stream, limits.idle_timeout),
                peer,
                app,
                limits,
                stopping,
            )
            .await
        }
        Some(acceptor) => {
            // The peer's address is not logged: it can identify a person.
            match tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(stream)).await
            {
                Ok(Ok(tls)) => {
                    serve_http(
                        IdleIo::new(tls, limits.idle_timeout),
                        peer,
                        app,
                        limits,
                        stopping,
                    )
                    .await
                }
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let body_read_timeout = limits.body_read_timeout;
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(|body| Body::new(DeadlineBody::new(body, body_read_timeout)));
        // The enrollment route limits attempts per peer address.
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection closed");
            }
        }
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            // Finishes the request under way, if any, then closes.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// A connection's I/O that fails with `TimedOut` once no byte has moved in either direction
/// for `idle`. The deadline is only looked at while the connection waits for I/O.
struct IdleIo<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    fn new(inner: T, idle: Duration) -> IdleIo<T> {
        IdleIo {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    fn waiting<R>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<R>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection idle past the idle timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => this.waiting(cx),
            failed => failed,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Pending => this.waiting(cx),
            failed => failed,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.waiting(cx),
            done => done,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Pending => this.waiting(cx),
            done => done,
        }
    }
}

/// The request body ran past the body-read timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body-read timeout")]
pub struct BodyTimedOut;

/// A request body that fails once its deadline passes before it ends: a client sending a
/// body slowly (a byte now and then) cannot hold a connection and a handler for long.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    /// Made on the first wait only: most bodies arrive with their head or are empty.
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            deadline: Instant::now() + timeout,
            timer: None,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_under_the_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             96553                96553                processes\n\
                      Max open files            256                  4096                 files\n";
        assert_eq!(soft_open_file_limit(limits), Some(256));
        assert_eq!(
            soft_open_file_limit("Max open files  unlimited  unlimited  files"),
            None
        );
        assert_eq!(within_file_limit(256, Some(256)), 192);
        assert_eq!(within_file_limit(100, Some(256)), 100);
        assert_eq!(within_file_limit(256, None), 256);
        assert_eq!(within_file_limit(256, Some(10)), 1);
        assert_eq!(within_file_limit(0, None), 1);
    }
}
