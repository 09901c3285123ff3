//! The `login-authenticate` Lambda: wiring only; the handler is in `lib.rs`.
//!
//! `login-authenticate --measure-argon2 N` (never given on Lambda, which starts the bootstrap
//! without arguments) times N dummy Argon2id verifications the way a refused login runs them and
//! prints each in milliseconds, one a line: the hash's speed inside the binary as it ships
//! (`./infra/bench.sh argon2` compares it with the C reference implementation).

fn main() -> Result<(), lambda_http::Error> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--measure-argon2") {
        let n = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
        return authbridge::runtime::block_on(measure_argon2(n))?;
    }
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = login_authenticate::Context::from_env().await?;
        authbridge::http::serve::lambda(context, login_authenticate::handle).await
    })?
}

/// Times `n` dummy verifications, one after another, and prints each.
async fn measure_argon2(n: usize) -> Result<(), lambda_http::Error> {
    let password = authbridge::secrets::SecretString::from("not the dummy's password");
    for _ in 0..n {
        let started = std::time::Instant::now();
        authbridge::passwords::verify_dummy_blocking(&password).await?;
        println!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(())
}
