//! `authbridge connections ...`: the connections as the console shows them (state, filters) and a
//! connection's history.

use authbridge::domain::{ConnectionStatus, Owner, Scope, Tag};
use authbridge::oauth::connections::{ConnectionSearch, find_connections};
use authbridge::store::PageRequest;
use clap::Subcommand;

use super::audit::{PageArgs, history};
use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, note};
use crate::views::ConnectionRow;

/// The `connections` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConnectionsCommand {
    /// Lists connections with their state, through the store's indexes; filters combine.
    List {
        /// `active`, `expiring`, `refresh_failing` or `needs_reauthorization`.
        #[arg(long, value_parser = parse_status)]
        status: Option<ConnectionStatus>,
        /// Only the connections of this provider's clients.
        #[arg(long)]
        provider: Option<String>,
        /// Only this owner's connections.
        #[arg(long)]
        owner: Option<Owner>,
        /// Only tags starting with this.
        #[arg(long, value_name = "PREFIX")]
        tag_prefix: Option<String>,
        /// At most this many connections (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Go on after this cursor (printed on standard error when more follow).
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
    },
    /// The connection's history, newest first: created, replaced, refresh failures, recovery,
    /// deletion (kept 90 days).
    History {
        /// The connection's tag.
        tag: Tag,
        #[command(flatten)]
        page: PageArgs,
    },
}

fn parse_status(raw: &str) -> Result<ConnectionStatus, String> {
    ConnectionStatus::parse(raw)
        .ok_or_else(|| "use active, expiring, refresh_failing or needs_reauthorization".to_string())
}

impl ConnectionsCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            ConnectionsCommand::History { tag, page } => history(&tag, &page, out).await,
            ConnectionsCommand::List {
                status,
                provider,
                owner,
                tag_prefix,
                limit,
                after,
            } => {
                let oauth = deployment::oauth().await?;
                let search = ConnectionSearch {
                    owner,
                    status,
                    provider,
                    tag_prefix,
                };
                let page = find_connections(
                    &oauth,
                    &search,
                    &Scope::everything(),
                    &PageRequest { limit, after },
                )
                .await?;
                let rows: Vec<ConnectionRow> =
                    page.items.into_iter().map(ConnectionRow::from).collect();
                out.list(&rows)?;
                if let Some(next) = page.next {
                    note(&format!("more connections may follow: --after {next}"));
                }
                Ok(())
            }
        }
    }
}
