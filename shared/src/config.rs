//! The typed configuration every function reads once at cold start from environment variables.
//!
//! Each value is validated here, and an error names the variable that is missing or bad, so a
//! misconfigured deployment fails at start with a message an operator can act on.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Where the data lives: DynamoDB and Secrets Manager, or the embedded SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// DynamoDB table and Secrets Manager, through `aws-config`'s default credential chain.
    Aws(AwsSettings),
    /// One SQLite file holding every table and the secrets; the default when no AWS table is named.
    Embedded { path: PathBuf },
}

/// How to reach AWS. Between a deployment and the local emulator only `endpoint_url` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The DynamoDB table holding every aggregate (`AUTHBRIDGE_TABLE`).
    pub table: String,
    /// Region override (`AWS_REGION`); otherwise the default chain decides.
    pub region: Option<String>,
    /// Endpoint override for local use (`AWS_ENDPOINT_URL`), e.g. the moto server.
    pub endpoint_url: Option<Url>,
}

/// The configuration shared by every function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub backend: Backend,
    /// Prefix of every secret id authbridge writes (`AUTHBRIDGE_SECRET_PREFIX`, default `authbridge/`).
    pub secret_prefix: String,
    /// Secret id of the token data key (`AUTHBRIDGE_TOKEN_KEY_SECRET`, default `<prefix>token-key`).
    pub token_key_secret: String,
    /// How long a warm process keeps a secret it has read (`AUTHBRIDGE_SECRET_CACHE_TTL`, seconds, default 300).
    pub secret_cache_ttl: Duration,
    /// How long a warm process keeps an API token's record it has read
    /// (`AUTHBRIDGE_API_TOKEN_CACHE_TTL`, seconds, default 30; `crate::api_tokens::cache`).
    pub api_token_cache_ttl: Duration,
    /// Where events go (`AUTHBRIDGE_EVENT_BUS`, `AUTHBRIDGE_WEBHOOK_URL`, `AUTHBRIDGE_WEBHOOK_SECRET`).
    pub events: EventSettings,
    /// The keys that seal stored tokens (`AUTHBRIDGE_KMS_KEY_ID`, `AUTHBRIDGE_KEY_FILE`,
    /// `AUTHBRIDGE_KEY_CACHE_TTL`, `AUTHBRIDGE_RESEAL_BATCH`).
    pub keys: KeySettings,
}

/// The keys that seal stored tokens: which key-encryption key wraps the data keys, and how long
/// a warm process keeps them unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    /// The KMS key that wraps the data keys (`AUTHBRIDGE_KMS_KEY_ID`: an id, ARN or alias); AWS
    /// only. Without it, the token-key secret (`AUTHBRIDGE_TOKEN_KEY_SECRET`) wraps them on AWS,
    /// and the local key file on the embedded store.
    pub kms_key_id: Option<String>,
    /// The local key file (`AUTHBRIDGE_KEY_FILE`, default `authbridge.key` beside the database).
    pub key_file: Option<PathBuf>,
    /// How long a warm process keeps unwrapped data keys and the list of key versions
    /// (`AUTHBRIDGE_KEY_CACHE_TTL`, seconds, default 300).
    pub cache_ttl: Duration,
    /// How many records each scheduled sweep re-seals under the newest key version at most
    /// (`AUTHBRIDGE_RESEAL_BATCH`, default 100; 0 turns the sweep's re-seal off).
    pub reseal_batch: u32,
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings {
            kms_key_id: None,
            key_file: None,
            cache_ttl: Duration::from_secs(DEFAULT_KEY_CACHE_TTL),
            reseal_batch: DEFAULT_RESEAL_BATCH,
        }
    }
}

/// Default of `AUTHBRIDGE_KEY_CACHE_TTL`, seconds.
pub const DEFAULT_KEY_CACHE_TTL: u64 = 300;
/// Default of `AUTHBRIDGE_RESEAL_BATCH`.
pub const DEFAULT_RESEAL_BATCH: u32 = 100;

impl KeySettings {
    /// Reads the settings.
    pub fn from(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(KeySettings {
            kms_key_id: env.get("AUTHBRIDGE_KMS_KEY_ID"),
            key_file: env.get("AUTHBRIDGE_KEY_FILE").map(PathBuf::from),
            cache_ttl: env.seconds("AUTHBRIDGE_KEY_CACHE_TTL", DEFAULT_KEY_CACHE_TTL)?,
            reseal_batch: env.parse_or("AUTHBRIDGE_RESEAL_BATCH", DEFAULT_RESEAL_BATCH, |raw| {
                raw.parse::<u32>()
                    .map_err(|_| format!("expected a whole number, got {raw:?}"))
            })?,
        })
    }
}

/// Where events go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSettings {
    /// The EventBridge bus (`AUTHBRIDGE_EVENT_BUS`, a name or ARN); AWS only.
    pub bus: Option<String>,
    /// The webhook (`AUTHBRIDGE_WEBHOOK_URL`).
    pub webhook_url: Option<Url>,
    /// The secret (its name in the secret store) that signs webhook bodies
    /// (`AUTHBRIDGE_WEBHOOK_SECRET`, default `<prefix>webhook-key`).
    pub webhook_secret: Option<String>,
}

impl EventSettings {
    /// Reads the settings; `secret_prefix` names the default signing secret.
    pub fn from(env: &Env<'_>, secret_prefix: &str) -> Result<Self, ConfigError> {
        let webhook_url = env.url("AUTHBRIDGE_WEBHOOK_URL")?;
        let webhook_secret = webhook_url.as_ref().map(|_| {
            env.get("AUTHBRIDGE_WEBHOOK_SECRET")
                .unwrap_or_else(|| format!("{secret_prefix}webhook-key"))
        });
        Ok(EventSettings {
            bus: env.get("AUTHBRIDGE_EVENT_BUS").filter(|b| !b.is_empty()),
            webhook_url,
            webhook_secret,
        })
    }
}

/// A configuration variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is required: {why}")]
    Missing {
        name: &'static str,
        why: &'static str,
    },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Default location of the embedded store, under a git-ignored folder of the working directory.
pub const DEFAULT_DB_PATH: &str = ".authbridge/authbridge.db";

/// Reads environment-style variables; [`Env::process`] reads the real environment, tests pass maps.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

impl<'a> Env<'a> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env {
            lookup: Box::new(|k| std::env::var(k).ok()),
        }
    }

    /// Any lookup function, e.g. over a `HashMap` in tests.
    pub fn from_fn(f: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Env {
            lookup: Box::new(f),
        }
    }

    /// Fixed `(name, value)` pairs, e.g. in tests.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env<'static> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env {
            lookup: Box::new(move |k| map.get(k).cloned()),
        }
    }

    /// The trimmed value, with empty strings read as absent.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A value that must be present.
    pub fn require(&self, name: &'static str, why: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing { name, why })
    }

    /// A value parsed with `parse`, or `default` when absent.
    pub fn parse_or<T>(
        &self,
        name: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => parse(&raw).map_err(|reason| ConfigError::Invalid { name, reason }),
        }
    }

    /// An optional absolute URL.
    pub fn url(&self, name: &'static str) -> Result<Option<Url>, ConfigError> {
        self.get(name)
            .map(|raw| parse_url(&raw).map_err(|reason| ConfigError::Invalid { name, reason }))
            .transpose()
    }

    /// A boolean flag (`true/false`, `1/0`, `yes/no`, `on/off`).
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.parse_or(name, default, |raw| {
            match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(format!("expected true or false, got {raw:?}")),
            }
        })
    }

    /// A whole number of seconds.
    pub fn seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.parse_or(name, Duration::from_secs(default), |raw| {
            raw.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("expected a whole number of seconds, got {raw:?}"))
        })
    }
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not an absolute URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "{raw:?} has scheme {other:?}; expected http or https"
        )),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads any [`Env`].
    pub fn from(env: &Env<'_>) -> Result<Self, ConfigError> {
        let backend = match env.get("AUTHBRIDGE_BACKEND").as_deref() {
            Some("aws") => Backend::Aws(aws_settings(env)?),
            Some("embedded") => embedded(env)?,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AUTHBRIDGE_BACKEND",
                    reason: format!("expected aws or embedded, got {other:?}"),
                });
            }
            None if env.get("AUTHBRIDGE_TABLE").is_some() => Backend::Aws(aws_settings(env)?),
            None => embedded(env)?,
        };
        let secret_prefix = env
            .get("AUTHBRIDGE_SECRET_PREFIX")
            .unwrap_or_else(|| "authbridge/".to_string());
        let token_key_secret = env
            .get("AUTHBRIDGE_TOKEN_KEY_SECRET")
            .unwrap_or_else(|| format!("{secret_prefix}token-key"));
        Ok(Config {
            backend,
            events: EventSettings::from(env, &secret_prefix)?,
            secret_prefix,
            token_key_secret,
            secret_cache_ttl: env.seconds("AUTHBRIDGE_SECRET_CACHE_TTL", 300)?,
            keys: KeySettings::from(env)?,
            api_token_cache_ttl: env.seconds("AUTHBRIDGE_API_TOKEN_CACHE_TTL", 30)?,
        })
    }
}

fn aws_settings(env: &Env<'_>) -> Result<AwsSettings, ConfigError> {
    Ok(AwsSettings {
        table: env.require(
            "AUTHBRIDGE_TABLE",
            "the DynamoDB table name is needed when AUTHBRIDGE_BACKEND=aws",
        )?,
        region: env.get("AWS_REGION"),
        endpoint_url: env.url("AWS_ENDPOINT_URL")?,
    })
}

fn embedded(env: &Env<'_>) -> Result<Backend, ConfigError> {
    if !cfg!(feature = "embedded") {
        return Err(no_embedded_store());
    }
    Ok(Backend::Embedded {
        path: env
            .get("AUTHBRIDGE_DB_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DB_PATH)),
    })
}

/// The answer of a build without the `embedded` feature (the Lambda functions) to a
/// configuration that asks for the embedded store, or names no AWS table.
pub(crate) fn no_embedded_store() -> ConfigError {
    ConfigError::Invalid {
        name: "AUTHBRIDGE_BACKEND",
        reason:
            "this build has no embedded store (it runs on AWS only): set AUTHBRIDGE_BACKEND=aws \
                 and AUTHBRIDGE_TABLE"
                .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from(&Env::from_pairs(vars))
    }

    #[test]
    #[cfg(feature = "embedded")]
    fn embedded_store_is_the_default_without_aws_configuration() {
        let cfg = config(&[]).unwrap();
        assert_eq!(
            cfg.backend,
            Backend::Embedded {
                path: PathBuf::from(DEFAULT_DB_PATH)
            }
        );
        assert_eq!(cfg.token_key_secret, "authbridge/token-key");
    }

    #[test]
    fn a_table_name_selects_aws_with_the_endpoint_override() {
        let cfg = config(&[
            ("AUTHBRIDGE_TABLE", "t1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ])
        .unwrap();
        match cfg.backend {
            Backend::Aws(aws) => {
                assert_eq!(aws.table, "t1");
                assert_eq!(aws.endpoint_url.unwrap().as_str(), "http://127.0.0.1:5000/");
            }
            other => panic!("expected AWS, got {other:?}"),
        }
    }

    /// A Lambda build (no `embedded` feature) answers the embedded backend with an error, at
    /// start: `cargo test -p authbridge --lib --no-default-features a_build_without` (other
    /// tests of this crate assume the embedded default and are run with the default features).
    #[test]
    #[cfg(not(feature = "embedded"))]
    fn a_build_without_the_embedded_store_refuses_it() {
        for vars in [&[("AUTHBRIDGE_BACKEND", "embedded")][..], &[]] {
            let err = config(vars).unwrap_err();
            assert!(err.to_string().contains("AUTHBRIDGE_BACKEND"), "{err}");
            assert!(err.to_string().contains("no embedded store"), "{err}");
        }
        assert!(config(&[("AUTHBRIDGE_TABLE", "t1")]).is_ok());
    }

    #[test]
    fn errors_name_the_variable() {
        let err = config(&[("AUTHBRIDGE_BACKEND", "aws")]).unwrap_err();
        assert!(err.to_string().contains("AUTHBRIDGE_TABLE"), "{err}");
        let err = config(&[("AUTHBRIDGE_TABLE", "t"), ("AWS_ENDPOINT_URL", "nope")]).unwrap_err();
        assert!(err.to_string().contains("AWS_ENDPOINT_URL"), "{err}");
        let err = config(&[("AUTHBRIDGE_SECRET_CACHE_TTL", "soon")]).unwrap_err();
        assert!(
            err.to_string().contains("AUTHBRIDGE_SECRET_CACHE_TTL"),
            "{err}"
        );
        let err = config(&[("AUTHBRIDGE_BACKEND", "s3")]).unwrap_err();
        assert!(err.to_string().contains("AUTHBRIDGE_BACKEND"), "{err}");
    }
}
