//! The console's connection listing on both stores: filters by status, provider (its clients) and
//! owner, search by tag prefix, alone and together, every page of each through the store's
//! indexes, and a record that changes state found under its new state only. Through the service
//! (`oauth::connections::find_connections`) that `GET /connections` uses too.

use authbridge_tests::tokens::tag_of;
use std::collections::BTreeSet;

use authbridge::clock;
use authbridge::domain::token::{FailureKind, TokenStatus};
use authbridge::domain::{ClientId, ConnectionStatus, OAuthClient, Scope, StoredToken};
use authbridge::oauth::connections::{ConnectionSearch, find_connections, list_connections};
use authbridge::store::PageRequest;
use authbridge_tests::stack::{self, StackOptions, TestStack};
use authbridge_tests::tokens::sample_record;
use authbridge_tests::{Backend, on_both_backends};

async fn client(s: &TestStack, provider: &str) -> ClientId {
    let client = OAuthClient {
        id: ClientId::generate(),
        guid: format!("guid-{provider}"),
        provider: provider.into(),
        tenant: None,
        options: serde_json::Map::new(),
        is_active: true,
        created: clock::now(),
        modified: clock::now(),
        version: 0,
    };
    s.stack
        .oauth
        .app
        .stores
        .clients
        .create_client(&client)
        .await
        .unwrap();
    client.id
}

fn failing(mut record: StoredToken) -> StoredToken {
    record.failed_transiently(
        FailureKind::Transient,
        "server_error".into(),
        None,
        clock::now(),
    );
    record
}

fn reauth(mut record: StoredToken) -> StoredToken {
    record.needs_reauthorization("invalid_grant".into(), Some("revoked".into()), clock::now());
    record
}

/// Every tag `search` finds, page by page of `size` (each page at most `size`, no tag twice).
async fn tags(s: &TestStack, search: &ConnectionSearch, size: u32) -> Vec<String> {
    let mut found = Vec::new();
    let mut request = PageRequest::first(size);
    loop {
        let page = find_connections(&s.stack.oauth, search, &Scope::everything(), &request)
            .await
            .unwrap();
        assert!(page.items.len() <= size as usize);
        found.extend(page.items.into_iter().map(|v| v.tag.into_string()));
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = found.iter().collect();
    assert_eq!(unique.len(), found.len(), "no tag twice: {found:?}");
    found.sort();
    found
}

async fn filters_and_prefix_find_exactly_their_connections_page_by_page(b: Backend) {
    let s = stack::start(b, StackOptions::default()).await;
    let (a, b2, c) = (
        client(&s, "alpha").await,
        client(&s, "alpha").await,
        client(&s, "beta").await,
    );
    let tokens = s.stack.oauth.app.stores.tokens.clone();
    let put = |tag: &str,
               client: &ClientId,
               owner: Option<&str>,
               shape: fn(StoredToken) -> StoredToken| {
        let mut record = sample_record(tag);
        record.client_id = client.clone();
        record.owner = owner.map(|o| o.parse().expect("an owner"));
        shape(record)
    };
    let same = |r: StoredToken| r;
    let records = [
        put("mail:1", &a, Some("contact:1"), same),
        put("mail:2", &a, Some("contact:2"), failing),
        put("mail:3", &b2, Some("contact:1"), reauth),
        put("mail:4", &c, Some("contact:1"), same),
        put("cal:1", &a, None, failing),
        put("cal:2", &c, Some("contact:2"), reauth),
        put("cal:3", &b2, None, same),
    ];
    for record in &records {
        tokens.create_token(record).await.unwrap();
    }
    let search = |f: fn(&mut ConnectionSearch)| {
        let mut search = ConnectionSearch::default();
        f(&mut search);
        search
    };
    for size in [1, 2, 100] {
        let all = tags(&s, &ConnectionSearch::default(), size).await;
        assert_eq!(
            all,
            [
                "cal:1", "cal:2", "cal:3", "mail:1", "mail:2", "mail:3", "mail:4"
            ]
        );
        let failing = search(|s| s.status = Some(ConnectionStatus::RefreshFailing));
        assert_eq!(tags(&s, &failing, size).await, ["cal:1", "mail:2"]);
        let reauth = search(|s| s.status = Some(ConnectionStatus::NeedsReauthorization));
        assert_eq!(tags(&s, &reauth, size).await, ["cal:2", "mail:3"]);
        let active = search(|s| s.status = Some(ConnectionStatus::Active));
        assert_eq!(tags(&s, &active, size).await, ["cal:3", "mail:1", "mail:4"]);
        let alpha = search(|s| s.provider = Some("alpha".into()));
        assert_eq!(
            tags(&s, &alpha, size).await,
            ["cal:1", "cal:3", "mail:1", "mail:2", "mail:3"]
        );
        let alpha_active = search(|s| {
            s.provider = Some("alpha".into());
            s.status = Some(ConnectionStatus::Active);
        });
        assert_eq!(tags(&s, &alpha_active, size).await, ["cal:3", "mail:1"]);
        let nobody = search(|s| s.provider = Some("gamma".into()));
        assert!(
            tags(&s, &nobody, size).await.is_empty(),
            "a provider without clients"
        );
        let owner = search(|s| s.owner = Some("contact:1".parse().expect("an owner")));
        assert_eq!(tags(&s, &owner, size).await, ["mail:1", "mail:3", "mail:4"]);
        let owner_beta = search(|s| {
            s.owner = Some("contact:1".parse().expect("an owner"));
            s.provider = Some("beta".into());
        });
        assert_eq!(tags(&s, &owner_beta, size).await, ["mail:4"]);
        let mail = search(|s| s.tag_prefix = Some("mail:".into()));
        assert_eq!(
            tags(&s, &mail, size).await,
            ["mail:1", "mail:2", "mail:3", "mail:4"]
        );
        let cal_reauth = search(|s| {
            s.tag_prefix = Some("cal".into());
            s.status = Some(ConnectionStatus::NeedsReauthorization);
        });
        assert_eq!(tags(&s, &cal_reauth, size).await, ["cal:2"]);
        let owner_prefix = search(|s| {
            s.owner = Some("contact:2".parse().expect("an owner"));
            s.tag_prefix = Some("mail".into());
        });
        assert_eq!(tags(&s, &owner_prefix, size).await, ["mail:2"]);
    }

    // A view says how the connection is doing.
    let failing = search(|s| s.status = Some(ConnectionStatus::NeedsReauthorization));
    let page = find_connections(
        &s.stack.oauth,
        &failing,
        &Scope::everything(),
        &PageRequest::first(10),
    )
    .await
    .unwrap();
    let view = page.items.iter().find(|v| v.tag == "mail:3").unwrap();
    assert_eq!(view.health.state, ConnectionStatus::NeedsReauthorization);
    assert_eq!(
        view.health.last_error.as_deref(),
        Some("invalid_grant: revoked")
    );
    assert_eq!(view.provider.as_deref(), Some("alpha"));
    // GET /connections's answer is as it was: no console fields.
    let json = serde_json::to_value(view).unwrap();
    assert!(json.get("health").is_none() && json["status"] == "reauthorization_required");

    // A refresh that succeeds again moves the record out of "refresh failing".
    let mut record = tokens.get_token(&tag_of("mail:2")).await.unwrap().unwrap();
    record.error = None;
    record.status = TokenStatus::Active;
    tokens.update_token(&record).await.unwrap();
    let failing = search(|s| s.status = Some(ConnectionStatus::RefreshFailing));
    assert_eq!(tags(&s, &failing, 2).await, ["cal:1"]);
    let active = search(|s| s.status = Some(ConnectionStatus::Active));
    assert_eq!(
        tags(&s, &active, 2).await,
        ["cal:3", "mail:1", "mail:2", "mail:4"]
    );

    // The API's listing (an owner, or everything) reads the same way.
    let page = list_connections(
        &s.stack.oauth,
        Some(&"contact:2".parse().expect("an owner")),
        &Scope::everything(),
        &PageRequest::first(10),
    )
    .await
    .unwrap();
    let owned: Vec<&str> = page.items.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(owned, ["cal:2", "mail:2"]);
}

on_both_backends!(filters_and_prefix_find_exactly_their_connections_page_by_page);
