//! `authbridge secrets ...`: named secrets in the deployment's secret store (Secrets Manager, or
//! the embedded file for the local stack). Values go in only (`set`); `list` shows names, never a
//! value; `rotate` keeps the replaced value usable until `confirm`, and `status` shows when
//! each was last set.

use authbridge::secrets::{SecretString, rotation};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, rfc3339};
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
    /// Each secret under AUTHBRIDGE_SECRET_PREFIX: when it was last set, and whether a rotation is
    /// pending (never a value).
    Status,
    /// Sets a new value for NAME and keeps the one it replaces usable (client secrets, the
    /// WordPress token, the webhook key) until `secrets confirm NAME`.
    Rotate {
        /// The secret id.
        name: String,
        #[command(flatten)]
        value: ValueArgs,
    },
    /// Ends a rotation of NAME: only the new value is used from now on.
    Confirm {
        /// The secret id.
        name: String,
    },
}

/// One line of `secrets status`.
#[derive(Debug, Serialize)]
pub struct SecretRow {
    pub name: String,
    /// When the value was last set (RFC 3339), when the store knows.
    pub last_set: Option<String>,
    /// A rotation keeps the previous value usable until confirmed.
    pub rotation_pending: bool,
}

impl crate::output::Row for SecretRow {
    const HEADERS: &'static [&'static str] = &["name", "last set", "rotation pending"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            crate::output::or_none(self.last_set.as_deref()),
            crate::output::yes_no(self.rotation_pending),
        ]
    }
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
    refuse_token_key(&app, name).await?;
    app.secrets.put_secret(name, &value).await?;
    out.outcome(
        &Stored { name, stored: true },
        &format!("stored secret {name}"),
    )
}

/// Refuses to replace the token-key secret once it exists: it wraps the token data keys where
/// there is no KMS key, and opens the values sealed before key versions, so a new value would make
/// the stored tokens unreadable (the token keys rotate with `authbridge keys`). Creating it is allowed.
async fn refuse_token_key(
    app: &authbridge::context::AppContext,
    name: &str,
) -> Result<(), CliError> {
    if name == app.config.token_key_secret && app.secrets.get_secret(name).await?.is_some() {
        return Err(CliError::TokenKeySecret(name.to_string()));
    }
    Ok(())
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
            SecretsCommand::Status => {
                let app = deployment::app().await?;
                let secrets = app.secrets.as_ref();
                let mut rows = Vec::new();
                for name in secrets.list_secrets(&app.config.secret_prefix).await? {
                    if name.ends_with(rotation::PREVIOUS_SUFFIX) {
                        continue;
                    }
                    let pending = rotation::versions(secrets, &name)
                        .await?
                        .is_some_and(|v| v.previous.is_some());
                    rows.push(SecretRow {
                        last_set: secrets.changed_at(&name).await?.map(rfc3339),
                        rotation_pending: pending,
                        name,
                    });
                }
                out.list(&rows)
            }
            SecretsCommand::Rotate { name, value } => {
                let value = value.read()?;
                let app = deployment::app().await?;
                refuse_token_key(&app, &name).await?;
                rotation::rotate(app.secrets.as_ref(), &name, &value).await?;
                out.outcome(
                    &serde_json::json!({"name": name, "rotation_pending": true}),
                    &format!(
                        "stored a new value of {name}; the previous one stays usable until \
                         `authbridge secrets confirm {name}`"
                    ),
                )
            }
            SecretsCommand::Confirm { name } => {
                let app = deployment::app().await?;
                let ended = rotation::confirm(app.secrets.as_ref(), &name).await?;
                let text = if ended {
                    format!("{name}: only the new value is used from now on")
                } else {
                    format!("{name}: no rotation was pending")
                };
                out.outcome(
                    &serde_json::json!({"name": name, "confirmed": ended}),
                    &text,
                )
            }
        }
    }
}
