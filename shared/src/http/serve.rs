//! Running a handler under `lambda_http`: what every function's `main.rs` calls. Each request runs
//! inside a span with its request id and route and ends with one access line
//! ([`super::access_log`]).

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response, service_fn};

/// Serves `handler` with a context built once at cold start and shared by every invocation.
pub async fn lambda<C, F, Fut>(context: C, handler: F) -> Result<(), Error>
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    let context = Arc::new(context);
    lambda_http::run(service_fn(move |req: Request| {
        let info = super::access_log::RequestInfo::of(&req);
        let fut = handler(context.clone(), req);
        async move { Ok::<_, Error>(super::access_log::run(info, fut).await) }
    }))
    .await
}
