//! The users pages' reads and actions, through the service the CLI uses (`authbridge::users`):
//! search, disable, enable, set a password (which ends the user's sessions), grant and revoke
//! roles; each needs `users`, and each change is recorded for audit.

use authbridge::clock;
use authbridge::console::{ConsoleError, SignedIn};
use authbridge::domain::{Permission, Role, User};
use authbridge::events::AdminAction;
use authbridge::store::PageRequest;
use authbridge::users::{UserAdmin, UserAdminError, UserRef, UserSearch};
use lambda_http::Request;
use maud::Markup;

use crate::form::{Form, parse_field};
use crate::pages::Nav;
use crate::pages::users as view;
use crate::{Answer, Context, Who};

/// Users per page.
const PAGE: u32 = 50;

fn admin(context: &Context) -> UserAdmin<'_> {
    UserAdmin::of(&context.oauth.app)
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "enabled" => Some("The user is enabled."),
        "disabled" => Some("The user is disabled; their sessions have ended."),
        "password" => Some("The password is set; the user's sessions have ended."),
        "granted" => Some("The role is granted."),
        "revoked" => Some("The role is revoked; the user's console sessions with it have ended."),
        _ => None,
    }
}

/// The search, or a page of every user.
pub async fn list(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Users)?;
    let query = authbridge::http::request::query(req);
    let search = query.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    let after = query.get("after").cloned();
    let (users, next) = match search {
        Some(q) => {
            let q: UserSearch = parse_field("q", q)?;
            (admin(context).search(&q).await?.into_iter().collect(), None)
        }
        None => {
            let page = admin(context)
                .page(&PageRequest {
                    limit: PAGE,
                    after: after.clone(),
                })
                .await?;
            (page.items, page.next)
        }
    };
    Ok(view::list(
        nav,
        search,
        &users,
        after.as_deref(),
        next.as_deref(),
        clock::now(),
    ))
}

/// One user's page (`users/show?id=...`).
pub async fn show(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Users)?;
    let query = authbridge::http::request::query(req);
    let id = query.get("id").ok_or(ConsoleError::NotFound("user"))?;
    let user = admin(context).find(&parse_field("id", id)?).await?;
    Ok(view::user(
        nav,
        &user,
        notice(query.get("done").map(String::as_str)),
        clock::now(),
    ))
}

/// What the change was made to, as the audit trail names it: the user's e-mail address.
fn back(user: &User, done: &str) -> Answer {
    Answer::SeeOther(format!(
        "users/show?id={}&done={done}",
        crate::pages::encode(user.id.as_str())
    ))
}

/// The user a form names (`id`: an id, or an e-mail address).
fn id(form: &Form) -> Result<UserRef, ConsoleError> {
    form.typed("id")
}

/// Enables or disables a user (disabling ends their sessions).
pub async fn set_active(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
    active: bool,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Users)?;
    let user = admin(context).set_active(&id(form)?, active).await?;
    let (action, done) = if active {
        (AdminAction::UserEnabled, "enabled")
    } else {
        (AdminAction::UserDisabled, "disabled")
    };
    who.record(context, action, user.email.as_str()).await;
    Ok(back(&user, done))
}

/// Sets a user's password (ends their sessions).
pub async fn set_password(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Users)?;
    let password = form
        .secret("password")
        .ok_or_else(|| ConsoleError::invalid("password", "is required"))?;
    let user = admin(context).set_password(&id(form)?, &password).await?;
    who.record(context, AdminAction::PasswordSet, user.email.as_str())
        .await;
    Ok(back(&user, "password"))
}

/// Grants or revokes a console role.
pub async fn role(
    context: &Context,
    who: &Who<'_>,
    form: &Form,
    grant: bool,
) -> Result<Answer, ConsoleError> {
    who.signed.require(Permission::Users)?;
    let role: Role =
        form.require("role")?
            .parse()
            .map_err(|e: authbridge::domain::UnknownRole| {
                ConsoleError::invalid("role", e.to_string())
            })?;
    let admin = admin(context);
    let result: Result<User, UserAdminError> = if grant {
        admin.grant_role(&id(form)?, role).await
    } else {
        admin.revoke_role(&id(form)?, role).await
    };
    let user = result?;
    let (action, done) = if grant {
        (AdminAction::RoleGranted, "granted")
    } else {
        (AdminAction::RoleRevoked, "revoked")
    };
    who.record(context, action, &format!("{} {}", user.email, role.name()))
        .await;
    Ok(back(&user, done))
}
