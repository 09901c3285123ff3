//! `authbridge grant CLIENT ...`: runs a grant that needs no browser (client credentials, or the
//! legacy password grant) as an operator and stores its connection, the way an application does
//! with `POST /oauth/token`: the same service, the same checks, the same rule for a tag that holds
//! a connection (refused unless `--replace`).

use authbridge::oauth::direct_grant::{self, GrantKind, TokenRequest};
use authbridge::oauth::flow::Initiator;
use authbridge::oauth::records::TokenView;
use authbridge::secrets::SecretString;
use clap::{Args, ValueEnum};

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::secret_input::read_value;
use crate::views::TokenOutput;

/// Which grant to run.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GrantArg {
    /// The client on its own behalf (RFC 6749 §4.4).
    ClientCredentials,
    /// The legacy resource-owner password grant (RFC 6749 §4.3): legacy providers only.
    Password,
}

/// Arguments of `grant`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The client's id (from `clients list`).
    client: String,
    /// Which grant to run.
    #[arg(long, value_enum, default_value = "client-credentials")]
    grant: GrantArg,
    /// The tag to store the connection under (default: client-credentials:<id> or password:<id>).
    #[arg(long)]
    tag: Option<String>,
    /// Scopes, comma-separated (default: the provider's).
    #[arg(long, value_delimiter = ',')]
    scopes: Vec<String>,
    /// Whose connection this is, in your terms (e.g. contact:42).
    #[arg(long)]
    owner: Option<String>,
    /// Replace the connection stored under the tag; its old grant is revoked at the provider
    /// (unless another connection holds the same account).
    #[arg(long)]
    replace: bool,
    /// The resource owner's user name (password grant).
    #[arg(long)]
    username: Option<String>,
    /// Read the resource owner's password from the first line of standard input (password grant).
    #[arg(long)]
    password_stdin: bool,
    /// A connection parameter of the provider, NAME=VALUE; repeat for each.
    #[arg(long = "connection", value_name = "NAME=VALUE", value_parser = super::connect::connection_value)]
    connection: Vec<(String, String)>,
}

impl GrantArgs {
    /// Runs the command.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        if matches!(self.grant, GrantArg::Password) && !self.password_stdin {
            return Err(CliError::Invalid(
                "the password grant reads the password from standard input: add --password-stdin"
                    .into(),
            ));
        }
        let password: Option<SecretString> =
            read_value(self.password_stdin, None, "the resource owner's password")?;
        let request = TokenRequest {
            client: self.client,
            grant: match self.grant {
                GrantArg::ClientCredentials => GrantKind::ClientCredentials,
                GrantArg::Password => GrantKind::Password,
            },
            scopes: (!self.scopes.is_empty()).then_some(self.scopes),
            tag: self.tag,
            owner: self.owner,
            replace: self.replace,
            username: self.username,
            password,
            connection: self.connection.into_iter().collect(),
        }
        .check()?;
        let ctx = deployment::oauth().await?;
        let connected = direct_grant::run(&ctx, request, &Initiator::cli()).await?;
        out.record(&TokenOutput::from(TokenView::from(&connected.record)))
    }
}

impl GrantArgs {
    /// What the audit trail names: the client, and the tag when one was given.
    pub(super) fn target(&self) -> String {
        match &self.tag {
            Some(tag) => format!("{} {tag}", self.client),
            None => self.client.clone(),
        }
    }
}
