//! Mail settings with XOAUTH2: `GET /tokens/{tag}/mail` answers the provider's mail template filled
//! in for the token's resource owner, a fresh access token and each server's SASL XOAUTH2 initial
//! response. Against the test command's authorization server (on both stores) and, for the login
//! itself, its real IMAP server: Dovecot, whose `oauth2` passdb checks each token by introspection
//! at that authorization server. The XOAUTH2 string authbridge returns logs in and lists the INBOX;
//! after a refresh the new one does; a revoked token, or another user's name, is refused.

use authbridge_tests::imap;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, TEST_API_TOKEN, TestStack};
use authbridge_tests::tokens::{
    Answer, accepted, access_token, age, connect, record, send, stack_with,
};
use authbridge_tests::{Backend, sqlite_backend};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// The test server's account the flow signs in as (`connect`), and its `email` claim.
const USER: &str = "rita@example.test";

async fn get_mail(s: &TestStack, tag: &str) -> Answer {
    send(
        stack::http()
            .get(s.url(&format!("/tokens/{tag}/mail")))
            .bearer_auth(TEST_API_TOKEN),
    )
    .await
}

/// A provider file's `mailSettingsTemplate` naming `imap` (host, port, security) and an SMTP server.
fn template(imap: (&str, u16, &str)) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert(
        "mailSettingsTemplate".into(),
        json!([
            {"protocol": "IMAP", "server": imap.0, "port": imap.1, "security": imap.2,
             "username": "{{token.resource_owner.email}}"},
            {"protocol": "SMTP", "server": "smtp.example.test", "security": "starttls",
             "username": "{{token.resource_owner.email}}"}
        ]),
    );
    extra
}

/// The XOAUTH2 initial response, decoded: (user, bearer token).
fn decode_xoauth2(encoded: &str) -> (String, String) {
    let raw = STANDARD.decode(encoded).expect("base64");
    let text = String::from_utf8(raw).expect("UTF-8");
    let rest = text.strip_suffix("\x01\x01").expect("ends with ^A^A");
    let (user, auth) = rest.split_once('\x01').expect("user ^A auth");
    let user = user.strip_prefix("user=").expect("user=");
    let token = auth.strip_prefix("auth=Bearer ").expect("auth=Bearer");
    (user.to_string(), token.to_string())
}

async fn answers_filled_settings_and_a_fresh_token(b: Backend, provider: Map<String, Value>) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, proxy) = stack_with(b, &issuer, provider).await;
    // A tag named like the route: `/tokens/mail` is still its token, `/tokens/mail/mail` its mail.
    let tag = "mail";
    connect(&s, tag).await;
    let (status, etag, body) = get_mail(&s, tag).await;
    assert_eq!(status, 200, "{body}");
    let stored = access_token(&s, &record(&s, tag).await).await;
    assert_eq!(body["tag"], tag);
    assert_eq!(body["access_token"], stored.as_str());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["imap"],
        json!({"server": "imap.example.test", "port": 993, "security": "ssl", "username": USER,
               "xoauth2": body["imap"]["xoauth2"]})
    );
    assert_eq!(body["smtp"]["server"], "smtp.example.test");
    assert_eq!(
        body["smtp"]["port"], 587,
        "SMTP submission's port for STARTTLS"
    );
    assert_eq!(body["smtp"]["security"], "starttls");
    for protocol in ["imap", "smtp"] {
        let xoauth2 = body[protocol]["xoauth2"]
            .as_str()
            .expect("an XOAUTH2 string");
        assert_eq!(decode_xoauth2(xoauth2), (USER.to_string(), stored.clone()));
    }
    // The same version as GET /tokens/{tag}, so POST /tokens/{tag}/refresh takes it.
    let (_, token_etag, token_body) = send(
        stack::http()
            .get(s.url(&format!("/tokens/{tag}")))
            .bearer_auth(TEST_API_TOKEN),
    )
    .await;
    assert_eq!(etag, token_etag);
    assert_eq!(token_body["access_token"], stored.as_str());
    assert!(token_body.get("imap").is_none(), "{token_body}");
    assert!(etag.is_some());
    assert_eq!(proxy.refreshes(), 0, "a token well within its lifetime");

    // Within its margin: refreshed first, as GET /tokens/{tag} does.
    let left = record(&s, tag).await.expires.expect("an expiry") - authbridge::clock::now();
    age(&s, tag, left + 1).await;
    let (status, _, body) = get_mail(&s, tag).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(proxy.refreshes(), 1);
    let fresh = access_token(&s, &record(&s, tag).await).await;
    assert_ne!(fresh, stored);
    assert_eq!(body["access_token"], fresh.as_str());
    let xoauth2 = body["imap"]["xoauth2"].as_str().expect("an XOAUTH2 string");
    assert_eq!(decode_xoauth2(xoauth2).1, fresh);

    // The authority of GET /tokens/{tag}, and the usual 404.
    let (status, _, _) = send(stack::http().get(s.url(&format!("/tokens/{tag}/mail")))).await;
    assert_eq!(status, 403);
    let (status, _, body) = get_mail(&s, "no-such-tag").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
    let (status, _, body) = send(
        stack::http()
            .post(s.url(&format!("/tokens/{tag}/mail")))
            .bearer_auth(TEST_API_TOKEN),
    )
    .await;
    assert_eq!(status, 405, "{body}");
}

async fn a_provider_without_mail_settings_answers_404_and_refreshes_nothing(
    b: Backend,
    provider: Map<String, Value>,
) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, proxy) = stack_with(b, &issuer, provider).await;
    let tag = "no-mail";
    let connected = connect(&s, tag).await;
    let left = connected.expires.expect("an expiry") - authbridge::clock::now();
    age(&s, tag, left + 1).await;
    let (status, _, body) = get_mail(&s, tag).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "no_mail_settings");
    assert!(
        !body.to_string().contains("access_token"),
        "no token in the refusal: {body}"
    );
    assert_eq!(
        proxy.refreshes(),
        0,
        "no refresh for a connection without mail"
    );
}

async fn a_username_the_owner_lacks_answers_409_mail_user_unknown(
    b: Backend,
    provider: Map<String, Value>,
) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, proxy) = stack_with(b, &issuer, provider).await;
    let tag = "no-upn";
    connect(&s, tag).await;
    let (status, _, body) = get_mail(&s, tag).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "mail_user_unknown");
    assert!(
        body["message"].as_str().unwrap_or_default().contains("upn"),
        "{body}"
    );
    assert_eq!(proxy.refreshes(), 0);
}

/// A template whose username needs the owner's `upn`, which the test server's accounts lack.
fn upn_template() -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert(
        "mailSettingsTemplate".into(),
        json!([{"protocol": "IMAP", "server": "imap.example.test", "security": "ssl",
                "username": "{{token.resource_owner.upn}}"}]),
    );
    extra
}

on_both_backends!(
    answers_filled_settings_and_a_fresh_token(template(("imap.example.test", 993, "ssl"))),
    a_provider_without_mail_settings_answers_404_and_refreshes_nothing(Map::new()),
    a_username_the_owner_lacks_answers_409_mail_user_unknown(upn_template()),
);

/// RFC 7009 revocation of an access token at the test server, as the client it was issued to.
async fn revoke(issuer: &str, token: &str) {
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("a discovery document");
    let endpoint = discovery["revocation_endpoint"]
        .as_str()
        .expect("a revocation endpoint");
    let response = reqwest::Client::new()
        .post(endpoint)
        .basic_auth(CODE_CLIENT_BASIC.id, Some(CODE_CLIENT_BASIC.secret))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .expect("revocation answers");
    assert_eq!(response.status(), 200, "revoked");
}

async fn imap_stack(backend: Backend, issuer: &str, endpoint: &str) -> TestStack {
    let (host, port) = endpoint
        .rsplit_once(':')
        .expect("AUTHBRIDGE_TEST_IMAP is host:port");
    let port = port.parse().expect("a port");
    stack_with(backend, issuer, template((host, port, "none")))
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dovecot_takes_the_xoauth2_string_and_refuses_a_revoked_token() {
    let Some(issuer) = oidc::issuer() else { return };
    let Some(endpoint) = imap::endpoint() else {
        return;
    };
    let s = imap_stack(sqlite_backend(), &issuer, &endpoint).await;
    let tag = "bounces";
    connect(&s, tag).await;

    let (status, etag, first) = get_mail(&s, tag).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["imap"]["username"], USER);
    let first_login = first["imap"]["xoauth2"]
        .as_str()
        .expect("XOAUTH2")
        .to_string();
    assert!(
        imap::logs_in_and_lists_inbox(&endpoint, &first_login).await,
        "Dovecot takes the XOAUTH2 string authbridge returns"
    );

    // A refresh: the new token logs in.
    let (status, _, refreshed) = send(
        stack::http()
            .post(s.url(&format!("/tokens/{tag}/refresh")))
            .bearer_auth(TEST_API_TOKEN)
            .header("if-match", etag.expect("an ETag")),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, _, second) = get_mail(&s, tag).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["access_token"], first["access_token"]);
    let second_login = second["imap"]["xoauth2"]
        .as_str()
        .expect("XOAUTH2")
        .to_string();
    assert!(
        imap::logs_in_and_lists_inbox(&endpoint, &second_login).await,
        "the refreshed token logs in"
    );

    // Another user's name with rita's live token: refused (Dovecot matches the token's `sub`).
    let other = STANDARD.encode(format!(
        "user=mallory@example.test\x01auth=Bearer {}\x01\x01",
        second["access_token"].as_str().expect("a token")
    ));
    let mut imap = imap::Imap::connect(&endpoint).await;
    let refused = imap.authenticate_xoauth2(&other).await;
    assert!(refused.status.starts_with("NO"), "refused: {refused:?}");

    // Revoked at the authorization server (RFC 7009): Dovecot's introspection answers inactive,
    // and the login is refused. (The test server revokes the grant with it: so is the new token.)
    let revoked = first["access_token"].as_str().expect("a token").to_string();
    assert!(
        accepted(&issuer, &revoked).await,
        "live before the revocation"
    );
    revoke(&issuer, &revoked).await;
    assert!(!accepted(&issuer, &revoked).await, "revoked");
    let mut imap = imap::Imap::connect(&endpoint).await;
    let refused = imap.authenticate_xoauth2(&first_login).await;
    assert!(refused.status.starts_with("NO"), "refused: {refused:?}");
}
