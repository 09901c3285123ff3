//! The floor on one thread (tokio's current-thread runtime), as the functions run: shown beside
//! the floor, so that the runtime's share of a cold start can be told from authbridge's own.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(bench_floor::hello)).await
}
