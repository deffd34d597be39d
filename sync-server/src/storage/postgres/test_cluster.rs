//! A throw-away PostgreSQL cluster for tests: one per test process, started on first use in
//! a temporary directory on a free loopback port, and a fresh empty database for each test
//! ([`fresh_database_url`]).
//!
//! PostgreSQL refuses to run as root, and tests here run as root: the cluster then runs as
//! `nobody`, which owns the temporary directory. Nothing in the process can run code at its
//! exit without `unsafe` (which the workspace denies), so a watchdog started with the
//! cluster, in a session of its own, waits for the test process to end (however it ends:
//! a pass, a panic, SIGKILL) and then stops the cluster (`pg_ctl stop -m immediate`) and
//! removes the directory. A test never depends on a server started by hand.
//!
//! Compiled for this crate's tests, and for other crates' tests and this crate's benches
//! with the `test-support` feature. Benches take [`durable_cluster`], which keeps
//! PostgreSQL's durability, so that their commits cost what a deployment's do.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where Debian keeps PostgreSQL's server programs, one folder per major version, off the
/// PATH.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";
/// Names the folder of the server programs, before the PATH is searched.
const PG_BIN_ENV: &str = "KIOSK_PG_BIN";

/// How long the cluster may take to accept connections once started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The files of the cluster's TLS, in its directory.
const CA_CERTIFICATE: &str = "ca.crt";
const SERVER_CERTIFICATE: &str = "server.crt";
const SERVER_KEY: &str = "server.key";

/// Ports tried before giving up (a port found free can be taken before the server binds it).
const START_ATTEMPTS: usize = 3;

/// The running cluster of this test process.
#[derive(Debug)]
pub struct TestCluster {
    port: u16,
    dir: PathBuf,
    databases: AtomicU64,
}

static CLUSTER: OnceLock<Result<TestCluster, String>> = OnceLock::new();
static DURABLE: OnceLock<Result<TestCluster, String>> = OnceLock::new();

/// The cluster of this test process, started on first use; panics with what is missing
/// when it cannot be started.
pub fn cluster() -> &'static TestCluster {
    match CLUSTER.get_or_init(|| TestCluster::start(false)) {
        Ok(cluster) => cluster,
        Err(why) => panic!("the test PostgreSQL cluster could not be started: {why}"),
    }
}

/// A second cluster of this process, started on first use, that keeps PostgreSQL's
/// durability (fsync, `synchronous_commit`, full page writes: every acknowledged commit
/// flushed, as a deployment runs it): for benches, whose figures must be of a durable
/// commit as the SQLite store's (`synchronous=FULL`) are.
pub fn durable_cluster() -> &'static TestCluster {
    match DURABLE.get_or_init(|| TestCluster::start(true)) {
        Ok(cluster) => cluster,
        Err(why) => panic!("the durable PostgreSQL cluster could not be started: {why}"),
    }
}

/// The URL of a new, empty database of this process's test cluster.
pub fn fresh_database_url() -> String {
    cluster().fresh_database_url()
}

impl TestCluster {
    /// The URL of database `name` of this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub fn fresh_database_url(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{n}");
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test cluster: {e}"));
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
        self.url(&name)
    }

    /// The directory holding the cluster's data, socket and log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cluster's server process id (its postmaster), for benches that measure its
    /// memory; `None` once it has stopped.
    pub fn server_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("data").join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    fn start(durable: bool) -> Result<TestCluster, String> {
        let bin = server_programs()?;
        let dir = std::env::temp_dir().join(format!(
            "kiosk-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let owner = unprivileged_owner()?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(|e| format!("handing {} to nobody: {e}", dir.display()))?;
        }
        // The watchdog first: from here on, whatever happens, the directory goes.
        start_watchdog(&bin, &dir)?;
        let data = dir.join("data");
        run(
            as_owner(Command::new(bin.join("initdb")), owner, &dir)
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]),
            "initdb",
        )?;
        write_certificates(&dir, owner)?;
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            // Throw-away data: no fsync, unless durable. Enough connections for tests
            // running in parallel, each with a small pool.
            let durability = if durable {
                "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
            } else {
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            };
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 {durability} \
                 -c max_connections=300 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                dir.display(),
                dir.join(SERVER_CERTIFICATE).display(),
                dir.join(SERVER_KEY).display(),
            );
            let started = run(
                as_owner(Command::new(bin.join("pg_ctl")), owner, &dir)
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(dir.join("server.log"))
                    .args(["-o", &options, "-w", "-t", "60", "start"]),
                "pg_ctl start",
            );
            match started {
                Ok(()) => {
                    let cluster = TestCluster {
                        port,
                        dir: dir.clone(),
                        databases: AtomicU64::new(0),
                    };
                    cluster.wait_until_ready()?;
                    return Ok(cluster);
                }
                Err(e) => last_error = e,
            }
        }
        Err(format!(
            "{last_error} (server log: {})",
            dir.join("server.log").display()
        ))
    }

    /// The CA certificate (PEM) that issued the server's certificate, for `localhost` and
    /// 127.0.0.1: the server also takes TLS connections (`sslmode=require&sslrootcert=…`).
    pub fn ca_certificate(&self) -> PathBuf {
        self.dir.join(CA_CERTIFICATE)
    }

    /// Polls until the server answers a query, for at most [`START_TIMEOUT`].
    fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let error = match postgres::Client::connect(&self.url("postgres"), postgres::NoTls) {
                Ok(mut client) => match client.simple_query("SELECT 1") {
                    Ok(_) => return Ok(()),
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "the test cluster did not accept connections within {START_TIMEOUT:?}: {error}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The directory of `initdb`, `pg_ctl` and `postgres`: `KIOSK_PG_BIN` (which the test
/// command sets), else the PATH's, else Debian's (`/usr/lib/postgresql/<major>/bin`, the
/// newest first).
fn server_programs() -> Result<PathBuf, String> {
    let programs = ["initdb", "pg_ctl", "postgres"];
    let mut candidates: Vec<PathBuf> = std::env::var_os(PG_BIN_ENV)
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    candidates.extend(debian.into_iter().map(|(_, dir)| dir));
    candidates
        .into_iter()
        .find(|dir| programs.iter().all(|p| dir.join(p).is_file()))
        .ok_or_else(|| {
            format!(
                "PostgreSQL's server programs ({}) are neither in {PG_BIN_ENV}, on the PATH nor \
                 under {DEBIAN_ROOT}/<major>/bin; install Debian's postgresql package \
                 (scripts/install-postgres-test-tools.sh does)",
                programs.join(", ")
            )
        })
}

/// `nobody`'s ids when this process runs as root (PostgreSQL refuses root); `None` when it
/// runs as an unprivileged user already.
fn unprivileged_owner() -> Result<Option<(u32, u32)>, String> {
    let uid = std::fs::metadata("/proc/self")
        .map_err(|e| format!("reading this process's user: {e}"))?
        .uid();
    if uid != 0 {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "nobody"])
            .output()
            .map_err(|e| format!("running id: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "running as root, and there is no user nobody to run PostgreSQL as".into())
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>, dir: &Path) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    command.current_dir(dir).env_remove("PGDATA");
    command
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} could not be run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("finding a free loopback port: {e}"))
}

/// Starts, in a session of its own (so a Ctrl-C to the test run does not end it first),
/// a shell that waits for this process to end, then stops the cluster and removes `dir`.
fn start_watchdog(bin: &Path, dir: &Path) -> Result<(), String> {
    let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ -f "$3/data/postmaster.pid" ]; then
  if [ "$(id -u)" = 0 ]; then
    runuser -u nobody -- "$2/pg_ctl" -D "$3/data" stop -m immediate >/dev/null 2>&1
  else
    "$2/pg_ctl" -D "$3/data" stop -m immediate >/dev/null 2>&1
  fi
fi
rm -rf "$3""#;
    Command::new("setsid")
        .args(["sh", "-c", script, "kiosk-pg-watchdog"])
        .arg(std::process::id().to_string())
        .arg(bin)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("starting the cluster's watchdog (setsid, sh): {e}"))
}

/// A private CA and a server certificate it issued for `localhost` and 127.0.0.1, written
/// into `dir`; the key readable by the server's user only, as PostgreSQL demands.
fn write_certificates(dir: &Path, owner: Option<(u32, u32)>) -> Result<(), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let failed = |e: rcgen::Error| format!("making the test cluster's certificates: {e}");
    let mut ca = CertificateParams::new(Vec::new()).map_err(failed)?;
    ca.distinguished_name
        .push(DnType::CommonName, "Kiosk test database CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca_certificate = ca.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(failed)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.use_authority_key_identifier_extension = true;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().map_err(failed)?;
    let server_certificate = server.signed_by(&server_key, &issuer).map_err(failed)?;
    let write = |name: &str, contents: String, mode: u32| -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("restricting {}: {e}", path.display()))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                .map_err(|e| format!("handing {} to nobody: {e}", path.display()))?;
        }
        Ok(())
    };
    write(CA_CERTIFICATE, ca_certificate.pem(), 0o644)?;
    write(SERVER_CERTIFICATE, server_certificate.pem(), 0o644)?;
    write(SERVER_KEY, server_key.serialize_pem(), 0o600)
}
