//! The async runtime of a function process: tokio on one thread.
//!
//! Lambda gives a process one event at a time, so the worker threads of tokio's multi-thread
//! runtime (one per core) would only be started at every cold start and then wait: the cold-start
//! bench's two floors show their cost (README, "Cold start"). What runs beside a request still
//! does: Argon2 on its own pool of threads ([`crate::passwords`]), blocking work on tokio's
//! blocking threads, and I/O concurrently on this one.

use std::future::Future;

/// Runs a function's `main` to completion on a current-thread runtime with I/O and timers.
pub fn block_on<F: Future>(main: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(main))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn a_function_main_has_timers_and_io_on_its_one_thread() {
        let main_thread = std::thread::current().id();
        let answered = super::block_on(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let (connected, accepted) =
                tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
            connected?;
            accepted?;
            assert_eq!(std::thread::current().id(), main_thread, "no worker thread");
            Ok::<_, std::io::Error>(())
        })
        .expect("a runtime");
        assert!(answered.is_ok(), "{answered:?}");
    }
}
