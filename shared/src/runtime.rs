//! The async runtime of a function process: tokio on one thread.
//!
//! Lambda gives a process one event at a time, so the worker threads of tokio's multi-thread
//! runtime (one per core) would only be started at every cold start and then wait: the cold-start
//! bench's two floors show their cost (`docs/book/src/benchmarks.md`, "Cold start"). What runs
//! beside a request still does: Argon2 on its own pool of threads ([`crate::passwords`]), blocking
//! work on tokio's blocking threads, and I/O concurrently on this one.
//!
//! Also the serving of invocations that are not HTTP requests (EventBridge's schedule): HTTP
//! functions are served by the HTTP edge (`http::serve::lambda`).

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use tracing::Instrument;

/// Runs a function's `main` to completion on a current-thread runtime with I/O and timers.
pub fn block_on<F: Future>(main: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(main))
}

/// Serves `handler` for events of type `E` with a context built once at cold start. Each
/// invocation runs inside a span with its request id and `route`, as a request does
/// (the HTTP edge's `access_log`), within its deadline ([`crate::deadline`]), which it is also
/// given.
pub async fn serve_events<C, E, R, F, Fut>(
    context: C,
    route: &'static str,
    handler: F,
) -> Result<(), lambda_http::Error>
where
    C: Send + Sync + 'static,
    E: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(Arc<C>, E, SystemTime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let context = Arc::new(context);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| {
        let span = tracing::info_span!("request", request_id = %event.context.request_id, route);
        let deadline = event.context.deadline();
        let answer = crate::deadline::within(
            crate::deadline::from_system_time(deadline),
            handler(context.clone(), event.payload, deadline),
        );
        async move { Ok::<_, lambda_http::Error>(answer.await) }.instrument(span)
    }))
    .await
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
