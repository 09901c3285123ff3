//! Settings of the admin console, read once at cold start; an error names its variable.

use std::time::Duration;

use crate::config::{ConfigError, Env};

/// How long console sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// A session unused this long ends (`AUTHBRIDGE_CONSOLE_IDLE_TIMEOUT`, seconds, default 1800).
    pub idle: Duration,
    /// A session ends this long after sign-in however it is used
    /// (`AUTHBRIDGE_CONSOLE_SESSION_LIFETIME`, seconds, default 43200: 12 hours).
    pub lifetime: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 60 * 60),
        }
    }
}

impl ConsoleSettings {
    /// Reads the settings; a timeout of zero is refused.
    pub fn from(env: &Env<'_>) -> Result<Self, ConfigError> {
        let defaults = ConsoleSettings::default();
        let idle = positive(env, "AUTHBRIDGE_CONSOLE_IDLE_TIMEOUT", defaults.idle)?;
        let lifetime = positive(
            env,
            "AUTHBRIDGE_CONSOLE_SESSION_LIFETIME",
            defaults.lifetime,
        )?;
        Ok(ConsoleSettings { idle, lifetime })
    }
}

fn positive(env: &Env<'_>, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let value = env.seconds(name, default.as_secs())?;
    if value.is_zero() {
        return Err(ConfigError::Invalid {
            name,
            reason: "must be at least 1 second".into(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_to_half_an_hour_and_twelve_hours_and_refuse_zero() {
        let read = |vars: &[(&str, &str)]| ConsoleSettings::from(&Env::from_pairs(vars));
        assert_eq!(read(&[]).unwrap(), ConsoleSettings::default());
        assert_eq!(
            read(&[("AUTHBRIDGE_CONSOLE_IDLE_TIMEOUT", "5")])
                .unwrap()
                .idle,
            Duration::from_secs(5)
        );
        let err = read(&[("AUTHBRIDGE_CONSOLE_SESSION_LIFETIME", "0")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("AUTHBRIDGE_CONSOLE_SESSION_LIFETIME"),
            "{err}"
        );
    }
}
