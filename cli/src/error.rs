//! Why a command failed. Every message is printed as `error: <message>`, and none carries a secret.

use authbridge::clients::ClientAdminError;
use authbridge::config::ConfigError;
use authbridge::context::ContextError;
use authbridge::providers::ProviderError;
use authbridge::secrets::SecretError;
use authbridge::store::StoreError;
use authbridge::users::UserAdminError;
use authbridge::users::import::ImportError;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration in the environment is missing or bad.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The stores or secrets could not be opened.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The provider definitions could not be loaded.
    #[error(transparent)]
    Providers(#[from] ProviderError),
    /// The HTTP client used for provider discovery could not be built.
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// A client operation was refused or failed.
    #[error(transparent)]
    Clients(#[from] ClientAdminError),
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A secret rotation was refused or failed.
    #[error(transparent)]
    Rotation(#[from] authbridge::secrets::rotation::RotationError),
    /// A key operation was refused or failed.
    #[error(transparent)]
    Keys(#[from] authbridge::keys::KeyError),
    /// A secret-store operation failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The OAuth context could not be built (for `tokens refresh`).
    #[error(transparent)]
    OAuthContext(#[from] authbridge::oauth::context::OAuthContextError),
    /// `tokens refresh` failed.
    #[error(transparent)]
    Refresh(#[from] authbridge::oauth::refresh::RefreshError),
    /// `tokens mail` failed.
    #[error(transparent)]
    Mail(#[from] authbridge::oauth::mail::MailError),
    /// An API-token operation was refused or failed.
    #[error(transparent)]
    ApiTokens(#[from] authbridge::api_tokens::ApiTokenError),
    /// Starting a flow failed.
    #[error(transparent)]
    OAuth(#[from] authbridge::oauth::OAuthError),
    /// Deleting a client was refused or failed.
    #[error(transparent)]
    DeleteClient(#[from] authbridge::oauth::connections::DeleteClientError),
    /// `connect` needs to know where authbridge is reached.
    #[error(
        "no public URL: set AUTHBRIDGE_PUBLIC_URL to the deployment's URL (the stack output PublicUrl) so the link points at it"
    )]
    NoPublicUrl,
    /// An argument's value is not usable.
    #[error("{0}")]
    Invalid(String),
    /// The provider refused or failed the refresh; the record says why.
    #[error(
        "refreshing {tag:?} failed: {error} (the record keeps the old token; `authbridge tokens show` has details)"
    )]
    RefreshFailed {
        tag: authbridge::domain::Tag,
        error: String,
    },
    /// `secrets set` or `rotate` named the token-key secret, which wraps (or once sealed) the stored
    /// tokens' keys: replacing it would make them unreadable.
    #[error(
        "{0} is the token-key secret: replacing it would make the stored tokens unreadable; rotate the token keys with `authbridge keys rotate` instead"
    )]
    TokenKeySecret(String),
    /// `tokens show` or `tokens delete` named a tag that has no record.
    #[error("no token with tag {0:?}; `authbridge tokens list` shows the stored ones")]
    TokenNotFound(String),
    /// Standard input could not be read.
    #[error("reading the secret from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// The secret given was empty.
    #[error("the secret is empty")]
    EmptySecret,
    /// `clients update` was given nothing to change.
    #[error(
        "nothing to update: give --guid, --tenant, --no-tenant, --option, --no-options, --secret or --secret-stdin"
    )]
    NothingToUpdate,
    /// `create-table` needs DynamoDB, and the configuration names the embedded store.
    #[error("create-table needs AWS configuration (AUTHBRIDGE_TABLE, or AUTHBRIDGE_BACKEND=aws)")]
    NotAws,
    /// A user operation was refused or failed.
    #[error(transparent)]
    Users(#[from] UserAdminError),
    /// `users import` stopped before the end of its file.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// `users import` could not open its file.
    #[error("opening {path}: {source}")]
    ImportFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `users import` finished, but some lines were not imported.
    #[error("{0} line(s) were not imported; the summary above says why")]
    NotImported(usize),
    /// `--stack` named a stack that CloudFormation does not know in this region.
    #[error(
        "no stack {name:?} in region {region}; check --stack (or AUTHBRIDGE_STACK) and AWS_REGION"
    )]
    StackNotFound { name: String, region: String },
    /// The stack exists but lacks outputs the tool needs (it may still be deploying).
    #[error(
        "stack {name:?} ({status}) has no {missing} output; deploy it from this repository's template.yaml and wait until it is complete"
    )]
    StackIncomplete {
        name: String,
        status: String,
        missing: String,
    },
    /// Reading the stack's outputs failed.
    #[error("reading the outputs of stack {name:?}: {message}")]
    Stack { name: String, message: String },
    /// The result could not be written to standard output.
    #[error("writing the output: {0}")]
    Output(#[source] std::io::Error),
}

use authbridge::oauth::connections::DeleteClientError;

impl CliError {
    /// A stable, machine-readable name for the kind of failure, printed with `--json`
    /// (`{"error": {"code": ..., "message": ...}}`) so scripts need not parse messages.
    pub fn code(&self) -> &'static str {
        use authbridge::api_tokens::ApiTokenError;
        match self {
            CliError::Config(_) => "configuration",
            CliError::Context(ContextError::Config(_)) => "configuration",
            CliError::Context(ContextError::Store(e)) | CliError::Store(e) => store_code(e),
            CliError::Providers(_) | CliError::OAuthContext(_) => "configuration",
            CliError::Http(_) => "http_client",
            CliError::Clients(e) => match e {
                ClientAdminError::UnknownProvider(_) => "unknown_provider",
                ClientAdminError::InvalidOption { .. } | ClientAdminError::Empty(_) => {
                    "invalid_argument"
                }
                ClientAdminError::NotFound(_) => "not_found",
                ClientAdminError::RotationPending { .. } | ClientAdminError::NoSecret(_) => {
                    "conflict"
                }
                ClientAdminError::Store(e) => store_code(e),
                ClientAdminError::Secrets(_) => "secret_store",
                ClientAdminError::Provider(_) => "configuration",
            },
            CliError::Secrets(_) => "secret_store",
            CliError::Rotation(e) => {
                use authbridge::secrets::rotation::RotationError;
                match e {
                    RotationError::Missing(_) => "not_found",
                    RotationError::Pending(_) => "conflict",
                    RotationError::Secrets(_) => "secret_store",
                }
            }
            CliError::Keys(e) => {
                use authbridge::keys::KeyError;
                match e {
                    KeyError::Refused(_) => "refused",
                    KeyError::UnknownVersion(_) => "not_found",
                    KeyError::Store(e) => store_code(e),
                    KeyError::Secrets(_) => "secret_store",
                    _ => "keys",
                }
            }
            CliError::Refresh(_) | CliError::RefreshFailed { .. } => "refresh_failed",
            CliError::Mail(e) => {
                use authbridge::oauth::mail::MailError;
                use authbridge::oauth::refresh::RefreshError;
                match e {
                    MailError::Refresh(RefreshError::NotFound(_)) => "not_found",
                    MailError::NoTemplate { .. } => "no_mail_settings",
                    MailError::Owner { .. } => "mail_user_unknown",
                    MailError::Refresh(_) => "refresh_failed",
                }
            }
            CliError::ApiTokens(e) => match e {
                ApiTokenError::NameTaken(_) => "conflict",
                ApiTokenError::NotFound(_) => "not_found",
                ApiTokenError::Store(e) => store_code(e),
            },
            CliError::Invalid(_)
            | CliError::EmptySecret
            | CliError::NothingToUpdate
            | CliError::Stdin(_)
            | CliError::ImportFile { .. } => "invalid_argument",
            CliError::TokenNotFound(_) => "not_found",
            CliError::TokenKeySecret(_) => "conflict",
            CliError::NotAws => "configuration",
            CliError::Users(e) => match e {
                UserAdminError::NotFound(_) => "not_found",
                UserAdminError::Taken(_) => "conflict",
                UserAdminError::Store(e) => store_code(e),
                _ => "invalid_argument",
            },
            CliError::Import(_) | CliError::NotImported(_) => "import_failed",
            CliError::StackNotFound { .. } => "stack_not_found",
            CliError::StackIncomplete { .. } => "stack_incomplete",
            CliError::Stack { .. } => "aws",
            CliError::Output(_) => "output",
            CliError::OAuth(e) => match e {
                authbridge::oauth::OAuthError::Store(e) => store_code(e),
                other => match other.code() {
                    "connection_exists" => "conflict",
                    "unknown_client" => "not_found",
                    "server_error" => "configuration",
                    _ => "invalid_argument",
                },
            },
            CliError::DeleteClient(e) => match e {
                DeleteClientError::HasTokens { .. } => "conflict",
                DeleteClientError::Clients(ClientAdminError::NotFound(_)) => "not_found",
                DeleteClientError::Clients(_) => "clients",
                DeleteClientError::Store(e) => store_code(e),
            },
            CliError::NoPublicUrl => "configuration",
        }
    }
}

fn store_code(err: &StoreError) -> &'static str {
    match err {
        StoreError::AlreadyExists(_) | StoreError::StaleVersion => "conflict",
        StoreError::NotFound => "not_found",
        StoreError::Unavailable { .. } => "store_unavailable",
        StoreError::Backend { .. } => "store",
    }
}
