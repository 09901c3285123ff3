//! Capturing the process's log lines, for the tests that check what reaches the logs.
//!
//! A process has one log subscriber, so the log tests share one capture and take turns
//! ([`Captured::turn`]): each sees only the lines written during its own turn.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// What the log tests capture: everything at debug, but the test browser's own HTML parser and
/// cookie jar (they log what the browser handles; authbridge's own lines are all kept).
const FILTER: &str = "debug,html5ever=info,selectors=info,cookie_store=info";

static SHARED: OnceLock<Captured> = OnceLock::new();
static TURNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One log test's turn at the shared capture: the lines it writes, and no other test's.
pub struct Turn {
    /// The shared capture, emptied when the turn began.
    pub captured: Captured,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Every log line the process writes, once installed with [`Captured::install`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Waits for the other log tests to finish, then starts this one's turn: the functions' own
    /// log set-up (installed once per process), writing to an emptied capture.
    pub async fn turn() -> Turn {
        let turn = TURNS.lock().await;
        let captured = SHARED
            .get_or_init(|| {
                let captured = Captured::default();
                let writer = captured.clone();
                authbridge::telemetry::init_with(
                    FILTER.parse().expect("the log tests' filter parses"),
                    move || writer.clone(),
                );
                captured
            })
            .clone();
        captured.take();
        Turn {
            captured,
            _turn: turn,
        }
    }

    /// The lines written since the last `take`.
    pub fn take(&self) -> String {
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&std::mem::take(&mut *buffer)).into()
    }
}
