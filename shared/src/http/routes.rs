//! The HTTP API's routes, once: method, path, the function that serves it, who may call it, and
//! its OpenAPI operation. The local stack routes by this table, each function dispatches by it,
//! and tests hold `template.yaml` (its `HttpApi` events) and `docs/openapi.json` (its operations
//! and their security) to it.

use lambda_http::http;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use percent_encoding::percent_decode_str;

use super::ApiError;
use crate::domain::Endpoint;

/// An operation of the HTTP API; [`Operation::id`] is its OpenAPI `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    StartFlow,
    StartFlowFromBrowser,
    OpenFlowLink,
    OauthReturn,
    RunGrant,
    GetToken,
    GetMailSettings,
    RefreshToken,
    ListConnections,
    Login,
    CurrentUser,
    Logout,
    SyncUser,
    SyncUserByGet,
    ConsoleHome,
    ConsolePage,
    ConsoleAction,
}

impl Operation {
    /// The OpenAPI `operationId`.
    pub fn id(self) -> &'static str {
        match self {
            Operation::StartFlow => "startFlow",
            Operation::StartFlowFromBrowser => "startFlowFromBrowser",
            Operation::OpenFlowLink => "openFlowLink",
            Operation::OauthReturn => "oauthReturn",
            Operation::RunGrant => "runGrant",
            Operation::GetToken => "getToken",
            Operation::GetMailSettings => "getMailSettings",
            Operation::RefreshToken => "refreshToken",
            Operation::ListConnections => "listConnections",
            Operation::Login => "login",
            Operation::CurrentUser => "currentUser",
            Operation::Logout => "logout",
            Operation::SyncUser => "syncUser",
            Operation::SyncUserByGet => "syncUserByGet",
            Operation::ConsoleHome => "consoleHome",
            Operation::ConsolePage => "consolePage",
            Operation::ConsoleAction => "consoleAction",
        }
    }
}

/// A function with HTTP routes (the scheduled `token-refresh` has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    StartAuth,
    OAuthReturn,
    ClientCredentials,
    LoginAuthenticate,
    WpSyncUser,
    TokenAccess,
    AdminConsole,
}

impl Function {
    /// Its crate's folder, as `template.yaml`'s `CodeUri` names it.
    pub fn folder(self) -> &'static str {
        match self {
            Function::StartAuth => "functions/start-auth",
            Function::OAuthReturn => "functions/oauth-return",
            Function::ClientCredentials => "functions/client-credentials",
            Function::LoginAuthenticate => "functions/login-authenticate",
            Function::WpSyncUser => "functions/wp-sync-user",
            Function::TokenAccess => "functions/token-access",
            Function::AdminConsole => "functions/admin-console",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// A bearer API token allowed this endpoint (the `ApiToken` security scheme).
    ApiToken(Endpoint),
    /// A bearer session of `POST /auth/login` (the `Session` security scheme).
    Session,
    /// Anyone with an e-mail address and its password (a login).
    Credentials,
    /// The browser holding a flow's one-time link, or coming back with its state and cookie.
    FlowBrowser,
    /// Nobody: the route only explains how to get authority.
    Nobody,
    /// A browser with an admin console session cookie (a page says which permission it needs;
    /// the sign-in page and the stylesheet need none). HTML pages, outside the OpenAPI document.
    ConsoleSession,
}

/// The path parameter of a greedy template segment (`{proxy+}`): the rest of the path.
pub const GREEDY: &str = "proxy";

/// One route of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// The path template; `{name}` is one path segment, a path parameter; a last `{proxy+}` is
    /// the rest of the path, one or more segments (API Gateway's greedy parameter).
    pub path: &'static str,
    pub operation: Operation,
    pub function: Function,
    pub authority: Authority,
}

impl Route {
    /// Whether `docs/openapi.json` describes the route: every route but the admin console's,
    /// whose answers are HTML pages for a browser, not an API.
    pub fn documented(&self) -> bool {
        self.authority != Authority::ConsoleSession
    }

    /// API Gateway's route key, `GET /tokens/{tag}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

const fn route(
    method: &'static str,
    path: &'static str,
    operation: Operation,
    function: Function,
    authority: Authority,
) -> Route {
    Route {
        method,
        path,
        operation,
        function,
        authority,
    }
}

/// `POST /oauth/start`: a caller with authority starts a flow. Named, because an answer points to
/// it: a token that needs the user again says how to make the new connection.
pub const START_FLOW: Route = route(
    "POST",
    "/oauth/start",
    Operation::StartFlow,
    Function::StartAuth,
    Authority::ApiToken(Endpoint::OauthStart),
);

/// Every route of the HTTP API.
pub const ROUTES: &[Route] = {
    use Authority::*;
    use Function::*;
    use Operation::*;
    &[
        START_FLOW,
        route(
            "GET",
            "/oauth/start",
            StartFlowFromBrowser,
            StartAuth,
            Nobody,
        ),
        route(
            "GET",
            "/oauth/go/{link}",
            OpenFlowLink,
            StartAuth,
            FlowBrowser,
        ),
        route(
            "GET",
            "/oauth/return",
            OauthReturn,
            OAuthReturn,
            FlowBrowser,
        ),
        route(
            "POST",
            "/oauth/token",
            RunGrant,
            ClientCredentials,
            ApiToken(Endpoint::OauthToken),
        ),
        route(
            "GET",
            "/tokens/{tag}",
            GetToken,
            TokenAccess,
            ApiToken(Endpoint::Tokens),
        ),
        route(
            "GET",
            "/tokens/{tag}/mail",
            GetMailSettings,
            TokenAccess,
            ApiToken(Endpoint::Tokens),
        ),
        route(
            "POST",
            "/tokens/{tag}/refresh",
            RefreshToken,
            TokenAccess,
            ApiToken(Endpoint::Tokens),
        ),
        route(
            "GET",
            "/connections",
            ListConnections,
            TokenAccess,
            ApiToken(Endpoint::Connections),
        ),
        route("POST", "/auth/login", Login, LoginAuthenticate, Credentials),
        route("GET", "/auth/me", CurrentUser, LoginAuthenticate, Session),
        route("POST", "/auth/logout", Logout, LoginAuthenticate, Session),
        route(
            "POST",
            "/api/v1/wordpress/sync-user",
            SyncUser,
            WpSyncUser,
            ApiToken(Endpoint::SyncUser),
        ),
        route(
            "GET",
            "/api/v1/wordpress/sync-user",
            SyncUserByGet,
            WpSyncUser,
            ApiToken(Endpoint::SyncUser),
        ),
        route("GET", "/admin", ConsoleHome, AdminConsole, ConsoleSession),
        route(
            "GET",
            "/admin/{proxy+}",
            ConsolePage,
            AdminConsole,
            ConsoleSession,
        ),
        route(
            "POST",
            "/admin/{proxy+}",
            ConsoleAction,
            AdminConsole,
            ConsoleSession,
        ),
    ]
};

/// A request's route, with its path parameters (percent-decoded, as API Gateway hands them over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub route: &'static Route,
    pub params: Vec<(&'static str, String)>,
}

impl Routed {
    /// The path parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Its operation.
    pub fn operation(&self) -> Operation {
        self.route.operation
    }
}

/// The route of `method` and `path`: each `{name}` of a template matches one non-empty segment,
/// percent-decoded (so `/tokens/mail` is the tag `mail`, and `%2F` is a `/` inside a tag); a last
/// `{proxy+}` matches the rest of the path, one or more non-empty segments, each decoded.
pub fn match_path(method: &str, path: &str) -> Option<Routed> {
    ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .find_map(|r| match_template(r, path))
}

fn match_template(route: &'static Route, path: &str) -> Option<Routed> {
    let mut given = path.split('/');
    let mut params = Vec::new();
    for part in route.path.split('/') {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest: Vec<&str> = given.by_ref().collect();
            if rest.is_empty() || rest.iter().any(|s| s.is_empty()) {
                return None;
            }
            let decoded = rest
                .iter()
                .map(|s| percent_decode_str(s).decode_utf8().ok())
                .collect::<Option<Vec<_>>>()?;
            params.push((name, decoded.join("/")));
            continue;
        }
        let segment = given.next()?;
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !segment.is_empty() => {
                let value = percent_decode_str(segment).decode_utf8().ok()?;
                params.push((name, value.into_owned()));
            }
            Some(_) => return None,
            None if part == segment => {}
            None => return None,
        }
    }
    given.next().is_none().then_some(Routed { route, params })
}

/// The route of a request as its function receives it: by API Gateway's route key and path
/// parameters when the event has them, else by its method and path.
pub fn resolve(req: &Request) -> Option<Routed> {
    let key = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    };
    if let Some(route) = key.and_then(|key| ROUTES.iter().find(|r| r.key() == key)) {
        let given = req.path_parameters_ref();
        let params = route
            .path
            .split('/')
            .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| name.strip_suffix('+').unwrap_or(name))
            .filter_map(|name| Some((name, given?.first(name)?.to_string())))
            .collect::<Vec<_>>();
        let complete = params.len() == route.path.matches('{').count()
            && params.iter().all(|(_, v)| !v.is_empty());
        if complete {
            return Some(Routed { route, params });
        }
    }
    match_path(req.method().as_str(), req.uri().path())
}

/// The methods some route serves at `path` (for a 405's `Allow`), or `None` when no route has it.
pub fn allowed_methods(path: &str) -> Option<String> {
    let mut allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|r| match_template(r, path).is_some())
        .map(|r| r.method)
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    (!allowed.is_empty()).then(|| allowed.join(", "))
}

/// The answer to a request no route serves: 405 with `Allow` when the path has routes for other
/// methods, else 404.
pub fn unrouted(path: &str) -> Response<Body> {
    let Some(allow) = allowed_methods(path) else {
        return ApiError::not_found("route").into_response();
    };
    let mut response = ApiError::method_not_allowed().into_response();
    if let Ok(value) = http::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(http::header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str) -> Option<(Operation, Vec<(&'static str, String)>)> {
        match_path(method, path).map(|r| (r.route.operation, r.params))
    }

    #[test]
    fn templates_match_one_segment_per_parameter_decoded() {
        assert_eq!(
            op("GET", "/tokens/MailSettings%3A3"),
            Some((Operation::GetToken, vec![("tag", "MailSettings:3".into())]))
        );
        // A tag named like a sub-route is still a tag.
        assert_eq!(
            op("GET", "/tokens/mail"),
            Some((Operation::GetToken, vec![("tag", "mail".into())]))
        );
        assert_eq!(
            op("GET", "/tokens/a%2Fb/mail"),
            Some((Operation::GetMailSettings, vec![("tag", "a/b".into())]))
        );
        assert_eq!(
            op("POST", "/tokens/t/refresh").map(|o| o.0),
            Some(Operation::RefreshToken)
        );
        assert_eq!(op("GET", "/tokens/t/refresh"), None);
        assert_eq!(op("GET", "/tokens/"), None);
        assert_eq!(op("GET", "/tokens/a/b"), None);
        assert_eq!(op("GET", "/tokens/%FF"), None, "not UTF-8");
        assert_eq!(
            op("get", "/connections").map(|o| o.0),
            Some(Operation::ListConnections)
        );
        assert_eq!(op("GET", "/connections/x"), None);
        assert_eq!(op("PUT", "/auth/me"), None);
    }

    #[test]
    fn a_greedy_parameter_takes_the_rest_of_the_path() {
        assert_eq!(
            op("GET", "/admin/clients/c1/edit"),
            Some((
                Operation::ConsolePage,
                vec![("proxy", "clients/c1/edit".into())]
            ))
        );
        assert_eq!(
            op("POST", "/admin/sign-in").map(|o| o.0),
            Some(Operation::ConsoleAction)
        );
        assert_eq!(
            op("GET", "/admin").map(|o| o.0),
            Some(Operation::ConsoleHome)
        );
        assert_eq!(op("GET", "/admin/"), None);
        assert_eq!(op("GET", "/admin/a//b"), None);
        assert_eq!(op("POST", "/admin"), None);
    }

    #[test]
    fn every_route_is_one_operation_at_one_key() {
        let mut keys: Vec<String> = ROUTES.iter().map(Route::key).collect();
        let mut ids: Vec<&str> = ROUTES.iter().map(|r| r.operation.id()).collect();
        keys.sort();
        keys.dedup();
        ids.sort();
        ids.dedup();
        assert_eq!(keys.len(), ROUTES.len());
        assert_eq!(ids.len(), ROUTES.len());
        for r in ROUTES {
            let concrete = r.path.replace("{tag}", "t").replace("{link}", "l");
            assert_eq!(match_path(r.method, &concrete).map(|m| m.route), Some(r));
        }
    }

    #[test]
    fn other_methods_of_a_routed_path_are_listed() {
        assert_eq!(
            allowed_methods("/oauth/start").as_deref(),
            Some("GET, POST")
        );
        assert_eq!(allowed_methods("/auth/me").as_deref(), Some("GET"));
        assert_eq!(allowed_methods("/nowhere"), None);
        assert_eq!(unrouted("/auth/me").status(), 405);
        assert_eq!(unrouted("/nowhere").status(), 404);
    }
}
