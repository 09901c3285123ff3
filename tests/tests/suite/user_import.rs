//! Importing users exported from WordPress, on the embedded store and on DynamoDB: users are
//! created with their hashes, links and (with `extIdReferencing`) `ext_id`; a second import changes
//! nothing; conflicts are reported; and every imported user logs in with its WordPress password.

use authbridge::context::AppContext;
use authbridge::login::{Credentials, LoginName, LoginService, LoginSettings, MigrationOptions};
use authbridge::secrets::SecretString;
use authbridge::users::import::import;
use authbridge_tests::login::{save_user, user};
use authbridge_tests::stack::{self, StackOptions};
use authbridge_tests::{Backend, on_both_backends};

const PASSWORD: &str = "correct horse battery staple";

const EXPORT: &str = r#"{"ID":"145","user_login":"admin","user_email":"admin@example.fu","user_pass":"$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0","user_registered":"2020-03-13 14:02:44","first_name":"Example"}
{"ID":146,"user_login":"wp68","user_email":"wp68@example.fu","user_pass":"$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS"}
{"ID":147,"user_login":"bcrypt","user_email":"bcrypt@example.fu","user_pass":"$2y$10$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq"}
{"ID":148,"user_login":"old","user_email":"old@example.fu","user_pass":"9cc2ae8a1ba7a93da39b46fc1019c481"}
{"ID":149,"user_login":"taken","user_email":"taken@example.fu","user_pass":""}
{"ID":150,"user_login":"hard-linked","user_email":"hard@example.fu","user_pass":""}
"#;

async fn an_import_is_idempotent_and_its_users_log_in(b: Backend) {
    let options = MigrationOptions {
        ext_id_referencing: true,
        ..MigrationOptions::default()
    };
    let test = stack::start(b, StackOptions::default()).await;
    let users = test.backend.stores.users.clone();
    save_user(&test, user("Taken@example.fu", None), None).await;
    let mut hard = user("someone@example.org", None);
    hard.ext_id = Some("150".into());
    save_user(&test, hard, None).await;

    let first = import(users.as_ref(), options, EXPORT.as_bytes())
        .await
        .unwrap();
    assert_eq!(first.created, 4);
    assert_eq!(first.already_imported, 0);
    let conflicts: Vec<(usize, Option<u64>)> = first
        .conflicts
        .iter()
        .map(|c| (c.line, c.wordpress_id))
        .collect();
    assert_eq!(conflicts, [(5, Some(149)), (6, Some(150))]);
    assert!(first.invalid.is_empty());

    let admin = users
        .find_user_by_email("admin@example.fu")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.ext_id.as_deref(), Some("145"));
    assert_eq!(admin.wordpress_id, Some(145));
    assert_eq!(admin.first_name.as_deref(), Some("Example"));
    let link = users.get_wordpress_link(145).await.unwrap().unwrap();
    assert_eq!(link.user_id, admin.id);
    assert_eq!(link.login, "admin");
    assert_eq!(link.registered_at, "2020-03-13T14:02:44Z");

    let second = import(users.as_ref(), options, EXPORT.as_bytes())
        .await
        .unwrap();
    assert_eq!((second.created, second.already_imported), (0, 4));
    assert_eq!(second.conflicts.len(), 2);
    assert_eq!(
        users.find_user_by_email("admin@example.fu").await.unwrap(),
        Some(admin)
    );

    let app: &AppContext = &test.stack.oauth.app;
    let service = LoginService::new(app, &LoginSettings::default()).unwrap();
    for email in [
        "admin@example.fu",
        "wp68@example.fu",
        "bcrypt@example.fu",
        "old@example.fu",
    ] {
        let credentials = Credentials::new(
            LoginName::from_email(email).unwrap(),
            SecretString::from(PASSWORD),
        )
        .unwrap();
        let success = service.login(&credentials, Some("192.0.2.10")).await;
        let success = success.unwrap_or_else(|e| panic!("{email}: {e}"));
        let hash = success.user.password_hash.unwrap().0;
        assert!(hash.starts_with("$argon2id$"), "{email}: upgraded at login");
    }
}

on_both_backends!(an_import_is_idempotent_and_its_users_log_in);
