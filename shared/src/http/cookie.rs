//! Cookies: reading one from a request, and the `Set-Cookie` values authbridge sends (only the
//! flow-binding cookie: `HttpOnly`, `SameSite=Lax`, scoped to a path, `Secure` where it can be).

use lambda_http::Request;

use crate::oauth::flow::binding::{cookie_path, cookie_secure};
use crate::oauth::settings::OAuthSettings;

/// The value of the cookie `name` in the request's `Cookie` headers (API Gateway's `cookies` are
/// handed over as one such header).
pub fn read(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// Where and how a cookie is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieScope {
    pub path: String,
    pub secure: bool,
}

impl CookieScope {
    /// Where the flow-binding cookie is set, for a request that arrived at `request_uri`: the
    /// `/oauth` folder under the public URL, `Secure` but on a loopback host.
    pub fn for_flows(settings: &OAuthSettings, request_uri: &http::Uri) -> Self {
        match settings.public_base(request_uri) {
            Some(base) => CookieScope {
                path: cookie_path(&base),
                secure: cookie_secure(&base),
            },
            None => CookieScope {
                path: "/oauth".into(),
                secure: true,
            },
        }
    }

    /// Where the admin console's session cookie is set: the `/admin` folder under the public
    /// URL, `Secure` but on a loopback host.
    pub fn for_console(settings: &OAuthSettings, request_uri: &http::Uri) -> Self {
        match settings.public_base(request_uri) {
            Some(base) => CookieScope {
                path: format!("{}/admin", base.path().trim_end_matches('/')),
                secure: cookie_secure(&base),
            },
            None => CookieScope {
                path: "/admin".into(),
                secure: true,
            },
        }
    }

    /// `Set-Cookie` for `name=value` living `max_age` seconds, sent on top-level navigations from
    /// other sites too (`SameSite=Lax`: a provider's redirect back carries it).
    pub fn set(&self, name: &str, value: &str, max_age: i64) -> String {
        self.with_same_site(name, value, max_age, "Lax")
    }

    /// `Set-Cookie` for `name=value` living `max_age` seconds, never sent on a request another
    /// site started (`SameSite=Strict`: the console's session).
    pub fn set_strict(&self, name: &str, value: &str, max_age: i64) -> String {
        self.with_same_site(name, value, max_age, "Strict")
    }

    fn with_same_site(&self, name: &str, value: &str, max_age: i64, same_site: &str) -> String {
        format!(
            "{name}={value}; Max-Age={}; Path={}; HttpOnly; SameSite={same_site}{}",
            max_age.max(0),
            self.path,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` that removes `name`.
    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_set_with_its_attributes() {
        let req = http::Request::builder()
            .header("cookie", "a=1; authbridge_flow_x=v2")
            .header("cookie", "b=3")
            .body(lambda_http::Body::Empty)
            .unwrap();
        let req = Request::from(req);
        assert_eq!(read(&req, "authbridge_flow_x").as_deref(), Some("v2"));
        assert_eq!(read(&req, "b").as_deref(), Some("3"));
        assert_eq!(read(&req, "c"), None);
        let scope = CookieScope {
            path: "/oauth".into(),
            secure: true,
        };
        assert_eq!(
            scope.set("n", "v", 600),
            "n=v; Max-Age=600; Path=/oauth; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(scope.clear("n").starts_with("n=; Max-Age=0;"));
        assert_eq!(
            scope.set_strict("n", "v", 60),
            "n=v; Max-Age=60; Path=/oauth; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn the_flow_cookie_lives_under_the_public_url_and_is_secure_but_on_loopback() {
        use crate::config::{Config, Env};
        let scope = |vars: &[(&str, &str)], request: &str| {
            let env = Env::from_pairs(vars);
            let settings = OAuthSettings::from(&env, &Config::from(&env).unwrap()).unwrap();
            CookieScope::for_flows(&settings, &request.parse().unwrap())
        };
        let staged = [("AUTHBRIDGE_PUBLIC_URL", "https://api.example.org/prod")];
        assert_eq!(
            scope(&staged, "https://other.example/x"),
            CookieScope {
                path: "/prod/oauth".into(),
                secure: true
            }
        );
        let aws = [("AUTHBRIDGE_TABLE", "t")];
        assert_eq!(
            scope(&aws, "https://abc.example/oauth/go/l").path,
            "/oauth",
            "without a public URL, the host the request came in on"
        );
        let local = scope(&[], "http://127.0.0.1:3000/oauth/go/l");
        assert!(
            !local.secure,
            "a browser sends no Secure cookie over plain loopback"
        );
    }
}
