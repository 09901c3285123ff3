//! The command tree. Each group of subcommands lives in its own module with its arguments and its
//! handler; adding one (`users`, `api-tokens`) is a module, a variant here and a line in
//! [`Command::run`].

use clap::Subcommand;

use crate::error::CliError;
use crate::output::Output;

mod api_tokens;
mod audit;
mod audit_trail;
mod client_options;
mod clients;
mod connect;
mod connections;
mod create_table;
mod grant;
mod keys;
mod migration;
mod providers;
mod secrets;
mod tokens;
mod users;
mod wordpress;

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The provider definitions this deployment knows (shipped and AUTHBRIDGE_PROVIDERS_DIR).
    #[command(subcommand)]
    Providers(providers::ProvidersCommand),
    /// Register and administer OAuth clients; secrets go to the secret store and are never shown.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Makes an authorization-code flow and prints the one-time link a browser must open.
    Connect(connect::ConnectArgs),
    /// Runs a grant without a browser (client credentials, legacy password) and stores it.
    Grant(grant::GrantArgs),
    /// Stored OAuth tokens, always redacted.
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// Local users of the login bridge; passwords are stored only as hashes and never shown.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Bearer API tokens for server-to-server calls; a value is shown once, at creation.
    #[command(subcommand)]
    ApiTokens(api_tokens::ApiTokensCommand),
    /// Named secrets of the deployment: set a value, list the names (values are never shown).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// The WordPress login fallback: store the plugin's token.
    #[command(subcommand)]
    Wordpress(wordpress::WordpressCommand),
    /// The data keys that seal stored tokens: rotate, re-seal, status, retire (never shown).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Connections with their state (filters by status, provider, owner, tag prefix), and a
    /// connection's history.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// The journal: the changes administrators made (or, with --subject, a connection's or a
    /// user's history), newest first; kept 90 days.
    Audit(audit::AuditArgs),
    /// The WordPress migration: can the login fallback be switched off yet?
    #[command(subcommand)]
    Migration(migration::MigrationCommand),
    /// Creates the DynamoDB table (for the emulator or a stack without CloudFormation).
    CreateTable(create_table::CreateTableArgs),
}

impl Command {
    /// Runs the command and prints its result to `out`; a command that changed something is
    /// recorded in the audit trail ([`audit_trail`]), also when only part of it was done (an
    /// import with lines refused).
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let change = self.change();
        let result = self.perform(out).await;
        if let Some(change) = change
            && matches!(result, Ok(()) | Err(CliError::NotImported(_)))
        {
            audit_trail::record(change).await;
        }
        result
    }

    async fn perform(self, out: &Output) -> Result<(), CliError> {
        match self {
            Command::Providers(command) => command.run(out).await,
            Command::Clients(command) => command.run(out).await,
            Command::Connect(args) => args.run(out).await,
            Command::Grant(args) => args.run(out).await,
            Command::Tokens(command) => command.run(out).await,
            Command::Users(command) => command.run(out).await,
            Command::ApiTokens(command) => command.run(out).await,
            Command::Secrets(command) => command.run(out).await,
            Command::Wordpress(command) => command.run(out).await,
            Command::Keys(command) => command.run(out).await,
            Command::Connections(command) => command.run(out).await,
            Command::Audit(args) => args.run(out).await,
            Command::Migration(command) => command.run(out).await,
            Command::CreateTable(args) => args.run(out).await,
        }
    }
}
