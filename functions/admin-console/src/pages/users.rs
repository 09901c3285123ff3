//! The users pages: the search and a page of users, and one user's page (disable or enable, set a
//! password, grant and revoke roles).

use authbridge::clock::Epoch;
use authbridge::domain::{Role, User, UserSource};
use maud::{Markup, html};

use super::{Nav, layout, notice, pager, relative};

fn user_link(nav: &Nav<'_>, user: &User) -> String {
    format!(
        "{}?id={}",
        nav.to("users/show"),
        super::encode(user.id.as_str())
    )
}

fn source(user: &User) -> &'static str {
    match user.source {
        UserSource::Local => "local",
        UserSource::Wordpress => "WordPress",
    }
}

fn roles(user: &User) -> String {
    if user.roles.is_empty() {
        return "—".into();
    }
    user.roles
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the search finds, said on the page: the stores find a user by a whole e-mail address,
/// WordPress login or id through unique keys; a part of one would need a scan of every user.
const SEARCH_HINT: &str =
    "Search by the full e-mail address, WordPress login or user id: a part of one finds nobody.";

/// The search form and the users found (one, or a page of all).
pub fn list(
    nav: &Nav<'_>,
    query: Option<&str>,
    users: &[User],
    after: Option<&str>,
    next: Option<&str>,
    now: Epoch,
) -> Markup {
    let body = html! {
        form #search method="get" action=(nav.to("users")) {
            label for="q" { "Full e-mail address, WordPress login or user id" }
            input #q type="search" name="q" value=(query.unwrap_or("")) aria-describedby="search-hint";
            button type="submit" { "Search" }
            p #search-hint .hint { (SEARCH_HINT) }
        }
        @if users.is_empty() {
            @if query.is_some() {
                p #no-users { "No user has this e-mail address, WordPress login or id (the search matches whole values only)." }
            } @else {
                p #no-users { "No users yet." }
            }
        } @else {
            table #users {
                thead {
                    tr {
                        th scope="col" { "E-mail" }
                        th scope="col" { "Source" }
                        th scope="col" { "Status" }
                        th scope="col" { "Roles" }
                        th scope="col" { "Last sign-in" }
                    }
                }
                tbody {
                    @for u in users {
                        tr data-user=(u.email) {
                            td { a href=(user_link(nav, u)) { (u.email) } }
                            td { (source(u)) }
                            td.status { @if u.active { "enabled" } @else { "disabled" } }
                            td.roles { (roles(u)) }
                            td { (u.current_sign_in_at.map_or("never".into(), |t| relative(t, now))) }
                        }
                    }
                }
            }
        }
        @if query.is_none() {
            (pager(nav, "users", "", after, next))
        }
    };
    layout(nav, "Users", body)
}

/// One user: what they are, and what may be changed.
pub fn user(nav: &Nav<'_>, u: &User, done: Option<&str>, now: Epoch) -> Markup {
    let id = u.id.as_str();
    let body = html! {
        (notice(done))
        dl #user {
            dt { "E-mail" } dd { (u.email) }
            dt { "Source" } dd { (source(u)) }
            dt { "Status" } dd #status { @if u.active { "enabled" } @else { "disabled" } }
            dt { "Console roles" } dd #roles { (roles(u)) }
            dt { "Last sign-in" } dd { (u.current_sign_in_at.map_or("never".into(), |t| relative(t, now))) }
        }
        div.actions {
            form method="post" action=(nav.to(if u.active { "users/disable" } else { "users/enable" })) {
                (nav.csrf())
                input type="hidden" name="id" value=(id);
                button #toggle type="submit" { @if u.active { "Disable" } @else { "Enable" } }
            }
        }
        h2 { "Roles" }
        div.actions {
            @for role in Role::ALL {
                @if u.roles.contains(&role) {
                    form method="post" action=(nav.to("users/revoke-role")) {
                        (nav.csrf())
                        input type="hidden" name="id" value=(id);
                        input type="hidden" name="role" value=(role.name());
                        button.danger type="submit" { "Revoke " (role.name()) }
                    }
                } @else {
                    form method="post" action=(nav.to("users/grant-role")) {
                        (nav.csrf())
                        input type="hidden" name="id" value=(id);
                        input type="hidden" name="role" value=(role.name());
                        button type="submit" { "Grant " (role.name()) }
                    }
                }
            }
        }
        h2 { "Set a password" }
        form #edit method="post" action=(nav.to("users/password")) {
            (nav.csrf())
            input type="hidden" name="id" value=(id);
            label for="password" { "New password (at least 8 characters; ends the user's sessions)" }
            input #password type="password" name="password" autocomplete="new-password" required;
            button type="submit" { "Set the password" }
        }
    };
    layout(nav, "User", body)
}
