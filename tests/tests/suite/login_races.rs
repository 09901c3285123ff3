//! A login racing a password change (`users set-password`), over HTTP on a test stack, on the
//! embedded store and on DynamoDB. The race is made deterministic by store wrappers that run the
//! change at the exact moment, once:
//! - between the login's check of the old password and its sign-in write (the user store's first
//!   update): the write is stale, the login reads the user afresh, finds its password changed, and
//!   is refused (401), where it used to issue its session under the new session generation;
//! - between the sign-in write and the session (the session store's first put): the session is
//!   issued under the generation the login verified, which the change has ended.
//!
//! Either way no session survives the change, and the new password logs in. A racing write that
//! leaves the password alone (another login's sign-in) still lets the login through.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use authbridge::clock::Epoch;
use authbridge::domain::{Email, NameLookup, Session, User, UserId, WordpressLink};
use authbridge::login::LoginSettings;
use authbridge::passwords::hash_password;
use authbridge::secrets::SecretString;
use authbridge::store::{Page, PageRequest, SessionStore, StoreResult, UserStore};
use authbridge::users::UserAdmin;
use authbridge_tests::login::user_ref;
use authbridge_tests::login::{self, Answer, login, me, save_linked, save_user, user};
use authbridge_tests::stack::TestStack;
use authbridge_tests::{Backend, on_both_backends};
use serde_json::json;

const EMAIL: &str = "ada@example.org";
const OLD: &str = "the old passphrase";
const NEW: &str = "the new passphrase";

/// What a wrapper does, once, when its moment comes.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Change {
    /// `users set-password` to [`NEW`].
    SetPassword,
    /// A write that leaves the password alone (as another login's sign-in does).
    Touch,
}

/// The change to run at the next moment, and the store it is run against (the real one).
#[derive(Clone)]
struct Trap {
    armed: Arc<Mutex<Option<Change>>>,
    users: Arc<dyn UserStore>,
}

impl Trap {
    fn arm(&self, change: Change) {
        *self.armed.lock().unwrap() = Some(change);
    }

    /// Runs the armed change, if any (and disarms it).
    async fn spring(&self) {
        let change = self.armed.lock().unwrap().take();
        let admin = UserAdmin {
            users: self.users.as_ref(),
        };
        match change {
            Some(Change::SetPassword) => {
                admin
                    .set_password(&user_ref(EMAIL), &SecretString::from(NEW))
                    .await
                    .expect("the racing set-password");
            }
            Some(Change::Touch) => {
                let mut ada = admin.find(&user_ref(EMAIL)).await.expect("the user");
                ada.modified += 1;
                self.users
                    .update_user(&ada)
                    .await
                    .expect("the racing write");
            }
            None => {}
        }
    }
}

/// The user store, springing the trap before the first update (the login's sign-in write).
struct BeforeSignIn {
    inner: Arc<dyn UserStore>,
    trap: Trap,
}

#[async_trait]
impl UserStore for BeforeSignIn {
    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()> {
        self.inner.create_user(user, link).await
    }
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.inner.get_user(id).await
    }
    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        self.inner.find_user_by_email(email).await
    }
    async fn find_user_by_ext_id(&self, ext_id: &str) -> StoreResult<Option<User>> {
        self.inner.find_user_by_ext_id(ext_id).await
    }
    async fn find_user_by_wordpress_login(&self, login: &str) -> StoreResult<Option<User>> {
        self.inner.find_user_by_wordpress_login(login).await
    }
    async fn find_login_by_email(&self, email: &Email) -> StoreResult<Option<NameLookup>> {
        self.inner.find_login_by_email(email).await
    }
    async fn find_login_by_wordpress_login(&self, login: &str) -> StoreResult<Option<NameLookup>> {
        self.inner.find_login_by_wordpress_login(login).await
    }
    async fn update_user(&self, user: &User) -> StoreResult<User> {
        self.trap.spring().await;
        self.inner.update_user(user).await
    }
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        self.inner.delete_user(id).await
    }
    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        self.inner.list_users(page).await
    }
    async fn get_wordpress_link(&self, wordpress_id: u64) -> StoreResult<Option<WordpressLink>> {
        self.inner.get_wordpress_link(wordpress_id).await
    }
    async fn save_wordpress_link(&self, link: &WordpressLink) -> StoreResult<WordpressLink> {
        self.inner.save_wordpress_link(link).await
    }
}

/// The session store, springing the trap before the first session is stored.
struct BeforeSession {
    inner: Arc<dyn SessionStore>,
    trap: Trap,
}

#[async_trait]
impl SessionStore for BeforeSession {
    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        self.trap.spring().await;
        self.inner.put_session(session).await
    }
    async fn get_session(&self, key: &str, now: Epoch) -> StoreResult<Option<Session>> {
        self.inner.get_session(key, now).await
    }
    async fn delete_session(&self, key: &str) -> StoreResult<bool> {
        self.inner.delete_session(key).await
    }
}

/// Where the trap is sprung.
#[derive(Clone, Copy)]
enum Moment {
    BeforeSignIn,
    BeforeSession,
}

/// A stack whose store springs a trap at `moment`, with [`EMAIL`] holding [`OLD`].
async fn stack(mut b: Backend, moment: Moment) -> (TestStack, Trap) {
    let trap = Trap {
        armed: Arc::default(),
        users: b.stores.users.clone(),
    };
    match moment {
        Moment::BeforeSignIn => {
            b.stores.users = Arc::new(BeforeSignIn {
                inner: b.stores.users.clone(),
                trap: trap.clone(),
            });
        }
        Moment::BeforeSession => {
            b.stores.sessions = Arc::new(BeforeSession {
                inner: b.stores.sessions.clone(),
                trap: trap.clone(),
            });
        }
    }
    let stack = login::start(b, None, LoginSettings::default()).await;
    let hash = hash_password(&SecretString::from(OLD)).unwrap();
    save_user(&stack, user(EMAIL, Some(&hash.0)), None).await;
    (stack, trap)
}

async fn log_in(stack: &TestStack, password: &str) -> Answer {
    login(stack, json!({"email": EMAIL, "password": password})).await
}

/// The new password logs in, and its session stands.
async fn assert_the_new_password_logs_in(stack: &TestStack) {
    let answer = log_in(stack, NEW).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(me(stack, Some(&answer.token())).await.status, 200);
    let old = log_in(stack, OLD).await;
    assert_eq!(old.status, 401, "{old:?}");
}

async fn a_password_changed_before_the_sign_in_write_refuses_the_login(b: Backend) {
    let (stack, trap) = stack(b, Moment::BeforeSignIn).await;
    trap.arm(Change::SetPassword);
    let raced = log_in(&stack, OLD).await;
    assert_eq!(
        raced.status, 401,
        "no session for a password reset since: {raced:?}"
    );
    assert_eq!(raced.body, json!({"error": "invalid_credentials"}));
    assert_eq!(*trap.armed.lock().unwrap(), None, "the change ran");
    assert_the_new_password_logs_in(&stack).await;
}

async fn a_password_changed_before_the_session_ends_it(b: Backend) {
    let (stack, trap) = stack(b, Moment::BeforeSession).await;
    trap.arm(Change::SetPassword);
    let raced = log_in(&stack, OLD).await;
    assert_eq!(raced.status, 200, "{raced:?}");
    let me_now = me(&stack, Some(&raced.token())).await;
    assert_eq!(
        me_now.status, 401,
        "the session did not survive: {me_now:?}"
    );
    assert_eq!(*trap.armed.lock().unwrap(), None, "the change ran");
    assert_the_new_password_logs_in(&stack).await;
}

async fn a_racing_write_that_keeps_the_password_lets_the_login_through(b: Backend) {
    let (stack, trap) = stack(b, Moment::BeforeSignIn).await;
    trap.arm(Change::Touch);
    let raced = log_in(&stack, OLD).await;
    assert_eq!(raced.status, 200, "{raced:?}");
    assert_eq!(me(&stack, Some(&raced.token())).await.status, 200);
    assert_eq!(*trap.armed.lock().unwrap(), None, "the write ran");
}

/// A WordPress link saved while the password changes: whichever write goes first, the login
/// record every name of the user keeps (the new link's login too) has the new password, never
/// the old one; the login refused by a name's record never reads the user, so a record left
/// behind with the old hash would let the old password in by that name (and refuse the new).
async fn a_link_saved_while_the_password_changes_never_keeps_the_old_one(b: Backend) {
    let settings = LoginSettings {
        throttle: authbridge::login::ThrottleLimits {
            per_account: 1000,
            per_address: 1000,
            ..LoginSettings::default().throttle
        },
        ..LoginSettings::default()
    };
    let users = b.stores.users.clone();
    let stack = login::start(b, None, settings).await;
    let hash = hash_password(&SecretString::from("password 0")).unwrap();
    let ada = save_linked(&stack, user(EMAIL, Some(&hash.0)), Some((7, "ada"))).await;
    let admin = UserAdmin {
        users: users.as_ref(),
    };
    for round in 1..=4u64 {
        let (old, new) = (
            format!("password {}", round - 1),
            format!("password {round}"),
        );
        let login_name = format!("ada.{round}");
        let link = WordpressLink {
            login: login_name.clone(),
            ..login::link(&ada, 100 + round)
        };
        let (who, password) = (user_ref(EMAIL), SecretString::from(new.clone()));
        let (changed, saved) = tokio::join!(
            admin.set_password(&who, &password),
            users.save_wordpress_link(&link),
        );
        changed.expect("the password change");
        saved.expect("the link");
        for name in [EMAIL, "ada", login_name.as_str()] {
            let refused = login(&stack, json!({"username": name, "password": old})).await;
            assert_eq!(refused.status, 401, "round {round}, {name}: {refused:?}");
            let answer = login(&stack, json!({"username": name, "password": new})).await;
            assert_eq!(answer.status, 200, "round {round}, {name}: {answer:?}");
        }
    }
}

on_both_backends!(
    a_link_saved_while_the_password_changes_never_keeps_the_old_one,
    a_password_changed_before_the_sign_in_write_refuses_the_login,
    a_password_changed_before_the_session_ends_it,
    a_racing_write_that_keeps_the_password_lets_the_login_through,
);
