//! The catalogue: every provider a registry knows and the quirks it uses, as the Markdown table the
//! book shows (generated, so it cannot go stale).

use super::definition::ProviderDefinition;
use super::options::TokenAuthMethod;
use super::quirks::{LifetimeStart, RevocationBody, TokenResponseFormat};
use super::registry::ProviderRegistry;

/// The catalogue of `registry` as a Markdown table: name, title, the quirks each provider uses,
/// and a link to its documentation.
pub fn markdown_table(registry: &ProviderRegistry) -> String {
    let mut out =
        String::from("| Provider | Title | Quirks | Documentation |\n|---|---|---|---|\n");
    for (name, title) in registry.list() {
        let Some(definition) = registry.get(name) else {
            continue;
        };
        let quirks = quirks(definition);
        let quirks = if quirks.is_empty() {
            "none".to_string()
        } else {
            quirks.join("; ")
        };
        let documentation = definition
            .documentation
            .as_deref()
            .map_or_else(|| "—".to_string(), |d| format!("<{d}>"));
        out.push_str(&format!(
            "| `{name}` | {} | {} | {documentation} |\n",
            cell(title),
            cell(&quirks)
        ));
    }
    out
}

/// The quirks `definition` uses, one short phrase each, in a fixed order.
pub fn quirks(definition: &ProviderDefinition) -> Vec<String> {
    let options = &definition.options;
    let mut out = Vec::new();
    if definition.needs_discovery() {
        out.push("endpoints by OpenID Connect discovery".to_string());
    }
    if options.tenancy == Some(true) {
        out.push("tenant in the URLs".to_string());
    }
    for (name, p) in &definition.connection_parameters {
        let who = if p.per_client { "client" } else { "start" };
        out.push(format!("parameter `{name}` (set by the {who})"));
    }
    for (key, c) in &definition.capture_from_redirect {
        out.push(format!(
            "captures `{key}` from the redirect{}",
            secret(c.secret)
        ));
    }
    for (key, c) in &definition.capture_from_token {
        out.push(format!(
            "captures `{key}` from the token response{}",
            secret(c.secret)
        ));
    }
    if definition.pkce == Some(false) {
        out.push("no PKCE".to_string());
    }
    if options.token_auth_method == Some(TokenAuthMethod::ClientSecretPost) {
        out.push("`client_secret_post`".to_string());
    }
    if let Some(sep) = options.scope_separator.as_deref().filter(|s| *s != " ") {
        out.push(format!("scopes joined by `{sep}`"));
    }
    if definition.token_response == Some(TokenResponseFormat::Form) {
        out.push("form-encoded token response".to_string());
    }
    let mut authorize: Vec<String> = definition
        .authorize_params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if let Some(access_type) = &options.access_type {
        authorize.insert(0, format!("access_type={access_type}"));
    }
    for (label, params) in [
        ("authorize", authorize),
        ("token", pairs(definition.token_params.iter())),
        ("refresh", pairs(definition.refresh_params.iter())),
        ("token headers", pairs(definition.token_headers.iter())),
    ] {
        if !params.is_empty() {
            out.push(format!("{label}: `{}`", params.join("`, `")));
        }
    }
    if let Some(revocation) = &definition.revocation {
        if let Some(method) = revocation.auth_method {
            let method = match method {
                TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
                TokenAuthMethod::ClientSecretPost => "client_secret_post",
            };
            out.push(format!("revocation: `{method}`"));
        }
        if revocation.body == RevocationBody::Json {
            out.push("revocation: JSON body".to_string());
        }
        let headers = pairs(revocation.headers.iter());
        if !headers.is_empty() {
            out.push(format!("revocation headers: `{}`", headers.join("`, `")));
        }
    }
    if options.url_refresh_token.is_some() {
        out.push("own refresh URL".to_string());
    }
    if let Some(seconds) = definition.assumed_access_token_lifetime {
        out.push(format!("access token assumed to live {}", span(seconds)));
    }
    if let Some(l) = &definition.refresh_token_lifetime {
        let since = match l.since {
            LifetimeStart::Authorization => "from the authorization",
            LifetimeStart::LastUse => "from its last use",
        };
        let how_long = match (l.seconds, &l.response_field) {
            (Some(s), Some(f)) => format!("{} (or `{f}`)", span(s)),
            (Some(s), None) => span(s),
            (None, Some(f)) => format!("`{f}`"),
            (None, None) => "stated".to_string(),
        };
        out.push(format!("refresh token lives {how_long} {since}"));
    }
    out
}

fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    items.map(|(k, v)| format!("{k}={v}")).collect()
}

fn secret(secret: bool) -> &'static str {
    if secret { " (secret)" } else { "" }
}

/// Seconds in the largest whole unit: `90 days`, `2 h`, `30 min`, `45 s`.
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `text` safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests;
