//! Settings of the login bridge, read once at cold start. Each is validated here and an error
//! names its variable.

use std::time::Duration;

use url::Url;

use crate::config::{Config, ConfigError, Env};
use crate::oauth::outbound::Timeouts;

/// Where the WordPress plugin serves the credential check, below the site's URL.
pub const CREDENTIAL_CHECK_PATH: &str = "api/v1/remp/auth";

/// Settings of `login-authenticate` (and of the user import, for the migration options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSettings {
    /// Priority of the local-user authenticator (`AUTHBRIDGE_LOCAL_PRIORITY`, default 500); higher
    /// runs first.
    pub local_priority: i32,
    /// The WordPress fallback, when switched on (`AUTHBRIDGE_WP_FALLBACK`, default off).
    pub wordpress: Option<WordpressSettings>,
    /// What a WordPress-validated login changes locally.
    pub migration: MigrationOptions,
    /// Lifetime of a session (`AUTHBRIDGE_SESSION_TTL`, seconds, default 3600).
    pub session_ttl: Duration,
    /// Limits on failed attempts.
    pub throttle: ThrottleLimits,
}

/// How to reach the WordPress credential check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordpressSettings {
    /// The site's base URL (`AUTHBRIDGE_WP_URL`); https, or http on a loopback address only.
    pub url: Url,
    /// Secret id of the bearer token the plugin expects (`AUTHBRIDGE_WP_TOKEN_SECRET`, default
    /// `<prefix>wordpress-token`).
    pub token_secret: String,
    /// Connect (`AUTHBRIDGE_WP_CONNECT_TIMEOUT`) and total (`AUTHBRIDGE_WP_TIMEOUT`) timeouts,
    /// seconds, 3 each by default.
    pub timeouts: Timeouts,
    /// Priority of the WordPress authenticator (`AUTHBRIDGE_WP_PRIORITY`, default 100).
    pub priority: i32,
}

impl WordpressSettings {
    /// The credential check's URL: `{url}/api/v1/remp/auth`.
    pub fn endpoint(&self) -> Url {
        let mut url = self.url.clone();
        let path = format!(
            "{}/{CREDENTIAL_CHECK_PATH}",
            self.url.path().trim_end_matches('/')
        );
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        url
    }
}

/// The reference module's options, applied when WordPress validated a login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrationOptions {
    /// `passwordReset` (`AUTHBRIDGE_WP_PASSWORD_RESET`, default off): an existing local user's
    /// password becomes the one WordPress just validated.
    pub password_reset: bool,
    /// `extIdReferencing` (`AUTHBRIDGE_WP_EXT_ID_REFERENCING`, default off): the WordPress ID is
    /// also written to the user's `ext_id` (a hard link).
    pub ext_id_referencing: bool,
}

/// A variable no longer read: `AUTHBRIDGE_WP_LINK_BY_EMAIL=on` let a WordPress-validated login
/// link, and open, a local user found by e-mail whose password authbridge set; no WordPress
/// password opens such an account any more (issue 24), so it has nothing left to allow.
const RETIRED_LINK_BY_EMAIL: &str = "AUTHBRIDGE_WP_LINK_BY_EMAIL";

/// Failed attempts allowed in one window before logins are refused as throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Per account: per local user whatever the name typed, else per name
    /// (`AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ACCOUNT`, default 5).
    pub per_account: u32,
    /// Per client address (`AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ADDRESS`, default 20).
    pub per_address: u32,
    /// Length of a window (`AUTHBRIDGE_LOGIN_THROTTLE_WINDOW`, seconds, default 900).
    pub window: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(900),
        }
    }
}

/// Default lifetime of a session.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(3600);
/// Default priority of the local-user authenticator (the reference's UsersModule).
pub const DEFAULT_LOCAL_PRIORITY: i32 = 500;
/// Default priority of the WordPress authenticator (the reference's README).
pub const DEFAULT_WORDPRESS_PRIORITY: i32 = 100;

impl Default for LoginSettings {
    /// Local users only, default limits and session lifetime.
    fn default() -> Self {
        LoginSettings {
            local_priority: DEFAULT_LOCAL_PRIORITY,
            wordpress: None,
            migration: MigrationOptions::default(),
            session_ttl: DEFAULT_SESSION_TTL,
            throttle: ThrottleLimits::default(),
        }
    }
}

impl MigrationOptions {
    /// Reads the two options (and warns of the retired `AUTHBRIDGE_WP_LINK_BY_EMAIL`).
    pub fn from(env: &Env<'_>) -> Result<Self, ConfigError> {
        if env.flag(RETIRED_LINK_BY_EMAIL, false).unwrap_or(true) {
            tracing::warn!(
                "{RETIRED_LINK_BY_EMAIL} is no longer read: a WordPress password never opens an account whose password was set in authbridge"
            );
        }
        Ok(MigrationOptions {
            password_reset: env.flag("AUTHBRIDGE_WP_PASSWORD_RESET", false)?,
            ext_id_referencing: env.flag("AUTHBRIDGE_WP_EXT_ID_REFERENCING", false)?,
        })
    }
}

impl LoginSettings {
    /// Reads every login setting; `config` supplies the secret prefix.
    pub fn from(env: &Env<'_>, config: &Config) -> Result<Self, ConfigError> {
        let local_priority = priority(env, "AUTHBRIDGE_LOCAL_PRIORITY", DEFAULT_LOCAL_PRIORITY)?;
        let wordpress = if env.flag("AUTHBRIDGE_WP_FALLBACK", false)? {
            let wordpress = wordpress_settings(env, config)?;
            if wordpress.priority == local_priority {
                return Err(ConfigError::Invalid {
                    name: "AUTHBRIDGE_WP_PRIORITY",
                    reason: "must differ from AUTHBRIDGE_LOCAL_PRIORITY, which orders the two"
                        .into(),
                });
            }
            Some(wordpress)
        } else {
            None
        };
        let session_ttl = bounded_seconds(
            env,
            "AUTHBRIDGE_SESSION_TTL",
            DEFAULT_SESSION_TTL.as_secs(),
            60..=30 * 24 * 3600,
        )?;
        let defaults = ThrottleLimits::default();
        let throttle = ThrottleLimits {
            per_account: count(
                env,
                "AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                defaults.per_account,
            )?,
            per_address: count(
                env,
                "AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ADDRESS",
                defaults.per_address,
            )?,
            window: bounded_seconds(
                env,
                "AUTHBRIDGE_LOGIN_THROTTLE_WINDOW",
                defaults.window.as_secs(),
                1..=24 * 3600,
            )?,
        };
        Ok(LoginSettings {
            local_priority,
            wordpress,
            migration: MigrationOptions::from(env)?,
            session_ttl,
            throttle,
        })
    }
}

fn wordpress_settings(env: &Env<'_>, config: &Config) -> Result<WordpressSettings, ConfigError> {
    let url = env.url("AUTHBRIDGE_WP_URL")?.ok_or(ConfigError::Missing {
        name: "AUTHBRIDGE_WP_URL",
        why: "the WordPress fallback (AUTHBRIDGE_WP_FALLBACK) needs the site's URL",
    })?;
    check_transport(&url).map_err(|reason| ConfigError::Invalid {
        name: "AUTHBRIDGE_WP_URL",
        reason,
    })?;
    let token_secret = wordpress_token_secret(env, config);
    let timeouts = Timeouts {
        connect: bounded_seconds(env, "AUTHBRIDGE_WP_CONNECT_TIMEOUT", 3, 1..=25)?,
        total: bounded_seconds(env, "AUTHBRIDGE_WP_TIMEOUT", 3, 1..=25)?,
    };
    Ok(WordpressSettings {
        url,
        token_secret,
        timeouts,
        priority: priority(env, "AUTHBRIDGE_WP_PRIORITY", DEFAULT_WORDPRESS_PRIORITY)?,
    })
}

/// The secret id of the WordPress plugin's bearer token: `AUTHBRIDGE_WP_TOKEN_SECRET`, else
/// `<prefix>wordpress-token` (what `authbridge wordpress set-token` writes).
pub fn wordpress_token_secret(env: &Env<'_>, config: &Config) -> String {
    env.get("AUTHBRIDGE_WP_TOKEN_SECRET")
        .unwrap_or_else(|| format!("{}wordpress-token", config.secret_prefix))
}

/// Passwords go to WordPress in the request body: only over TLS, except to this machine.
fn check_transport(url: &Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || loopback {
        Ok(())
    } else {
        Err(format!(
            "{url} is not https: passwords would cross the network in clear (http is allowed only for a loopback address)"
        ))
    }
}

fn priority(env: &Env<'_>, name: &'static str, default: i32) -> Result<i32, ConfigError> {
    env.parse_or(name, default, |raw| {
        raw.parse::<i32>()
            .map_err(|_| format!("expected a whole number, got {raw:?}"))
    })
}

fn count(env: &Env<'_>, name: &'static str, default: u32) -> Result<u32, ConfigError> {
    env.parse_or(name, default, |raw| match raw.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1, got {raw:?}"
        )),
    })
}

fn bounded_seconds(
    env: &Env<'_>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let value = env.seconds(name, default)?;
    if range.contains(&value.as_secs()) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            name,
            reason: format!(
                "must be between {} and {} seconds",
                range.start(),
                range.end()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<LoginSettings, ConfigError> {
        let env = Env::from_pairs(vars);
        let config = Config::from(&env)?;
        LoginSettings::from(&env, &config)
    }

    #[test]
    fn without_configuration_only_local_users_log_in() {
        assert_eq!(settings(&[]).unwrap(), LoginSettings::default());
    }

    #[test]
    fn the_fallback_needs_a_url_and_defaults_the_rest() {
        let err = settings(&[("AUTHBRIDGE_WP_FALLBACK", "on")]).unwrap_err();
        assert!(err.to_string().contains("AUTHBRIDGE_WP_URL"), "{err}");

        let s = settings(&[
            ("AUTHBRIDGE_WP_FALLBACK", "on"),
            ("AUTHBRIDGE_WP_URL", "https://news.example.org/blog/"),
            ("AUTHBRIDGE_SECRET_PREFIX", "authbridge/prod/"),
        ])
        .unwrap();
        let wp = s.wordpress.unwrap();
        assert_eq!(
            wp.endpoint().as_str(),
            "https://news.example.org/blog/api/v1/remp/auth"
        );
        assert_eq!(wp.token_secret, "authbridge/prod/wordpress-token");
        assert_eq!(wp.timeouts.connect, Duration::from_secs(3));
        assert_eq!(wp.timeouts.total, Duration::from_secs(3));
        assert!(
            wp.priority < s.local_priority,
            "local users are asked first"
        );
    }

    #[test]
    fn passwords_never_travel_to_wordpress_in_clear() {
        let err = settings(&[
            ("AUTHBRIDGE_WP_FALLBACK", "on"),
            ("AUTHBRIDGE_WP_URL", "http://news.example.org"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("AUTHBRIDGE_WP_URL"), "{err}");
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:81",
        ] {
            settings(&[
                ("AUTHBRIDGE_WP_FALLBACK", "on"),
                ("AUTHBRIDGE_WP_URL", local),
            ])
            .unwrap_or_else(|e| panic!("{local}: {e}"));
        }
    }

    #[test]
    fn bad_values_are_refused_naming_the_variable() {
        let wp = [
            ("AUTHBRIDGE_WP_FALLBACK", "on"),
            ("AUTHBRIDGE_WP_URL", "https://wp.example.org"),
        ];
        let cases: [(&str, &str); 9] = [
            ("AUTHBRIDGE_WP_FALLBACK", "maybe"),
            ("AUTHBRIDGE_WP_TIMEOUT", "0"),
            ("AUTHBRIDGE_WP_CONNECT_TIMEOUT", "60"),
            ("AUTHBRIDGE_WP_PRIORITY", "500"),
            ("AUTHBRIDGE_LOCAL_PRIORITY", "high"),
            ("AUTHBRIDGE_SESSION_TTL", "5"),
            ("AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ADDRESS", "-1"),
            ("AUTHBRIDGE_LOGIN_THROTTLE_WINDOW", "soon"),
        ];
        for (name, value) in cases {
            let mut vars = wp.to_vec();
            vars.retain(|(n, _)| *n != name);
            vars.push((name, value));
            let err = settings(&vars).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn options_and_limits_are_read() {
        let s = settings(&[
            ("AUTHBRIDGE_WP_PASSWORD_RESET", "true"),
            ("AUTHBRIDGE_WP_EXT_ID_REFERENCING", "yes"),
            // Retired: a deployment that still sets it starts, with a warning.
            ("AUTHBRIDGE_WP_LINK_BY_EMAIL", "on"),
            ("AUTHBRIDGE_SESSION_TTL", "7200"),
            ("AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("AUTHBRIDGE_LOGIN_MAX_FAILURES_PER_ADDRESS", "50"),
            ("AUTHBRIDGE_LOGIN_THROTTLE_WINDOW", "60"),
        ])
        .unwrap();
        assert!(s.migration.password_reset && s.migration.ext_id_referencing);
        assert_eq!(
            settings(&[]).unwrap().migration,
            MigrationOptions::default(),
            "off by default"
        );
        assert_eq!(s.session_ttl, Duration::from_secs(7200));
        assert_eq!(
            s.throttle,
            ThrottleLimits {
                per_account: 3,
                per_address: 50,
                window: Duration::from_secs(60)
            }
        );
    }
}
