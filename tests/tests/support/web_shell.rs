//! The web kiosk (`kiosk-web`, built into this package as `kiosk-web-e2e`) as its own
//! process, and a small HTTP/1.1 client over a plain TCP stream that sends exactly the bytes
//! and headers a test names (a foreign `Host`, a body that is not UTF-8), as a browser and an
//! attacker would.

// Shared by the fault tests and the submit benchmark; each uses a part.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `kiosk-web` process serving one data directory on loopback.
pub struct KioskWeb {
    child: Child,
    pub address: SocketAddr,
    pub data_dir: PathBuf,
}

impl KioskWeb {
    /// Starts `kiosk-web` on `data_dir` with `args` (`--listen` defaults to a free loopback
    /// port, `--sync-every-secs` to 5, the least), reading its address from the line it prints once it serves.
    pub fn start(data_dir: &Path, args: &[&str]) -> KioskWeb {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kiosk-web-e2e"));
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--log", "warn"]);
        if !args.contains(&"--sync-every-secs") {
            command.args(["--sync-every-secs", "5"]);
        }
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kiosk-web starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut address = None;
        // Bounded: it prints a line or two (an enrollment) before it serves.
        for _ in 0..20 {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.strip_prefix("Kiosk (web) on http://") {
                address = rest
                    .split('/')
                    .next()
                    .and_then(|text| text.parse::<SocketAddr>().ok());
                break;
            }
        }
        // Keep reading, so the shell never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let Some(address) = address else {
            let status = child.wait().expect("exits");
            panic!("kiosk-web printed no address ({status}); args {args:?}");
        };
        KioskWeb {
            child,
            address,
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the shell with SIGKILL (no shutdown of any kind) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A client of this shell, a new connection per request.
    pub fn client(&self) -> Client {
        Client::new(self.address, false)
    }

    /// The device store's file and its secrets' directory, as the shell names them.
    pub fn store_paths(data_dir: &Path) -> (String, String) {
        (
            data_dir.join("kiosk.sqlite3").display().to_string(),
            data_dir.join("kiosk.sqlite3.secrets").display().to_string(),
        )
    }

    /// Waits (bounded) until the welcome screen shows the event: enrolled, event installed,
    /// and the staff PIN ([`kiosk_tests::STAFF_PIN`]) chosen at `/staff` as staff would,
    /// since the visitor's screens wait for that.
    pub fn wait_until_ready(&self) {
        let client = self.client();
        let choose_pin = form_body(&[
            ("pin", kiosk_tests::STAFF_PIN),
            ("pin_again", kiosk_tests::STAFF_PIN),
            ("lang", "sv"),
        ]);
        for _ in 0..600 {
            match client.get("/") {
                Ok(answer) if answer.status == 200 => return,
                // Not enrolled yet, or no PIN: a PIN posted before enrollment, or again
                // once chosen, changes nothing.
                Ok(answer) if answer.status == 503 => {
                    let _ = client.post_form("/staff/pin", choose_pin.as_bytes());
                }
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the kiosk's welcome screen never became ready");
    }
}

impl Drop for KioskWeb {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
}

/// The largest answer head read.
const MAX_HEAD: usize = 64 * 1024;
/// The largest answer body read.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A minimal HTTP/1.1 client: a new connection per request, or one kept alive as a
/// browser keeps it (reopened if the server closed it while idle).
pub struct Client {
    address: SocketAddr,
    keep_alive: bool,
    stream: std::cell::RefCell<Option<TcpStream>>,
}

impl Client {
    pub fn new(address: SocketAddr, keep_alive: bool) -> Client {
        Client {
            address,
            keep_alive,
            stream: std::cell::RefCell::new(None),
        }
    }

    pub fn get(&self, path: &str) -> std::io::Result<Answer> {
        self.send("GET", path, &[], b"")
    }

    /// A form post as the shell's own page sends it (same origin).
    pub fn post_form(&self, path: &str, body: &[u8]) -> std::io::Result<Answer> {
        let origin = format!("http://{}", self.address);
        self.send(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &origin),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            body,
        )
    }

    /// Sends one request. `headers` may replace `Host`; `Content-Length` is always the
    /// body's.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Answer> {
        let mut request = format!("{method} {path} HTTP/1.1\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {}\r\n", self.address));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        let connection = if self.keep_alive {
            "keep-alive"
        } else {
            "close"
        };
        request.push_str(&format!(
            "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
            body.len()
        ));
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);

        let reused = self.stream.borrow().is_some();
        match self.exchange(&bytes) {
            Ok(answer) => Ok(answer),
            // A kept-alive connection the server closed while idle, before any answer:
            // what a browser retries on a new connection.
            Err(error) if reused && error.kind() == std::io::ErrorKind::ConnectionAborted => {
                self.exchange(&bytes)
            }
            Err(error) => Err(error),
        }
    }

    fn exchange(&self, request: &[u8]) -> std::io::Result<Answer> {
        let mut slot = self.stream.borrow_mut();
        let mut stream = match slot.take() {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect(self.address)?;
                stream.set_read_timeout(Some(Duration::from_secs(60)))?;
                stream.set_nodelay(true)?;
                stream
            }
        };
        if let Err(error) = stream.write_all(request) {
            return Err(aborted(error));
        }
        let (answer, reusable) = read_answer(&mut stream)?;
        if self.keep_alive && reusable {
            *slot = Some(stream);
        }
        Ok(answer)
    }
}

/// A connection that failed before any byte of an answer arrived.
fn aborted(error: std::io::Error) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, error)
}

/// Reads one answer; whether the connection may carry another.
fn read_answer(stream: &mut TcpStream) -> std::io::Result<(Answer, bool)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(std::io::Error::other("answer head too long"));
        }
        let read = match stream.read(&mut chunk) {
            Ok(read) => read,
            Err(error) if buffer.is_empty() => return Err(aborted(error)),
            Err(error) => return Err(error),
        };
        if read == 0 {
            let error = std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before the answer's head",
            );
            return Err(if buffer.is_empty() {
                aborted(error)
            } else {
                error
            });
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut rest = buffer[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let named = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let closes = named("connection").is_some_and(|v| v.contains("close"));
    let body = if let Some(length) = named("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| std::io::Error::other("bad content-length"))?;
        if length > MAX_BODY {
            return Err(std::io::Error::other("answer body too long"));
        }
        while rest.len() < length {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                return Err(std::io::Error::other("closed inside the answer's body"));
            }
            rest.extend_from_slice(&chunk[..read]);
        }
        rest.truncate(length);
        rest
    } else if named("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(stream, rest)?
    } else {
        Read::take(&mut *stream, MAX_BODY as u64).read_to_end(&mut rest)?;
        return Ok((
            Answer {
                status,
                headers,
                body: String::from_utf8_lossy(&rest).into_owned(),
            },
            false,
        ));
    };
    Ok((
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        },
        !closes,
    ))
}

fn read_chunked(stream: &mut TcpStream, mut raw: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut chunk = [0u8; 16 * 1024];
    let mut body = Vec::new();
    loop {
        while find(&raw, b"\r\n").is_none() {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                return Err(std::io::Error::other("closed inside a chunk"));
            }
            raw.extend_from_slice(&chunk[..read]);
        }
        let line_end = find(&raw, b"\r\n").expect("a line");
        let size_text = String::from_utf8_lossy(&raw[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| std::io::Error::other("bad chunk size"))?;
        if body.len() + size > MAX_BODY {
            return Err(std::io::Error::other("answer body too long"));
        }
        while raw.len() < line_end + 2 + size + 2 {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                return Err(std::io::Error::other("closed inside a chunk"));
            }
            raw.extend_from_slice(&chunk[..read]);
        }
        body.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw.drain(..line_end + 2 + size + 2);
        if size == 0 {
            return Ok(body);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        let mut out = String::new();
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    out.push(byte as char);
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{byte:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden control `name` on a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// The receipt code on a thank-you page.
pub fn receipt_code(html: &str) -> Option<String> {
    let start = html.find("class=\"receipt-code\"")?;
    let open = html[start..].find('>')? + start + 1;
    let close = html[open..].find('<')? + open;
    Some(html[open..close].trim().to_owned())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A visit on the form: its token and the form version its page carries.
#[derive(Debug, Clone)]
pub struct OpenVisit {
    pub token: String,
    pub form_version: String,
}

/// Starts a visit in `lang` (`sv`, `en`) as the welcome screen's button does, and reads the
/// form page it leads to.
pub fn start_visit(client: &Client, lang: &str) -> OpenVisit {
    let started = client
        .post_form("/start", form_body(&[("lang", lang)]).as_bytes())
        .expect("POST /start");
    assert_eq!(started.status, 303, "POST /start: {}", started.body);
    assert_eq!(started.location(), Some("/form"));
    let page = client.get("/form").expect("GET /form");
    assert_eq!(page.status, 200, "GET /form");
    OpenVisit {
        token: hidden_value(&page.body, "token").expect("the form's token"),
        form_version: hidden_value(&page.body, "form_version").expect("the form's version"),
    }
}

/// A complete, valid registration of the demo form, as the form page posts it.
pub fn registration(visit: &OpenVisit, given_name: &str, email: &str) -> String {
    form_body(&[
        ("token", &visit.token),
        ("form_version", &visit.form_version),
        ("given_name", given_name),
        ("family_name", "Lindqvist"),
        ("email", email),
        ("interests", "it-development"),
        ("interests", "databases"),
        ("locations", "stockholm"),
        ("education_level", "bachelor"),
        ("privacy_notice_acknowledged", "yes"),
        ("intent", "send"),
    ])
}

/// Posts `body` as the form and follows the redirect to the thank-you page, as a browser
/// does after the send button; the thank-you page's receipt code.
pub fn submit(client: &Client, body: &str) -> String {
    let posted = client
        .post_form("/form", body.as_bytes())
        .expect("POST /form");
    assert_eq!(posted.status, 303, "POST /form: {}", posted.body);
    assert_eq!(posted.location(), Some("/thanks"), "POST /form answered");
    let thanks = client.get("/thanks").expect("GET /thanks");
    assert_eq!(thanks.status, 200, "GET /thanks");
    receipt_code(&thanks.body).expect("a receipt code on the thank-you page")
}

/// The value of the attribute `name` (`data-receipt-code`) on the first element that has it.
pub fn attribute(html: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}
