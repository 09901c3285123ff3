//! The token endpoint's transport with a provider's request and answer quirks: extra headers on
//! the code exchange and refreshes (`tokenHeaders`), and a form-encoded answer
//! (`tokenResponse: form`) read as the JSON object RFC 6749 §5.1 describes, so one parser reads
//! every provider's answer.

use std::future::Future;
use std::pin::Pin;

use oauth2::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::outbound::OutboundHttp;
use crate::providers::{TokenHeaders, TokenResponseFormat};

/// [`OutboundHttp`] with one provider's token-request quirks.
#[derive(Debug, Clone)]
pub struct TokenHttp {
    inner: OutboundHttp,
    headers: TokenHeaders,
    format: TokenResponseFormat,
}

impl TokenHttp {
    /// `inner` sending `headers` too and reading answers in `format`.
    pub fn new(inner: OutboundHttp, headers: TokenHeaders, format: TokenResponseFormat) -> Self {
        TokenHttp {
            inner,
            headers,
            format,
        }
    }
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        for (name, value) in self.headers.iter() {
            // Checked when the provider file loaded.
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                request.headers_mut().insert(name, value);
            }
        }
        Box::pin(async move {
            let response = self.inner.call(request).await?;
            Ok(match self.format {
                TokenResponseFormat::Json => response,
                TokenResponseFormat::Form => form_as_json(response),
            })
        })
    }
}

/// A form-encoded answer re-encoded as a JSON object of strings (an answer that is JSON after
/// all, e.g. an error, is left as it is).
fn form_as_json(response: HttpResponse) -> HttpResponse {
    if serde_json::from_slice::<Value>(response.body()).is_ok() {
        return response;
    }
    let object: Map<String, Value> = url::form_urlencoded::parse(response.body())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&Value::Object(object)).unwrap_or_default();
    HttpResponse::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_answer_reads_as_a_json_object_and_json_is_left_alone() {
        let form = http::Response::builder()
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"access_token=a%2Bb&token_type=bearer&expires_in=60".to_vec())
            .unwrap();
        let json: Value = serde_json::from_slice(form_as_json(form).body()).unwrap();
        assert_eq!(json["access_token"], "a+b");
        assert_eq!(json["expires_in"], "60");
        let already = http::Response::builder()
            .body(br#"{"error":"invalid_grant"}"#.to_vec())
            .unwrap();
        let json: Value = serde_json::from_slice(form_as_json(already).body()).unwrap();
        assert_eq!(json["error"], "invalid_grant");
    }
}
