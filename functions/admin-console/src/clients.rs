//! The clients pages' actions, through the services the CLI uses (`authbridge::clients`,
//! `authbridge::oauth::connections`): register, edit (a new secret for a client that has one
//! rotates it: the previous one stays accepted until confirmed), confirm a secret's rotation,
//! enable, disable, delete (refused while the client holds connections). Each change is recorded
//! for audit.

use authbridge::clients::{ClientAdmin, ClientAdminError, ClientChanges, NewClient, SecretChange};
use authbridge::clock;
use authbridge::console::{ConsoleError, SignedIn};
use authbridge::domain::{ClientId, Permission};
use authbridge::events::AdminAction;
use authbridge::oauth::connections::delete_client;
use maud::Markup;

use crate::form::Form;
use crate::pages::Nav;
use crate::pages::clients::{self as view, ClientRow};
use crate::{Answer, Context, Who};

fn admin(context: &Context) -> ClientAdmin<'_> {
    ClientAdmin {
        app: &context.oauth.app,
        providers: &context.oauth.providers,
    }
}

/// What a client's page says after a change (a fixed text per change: nothing from the request is
/// echoed).
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "registered" => Some("The client is registered."),
        "saved" => Some("The changes are saved."),
        "rotated" => Some(
            "The changes are saved. The previous secret is still accepted until you confirm the new one.",
        ),
        "confirmed" => Some("The new secret is confirmed: the previous one is no longer accepted."),
        "unchanged" => Some("No rotation was pending: nothing changed."),
        "enabled" => Some("The client is enabled."),
        "disabled" => Some("The client is disabled."),
        _ => None,
    }
}

/// The list and the register form; needs `clients`.
pub async fn list(
    context: &Context,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Clients)?;
    let clients = admin(context).list_all().await?;
    let providers = context.oauth.providers.list();
    let rows: Vec<ClientRow> = clients
        .iter()
        .map(|client| ClientRow {
            client,
            provider_title: providers
                .iter()
                .find(|(name, _)| *name == client.provider)
                .map_or("(unknown provider)", |(_, title)| title),
        })
        .collect();
    Ok(view::list(nav, &rows, &providers))
}

/// The client a console path names (`clients/<id>`); a text that is no client id names no
/// client.
pub fn id_in_path(raw: &str) -> Result<ClientId, ConsoleError> {
    ClientId::parse(raw).map_err(|_| ConsoleError::NotFound("client"))
}

/// One client's page; needs `clients`.
pub async fn show(
    context: &Context,
    signed: &SignedIn,
    nav: &Nav<'_>,
    id: &ClientId,
    done: Option<&str>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Clients)?;
    let admin = admin(context);
    let client = admin.get(id).await.map_err(not_found)?;
    let secret = admin.secret_state(id).await.map_err(not_found)?;
    Ok(view::client(
        nav,
        &client,
        &secret,
        notice(done),
        clock::now(),
    ))
}

fn not_found(error: ClientAdminError) -> ConsoleError {
    match error {
        ClientAdminError::NotFound(_) => ConsoleError::NotFound("client"),
        other => other.into(),
    }
}

/// Registers a client; needs `clients`, and `client-secrets` when a secret is given.
pub async fn register(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Clients)?;
    let secret = form.secret("secret");
    if secret.is_some() {
        who.signed.require(Permission::ClientSecrets)?;
    }
    let provider = form.require("provider")?;
    let client = admin(context)
        .create(NewClient {
            provider: provider.to_string(),
            guid: form.require("guid")?.to_string(),
            secret,
            tenant: form.get("tenant").map(str::to_string),
            options: Default::default(),
        })
        .await?;
    let id = client.id.as_str();
    who.record(context, AdminAction::ClientCreated, id).await;
    if form.secret("secret").is_some() {
        who.record(context, AdminAction::SecretSet, id).await;
    }
    Ok(Answer::SeeOther(format!("clients/{id}?done=registered")))
}

/// Saves a client's public id and tenant, and a new secret when given (which needs
/// `client-secrets`; it rotates a stored one, refused while a rotation is pending); needs
/// `clients`.
pub async fn update(
    context: &Context,
    who: &Who<'_>,
    id: &ClientId,
    form: &Form,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Clients)?;
    let secret = form.secret("secret");
    if secret.is_some() {
        who.signed.require(Permission::ClientSecrets)?;
    }
    let changes = ClientChanges {
        guid: Some(form.require("guid")?.to_string()),
        secret,
        tenant: Some(form.get("tenant").map(str::to_string)),
        options: None,
        is_active: None,
    };
    let (client, secret) = admin(context)
        .update_reporting(id, changes)
        .await
        .map_err(not_found)?;
    let id = client.id.as_str();
    who.record(context, AdminAction::ClientUpdated, id).await;
    let done = match secret {
        None => "saved",
        Some(SecretChange::Set) => {
            who.record(context, AdminAction::SecretSet, id).await;
            "saved"
        }
        Some(SecretChange::Rotated) => {
            who.record(context, AdminAction::SecretRotated, id).await;
            "rotated"
        }
    };
    Ok(Answer::SeeOther(format!("clients/{id}?done={done}")))
}

/// Confirms a pending rotation of a client's secret: the previous one is no longer accepted;
/// needs `client-secrets`.
pub async fn confirm_secret(
    context: &Context,
    who: &Who<'_>,
    id: &ClientId,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Clients)?;
    who.signed.require(Permission::ClientSecrets)?;
    let confirmed = admin(context).confirm_secret(id).await.map_err(not_found)?;
    let id = id.as_str();
    if confirmed {
        who.record(context, AdminAction::SecretRotationConfirmed, id)
            .await;
    }
    let done = if confirmed { "confirmed" } else { "unchanged" };
    Ok(Answer::SeeOther(format!("clients/{id}?done={done}")))
}

/// Enables or disables a client; needs `clients`.
pub async fn set_active(
    context: &Context,
    who: &Who<'_>,
    id: &ClientId,
    active: bool,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Clients)?;
    let changes = ClientChanges {
        is_active: Some(active),
        ..Default::default()
    };
    let client = admin(context)
        .update(id, changes)
        .await
        .map_err(not_found)?;
    let (action, done) = if active {
        (AdminAction::ClientEnabled, "enabled")
    } else {
        (AdminAction::ClientDisabled, "disabled")
    };
    let id = client.id.as_str();
    who.record(context, action, id).await;
    Ok(Answer::SeeOther(format!("clients/{id}?done={done}")))
}

/// Deletes a client and its secret, refused while it holds connections; needs `clients`.
pub async fn delete(
    context: &Context,
    who: &Who<'_>,
    id: &ClientId,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Clients)?;
    delete_client(&context.oauth, id, false).await?;
    who.record(context, AdminAction::ClientDeleted, id.as_str())
        .await;
    Ok(Answer::SeeOther("clients".into()))
}
