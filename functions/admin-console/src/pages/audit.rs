//! The audit log: every change made through the console or the CLI, newest first, in pages.

use authbridge::domain::JournalEntry;
use maud::{Markup, html};

use super::connections::journal;
use super::{Nav, layout, pager};

/// One page of the audit trail.
pub fn page(
    nav: &Nav<'_>,
    entries: &[JournalEntry],
    after: Option<&str>,
    next: Option<&str>,
) -> Markup {
    let body = html! {
        p.hint { "Who changed what, when and from where; never a secret." }
        (journal(entries))
        (pager(nav, "audit", "", after, next))
    };
    layout(nav, "Audit", body)
}
