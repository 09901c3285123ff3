//! The part of resolving a provider that needs no network: every URL of its options (with a
//! client's overrides) filled in for a tenant and checked, and its issuer. A provider file is
//! checked by it at load (with the default tenant); a client's resolution starts from it.

use url::Url;

use super::endpoint::{FieldProblem, Issuer, OwnerSource, Template, USE_ID_TOKEN};
use super::options::ProviderOptions;

/// The tenant used when a client names none (as in CiviCRM).
pub const DEFAULT_TENANT: &str = "common";

/// The part of a resolution that needs no network: templated, checked URLs and the issuer.
/// An endpoint left out here comes from the issuer's discovery document, if any.
pub(crate) struct Plan {
    /// `urlAuthorize`.
    pub authorize: Option<Url>,
    /// `urlAccessToken`.
    pub token: Option<Url>,
    /// `urlResourceOwnerDetails`.
    pub owner: Option<OwnerSource>,
    /// `urlRevokeToken`.
    pub revocation: Option<Url>,
    /// `issuer`.
    pub issuer: Option<Issuer>,
}

/// Fills in and checks every URL of `options` (already merged with a client's overrides) and the
/// definition's `issuer`. The error names the JSON field at fault.
pub(crate) fn plan(
    options: &ProviderOptions,
    issuer: Option<&str>,
    template: &Template<'_>,
) -> Result<Plan, (&'static str, FieldProblem)> {
    let url = |field: &'static str, raw: &Option<String>| {
        raw.as_deref()
            .map(|raw| template.url(raw).map_err(|p| (field, p)))
            .transpose()
    };
    let authorize = url("options.urlAuthorize", &options.url_authorize)?;
    let token = url("options.urlAccessToken", &options.url_access_token)?;
    let revocation = url("options.urlRevokeToken", &options.url_revoke_token)?;
    let owner = match options.url_resource_owner_details.as_deref() {
        Some(USE_ID_TOKEN) => Some(OwnerSource::IdToken),
        Some(_) => url(
            "options.urlResourceOwnerDetails",
            &options.url_resource_owner_details,
        )?
        .map(OwnerSource::Url),
        None => None,
    };
    let issuer = issuer
        .map(|raw| {
            let filled = template.fill(raw).map_err(|p| ("issuer", p))?;
            Issuer::parse(&filled).map_err(|reason| ("issuer", FieldProblem::Invalid(reason)))
        })
        .transpose()?;
    Ok(Plan {
        authorize,
        token,
        owner,
        revocation,
        issuer,
    })
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
