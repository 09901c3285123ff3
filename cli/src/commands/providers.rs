//! `authbridge providers ...`: the provider definitions a client can name.

use clap::Subcommand;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::views::ProviderView;

/// The `providers` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Lists every provider: name and title, sorted by name.
    List,
}

impl ProvidersCommand {
    /// Runs the subcommand.
    pub fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            ProvidersCommand::List => list(out),
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
