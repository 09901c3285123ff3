//! Importing users exported from WordPress, on the embedded store and on DynamoDB: users are
//! created with their hashes, links and (with `extIdReferencing`) `ext_id`; a second import changes
//! nothing; conflicts are reported; and every imported user logs in with its WordPress password.
//! A hash whose cost is beyond authbridge's bounds (a 4 GiB Argon2, bcrypt cost 31) is refused with
//! its line, the rest imported; and one stored anyway is never run at login.

use authbridge::context::AppContext;
use authbridge::domain::PasswordOrigin;
use authbridge::login::{
    Credentials, LoginError, LoginName, LoginService, LoginSettings, MigrationOptions,
};
use authbridge::secrets::SecretString;
use authbridge::users::import::import;
use authbridge_tests::login::email_of;
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
        .find_user_by_email(&email_of("admin@example.fu"))
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
        users
            .find_user_by_email(&email_of("admin@example.fu"))
            .await
            .unwrap(),
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

/// An Argon2id hash of [`PASSWORD`] under the policy (PHP's `password_hash`).
const ARGON2ID: &str = "$argon2id$v=19$m=19456,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag";
/// The same hash, but asking for 4 GiB of memory (m = 4 194 304 KiB).
const ARGON2ID_4_GIB: &str = "$argon2id$v=19$m=4194304,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag";

fn export_line(id: u64, login: &str, hash: &str) -> String {
    format!(
        r#"{{"ID":{id},"user_login":"{login}","user_email":"{login}@example.fu","user_pass":"{hash}"}}"#
    )
}

async fn log_in(service: &LoginService, email: &str) -> Result<(), LoginError> {
    let credentials = Credentials::new(
        LoginName::from_email(email).unwrap(),
        SecretString::from(PASSWORD),
    )
    .unwrap();
    service
        .login(&credentials, Some("192.0.2.10"))
        .await
        .map(|_| ())
}

async fn hashes_beyond_the_bounds_are_refused_line_by_line(b: Backend) {
    let test = stack::start(b, StackOptions::default()).await;
    let users = test.backend.stores.users.clone();
    let export = [
        export_line(201, "greedy", ARGON2ID_4_GIB),
        export_line(202, "phpass", "$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0"),
        export_line(
            203,
            "slow",
            "$2y$31$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
        ),
        export_line(204, "argon", ARGON2ID),
    ]
    .join("\n");
    let summary = import(
        users.as_ref(),
        MigrationOptions::default(),
        export.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 2, "{summary:?}");
    let refused: Vec<(usize, Option<u64>)> = summary
        .invalid
        .iter()
        .map(|p| (p.line, p.wordpress_id))
        .collect();
    assert_eq!(refused, [(1, Some(201)), (3, Some(203))]);
    assert!(
        summary.invalid[0]
            .reason
            .contains("Argon2 memory above 256 MiB"),
        "{summary:?}"
    );
    assert!(
        summary.invalid[1].reason.contains("bcrypt cost above 14"),
        "{summary:?}"
    );
    assert!(
        summary
            .invalid
            .iter()
            .all(|p| !p.reason.contains("$argon2") && !p.reason.contains("$2y$")),
        "no hash is quoted"
    );
    assert!(users.get_wordpress_link(201).await.unwrap().is_none());
    assert!(
        users
            .find_user_by_email(&email_of("greedy@example.fu"))
            .await
            .unwrap()
            .is_none()
    );

    // The rest log in; the WordPress hash is WordPress's, the Argon2 one authbridge's.
    let app: &AppContext = &test.stack.oauth.app;
    let service = LoginService::new(app, &LoginSettings::default()).unwrap();
    for (email, origin) in [
        ("phpass@example.fu", PasswordOrigin::Wordpress),
        ("argon@example.fu", PasswordOrigin::Authbridge),
    ] {
        let stored = users
            .find_user_by_email(&email_of(email))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.password_origin, Some(origin), "{email}");
        log_in(&service, email)
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
    }

    // A hash that asks for 4 GiB, stored by other means, is never run: the login is a refusal
    // that spends what every refusal spends (the dummies), and the process is still here.
    let mut greedy = user("greedy@example.fu", Some(ARGON2ID_4_GIB));
    greedy.password_origin = Some(PasswordOrigin::Authbridge);
    save_user(&test, greedy, None).await;
    let refused = log_in(&service, "greedy@example.fu").await;
    assert!(
        matches!(refused, Err(LoginError::InvalidCredentials)),
        "{refused:?}"
    );
    let work = service.last_refusal().expect("a refusal");
    assert_eq!((work.argon2, work.bcrypt), (1, 1), "{work:?}");
}

on_both_backends!(
    an_import_is_idempotent_and_its_users_log_in,
    hashes_beyond_the_bounds_are_refused_line_by_line,
);
