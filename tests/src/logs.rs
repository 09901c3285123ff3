//! Capturing the process's log lines, for the tests that check what reaches the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

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
    /// Installs the functions' own log set-up with `filter`, writing here. Once per process.
    pub fn install(filter: &str) -> Self {
        let captured = Captured::default();
        let writer = captured.clone();
        authbridge::telemetry::init_with(tracing_subscriber::EnvFilter::new(filter), move || {
            writer.clone()
        });
        captured
    }

    /// The lines written since the last `take`.
    pub fn take(&self) -> String {
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&std::mem::take(&mut *buffer)).into()
    }
}
