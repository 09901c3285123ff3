//! Running a handler under `lambda_http`: what every function's `main.rs` calls. Each request runs
//! inside a span with its request id and route and ends with one access line
//! ([`super::access_log`]), within the invocation's deadline ([`crate::deadline`]).

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};

/// Serves `handler` with a context built once at cold start and shared by every invocation.
pub async fn lambda<C, F, Fut>(context: C, handler: F) -> Result<(), Error>
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    let context = Arc::new(context);
    lambda_http::run(service_fn(move |req: Request| {
        let answer = invoke(context.clone(), &handler, req);
        async move { Ok::<_, Error>(answer.await) }
    }))
    .await
}

/// One invocation: `handler` answers `req` inside its span, within the deadline of the request's
/// Lambda context (none when it has no context, as on the local stack), and the access line is
/// logged.
pub fn invoke<C, F, Fut>(
    context: Arc<C>,
    handler: &F,
    req: Request,
) -> impl Future<Output = Response<Body>> + use<C, F, Fut>
where
    F: Fn(Arc<C>, Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let info = super::access_log::RequestInfo::of(&req);
    let deadline = req
        .lambda_context_ref()
        .and_then(|c| crate::deadline::from_system_time(c.deadline()));
    let response = handler(context, req);
    super::access_log::run(info, crate::deadline::within(deadline, response))
}
