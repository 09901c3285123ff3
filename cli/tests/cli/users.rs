//! `authbridge users ...`: what is printed and stored, that neither a password nor a hash is ever
//! shown, and that an import is idempotent and says what it did.

use authbridge::config::{Backend, Config, Env};
use authbridge::context::AppContext;
use authbridge::login::{Credentials, LoginName, LoginService, LoginSettings};
use authbridge::passwords::verify_password;
use authbridge::secrets::SecretString;
use authbridge::store::UserStore;

use crate::support::{Deployment, email_of};

const PASSWORD: &str = "correct horse battery staple";

async fn stored_hash(
    deployment: &Deployment,
    email: &str,
) -> authbridge::domain::user::PasswordHash {
    deployment
        .store()
        .find_user_by_email(&email_of(email))
        .await
        .unwrap()
        .expect("the user")
        .password_hash
        .expect("a password hash")
}

fn verifies(hash: &authbridge::domain::user::PasswordHash, password: &str) -> bool {
    verify_password(&SecretString::from(password), hash)
        .unwrap()
        .is_valid()
}

#[tokio::test]
async fn users_are_created_shown_disabled_and_given_new_passwords() {
    let deployment = Deployment::new();
    let created = deployment
        .run_with_stdin(
            &[
                "users",
                "create",
                "--json",
                "--email",
                "ada@example.org",
                "--first-name",
                "Ada",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        )
        .ok();
    created.assert_never_shows(PASSWORD);
    created.assert_never_shows("$argon2");
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_string();
    assert_eq!(user["email"], "ada@example.org");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["source"], "local");
    assert_eq!(user["password"], "Argon2");
    assert_eq!(user["password_from"], "authbridge");
    assert_eq!(user["active"], true);
    assert!(verifies(
        &stored_hash(&deployment, "ada@example.org").await,
        PASSWORD
    ));

    for who in [id.as_str(), "ADA@example.org"] {
        let shown = deployment.run(&["users", "show", who]).ok();
        assert!(shown.stdout.contains(&id), "{}", shown.stdout);
        shown.assert_never_shows("$argon2");
    }
    let listed = deployment.run(&["users", "list", "--json"]).ok().json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    let disabled = deployment
        .run(&["users", "disable", &id, "--json"])
        .ok()
        .json();
    assert_eq!(disabled["active"], false);
    let enabled = deployment
        .run(&["users", "enable", "ada@example.org", "--json"])
        .ok()
        .json();
    assert_eq!(enabled["active"], true);

    let new_password = "a new pass phrase";
    let changed = deployment
        .run_with_stdin(
            &["users", "set-password", &id, "--password-stdin"],
            &format!("{new_password}\n"),
        )
        .ok();
    changed.assert_never_shows(new_password);
    let hash = stored_hash(&deployment, "ada@example.org").await;
    assert!(verifies(&hash, new_password));
    assert!(!verifies(&hash, PASSWORD));

    let short = deployment.run_with_stdin(
        &["users", "set-password", &id, "--password-stdin"],
        "short\n",
    );
    assert_eq!(short.code, Some(1));
    assert!(
        short.stderr.contains("at least 8 characters"),
        "{}",
        short.stderr
    );
    short.assert_never_shows("short");

    let taken = deployment.run(&[
        "users",
        "create",
        "--email",
        "Ada@Example.org",
        "--password",
        PASSWORD,
    ]);
    assert_eq!(taken.code, Some(1));
    assert!(taken.stderr.contains("e-mail address"), "{}", taken.stderr);
    let missing = deployment.run(&["users", "show", "nobody@example.org"]);
    assert_eq!(missing.code, Some(1));
    assert!(missing.stderr.contains("no user"), "{}", missing.stderr);
}

/// Lines as a WordPress export gives them; the passwords are all [`PASSWORD`].
const EXPORT: [&str; 8] = [
    r#"{"ID":"145","user_login":"admin","user_email":"admin@example.fu","user_pass":"$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0","user_registered":"2020-03-13 14:02:44","display_name":"Example Admin","first_name":"Example","last_name":"Admin"}"#,
    r#"{"ID":146,"user_login":"wp68","user_email":"wp68@example.fu","user_pass":"$wp$2y$10$.kA8BpnGb2DF22djDolSse0x9cxzClPVZ83WKNTcRetPdj2JUGUBS","user_registered":"2025-04-15 08:00:00"}"#,
    r#"{"ID":147,"user_login":"old","user_email":"old@example.fu","user_pass":"9cc2ae8a1ba7a93da39b46fc1019c481","user_registered":"2004-01-01 00:00:00"}"#,
    r#"{"ID":148,"user_login":"nopass","user_email":"nopass@example.fu","user_pass":"","user_registered":"2021-01-01 00:00:00"}"#,
    "",
    r#"{"ID":149,"user_login":"taken","user_email":"ADA@example.org","user_pass":"$2y$10$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq"}"#,
    r#"{"ID":150,"user_login":"weird","user_email":"weird@example.fu","user_pass":"$1$SECRET-HASH$abcdef"}"#,
    r#"{"ID":151,"user_login":"broken","user_email":"not an address","user_pass":""}"#,
];

#[tokio::test]
async fn an_import_creates_users_with_their_wordpress_hashes_once() {
    let deployment = Deployment::new();
    deployment
        .run(&[
            "users",
            "create",
            "--email",
            "ada@example.org",
            "--password",
            PASSWORD,
        ])
        .ok();
    let file = deployment.db_path().with_file_name("users.jsonl");
    std::fs::write(&file, EXPORT.join("\n")).unwrap();
    let file = file.to_str().unwrap();

    let first = deployment.run(&["users", "import", file]);
    assert_eq!(
        first.code,
        Some(1),
        "some lines were not imported: {}",
        first.stderr
    );
    assert!(
        first
            .stdout
            .starts_with("created 4, already imported 0, conflicts 1, invalid 2"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("line 6 (WordPress ID 149): conflict"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("line 7 (WordPress ID 150): invalid: user_pass"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("line 8 (WordPress ID 151): invalid: user_email"),
        "{}",
        first.stdout
    );
    assert!(
        first.stderr.contains("3 line(s) were not imported"),
        "{}",
        first.stderr
    );
    for hash in ["SECRET-HASH", "$P$B", "$wp$", "9cc2ae8a"] {
        first.assert_never_shows(hash);
    }

    let again = deployment.run(&["users", "import", file, "--json"]).json();
    assert_eq!(again["created"], 0);
    assert_eq!(again["already_imported"], 4);

    let admin = deployment
        .run(&["users", "show", "admin@example.fu", "--json"])
        .ok()
        .json();
    assert_eq!(admin["source"], "wordpress");
    assert_eq!(admin["wordpress_id"], 145);
    assert_eq!(admin["first_name"], "Example");
    assert_eq!(admin["password"], "phpass");
    assert_eq!(admin["password_from"], "wordpress");
    assert_eq!(admin["created"], "2020-03-13T14:02:44Z");
    let nopass = deployment
        .run(&["users", "show", "nopass@example.fu", "--json"])
        .ok()
        .json();
    assert_eq!(nopass["password"], serde_json::Value::Null);
    assert_eq!(nopass["password_from"], serde_json::Value::Null);

    // The imported users log in with their WordPress passwords, and leave with Argon2id hashes.
    let config = Config::from(&Env::from_fn(|_| None)).unwrap();
    let config = Config {
        backend: Backend::Embedded {
            path: deployment.db_path(),
        },
        ..config
    };
    let app = AppContext::build(config).await.unwrap();
    let service = LoginService::new(&app, &LoginSettings::default()).unwrap();
    for email in ["admin@example.fu", "wp68@example.fu", "old@example.fu"] {
        let credentials = Credentials::new(
            LoginName::from_email(email).unwrap(),
            SecretString::from(PASSWORD),
        )
        .unwrap();
        let success = service.login(&credentials, None).await.unwrap();
        assert_eq!(success.user.email, email);
        let shown = deployment
            .run(&["users", "show", email, "--json"])
            .ok()
            .json();
        assert_eq!(shown["password"], "Argon2", "{email}");
    }
}
