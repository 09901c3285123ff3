//! The part of resolving a provider that needs no network: every URL of its options (with a
//! client's overrides) filled in for a tenant and checked, and its issuer. A provider file is
//! checked by it at load (with the default tenant); a client's resolution starts from it.
//!
//! URLs may still name connection values (`{{connection.NAME}}`): they stay [`UrlTemplate`]s,
//! checked here against the provider's connection values (known names, values known by the time
//! the URL is used, secrets never in a URL, whole origins only from trusted values) and with
//! every value's example put in.

use super::connection::{CaptureSource, ConnectionSpec, ConnectionValues};
use super::endpoint::{FieldProblem, Issuer, Template, USE_ID_TOKEN};
use super::options::ProviderOptions;
use super::url_template::{OwnerTemplate, Position, UrlTemplate};

/// The tenant used when a client names none (as in CiviCRM).
pub const DEFAULT_TENANT: &str = "common";

/// The part of a resolution that needs no network: templated, checked URLs and the issuer.
/// An endpoint left out here comes from the issuer's discovery document, if any.
pub(crate) struct Plan {
    /// `urlAuthorize`.
    pub authorize: Option<UrlTemplate>,
    /// `urlAccessToken`.
    pub token: Option<UrlTemplate>,
    /// `urlRefreshToken`.
    pub refresh: Option<UrlTemplate>,
    /// `urlResourceOwnerDetails`.
    pub owner: Option<OwnerTemplate>,
    /// `urlRevokeToken`.
    pub revocation: Option<UrlTemplate>,
    /// `issuer`.
    pub issuer: Option<Issuer>,
}

/// When a URL is used, and so which connection values it may name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the redirect: parameters only.
    Authorize,
    /// At the code exchange: parameters and values captured from the redirect.
    Exchange,
    /// Afterwards: every value.
    Later,
}

/// Fills in and checks every URL of `options` (already merged with a client's overrides) and the
/// definition's `issuer`, against the provider's connection values `spec`. The error names the
/// JSON field at fault.
pub(crate) fn plan(
    options: &ProviderOptions,
    issuer: Option<&str>,
    spec: &ConnectionSpec,
    template: &Template<'_>,
) -> Result<Plan, (&'static str, FieldProblem)> {
    let url = |field: &'static str, raw: &Option<String>, stage: Stage| {
        raw.as_deref()
            .map(|raw| {
                let filled = template.fill(raw).map_err(|p| (field, p))?;
                let parsed = UrlTemplate::parse(field, &filled)
                    .and_then(|t| check(&t, spec, stage).map(|()| t))
                    .map_err(|reason| (field, FieldProblem::Invalid(reason)))?;
                Ok(parsed)
            })
            .transpose()
    };
    let authorize = url(
        "options.urlAuthorize",
        &options.url_authorize,
        Stage::Authorize,
    )?;
    let token = url(
        "options.urlAccessToken",
        &options.url_access_token,
        Stage::Exchange,
    )?;
    let refresh = url(
        "options.urlRefreshToken",
        &options.url_refresh_token,
        Stage::Later,
    )?;
    let revocation = url(
        "options.urlRevokeToken",
        &options.url_revoke_token,
        Stage::Later,
    )?;
    let owner = match options.url_resource_owner_details.as_deref() {
        Some(USE_ID_TOKEN) => Some(OwnerTemplate::IdToken),
        Some(_) => url(
            "options.urlResourceOwnerDetails",
            &options.url_resource_owner_details,
            Stage::Later,
        )?
        .map(OwnerTemplate::Url),
        None => None,
    };
    let issuer = issuer
        .map(|raw| {
            if raw.contains("{{connection.") {
                return Err((
                    "issuer",
                    FieldProblem::Invalid("the issuer cannot name connection values".into()),
                ));
            }
            let filled = template.fill(raw).map_err(|p| ("issuer", p))?;
            Issuer::parse(&filled).map_err(|reason| ("issuer", FieldProblem::Invalid(reason)))
        })
        .transpose()?;
    Ok(Plan {
        authorize,
        token,
        refresh,
        owner,
        revocation,
        issuer,
    })
}

/// Checks the connection values `url` names against `spec`, then fills it with their examples.
fn check(url: &UrlTemplate, spec: &ConnectionSpec, stage: Stage) -> Result<(), String> {
    for (name, position) in url.names() {
        let trusted_origin = if let Some(parameter) = spec.parameter(name) {
            parameter.per_client
        } else if let Some(capture) = spec.captures.iter().find(|c| c.name.as_str() == name) {
            if capture.spec.secret {
                return Err(format!(
                    "{{{{connection.{name}}}}} is a secret capture; a secret never goes in a URL"
                ));
            }
            let known = match capture.source {
                CaptureSource::Redirect => stage != Stage::Authorize,
                CaptureSource::TokenResponse => stage == Stage::Later,
            };
            if !known {
                return Err(format!(
                    "{{{{connection.{name}}}}} is captured after this URL is used"
                ));
            }
            if capture.spec.pattern.is_none() || capture.spec.example.is_none() {
                return Err(format!(
                    "{{{{connection.{name}}}}} is used in a URL, so its capture needs a pattern and an example"
                ));
            }
            true
        } else {
            return Err(format!(
                "{{{{connection.{name}}}}} names no connection parameter or capture of this provider"
            ));
        };
        if position == Position::Origin && !trusted_origin {
            return Err(format!(
                "{{{{connection.{name}}}}} stands for a whole origin, which only a perClient parameter or a capture with a pattern may"
            ));
        }
    }
    url.fill(&ConnectionValues::examples(spec))
        .map(|_| ())
        .map_err(|e| format!("with the examples filled in: {e}"))
}

impl Plan {
    /// Whether an endpoint must come from the issuer's discovery document.
    pub fn needs_discovery(&self) -> bool {
        self.authorize.is_none() || self.token.is_none()
    }
}

/// The tenant to fill `{{tenant}}` with: `tenant`, or [`DEFAULT_TENANT`]. `None` when it could
/// change more of the URL than one path segment.
pub(crate) fn tenant_or_default(tenant: Option<&str>) -> Option<&str> {
    let tenant = tenant.unwrap_or(DEFAULT_TENANT);
    let safe = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant.chars().any(|c| c != '.')
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    safe.then_some(tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_that_could_escape_their_path_segment_are_refused() {
        assert_eq!(tenant_or_default(None), Some("common"));
        assert_eq!(
            tenant_or_default(Some("contoso.onmicrosoft.com")),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(
            tenant_or_default(Some("72f988bf-86f1-41af-91ab-2d7cd011db47")),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        for bad in ["", "..", "a/b", "evil.example?x=", "a#b", "x y"] {
            assert_eq!(tenant_or_default(Some(bad)), None, "{bad:?}");
        }
    }
}
