//! `authbridge wordpress ...`: what the WordPress login fallback needs from the operator.

use authbridge::config::Env;
use authbridge::login::settings::wordpress_token_secret;
use clap::{Args, Subcommand};

use super::secrets::store;
use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::secret_input::read_value;

/// The `wordpress` subcommands.
#[derive(Debug, Subcommand)]
pub enum WordpressCommand {
    /// Stores the bearer token the site's plugin expects (DN_REMP_WP_AUTH_TOKEN of the original
    /// dn-remp-wp-auth plugin, or AUTHBRIDGE_AUTH_TOKEN of the companion plugin) in the secret
    /// the login fallback reads (AUTHBRIDGE_WP_TOKEN_SECRET, default `<prefix>wordpress-token`).
    SetToken(SetTokenArgs),
}

/// Arguments of `wordpress set-token`.
#[derive(Debug, Args)]
pub struct SetTokenArgs {
    /// Read the token from the first line of standard input (the only way: a token on the
    /// command line would show in shell history and `ps`).
    #[arg(long, required = true)]
    stdin: bool,
}

impl WordpressCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match self {
            WordpressCommand::SetToken(args) => {
                let config = deployment::config()?;
                let name = wordpress_token_secret(&Env::process(), &config);
                let token = read_value(args.stdin, None, "WordPress plugin token")?
                    .ok_or(CliError::EmptySecret)?;
                store(out, &name, token).await
            }
        }
    }
}
