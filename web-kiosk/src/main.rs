//! `kiosk-web`: the visitor's kiosk in a browser, on loopback. Open the address it prints in
//! a browser (in kiosk mode on a desk PC); staff set it up at `/staff`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use kiosk_ffi::types::DeviceRole;
use kiosk_web::config::{self, Config};
use kiosk_web::state::Shell;

/// The visitor's kiosk in a browser: serves the kiosk's screens on loopback over one device
/// store, and syncs with the relay between visitors.
#[derive(Debug, Parser)]
#[command(name = "kiosk-web", version)]
struct Cli {
    /// Where to listen. Loopback only, unless --allow-non-loopback.
    #[arg(long, env = "KIOSK_WEB_LISTEN", default_value = "127.0.0.1:8710")]
    listen: SocketAddr,
    /// Serve on a non-loopback address anyway (the screens hold visitors' personal data:
    /// put TLS and a firewall in front).
    #[arg(long)]
    allow_non_loopback: bool,
    /// With --allow-non-loopback behind a TLS front: the host (and port, if not 443) that
    /// browsers reach the kiosk by; requests naming another host are refused.
    #[arg(long, requires = "allow_non_loopback")]
    public_host: Option<String>,
    /// The kiosk's data directory: its device store and the store's key.
    #[arg(long, env = "KIOSK_WEB_DATA_DIR", default_value = "./kiosk-web-data")]
    data_dir: PathBuf,
    /// The relay's address (kept in the data directory for later starts). An enrollment QR
    /// text pasted at /staff sets it too.
    #[arg(long, env = "KIOSK_RELAY_URL")]
    relay: Option<String>,
    /// PEM file of the CA that issued the relay's certificate, if not a public one.
    #[arg(long)]
    relay_ca: Option<PathBuf>,
    /// Background sync runs at most this often (seconds).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=3600))]
    sync_every_secs: u64,
    /// Create the store as a staff tablet's (a recruiter's), not a kiosk's.
    #[arg(long)]
    staff_tablet: bool,
    /// Log filter (`info`, `kiosk_web=debug`); never personal data at any level.
    #[arg(long, env = "KIOSK_LOG", default_value = "info")]
    log: String,
    /// Enroll with this code, or an enrollment QR code's text, before serving (staff can
    /// also do it at /staff). Ignored once the kiosk is enrolled.
    #[arg(long)]
    enroll: Option<String>,
    /// For the crash test only: wait this long between a capture and its answer.
    #[arg(long, hide = true)]
    test_pause_after_capture_ms: Option<u64>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut config = Config::new(cli.data_dir);
    config.listen = cli.listen;
    config.allow_non_loopback = cli.allow_non_loopback;
    config.public_host = cli.public_host;
    config.sync_every = Duration::from_secs(cli.sync_every_secs);
    config.pause_after_capture = cli.test_pause_after_capture_ms.map(Duration::from_millis);
    config.relay_roots_pem = match &cli.relay_ca {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| format!("cannot read the relay's CA {}: {e}", path.display()))?,
        ),
        None => None,
    };
    config.relay_url = cli.relay.or_else(|| config::saved_relay_url(&config));
    config.check().map_err(|e| e.to_string())?;
    if !config.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %config.listen,
            "serving the kiosk beyond loopback: anyone who reaches this address sees the visitor's screen"
        );
    }
    let role = if cli.staff_tablet {
        DeviceRole::Staff
    } else {
        DeviceRole::Kiosk
    };
    let device = kiosk_web::open_device(&config, role)?;
    if let Some(url) = &config.relay_url {
        config::save_relay_url(&config, url)
            .map_err(|e| format!("cannot save the relay's address: {e}"))?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    // The port actually bound (`:0` picks one): the Host guard accepts only this address.
    config.listen = address;
    let shell = Arc::new(Shell::new(device, config));
    if let Some(text) = &cli.enroll {
        enroll_at_start(&shell, text).await?;
    }
    println!("Kiosk (web) on http://{address}/  (staff: http://{address}/staff)");
    kiosk_web::serve(listener, shell, shutdown_signal())
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Enrolls before serving, unless the kiosk is enrolled already.
async fn enroll_at_start(shell: &Arc<Shell>, text: &str) -> Result<(), String> {
    use kiosk_web::enrollment::{EnrollError, enroll, parse};
    if kiosk_web::staff::is_enrolled(shell) {
        println!("already enrolled; --enroll ignored");
        return Ok(());
    }
    let input = parse(text).map_err(|e| format!("--enroll: {e}"))?;
    match enroll(shell, input).await {
        Ok(enrollment) => {
            println!(
                "enrolled for the event {} (until {} ms)",
                enrollment.event_id, enrollment.expires_at_ms
            );
            Ok(())
        }
        Err(EnrollError::NoRelay) => {
            Err("--enroll needs the relay's address: --relay, or a QR text that names it".into())
        }
        Err(EnrollError::Kiosk(error)) => Err(format!("enrollment failed: {}", error.texts().1)),
    }
}
