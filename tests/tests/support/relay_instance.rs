//! A relay instance (`kiosk-sync-server serve`, built into this package as
//! `kiosk-sync-server-e2e`) as its own process on a PostgreSQL database: started on a data
//! folder and a loopback address, waited for until it answers, killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long an instance may take to bind, migrate and answer its readiness route.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `serve` process.
pub struct RelayInstance {
    child: Child,
    pub address: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
}

impl RelayInstance {
    /// Starts `serve` on `data_dir` and `database_url`, listening on `listen`
    /// (`127.0.0.1:0` for a free port), and returns once it answers `/readyz`.
    pub fn start(data_dir: &Path, database_url: &str, listen: &str) -> RelayInstance {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--database-url", database_url])
            .args(["serve", "--listen", listen])
            .env("KIOSK_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the relay starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        // "Kiosk relay on http://127.0.0.1:PORT, data in …", printed once it is bound.
        // Bounded: it is the first line `serve` prints; the loop ends when the process does.
        let mut address = None;
        for _ in 0..50 {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("Kiosk relay on http://") {
                address = rest.split(',').next().and_then(|a| a.parse().ok());
                break;
            }
        }
        // Keep reading, so the relay never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let Some(address) = address else {
            let status = child.wait().expect("exits");
            panic!(
                "the relay on {} did not start ({status})",
                data_dir.display()
            );
        };
        let instance = RelayInstance {
            child,
            address,
            data_dir: data_dir.to_owned(),
            database_url: database_url.to_owned(),
        };
        instance.wait_until_ready();
        instance
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Polls `/readyz` until it answers 200, for at most [`START_TIMEOUT`].
    pub fn wait_until_ready(&self) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .new_agent();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(response) = agent.get(&format!("{}/readyz", self.url())).call()
                && response.status().as_u16() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the relay at {} was not ready within {START_TIMEOUT:?}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and waits until it is gone.
    pub fn kill(mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("exits");
    }

    /// Asks the process to stop (SIGTERM) and returns how it exited.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
        self.child.wait().expect("exits")
    }

    /// Runs an admin command of the relay on this instance's data folder and database.
    pub fn admin(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kiosk-sync-server-e2e"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url])
            .args(args)
            .env("KIOSK_LOG", "error")
            .output()
            .expect("the relay command runs")
    }
}

impl Drop for RelayInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
