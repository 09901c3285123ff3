//! `authbridge secrets ...`: named secrets in the deployment's secret store (Secrets Manager, or
//! the embedded file for the local stack). Values go in only (`set`); `list` shows names, never a
//! value.

use authbridge::secrets::SecretString;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::secret_input::read_value;

/// The `secrets` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Creates or replaces the secret NAME (the full secret id, e.g. `authbridge/wordpress-token`).
    Set {
        /// The secret id.
        name: String,
        #[command(flatten)]
        value: ValueArgs,
    },
    /// Lists the names of the secrets under AUTHBRIDGE_SECRET_PREFIX (never their values).
    List,
}

/// Exactly one way of giving the value.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ValueArgs {
    /// Read the value from the first line of standard input (preferred).
    #[arg(long)]
    value_stdin: bool,
    /// The value; visible in shell history and `ps`, so prefer --value-stdin.
    #[arg(long, value_name = "VALUE", value_parser = parse_value)]
    value: Option<SecretString>,
}

fn parse_value(raw: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(raw))
}

impl ValueArgs {
    fn read(self) -> Result<SecretString, CliError> {
        read_value(self.value_stdin, self.value, "secret value")?.ok_or(CliError::EmptySecret)
    }
}

/// What `secrets set` reports.
#[derive(Debug, Serialize)]
pub struct Stored<'a> {
    pub name: &'a str,
    pub stored: bool,
}

/// Writes `value` under `name` and says so (the value is never printed).
pub async fn store(out: &Output, name: &str, value: SecretString) -> Result<(), CliError> {
    let app = deployment::app().await?;
    app.secrets.put_secret(name, &value).await?;
    out.outcome(
        &Stored { name, stored: true },
        &format!("stored secret {name}"),
    )
}

impl SecretsCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            SecretsCommand::Set { name, value } => store(out, &name, value.read()?).await,
            SecretsCommand::List => {
                let app = deployment::app().await?;
                let names = app.secrets.list_secrets(&app.config.secret_prefix).await?;
                let text = if names.is_empty() {
                    format!("no secrets under {:?}", app.config.secret_prefix)
                } else {
                    names.join("\n")
                };
                out.outcome(&names, &text)
            }
        }
    }
}
