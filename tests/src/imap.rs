//! A minimal IMAP client for the XOAUTH2 tests (RFC 9051 over plain TCP, loopback only): enough to
//! log in with `AUTHENTICATE XOAUTH2` (SASL-IR, RFC 4959) and look at a mailbox. The server is the
//! test command's Dovecot (`infra/dovecot/setup.sh`), at `AUTHBRIDGE_TEST_IMAP`.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::server_endpoint;

/// The test IMAP server's `host:port`; `None` (or a panic under the test command) when missing.
pub fn endpoint() -> Option<String> {
    server_endpoint("AUTHBRIDGE_TEST_IMAP", "the IMAP server (Dovecot)")
}

/// The outcome of one tagged command: the untagged lines before it and the tagged status line.
#[derive(Debug)]
pub struct Reply {
    pub untagged: Vec<String>,
    /// `OK`, `NO` or `BAD`, and the rest of the line.
    pub status: String,
}

impl Reply {
    /// Whether the command completed with `OK`.
    pub fn ok(&self) -> bool {
        self.status.starts_with("OK")
    }
}

/// One IMAP connection.
pub struct Imap {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next: u32,
}

impl Imap {
    /// Connects to `endpoint` and reads the greeting.
    pub async fn connect(endpoint: &str) -> Imap {
        let stream = TcpStream::connect(endpoint)
            .await
            .unwrap_or_else(|e| panic!("connecting to the IMAP server at {endpoint}: {e}"));
        let (read, writer) = stream.into_split();
        let mut imap = Imap {
            reader: BufReader::new(read),
            writer,
            next: 1,
        };
        let greeting = imap.line().await;
        assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
        imap
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .await
            .expect("reading from the IMAP server");
        assert!(n > 0, "the IMAP server closed the connection");
        line.trim_end_matches(['\r', '\n']).to_string()
    }

    /// Sends `command` with a fresh tag and reads up to its tagged answer. A continuation request
    /// (`+ ...`, e.g. the XOAUTH2 error challenge) is answered with an empty line, as RFC 7628
    /// §3.2.3 has a client do after a failure.
    pub async fn command(&mut self, command: &str) -> Reply {
        let tag = format!("a{}", self.next);
        self.next += 1;
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .expect("writing to the IMAP server");
        let mut untagged = Vec::new();
        loop {
            let line = self.line().await;
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                return Reply {
                    untagged,
                    status: status.to_string(),
                };
            }
            if line.starts_with('+') {
                self.writer
                    .write_all(b"\r\n")
                    .await
                    .expect("writing to the IMAP server");
                continue;
            }
            untagged.push(line);
        }
    }

    /// `AUTHENTICATE XOAUTH2` with the initial response `xoauth2` (base64, as authbridge gives it).
    pub async fn authenticate_xoauth2(&mut self, xoauth2: &str) -> Reply {
        self.command(&format!("AUTHENTICATE XOAUTH2 {xoauth2}"))
            .await
    }
}

/// Whether `xoauth2` logs in at `endpoint`; when it does, also that the INBOX can be listed and
/// selected (the session is a real one, not just an accepted handshake).
pub async fn logs_in_and_lists_inbox(endpoint: &str, xoauth2: &str) -> bool {
    let mut imap = Imap::connect(endpoint).await;
    let auth = imap.authenticate_xoauth2(xoauth2).await;
    if !auth.ok() {
        return false;
    }
    let list = imap.command("LIST \"\" \"*\"").await;
    assert!(list.ok(), "LIST: {list:?}");
    assert!(
        list.untagged
            .iter()
            .any(|l| l.starts_with("* LIST") && l.ends_with("INBOX")),
        "the INBOX is listed: {list:?}"
    );
    let select = imap.command("SELECT INBOX").await;
    assert!(select.ok(), "SELECT INBOX: {select:?}");
    assert!(
        select.untagged.iter().any(|l| l.ends_with("EXISTS")),
        "{select:?}"
    );
    let logout = imap.command("LOGOUT").await;
    assert!(logout.ok(), "LOGOUT: {logout:?}");
    true
}
