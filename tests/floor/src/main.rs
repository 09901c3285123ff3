//! The cold-start bench's floor: the smallest `lambda_http` function, built with the same profile
//! and the same `lambda_http` and `tokio` features as the functions. It answers 200 to any request;
//! `bench-cold-start` compares every function's init, invokes, size and memory with it.

use lambda_http::{Body, Error, Request, Response, service_fn};

/// Answers 200 with a short body, whatever the request.
async fn hello(_request: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::from("hello"))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(hello)).await
}
