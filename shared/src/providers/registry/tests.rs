//! Tests of the provider registry: shipped files, the operator folder, resolution, discovery.

use super::*;
use crate::providers::test_idp::{FakeIdp, test_http};
use crate::providers::{DiscoveryError, OwnerSource};
use serde_json::json;

fn urls(provider: &ResolvedProvider) -> crate::providers::ConnectionEndpoints {
    provider.fixed_endpoints().unwrap()
}

fn shipped() -> ProviderRegistry {
    ProviderRegistry::shipped(test_http()).unwrap()
}

fn options(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The names of the files in `shared/providers/`, sorted.
fn catalogue_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("providers");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn every_catalogue_file_is_shipped_and_listed_sorted_by_name() {
    let registry = shipped();
    let listed: Vec<String> = registry.list().iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(listed, catalogue_files());
    for (name, title) in [
        ("demo", "Local Demo (local stack only)"),
        ("github", "GitHub"),
        ("gmail", "Google Mail"),
        ("ms-exchange", "Microsoft Exchange Online"),
    ] {
        assert_eq!(registry.get(name).map(|d| d.title.as_str()), Some(title));
    }
}

#[tokio::test]
async fn gmail_asks_for_offline_access_and_names_its_issuer() {
    let gmail = shipped()
        .resolve("gmail", None, &Map::new(), None)
        .await
        .unwrap();
    assert_eq!(
        urls(&gmail).authorize.as_str(),
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(
        urls(&gmail).token.as_str(),
        "https://oauth2.googleapis.com/token"
    );
    assert_eq!(gmail.access_type.as_deref(), Some("offline"));
    assert_eq!(gmail.prompt.as_deref(), Some("select_account consent"));
    assert_eq!(
        gmail.issuer.as_ref().map(|i| i.as_str()),
        Some("https://accounts.google.com")
    );
    assert_eq!(
        gmail.scope_param(&gmail.scopes),
        "https://mail.google.com/ openid email profile"
    );
    assert!(
        matches!(urls(&gmail).owner, OwnerSource::Url(ref u) if u.as_str() == "https://openidconnect.googleapis.com/v1/userinfo")
    );
}

#[tokio::test]
async fn the_tenant_fills_microsoft_urls_and_defaults_to_common() {
    let registry = shipped();
    let ms = registry
        .resolve(
            "ms-exchange",
            Some("contoso.onmicrosoft.com"),
            &Map::new(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        urls(&ms).token.as_str(),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(urls(&ms).owner, OwnerSource::IdToken);
    assert!(ms.tenancy);
    assert!(ms.scopes.iter().any(|s| s == "offline_access"));
    let common = registry
        .resolve("ms-exchange", None, &Map::new(), None)
        .await
        .unwrap();
    assert_eq!(
        urls(&common).authorize.as_str(),
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    );
    let err = registry
        .resolve("ms-exchange", Some("evil.example/x?"), &Map::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::InvalidTenant { .. }), "{err}");
}

#[tokio::test]
async fn the_demo_provider_needs_the_local_stack() {
    let registry = shipped();
    let err = registry
        .resolve("demo", None, &Map::new(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::LocalBaseRequired { field, .. } if field == "options.urlAuthorize"),
        "{err}"
    );
    let local = Url::parse("http://127.0.0.1:3000/").unwrap();
    let demo = registry
        .resolve("demo", None, &Map::new(), Some(&local))
        .await
        .unwrap();
    assert_eq!(
        urls(&demo).token.as_str(),
        "http://127.0.0.1:3000/demo/token"
    );
    assert_eq!(demo.tags, vec!["local-only".to_string()]);
}

#[tokio::test]
async fn client_options_override_the_provider() {
    let registry = shipped();
    let overrides = options(json!({
        "urlAccessToken": "https://proxy.example/token",
        "scopes": ["read:org"],
    }));
    let github = registry
        .resolve("github", None, &overrides, None)
        .await
        .unwrap();
    assert_eq!(urls(&github).token.as_str(), "https://proxy.example/token");
    assert_eq!(
        urls(&github).authorize.as_str(),
        "https://github.com/login/oauth/authorize"
    );
    assert_eq!(github.scopes, vec!["read:org".to_string()]);

    let plain = options(json!({"urlAccessToken": "http://proxy.example/token"}));
    let err = registry
        .resolve("github", None, &plain, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidUrl { field, .. } if field == "options.urlAccessToken"),
        "{err}"
    );
    let typo = options(json!({"scope": ["x"]}));
    let err = registry
        .resolve("github", None, &typo, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::ClientOptions { .. }), "{err}");
}

#[tokio::test]
async fn an_unknown_provider_is_named() {
    let err = shipped()
        .resolve("yahoo", None, &Map::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(&err, ProviderError::Unknown { name } if name == "yahoo"));
    assert_eq!(err.to_string(), "unknown provider \"yahoo\"");
}

#[tokio::test]
async fn the_operator_folder_replaces_and_extends_shipped_providers() {
    let dir = folder(&[
        (
            "gmail.json",
            r#"{"title": "Workspace Mail", "options": {
                "urlAuthorize": "https://accounts.google.com/o/oauth2/v2/auth",
                "urlAccessToken": "https://oauth2.googleapis.com/token"}}"#,
        ),
        (
            "acme.json",
            r#"{"title": "Acme", "refreshMargin": 900, "options": {
                "urlAuthorize": "https://acme.example/auth",
                "urlAccessToken": "https://acme.example/token"}}"#,
        ),
        ("README.md", "not a provider"),
    ]);
    let registry = ProviderRegistry::load(Some(dir.path()), test_http()).unwrap();
    let names: Vec<_> = registry.list().into_iter().map(|(n, _)| n).collect();
    let mut expected = catalogue_files();
    expected.push("acme".to_string());
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(registry.get("gmail").unwrap().title, "Workspace Mail");
    let gmail = registry
        .resolve("gmail", None, &Map::new(), None)
        .await
        .unwrap();
    assert_eq!(gmail.access_type, None, "the shipped options are replaced");
    let acme = registry
        .resolve("acme", None, &Map::new(), None)
        .await
        .unwrap();
    assert_eq!(acme.refresh_margin, Some(Duration::from_secs(900)));
}

#[test]
fn a_bad_operator_file_is_refused_naming_file_and_field() {
    let dir = folder(&[(
        "acme.json",
        r#"{"title": "Acme", "options": {"urlAuthorize": "https://a.example/a",
            "urlAccessToken": "https://a.example/t", "tennancy": true}}"#,
    )]);
    let err = ProviderRegistry::load(Some(dir.path()), test_http()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("acme.json"), "{msg}");
    assert!(msg.contains("options"), "{msg}");
    assert!(msg.contains("tennancy"), "{msg}");

    let dir = folder(&[("acme.json", r#"{"title": "Acme"}"#)]);
    let err = ProviderRegistry::load(Some(dir.path()), test_http()).unwrap_err();
    assert!(
        matches!(&err, ProviderError::MissingEndpoints { file } if file.ends_with("acme.json")),
        "{err}"
    );
    let missing = dir.path().join("nope");
    let err = ProviderRegistry::load(Some(&missing), test_http()).unwrap_err();
    assert!(matches!(err, ProviderError::Read { .. }), "{err}");
}

#[test]
fn the_folder_comes_from_the_environment() {
    let env = Env::from_fn(|k| (k == PROVIDERS_DIR_VAR).then(|| "/etc/ab".to_string()));
    assert_eq!(providers_dir(&env), Some(PathBuf::from("/etc/ab")));
}

#[tokio::test]
async fn an_issuer_alone_is_resolved_by_discovery_once() {
    let idp = FakeIdp::start(None).await;
    let text = json!({"title": "Keycloak", "issuer": idp.issuer}).to_string();
    let dir = folder(&[("keycloak.json", &text)]);
    let registry = ProviderRegistry::load(Some(dir.path()), test_http()).unwrap();
    let first = registry
        .resolve("keycloak", None, &Map::new(), None)
        .await
        .unwrap();
    let second = registry
        .resolve("keycloak", None, &Map::new(), None)
        .await
        .unwrap();
    assert_eq!(idp.hits(), 1, "the second resolve is served from the cache");
    assert_eq!(first, second);
    assert_eq!(
        urls(&first).authorize.as_str(),
        format!("{}/authorize", idp.issuer)
    );
    assert_eq!(
        urls(&first).owner,
        OwnerSource::Url(Url::parse(&format!("{}/userinfo", idp.issuer)).unwrap())
    );
    assert_eq!(first.scopes, vec!["openid".to_string()]);
    assert!(first.requires_iss);
}

#[tokio::test]
async fn a_discovered_issuer_must_match_the_configured_one() {
    let idp = FakeIdp::start(Some("https://impostor.example")).await;
    let text = json!({"title": "Keycloak", "issuer": idp.issuer}).to_string();
    let dir = folder(&[("keycloak.json", &text)]);
    let registry = ProviderRegistry::load(Some(dir.path()), test_http()).unwrap();
    let err = registry
        .resolve("keycloak", None, &Map::new(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Discovery {
                source: DiscoveryError::IssuerMismatch { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_mail_providers_ship_their_imap_and_smtp_servers() {
    use crate::mail::{MailProtocol, MailSecurity};
    let registry = shipped();
    let owner = json!({"email": "ann@example.test"});
    let expected = [
        (
            "ms-exchange",
            ("outlook.office365.com", 993, MailSecurity::Ssl),
            ("smtp.office365.com", 587, MailSecurity::Starttls),
        ),
        (
            "gmail",
            ("imap.gmail.com", 993, MailSecurity::Ssl),
            ("smtp.gmail.com", 587, MailSecurity::Starttls),
        ),
    ];
    for (name, imap, smtp) in expected {
        let template = registry
            .get(name)
            .and_then(|d| d.mail_settings_template.as_ref())
            .unwrap_or_else(|| panic!("{name} has a mail template"));
        let settings = template.fill(Some(&owner), None).unwrap();
        let found: Vec<_> = settings
            .servers
            .iter()
            .map(|s| (s.protocol, s.server.as_str(), s.port, s.security))
            .collect();
        assert_eq!(
            found,
            vec![
                (MailProtocol::Imap, imap.0, imap.1, imap.2),
                (MailProtocol::Smtp, smtp.0, smtp.1, smtp.2),
            ],
            "{name}"
        );
        assert!(
            settings
                .servers
                .iter()
                .all(|s| s.username == "ann@example.test")
        );
    }
    assert!(
        registry
            .get("github")
            .unwrap()
            .mail_settings_template
            .is_none()
    );
}

#[test]
fn a_bad_mail_template_refuses_the_file_naming_the_field() {
    let text = r#"{"title": "Acme", "options": {"urlAuthorize": "https://a.example/a",
        "urlAccessToken": "https://a.example/t"},
        "mailSettingsTemplate": [{"protocol": "IMAP", "server": "i.example", "security": "ssl",
            "username": "{{token.owner.email}}"}]}"#;
    let dir = folder(&[("acme.json", text)]);
    let Err(err) = ProviderRegistry::load(Some(dir.path()), test_http()) else {
        panic!("a bad mail template is refused");
    };
    let msg = err.to_string();
    assert!(msg.contains("acme.json"), "{msg}");
    assert!(msg.contains("mailSettingsTemplate"), "{msg}");
    assert!(msg.contains("[0].username"), "{msg}");
}

#[test]
fn every_shipped_file_parses_and_passes_the_checks_an_operator_file_gets() {
    // The shipped files are parsed on first use, not at start: this is their start-time check.
    for (name, text) in SHIPPED {
        if let Err(e) = ProviderDefinition::parse(&shipped_file(name), text) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn a_deployment_without_the_local_stack_does_not_know_the_demo_provider() {
    let registry = shipped().without_local_only();
    assert!(!registry.contains("demo"));
    assert!(registry.get("demo").is_none());
    assert!(registry.contains("gmail"));
    let names: Vec<_> = registry.list().into_iter().map(|(n, _)| n).collect();
    let mut expected = catalogue_files();
    expected.retain(|n| n != "demo");
    assert_eq!(names, expected);
}
