//! The values that tie a flow together, and to one browser:
//!
//! - the one-time link id (256 random bits) that the starter hands to a browser;
//! - the `state` sent to the provider, derived from the link id, so that neither is stored: the
//!   store holds only the state's SHA-256;
//! - the binding cookie (256 random bits) set when the link is opened, stored only as its SHA-256
//!   and checked when the provider sends the browser back (RFC 9700 §4.7.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

/// Where the one-time links are served, under the public URL.
pub const LINK_PATH: &str = "oauth/go/";

/// Prefix of the binding cookies' names; each flow has its own, so two flows started in one
/// browser do not overwrite each other's binding.
pub const COOKIE_PREFIX: &str = "authbridge_flow_";

fn random_256() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// The SHA-256 (hex) of a state value: the key a flow is stored under.
pub fn state_key(state: &str) -> String {
    sha256_hex(&[state.as_bytes()])
}

/// The id of a one-time link, `/oauth/go/<id>`. Never stored; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowLink(String);

impl std::fmt::Debug for FlowLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlowLink([redacted])")
    }
}

impl FlowLink {
    /// A fresh link id.
    pub fn generate() -> Self {
        FlowLink(random_256())
    }

    /// A link id as it appears in a path: 43 base64url characters, or nothing.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| FlowLink(raw.to_string()))
    }

    /// The `state` of this link's flow: derived, so the store needs neither value.
    pub fn state(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"authbridge flow state\0")
            .chain_update(self.0.as_bytes())
            .finalize();
        URL_SAFE_NO_PAD.encode(digest)
    }

    /// The link under `public_base`.
    pub fn url(&self, public_base: &Url) -> Url {
        let mut url = public_base.clone();
        let path = format!(
            "{}/{LINK_PATH}{}",
            public_base.path().trim_end_matches('/'),
            self.0
        );
        url.set_path(&path);
        url.set_query(None);
        url
    }
}

/// The cookie that binds a flow to the browser that opened its link.
pub struct BrowserBinding {
    /// The cookie's name, specific to the flow.
    pub name: String,
    /// The cookie's value (only its hash is stored).
    pub value: SecretString,
}

impl BrowserBinding {
    /// A fresh binding for the flow with `state`.
    pub fn generate(state: &str) -> Self {
        BrowserBinding {
            name: cookie_name(state),
            value: SecretString::from(random_256()),
        }
    }

    /// What the store keeps: the value's SHA-256.
    pub fn hash(&self) -> String {
        binding_hash(self.value.expose_secret())
    }
}

/// The name of the binding cookie of the flow with `state`.
pub fn cookie_name(state: &str) -> String {
    let digest = sha256_hex(&[b"authbridge flow cookie\0", state.as_bytes()]);
    format!("{COOKIE_PREFIX}{}", &digest[..16])
}

/// The SHA-256 (hex) of a presented cookie value.
pub fn binding_hash(value: &str) -> String {
    sha256_hex(&[value.as_bytes()])
}

/// Whether the cookie value a browser presented is the one stored for its flow.
pub fn binding_matches(stored_hash: Option<&str>, presented: Option<&str>) -> bool {
    match (stored_hash, presented) {
        (Some(stored), Some(presented)) => {
            bool::from(stored.as_bytes().ct_eq(binding_hash(presented).as_bytes()))
        }
        _ => false,
    }
}

/// Where the binding cookie is sent: the `/oauth` folder under the public URL (`/oauth`, or
/// `/<stage>/oauth`), which holds both the link and the return URL.
pub fn cookie_path(public_base: &Url) -> String {
    format!("{}/oauth", public_base.path().trim_end_matches('/'))
}

/// Whether the cookie must be `Secure`: always, except for plain HTTP on a loopback host (the
/// local stack), where a browser would not send a `Secure` cookie.
pub fn cookie_secure(public_base: &Url) -> bool {
    let loopback = match public_base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    !(public_base.scheme() == "http" && loopback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_derives_its_state_and_the_state_its_cookie_name() {
        let link = FlowLink::generate();
        let again = FlowLink::parse(&link.0).expect("a generated link parses");
        assert_eq!(link.state(), again.state());
        assert_ne!(link.state(), link.0, "the state is not the link id");
        assert!(cookie_name(&link.state()).starts_with(COOKIE_PREFIX));
        assert_ne!(
            cookie_name(&link.state()),
            cookie_name(&FlowLink::generate().state())
        );
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}!", "a".repeat(42)),
        ] {
            assert!(FlowLink::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_the_presented_binding_matches() {
        let binding = BrowserBinding::generate("s");
        let stored = binding.hash();
        assert!(binding_matches(
            Some(&stored),
            Some(binding.value.expose_secret())
        ));
        assert!(!binding_matches(Some(&stored), Some("another")));
        assert!(!binding_matches(Some(&stored), None));
        assert!(!binding_matches(None, Some(binding.value.expose_secret())));
    }

    #[test]
    fn cookies_are_secure_except_on_plain_http_loopback_and_scoped_to_the_oauth_folder() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(!cookie_secure(&url("http://127.0.0.1:3000/")));
        assert!(!cookie_secure(&url("http://localhost:3000/")));
        assert!(cookie_secure(&url("https://127.0.0.1/")));
        assert!(cookie_secure(&url("http://auth.example.org/")));
        assert_eq!(cookie_path(&url("https://x.example/prod/")), "/prod/oauth");
        assert_eq!(cookie_path(&url("http://127.0.0.1:3000")), "/oauth");
        let link = FlowLink::generate();
        assert_eq!(
            link.url(&url("https://x.example/prod/")).path(),
            format!("/prod/oauth/go/{}", link.0)
        );
    }
}
