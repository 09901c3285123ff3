//! Users and WordPress links in the embedded store.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{
    Cached, SqliteStore, check_updated, db, from_json, get_data, insert_new, list_page, to_json,
};
use crate::domain::{Email, LoginRecord, NameLookup, User, UserId, WordpressLink};
use crate::store::{
    Page, PageRequest, Save, StoreError, StoreResult, Unique, Update, UserStore, created,
};

/// Fails with `AlreadyExists` when another user holds the e-mail or the ext_id of `user`.
fn check_unique(tx: &Transaction<'_>, user: &User, context: &'static str) -> StoreResult<()> {
    let email_owner: Option<String> = tx
        .cached_row(
            "SELECT id FROM users WHERE email_key = ?1",
            [user.email.key()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db(context))?;
    if email_owner.is_some_and(|id| id != user.id.as_str()) {
        return Err(StoreError::AlreadyExists(Unique::Email));
    }
    if let Some(ext_id) = &user.ext_id {
        let ext_owner: Option<String> = tx
            .cached_row("SELECT id FROM users WHERE ext_id = ?1", [ext_id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(db(context))?;
        if ext_owner.is_some_and(|id| id != user.id.as_str()) {
            return Err(StoreError::AlreadyExists(Unique::ExtId));
        }
    }
    Ok(())
}

/// Fails with `AlreadyExists(WordpressLogin)` when another WordPress account's link holds the
/// login of `link`.
fn check_login(
    tx: &Transaction<'_>,
    link: &WordpressLink,
    context: &'static str,
) -> StoreResult<()> {
    let Some(key) = WordpressLink::login_key(&link.login) else {
        return Ok(());
    };
    let owner: Option<i64> = tx
        .cached_row(
            "SELECT wordpress_id FROM wordpress_links WHERE login_key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()
        .map_err(db(context))?;
    match owner {
        Some(id) if id != link.wordpress_id as i64 => {
            Err(StoreError::AlreadyExists(Unique::WordpressLogin))
        }
        _ => Ok(()),
    }
}

fn insert_link(
    tx: &Transaction<'_>,
    link: &WordpressLink,
    context: &'static str,
) -> StoreResult<()> {
    check_login(tx, link, context)?;
    insert_new(
        tx,
        "INSERT INTO wordpress_links (wordpress_id, user_id, data, version, login_key)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![
            link.wordpress_id as i64,
            link.user_id.as_str(),
            to_json(link)?,
            link.version as i64,
            WordpressLink::login_key(&link.login),
        ],
        Unique::WordpressLink,
        context,
    )
}

/// The login record of the user a row of `sql` names (by `key`): one statement, the user's data
/// and the login keys of all its WordPress links ([`LOGINS`]) together.
fn login_record(
    conn: &rusqlite::Connection,
    sql: &str,
    key: String,
    context: &'static str,
) -> StoreResult<Option<NameLookup>> {
    let row: Option<(String, String)> = conn
        .cached_row(sql, [key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .map_err(db(context))?;
    let Some((data, logins)) = row else {
        return Ok(None);
    };
    let user: User = from_json(&data)?;
    let logins: Vec<String> = from_json(&logins)?;
    Ok(Some(NameLookup::Record(LoginRecord::of(&user, &logins))))
}

/// The login keys of the links of the user `users.id`, as a JSON array.
const LOGINS: &str = "(SELECT json_group_array(login_key) FROM wordpress_links
     WHERE user_id = users.id AND login_key IS NOT NULL)";

#[async_trait]
impl UserStore for SqliteStore {
    async fn find_login_by_email(&self, email: &Email) -> StoreResult<Option<NameLookup>> {
        const CONTEXT: &str = "finding a login by e-mail";
        let key = email.key();
        self.run(CONTEXT, move |conn| {
            let sql = format!("SELECT users.data, {LOGINS} FROM users WHERE email_key = ?1");
            login_record(conn, &sql, key, CONTEXT)
        })
        .await
    }

    async fn find_login_by_wordpress_login(&self, login: &str) -> StoreResult<Option<NameLookup>> {
        const CONTEXT: &str = "finding a login by WordPress login";
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.run(CONTEXT, move |conn| {
            let sql = format!(
                "SELECT users.data, {LOGINS} FROM wordpress_links AS link
                 JOIN users ON users.id = link.user_id WHERE link.login_key = ?1"
            );
            login_record(conn, &sql, key, CONTEXT)
        })
        .await
    }

    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()> {
        let (user, link) = (user.clone(), link.cloned());
        let data = to_json(&user)?;
        self.write("creating a user", move |tx| {
            check_unique(tx, &user, "creating a user")?;
            insert_new(
                tx,
                "INSERT INTO users (id, email_key, ext_id, data, version)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO NOTHING",
                params![
                    user.id.as_str(),
                    user.email.key(),
                    user.ext_id,
                    data,
                    user.version as i64
                ],
                Unique::User,
                "creating a user",
            )?;
            if let Some(link) = link {
                insert_link(tx, &created(&link), "creating a user")?;
            }
            Ok(())
        })
        .await
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        let id = id.to_string();
        self.run("reading a user", move |conn| {
            get_data(
                conn,
                "SELECT data FROM users WHERE id = ?1",
                id,
                "reading a user",
            )
        })
        .await
    }

    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        let key = email.key();
        self.run("finding a user by e-mail", move |conn| {
            get_data(
                conn,
                "SELECT data FROM users WHERE email_key = ?1",
                key,
                "finding a user by e-mail",
            )
        })
        .await
    }

    async fn find_user_by_ext_id(&self, ext_id: &str) -> StoreResult<Option<User>> {
        let ext_id = ext_id.to_string();
        self.run("finding a user by ext_id", move |conn| {
            get_data(
                conn,
                "SELECT data FROM users WHERE ext_id = ?1",
                ext_id,
                "finding a user by ext_id",
            )
        })
        .await
    }

    async fn find_user_by_wordpress_login(&self, login: &str) -> StoreResult<Option<User>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.run("finding a user by WordPress login", move |conn| {
            get_data(
                conn,
                "SELECT users.data FROM wordpress_links
                 JOIN users ON users.id = wordpress_links.user_id
                 WHERE wordpress_links.login_key = ?1",
                key,
                "finding a user by WordPress login",
            )
        })
        .await
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        let update = Update::of(user);
        let data = to_json(&update.next)?;
        let (next, expected) = (update.next_sql(), update.expected_sql());
        let check = update.next.clone();
        self.write("updating a user", move |tx| {
            let current: Option<i64> = tx
                .cached_row(
                    "SELECT version FROM users WHERE id = ?1",
                    [check.id.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db("updating a user"))?;
            match current {
                None => return Err(StoreError::NotFound),
                Some(v) if v != expected => return Err(StoreError::StaleVersion),
                Some(_) => {}
            }
            check_unique(tx, &check, "updating a user")?;
            let changed = tx
                .cached_execute(
                    "UPDATE users SET email_key = ?2, ext_id = ?3, data = ?4, version = ?5
                     WHERE id = ?1 AND version = ?6",
                    params![
                        check.id.as_str(),
                        check.email.key(),
                        check.ext_id,
                        data,
                        next,
                        expected
                    ],
                )
                .map_err(db("updating a user"))?;
            check_updated(
                tx,
                changed,
                "SELECT 1 FROM users WHERE id = ?1",
                check.id.as_str(),
                "updating a user",
            )
        })
        .await?;
        Ok(update.next)
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let id = id.to_string();
        self.write("deleting a user", move |tx| {
            tx.cached_execute("DELETE FROM wordpress_links WHERE user_id = ?1", [&id])
                .map_err(db("deleting a user"))?;
            tx.cached_execute("DELETE FROM users WHERE id = ?1", [&id])
                .map(|n| n == 1)
                .map_err(db("deleting a user"))
        })
        .await
    }

    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        let page = page.clone();
        self.run("listing users", move |conn| {
            list_page(
                conn,
                "SELECT id, data FROM users WHERE id > ?1 ORDER BY id LIMIT ?2",
                &page,
                "listing users",
            )
        })
        .await
    }

    async fn get_wordpress_link(&self, wordpress_id: u64) -> StoreResult<Option<WordpressLink>> {
        self.run("reading a WordPress link", move |conn| {
            get_data(
                conn,
                "SELECT data FROM wordpress_links WHERE wordpress_id = ?1",
                wordpress_id as i64,
                "reading a WordPress link",
            )
        })
        .await
    }

    async fn save_wordpress_link(&self, link: &WordpressLink) -> StoreResult<WordpressLink> {
        let update = match Save::of(link) {
            Save::Create(next) => {
                let created = next.clone();
                self.write("creating a WordPress link", move |tx| {
                    insert_link(tx, &created, "creating a WordPress link")
                })
                .await?;
                return Ok(next);
            }
            Save::Update(update) => update,
        };
        let data = to_json(&update.next)?;
        let (wp, user_id) = (link.wordpress_id as i64, link.user_id.to_string());
        let (next, expected) = (update.next_sql(), update.expected_sql());
        let login_key = WordpressLink::login_key(&link.login);
        let check = update.next.clone();
        self.write("updating a WordPress link", move |tx| {
            check_login(tx, &check, "updating a WordPress link")?;
            let changed = tx
                .cached_execute(
                    "UPDATE wordpress_links SET user_id = ?2, data = ?3, version = ?4, login_key = ?6
                     WHERE wordpress_id = ?1 AND version = ?5",
                    params![wp, user_id, data, next, expected, login_key],
                )
                .map_err(db("updating a WordPress link"))?;
            check_updated(
                tx,
                changed,
                "SELECT 1 FROM wordpress_links WHERE wordpress_id = ?1",
                wp,
                "updating a WordPress link",
            )
        })
        .await?;
        Ok(update.next)
    }
}
