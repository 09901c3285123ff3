//! The admin console in a real browser: headless Chromium through ChromeDriver on the real
//! `authbridge-local`, with users made by the real `authbridge` CLI. An administrator signs in,
//! sees the pages, registers a client for the test authorization server, gives it a new secret
//! (the previous one stays accepted until confirmed) and confirms it; an operator sees
//! neither the clients nor a secret field; a user without a role cannot enter; forms posted
//! without the session's token, with another session's token or from another site change nothing;
//! a session left idle ends; an administrator sets a user's password (ending their sessions),
//! grants and revokes roles, disables and enables them, and narrows, disables and deletes an API
//! token. Screenshots of each page go to `.test-run/console/`.
//!
//! Needs ChromeDriver (`AUTHBRIDGE_TEST_WEBDRIVER`), which the README's test command starts; under
//! plain `cargo test` each test prints why it is skipped and returns.

mod common;

use common::browser::{in_browser, webdriver};
use common::console::{
    CODE_CLIENT, PASSWORD, TEST_PROVIDER, click, console, csrf, screenshot, session_cookie,
    sign_in, stack, text, texts, user, wait_for,
};
use common::local_stack::{LocalStackProcess, Store};
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use url::Url;

on_both_stores!(
    an_administrator_connects_an_account_reconnects_revokes_it_and_creates_an_api_token,
    an_operator_sees_no_clients_nor_secrets_and_a_user_without_a_role_cannot_enter,
    forms_without_the_token_with_another_token_or_from_another_site_change_nothing,
);

/// Posts a register form outside the browser, with `cookie` and these `fields` and `headers`.
async fn post_register(
    stack: &LocalStackProcess,
    cookie: &str,
    fields: &[(&str, String)],
    headers: &[(&str, &str)],
) -> reqwest::StatusCode {
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(console(stack, "/clients"))
        .header("cookie", format!("authbridge_console={cookie}"))
        .form(fields);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the console answers").status()
}

#[tokio::test]
async fn an_administrator_signs_in_sees_the_pages_and_registers_a_client() {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let (stack, _providers) = stack(Store::Embedded, &[]).await;
    user(&stack, "admin@example.org", Some("admin"));
    let provider = if std::env::var("AUTHBRIDGE_TEST_OIDC_ISSUER").is_ok() {
        TEST_PROVIDER
    } else {
        "gmail"
    };
    let seen = in_browser(&webdriver, async |browser| {
        browser.goto(console(&stack, "").as_str()).await?;
        browser
            .wait()
            .for_element(Locator::Css("form#sign-in"))
            .await?;
        screenshot(browser, &stack, "sign-in").await?;
        sign_in(browser, &stack, "admin@example.org").await?;
        browser
            .wait()
            .for_element(Locator::Css("ul#allowed"))
            .await?;
        let allowed = texts(browser, "ul#allowed li code").await?;
        let who = text(browser, "header .who").await?;
        screenshot(browser, &stack, "home-admin").await?;

        browser
            .find(Locator::LinkText("Providers"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("table#providers"))
            .await?;
        let providers = texts(browser, "table#providers tbody tr td:first-child code").await?;
        screenshot(browser, &stack, "providers").await?;

        browser
            .find(Locator::LinkText("Clients"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("form#register"))
            .await?;
        browser
            .find(Locator::Css(&format!(
                "#provider option[value='{provider}']"
            )))
            .await?
            .click()
            .await?;
        browser
            .find(Locator::Id("guid"))
            .await?
            .send_keys(CODE_CLIENT)
            .await?;
        browser
            .find(Locator::Id("secret"))
            .await?
            .send_keys("authbridge-test-secret")
            .await?;
        screenshot(browser, &stack, "clients-register").await?;
        browser
            .find(Locator::Css("form#register button[type=submit]"))
            .await?
            .click()
            .await?;
        browser.wait().for_element(Locator::Css("p#notice")).await?;
        let notice = text(browser, "p#notice").await?;
        let secret_state = text(browser, "#secret-state").await?;
        let page = browser.source().await?;
        screenshot(browser, &stack, "client").await?;

        browser
            .find(Locator::Css("form#disable button"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("form#enable"))
            .await?;
        let status = text(browser, "#status").await?;

        // A new secret rotates the stored one: the previous one stays accepted until confirmed.
        browser
            .find(Locator::Css("form#edit #secret"))
            .await?
            .send_keys("authbridge-test-secret-2")
            .await?;
        browser
            .find(Locator::Css("form#edit button[type=submit]"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("#rotation-pending"))
            .await?;
        let rotated_notice = text(browser, "p#notice").await?;
        let pending = text(browser, "#rotation-pending").await?;
        let rotated_page = browser.source().await?;
        screenshot(browser, &stack, "client-rotation-pending").await?;
        // A third secret would drop the one the provider may still use: refused, as a page.
        let client_page = browser.current_url().await?;
        browser
            .find(Locator::Css("form#edit #secret"))
            .await?
            .send_keys("authbridge-test-secret-3")
            .await?;
        browser
            .find(Locator::Css("form#edit button[type=submit]"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("p#problem"))
            .await?;
        let refused = text(browser, "p#problem").await?;
        screenshot(browser, &stack, "client-rotation-refused").await?;
        browser.goto(client_page.as_str()).await?;
        browser
            .wait()
            .for_element(Locator::Css("form#confirm-secret"))
            .await?;
        browser
            .find(Locator::Css("form#confirm-secret button"))
            .await?
            .click()
            .await?;
        browser.wait().for_element(Locator::Css("p#notice")).await?;
        let confirmed_notice = text(browser, "p#notice").await?;
        let still_pending = browser
            .find_all(Locator::Css("#rotation-pending"))
            .await?
            .len();
        screenshot(browser, &stack, "client-rotation-confirmed").await?;
        let rotation = (
            refused,
            rotated_notice,
            pending,
            rotated_page,
            confirmed_notice,
            still_pending,
        );

        browser
            .find(Locator::LinkText("Clients"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("table#clients"))
            .await?;
        let rows = texts(browser, "table#clients tbody tr").await?;
        screenshot(browser, &stack, "clients").await?;
        Ok((
            allowed,
            who,
            providers,
            notice,
            secret_state,
            page,
            status,
            rows,
            rotation,
        ))
    })
    .await;
    let (allowed, who, providers, notice, secret_state, page, status, rows, rotation) = seen;
    assert!(allowed.contains(&"clients".to_string()), "{allowed:?}");
    assert!(allowed.contains(&"users".to_string()), "{allowed:?}");
    assert_eq!(who, "admin@example.org (admin)");
    assert!(providers.contains(&provider.to_string()), "{providers:?}");
    assert!(
        providers.contains(&"ms-exchange".to_string()),
        "{providers:?}"
    );
    assert_eq!(notice, "The client is registered.");
    assert_eq!(secret_state, "set just now (never shown)");
    assert!(
        !page.contains("authbridge-test-secret"),
        "the secret is never on a page"
    );
    let (refused, rotated_notice, pending, rotated_page, confirmed_notice, still_pending) =
        rotation;
    assert!(
        refused.contains("confirm the pending rotation first"),
        "{refused}"
    );
    assert!(!refused.contains("authbridge-test-secret"), "{refused}");
    assert!(
        rotated_notice.contains("previous secret is still accepted"),
        "{rotated_notice}"
    );
    assert!(
        pending.contains("the previous secret is still accepted"),
        "{pending}"
    );
    assert!(pending.contains("Confirm the new secret"), "{pending}");
    assert!(
        !rotated_page.contains("authbridge-test-secret"),
        "neither secret is ever on a page"
    );
    assert_eq!(
        confirmed_notice,
        "The new secret is confirmed: the previous one is no longer accepted."
    );
    assert_eq!(still_pending, 0, "no rotation is pending once confirmed");
    assert_eq!(status, "disabled");
    let registered: Vec<&String> = rows.iter().filter(|r| r.contains(CODE_CLIENT)).collect();
    assert_eq!(registered.len(), 1, "{rows:?}");
    assert!(registered[0].contains("disabled"), "{rows:?}");
    let audit = stack.cli(&["audit"], "");
    assert!(
        audit
            .lines()
            .any(|line| line.contains("admin.client.created") && line.contains("admin@example.org")),
        "the registration is recorded for audit, naming who made it: {audit}"
    );
    for action in ["admin.secret.rotated", "admin.secret.rotation_confirmed"] {
        assert!(
            audit
                .lines()
                .any(|line| line.contains(action) && line.contains("admin@example.org")),
            "{action} is recorded for audit: {audit}"
        );
    }
}

async fn an_operator_sees_no_clients_nor_secrets_and_a_user_without_a_role_cannot_enter(
    store: Store,
) {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let (stack, _providers) = stack(store, &[]).await;
    user(&stack, "operator@example.org", Some("operator"));
    user(&stack, "nobody@example.org", None);
    let (operator, nobody) = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "operator@example.org").await?;
        browser
            .wait()
            .for_element(Locator::Css("ul#allowed"))
            .await?;
        let allowed = texts(browser, "ul#allowed li code").await?;
        let menu = texts(browser, "header nav a").await?;
        screenshot(browser, &stack, "home-operator").await?;
        browser.goto(console(&stack, "/clients").as_str()).await?;
        let refused = text(browser, "#missing-permission").await?;
        let secret_fields = browser.find_all(Locator::Id("secret")).await?.len();
        screenshot(browser, &stack, "refused-operator").await?;
        browser.goto(console(&stack, "/users").as_str()).await?;
        let users_page = text(browser, "#missing-permission").await?;
        browser
            .goto(console(&stack, "/connections").as_str())
            .await?;
        let connections_page = text(browser, "h1").await?;
        browser.goto(console(&stack, "/migration").as_str()).await?;
        let migration_page = texts(browser, "table#migration tr").await?;
        screenshot(browser, &stack, "migration").await?;
        browser
            .find(Locator::Css("form.sign-out button"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Css("form#sign-in"))
            .await?;

        sign_in(browser, &stack, "nobody@example.org").await?;
        browser
            .wait()
            .for_element(Locator::Css("p#problem"))
            .await?;
        let problem = text(browser, "p#problem").await?;
        screenshot(browser, &stack, "no-role").await?;
        browser.goto(console(&stack, "").as_str()).await?;
        let after = browser.current_url().await?;
        // A name that is nobody's.
        sign_in(browser, &stack, "stranger@example.org").await?;
        let stranger = text(browser, "p#problem").await?;
        Ok((
            (
                allowed,
                menu,
                refused,
                secret_fields,
                users_page,
                connections_page,
                migration_page,
            ),
            (problem, after, stranger),
        ))
    })
    .await;
    let (allowed, menu, refused, secret_fields, users_page, connections_page, migration_page) =
        operator;
    assert!(
        allowed.contains(&"connections:all".to_string()),
        "{allowed:?}"
    );
    for absent in ["clients", "client-secrets", "users", "api-tokens"] {
        assert!(
            !allowed.contains(&absent.to_string()),
            "{absent} in {allowed:?}"
        );
    }
    assert_eq!(
        menu,
        ["Connections", "Migration"],
        "the operator's pages, and no users page"
    );
    assert_eq!(connections_page, "Connections");
    assert!(
        migration_page
            .iter()
            .any(|row| row == "Users migrated by signing in 0"),
        "{migration_page:?}"
    );
    assert_eq!(
        refused, "clients",
        "the refusal names the missing permission"
    );
    assert_eq!(secret_fields, 0, "no secret form for an operator");
    assert_eq!(users_page, "users", "no users page for an operator");
    let (problem, after, stranger) = nobody;
    assert!(problem.contains("no console role"), "{problem}");
    assert!(
        after.path().ends_with("/admin/sign-in"),
        "still outside: {after}"
    );
    assert_eq!(stranger, "The e-mail address or the password is wrong.");

    // Each sign-in and the sign-out are in the audit trail with the address they came from; the
    // name typed for a refused sign-in is not, unless its password verified.
    let audit = stack.cli(&["--json", "audit"], "");
    let entries: serde_json::Value = serde_json::from_str(&audit).expect("the audit trail");
    let field = |e: &serde_json::Value, name: &str| e[name].as_str().unwrap_or("").to_string();
    let mut sessions: Vec<[String; 4]> = entries
        .as_array()
        .expect("a list of entries")
        .iter()
        .filter(|e| field(e, "type").starts_with("admin.session."))
        .map(|e| {
            [
                field(e, "type"),
                field(e, "actor"),
                field(e, "address"),
                field(e, "summary"),
            ]
        })
        .collect();
    sessions.sort();
    let entry = |kind: &str, actor: &str, summary: &str| {
        [kind, actor, "127.0.0.1", summary].map(str::to_string)
    };
    assert_eq!(
        sessions,
        [
            entry(
                "admin.session.ended",
                "operator@example.org",
                "target operator@example.org"
            ),
            entry("admin.session.refused", "", "error invalid_credentials"),
            entry(
                "admin.session.refused",
                "nobody@example.org",
                "target nobody@example.org, error no_role"
            ),
            entry(
                "admin.session.started",
                "operator@example.org",
                "target operator@example.org"
            ),
        ]
    );
    assert!(!audit.contains("stranger"), "{audit}");
    assert!(!audit.contains(PASSWORD), "{audit}");
}

async fn forms_without_the_token_with_another_token_or_from_another_site_change_nothing(
    store: Store,
) {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let (stack, _providers) = stack(store, &[]).await;
    user(&stack, "admin@example.org", Some("admin"));
    // A page on another site (localhost is another site than 127.0.0.1) with a form to the console.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let other = listener.local_addr().expect("its address").port();
    let target = console(&stack, "/clients");
    let seen = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "admin@example.org").await?;
        browser.wait().for_element(Locator::Css("ul#allowed")).await?;
        browser.goto(target.as_str()).await?;
        let before = texts(browser, "table#clients tbody tr").await?;
        let own = csrf(browser).await?;
        let cookie = session_cookie(browser).await?;
        // A second session of the same user, in the same browser's jar: its token is another.
        let second = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
            .post(console(&stack, "/sign-in"))
            .form(&[("email", "admin@example.org"), ("password", PASSWORD)])
            .send()
            .await
            .expect("a second sign-in");
        let second_cookie = second
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.strip_prefix("authbridge_console="))
            .expect("the second session's cookie")
            .to_string();
        let second_page = reqwest::Client::new()
            .get(target.clone())
            .header("cookie", format!("authbridge_console={second_cookie}"))
            .send()
            .await
            .expect("the second session's page")
            .text()
            .await
            .expect("its body");
        let others = second_page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .expect("the second session's token")
            .to_string();
        let fields = |token: &str| [("provider", "gmail"), ("guid", "forged"), ("csrf", token)].map(|(k, v)| (k, v.to_string()));
        let no_token = [("provider", "gmail"), ("guid", "forged")].map(|(k, v)| (k, v.to_string()));
        let statuses = vec![
            post_register(&stack, &cookie, &no_token, &[]).await,
            post_register(&stack, &cookie, &fields(&others), &[]).await,
            post_register(&stack, &cookie, &fields(&own), &[("origin", "http://evil.example")]).await,
            post_register(&stack, &cookie, &fields(&own), &[("sec-fetch-site", "cross-site")]).await,
        ];
        // The other site's page, with the session's real token in its form.
        let form = format!(
            "<!doctype html><form method=post action=\"{target}\"><input type=hidden name=provider value=gmail><input type=hidden name=guid value=forged><input type=hidden name=csrf value=\"{own}\"><button id=go>Go</button></form>"
        );
        tokio::spawn(async move {
            let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(form) }));
            let _ = axum::serve(listener, app).await;
        });
        browser.goto(&format!("http://localhost:{other}/")).await?;
        browser.find(Locator::Id("go")).await?.click().await?;
        let landed = left_the_page(browser, other).await?;
        screenshot(browser, &stack, "cross-site-refused").await?;
        browser.goto(target.as_str()).await?;
        let after = texts(browser, "table#clients tbody tr").await?;
        Ok(((statuses, own != others), (before, after), landed))
    })
    .await;
    let ((statuses, distinct), rows, landed) = seen;
    assert!(distinct, "each session has its own token");
    for status in &statuses {
        assert_eq!(status.as_u16(), 403, "{statuses:?}");
    }
    let (before, after) = rows;
    assert_eq!(
        before, after,
        "no client was registered by any refused form"
    );
    assert!(!after.iter().any(|r| r.contains("forged")), "{after:?}");
    assert!(
        landed.host_str() == Some("127.0.0.1"),
        "the browser reached the console, which refused: {landed}"
    );
}

/// Ages every console session in the stack's store by `minutes` of idleness: its last use and its
/// idle end move that far into the past, as if nobody had used it since.
fn age_console_sessions(stack: &LocalStackProcess, minutes: i64) {
    let db = rusqlite::Connection::open(stack.db_path()).expect("opening the stack's store");
    db.busy_timeout(std::time::Duration::from_secs(10))
        .expect("a busy timeout");
    let seconds = minutes * 60;
    let aged = db
        .execute(
            "UPDATE console_sessions SET
                 expires_at = expires_at - ?1,
                 data = json_set(data,
                     '$.last_seen', json_extract(data, '$.last_seen') - ?1,
                     '$.expires_at', json_extract(data, '$.expires_at') - ?1)",
            [seconds],
        )
        .expect("ageing the console sessions");
    assert_eq!(aged, 1, "one console session to age");
}

#[tokio::test]
async fn a_session_left_idle_ends() {
    let Some(webdriver) = webdriver() else {
        return;
    };
    // The default idle timeout, half an hour: the session is aged in the store, not waited for.
    let (stack, _providers) = stack(Store::Embedded, &[]).await;
    user(&stack, "admin@example.org", Some("admin"));
    let (before, used, after) = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "admin@example.org").await?;
        browser
            .wait()
            .for_element(Locator::Css("ul#allowed"))
            .await?;
        let before = browser.current_url().await?;
        // 29 minutes without use: still signed in, and the use moves the idle end on.
        age_console_sessions(&stack, 29);
        browser.goto(console(&stack, "/clients").as_str()).await?;
        let used = browser.current_url().await?;
        // Then 31 minutes without use: ended.
        age_console_sessions(&stack, 31);
        browser.goto(console(&stack, "/clients").as_str()).await?;
        let after = browser.current_url().await?;
        screenshot(browser, &stack, "idle-ended").await?;
        Ok((before, used, after))
    })
    .await;
    assert_eq!(before.path(), "/admin");
    assert_eq!(used.path(), "/admin/clients", "29 idle minutes are not 30");
    assert_eq!(after.path(), "/admin/sign-in", "the idle session ended");
}

/// Plays the person at the test authorization server in the browser: signs in on its development
/// login page as `login` (any password) when it asks, approves on its consent page, and waits
/// until the browser is back on the stack (authbridge's landing page).
async fn approve_at_test_server(
    browser: &Client,
    stack: &LocalStackProcess,
    login: &str,
) -> Result<(), CmdError> {
    // Until the browser has left the console for the test server.
    for _ in 0..100 {
        if browser.current_url().await?.origin() != stack.base.origin() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for step in 0..4 {
        let url = browser.current_url().await?;
        eprintln!("flow step {step}: {url}");
        if url.origin() == stack.base.origin() {
            return Ok(());
        }
        wait_for(browser, "form button[type=submit], form [type=submit]").await?;
        if let Ok(field) = browser.find(Locator::Css("input[name=login]")).await {
            field.send_keys(login).await?;
            browser
                .find(Locator::Css("input[name=password]"))
                .await?
                .send_keys("any password")
                .await?;
        }
        click(browser, "form [type=submit]").await?;
        for _ in 0..50 {
            if browser.current_url().await? != url {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// The refresh token the stack holds for `tag`, read from its store and keyring as the stack
/// reads them: to ask the test server whether it still accepts it.
async fn held_refresh_token(stack: &LocalStackProcess, tag: &str) -> Option<String> {
    use authbridge::secrets::ExposeSecret;
    let base = stack.base.to_string();
    let mut vars = stack.store_env();
    vars.push(("AUTHBRIDGE_PUBLIC_URL", base.as_str()));
    let env = authbridge::config::Env::from_pairs(&vars);
    let ctx = authbridge::oauth::OAuthContext::from(&env)
        .await
        .expect("the stack's context");
    let tag = authbridge::domain::Tag::parse(tag).ok()?;
    let record = ctx.app.stores.tokens.get_token(&tag).await.ok()??;
    let sealed = record.refresh_token.as_ref()?;
    let keys = ctx
        .keyring()
        .await
        .expect("the stack's keyring")
        .keys_for([sealed])
        .await
        .expect("the refresh token's key");
    let token = keys
        .open(
            authbridge::keys::reseal::record_id(&record),
            authbridge::oauth::records::field::REFRESH_TOKEN,
            sealed,
        )
        .expect("opening the refresh token");
    Some(token.expose_secret().to_string())
}

/// Whether the test server still accepts `refresh_token` (of the basic-auth code client).
async fn refresh_token_works(refresh_token: &str) -> bool {
    let issuer = std::env::var("AUTHBRIDGE_TEST_OIDC_ISSUER").expect("the test server");
    reqwest::Client::new()
        .post(format!("{}/token", issuer.trim_end_matches('/')))
        .basic_auth(CODE_CLIENT, Some("authbridge-test-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .expect("the test server answers")
        .status()
        .is_success()
}

/// What the admin saw of the connection and the API token.
#[derive(Debug)]
struct Seen {
    row: String,
    expiry: String,
    account: String,
    made_by: String,
    reconnected_history: Vec<String>,
    revoked_status: String,
    token_value: String,
    token_page_again: String,
    audit: Vec<String>,
    cookie: String,
    csrf: String,
}

async fn an_administrator_connects_an_account_reconnects_revokes_it_and_creates_an_api_token(
    store: Store,
) {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let (stack, providers) = stack(store, &[]).await;
    if providers.is_none() {
        eprintln!("skipped: the OpenID Connect test server is not running");
        return;
    }
    user(&stack, "admin@example.org", Some("admin"));
    const TAG: &str = "crm:contact-7";
    let seen = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "admin@example.org").await?;
        // A client for the test authorization server.
        browser.goto(console(&stack, "/clients").as_str()).await?;
        wait_for(browser, "form#register").await?;
        click(
            browser,
            &format!("#provider option[value='{TEST_PROVIDER}']"),
        )
        .await?;
        browser
            .find(Locator::Id("guid"))
            .await?
            .send_keys(CODE_CLIENT)
            .await?;
        browser
            .find(Locator::Id("secret"))
            .await?
            .send_keys("authbridge-test-secret")
            .await?;
        click(browser, "form#register button[type=submit]").await?;
        wait_for(browser, "p#notice").await?;
        let client_page = browser.current_url().await?;
        let client_id = client_page
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default()
            .to_string();

        // Connect, through the real flow.
        browser
            .goto(console(&stack, "/connections").as_str())
            .await?;
        wait_for(browser, "form#connect").await?;
        browser
            .find(Locator::Id("client"))
            .await?
            .select_by_value(&client_id)
            .await?;
        browser
            .find(Locator::Id("connect-tag"))
            .await?
            .send_keys(TAG)
            .await?;
        browser
            .find(Locator::Id("connect-owner"))
            .await?
            .send_keys("contact:7")
            .await?;
        screenshot(browser, &stack, "connections-empty").await?;
        click(browser, "form#connect button[type=submit]").await?;
        wait_for(browser, "a#continue").await?;
        screenshot(browser, &stack, "connect").await?;
        click(browser, "a#continue").await?;
        approve_at_test_server(browser, &stack, "ada").await?;

        browser
            .goto(console(&stack, "/connections").as_str())
            .await?;
        wait_for(browser, "table#connections").await?;
        let row = text(browser, &format!("table#connections tr[data-tag='{TAG}']")).await?;
        let expiry = text(browser, &format!("tr[data-tag='{TAG}'] td.expiry")).await?;
        screenshot(browser, &stack, "connections").await?;
        click(browser, &format!("tr[data-tag='{TAG}'] a")).await?;
        wait_for(browser, "dl#connection").await?;
        let account = text(browser, "#account").await?;
        let made_by = text(browser, "#made-by").await?;

        // Reconnect: the same flow, replacing it.
        click(browser, "form#reconnect button").await?;
        wait_for(browser, "a#continue").await?;
        click(browser, "a#continue").await?;
        approve_at_test_server(browser, &stack, "ada").await?;
        browser
            .goto(&format!(
                "{}?tag={TAG}",
                console(&stack, "/connections/show")
            ))
            .await?;
        wait_for(browser, "table#journal").await?;
        let reconnected_history = texts(browser, "table#journal td.kind").await?;
        screenshot(browser, &stack, "connection").await?;

        // Revoke.
        click(browser, "form#revoke button").await?;
        wait_for(browser, "p#notice").await?;
        let revoked_status = text(browser, "#status").await?;
        screenshot(browser, &stack, "connection-revoked").await?;

        // An API token, its value shown once.
        browser
            .goto(console(&stack, "/api-tokens").as_str())
            .await?;
        wait_for(browser, "form#create").await?;
        browser
            .find(Locator::Id("name"))
            .await?
            .send_keys("crm-site")
            .await?;
        click(browser, "input[name=endpoint][value=oauth-start]").await?;
        let tags = browser.find(Locator::Id("tags")).await?;
        tags.clear().await?;
        tags.send_keys("crm:*").await?;
        click(browser, "form#create button[type=submit]").await?;
        wait_for(browser, "#token-value").await?;
        let token_value = text(browser, "#token-value").await?;
        screenshot(browser, &stack, "api-token-created").await?;
        click(browser, "main a").await?;
        wait_for(browser, "dl#token").await?;
        let token_page_again = browser.source().await?;
        screenshot(browser, &stack, "api-token").await?;
        browser
            .goto(console(&stack, "/api-tokens").as_str())
            .await?;
        wait_for(browser, "table#api-tokens").await?;
        screenshot(browser, &stack, "api-tokens").await?;

        browser.goto(console(&stack, "/audit").as_str()).await?;
        wait_for(browser, "table#journal").await?;
        let audit = texts(browser, "table#journal tbody tr").await?;
        screenshot(browser, &stack, "audit").await?;
        let cookie = session_cookie(browser).await?;
        let csrf = csrf(browser).await?;
        Ok(Seen {
            row,
            expiry,
            account,
            made_by,
            reconnected_history,
            revoked_status,
            token_value,
            token_page_again,
            audit,
            cookie,
            csrf,
        })
    })
    .await;
    assert!(seen.row.contains("active"), "{seen:?}");
    assert!(seen.row.contains("contact:7"), "{seen:?}");
    assert!(
        seen.expiry.starts_with("in "),
        "the expiry in words: {seen:?}"
    );
    assert!(!seen.account.is_empty() && seen.account != "—", "{seen:?}");
    assert_eq!(seen.made_by, "console:admin@example.org");
    assert!(
        seen.reconnected_history
            .iter()
            .any(|k| k == "connection.replaced"),
        "the history shows the reconnection: {seen:?}"
    );
    assert_eq!(seen.revoked_status, "needs reauthorization");
    let held = held_refresh_token(&stack, TAG)
        .await
        .expect("the revoked record keeps its (dead) token");
    assert!(
        !refresh_token_works(&held).await,
        "the test server no longer accepts the revoked connection's refresh token"
    );
    assert!(seen.token_value.len() > 20, "{seen:?}");
    assert!(
        !seen.token_page_again.contains(&seen.token_value),
        "the value is never shown again"
    );
    // The page with a value is never kept by a browser or a proxy.
    let created = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .post(console(&stack, "/api-tokens"))
        .header("cookie", format!("authbridge_console={}", seen.cookie))
        .form(&[("csrf", seen.csrf.as_str()), ("name", "second-site")])
        .send()
        .await
        .expect("the console answers");
    assert_eq!(created.status(), 200);
    assert_eq!(
        created
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let listed = stack.cli(&["--json", "api-tokens", "list"], "");
    assert!(
        listed.contains("crm-site") && listed.contains("crm:*"),
        "{listed}"
    );
    let kinds: Vec<&str> = seen
        .audit
        .iter()
        .filter(|row| row.contains("admin@example.org"))
        .filter_map(|row| row.split_whitespace().find(|w| w.starts_with("admin.")))
        .collect();
    for kind in [
        "admin.api_token.created",
        "admin.connection.revoked",
        "admin.connection.started",
        "admin.connection.replaced",
        "admin.client.created",
        "admin.session.started",
    ] {
        assert!(kinds.contains(&kind), "{kind} in the audit log: {kinds:?}");
    }
}

/// Whether the console still takes `cookie` as a session (else it sends the browser to sign in).
async fn session_works(stack: &LocalStackProcess, cookie: &str) -> bool {
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
        .get(console(stack, ""))
        .header("cookie", format!("authbridge_console={cookie}"))
        .send()
        .await
        .expect("the console answers");
    answer.status() == reqwest::StatusCode::OK
}

/// Waits until the browser is on the page a change sends it to (its address says `done=<done>`).
async fn until_done(browser: &Client, done: &str) -> Result<(), CmdError> {
    let marker = format!("done={done}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !browser.current_url().await?.as_str().contains(&marker) {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser never reached the page after {done}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for(browser, "p#notice").await
}

async fn click_button(browser: &Client, label: &str) -> Result<(), CmdError> {
    browser
        .find(Locator::XPath(&format!(
            "//button[normalize-space()='{label}']"
        )))
        .await?
        .click()
        .await
}

#[tokio::test]
async fn an_administrator_manages_a_user_and_narrows_disables_and_deletes_an_api_token() {
    let Some(webdriver) = webdriver() else {
        return;
    };
    let (stack, _providers) = stack(Store::Embedded, &[]).await;
    user(&stack, "admin@example.org", Some("admin"));
    user(&stack, "ben@example.org", Some("operator"));
    let bens_session = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "ben@example.org").await?;
        session_cookie(browser).await
    })
    .await;
    assert!(
        session_works(&stack, &bens_session).await,
        "Ben is signed in"
    );

    #[derive(Debug)]
    struct Seen {
        partial: (String, String, usize),
        found: Vec<String>,
        after_password: bool,
        roles_granted: String,
        roles_revoked: String,
        disabled: String,
        enabled: String,
        scope: String,
        token_status: String,
        tokens_after_delete: Vec<String>,
    }
    let seen = in_browser(&webdriver, async |browser| {
        sign_in(browser, &stack, "admin@example.org").await?;
        // A part of an address finds nobody, and the page says what the search takes.
        browser
            .goto(console(&stack, "/users?q=ben").as_str())
            .await?;
        let partial = (
            text(browser, "#no-users").await?,
            text(browser, "#search-hint").await?,
            browser.find_all(Locator::Css("table#users")).await?.len(),
        );
        screenshot(browser, &stack, "users-search").await?;
        browser
            .goto(console(&stack, "/users?q=ben%40example.org").as_str())
            .await?;
        let found = texts(browser, "table#users tbody tr").await?;
        click(browser, "tr[data-user='ben@example.org'] a").await?;
        wait_for(browser, "dl#user").await?;

        browser
            .find(Locator::Id("password"))
            .await?
            .send_keys("a brand new password")
            .await?;
        click(browser, "form#edit button[type=submit]").await?;
        until_done(browser, "password").await?;
        let after_password = session_works(&stack, &bens_session).await;

        click_button(browser, "Grant connector").await?;
        until_done(browser, "granted").await?;
        let roles_granted = text(browser, "#roles").await?;
        click_button(browser, "Revoke operator").await?;
        until_done(browser, "revoked").await?;
        let roles_revoked = text(browser, "#roles").await?;
        click(browser, "#toggle").await?;
        until_done(browser, "disabled").await?;
        let disabled = text(browser, "#status").await?;
        screenshot(browser, &stack, "user").await?;
        click(browser, "#toggle").await?;
        until_done(browser, "enabled").await?;
        let enabled = text(browser, "#status").await?;

        browser
            .goto(console(&stack, "/api-tokens").as_str())
            .await?;
        browser
            .find(Locator::Id("name"))
            .await?
            .send_keys("crm-narrow")
            .await?;
        click(browser, "form#create button[type=submit]").await?;
        wait_for(browser, "#token-value").await?;
        browser
            .goto(console(&stack, "/api-tokens/show?name=crm-narrow").as_str())
            .await?;
        let tags = browser.find(Locator::Id("tags")).await?;
        tags.clear().await?;
        tags.send_keys("crm:*").await?;
        click(browser, "form#edit button[type=submit]").await?;
        until_done(browser, "scope").await?;
        let scope = text(browser, "#scope").await?;
        click(browser, "#toggle").await?;
        until_done(browser, "disabled").await?;
        let token_status = text(browser, "#status").await?;
        screenshot(browser, &stack, "api-token").await?;
        click(browser, "#delete").await?;
        wait_for(browser, "form#create").await?;
        let tokens_after_delete = texts(browser, "table#api-tokens tbody tr").await?;
        Ok(Seen {
            partial,
            found,
            after_password,
            roles_granted,
            roles_revoked,
            disabled,
            enabled,
            scope,
            token_status,
            tokens_after_delete,
        })
    })
    .await;
    let (nobody, hint, tables) = &seen.partial;
    assert!(
        nobody.starts_with("No user has this e-mail address"),
        "{seen:?}"
    );
    assert!(
        hint.contains("full e-mail address, WordPress login or user id"),
        "{seen:?}"
    );
    assert_eq!(*tables, 0, "{seen:?}");
    assert_eq!(seen.found.len(), 1, "{seen:?}");
    assert!(seen.found[0].contains("ben@example.org"), "{seen:?}");
    assert!(
        !seen.after_password,
        "a new password ends the user's console sessions"
    );
    assert!(
        seen.roles_granted.contains("connector") && seen.roles_granted.contains("operator"),
        "{seen:?}"
    );
    assert!(
        seen.roles_revoked.contains("connector") && !seen.roles_revoked.contains("operator"),
        "{seen:?}"
    );
    assert_eq!(seen.disabled, "disabled");
    assert_eq!(seen.enabled, "enabled");
    let shown = stack.cli(&["--json", "users", "show", "ben@example.org"], "");
    assert!(
        shown.contains("connector") && !shown.contains("operator"),
        "{shown}"
    );
    assert!(seen.scope.contains("crm:*"), "{seen:?}");
    assert_eq!(seen.token_status, "disabled");
    assert!(
        !seen
            .tokens_after_delete
            .iter()
            .any(|r| r.contains("crm-narrow")),
        "{seen:?}"
    );
    let listed = stack.cli(&["--json", "api-tokens", "list"], "");
    assert!(!listed.contains("crm-narrow"), "deleted: {listed}");
}

/// The page the browser shows once a click on the page served on `port` has taken it elsewhere
/// (a click returns before the navigation it starts is over). Polls; gives up after a minute,
/// answering where the browser still is.
async fn left_the_page(browser: &Client, port: u16) -> Result<Url, CmdError> {
    for _ in 0..600 {
        let url = browser.current_url().await?;
        if url.port() != Some(port) {
            return Ok(url);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.current_url().await
}
