//! The async runtime of a function process: tokio on one thread.
//!
//! Lambda gives a process one event at a time, so the worker threads of tokio's multi-thread
//! runtime (one per core) would only be started at every cold start and then wait: starting them
//! was about half a millisecond of a function's init (the `lambda_http` hello world, the
//! cold-start bench's floor, with `#[tokio::main]`: 2.28 ms; on one thread: 1.76 ms). What runs
//! beside a request still does: Argon2 on its own pool of threads ([`crate::passwords`]), blocking
//! work on tokio's blocking threads, and I/O concurrently on this one.

use std::future::Future;

/// Runs a function's `main` to completion on a current-thread runtime with I/O and timers.
pub fn block_on<F: Future>(main: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(main))
}
