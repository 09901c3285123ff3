//! `authbridge`: the admin command-line tool, against the same configuration as the functions
//! (`AUTHBRIDGE_TABLE` / `AUTHBRIDGE_BACKEND` for AWS, else the embedded file at
//! `AUTHBRIDGE_DB_PATH`).
//!
//! Tables for people by default, `--json` for scripts. An error prints `error: <message>` on
//! standard error and exits 1; a usage error exits 2.

use std::process::ExitCode;

use clap::Parser;

mod commands;
mod deployment;
mod error;
mod output;
mod secret_input;
mod views;

use commands::Command;
use output::Output;

/// Administer an authbridge deployment.
#[derive(Debug, Parser)]
#[command(
    name = "authbridge",
    version,
    about = "Administer an authbridge deployment"
)]
struct Cli {
    /// Print JSON (one document per command) instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command.run(&Output::new(cli.json)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Warnings from the shared crate go to standard error (never to standard output, which may be
/// JSON); `RUST_LOG` changes the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
