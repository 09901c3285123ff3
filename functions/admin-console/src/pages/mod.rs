//! The console's pages: one layout, one stylesheet, no scripts; every value escaped by maud.
//! Forms post with the session's CSRF token in a hidden field and answer with a redirect.

pub mod api_tokens;
pub mod audit;
pub mod clients;
pub mod connections;
pub mod home;
pub mod migration;
pub mod providers;
pub mod sign_in;
pub mod users;
mod words;

pub use words::{at, relative};

use authbridge::console::SignedIn;
use authbridge::domain::{Permission, Role};
use maud::{DOCTYPE, Markup, html};

use crate::form::CSRF_FIELD;

/// Where the console lives (`/admin`, or `/<stage>/admin` under a public URL with a path), and
/// who is signed in.
pub struct Nav<'a> {
    pub base: &'a str,
    pub signed: Option<&'a SignedIn>,
}

impl Nav<'_> {
    /// The console path `rest` (`clients/c1`), or the home page for `""`.
    pub fn to(&self, rest: &str) -> String {
        if rest.is_empty() {
            self.base.to_string()
        } else {
            format!("{}/{rest}", self.base)
        }
    }

    /// Whether the signed-in user may `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.signed.is_some_and(|s| s.may(permission))
    }

    /// The hidden field with the session's CSRF token.
    pub fn csrf(&self) -> Markup {
        html! {
            @if let Some(signed) = self.signed {
                input type="hidden" name=(CSRF_FIELD) value=(signed.csrf.value());
            }
        }
    }
}

/// The console's pages in its menu, each with the permission it needs.
const MENU: [(&str, &str, &[Permission]); 7] = [
    ("providers", "Providers", &[Permission::Clients]),
    ("clients", "Clients", &[Permission::Clients]),
    (
        "connections",
        "Connections",
        &[Permission::ConnectionsOwn, Permission::ConnectionsAll],
    ),
    ("api-tokens", "API tokens", &[Permission::ApiTokens]),
    ("users", "Users", &[Permission::Users]),
    ("migration", "Migration", &[Permission::Migration]),
    ("audit", "Audit", &[Permission::Audit]),
];

fn role_names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A whole page: the header with the menu the user's roles allow and the sign-out button, the
/// title, and `body`.
pub fn layout(nav: &Nav<'_>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · authbridge console" }
                link rel="stylesheet" href=(nav.to("static/console.css"));
            }
            body {
                header {
                    a.brand href=(nav.to("")) { "authbridge console" }
                    @if let Some(signed) = nav.signed {
                        nav aria-label="Console" {
                            ul {
                                @for (path, label, permissions) in MENU {
                                    @if permissions.iter().any(|p| signed.may(*p)) {
                                        li { a href=(nav.to(path)) { (label) } }
                                    }
                                }
                            }
                        }
                        form.sign-out method="post" action=(nav.to("sign-out")) {
                            (nav.csrf())
                            span.who { (signed.user.email) " (" (role_names(signed.roles())) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A fixed notice after a change (`#notice`), when there is one.
pub fn notice(said: Option<&str>) -> Markup {
    html! {
        @if let Some(said) = said {
            p #notice role="status" { (said) }
        }
    }
}

/// "Previous page" (back to the first) and "Next page" links for a listing read with cursors:
/// `next` is the listing's cursor, `query` the current filters (already encoded, without `after`).
pub fn pager(
    nav: &Nav<'_>,
    path: &str,
    query: &str,
    after: Option<&str>,
    next: Option<&str>,
) -> Markup {
    let link = |cursor: Option<&str>| {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.to_string());
        }
        if let Some(cursor) = cursor {
            parts.push(format!("after={}", encode(cursor)));
        }
        if parts.is_empty() {
            nav.to(path)
        } else {
            format!("{}?{}", nav.to(path), parts.join("&"))
        }
    };
    html! {
        nav.pager aria-label="Pages" {
            @if after.is_some() {
                a #first-page href=(link(None)) { "First page" }
            }
            @if let Some(next) = next {
                a #next-page href=(link(Some(next))) { "Next page" }
            }
        }
    }
}

/// `value` encoded for a URL's query.
pub fn encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A refusal or failure as a page: what happened, in words, and a way on.
pub fn error(nav: &Nav<'_>, title: &str, message: &str, permission: Option<&str>) -> Markup {
    let body = html! {
        p #problem role="alert" { (message) }
        @if let Some(permission) = permission {
            p { "Missing permission: " code #missing-permission { (permission) } }
        }
        p {
            @if nav.signed.is_some() {
                a href=(nav.to("")) { "Back to the console's home page" }
            } @else {
                a href=(nav.to("sign-in")) { "Sign in" }
            }
        }
    };
    layout(nav, title, body)
}
