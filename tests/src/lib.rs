//! Helpers for Kiosk's end-to-end tests: a real relay on a loopback port (plain HTTP or
//! TLS), and a minimal HTTP client over a plain TCP stream so the tests depend on nothing the
//! relay itself uses.

pub mod browser;
pub mod hr;
pub mod scripted;

use std::net::SocketAddr;
use std::sync::Arc;

use kiosk_sync_server::AppState;
use kiosk_sync_server::tls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A relay serving on `127.0.0.1:0` until [`TestRelay::stop`].
#[derive(Debug)]
pub struct TestRelay {
    pub address: SocketAddr,
    tls: bool,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestRelay {
    /// The relay's base URL (`https://` when it serves TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// Serves plain HTTP.
    pub async fn start(state: AppState) -> TestRelay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(kiosk_sync_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        TestRelay {
            address,
            tls: false,
            stop,
            task,
        }
    }

    /// Serves HTTPS with `tls`.
    pub async fn start_tls(state: AppState, tls: Arc<ServerConfig>) -> TestRelay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(kiosk_sync_server::serve_tls(listener, state, tls, async {
            let _ = stopped.await;
        }));
        TestRelay {
            address,
            tls: true,
            stop,
            task,
        }
    }

    /// Asks the relay to shut down and waits until it has.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task.await.expect("relay task")
    }

    /// Sends a plain-text `GET path` over TCP (no TLS) and returns whatever comes back
    /// before the relay closes the connection: an HTTP response from a plain relay, nothing
    /// an HTTP client can read from a TLS one.
    pub async fn plain_get(&self, path: &str) -> std::io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(self.address).await?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok(response)
    }

    /// `GET path` over plain HTTP, returning the status code and the body as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.plain_get(path).await.expect("exchange");
        let text = String::from_utf8(response).expect("utf-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status code");
        (status, serde_json::from_str(body).expect("json body"))
    }
}

/// A relay serving plain HTTP on loopback, with its store in a temporary folder and the
/// demo event stored.
#[derive(Debug)]
pub struct FileRelay {
    /// The relay's data folder (store and keys); tests may put other files here.
    pub dir: tempfile::TempDir,
    pub store: Arc<kiosk_sync_server::storage::SqliteStore>,
    pub server: TestRelay,
}

impl FileRelay {
    /// An enrollment code for the demo event (see [`demo_code`]).
    pub fn code(
        &self,
        role: kiosk_core::protocol::enrollment::EnrolledRole,
        uses: u32,
        valid_ms: i64,
    ) -> kiosk_core::protocol::enrollment::EnrollmentCode {
        demo_code(self.store.as_ref(), role, uses, valid_ms)
    }
}

/// Starts a [`FileRelay`].
pub async fn file_relay() -> FileRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(
        kiosk_sync_server::storage::SqliteStore::open(&dir.path().join("relay.sqlite3"))
            .expect("store"),
    );
    kiosk_sync_server::store_demo_event(store.as_ref()).expect("demo event");
    let keys = kiosk_sync_server::keys::RelayKeys::load_or_create(dir.path()).expect("keys");
    let server = TestRelay::start(AppState::new(store.clone(), keys)).await;
    FileRelay { dir, store, server }
}

/// A kiosk tablet with the demo event installed, in its own temporary folder.
#[derive(Debug)]
pub struct Tablet {
    _dir: tempfile::TempDir,
    pub device: Arc<kiosk_core::device::Device>,
}

/// A new, unenrolled kiosk tablet.
pub fn tablet() -> Tablet {
    let dir = tempfile::tempdir().expect("tempdir");
    let device =
        kiosk_core::generator::demo_kiosk(&dir.path().join("kiosk.sqlite3")).expect("opens");
    Tablet { _dir: dir, device }
}

/// The PIN of every staff tablet in the tests.
pub const STAFF_PIN: &str = "482915";

/// A new, unenrolled staff tablet with [`STAFF_PIN`] set.
pub fn staff_tablet() -> Tablet {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = kiosk_core::generator::demo_staff(&dir.path().join("staff.sqlite3"), STAFF_PIN)
        .expect("opens");
    Tablet { _dir: dir, device }
}

/// A staff enrollment code for the demo event, bound to `recruiter`, for one tablet.
pub fn staff_code(
    store: &dyn kiosk_sync_server::storage::RelayStore,
    recruiter: &str,
) -> kiosk_core::protocol::enrollment::EnrollmentCode {
    code_for(
        store,
        kiosk_core::protocol::enrollment::EnrolledRole::Staff,
        Some(recruiter),
        1,
        3_600_000,
    )
}

/// Staff mode on `tablet`, opened with [`STAFF_PIN`].
pub fn staff_session(tablet: &Tablet) -> kiosk_core::staff::StaffSession {
    kiosk_core::staff::unlock(&tablet.device, STAFF_PIN, kiosk_core::ids::Timestamp::now())
        .expect("staff mode opens")
}

/// One sync with the default batch limits and the system clock.
pub fn sync_now(
    device: &kiosk_core::device::Device,
    transport: &dyn kiosk_core::sync::Transport,
) -> kiosk_core::Result<kiosk_core::sync::SyncReport> {
    kiosk_core::sync::sync(
        device,
        transport,
        &kiosk_core::sync::NoListener,
        kiosk_core::sync::BatchLimits::default(),
        kiosk_core::ids::Timestamp::now,
    )
}

/// An enrollment code for the demo event, for `uses` tablets of `role`, valid `valid_ms`
/// from now (negative: already expired).
pub fn demo_code(
    store: &dyn kiosk_sync_server::storage::RelayStore,
    role: kiosk_core::protocol::enrollment::EnrolledRole,
    uses: u32,
    valid_ms: i64,
) -> kiosk_core::protocol::enrollment::EnrollmentCode {
    code_for(store, role, None, uses, valid_ms)
}

/// The recruiter a staff code names when a test names none.
pub const DEMO_RECRUITER: &str = "rekryterare";

fn code_for(
    store: &dyn kiosk_sync_server::storage::RelayStore,
    role: kiosk_core::protocol::enrollment::EnrolledRole,
    recruiter: Option<&str>,
    uses: u32,
    valid_ms: i64,
) -> kiosk_core::protocol::enrollment::EnrollmentCode {
    let now = kiosk_sync_server::now_ms();
    // A staff code names an enabled recruiter assigned to the event: made so here.
    let recruiter = (role == kiosk_core::protocol::enrollment::EnrolledRole::Staff)
        .then(|| recruiter.unwrap_or(DEMO_RECRUITER))
        .inspect(|username| {
            kiosk_sync_server::hr::recruiter_for_tests(
                store,
                username,
                kiosk_core::demo::DEMO_EVENT_ID,
            );
        })
        .or(recruiter);
    kiosk_sync_server::enrollment::create_code(
        store,
        kiosk_core::demo::DEMO_EVENT_ID,
        role,
        recruiter.map(str::to_owned),
        uses,
        now + valid_ms,
        now,
    )
    .expect("code")
}
