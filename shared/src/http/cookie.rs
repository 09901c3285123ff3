//! Cookies: reading one from a request, and the `Set-Cookie` values authbridge sends (only the
//! flow-binding cookie: `HttpOnly`, `SameSite=Lax`, scoped to a path, `Secure` where it can be).

use lambda_http::Request;

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
    /// `Set-Cookie` for `name=value` living `max_age` seconds.
    pub fn set(&self, name: &str, value: &str, max_age: i64) -> String {
        format!(
            "{name}={value}; Max-Age={}; Path={}; HttpOnly; SameSite=Lax{}",
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
    }
}
