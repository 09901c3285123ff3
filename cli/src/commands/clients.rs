//! `authbridge clients ...`: register and administer OAuth clients, as CiviCRM's
//! `OAuthClient.create/get/update/delete`. The secret goes to the secret store; no command prints
//! it, `show` only says whether one is stored, when it was set and whether a rotation is pending.
//! A new secret for a client that has one rotates it (`authbridge secrets confirm` ends it).

use authbridge::clients::{ClientAdmin, ClientAdminError, ClientChanges, NewClient};
use authbridge::domain::ClientId;
use clap::{Args, Subcommand};
use serde_json::json;

use super::client_options::{self, ClientOption};
use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::secret_input::{NewSecret, RequiredSecret};
use crate::views::ClientView;

/// The `clients` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Registers a client of a provider (`authbridge providers list` shows the names).
    Create(CreateArgs),
    /// Lists every client.
    List,
    /// Shows one client; the secret only as "(stored)", when it was set, and whether a rotation
    /// keeps the previous one usable.
    Show {
        /// The client's id (from `clients list`).
        id: String,
    },
    /// Changes a client; what is not given stays as it is. A new secret rotates a stored one: the
    /// previous stays usable until `secrets confirm <prefix>clients/<id>`.
    Update(UpdateArgs),
    /// Lets the client be used by the flows again.
    Enable {
        /// The client's id.
        id: String,
    },
    /// Stops the flows from using the client; its tokens and secret stay.
    Disable {
        /// The client's id.
        id: String,
    },
    /// Deletes a client and its secret; refused while it has token records, unless --with-tokens.
    Delete {
        /// The client's id.
        id: String,
        /// Also revoke (at the provider) and delete the client's token records.
        #[arg(long)]
        with_tokens: bool,
    },
}

/// Arguments of `clients create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The provider's name, e.g. ms-exchange.
    #[arg(long)]
    provider: String,
    /// The public client id registered at the provider.
    #[arg(long)]
    guid: String,
    #[command(flatten)]
    secret: RequiredSecret,
    /// Fills {{tenant}} in the provider's URLs (default: common).
    #[arg(long)]
    tenant: Option<String>,
    /// Overrides a provider option, e.g. --option 'scopes=["Mail.Read"]' (repeatable). The value is
    /// read as JSON when it is JSON, else as a string.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = client_options::parse)]
    options: Vec<ClientOption>,
}

/// Arguments of `clients update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The client's id.
    id: String,
    /// A new public client id.
    #[arg(long)]
    guid: Option<String>,
    /// A new tenant.
    #[arg(long, conflicts_with = "no_tenant")]
    tenant: Option<String>,
    /// Removes the tenant (the provider's default, common, applies).
    #[arg(long)]
    no_tenant: bool,
    /// Sets a provider option (repeatable). When any is given, the options given REPLACE all the
    /// client's options: repeat the ones to keep. Without --option the options stay as they are.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = client_options::parse)]
    options: Vec<ClientOption>,
    /// Removes all the client's option overrides.
    #[arg(long, conflicts_with = "options")]
    no_options: bool,
    #[command(flatten)]
    secret: NewSecret,
}

impl ClientsCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let providers = deployment::providers()?;
        if let ClientsCommand::Create(args) = &self {
            // Refuse an unknown provider before opening the store or reading a secret.
            if !providers.contains(&args.provider) {
                return Err(ClientAdminError::UnknownProvider(args.provider.clone()).into());
            }
        }
        let app = deployment::app().await?;
        let admin = ClientAdmin {
            app: &app,
            providers: &providers,
        };
        match self {
            ClientsCommand::Create(args) => create(&admin, args, out).await,
            ClientsCommand::List => list(&admin, out).await,
            ClientsCommand::Show { id } => show(&admin, &ClientAdmin::parse_id(&id)?, out).await,
            ClientsCommand::Update(args) => update(&admin, args, out).await,
            ClientsCommand::Enable { id } => {
                set_active(&admin, &ClientAdmin::parse_id(&id)?, true, out).await
            }
            ClientsCommand::Disable { id } => {
                set_active(&admin, &ClientAdmin::parse_id(&id)?, false, out).await
            }
            ClientsCommand::Delete { id, with_tokens } => {
                delete(&ClientAdmin::parse_id(&id)?, with_tokens, out).await
            }
        }
    }
}

async fn create(admin: &ClientAdmin<'_>, args: CreateArgs, out: &Output) -> Result<(), CliError> {
    let secret = args.secret.read()?;
    let client = admin
        .create(NewClient {
            provider: args.provider,
            guid: args.guid,
            secret: Some(secret),
            tenant: args.tenant,
            options: client_options::to_map(args.options),
        })
        .await?;
    out.record(&ClientView::new(client, Some(true)))
}

async fn list(admin: &ClientAdmin<'_>, out: &Output) -> Result<(), CliError> {
    let clients = admin.list_all().await?;
    let views: Vec<ClientView> = clients
        .into_iter()
        .map(|c| ClientView::new(c, None))
        .collect();
    out.list(&views)
}

async fn show(admin: &ClientAdmin<'_>, id: &ClientId, out: &Output) -> Result<(), CliError> {
    let client = admin.get(id).await?;
    let secret = admin.secret_state(id).await?;
    out.record(&ClientView::with_secret(client, &secret))
}

async fn update(admin: &ClientAdmin<'_>, args: UpdateArgs, out: &Output) -> Result<(), CliError> {
    let tenant = match (args.tenant, args.no_tenant) {
        (Some(tenant), _) => Some(Some(tenant)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let options = match (args.options.is_empty(), args.no_options) {
        (false, _) => Some(client_options::to_map(args.options)),
        (true, true) => Some(Default::default()),
        (true, false) => None,
    };
    let changes = ClientChanges {
        guid: args.guid,
        secret: args.secret.read()?,
        tenant,
        options,
        is_active: None,
    };
    if changes.guid.is_none()
        && changes.secret.is_none()
        && changes.tenant.is_none()
        && changes.options.is_none()
    {
        return Err(CliError::NothingToUpdate);
    }
    let client = admin
        .update(&ClientAdmin::parse_id(&args.id)?, changes)
        .await?;
    out.record(&ClientView::new(client, None))
}

async fn set_active(
    admin: &ClientAdmin<'_>,
    id: &ClientId,
    active: bool,
    out: &Output,
) -> Result<(), CliError> {
    let changes = ClientChanges {
        is_active: Some(active),
        ..Default::default()
    };
    let client = admin.update(id, changes).await?;
    out.record(&ClientView::new(client, None))
}

async fn delete(id: &ClientId, with_tokens: bool, out: &Output) -> Result<(), CliError> {
    let ctx = deployment::oauth().await?;
    let tokens = authbridge::oauth::connections::delete_client(&ctx, id, with_tokens).await?;
    out.outcome(
        &json!({ "id": id, "deleted": true, "tokens_deleted": tokens }),
        &match tokens.len() {
            0 => format!("deleted client {id} and its secret"),
            n => format!(
                "deleted client {id}, its secret and {n} token record(s), revoked at the provider"
            ),
        },
    )
}

/// Whether the secret store holds a secret for `client` (the value is dropped unread).
impl CreateArgs {
    /// What the audit trail names: the provider and the client's public id.
    pub(super) fn target(&self) -> String {
        format!("{}/{}", self.provider, self.guid)
    }
}

impl UpdateArgs {
    /// What the audit trail names: the client's id.
    pub(super) fn target(&self) -> String {
        self.id.clone()
    }
}
