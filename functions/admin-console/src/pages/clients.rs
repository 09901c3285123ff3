//! The clients pages: the list with the register form, and one client's page with its editor and
//! its enable, disable and delete buttons. A secret is entered, never shown: the page only says
//! when one was set and whether a rotation still accepts the previous one, and only a user whose
//! role carries `client-secrets` sees its field and the button that confirms a rotation.

use authbridge::clients::SecretState;
use authbridge::clock::Epoch;
use authbridge::domain::{OAuthClient, Permission};
use maud::{Markup, html};

use super::words::relative;
use super::{Nav, layout};

/// A client as the list shows it, with the provider's title and whether it has tenancy.
pub struct ClientRow<'a> {
    pub client: &'a OAuthClient,
    pub provider_title: &'a str,
}

fn status(client: &OAuthClient) -> &'static str {
    if client.is_active {
        "enabled"
    } else {
        "disabled"
    }
}

/// The secret's field, for a user whose role allows setting it.
fn secret_field(nav: &Nav<'_>, label: &str) -> Markup {
    html! {
        @if nav.may(Permission::ClientSecrets) {
            label for="secret" { (label) }
            input #secret type="password" name="secret" autocomplete="off";
            p.hint { "Written to the secret store; never shown again, not even here." }
        }
    }
}

/// The list and the register form. `providers` are `(name, title)` of every provider.
pub fn list(nav: &Nav<'_>, rows: &[ClientRow<'_>], providers: &[(&str, &str)]) -> Markup {
    let body = html! {
        @if rows.is_empty() {
            p #no-clients { "No client is registered yet." }
        } @else {
            table #clients {
                thead {
                    tr {
                        th scope="col" { "Client" }
                        th scope="col" { "Provider" }
                        th scope="col" { "Public client id" }
                        th scope="col" { "Tenant" }
                        th scope="col" { "Status" }
                    }
                }
                tbody {
                    @for row in rows {
                        tr data-client=(row.client.id.as_str()) {
                            td { a href=(nav.to(&format!("clients/{}", row.client.id.as_str()))) { code { (row.client.id.as_str()) } } }
                            td { (row.provider_title) " " code { (row.client.provider) } }
                            td { code { (row.client.guid) } }
                            td { (row.client.tenant.as_deref().unwrap_or("—")) }
                            td.status { (status(row.client)) }
                        }
                    }
                }
            }
        }
        h2 { "Register a client" }
        form #register method="post" action=(nav.to("clients")) {
            (nav.csrf())
            label for="provider" { "Provider" }
            select #provider name="provider" required {
                @for (name, title) in providers {
                    option value=(name) { (title) " (" (name) ")" }
                }
            }
            label for="guid" { "Public client id (from the provider)" }
            input #guid type="text" name="guid" required autocomplete="off";
            label for="tenant" { "Tenant (only for providers with tenancy; empty: common)" }
            input #tenant type="text" name="tenant" autocomplete="off";
            (secret_field(nav, "Client secret"))
            button type="submit" { "Register" }
        }
    };
    layout(nav, "Clients", body)
}

/// What the page says of the secret: "set 3 hours ago", "stored", or "none".
fn secret_words(secret: &SecretState, now: Epoch) -> String {
    match (secret.stored, secret.last_set) {
        (false, _) => "none".into(),
        (true, Some(at)) => format!("set {} (never shown)", relative(at, now)),
        (true, None) => "stored (never shown)".into(),
    }
}

/// One client: its editor and its actions, and its secret's state as of `now`.
pub fn client(
    nav: &Nav<'_>,
    client: &OAuthClient,
    secret: &SecretState,
    notice: Option<&str>,
    now: Epoch,
) -> Markup {
    let path = format!("clients/{}", client.id.as_str());
    let body = html! {
        @if let Some(notice) = notice {
            p #notice role="status" { (notice) }
        }
        dl #client {
            dt { "Provider" } dd { code { (client.provider) } }
            dt { "Status" } dd #status { (status(client)) }
            dt { "Secret" } dd #secret-state { (secret_words(secret, now)) }
        }
        @if secret.rotation_pending {
            div #rotation-pending {
                p { "A new secret was set: the previous secret is still accepted. Confirm the new secret once the provider uses it; until then no other secret can be set." }
                @if nav.may(Permission::ClientSecrets) {
                    form #confirm-secret method="post" action=(nav.to(&format!("{path}/confirm-secret"))) {
                        (nav.csrf())
                        button type="submit" { "Confirm the new secret" }
                    }
                }
            }
        }
        h2 { "Edit" }
        form #edit method="post" action=(nav.to(&path)) {
            (nav.csrf())
            label for="guid" { "Public client id" }
            input #guid type="text" name="guid" required autocomplete="off" value=(client.guid);
            label for="tenant" { "Tenant (empty: common)" }
            input #tenant type="text" name="tenant" autocomplete="off" value=(client.tenant.as_deref().unwrap_or(""));
            (secret_field(nav, "New client secret (empty: keep the stored one)"))
            button type="submit" { "Save" }
        }
        h2 { "Actions" }
        div.actions {
            @if client.is_active {
                form #disable method="post" action=(nav.to(&format!("{path}/disable"))) {
                    (nav.csrf())
                    button type="submit" { "Disable" }
                }
            } @else {
                form #enable method="post" action=(nav.to(&format!("{path}/enable"))) {
                    (nav.csrf())
                    button type="submit" { "Enable" }
                }
            }
            form #delete method="post" action=(nav.to(&format!("{path}/delete"))) {
                (nav.csrf())
                button.danger type="submit" { "Delete" }
            }
        }
        p.hint { "A client that still holds connections cannot be deleted." }
        p { a href=(nav.to("clients")) { "All clients" } }
    };
    layout(nav, &format!("Client {}", client.id.as_str()), body)
}
