//! The connections pages: the table with its filters and pages, the connect form, and one
//! connection's page with Reconnect, Revoke, Delete and its history.

use authbridge::clock::Epoch;
use authbridge::domain::{ConnectionStatus, JournalEntry, OAuthClient, Owner, Permission};
use authbridge::oauth::connections::ConnectionView;
use authbridge::oauth::flow::Started;
use authbridge::store::Page;
use maud::{Markup, html};

use super::{Nav, at, layout, notice, pager, relative};

/// The filters of the table, as given.
#[derive(Debug, Default)]
pub struct Filters {
    pub status: Option<ConnectionStatus>,
    pub provider: Option<String>,
    pub owner: Option<Owner>,
    pub tag: Option<String>,
    pub after: Option<String>,
}

impl Filters {
    /// The filters as a query string (without the cursor).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status={}", status.name()));
        }
        for (name, value) in [
            ("provider", self.provider.as_deref()),
            ("owner", self.owner.as_ref().map(Owner::as_str)),
            ("tag", self.tag.as_deref()),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name}={}", super::encode(value)));
            }
        }
        parts.join("&")
    }
}

fn status_words(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => "active",
        ConnectionStatus::Expiring => "refresh token ends soon",
        ConnectionStatus::RefreshFailing => "refresh failing",
        ConnectionStatus::NeedsReauthorization => "needs reauthorization",
    }
}

fn expiry(connection: &ConnectionView, now: Epoch) -> String {
    match connection.expires_at {
        Some(at) => relative(at, now),
        None => "no expiry".into(),
    }
}

fn show_link(nav: &Nav<'_>, tag: &str) -> String {
    format!("{}?tag={}", nav.to("connections/show"), super::encode(tag))
}

/// The table, its filters and pages, and the connect form (for a role with `connect`).
pub fn list(
    nav: &Nav<'_>,
    done: Option<&str>,
    found: &Page<ConnectionView>,
    filters: &Filters,
    providers: &[(&str, &str)],
    clients: &[OAuthClient],
    now: Epoch,
) -> Markup {
    let connections = &found.items;
    let next = found.next.as_deref();
    let body = html! {
        (notice(done))
        form #filters method="get" action=(nav.to("connections")) {
            label for="status" { "Status" }
            select #status name="status" {
                option value="" { "any" }
                @for status in ConnectionStatus::ALL {
                    option value=(status.name()) selected[filters.status == Some(status)] { (status_words(status)) }
                }
            }
            label for="provider" { "Provider" }
            select #provider name="provider" {
                option value="" { "any" }
                @for (name, title) in providers {
                    option value=(name) selected[filters.provider.as_deref() == Some(*name)] { (title) }
                }
            }
            label for="owner" { "Owner" }
            input #owner type="text" name="owner" value=(filters.owner.as_ref().map_or("", Owner::as_str));
            label for="tag" { "Tag starts with" }
            input #tag type="search" name="tag" value=(filters.tag.as_deref().unwrap_or(""));
            button type="submit" { "Filter" }
        }
        @if connections.is_empty() {
            p #no-connections { "No connection matches." }
        } @else {
            table #connections {
                thead {
                    tr {
                        th scope="col" { "Tag" }
                        th scope="col" { "Client" }
                        th scope="col" { "Provider" }
                        th scope="col" { "Owner" }
                        th scope="col" { "Account" }
                        th scope="col" { "Status" }
                        th scope="col" { "Expires" }
                        th scope="col" { "Last refresh" }
                        th scope="col" { "Last error" }
                        th scope="col" { "Made by" }
                    }
                }
                tbody {
                    @for c in connections {
                        tr data-tag=(c.tag) {
                            td { a href=(show_link(nav, c.tag.as_str())) { code { (c.tag) } } }
                            td { code { (c.client.as_str()) } }
                            td { (c.provider.as_deref().unwrap_or("—")) }
                            td { (c.owner.as_ref().map(Owner::as_str).unwrap_or("—")) }
                            td { (c.resource_owner_name.as_deref().unwrap_or("—")) }
                            td.status { (status_words(c.health.state)) }
                            td.expiry { (expiry(c, now)) }
                            td { (c.health.refreshed_at.map_or("never".into(), |t| relative(t, now))) }
                            td.error { (c.health.last_error.as_deref().unwrap_or("—")) }
                            td { (c.created_by.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        (pager(nav, "connections", &filters.query(), filters.after.as_deref(), next))
        @if nav.may(Permission::Connect) {
            h2 { "Connect an account" }
            p.hint { "The next page leads your browser to the provider to approve, then back to authbridge." }
            form #connect method="post" action=(nav.to("connections/connect")) {
                (nav.csrf())
                label for="client" { "Client" }
                select #client name="client" required {
                    @for client in clients.iter().filter(|c| c.is_active) {
                        option value=(client.id.as_str()) { (client.id.as_str()) " (" (client.provider) ")" }
                    }
                }
                label for="connect-tag" { "Tag (empty: client:<id>)" }
                input #connect-tag type="text" name="tag" autocomplete="off";
                label for="connect-owner" { "Owner (in the CRM's terms, e.g. contact:42)" }
                input #connect-owner type="text" name="owner" autocomplete="off";
                button type="submit" { "Connect" }
            }
        }
    };
    layout(nav, "Connections", body)
}

/// The started flow: the one-time link the browser follows to the provider (it works once, until
/// `expires_at`).
pub fn started(nav: &Nav<'_>, started: &Started) -> Markup {
    let body = html! {
        p { "The connection " code { (started.tag) } " is ready to be made: continue to the provider, sign in there as the account to connect, and approve." }
        p { a #continue href=(started.url.as_str()) { "Continue to the provider" } }
        p.hint { "The link works once, in this browser, until " (at(started.expires_at)) "." }
    };
    layout(nav, "Connect", body)
}

/// One connection: what it is, its actions, and its history.
pub fn connection(
    nav: &Nav<'_>,
    c: &ConnectionView,
    history: &[JournalEntry],
    done: Option<&str>,
    now: Epoch,
) -> Markup {
    let body = html! {
        (notice(done))
        dl #connection {
            dt { "Tag" } dd #tag { code { (c.tag) } }
            dt { "Client" } dd { code { (c.client.as_str()) } }
            dt { "Provider" } dd { (c.provider.as_deref().unwrap_or("—")) }
            dt { "Owner" } dd { (c.owner.as_ref().map(Owner::as_str).unwrap_or("—")) }
            dt { "Account" } dd #account { (c.resource_owner_name.as_deref().unwrap_or("—")) }
            dt { "Status" } dd #status { (status_words(c.health.state)) }
            dt { "Expires" } dd #expiry { (expiry(c, now)) @if let Some(t) = c.expires_at { " (" (at(t)) ")" } }
            dt { "Refresh token ends" } dd #refresh-expiry { (c.health.refresh_expires.map_or("not stated".into(), |t| relative(t, now))) }
            @for (name, value) in &c.health.metadata {
                dt { (name) } dd.metadata { code { (value) } }
            }
            dt { "Last refresh" } dd { (c.health.refreshed_at.map_or("never".into(), |t| relative(t, now))) }
            dt { "Last error" } dd #last-error { (c.health.last_error.as_deref().unwrap_or("—")) }
            dt { "Scopes" } dd { (c.scopes.join(" ")) }
            dt { "Made by" } dd #made-by { (c.created_by.as_deref().unwrap_or("—")) }
            dt { "Made" } dd { (at(c.created)) }
        }
        div.actions {
            @if nav.may(Permission::Connect) {
                form #reconnect method="post" action=(nav.to("connections/reconnect")) {
                    (nav.csrf())
                    input type="hidden" name="tag" value=(c.tag);
                    button type="submit" { "Reconnect" }
                }
            }
            form #revoke method="post" action=(nav.to("connections/revoke")) {
                (nav.csrf())
                input type="hidden" name="tag" value=(c.tag);
                button.danger type="submit" { "Revoke" }
            }
            form #delete method="post" action=(nav.to("connections/delete")) {
                (nav.csrf())
                input type="hidden" name="tag" value=(c.tag);
                button.danger type="submit" { "Delete" }
            }
        }
        p.hint { "Revoke ends the grant at the provider and keeps the connection, needing reauthorization; Delete ends the grant and removes the connection." }
        h2 { "History" }
        (journal(history))
    };
    layout(nav, "Connection", body)
}

/// Journal entries as a table, newest first (the connection's history, the audit log).
pub fn journal(entries: &[JournalEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p #no-entries { "Nothing recorded yet." }
        } @else {
            table #journal {
                thead {
                    tr {
                        th scope="col" { "When" }
                        th scope="col" { "What" }
                        th scope="col" { "Who" }
                        th scope="col" { "From" }
                        th scope="col" { "Details" }
                    }
                }
                tbody {
                    @for e in entries {
                        tr {
                            td { (at(e.time)) }
                            td.kind { code { (e.kind) } }
                            td.actor { (e.actor.as_deref().unwrap_or("—")) }
                            td { (e.address.map_or("—".to_string(), |a| a.to_string())) }
                            td.summary { (e.summary) }
                        }
                    }
                }
            }
        }
    }
}
