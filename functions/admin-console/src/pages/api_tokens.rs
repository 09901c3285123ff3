//! The API tokens pages: the list with the create form, the page that shows a new token's value
//! once, and one token's page (narrow its scope, disable or enable, delete). A value is never
//! shown again after its one page, which no browser or proxy may keep (`Cache-Control: no-store`).

use authbridge::clock::Epoch;
use authbridge::domain::{ApiToken, Endpoint};
use maud::{Markup, html};

use super::{Nav, layout, notice, relative};

fn token_link(nav: &Nav<'_>, name: &str) -> String {
    format!("{}?name={}", nav.to("api-tokens/show"), super::encode(name))
}

fn endpoints(token: &ApiToken) -> String {
    if token.endpoints.is_empty() {
        return "none".into();
    }
    token
        .endpoints
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn last_use(token: &ApiToken, now: Epoch) -> String {
    token.last_used.map_or("never".into(), |t| relative(t, now))
}

/// The scope's three fields, filled with `token`'s when given.
fn scope_fields(token: Option<&ApiToken>) -> Markup {
    let value = |f: fn(&ApiToken) -> String| token.map(f).unwrap_or_else(|| "*".into());
    html! {
        label for="tags" { "Tags it may touch (patterns: *, prefix*, exact; comma-separated)" }
        input #tags type="text" name="tags" value=(value(|t| t.scope.tags.to_string()));
        label for="owners" { "Owners it may touch" }
        input #owners type="text" name="owners" value=(value(|t| t.scope.owners.to_string()));
        label for="clients" { "Clients it may touch" }
        input #clients type="text" name="clients" value=(value(|t| t.scope.clients.to_string()));
    }
}

/// The list and the create form.
pub fn list(nav: &Nav<'_>, tokens: &[ApiToken], now: Epoch) -> Markup {
    let body = html! {
        @if tokens.is_empty() {
            p #no-tokens { "No API token yet." }
        } @else {
            table #api-tokens {
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Endpoints" }
                        th scope="col" { "Scope" }
                        th scope="col" { "Addresses" }
                        th scope="col" { "Status" }
                        th scope="col" { "Last use" }
                    }
                }
                tbody {
                    @for t in tokens {
                        tr data-token=(t.name) {
                            td { a href=(token_link(nav, t.name.as_str())) { (t.name) } }
                            td { (endpoints(t)) }
                            td { (t.scope.to_string()) }
                            td { (t.ip_restriction.to_string()) }
                            td.status { @if t.active { "enabled" } @else { "disabled" } }
                            td { (last_use(t, now)) }
                        }
                    }
                }
            }
        }
        h2 { "Create a token" }
        form #create method="post" action=(nav.to("api-tokens")) {
            (nav.csrf())
            label for="name" { "Name (e.g. the calling site)" }
            input #name type="text" name="name" required autocomplete="off";
            fieldset {
                legend { "Endpoints it may call" }
                @for endpoint in Endpoint::ALL {
                    label { input type="checkbox" name="endpoint" value=(endpoint.name()); " " (endpoint.name()) }
                }
            }
            label for="addresses" { "Addresses or CIDR ranges it may come from (empty: anywhere)" }
            input #addresses type="text" name="addresses" autocomplete="off";
            (scope_fields(None))
            button type="submit" { "Create" }
        }
    };
    layout(nav, "API tokens", body)
}

/// The one page that shows a new token's value.
pub fn created(nav: &Nav<'_>, token: &ApiToken, value: &str) -> Markup {
    let body = html! {
        p #notice role="status" { "The token " strong { (token.name) } " is created. Copy its value now: it is shown only on this page, never again." }
        p { code #token-value { (value) } }
        p { a href=(token_link(nav, token.name.as_str())) { "Go to the token's page" } }
    };
    layout(nav, "New API token", body)
}

/// One token: its scope editor, enable or disable, delete.
pub fn token(nav: &Nav<'_>, t: &ApiToken, done: Option<&str>, now: Epoch) -> Markup {
    let body = html! {
        (notice(done))
        dl #token {
            dt { "Name" } dd { (t.name) }
            dt { "Endpoints" } dd { (endpoints(t)) }
            dt { "Scope" } dd #scope { (t.scope.to_string()) }
            dt { "Addresses" } dd { (t.ip_restriction.to_string()) }
            dt { "Status" } dd #status { @if t.active { "enabled" } @else { "disabled" } }
            dt { "Last use" } dd { (last_use(t, now)) }
        }
        h2 { "Scope" }
        form #edit method="post" action=(nav.to("api-tokens/scope")) {
            (nav.csrf())
            input type="hidden" name="name" value=(t.name);
            (scope_fields(Some(t)))
            button type="submit" { "Save the scope" }
        }
        div.actions {
            form method="post" action=(nav.to(if t.active { "api-tokens/disable" } else { "api-tokens/enable" })) {
                (nav.csrf())
                input type="hidden" name="name" value=(t.name);
                button #toggle type="submit" { @if t.active { "Disable" } @else { "Enable" } }
            }
            form method="post" action=(nav.to("api-tokens/delete")) {
                (nav.csrf())
                input type="hidden" name="name" value=(t.name);
                button.danger #delete type="submit" { "Delete" }
            }
        }
    };
    layout(nav, "API token", body)
}
