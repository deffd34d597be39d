//! `kiosk-sync-server`: runs the relay.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use kiosk_sync_server::{AppState, serve, shutdown_signal};

#[derive(Parser)]
#[command(version, about = "The Kiosk relay")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay on loopback with the demo event.
    Demo {
        /// Address to listen on. Only loopback is served over plain HTTP.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Demo { listen } => {
            if !listen.ip().is_loopback() {
                return Err(
                    "plain HTTP is only served on loopback (TLS arrives with enrollment)".into(),
                );
            }
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let address = listener.local_addr()?;
            println!("Kiosk relay (demo) on http://{address}");
            println!("  health:    http://{address}/healthz");
            println!(
                "  demo form: http://{address}/v1/events/{}/form",
                kiosk_core::demo::DEMO_EVENT_ID
            );
            serve(listener, AppState::demo(), shutdown_signal()).await?;
        }
    }
    Ok(())
}
