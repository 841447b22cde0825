//! The real peers the service talks to in the tests: an S3 server that
//! checks signatures (s3s-fs), an SMTP server (aiosmtpd) and a webhook
//! receiver that verifies with the reference Standard Webhooks package.
//! Each runs as its own process on loopback and is killed when dropped.

use std::io::BufRead;
use std::time::Duration;

use serde_json::Value;

use super::{free_port, S3_KEY};

/// An s3s-fs process on loopback over a directory: a real S3 server that
/// checks signatures, expiry and signed headers.
pub struct S3sFs {
    pub endpoint: String,
    port: u16,
    root: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl S3sFs {
    pub fn start(root: std::path::PathBuf) -> Self {
        std::fs::create_dir_all(&root).unwrap();
        let port = free_port();
        let mut server = S3sFs { endpoint: format!("http://127.0.0.1:{port}"), port, root, child: None };
        server.restart();
        server
    }

    /// The directory it serves; multipart parts are files named `.upload_id-*`.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Starts it again on the same port and directory.
    pub fn restart(&mut self) {
        let bin = std::env::var("TEST_S3S_FS").unwrap_or_else(|_| "s3s-fs".into());
        let child = std::process::Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--access-key",
                S3_KEY,
                "--secret-key",
                S3_KEY,
            ])
            .arg(&self.root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin} (scripts/test installs it): {e}"));
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("s3s-fs did not listen on port {}", self.port);
    }

    /// Kills it, as a crash would.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        self.stop();
    }
}

/// aiosmtpd with its Mailbox handler, on a port chosen before it starts.
pub struct SmtpSink {
    pub port: u16,
    maildir: std::path::PathBuf,
    child: Option<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn new() -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        SmtpSink { port, maildir: dir.path().join("maildir"), child: None, _dir: dir }
    }

    pub fn start(&mut self) {
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port)])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .spawn()
            .expect("python3 runs aiosmtpd (scripts/test installs it)");
        self.child = Some(child);
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("aiosmtpd did not listen");
    }

    /// Every message received: its headers (lower-cased names) and body.
    pub fn messages(&self) -> Vec<(std::collections::HashMap<String, String>, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.maildir.join("new")).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap().replace("\r\n", "\n");
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            // Unfold continuation lines (RFC 5322 2.2.3) before splitting.
            let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
            let mut headers = std::collections::HashMap::new();
            for line in unfolded.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            out.push((headers, quoted_printable(body)));
        }
        out
    }

    pub async fn wait_for(&self, n: usize) -> Vec<(std::collections::HashMap<String, String>, String)> {
        let start = std::time::Instant::now();
        while self.messages().len() < n && start.elapsed() < Duration::from_secs(15) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The text of a quoted-printable body (RFC 2045 6.7).
fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        ) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The Python receiver on a free port; killed when dropped.
pub struct Receiver {
    child: std::process::Child,
    pub url: String,
    out: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    pub fn start(secret: &str, fail_first: u32) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("received.jsonl");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhook_receiver.py");
        let mut child = std::process::Command::new("python3")
            .args([script, &port.to_string(), secret, &fail_first.to_string()])
            .arg(&out)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the receiver (scripts/test installs standardwebhooks)");
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "the receiver started");
        Receiver { child, url: format!("http://127.0.0.1:{port}/hooks"), out, _dir: dir }
    }

    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 32 random bytes, for a webhook secret.
pub fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in ulid::Ulid::new().to_bytes().iter().chain(ulid::Ulid::new().to_bytes().iter()).enumerate() {
        bytes[i] = *b;
    }
    bytes
}
