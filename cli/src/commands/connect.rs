//! `authbridge connect CLIENT ...`: makes an authorization-code flow as an operator, the way an
//! application does with `POST /oauth/start`, and prints the one-time link a browser must open
//! (CiviCRM's `OAuthClient.authorizationCode` answers the same `url`).

use authbridge::clock;
use authbridge::oauth::flow::{self, Initiator, StartRequest};
use clap::Args;
use serde_json::json;

use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, rfc3339};

/// Arguments of `connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The client's id (from `clients list`).
    client: String,
    /// The tag to store the connection under (default: client:<id>).
    #[arg(long)]
    tag: Option<String>,
    /// Scopes, comma-separated (default: the provider's).
    #[arg(long, value_delimiter = ',')]
    scopes: Vec<String>,
    /// Where the browser lands afterwards (must be on AUTHBRIDGE_LANDING_ALLOWLIST).
    #[arg(long)]
    landing_url: Option<String>,
    /// Replace the connection stored under the tag; its old grant is revoked at the provider.
    #[arg(long)]
    replace: bool,
    /// Seconds the link stays usable (default 600, at most 3600).
    #[arg(long)]
    ttl: Option<u64>,
    /// Whose connection this is, in your terms (e.g. contact:42); `tokens list --owner` finds it.
    #[arg(long)]
    owner: Option<String>,
    /// A connection parameter of the provider, NAME=VALUE (e.g. shop=acme for Shopify);
    /// repeat for each (`providers show` lists them).
    #[arg(long = "connection", value_name = "NAME=VALUE", value_parser = connection_value)]
    connection: Vec<(String, String)>,
}

/// Reads a `--connection NAME=VALUE`.
pub(super) fn connection_value(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("{raw:?} is not NAME=VALUE")),
    }
}

impl ConnectArgs {
    /// Runs the command.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let ctx = deployment::oauth().await?;
        let urls = ctx
            .settings
            .configured_flow_urls()
            .ok_or(CliError::NoPublicUrl)?;
        let started = flow::start(
            &ctx,
            StartRequest {
                client: self.client,
                scopes: (!self.scopes.is_empty()).then_some(self.scopes),
                landing_url: self.landing_url,
                tag: self.tag,
                prompt: None,
                ttl: self.ttl,
                replace: self.replace,
                owner: self.owner,
                connection: self.connection.into_iter().collect(),
            },
            &urls,
            &Initiator::cli(),
            clock::now(),
        )
        .await?;
        out.outcome(
            &json!({"url": started.url.as_str(), "expires_at": started.expires_at, "tag": started.tag}),
            &format!(
                "{}\n\nOpen this link once, in the browser that should sign in, before {} (connection {}).",
                started.url,
                rfc3339(started.expires_at),
                started.tag
            ),
        )
    }
}

impl ConnectArgs {
    /// What the audit trail names: the client, and the tag when one was given.
    pub(super) fn target(&self) -> String {
        match &self.tag {
            Some(tag) => format!("{} {tag}", self.client),
            None => self.client.clone(),
        }
    }
}
