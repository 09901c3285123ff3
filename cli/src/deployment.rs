//! What the commands work against, read from the same environment variables as the functions:
//! the configuration, the stores and secrets, and the provider definitions. Each command builds
//! only what it needs, so `providers list` works without any store.

use authbridge::config::{Backend, Config, Env};
use authbridge::context::AppContext;
use authbridge::oauth::http::{OutboundHttp, Timeouts};
use authbridge::providers::ProviderRegistry;

use crate::error::CliError;

/// The configuration of the deployment.
pub fn config() -> Result<Config, CliError> {
    Ok(Config::from_env()?)
}

/// The stores and secrets. Says so on standard error when the embedded file does not exist yet
/// (it is then created), since that usually means the tool runs in another folder than the stack.
pub async fn app() -> Result<AppContext, CliError> {
    let config = config()?;
    if let Backend::Embedded { path } = &config.backend
        && !path.exists()
    {
        eprintln!(
            "note: creating a new embedded store at {} (set AUTHBRIDGE_DB_PATH to use another)",
            path.display()
        );
    }
    Ok(AppContext::build(config).await?)
}

/// The shipped providers and the operator's folder (`AUTHBRIDGE_PROVIDERS_DIR`); on AWS, without the local stack's own `demo` provider.
pub fn providers() -> Result<ProviderRegistry, CliError> {
    let http = OutboundHttp::new(Timeouts::default())?;
    let registry = ProviderRegistry::from_env(&Env::process(), http.client().clone())?;
    Ok(match config()?.backend {
        Backend::Aws(_) => registry.without_local_only(),
        Backend::Embedded { .. } => registry,
    })
}

/// Everything the OAuth functions have, for commands that talk to providers (`tokens refresh`).
pub async fn oauth() -> Result<authbridge::oauth::OAuthContext, CliError> {
    Ok(authbridge::oauth::OAuthContext::from_env().await?)
}
