//! Every change the CLI makes is recorded (`audit::record`): an `admin.*` event, kept in the
//! journal under `admin` and delivered to the event bus and webhook. The actor is `cli:<user>`
//! (the operating system's user name); a command from the CLI has no network address.

use authbridge::events::AdminAction;

use super::Command;
use super::api_tokens::ApiTokensCommand;
use super::clients::ClientsCommand;
use super::keys::KeysCommand;
use super::secrets::SecretsCommand;
use super::tokens::TokensCommand;
use super::users::UsersCommand;
use super::wordpress::WordpressCommand;
use crate::deployment;

/// A change a command makes: what, and to what (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: AdminAction,
    pub target: String,
}

fn change(action: AdminAction, target: impl Into<String>) -> Option<Change> {
    Some(Change {
        action,
        target: target.into(),
    })
}

impl Command {
    /// The change this command makes; `None` for one that only reads.
    pub fn change(&self) -> Option<Change> {
        use AdminAction as A;
        match self {
            Command::Clients(command) => match command {
                ClientsCommand::Create(args) => change(A::ClientCreated, args.target()),
                ClientsCommand::Update(args) => change(A::ClientUpdated, args.target()),
                ClientsCommand::Enable { id } => change(A::ClientEnabled, id),
                ClientsCommand::Disable { id } => change(A::ClientDisabled, id),
                ClientsCommand::Delete { id, .. } => change(A::ClientDeleted, id),
                ClientsCommand::List | ClientsCommand::Show { .. } => None,
            },
            Command::Secrets(SecretsCommand::Set { name, .. }) => {
                change(A::SecretSet, name.to_string())
            }
            Command::Secrets(SecretsCommand::Rotate { name, .. }) => {
                change(A::SecretRotated, name.to_string())
            }
            Command::Secrets(SecretsCommand::Confirm { name }) => {
                change(A::SecretRotationConfirmed, name.to_string())
            }
            Command::Secrets(SecretsCommand::List | SecretsCommand::Status) => None,
            Command::Keys(command) => match command {
                KeysCommand::Rotate => change(A::KeyRotated, "token data key"),
                KeysCommand::Reseal { .. } => change(A::KeysResealed, "token records"),
                KeysCommand::Retire { number } => change(A::KeyRetired, number.to_string()),
                KeysCommand::Status => None,
            },
            Command::Wordpress(WordpressCommand::SetToken(_)) => {
                change(A::WordpressTokenSet, "wordpress token")
            }
            Command::ApiTokens(command) => match command {
                ApiTokensCommand::Create { name, .. } => {
                    change(A::ApiTokenCreated, name.to_string())
                }
                ApiTokensCommand::Scope { name, .. }
                | ApiTokensCommand::Allow { name, .. }
                | ApiTokensCommand::Deny { name, .. } => {
                    change(A::ApiTokenChanged, name.to_string())
                }
                ApiTokensCommand::Disable { name } => change(A::ApiTokenDisabled, name.to_string()),
                ApiTokensCommand::Enable { name } => change(A::ApiTokenEnabled, name.to_string()),
                ApiTokensCommand::Rotate { name } => change(A::ApiTokenRotated, name.to_string()),
                ApiTokensCommand::Delete { name } => change(A::ApiTokenDeleted, name.to_string()),
                ApiTokensCommand::List | ApiTokensCommand::Show { .. } => None,
            },
            Command::Users(command) => match command {
                UsersCommand::Create(args) => change(A::UserCreated, args.target()),
                UsersCommand::Disable { user } => change(A::UserDisabled, user.to_string()),
                UsersCommand::Enable { user } => change(A::UserEnabled, user.to_string()),
                UsersCommand::SetPassword { user, .. } => change(A::PasswordSet, user.to_string()),
                UsersCommand::Delete { user } => change(A::UserDeleted, user.to_string()),
                UsersCommand::Import { file } => {
                    change(A::UsersImported, file.display().to_string())
                }
                UsersCommand::GrantRole { user, role } => {
                    change(A::RoleGranted, format!("{user} {}", role.name()))
                }
                UsersCommand::RevokeRole { user, role } => {
                    change(A::RoleRevoked, format!("{user} {}", role.name()))
                }
                UsersCommand::List | UsersCommand::Show { .. } => None,
            },
            Command::Tokens(command) => match command {
                TokensCommand::Refresh { tag } => change(A::ConnectionRefreshed, tag.to_string()),
                TokensCommand::Delete { tag } => change(A::ConnectionDeleted, tag.to_string()),
                TokensCommand::Reindex => change(A::ConnectionsReindexed, "every connection"),
                TokensCommand::List { .. }
                | TokensCommand::Show { .. }
                | TokensCommand::Mail { .. } => None,
            },
            Command::Connect(args) => change(A::ConnectionStarted, args.target()),
            Command::Grant(args) => change(A::ConnectionStarted, args.target()),
            Command::Providers(_)
            | Command::Connections(_)
            | Command::Audit(_)
            | Command::Migration(_)
            | Command::CreateTable(_) => None,
        }
    }
}

/// Who runs the CLI: `cli:<user name>`, or `cli` when the system does not say.
pub fn actor() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .map_or_else(|| "cli".to_string(), |user| format!("cli:{user}"))
}

/// Records `change` (see the module's comment). A failure to record is logged, never fatal: the
/// change is made.
pub async fn record(change: Change) {
    match deployment::app().await {
        Ok(app) => {
            authbridge::audit::record(&app.events, &actor(), change.action, &change.target, None)
                .await
        }
        Err(e) => crate::output::note(&format!(
            "the change was not recorded in the audit trail: {e}"
        )),
    }
}
