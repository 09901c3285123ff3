//! The console's pages: one layout, one stylesheet, no scripts; every value escaped by maud.
//! Forms post with the session's CSRF token in a hidden field and answer with a redirect.

pub mod clients;
pub mod home;
pub mod providers;
pub mod sign_in;

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
const MENU: [(&str, &str, Permission); 2] = [
    ("providers", "Providers", Permission::Clients),
    ("clients", "Clients", Permission::Clients),
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
                                @for (path, label, permission) in MENU {
                                    @if signed.may(permission) {
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
