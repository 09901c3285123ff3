//! Where a connection value stands decides what it may be: no value moves a request elsewhere.

use super::*;

fn template(raw: &str) -> UrlTemplate {
    UrlTemplate::parse("options.urlAccessToken", raw).unwrap()
}

fn fill(raw: &str, name: &str, value: &str) -> Result<Url, ConnectionError> {
    template(raw).fill(&ConnectionValues::unchecked(&[(name, value)]))
}

#[test]
fn a_host_value_is_one_label_and_the_host_keeps_its_domain() {
    let shop = "https://{{connection.shop}}.myshopify.com/admin/oauth/access_token";
    assert_eq!(
        fill(shop, "shop", "acme-store").unwrap().as_str(),
        "https://acme-store.myshopify.com/admin/oauth/access_token"
    );
    for escape in [
        "evil.example",
        "evil.example/x",
        "evil.example#",
        "evil.example?",
        "x@evil.example",
        "evil.example:444",
        "",
        "-x",
        "a b",
        "%2e",
    ] {
        let err = fill(shop, "shop", escape).unwrap_err();
        assert!(
            matches!(&err, ConnectionError::Misplaced { name, .. } if name == "shop"),
            "{escape:?}: {err}"
        );
    }
}

#[test]
fn a_path_value_is_one_encoded_segment() {
    let realm = "https://sso.example/realms/{{connection.realm}}/protocol/openid-connect/token";
    let url = fill(realm, "realm", "../admin?x=1#f").unwrap();
    assert_eq!(url.host_str(), Some("sso.example"));
    assert_eq!(
        url.path(),
        "/realms/..%2Fadmin%3Fx%3D1%23f/protocol/openid-connect/token"
    );
    assert_eq!(url.query(), None);
    for bad in ["", ".", ".."] {
        assert!(fill(realm, "realm", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_query_value_is_one_encoded_value() {
    let url = fill(
        "https://a.example/t?site={{connection.site}}",
        "site",
        "x&admin=1",
    )
    .unwrap();
    assert_eq!(url.query(), Some("site=x%26admin%3D1"));
    assert_eq!(url.query_pairs().count(), 1);
}

#[test]
fn an_origin_value_is_an_https_origin_and_nothing_more() {
    let token = "{{connection.accounts_server}}/oauth/v2/token";
    assert_eq!(
        fill(token, "accounts_server", "https://accounts.zoho.eu")
            .unwrap()
            .as_str(),
        "https://accounts.zoho.eu/oauth/v2/token"
    );
    let okta = "{{connection.org}}/oauth2/{{connection.server}}/v1/token";
    let values =
        ConnectionValues::unchecked(&[("org", "https://dev-1.okta.com"), ("server", "a/b")]);
    assert_eq!(
        template(okta).fill(&values).unwrap().as_str(),
        "https://dev-1.okta.com/oauth2/a%2Fb/v1/token"
    );
    for bad in [
        "https://accounts.zoho.eu/evil",
        "https://accounts.zoho.eu?x=1",
        "https://user@accounts.zoho.eu",
        "http://accounts.zoho.eu",
        "accounts.zoho.eu",
    ] {
        assert!(fill(token, "accounts_server", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_missing_value_names_the_field_and_the_value() {
    let err = fill("https://{{connection.shop}}.myshopify.com/a", "other", "x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "options.urlAccessToken needs {{connection.shop}}, which this connection has no value for"
    );
}

#[test]
fn values_cannot_stand_in_a_port_a_user_name_or_a_bare_host() {
    for raw in [
        "https://a.example:{{connection.port}}/t",
        "https://{{connection.user}}@a.example/t",
        "https://{{connection.host}}/t",
        "https://{{connection.host}}.{{connection.tld}}/t",
        "https://x{{connection.a}}./t",
    ] {
        assert!(
            UrlTemplate::parse("options.urlAccessToken", raw).is_err(),
            "{raw}"
        );
    }
}
