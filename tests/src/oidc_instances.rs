//! Extra instances of the test authorization server (`infra/oidc-server/server.mjs`, the same
//! server and clients as the test command's) with other access-token lifetimes
//! (`OIDC_ACCESS_TOKEN_TTL`): one per lifetime per test process, started on first use on a free
//! 127.0.0.1 port, and gone when the process ends (the server exits when its stdin pipe closes).
//!
//! They need Node.js and `infra/oidc-server/node_modules` (the test command runs `npm ci` there).
//! Under the test command a missing one fails the test; under plain `cargo test` it skips.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The started instances by lifetime; their stdin pipes stay open while the process lives.
static INSTANCES: Mutex<Option<HashMap<u64, (Child, String)>>> = Mutex::new(None);

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/oidc-server")
}

fn unavailable(why: String) -> Option<String> {
    if crate::servers_required() {
        panic!("{why}");
    }
    eprintln!("skipped: {why}; run the README's test command");
    None
}

/// The issuer of a test server whose access tokens live `lifetime` seconds, started if needed.
pub fn issuer_with_lifetime(lifetime: u64) -> Option<String> {
    let mut instances = INSTANCES.lock().unwrap_or_else(|e| e.into_inner());
    let instances = instances.get_or_insert_with(HashMap::new);
    if let Some((_, issuer)) = instances.get(&lifetime) {
        return Some(issuer.clone());
    }
    let dir = server_dir();
    if !dir.join("node_modules/oidc-provider").is_dir() {
        return unavailable(format!(
            "{} has no node_modules: run `npm ci` there (the test command does)",
            dir.display()
        ));
    }
    let port = match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => return unavailable(format!("no free port for an oidc-server: {e}")),
    };
    let log = std::env::temp_dir().join(format!("authbridge-oidc-{lifetime}s-{port}.log"));
    let (stdout, stderr) = match std::fs::File::create(&log).and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(files) => files,
        Err(e) => return unavailable(format!("cannot write {}: {e}", log.display())),
    };
    let child = Command::new("node")
        .arg(dir.join("server.mjs"))
        .arg(port.to_string())
        .env("OIDC_ACCESS_TOKEN_TTL", lifetime.to_string())
        .env("OIDC_CLIENTS_FILE", dir.join("clients.json"))
        .env("OIDC_EXIT_WITH_STDIN", "1")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return unavailable(format!("cannot start node for the oidc-server: {e}")),
    };
    let issuer = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("ready at") {
            break;
        }
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        if exited || started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            return unavailable(format!(
                "the oidc-server with {lifetime} s tokens did not start; its log: {text}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    instances.insert(lifetime, (child, issuer.clone()));
    Some(issuer)
}
