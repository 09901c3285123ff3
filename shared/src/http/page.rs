//! Small HTML pages for browsers (the end of an OAuth flow). Every value is HTML-escaped.

use lambda_http::{Body, Response};

use super::access_log::Reason;
use super::{ApiError, response};

/// A page with a title and a paragraph; both are escaped here. An error page (4xx, 5xx) carries
/// its text as the [`Reason`](super::access_log::Reason) for the access log.
pub fn message(status: u16, title: &str, text: &str) -> Response<Body> {
    let mut page = render(status, title, text);
    if status >= 400 {
        page.extensions_mut()
            .insert(super::access_log::Reason(format!("{title}: {text}")));
    }
    page
}

fn render(status: u16, title: &str, text: &str) -> Response<Body> {
    let title = html_escape::encode_text(title);
    let text = html_escape::encode_text(text);
    response::html(
        status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}}</style>\
             </head><body><h1>{title}</h1><p>{text}</p></body></html>"
        ),
    )
}

/// A page for a refusal or failure: `error`'s status, and its reason for the access log (the page
/// itself says `text`, in words a person understands).
pub fn for_error(error: &ApiError, title: &str, text: &str) -> Response<Body> {
    let mut page = message(error.status, title, text);
    page.extensions_mut().insert(Reason(error.reason()));
    page
}
