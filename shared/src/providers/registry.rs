//! The providers a deployment knows: the ones shipped in the binary, extended and overridden by an
//! operator folder of JSON files.
//!
//! In Lambda, the operator folder is shipped inside the function package or in a Lambda layer, which
//! Lambda extracts under `/opt`: put the files in a layer's `authbridge/providers/` folder and they
//! appear at [`LAMBDA_PROVIDERS_DIR`], which is used when it exists and
//! `AUTHBRIDGE_PROVIDERS_DIR` is not set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use super::ProviderError;
use super::definition::ProviderDefinition;
use super::discovery::OidcDiscovery;
use super::endpoint::{FieldProblem, Template};
use super::options::ProviderOptions;
use super::plan::{plan, tenant_or_default};
use super::resolved::ResolvedProvider;
use super::shipped::SHIPPED;
use crate::config::Env;

/// Environment variable naming the operator folder of provider files.
pub const PROVIDERS_DIR_VAR: &str = "AUTHBRIDGE_PROVIDERS_DIR";

/// Where a Lambda layer (or the function package) puts the operator's provider files.
pub const LAMBDA_PROVIDERS_DIR: &str = "/opt/authbridge/providers";

/// The tag of providers that only the local stack serves (the shipped `demo`).
pub const LOCAL_ONLY_TAG: &str = "local-only";

/// The operator folder: `AUTHBRIDGE_PROVIDERS_DIR` when set, else [`LAMBDA_PROVIDERS_DIR`] when it
/// exists, else none (shipped providers only).
pub fn providers_dir(env: &Env<'_>) -> Option<PathBuf> {
    env.get(PROVIDERS_DIR_VAR).map(PathBuf::from).or_else(|| {
        let lambda = Path::new(LAMBDA_PROVIDERS_DIR);
        lambda.is_dir().then(|| lambda.to_path_buf())
    })
}

/// Every known provider definition, and the discovery cache for those given by issuer.
#[derive(Debug)]
pub struct ProviderRegistry {
    definitions: BTreeMap<String, Definition>,
    /// Whether providers tagged [`LOCAL_ONLY_TAG`] are left out ([`Self::without_local_only`]).
    local_only_hidden: bool,
    discovery: OidcDiscovery,
}

/// One provider's definition: an operator's file, parsed and checked when the registry loads, or
/// a shipped one, parsed when first asked for. Parsing the shipped files was a tenth of an OAuth
/// function's cold start; they are compiled in and checked by this module's tests, so there is
/// nothing a start could find wrong with them.
#[derive(Debug)]
enum Definition {
    Operator(ProviderDefinition),
    Shipped {
        name: &'static str,
        text: &'static str,
        parsed: OnceLock<Option<ProviderDefinition>>,
    },
}

impl Definition {
    fn shipped(name: &'static str, text: &'static str) -> Self {
        Definition::Shipped {
            name,
            text,
            parsed: OnceLock::new(),
        }
    }

    /// The definition; `None` only for a shipped file that does not parse, which the tests rule
    /// out (logged, and the provider is then unknown rather than a panic).
    fn get(&self) -> Option<&ProviderDefinition> {
        match self {
            Definition::Operator(definition) => Some(definition),
            Definition::Shipped { name, text, parsed } => parsed
                .get_or_init(|| {
                    ProviderDefinition::parse(&shipped_file(name), text)
                        .map_err(|e| tracing::error!(provider = %name, error = %e, "a shipped provider does not parse"))
                        .ok()
                })
                .as_ref(),
        }
    }
}

/// How errors name a shipped provider's file.
fn shipped_file(name: &str) -> String {
    format!("{name}.json (shipped)")
}

impl ProviderRegistry {
    /// The shipped providers only. `http` fetches discovery documents.
    pub fn shipped(http: reqwest::Client) -> Result<Self, ProviderError> {
        Self::load(None, http)
    }

    /// The shipped providers, then every `*.json` file of `dir` (replacing a shipped provider of the
    /// same name). Any bad file in `dir` refuses the whole load, with an error naming it.
    pub fn load(dir: Option<&Path>, http: reqwest::Client) -> Result<Self, ProviderError> {
        let mut definitions: BTreeMap<String, Definition> = SHIPPED
            .iter()
            .map(|(name, text)| (name.to_string(), Definition::shipped(name, text)))
            .collect();
        if let Some(dir) = dir {
            for (name, path) in provider_files(dir)? {
                let file = path.display().to_string();
                let text =
                    std::fs::read_to_string(&path).map_err(|source| ProviderError::Read {
                        path: file.clone(),
                        source,
                    })?;
                let definition = ProviderDefinition::parse(&file, &text)?;
                definitions.insert(name, Definition::Operator(definition));
            }
        }
        Ok(ProviderRegistry {
            definitions,
            local_only_hidden: false,
            discovery: OidcDiscovery::new(http),
        })
    }

    /// The shipped providers and the folder [`providers_dir`] finds in `env`.
    pub fn from_env(env: &Env<'_>, http: reqwest::Client) -> Result<Self, ProviderError> {
        Self::load(providers_dir(env).as_deref(), http)
    }

    /// The registry without the providers tagged `local-only` (the shipped `demo`), for
    /// deployments where no local stack serves them: a client of one would only fail there.
    pub fn without_local_only(mut self) -> Self {
        self.local_only_hidden = true;
        self
    }

    /// Keeps discovery documents for `ttl` instead of the default hour.
    pub fn with_discovery_ttl(mut self, ttl: Duration) -> Self {
        self.discovery = self.discovery.with_ttl(ttl);
        self
    }

    /// `(name, title)` of every provider, sorted by name.
    pub fn list(&self) -> Vec<(&str, &str)> {
        self.definitions
            .iter()
            .filter_map(|(name, definition)| Some((name.as_str(), self.shown(definition)?)))
            .map(|(name, def)| (name, def.title.as_str()))
            .collect()
    }

    /// The definition named `name`.
    pub fn get(&self, name: &str) -> Option<&ProviderDefinition> {
        self.shown(self.definitions.get(name)?)
    }

    /// Whether `name` is one of the providers shipped with authbridge (`false` for an operator's
    /// own definition from `AUTHBRIDGE_PROVIDERS_DIR`, and for an unknown name).
    pub fn is_shipped(&self, name: &str) -> bool {
        matches!(self.definitions.get(name), Some(Definition::Shipped { .. }))
    }

    /// Whether a provider named `name` exists (a client naming another is refused).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `definition`, unless this registry leaves it out.
    fn shown<'a>(&self, definition: &'a Definition) -> Option<&'a ProviderDefinition> {
        definition
            .get()
            .filter(|d| !(self.local_only_hidden && d.tags.iter().any(|t| t == LOCAL_ONLY_TAG)))
    }

    /// The provider `name` made concrete for one client: its `tenant` (default `common`) fills
    /// `{{tenant}}`, `local_base` (the local stack's base URL) fills `{{local}}`, and
    /// `client_options` override the provider's options key by key. Endpoints the options leave
    /// out are discovered from the issuer (cached).
    pub async fn resolve(
        &self,
        name: &str,
        tenant: Option<&str>,
        client_options: &Map<String, Value>,
        local_base: Option<&Url>,
    ) -> Result<ResolvedProvider, ProviderError> {
        let definition = self.get(name).ok_or_else(|| ProviderError::Unknown {
            name: name.to_string(),
        })?;
        let overrides = ProviderOptions::from_map(client_options).map_err(|(field, message)| {
            ProviderError::ClientOptions {
                provider: name.to_string(),
                field,
                message,
            }
        })?;
        let options = definition.options.overridden_by(&overrides);
        let connection = definition
            .connection_spec(options.connection.as_ref())
            .map_err(|(field, message)| ProviderError::ClientOptions {
                provider: name.to_string(),
                field,
                message,
            })?;
        let tenant = tenant_or_default(tenant).ok_or_else(|| ProviderError::InvalidTenant {
            tenant: tenant.unwrap_or_default().to_string(),
        })?;
        let template = Template {
            tenant,
            local: local_base,
        };
        let plan = plan(
            &options,
            definition.issuer.as_deref(),
            &connection,
            &template,
        )
        .map_err(|(field, problem)| {
            let (provider, field) = (name.to_string(), field.to_string());
            match problem {
                FieldProblem::LocalBaseRequired => {
                    ProviderError::LocalBaseRequired { provider, field }
                }
                FieldProblem::Invalid(reason) => ProviderError::InvalidUrl {
                    provider,
                    field,
                    reason,
                },
            }
        })?;
        let missing = || ProviderError::MissingEndpoints {
            file: format!("{name}.json"),
        };
        let metadata = match (&plan.issuer, plan.needs_discovery()) {
            (_, false) => None,
            (None, true) => return Err(missing()),
            (Some(issuer), true) => {
                Some(self.discovery.metadata(issuer).await.map_err(|source| {
                    ProviderError::Discovery {
                        provider: name.to_string(),
                        source,
                    }
                })?)
            }
        };
        ResolvedProvider::from_plan(
            plan,
            name,
            definition,
            &options,
            connection,
            metadata.as_deref(),
        )
        .ok_or_else(missing)
    }
}

/// The `*.json` files of `dir` as `(provider name, path)`, sorted by name.
fn provider_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ProviderError> {
    let read_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| ProviderError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
        let path = entry.map_err(read_error(dir))?.path();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(name) = file_name.strip_suffix(".json") else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        if !is_provider_name(name) {
            return Err(ProviderError::InvalidFile {
                file: path.display().to_string(),
                field: "file name".to_string(),
                message: "a provider name starts with a letter or digit and has only letters, digits, '.', '-' and '_'".to_string(),
            });
        }
        files.push((name.to_string(), path));
    }
    files.sort();
    Ok(files)
}

fn is_provider_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests;
