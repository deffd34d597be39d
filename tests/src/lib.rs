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

/// Names the store backend of the end-to-end relays ([`file_relay`]): `postgres` for a fresh
/// database of this test process's throw-away PostgreSQL cluster per relay, `sqlite` (or
/// unset) for the SQLite file in the relay's data folder.
pub const TEST_STORE_ENV: &str = "KIOSK_TEST_STORE";

/// The store backend an end-to-end relay runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The SQLite file in the relay's data folder: the relay's default.
    Sqlite,
    /// A fresh database of this test process's throw-away PostgreSQL cluster.
    Postgres,
}

impl Backend {
    /// The backend [`TEST_STORE_ENV`] names; SQLite when it is unset. Panics on any other
    /// value, so a misspelt name never runs the tests on the wrong backend unnoticed.
    pub fn from_env() -> Backend {
        match std::env::var(TEST_STORE_ENV) {
            Err(std::env::VarError::NotPresent) => Backend::Sqlite,
            Ok(name) if name.is_empty() || name == "sqlite" => Backend::Sqlite,
            Ok(name) if name == "postgres" => Backend::Postgres,
            Ok(other) => panic!("{TEST_STORE_ENV}={other:?}: expected \"sqlite\" or \"postgres\""),
            Err(e) => panic!("{TEST_STORE_ENV}: {e}"),
        }
    }
}

/// A relay serving plain HTTP on loopback, with the demo event stored, its keys in a
/// temporary folder, and its store in that folder (SQLite) or in a fresh PostgreSQL
/// database ([`TEST_STORE_ENV`]).
#[derive(Debug)]
pub struct FileRelay {
    /// The relay's data folder (keys, and the SQLite store); tests may put other files here.
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn kiosk_sync_server::storage::RelayStore>,
    /// The same store, when it is the SQLite file: for what only that backend has (backup
    /// and restore of the file).
    sqlite: Option<Arc<kiosk_sync_server::storage::SqliteStore>>,
    /// The PostgreSQL database's URL, when the store is there.
    pub database_url: Option<String>,
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

    /// The backend this relay's store runs on.
    pub fn backend(&self) -> Backend {
        match self.sqlite {
            Some(_) => Backend::Sqlite,
            None => Backend::Postgres,
        }
    }

    /// The SQLite store, for a test that is SQLite-only by nature (it backs up or reads the
    /// file) and so started its relay with [`file_relay_on`]`(Backend::Sqlite)`.
    pub fn sqlite(&self) -> &Arc<kiosk_sync_server::storage::SqliteStore> {
        self.sqlite
            .as_ref()
            .expect("a SQLite-only test starts its relay with file_relay_on(Backend::Sqlite)")
    }
}

/// Starts a [`FileRelay`] on the backend [`TEST_STORE_ENV`] names.
pub async fn file_relay() -> FileRelay {
    file_relay_on(Backend::from_env()).await
}

/// Starts a [`FileRelay`] on `backend`.
pub async fn file_relay_on(backend: Backend) -> FileRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let DemoStore {
        store,
        sqlite,
        database_url,
        keys,
    } = demo_store(backend, dir.path()).await;
    let server = TestRelay::start(AppState::new(store.clone(), keys)).await;
    FileRelay {
        dir,
        store,
        sqlite,
        database_url,
        server,
    }
}

/// A relay's store with the demo event stored, and its keys.
#[derive(Debug)]
pub struct DemoStore {
    pub store: Arc<dyn kiosk_sync_server::storage::RelayStore>,
    /// The same store, when it is the SQLite file.
    pub sqlite: Option<Arc<kiosk_sync_server::storage::SqliteStore>>,
    /// The PostgreSQL database's URL, when the store is there.
    pub database_url: Option<String>,
    pub keys: kiosk_sync_server::keys::RelayKeys,
}

/// Opens a relay's store on `backend` (SQLite: `relay.sqlite3` in `data_dir`; PostgreSQL: a
/// fresh database of this process's test cluster), stores the demo event, and loads or
/// makes the relay's keys in `data_dir`.
pub async fn demo_store(backend: Backend, data_dir: &std::path::Path) -> DemoStore {
    let data = data_dir.to_owned();
    // The PostgreSQL client blocks (and would start a runtime inside this one): off the
    // async threads.
    tokio::task::spawn_blocking(move || {
        let keys = kiosk_sync_server::keys::RelayKeys::load_or_create(&data).expect("keys");
        let (store, sqlite, database_url): (Arc<dyn kiosk_sync_server::storage::RelayStore>, _, _) =
            match backend {
                Backend::Sqlite => {
                    let store = Arc::new(
                        kiosk_sync_server::storage::SqliteStore::open(&data.join("relay.sqlite3"))
                            .expect("store"),
                    );
                    (store.clone(), Some(store), None)
                }
                Backend::Postgres => {
                    let url =
                        kiosk_sync_server::storage::postgres::test_cluster::fresh_database_url();
                    let store = kiosk_sync_server::storage::PgStore::open(&url).expect("store");
                    // As a relay instance does once it has its keys (the relay's `main`).
                    store
                        .use_email_tags(kiosk_sync_server::storage::email_tag_secret(&keys.signing))
                        .expect("tags addresses");
                    (Arc::new(store), None, Some(url))
                }
            };
        kiosk_sync_server::store_demo_event(store.as_ref()).expect("demo event");
        DemoStore {
            store,
            sqlite,
            database_url,
            keys,
        }
    })
    .await
    .expect("store opened")
}

/// Runs `work` on a thread of its own, outside any async runtime: store calls block, and
/// the PostgreSQL client panics if it blocks inside a runtime. For setup steps that tests
/// call from async code.
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(work).join().expect("store work"))
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
    off_runtime(|| code_off_runtime(store, role, recruiter, uses, valid_ms))
}

fn code_off_runtime(
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
