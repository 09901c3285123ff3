//! `authbridge providers ...`: the provider definitions a client can name.

use clap::Subcommand;
use serde_json::Map;

use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, write_stdout};
use crate::views::{ProviderDetail, ProviderQuirksView, ProviderView};

/// The `providers` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Lists every provider: name and title, sorted by name.
    List,
    /// Prints a provider's resolved definition: its URLs (with `{{connection.NAME}}` where a
    /// connection's values go), scopes, quirks and connection values.
    Show {
        /// The provider's name, as `providers list` shows it.
        name: String,
    },
    /// Prints the catalogue of every provider and the quirks it uses.
    Table {
        /// As the Markdown table the book shows (docs/book/src/provider-catalogue.md).
        #[arg(long)]
        markdown: bool,
    },
}

impl ProvidersCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            ProvidersCommand::List => list(out),
            ProvidersCommand::Show { name } => show(&name, out).await,
            ProvidersCommand::Table { markdown } => table(markdown, out),
        }
    }
}

fn list(out: &Output) -> Result<(), CliError> {
    let registry = deployment::providers()?;
    let providers: Vec<ProviderView> = registry
        .list()
        .into_iter()
        .map(|(name, title)| ProviderView {
            name: name.to_string(),
            title: title.to_string(),
        })
        .collect();
    out.list(&providers)
}

async fn show(name: &str, out: &Output) -> Result<(), CliError> {
    let registry = deployment::providers()?;
    let provider = registry.resolve(name, None, &Map::new(), None).await?;
    let definition =
        registry
            .get(name)
            .ok_or_else(|| authbridge::providers::ProviderError::Unknown {
                name: name.to_string(),
            })?;
    out.record(&ProviderDetail::new(&provider, definition))
}

fn table(markdown: bool, out: &Output) -> Result<(), CliError> {
    let registry = deployment::providers()?;
    if markdown {
        return write_stdout(&authbridge::providers::markdown_table(&registry));
    }
    let rows: Vec<ProviderQuirksView> = registry
        .list()
        .into_iter()
        .map(|(name, title)| ProviderQuirksView {
            name: name.to_string(),
            title: title.to_string(),
            quirks: registry
                .get(name)
                .map(authbridge::providers::quirks)
                .unwrap_or_default(),
        })
        .collect();
    out.list(&rows)
}
