//! The journal on both stores: the store contract (append, newest first, pages through a cursor,
//! retention), events of a real connection flow in the connection's history, and an
//! administrator's change recorded through `audit::record` under `admin`. The flow test talks to the
//! test authorization server.

use authbridge::audit;
use authbridge::clock;
use authbridge::domain::journal::RETENTION;
use authbridge::domain::{JournalEntry, Subject};
use authbridge::events::AdminAction;
use authbridge::store::{JournalStore, PageRequest};
use authbridge_tests::oidc::CODE_CLIENT_BASIC;
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, StackOptions};
use authbridge_tests::tokens::tag_of;
use authbridge_tests::{Backend, unique};
use serde_json::json;

fn entry(subject: &Subject, time: i64, kind: &str) -> JournalEntry {
    JournalEntry::new(subject.clone(), time, kind, format!("summary of {kind}"))
}

/// Every entry of `subject`, page by page of `size`, newest first.
async fn all_kinds(journal: &dyn JournalStore, subject: &Subject, size: u32) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut request = PageRequest::first(size);
    loop {
        let page = journal
            .journal_entries(subject, clock::now(), &request)
            .await
            .expect("listing journal entries");
        assert!(
            page.items.len() <= size as usize,
            "a page holds at most its limit"
        );
        kinds.extend(page.items.into_iter().map(|e| e.kind));
        match page.next {
            Some(next) => request.after = Some(next),
            None => return kinds,
        }
    }
}

async fn entries_are_listed_newest_first_per_subject_in_pages(b: Backend) {
    let journal = b.stores.journal.as_ref();
    let tag = Subject::Connection(unique("mail"));
    let other = Subject::Connection(unique("mail"));
    let now = clock::now();
    for i in 0..7 {
        journal
            .append_entry(&entry(&tag, now - 100 + i, &format!("e{i}")))
            .await
            .unwrap();
    }
    // Two entries of the same second are both kept.
    journal
        .append_entry(&entry(&tag, now - 94, "e6-twin"))
        .await
        .unwrap();
    journal
        .append_entry(&entry(&other, now, "other"))
        .await
        .unwrap();
    let mut kinds = all_kinds(journal, &tag, 3).await;
    assert_eq!(kinds.len(), 8);
    let (first_two, rest) = kinds.split_at_mut(2);
    first_two.sort();
    assert_eq!(first_two, ["e6", "e6-twin"]);
    assert_eq!(rest, ["e5", "e4", "e3", "e2", "e1", "e0"]);
    assert_eq!(all_kinds(journal, &other, 3).await, ["other"]);
    assert!(all_kinds(journal, &Subject::Admin, 3).await.is_empty());

    // What was stored reads back whole.
    let stored = journal
        .journal_entries(&other, now, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(stored.items[0].subject, other);
    assert_eq!(stored.items[0].summary, "summary of other");
}

async fn an_entry_past_the_retention_is_not_listed_and_is_forgotten(b: Backend) {
    let journal = b.stores.journal.as_ref();
    let subject = Subject::Connection(unique("old"));
    let now = clock::now();
    journal
        .append_entry(&entry(&subject, now - RETENTION - 10, "too-old"))
        .await
        .unwrap();
    journal
        .append_entry(&entry(&subject, now - RETENTION + 3600, "kept"))
        .await
        .unwrap();
    assert_eq!(all_kinds(journal, &subject, 10).await, ["kept"]);
    // SQLite deleted it on the next append; DynamoDB holds it with its TTL until it expires it.
    let old_key = format!(
        "connection:{}",
        match &subject {
            Subject::Connection(tag) => tag.as_str(),
            _ => unreachable!(),
        }
    );
    let stored = b
        .raw_stored(
            "-",
            "SELECT data FROM journal WHERE subject = ?1",
            &[old_key.as_str()],
        )
        .await;
    if b.sqlite_file().is_some() {
        assert_eq!(stored.len(), 1, "only the kept entry remains: {stored:?}");
    }
    if let Some(dynamo) = b.dynamo() {
        let items = dynamo
            .raw_client()
            .query()
            .table_name(dynamo.table())
            .index_name("by-kind")
            .key_condition_expression("kind = :k")
            .expression_attribute_values(
                ":k",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("JOURNAL#{old_key}")),
            )
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default();
        assert_eq!(items.len(), 2);
        for item in items {
            assert!(
                item.contains_key("ttl"),
                "every journal item expires: {item:?}"
            );
        }
    }
}

async fn a_real_connection_flow_writes_the_connections_history(b: Backend) {
    let Some(s) = stack::start_on_test_server(b, StackOptions::default()).await else {
        return;
    };
    let client = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let tag = unique("hist");
    let done = s
        .connect_as(
            client.id.as_str(),
            &tag,
            "ivy",
            json!({"owner": "contact:9"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    authbridge::oauth::connections::delete_connection(&s.stack.oauth, &tag_of(&tag))
        .await
        .unwrap()
        .expect("the connection existed");
    let journal = s.backend.stores.journal.as_ref();
    let history = audit::history(journal, &tag_of(&tag), &PageRequest::first(10))
        .await
        .unwrap();
    let kinds: Vec<&str> = history.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["connection.deleted", "connection.created"]);
    let created = &history.items[1];
    assert_eq!(
        created.actor.as_deref(),
        Some("api-token:tests"),
        "made with the test API token"
    );
    assert!(
        created.summary.contains("owner contact:9"),
        "{}",
        created.summary
    );
    assert!(
        created.summary.contains(stack::TEST_PROVIDER),
        "{}",
        created.summary
    );
    // Never a credential: the summary names nothing sealed.
    let record_json = serde_json::to_string(&history.items).unwrap();
    assert!(!record_json.contains(CODE_CLIENT_BASIC.secret));
}

async fn an_administrators_change_is_kept_under_admin(b: Backend) {
    let events = authbridge::events::Events::default().with_journal(b.stores.journal.clone());
    let address = "192.0.2.44".parse().ok();
    audit::record(
        &events,
        "cli:ada",
        AdminAction::ClientCreated,
        "demo/guid-1",
        None,
    )
    .await;
    audit::record(
        &events,
        "console:bo@example.org",
        AdminAction::RoleGranted,
        "cy@example.org operator",
        address,
    )
    .await;
    let page = audit::entries(
        b.stores.journal.as_ref(),
        &Subject::Admin,
        &PageRequest::first(10),
    )
    .await
    .unwrap();
    let seen: Vec<(&str, Option<&str>, &str)> = page
        .items
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_deref(), e.summary.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "admin.role.granted",
                Some("console:bo@example.org"),
                "target cy@example.org operator"
            ),
            (
                "admin.client.created",
                Some("cli:ada"),
                "target demo/guid-1"
            ),
        ]
    );
    assert_eq!(page.items[0].address, address);
}

on_both_backends!(
    entries_are_listed_newest_first_per_subject_in_pages,
    an_entry_past_the_retention_is_not_listed_and_is_forgotten,
    a_real_connection_flow_writes_the_connections_history,
    an_administrators_change_is_kept_under_admin,
);
