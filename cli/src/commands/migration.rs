//! `authbridge migration status`: can the WordPress fallback be switched off yet?

use authbridge::clock;
use authbridge::migration_status::status;
use clap::Subcommand;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::views::MigrationView;

/// The `migration` subcommands.
#[derive(Debug, Subcommand)]
pub enum MigrationCommand {
    /// Users synced, imported, migrated by login and never seen; fallback logins in the last 24
    /// hours and 7 days and the last one; WordPress errors in the last 24 hours.
    Status,
}

impl MigrationCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            MigrationCommand::Status => {
                let app = deployment::app().await?;
                let figures = status(app.stores.counters.as_ref(), clock::now()).await?;
                out.record(&MigrationView::from(figures))
            }
        }
    }
}
