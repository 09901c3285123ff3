//! The cold-start bench's floor: a hello-world `lambda_http` function as `lambda_http`'s examples
//! write it. `bench-cold-start` compares every function's init, invokes, size and memory with it.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(bench_floor::hello)).await
}
