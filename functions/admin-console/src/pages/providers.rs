//! The providers page: every provider this deployment knows, shipped or the operator's own, with
//! its endpoints, scopes, tenancy, mail template and how many clients use it.

use maud::{Markup, html};

use super::{Nav, layout};

/// One provider as the page shows it.
pub struct ProviderRow {
    pub name: String,
    pub title: String,
    pub shipped: bool,
    pub authorize: Option<String>,
    pub token: Option<String>,
    pub revoke: Option<String>,
    /// The OpenID Connect issuer the endpoints are discovered from, when they are.
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    pub tenancy: bool,
    pub mail_template: bool,
    pub clients: usize,
}

fn or_dash(value: Option<&str>) -> &str {
    value.unwrap_or("—")
}

/// The page.
pub fn page(nav: &Nav<'_>, rows: &[ProviderRow]) -> Markup {
    let body = html! {
        table #providers {
            thead {
                tr {
                    th scope="col" { "Provider" }
                    th scope="col" { "From" }
                    th scope="col" { "Endpoints" }
                    th scope="col" { "Scopes" }
                    th scope="col" { "Tenancy" }
                    th scope="col" { "Mail template" }
                    th scope="col" { "Clients" }
                }
            }
            tbody {
                @for row in rows {
                    tr data-provider=(row.name) {
                        td { strong { (row.title) } br; code { (row.name) } }
                        td { @if row.shipped { "shipped" } @else { "operator" } }
                        td.endpoints {
                            @if let Some(issuer) = &row.issuer {
                                "discovered from " code { (issuer) } br;
                            }
                            "authorize: " code { (or_dash(row.authorize.as_deref())) } br;
                            "token: " code { (or_dash(row.token.as_deref())) } br;
                            "revoke: " code { (or_dash(row.revoke.as_deref())) }
                        }
                        td { (row.scopes.join(" ")) }
                        td { @if row.tenancy { "yes" } @else { "no" } }
                        td { @if row.mail_template { "yes" } @else { "no" } }
                        td.count { (row.clients) }
                    }
                }
            }
        }
    };
    layout(nav, "Providers", body)
}
