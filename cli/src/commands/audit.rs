//! `authbridge audit`: the journal's entries, newest first: the administrators' changes (subject
//! `admin`, the default), a connection's history (`connection:TAG`) or a user's (`user:ID`).

use authbridge::audit;
use authbridge::domain::{JournalEntry, Subject, Tag};
use authbridge::store::{Page, PageRequest};
use clap::Args;

use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, note};
use crate::views::JournalView;

/// Which page of a journal listing.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// At most this many entries (1 to 1000).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Go on after this cursor (printed on standard error when more entries follow).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
}

impl PageArgs {
    fn request(&self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            after: self.after.clone(),
        }
    }
}

/// `authbridge audit [--subject S]`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// `admin` (the changes administrators made), `connection:TAG` or `user:ID`.
    #[arg(long, default_value = "admin", value_parser = parse_subject)]
    subject: Subject,
    #[command(flatten)]
    page: PageArgs,
}

fn parse_subject(raw: &str) -> Result<Subject, String> {
    Subject::parse(raw).map_err(|e| e.to_string())
}

impl AuditArgs {
    /// Lists the entries.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let app = deployment::app().await?;
        let page = audit::entries(
            app.stores.journal.as_ref(),
            &self.subject,
            &self.page.request(),
        )
        .await?;
        print(out, page)
    }
}

/// `connections history TAG`: the connection's journal.
pub async fn history(tag: &Tag, page: &PageArgs, out: &Output) -> Result<(), CliError> {
    let app = deployment::app().await?;
    let entries = audit::history(app.stores.journal.as_ref(), tag, &page.request()).await?;
    print(out, entries)
}

fn print(out: &Output, page: Page<JournalEntry>) -> Result<(), CliError> {
    let rows: Vec<JournalView> = page.items.into_iter().map(JournalView::from).collect();
    out.list(&rows)?;
    if let Some(next) = page.next {
        note(&format!("more entries follow: --after {next}"));
    }
    Ok(())
}
