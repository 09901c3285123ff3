//! Client authentication at the token endpoint (RFC 6749 §2.3.1): `client_secret_basic` or
//! `client_secret_post`, one of them per request.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use percent_encoding::percent_decode_str;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::DemoClient;
use super::params::Params;

/// Why a token request's client was not authenticated.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum ClientAuthError {
    /// HTTP Basic and a `client_secret` parameter in one request (RFC 6749 §2.3).
    #[error("use one client authentication method: HTTP Basic or client_secret in the body")]
    SeveralMethods,
    /// No credentials, malformed ones, an unknown client or a wrong secret.
    #[error("client authentication failed")]
    Failed,
}

/// Checks the request's client credentials against the registered `client`.
pub(super) fn authenticate(
    client: &DemoClient,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(), ClientAuthError> {
    let (client_id, secret) = match headers.get(AUTHORIZATION) {
        Some(value) => {
            if params.get("client_secret").is_some() {
                return Err(ClientAuthError::SeveralMethods);
            }
            let (id, secret) =
                basic_credentials(value.to_str().map_err(|_| ClientAuthError::Failed)?)
                    .ok_or(ClientAuthError::Failed)?;
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(ClientAuthError::Failed);
            }
            (Cow::Owned(id), Cow::Owned(secret))
        }
        None => match (params.get("client_id"), params.get("client_secret")) {
            (Some(id), Some(secret)) => (Cow::Borrowed(id), Cow::Borrowed(secret)),
            _ => return Err(ClientAuthError::Failed),
        },
    };
    let id_matches = client_id == client.client_id;
    let secret_matches = same_secret(&secret, client.client_secret.expose_secret());
    if id_matches && secret_matches {
        Ok(())
    } else {
        Err(ClientAuthError::Failed)
    }
}

/// The id and secret of an `Authorization: Basic` value, each form-urlencoded before base64
/// (RFC 6749 §2.3.1); `None` for another scheme or a malformed value.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// One `application/x-www-form-urlencoded` value decoded: `+` is a space, `%XX` a byte.
fn form_decode(value: &str) -> Option<String> {
    let spaced = value.replace('+', " ");
    let decoded = percent_decode_str(&spaced).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

/// Compares secrets in constant time; hashing first hides their lengths too.
fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "a b:p%2Bw=d" — the id "a b" and the secret "p+w=d", as oauth2-rs encodes them.
        let value = format!("Basic {}", STANDARD.encode("a+b:p%2Bw%3Dd"));
        let (id, secret) = basic_credentials(&value).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("a b", "p+w=d"));
        assert!(basic_credentials("Bearer abc").is_none());
        assert!(basic_credentials("Basic not-base64!").is_none());
    }
}
