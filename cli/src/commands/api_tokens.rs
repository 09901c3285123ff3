//! `authbridge api-tokens ...`: bearer tokens for server-to-server calls. A token's value is
//! printed once, by `create`; only its SHA-256 is stored. A new token may call no endpoint until
//! one is allowed, and touches only the connections its scope names (`--tags`, `--owners`,
//! `--clients`; `*` each when not given).

use authbridge::api_tokens;
use authbridge::domain::{ApiTokenName, Endpoint, IpRestriction, Patterns, Scope};
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

fn patterns(raw: &str) -> Result<Patterns, String> {
    Patterns::parse(raw).map_err(|e| e.to_string())
}

/// The scope options of `create` and `scope`: each names patterns (`*`, `prefix*` or an exact
/// value, comma-separated).
#[derive(Debug, clap::Args)]
pub struct ScopeArgs {
    /// Tags it may touch, e.g. `site-a:*` or `MailSettings:3` (default `*`).
    #[arg(long, value_parser = patterns)]
    tags: Option<Patterns>,
    /// Owners whose connections it may touch, e.g. `contact:*` (default `*`, which also reaches
    /// connections without an owner).
    #[arg(long, value_parser = patterns)]
    owners: Option<Patterns>,
    /// Clients whose connections it may touch, by internal id (default `*`).
    #[arg(long, value_parser = patterns)]
    clients: Option<Patterns>,
}

impl ScopeArgs {
    fn is_empty(&self) -> bool {
        self.tags.is_none() && self.owners.is_none() && self.clients.is_none()
    }
}

/// The `api-tokens` subcommands.
#[derive(Debug, Subcommand)]
pub enum ApiTokensCommand {
    /// Creates a token and prints its value once.
    Create {
        /// A unique name, e.g. the calling site.
        name: ApiTokenName,
        /// An endpoint it may call: oauth-start, oauth-token, tokens, connections, sync-user
        /// (repeatable).
        #[arg(long = "allow", value_parser = endpoint)]
        allow: Vec<Endpoint>,
        /// An address or CIDR range it may come from (repeatable); anywhere when absent.
        #[arg(long = "ip")]
        ip: Vec<String>,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Sets what a token may touch: the parts named change, the others stay.
    Scope {
        name: ApiTokenName,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// Lists the tokens (never their values).
    List,
    /// Allows a token to call more endpoints.
    Allow {
        name: ApiTokenName,
        #[arg(value_parser = endpoint, required = true)]
        endpoints: Vec<Endpoint>,
    },
    /// Takes endpoints away from a token.
    Deny {
        name: ApiTokenName,
        #[arg(value_parser = endpoint, required = true)]
        endpoints: Vec<Endpoint>,
    },
    /// Stops a token from working.
    Disable { name: ApiTokenName },
    /// Lets a disabled token work again.
    Enable { name: ApiTokenName },
    /// Deletes a token.
    Delete { name: ApiTokenName },
    /// Shows one token (never its value).
    Show { name: ApiTokenName },
    /// Gives a token a new value (shown once) and stops the old one; name, endpoints,
    /// addresses and scope stay.
    Rotate { name: ApiTokenName },
}

impl ApiTokensCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let app = deployment::app().await?;
        let store = app.stores.api_tokens.as_ref();
        match self {
            ApiTokensCommand::Create {
                name,
                allow,
                ip,
                scope,
            } => {
                let restriction = if ip.is_empty() {
                    IpRestriction::Any
                } else {
                    IpRestriction::parse(&ip.join(",")).map_err(CliError::Invalid)?
                };
                let scope = scope_of(&scope, &Scope::everything());
                let (token, value) =
                    api_tokens::create(store, &name, dedup(allow), restriction, scope).await?;
                out.record(&ApiTokenView::new(
                    &token,
                    Some(value.expose_secret().to_string()),
                ))
            }
            ApiTokensCommand::Scope { name, scope } => {
                if scope.is_empty() {
                    return Err(CliError::Invalid(
                        "name at least one of --tags, --owners, --clients".into(),
                    ));
                }
                let token =
                    api_tokens::update(store, &name, |t| t.scope = scope_of(&scope, &t.scope))
                        .await?;
                out.record(&ApiTokenView::new(&token, None))
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

/// `current` with the parts `args` names replaced.
fn scope_of(args: &ScopeArgs, current: &Scope) -> Scope {
    Scope {
        tags: args.tags.clone().unwrap_or_else(|| current.tags.clone()),
        owners: args
            .owners
            .clone()
            .unwrap_or_else(|| current.owners.clone()),
        clients: args
            .clients
            .clone()
            .unwrap_or_else(|| current.clients.clone()),
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
