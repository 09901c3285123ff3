//! The landing-URL allow-list: where a browser may be sent after a flow. authbridge is never an open
//! redirector: a landing URL must match an allowed origin exactly and start with an allowed path
//! prefix on a segment boundary.

use url::Url;

/// Allowed landing URLs, as a list of `origin + path prefix` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LandingAllowlist {
    entries: Vec<Url>,
}

/// Why a landing URL was refused. Carries no URL back to the caller beyond what it sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LandingError {
    #[error("landing_url is not an absolute http(s) URL")]
    NotAbsolute,
    #[error("landing_url is not on the allow-list")]
    NotAllowed,
}

impl LandingAllowlist {
    /// Parses a comma- or space-separated list of absolute URLs (`AUTHBRIDGE_LANDING_ALLOWLIST`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let entries = raw
            .split([',', ' ', '\n'])
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let url = Url::parse(s.trim()).map_err(|e| format!("{s:?}: {e}"))?;
                match url.scheme() {
                    "http" | "https" if url.host().is_some() => Ok(url),
                    _ => Err(format!("{s:?} is not an http(s) URL with a host")),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LandingAllowlist { entries })
    }

    /// An allow-list of these URLs.
    pub fn from_urls(entries: Vec<Url>) -> Self {
        LandingAllowlist { entries }
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks `candidate` and returns it parsed.
    pub fn check(&self, candidate: &str) -> Result<Url, LandingError> {
        let url = Url::parse(candidate).map_err(|_| LandingError::NotAbsolute)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(LandingError::NotAbsolute);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(LandingError::NotAllowed);
        }
        let allowed = self
            .entries
            .iter()
            .any(|entry| entry.origin() == url.origin() && path_within(entry.path(), url.path()));
        if allowed {
            Ok(url)
        } else {
            Err(LandingError::NotAllowed)
        }
    }
}

/// True when `path` is `prefix` or below it (`/app` allows `/app` and `/app/x`, not `/apple`).
fn path_within(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return true;
    }
    path == prefix || path.starts_with(&format!("{prefix}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> LandingAllowlist {
        LandingAllowlist::parse("https://crm.example.org/civicrm, http://127.0.0.1:3000/").unwrap()
    }

    #[test]
    fn allowed_origin_and_path_prefix_pass() {
        let l = list();
        assert!(l.check("https://crm.example.org/civicrm").is_ok());
        assert!(l.check("https://crm.example.org/civicrm/mail?x=1").is_ok());
        assert!(l.check("http://127.0.0.1:3000/anything").is_ok());
    }

    #[test]
    fn everything_else_is_refused() {
        let l = list();
        for bad in [
            "https://evil.example/civicrm",
            "https://crm.example.org/civicrmx",
            "https://crm.example.org/other",
            "http://crm.example.org/civicrm",
            "https://crm.example.org:444/civicrm",
            "https://crm.example.org.evil.example/civicrm",
            "https://user@crm.example.org/civicrm",
            "http://127.0.0.1:3001/",
            "javascript:alert(1)",
            "//evil.example/",
            "/relative",
        ] {
            assert!(l.check(bad).is_err(), "{bad} must be refused");
        }
        assert!(
            LandingAllowlist::default()
                .check("https://crm.example.org/civicrm")
                .is_err()
        );
    }
}
