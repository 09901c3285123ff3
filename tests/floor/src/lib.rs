//! The cold-start bench's floors: the smallest `lambda_http` function, built with the same profile
//! and the same `lambda_http` and `tokio` features as the functions. `bench-floor` runs it the way
//! `lambda_http`'s examples do (`#[tokio::main]`, one worker thread per core) and is the floor the
//! goals compare with; `bench-floor-one-thread` runs it on one thread, as the functions do
//! (`authbridge::runtime`), and is shown beside it.

use lambda_http::{Body, Error, Request, Response};

/// Answers 200 with a short body, whatever the request.
pub async fn hello(_request: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::from("hello"))?)
}
