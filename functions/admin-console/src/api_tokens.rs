//! The API tokens pages' reads and actions, through the service the CLI uses
//! (`authbridge::api_tokens`): list, create (the value shown once), narrow the scope, disable,
//! enable, delete; each needs `api-tokens`, and each change is recorded for audit.

use authbridge::api_tokens::ApiTokens;
use authbridge::clock;
use authbridge::console::{ConsoleError, SignedIn};
use authbridge::domain::{ApiTokenName, Endpoint, IpRestriction, Patterns, Permission, Scope};
use authbridge::events::AdminAction;
use authbridge::secrets::ExposeSecret;
use lambda_http::Request;
use maud::Markup;

use crate::form::{Form, parse_field};
use crate::pages::Nav;
use crate::pages::api_tokens as view;
use crate::{Answer, Context, Who};

fn tokens(context: &Context) -> ApiTokens<'_> {
    context.oauth.app.api_tokens()
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "scope" => Some("The scope is saved."),
        "enabled" => Some("The token is enabled."),
        "disabled" => Some("The token is disabled."),
        _ => None,
    }
}

/// The list and the create form.
pub async fn list(
    context: &Context,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::ApiTokens)?;
    let all = tokens(context).list_all().await?;
    Ok(view::list(nav, &all, clock::now()))
}

/// One token's page (`api-tokens/show?name=...`).
pub async fn show(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::ApiTokens)?;
    let query = authbridge::http::request::query(req);
    let name = query
        .get("name")
        .ok_or(ConsoleError::NotFound("API token"))?;
    let name: ApiTokenName = parse_field("name", name)?;
    let token = tokens(context).find(&name).await?;
    Ok(view::token(
        nav,
        &token,
        notice(query.get("done").map(String::as_str)),
        clock::now(),
    ))
}

fn patterns(form: &Form, field: &'static str) -> Result<Patterns, ConsoleError> {
    Patterns::parse(form.get(field).unwrap_or("*"))
        .map_err(|e| ConsoleError::invalid(field, e.to_string()))
}

fn scope(form: &Form) -> Result<Scope, ConsoleError> {
    Ok(Scope {
        tags: patterns(form, "tags")?,
        owners: patterns(form, "owners")?,
        clients: patterns(form, "clients")?,
    })
}

/// Creates a token and answers the one page with its value (no redirect: the value is never
/// stored, so no later page could show it).
pub async fn create(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
    nav: &Nav<'_>,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::ApiTokens)?;
    let name: ApiTokenName = form.typed("name")?;
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for raw in form.all("endpoint") {
        let endpoint: Endpoint = raw
            .parse()
            .map_err(|e: String| ConsoleError::invalid("endpoint", e))?;
        if !endpoints.contains(&endpoint) {
            endpoints.push(endpoint);
        }
    }
    let restriction = match form.get("addresses") {
        None => IpRestriction::Any,
        Some(raw) => {
            IpRestriction::parse(raw).map_err(|e| ConsoleError::invalid("addresses", e))?
        }
    };
    let (token, value) = tokens(context)
        .create(&name, endpoints, restriction, scope(form)?)
        .await?;
    who.record(context, AdminAction::ApiTokenCreated, token.name.as_str())
        .await;
    Ok(Answer::Secret(view::created(
        nav,
        &token,
        value.expose_secret(),
    )))
}

/// Sets a token's scope (narrowing it, or widening it again).
pub async fn set_scope(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::ApiTokens)?;
    let name: ApiTokenName = form.typed("name")?;
    let scope = scope(form)?;
    let token = tokens(context)
        .update(&name, |t| t.scope = scope.clone())
        .await?;
    who.record(context, AdminAction::ApiTokenChanged, token.name.as_str())
        .await;
    Ok(back(&token.name, "scope"))
}

/// Enables or disables a token.
pub async fn set_active(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
    active: bool,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::ApiTokens)?;
    let name: ApiTokenName = form.typed("name")?;
    let token = tokens(context).update(&name, |t| t.active = active).await?;
    let (action, done) = if active {
        (AdminAction::ApiTokenEnabled, "enabled")
    } else {
        (AdminAction::ApiTokenDisabled, "disabled")
    };
    who.record(context, action, token.name.as_str()).await;
    Ok(back(&token.name, done))
}

/// Deletes a token.
pub async fn delete(context: &Context, who: &Who<'_>, form: &Form) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::ApiTokens)?;
    let name: ApiTokenName = form.typed("name")?;
    tokens(context).delete(&name).await?;
    who.record(context, AdminAction::ApiTokenDeleted, name.as_str())
        .await;
    Ok(Answer::SeeOther("api-tokens".into()))
}

fn back(name: &ApiTokenName, done: &str) -> Answer {
    Answer::SeeOther(format!(
        "api-tokens/show?name={}&done={done}",
        crate::pages::encode(name.as_str())
    ))
}
