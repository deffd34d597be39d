//! `kiosk-sync-server`: runs the relay, and administers it until the HR console exists.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::enrollment::create_code;
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::storage::{RelayStore, SqliteStore};
use kiosk_sync_server::{AppState, now_ms, serve, shutdown_signal, store_demo_event};

#[derive(Parser)]
#[command(
    version,
    about = "The Kiosk relay: takes signed captures from enrolled tablets and keeps them for central HR"
)]
struct Cli {
    /// Where the relay keeps its database and keys (created if missing; keys are 0600).
    #[arg(
        long,
        env = "KIOSK_DATA_DIR",
        default_value = "kiosk-data",
        global = true
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay on loopback with the demo event, printing enrollment codes for a kiosk
    /// and for a staff tablet.
    Demo {
        /// Address to listen on. Plain HTTP is served only on loopback.
        #[arg(long, env = "KIOSK_LISTEN", default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
    },
    /// Run the relay.
    Serve {
        /// Address to listen on. Plain HTTP is served only on loopback unless
        /// --dev-plain-http is given (TLS for other addresses is not built yet).
        #[arg(long, env = "KIOSK_LISTEN", default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        /// Serve plain HTTP on a non-loopback address (development only).
        #[arg(long, env = "KIOSK_DEV_PLAIN_HTTP")]
        dev_plain_http: bool,
    },
    /// Create an enrollment code for an event.
    CreateCode {
        #[arg(long)]
        event: String,
        #[arg(long, value_enum, default_value_t = Role::Kiosk)]
        role: Role,
        /// The recruiter a staff tablet is bound to (required for staff codes).
        #[arg(long)]
        recruiter: Option<String>,
        /// How many tablets may enroll with the code.
        #[arg(long, default_value_t = 3)]
        uses: u32,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        valid_hours: i64,
    },
    /// Revoke a device: its later pushes are quarantined and it is told to wipe itself.
    Revoke {
        /// The device id (hex public key) as the device CLI prints it.
        #[arg(long)]
        device: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Kiosk,
    Staff,
}

impl From<Role> for EnrolledRole {
    fn from(role: Role) -> EnrolledRole {
        match role {
            Role::Kiosk => EnrolledRole::Kiosk,
            Role::Staff => EnrolledRole::Staff,
        }
    }
}

/// Prints `content` as a QR code a tablet's camera can read from the terminal.
fn print_qr(content: &str) {
    match qrcode::QrCode::new(content.as_bytes()) {
        Ok(code) => println!(
            "{}",
            code.render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build()
        ),
        Err(e) => println!("  (no QR code: {e})"),
    }
}

fn open(data_dir: &Path) -> Result<(Arc<SqliteStore>, RelayKeys), Box<dyn std::error::Error>> {
    let keys = RelayKeys::load_or_create(data_dir)?;
    let store = Arc::new(SqliteStore::open(&data_dir.join("relay.sqlite3"))?);
    Ok((store, keys))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (store, keys) = open(&cli.data_dir)?;
    match cli.command {
        Command::Demo { listen } => {
            if !listen.ip().is_loopback() {
                return Err("the demo serves plain HTTP on loopback only".into());
            }
            store_demo_event(store.as_ref())?;
            let now = now_ms();
            let week = now + 7 * 24 * 3_600_000;
            let event = kiosk_core::demo::DEMO_EVENT_ID;
            let kiosk = create_code(
                store.as_ref(),
                event,
                EnrolledRole::Kiosk,
                None,
                5,
                week,
                now,
            )?;
            let staff = create_code(
                store.as_ref(),
                event,
                EnrolledRole::Staff,
                Some("Demo Rekryterare".into()),
                2,
                week,
                now,
            )?;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let address = listener.local_addr()?;
            println!(
                "Kiosk relay (demo) on http://{address}, data in {}",
                cli.data_dir.display()
            );
            println!(
                "  relay sealing key id {}",
                keys.sealing.sealing_key().key_id
            );
            println!(
                "  enrollment code, kiosk (5 tablets, 7 days): {}",
                kiosk.display()
            );
            let key_id = &keys.sealing.sealing_key().key_id;
            print_qr(&format!(
                "kiosk-enroll:v1?relay=http://{address}&code={}&key={key_id}",
                kiosk.display()
            ));
            println!(
                "  enrollment code, staff (2 tablets, 7 days): {}",
                staff.display()
            );
            println!("  health:    http://{address}/healthz");
            println!("  demo form: http://{address}/v1/events/{event}/form");
            serve(listener, AppState::new(store, keys), shutdown_signal()).await?;
        }
        Command::Serve {
            listen,
            dev_plain_http,
        } => {
            if !listen.ip().is_loopback() && !dev_plain_http {
                return Err(
                    "plain HTTP is served on loopback only; TLS is not built yet, so a \
                            non-loopback address needs --dev-plain-http (development only)"
                        .into(),
                );
            }
            let listener = tokio::net::TcpListener::bind(listen).await?;
            println!("Kiosk relay on http://{}", listener.local_addr()?);
            serve(listener, AppState::new(store, keys), shutdown_signal()).await?;
        }
        Command::CreateCode {
            event,
            role,
            recruiter,
            uses,
            valid_hours,
        } => {
            let event_id =
                kiosk_core::ids::EventId::parse(&event).ok_or("--event is not an event id")?;
            if store.event(&event_id)?.is_none() {
                return Err(format!("no event {event} on this relay").into());
            }
            if matches!(role, Role::Staff) && recruiter.is_none() {
                return Err("a staff code is bound to a recruiter: give --recruiter".into());
            }
            let now = now_ms();
            let code = create_code(
                store.as_ref(),
                &event,
                role.into(),
                recruiter,
                uses,
                now + valid_hours * 3_600_000,
                now,
            )?;
            println!("{}", code.display());
        }
        Command::Revoke { device } => {
            let key: [u8; 32] = hex::decode(&device)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or("--device must be 64 hex digits")?;
            if store.revoke_device(&key, now_ms())? {
                println!("revoked {device}");
            } else {
                return Err("no such device, or already revoked".into());
            }
        }
    }
    Ok(())
}
