//! The connections pages' reads and actions, through `authbridge::console::connections` (which
//! holds who may see and touch what): the table, one connection with its history, Connect and
//! Reconnect (an authorization-code flow whose one-time link the browser then follows), Revoke and Delete (the
//! grant released at the provider first). Each change is recorded for audit.

use std::collections::HashMap;

use authbridge::clients::ClientAdmin;
use authbridge::clock;
use authbridge::console::connections::{self as service, ConnectRequest};
use authbridge::console::{ConsoleError, SignedIn};
use authbridge::domain::{ConnectionStatus, Owner, Tag};
use authbridge::events::AdminAction;
use authbridge::oauth::connections::ConnectionSearch;
use authbridge::oauth::revocation::Released;
use authbridge::store::PageRequest;
use lambda_http::Request;
use maud::Markup;

use crate::form::{Form, parse_field};
use crate::pages::Nav;
use crate::pages::connections::{self as view, Filters};
use crate::{Answer, Context, Who};

/// Connections per page.
const PAGE: u32 = 25;
/// History entries on a connection's page.
const HISTORY: u32 = 50;

fn given(query: &HashMap<String, String>, name: &str) -> Option<String> {
    query
        .get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The filters of the query string; an unknown status is refused naming the field.
fn filters(query: &HashMap<String, String>) -> Result<Filters, ConsoleError> {
    let status = given(query, "status")
        .map(|s| {
            ConnectionStatus::parse(&s).ok_or_else(|| {
                ConsoleError::invalid(
                    "status",
                    "is one of active, refresh_failing, needs_reauthorization",
                )
            })
        })
        .transpose()?;
    Ok(Filters {
        status,
        provider: given(query, "provider"),
        owner: given(query, "owner")
            .map(|o| parse_field::<Owner>("owner", &o))
            .transpose()?,
        tag: given(query, "tag"),
        after: given(query, "after"),
    })
}

/// What a connection's page says after a change.
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "revoked" => Some("The connection's grant is revoked at the provider."),
        "revoked-failed" => Some(
            "The connection needs reauthorization now, but the provider refused to revoke its grant or could not be reached: it may still be live there; revoke it at the provider.",
        ),
        "deleted" => Some("The connection is deleted; its grant is revoked at the provider."),
        "deleted-kept" => Some(
            "The connection is deleted; its grant is kept at the provider, because another connection holds the same account.",
        ),
        "deleted-failed" => Some(
            "The connection is deleted, but the provider refused to revoke its grant or could not be reached: it may still be live there; revoke it at the provider.",
        ),
        "deleted-not" => Some(
            "The connection is deleted; the provider was not asked to revoke its grant (no revocation endpoint, or no token to revoke).",
        ),
        "revoked-not" => Some(
            "The connection needs reauthorization now; the provider was not asked to revoke (no revocation endpoint, or another connection holds the account).",
        ),
        _ => None,
    }
}

/// The table; needs `connections:own` or `connections:all`.
pub async fn list(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    let query = authbridge::http::request::query(req);
    let filters = filters(&query)?;
    let search = ConnectionSearch {
        owner: filters.owner.clone(),
        status: filters.status,
        provider: filters.provider.clone(),
        tag_prefix: filters.tag.clone(),
    };
    let page = PageRequest {
        limit: PAGE,
        after: filters.after.clone(),
    };
    let found = service::list(&context.oauth, signed, &search, &page).await?;
    let clients = if nav.may(authbridge::domain::Permission::Connect) {
        ClientAdmin {
            app: &context.oauth.app,
            providers: &context.oauth.providers,
        }
        .list_all()
        .await?
    } else {
        Vec::new()
    };
    Ok(view::list(
        nav,
        notice(query.get("done").map(String::as_str)),
        &found,
        &filters,
        &context.oauth.providers.list(),
        &clients,
        clock::now(),
    ))
}

/// One connection's page (`connections/show?tag=...`) with its history.
pub async fn show(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    let query = authbridge::http::request::query(req);
    let tag = given(&query, "tag").ok_or(ConsoleError::NotFound("connection"))?;
    let tag: Tag = parse_field("tag", &tag)?;
    let connection = service::get(&context.oauth, signed, &tag).await?;
    let history =
        service::history(&context.oauth, signed, &tag, &PageRequest::first(HISTORY)).await?;
    Ok(view::connection(
        nav,
        &connection,
        &history.items,
        notice(query.get("done").map(String::as_str)),
        clock::now(),
    ))
}

/// Starts a flow and answers the page with its one-time link: Connect (`replace` false) or Reconnect (the
/// connection's own client and tag, `replace` true).
pub async fn connect(
    context: &Context,
    req: &Request,
    who: &Who<'_>,
    form: &Form,
    nav: &Nav<'_>,
    replace: bool,
) -> Result<Answer, ConsoleError> {
    let request = if replace {
        let tag: Tag = form.typed("tag")?;
        let existing = service::get(&context.oauth, who.signed, &tag).await?;
        ConnectRequest {
            client: existing.client,
            tag: Some(existing.tag),
            owner: existing.owner,
            replace: true,
        }
    } else {
        ConnectRequest {
            client: form.typed("client")?,
            tag: form.typed_optional("tag")?,
            owner: form.typed_optional("owner")?,
            replace: false,
        }
    };
    let urls = context
        .oauth
        .settings
        .flow_urls(req.uri())
        .ok_or(ConsoleError::NotFound("public URL"))?;
    let started =
        service::connect(&context.oauth, who.signed, request, &urls, clock::now()).await?;
    let action = if replace {
        AdminAction::ConnectionReplaced
    } else {
        AdminAction::ConnectionStarted
    };
    who.record(context, action, started.tag.as_str()).await;
    // A page with the link, not a redirect: the console's `form-action 'self'` would stop a form
    // submission redirected on to the provider. No-store, as the link works once.
    Ok(Answer::Secret(view::started(nav, &started)))
}

/// Revokes a connection's grant at the provider and keeps it, needing reauthorization; a refusal
/// from the provider is said on the connection's page.
pub async fn revoke(context: &Context, who: &Who<'_>, form: &Form) -> Result<Answer, ConsoleError> {
    let tag: Tag = form.typed("tag")?;
    let released = service::revoke(&context.oauth, who.signed, &tag, clock::now()).await?;
    who.record(context, AdminAction::ConnectionRevoked, tag.as_str())
        .await;
    let done = match released {
        Released::Revoked(_) => "revoked",
        Released::Failed { .. } => "revoked-failed",
        _ => "revoked-not",
    };
    Ok(Answer::SeeOther(format!(
        "connections/show?tag={}&done={done}",
        crate::pages::encode(tag.as_str())
    )))
}

/// Deletes a connection by the one rule (`authbridge::oauth::connections::delete_connection`):
/// its grant revoked at the provider first, then the record deleted whatever the provider
/// answered; the table then says what became of the grant.
pub async fn delete(context: &Context, who: &Who<'_>, form: &Form) -> Result<Answer, ConsoleError> {
    let tag: Tag = form.typed("tag")?;
    let released = service::delete(&context.oauth, who.signed, &tag).await?;
    who.record(context, AdminAction::ConnectionDeleted, tag.as_str())
        .await;
    let done = match released {
        Released::Revoked(_) => "deleted",
        Released::Kept { .. } => "deleted-kept",
        Released::Failed { .. } => "deleted-failed",
        Released::NotRevoked => "deleted-not",
    };
    Ok(Answer::SeeOther(format!("connections?done={done}")))
}
