//! `authbridge api-tokens ...`: bearer tokens for server-to-server calls. A token's value is
//! printed once, by `create`; only its SHA-256 is stored. A new token may call no endpoint until
//! one is allowed.

use authbridge::api_tokens;
use authbridge::domain::{Endpoint, IpRestriction};
use authbridge::secrets::ExposeSecret;
use clap::Subcommand;
use serde_json::json;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::views::ApiTokenView;

fn endpoint(raw: &str) -> Result<Endpoint, String> {
    raw.parse()
}

/// The `api-tokens` subcommands.
#[derive(Debug, Subcommand)]
pub enum ApiTokensCommand {
    /// Creates a token and prints its value once.
    Create {
        /// A unique name, e.g. the calling site.
        name: String,
        /// An endpoint it may call: oauth-start, oauth-token, tokens, sync-user (repeatable).
        #[arg(long = "allow", value_parser = endpoint)]
        allow: Vec<Endpoint>,
        /// An address or CIDR range it may come from (repeatable); anywhere when absent.
        #[arg(long = "ip")]
        ip: Vec<String>,
    },
    /// Lists the tokens (never their values).
    List,
    /// Allows a token to call more endpoints.
    Allow {
        name: String,
        #[arg(value_parser = endpoint, required = true)]
        endpoints: Vec<Endpoint>,
    },
    /// Takes endpoints away from a token.
    Deny {
        name: String,
        #[arg(value_parser = endpoint, required = true)]
        endpoints: Vec<Endpoint>,
    },
    /// Stops a token from working.
    Disable { name: String },
    /// Lets a disabled token work again.
    Enable { name: String },
    /// Deletes a token.
    Delete { name: String },
    /// Shows one token (never its value).
    Show { name: String },
    /// Gives a token a new value (shown once) and stops the old one; name, endpoints and
    /// addresses stay.
    Rotate { name: String },
}

impl ApiTokensCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let app = deployment::app().await?;
        let store = app.stores.api_tokens.as_ref();
        match self {
            ApiTokensCommand::Create { name, allow, ip } => {
                let restriction = IpRestriction::parse(&ip.join(",")).map_err(CliError::Invalid)?;
                let (token, value) =
                    api_tokens::create(store, &name, dedup(allow), restriction).await?;
                out.record(&ApiTokenView::new(
                    &token,
                    Some(value.expose_secret().to_string()),
                ))
            }
            ApiTokensCommand::List => {
                let tokens = api_tokens::list_all(store).await?;
                let views: Vec<_> = tokens.iter().map(|t| ApiTokenView::new(t, None)).collect();
                out.list(&views)
            }
            ApiTokensCommand::Allow { name, endpoints } => {
                let token = api_tokens::update(store, &name, |t| {
                    t.endpoints = dedup(t.endpoints.iter().chain(&endpoints).copied().collect());
                })
                .await?;
                out.record(&ApiTokenView::new(&token, None))
            }
            ApiTokensCommand::Deny { name, endpoints } => {
                let token = api_tokens::update(store, &name, |t| {
                    t.endpoints.retain(|e| !endpoints.contains(e));
                })
                .await?;
                out.record(&ApiTokenView::new(&token, None))
            }
            ApiTokensCommand::Disable { name } => {
                let token = api_tokens::update(store, &name, |t| t.active = false).await?;
                out.record(&ApiTokenView::new(&token, None))
            }
            ApiTokensCommand::Enable { name } => {
                let token = api_tokens::update(store, &name, |t| t.active = true).await?;
                out.record(&ApiTokenView::new(&token, None))
            }
            ApiTokensCommand::Show { name } => out.record(&ApiTokenView::new(
                &api_tokens::find(store, &name).await?,
                None,
            )),
            ApiTokensCommand::Rotate { name } => {
                let (token, value) = api_tokens::rotate(store, &name).await?;
                out.record(&ApiTokenView::new(
                    &token,
                    Some(value.expose_secret().to_string()),
                ))
            }
            ApiTokensCommand::Delete { name } => {
                api_tokens::delete(store, &name).await?;
                out.outcome(
                    &json!({"name": name, "deleted": true}),
                    &format!("deleted API token {name}"),
                )
            }
        }
    }
}

fn dedup(mut endpoints: Vec<Endpoint>) -> Vec<Endpoint> {
    let mut seen = Vec::new();
    endpoints.retain(|e| {
        let new = !seen.contains(e);
        seen.push(*e);
        new
    });
    endpoints
}
