//! `authbridge`: the admin command-line tool, against the same configuration as the functions
//! (`AUTHBRIDGE_TABLE` / `AUTHBRIDGE_BACKEND` for AWS, else the embedded file at
//! `AUTHBRIDGE_DB_PATH`), or against a deployed stack's outputs with `--stack NAME`.
//!
//! Tables for people by default, `--json` for scripts. An error prints `error: <message>` on
//! standard error (with `--json`, `{"error": {"code": ..., "message": ...}}`) and exits 1; a usage
//! error exits 2. Nothing is coloured unless standard error is a terminal and `NO_COLOR` is unset.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

mod commands;
mod deployment;
mod error;
mod output;
mod secret_input;
mod stack;
mod views;

use commands::Command;
use error::CliError;
use output::Output;

/// Administer an authbridge deployment.
#[derive(Debug, Parser)]
#[command(
    name = "authbridge",
    version,
    about = "Administer an authbridge deployment"
)]
struct Cli {
    /// Print JSON (one document per command) instead of tables; errors too, on standard error.
    #[arg(long, global = true)]
    json: bool,
    /// Work against this deployed CloudFormation stack: its outputs give the table, the secret
    /// prefix and the URLs (variables set in the environment still win).
    #[arg(long, global = true, env = "AUTHBRIDGE_STACK", value_name = "NAME")]
    stack: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> ExitCode {
    let colour = colour_allowed();
    let cli = match parse(colour) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_logging(colour);
    output::notes_as_json(cli.json);
    match run(cli.command, cli.stack.as_deref(), &Output::new(cli.json)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, cli.json);
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, stack: Option<&str>, out: &Output) -> Result<(), CliError> {
    if let Some(name) = stack {
        deployment::use_stack(name).await?;
    }
    command.run(out).await
}

/// Prints a failed command's error on standard error: one line, or a JSON document with `--json`.
fn report(err: &CliError, json: bool) {
    if json {
        let document = serde_json::json!({
            "error": {"code": err.code(), "message": err.to_string()}
        });
        eprintln!("{document}");
    } else {
        eprintln!("error: {err}");
    }
}

/// The arguments, with clap's colours only where [`colour_allowed`].
fn parse(colour: bool) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let choice = if colour {
        clap::ColorChoice::Auto
    } else {
        clap::ColorChoice::Never
    };
    let matches = Cli::command().color(choice).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// A usage error (exit 2) or `--help` / `--version` (exit 0). With `--json` among the arguments a
/// usage error is a JSON document with the code `usage`.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    let json = std::env::args().any(|a| a == "--json");
    if json && !informational {
        let message = err.kind().as_str().unwrap_or("invalid usage");
        let detail = err.render().to_string();
        let first = detail
            .lines()
            .next()
            .unwrap_or(message)
            .trim_start_matches("error: ");
        eprintln!(
            "{}",
            serde_json::json!({"error": {"code": "usage", "message": first}})
        );
        return ExitCode::from(2);
    }
    let _ = err.print();
    ExitCode::from(if informational { 0 } else { 2 })
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
fn colour_allowed() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Warnings from the shared crate go to standard error (never to standard output, which may be
/// JSON); `RUST_LOG` changes the level. The AWS SDK's own warnings (which carry its debug text)
/// are left out unless `RUST_LOG` asks for them: failures reach the user as one-line errors.
fn init_logging(colour: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,aws_config=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .try_init();
}
