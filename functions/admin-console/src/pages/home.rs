//! The home page: what the signed-in user's roles allow, and where to do it.

use authbridge::domain::Permission;
use maud::{Markup, html};

use super::{Nav, layout};

/// What each permission lets a person do, and the page where it is done (when built).
fn describe(permission: Permission) -> (&'static str, Option<&'static str>) {
    match permission {
        Permission::Clients => (
            "register, edit, enable and disable OAuth clients",
            Some("clients"),
        ),
        Permission::ClientSecrets => ("set a client's secret (never read one)", Some("clients")),
        Permission::Connect => ("connect accounts through the authorization-code flow", None),
        Permission::ConnectionsOwn => ("see and manage the connections you made", None),
        Permission::ConnectionsAll => ("see and manage every connection", None),
        Permission::ApiTokens => ("create, narrow, disable and delete API tokens", None),
        Permission::Users => ("manage users and their roles", None),
        Permission::Migration => ("follow the WordPress migration", None),
        Permission::Audit => ("read the audit log", None),
    }
}

/// The home page.
pub fn page(nav: &Nav<'_>) -> Markup {
    let body = html! {
        p { "Your roles allow you to:" }
        ul #allowed {
            @for permission in Permission::ALL {
                @if nav.may(permission) {
                    @let (what, page) = describe(permission);
                    li data-permission=(permission.name()) {
                        @if let Some(page) = page {
                            a href=(nav.to(page)) { (what) }
                        } @else {
                            (what) " (with the CLI for now)"
                        }
                        " — " code { (permission.name()) }
                    }
                }
            }
        }
        @if nav.may(Permission::Clients) {
            p { a href=(nav.to("providers")) { "See the providers" } " this deployment knows." }
        }
    };
    layout(nav, "Console", body)
}
