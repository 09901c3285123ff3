//! The demo provider's HTML: the consent page and the error page. Every reflected value is
//! HTML-escaped, and every page says it is local-only.

use authbridge::http::response::PAGE_HEADERS;
use axum::response::{IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use http::StatusCode;
use http::header::CONTENT_TYPE;

use super::LOCAL_ONLY_NOTICE;
use super::grants::AuthorizationRequest;
use super::userinfo::{DEMO_EMAIL, DEMO_NAME};

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0}\
main{max-width:34rem;margin:3rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;\
box-shadow:0 1px 4px #0002}.banner{background:#fff3cd;border:1px solid #e0b400;padding:.5rem .75rem;\
border-radius:4px;font-weight:600}code{overflow-wrap:anywhere}button{font-size:1rem;\
padding:.5rem 1.25rem;margin-right:.5rem;border-radius:4px;border:1px solid #888;cursor:pointer}\
button[value=approve]{background:#1a7f37;color:#fff;border-color:#1a7f37}dt{font-weight:600}\
dd{margin:0 0 .5rem 0}";

/// The consent page for `request`: "Authorize <client>?" with Approve and Deny, posting the
/// one-time `nonce` that names the request in memory.
pub(super) fn consent(
    request: &AuthorizationRequest,
    prompt: Option<&str>,
    nonce: &str,
) -> Response {
    let client = text(&request.client_id);
    let scopes: String = request
        .scope
        .split(' ')
        .map(|s| format!("<li><code>{}</code></li>", text(s)))
        .collect();
    let state = request.state.as_deref().map_or("(none)".into(), text);
    let prompt = prompt.map_or("(none)".into(), text);
    let body = format!(
        r#"<h1>Authorize {client}?</h1>
<p><strong>{client}</strong> asks to sign you in as <strong>{DEMO_NAME}</strong> ({DEMO_EMAIL}) and to use:</p>
<ul>{scopes}</ul>
<p>Either answer sends you back to <code>{redirect_uri}</code>.</p>
<form method="post" action="/demo/authorize/decision">
<input type="hidden" name="request" value="{nonce}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<details><summary>Request details</summary><dl>
<dt>client_id</dt><dd><code>{client}</code></dd>
<dt>redirect_uri</dt><dd><code>{redirect_uri}</code></dd>
<dt>scope</dt><dd><code>{scope}</code></dd>
<dt>state</dt><dd><code>{state}</code></dd>
<dt>code_challenge (S256)</dt><dd><code>{challenge}</code></dd>
<dt>prompt</dt><dd><code>{prompt}</code></dd>
</dl></details>"#,
        redirect_uri = text(&request.redirect_uri),
        nonce = attr(nonce),
        scope = text(&request.scope),
        challenge = text(&request.code_challenge),
    );
    html(StatusCode::OK, &format!("Authorize {client}?"), &body)
}

/// An error shown to the user instead of a redirect (RFC 6749 §4.1.2.1); `message` is plain text.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Authorization request refused</h1>\n<p>{}</p>\n\
         <p>You were not sent back to the application. Start again from the application.</p>",
        text(message)
    );
    html(status, "Authorization request refused", &body)
}

/// A whole page around `body` (already HTML); `title` is already escaped.
fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — authbridge demo provider</title>
<style>{STYLE}</style></head>
<body><main>
<p class="banner" role="note">{LOCAL_ONLY_NOTICE}</p>
{body}
</main></body></html>
"#
    );
    // The headers every authbridge page carries: inline styles only, no scripts, no framing (a consent
    // page must not be clickjacked).
    (
        status,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE_HEADERS,
        page,
    )
        .into_response()
}
