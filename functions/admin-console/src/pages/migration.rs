//! The migration panel: can the WordPress fallback be switched off yet?

use authbridge::clock::Epoch;
use authbridge::migration_status::MigrationStatus;
use maud::{Markup, html};

use super::{Nav, at, layout, relative};

/// The figures of `migration_status`, in words.
pub fn page(nav: &Nav<'_>, s: &MigrationStatus, now: Epoch) -> Markup {
    let body = html! {
        @if s.fallback_idle() {
            p #verdict role="status" { "Nobody needed the WordPress fallback for 7 days and every WordPress user has signed in through authbridge: switching the fallback off would lock nobody out." }
        } @else {
            p #verdict role="status" { "Not yet: the WordPress fallback is still needed." }
        }
        table #migration {
            tbody {
                tr data-figure="synced" { th scope="row" { "Users synced from WordPress" } td { (s.synced) } }
                tr data-figure="imported" { th scope="row" { "Users imported" } td { (s.imported) } }
                tr data-figure="migrated" { th scope="row" { "Users migrated by signing in" } td { (s.migrated) } }
                tr data-figure="never_seen" { th scope="row" { "WordPress users not seen since" } td { (s.never_seen) } }
                tr data-figure="fallback_24h" { th scope="row" { "Fallback logins, last 24 hours" } td { (s.fallback_logins_24h) } }
                tr data-figure="fallback_7d" { th scope="row" { "Fallback logins, last 7 days" } td { (s.fallback_logins_7d) } }
                tr data-figure="last_fallback" {
                    th scope="row" { "Last fallback login" }
                    td { @match s.last_fallback_login { Some(t) => { (relative(t, now)) " (" (at(t)) ")" }, None => "never" } }
                }
                tr data-figure="wordpress_errors_24h" { th scope="row" { "WordPress errors, last 24 hours" } td { (s.wordpress_errors_24h) } }
            }
        }
    };
    layout(nav, "Migration", body)
}
