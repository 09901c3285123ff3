//! A separate process asking for a fresh token: `refresh-worker TAG CALLERS` starts CALLERS
//! concurrent callers of one tag in this process and prints, per caller, the SHA-256 of the access
//! token it got (never the token). Used by the concurrency test, which starts several of these.
//! Configuration comes from the environment, as in a function.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use authbridge::domain::{Scope, Tag};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::refresh::{self, Refresher};
use authbridge::secrets::ExposeSecret;
use sha2::{Digest, Sha256};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(tag), Some(callers)) = (
        args.get(1).and_then(|t| Tag::parse(t).ok()),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: refresh-worker TAG CALLERS");
        return ExitCode::from(2);
    };
    let ctx = match OAuthContext::from_env().await {
        Ok(ctx) => Arc::new(ctx),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let refresher = Arc::new(Refresher::default());
    let calls = (0..callers).map(|_| {
        let (ctx, refresher, tag) = (ctx.clone(), refresher.clone(), tag.clone());
        tokio::spawn(async move {
            let answer_by = tokio::time::Instant::now() + Duration::from_secs(60);
            let start_by = refresh::start_by(&ctx, answer_by);
            refresher
                .fresh_token(&ctx, &tag, &Scope::everything(), start_by)
                .await
        })
    });
    let mut failed = false;
    for result in futures::future::join_all(calls).await {
        match result {
            Ok(Ok(token)) => {
                println!(
                    "{}",
                    hex::encode(Sha256::digest(
                        token.access_token.expose_secret().as_bytes()
                    ))
                );
            }
            Ok(Err(e)) => {
                eprintln!("error: {e}");
                failed = true;
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
