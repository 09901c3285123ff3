//! What the commands work against, read from the same environment variables as the functions:
//! the configuration, the stores and secrets, and the provider definitions. Each command builds
//! only what it needs, so `providers list` works without any store.
//!
//! With `--stack NAME` the stack's outputs supply the variables the environment does not set
//! (explicit variables win), so the tool sees the deployment exactly as its functions do.

use std::collections::HashMap;
use std::sync::OnceLock;

use authbridge::config::{Backend, Config, Env};
use authbridge::context::AppContext;
use authbridge::oauth::outbound::{OutboundHttp, Timeouts};
use authbridge::providers::ProviderRegistry;

use crate::error::CliError;

/// Variables read from the stack named by `--stack`, set once before the command runs.
static STACK_VARIABLES: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Reads the outputs of the stack `name` (once, before any command runs).
pub async fn use_stack(name: &str) -> Result<(), CliError> {
    let variables = crate::stack::variables(name, &Env::process()).await?;
    let _ = STACK_VARIABLES.set(variables);
    Ok(())
}

/// The configuration variables: the process environment first, then the stack's outputs.
pub fn env() -> Env<'static> {
    Env::from_fn(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| {
                STACK_VARIABLES
                    .get()
                    .and_then(|vars| vars.get(name).cloned())
            })
    })
}

/// The configuration of the deployment.
pub fn config() -> Result<Config, CliError> {
    Ok(Config::from(&env())?)
}

/// The stores and secrets. Says so on standard error when the embedded file does not exist yet
/// (it is then created), since that usually means the tool runs in another folder than the stack;
/// and when an AWS table is named without a secret prefix, since a stack deployed from
/// `template.yaml` keeps its secrets under a prefix of its own.
pub async fn app() -> Result<AppContext, CliError> {
    let config = config()?;
    match &config.backend {
        Backend::Embedded { path } if !path.exists() => crate::output::note(&format!(
            "creating a new embedded store at {} (set AUTHBRIDGE_DB_PATH to use another)",
            path.display()
        )),
        Backend::Aws(_) if env().get("AUTHBRIDGE_SECRET_PREFIX").is_none() => {
            crate::output::note(&format!(
                "secrets are read and written under {:?}; a stack deployed from template.yaml \
                 uses its own prefix: use --stack NAME (or set AUTHBRIDGE_SECRET_PREFIX)",
                config.secret_prefix
            ))
        }
        _ => {}
    }
    Ok(AppContext::build(config).await?)
}

/// The shipped providers and the operator's folder (`AUTHBRIDGE_PROVIDERS_DIR`); on AWS, without the local stack's own `demo` provider.
pub fn providers() -> Result<ProviderRegistry, CliError> {
    let http = OutboundHttp::new(Timeouts::default())?;
    let registry = ProviderRegistry::from_env(&env(), http.client().clone())?;
    Ok(match config()?.backend {
        Backend::Aws(_) => registry.without_local_only(),
        Backend::Embedded { .. } => registry,
    })
}

/// Everything the OAuth functions have, for commands that talk to providers (`tokens refresh`).
pub async fn oauth() -> Result<authbridge::oauth::OAuthContext, CliError> {
    Ok(authbridge::oauth::OAuthContext::from(&env()).await?)
}
