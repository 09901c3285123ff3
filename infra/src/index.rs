//! The local stack's index page: a "Connect demo" button that runs the whole authorization-code flow
//! against the local demo provider, and the stored tokens, redacted.

use std::sync::Arc;

use authbridge::clock;
use authbridge::http::response::PAGE_HEADERS;
use authbridge::oauth::OAuthError;
use authbridge::oauth::flow::{self, Initiator, StartRequest};
use authbridge::oauth::records::TokenView;
use authbridge::store::PageRequest;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse};
use serde::Deserialize;

use crate::stack::LocalStack;

/// What the index page needs.
pub struct IndexPage {
    pub stack: Arc<LocalStack>,
    /// The demo client's id; `None` where the demo provider is not loaded (the aws backend).
    pub demo_client_id: Option<String>,
}

/// What the landing redirect adds to the index URL.
#[derive(Debug, Default, Deserialize)]
pub struct Landing {
    status: Option<String>,
    tag: Option<String>,
    error: Option<String>,
}

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// A one-time link for the demo connection (tag `demo`, replacing the previous one).
async fn demo_link(page: &IndexPage, base: &str) -> Result<String, OAuthError> {
    let oauth = &page.stack.oauth;
    let client = page.demo_client_id.clone().ok_or_else(|| {
        OAuthError::InvalidRequest("the demo provider runs on the embedded store only".into())
    })?;
    let urls = oauth
        .settings
        .configured_flow_urls()
        .ok_or_else(|| OAuthError::InvalidRequest("the local stack has no public URL".into()))?;
    let started = flow::start(
        oauth,
        StartRequest {
            client,
            tag: Some("demo".into()),
            landing_url: Some(format!("{base}/")),
            replace: true,
            ..Default::default()
        },
        &urls,
        &Initiator::local_index(),
        clock::now(),
    )
    .await?;
    Ok(started.url.to_string())
}

async fn show(
    State(page): State<Arc<IndexPage>>,
    Query(landing): Query<Landing>,
) -> impl IntoResponse {
    let base = page
        .stack
        .oauth
        .settings
        .public_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let base = base.as_str();
    // The link is made here, server side, the way any caller with authority makes one; the index
    // page is the local stack's own caller. A fresh one-time link on every view.
    let connect = match demo_link(&page, base).await {
        Ok(url) => format!(
            "<p><a class=\"button\" id=\"connect-demo\" href=\"{}\">Connect demo</a></p>",
            esc(&url)
        ),
        Err(e) => {
            if page.demo_client_id.is_some() {
                tracing::warn!(error = %e, "cannot make the demo link");
            }
            format!("<p>No demo connection: {}.</p>", esc(&e.to_string()))
        }
    };
    let banner = match (landing.status.as_deref(), landing.tag, landing.error) {
        (Some("connected"), Some(tag), _) => {
            format!(
                "<p class=\"ok\" id=\"status\">Connected: token <b>{}</b> stored.</p>",
                esc(&tag)
            )
        }
        (Some("error"), _, Some(error)) => {
            format!(
                "<p class=\"err\" id=\"status\">Not connected: {}.</p>",
                esc(&error)
            )
        }
        _ => String::new(),
    };
    let tokens = match page
        .stack
        .app
        .stores
        .tokens
        .list_tokens(&PageRequest::first(50))
        .await
    {
        Ok(list) if list.items.is_empty() => "<p>No tokens stored yet.</p>".to_string(),
        Ok(list) => {
            let rows: String = list
                .items
                .iter()
                .map(TokenView::from)
                .map(|t| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[redacted]</td></tr>",
                        esc(t.tag.as_str()),
                        esc(&t.grant_type),
                        esc(&t.scopes.join(" ")),
                        esc(t.resource_owner_name.as_deref().unwrap_or("")),
                        t.expires.map(|e| e.to_string()).unwrap_or_else(|| "never".into()),
                    )
                })
                .collect();
            format!(
                "<table id=\"tokens\"><tr><th>tag</th><th>grant</th><th>scopes</th><th>owner</th><th>expires (epoch)</th><th>access token</th></tr>{rows}</table>"
            )
        }
        Err(e) => format!(
            "<p class=\"err\">Cannot list tokens: {}</p>",
            esc(&e.to_string())
        ),
    };
    let headers = PAGE_HEADERS.map(|(name, value)| (name, value));
    (
        headers,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>authbridge (local)</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:3rem auto;padding:0 1rem}}\
         .ok{{color:#060}}.err{{color:#a00}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}table{{border-collapse:collapse}}\
         a.button{{display:inline-block;padding:.5rem 1rem;background:#246;color:#fff;text-decoration:none;border-radius:4px}}</style>\
         </head><body><h1>authbridge — local stack</h1>{banner}\
         <p>Every function runs here behind one endpoint, on the embedded store. The <code>demo</code> provider is \
         served by this local stack itself, for local development only.</p>\
         {connect}\
         <h2>Stored tokens</h2>{tokens}</body></html>",
        )),
    )
}

/// The `/` route.
pub fn router(page: IndexPage) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(show))
        .with_state(Arc::new(page))
}
