//! Importing users exported from WordPress, with their password hashes: JSON lines, one object per
//! user with `ID`, `user_login`, `user_email`, `user_pass` and optionally `user_registered`,
//! `display_name`, `user_nicename`, `user_url`, `first_name`, `last_name`.
//!
//! Each user is created with its WordPress hash (phpass, `$wp$` bcrypt, bcrypt or MD5; replaced by
//! Argon2id at its first login) and its WordPress link, and `ext_id` under `extIdReferencing`.
//! Those passwords came from WordPress, which keeps its say over them during the transition; an
//! Argon2 hash (a format WordPress does not write) is authbridge's, and only it opens the account.
//! A hash whose cost is beyond authbridge's bounds (Argon2 memory above 256 MiB, bcrypt cost above
//! 14, phpass above 2^16 rounds: [`crate::passwords::cost`]) is refused, its line reported.
//! Importing again is harmless: a WordPress ID that is already linked is left alone. A local user
//! who already has the e-mail address is a conflict, as in sync-user. Problems are reported by
//! line, and never quote a hash.

use std::io::BufRead;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock;
use crate::domain::counter::Counter;
use crate::domain::user::PasswordHash;
use crate::domain::{Email, PasswordOrigin, WordpressAccount};
use crate::login::settings::MigrationOptions;
use crate::migration_status::Meter;
use crate::passwords::{Cost, PasswordError};
use crate::store::{StoreError, UserStore};

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    /// 1-based line number in the file.
    pub line: usize,
    /// The WordPress ID, when the line had a readable one.
    pub wordpress_id: Option<u64>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Users created.
    pub created: usize,
    /// Lines whose WordPress ID was already linked to a local user: left as they are.
    pub already_imported: usize,
    /// Lines refused because a local user already holds the e-mail address or `ext_id`.
    pub conflicts: Vec<LineProblem>,
    /// Lines that are not a usable WordPress user.
    pub invalid: Vec<LineProblem>,
}

impl ImportSummary {
    /// Lines not imported.
    pub fn not_imported(&self) -> usize {
        self.conflicts.len() + self.invalid.len()
    }
}

/// Why an import stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading line {line}: {source}")]
    Read {
        line: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}: {source}")]
    Store {
        line: usize,
        #[source]
        source: StoreError,
    },
}

/// One exported user, checked.
struct Exported {
    account: WordpressAccount,
    hash: Option<(PasswordHash, PasswordOrigin)>,
}

/// Imports every line of `input` into `users`.
pub async fn import(
    users: &dyn UserStore,
    options: MigrationOptions,
    input: impl BufRead,
) -> Result<ImportSummary, ImportError> {
    import_counted(users, &Meter::default(), options, input).await
}

/// [`import`], counting each user created on `meter` (the migration panel's `imported`).
pub async fn import_counted(
    users: &dyn UserStore,
    meter: &Meter,
    options: MigrationOptions,
    input: impl BufRead,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|source| ImportError::Read {
            line: number,
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let exported = match parse(&line) {
            Ok(exported) => exported,
            Err((wordpress_id, reason)) => {
                summary.invalid.push(LineProblem {
                    line: number,
                    wordpress_id,
                    reason,
                });
                continue;
            }
        };
        let id = exported.account.id;
        match import_one(users, options, exported).await {
            Ok(Imported::Created) => {
                summary.created += 1;
                meter.count(Counter::Imported, 1).await;
            }
            Ok(Imported::AlreadyLinked) => summary.already_imported += 1,
            Ok(Imported::Conflict(reason)) => summary.conflicts.push(LineProblem {
                line: number,
                wordpress_id: Some(id),
                reason: reason.into(),
            }),
            Err(source) => {
                return Err(ImportError::Store {
                    line: number,
                    source,
                });
            }
        }
    }
    Ok(summary)
}

enum Imported {
    Created,
    AlreadyLinked,
    Conflict(&'static str),
}

async fn import_one(
    users: &dyn UserStore,
    options: MigrationOptions,
    exported: Exported,
) -> Result<Imported, StoreError> {
    let account = &exported.account;
    if users.get_wordpress_link(account.id).await?.is_some() {
        return Ok(Imported::AlreadyLinked);
    }
    if users.find_user_by_email(&account.email).await?.is_some() {
        return Ok(Imported::Conflict(
            "a local user already has this e-mail address",
        ));
    }
    let ext_id = options.ext_id_referencing.then(|| account.id.to_string());
    if let Some(ext_id) = &ext_id
        && users.find_user_by_ext_id(ext_id).await?.is_some()
    {
        return Ok(Imported::Conflict("a local user already has this ext_id"));
    }
    let now = clock::now();
    let (hash, origin) = exported.hash.unzip();
    let mut user = account.new_user(hash, options.ext_id_referencing, now);
    user.password_origin = origin;
    user.created = account.registered_epoch().unwrap_or(now);
    match users
        .create_user(&user, Some(&account.link(&user.id, now)))
        .await
    {
        Ok(()) => Ok(Imported::Created),
        Err(StoreError::AlreadyExists(_)) => Ok(Imported::Conflict(
            "another user holds the e-mail address, ext_id, link or WordPress login",
        )),
        Err(e) => Err(e),
    }
}

type Invalid = (Option<u64>, String);

/// Reads one line; an error names the field, never its value.
fn parse(line: &str) -> Result<Exported, Invalid> {
    let object: Map<String, Value> =
        serde_json::from_str(line).map_err(|_| (None, "not a JSON object".to_string()))?;
    let text = |name: &str| match object.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = object
        .get("ID")
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|id| *id > 0)
        .ok_or((None, "ID is missing or not a positive number".to_string()))?;
    let invalid = |reason: &str| (Some(id), reason.to_string());
    let email = text("user_email")
        .and_then(|e| Email::parse(&e).ok())
        .ok_or_else(|| invalid("user_email is missing or not an e-mail address"))?;
    let login = text("user_login").ok_or_else(|| invalid("user_login is missing"))?;
    let hash = match object.get("user_pass") {
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            let hash = PasswordHash(s.clone());
            let origin = match Cost::of(&hash) {
                Ok(Cost::Argon2 { .. }) => PasswordOrigin::Authbridge,
                Ok(_) => PasswordOrigin::Wordpress,
                Err(PasswordError::CostBeyondBounds(beyond)) => {
                    return Err(invalid(&format!(
                        "user_pass asks for {beyond}, beyond what authbridge runs"
                    )));
                }
                Err(PasswordError::UnknownFormat) => {
                    return Err(invalid("user_pass is in no recognised hash format"));
                }
                Err(_) => return Err(invalid("user_pass is a malformed hash")),
            };
            Some((hash, origin))
        }
        _ => return Err(invalid("user_pass is missing")),
    };
    Ok(Exported {
        account: WordpressAccount {
            id,
            login,
            email,
            nicename: text("user_nicename"),
            url: text("user_url"),
            registered: text("user_registered"),
            display_name: text("display_name"),
            first_name: text("first_name"),
            last_name: text("last_name"),
        },
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wordpress_export_line_is_read() {
        let line = r#"{"ID":"145","user_login":"admin","user_email":"admin@example.fu","user_pass":"$P$Bp0yk9i4TDmplt.CIArirkQ0fbLq6E0","user_registered":"2020-03-13 14:02:44","display_name":"Example Admin","first_name":"Example","last_name":""}"#;
        let exported = parse(line).unwrap();
        assert_eq!(exported.account.id, 145);
        assert_eq!(exported.account.email, "admin@example.fu");
        assert_eq!(exported.account.first_name.as_deref(), Some("Example"));
        assert_eq!(exported.account.last_name, None);
        assert_eq!(exported.account.registered_epoch(), Some(1_584_108_164));
        assert_eq!(
            exported.hash.map(|(_, origin)| origin),
            Some(PasswordOrigin::Wordpress)
        );
    }

    #[test]
    fn an_argon2_hash_is_authbridges_and_a_crazy_cost_is_refused_by_name() {
        let line = |hash: &str| {
            format!(
                r#"{{"ID":7,"user_login":"a","user_email":"a@example.org","user_pass":"{hash}"}}"#
            )
        };
        let argon2 = "$argon2id$v=19$m=19456,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag";
        let (_, origin) = parse(&line(argon2)).unwrap().hash.unwrap();
        assert_eq!(origin, PasswordOrigin::Authbridge);
        for (hash, why) in [
            (
                "$argon2id$v=19$m=4194304,t=2,p=1$Z0lsd09TM09EcFh4cXdaaA$eA15tdSm2jx8empWo0rKiu/uWt2xclIXrAoxGNz0Yag",
                "Argon2 memory above 256 MiB",
            ),
            (
                "$2y$31$MkIssov0xAeXMvDkGQcJ9uartf41rKUuE.FvoWuji2eqnxtoOZ1Aq",
                "bcrypt cost above 14",
            ),
            ("$P$Fp0yk9i4TDmplt.CIArirkQ0fbLq6E0", "phpass cost above 16"),
            ("$2y$1x$abc", "malformed"),
        ] {
            let Err((id, reason)) = parse(&line(hash)) else {
                panic!("accepted: {hash}");
            };
            assert_eq!(id, Some(7));
            assert!(reason.contains(why), "{hash}: {reason}");
            assert!(!reason.contains(hash));
        }
    }

    #[test]
    fn bad_lines_name_the_field_and_never_the_hash() {
        let secret_hash = "$1$not$a-wordpress-format";
        let cases = [
            ("[1,2]".to_string(), "JSON object"),
            (r#"{"ID":0}"#.to_string(), "ID"),
            (
                r#"{"ID":7,"user_login":"a","user_email":"nope","user_pass":""}"#.to_string(),
                "user_email",
            ),
            (
                r#"{"ID":7,"user_email":"a@example.org","user_pass":""}"#.to_string(),
                "user_login",
            ),
            (
                format!(
                    r#"{{"ID":7,"user_login":"a","user_email":"a@example.org","user_pass":"{secret_hash}"}}"#
                ),
                "user_pass",
            ),
            (
                r#"{"ID":7,"user_login":"a","user_email":"a@example.org"}"#.to_string(),
                "user_pass",
            ),
        ];
        for (line, field) in cases {
            let Err((_, reason)) = parse(&line) else {
                panic!("accepted: {line}");
            };
            assert!(reason.contains(field), "{line}: {reason}");
            assert!(!reason.contains(secret_hash));
        }
    }

    #[test]
    fn an_empty_user_pass_imports_without_a_usable_password() {
        let line = r#"{"ID":9,"user_login":"a","user_email":"a@example.org","user_pass":""}"#;
        assert!(parse(line).unwrap().hash.is_none());
    }
}
