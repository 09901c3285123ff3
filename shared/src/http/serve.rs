//! Running a handler under `lambda_http`: what every function's `main.rs` calls.

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
        let fut = handler(context.clone(), req);
        async move { Ok::<_, Error>(fut.await) }
    }))
    .await
}
