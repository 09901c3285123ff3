//! Reading the credential check's answers, exactly as the plugin gives them:
//!
//! | answer | means |
//! |--------|-------|
//! | 200 `{"data":{"ID":"123",...},"ID":123,"roles":[...]}` | valid; `data.ID` is a string |
//! | 401 `{"message":"Unable to authenticate user"}` | wrong password |
//! | 404, empty body | no such user |
//! | 401 `{"message":"Invalid authorization token provided"}` | authbridge's token is refused |
//! | 400 `{"message":...}` | the request was malformed (no or bad `Authorization`) |
//!
//! Anything else (a 5xx, a redirect, a 404 page, HTML where JSON belongs) is trouble: the answer
//! is unknown, and must never be taken for a wrong password.

use serde::Deserialize;

use super::WordpressError;
use super::user::{RawUser, present, wordpress_id};
use crate::domain::{Email, WordpressAccount};

/// What WordPress said about the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Valid(WordpressAccount),
    /// 404 with an empty body.
    UnknownUser,
    /// 401 "Unable to authenticate user".
    WrongPassword,
}

const WRONG_PASSWORD: &str = "Unable to authenticate user";
const TOKEN_REFUSED: &str = "Invalid authorization token provided";

#[derive(Deserialize)]
struct Message {
    message: String,
}

#[derive(Deserialize)]
struct Success {
    data: RawUser,
    #[serde(rename = "ID", default)]
    id: Option<serde_json::Value>,
}

fn message(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Message>(body)
        .ok()
        .map(|m| m.message)
}

/// Interprets one answer of the credential check.
pub fn interpret(status: u16, body: &[u8]) -> Result<Check, WordpressError> {
    match status {
        200 => valid(body).map(Check::Valid),
        401 => match message(body).as_deref() {
            Some(WRONG_PASSWORD) => Ok(Check::WrongPassword),
            Some(TOKEN_REFUSED) => Err(WordpressError::TokenRefused),
            _ => Err(WordpressError::BadAnswer(
                "HTTP 401 without one of the plugin's messages".into(),
            )),
        },
        404 if body.iter().all(u8::is_ascii_whitespace) => Ok(Check::UnknownUser),
        404 => Err(WordpressError::BadAnswer(
            "HTTP 404 with a page: is the authentication plugin installed at AUTHBRIDGE_WP_URL?"
                .into(),
        )),
        400 => Err(WordpressError::RequestRefused(
            message(body).unwrap_or_else(|| "no message".into()),
        )),
        other => Err(WordpressError::Status(other)),
    }
}

fn valid(body: &[u8]) -> Result<WordpressAccount, WordpressError> {
    let bad = |why: &str| WordpressError::BadAnswer(format!("HTTP 200 but {why}"));
    let answer: Success =
        serde_json::from_slice(body).map_err(|_| bad("not the plugin's JSON user"))?;
    let data = answer.data;
    let id = data
        .id
        .as_ref()
        .and_then(wordpress_id)
        .ok_or_else(|| bad("data.ID is not a WordPress ID"))?;
    if let Some(top) = answer.id.as_ref()
        && wordpress_id(top) != Some(id)
    {
        return Err(bad("ID and data.ID disagree"));
    }
    let email = present(data.user_email)
        .and_then(|e| Email::parse(&e).ok())
        .ok_or_else(|| bad("data.user_email is missing or not an e-mail address"))?;
    let login = present(data.user_login).ok_or_else(|| bad("data.user_login is missing"))?;
    Ok(WordpressAccount {
        id,
        login,
        email,
        nicename: present(data.user_nicename),
        url: present(data.user_url),
        registered: present(data.user_registered),
        display_name: present(data.display_name),
        first_name: present(data.first_name),
        last_name: present(data.last_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference module's own fixture.
    const SUCCESS: &str = r#"{
        "data": {
            "ID": "123", "user_login": "admin.admin", "user_nicename": "admin-admin",
            "user_email": "admin@example.com", "user_url": "", "user_registered": "2017-01-01 01:12:23",
            "user_status": "0", "display_name": "Example Admin", "first_name": "Example",
            "last_name": "Admin"
        },
        "ID": 123,
        "roles": ["administrator"]
    }"#;

    #[test]
    fn a_valid_login_gives_the_wordpress_user() {
        let Check::Valid(user) = interpret(200, SUCCESS.as_bytes()).unwrap() else {
            panic!("not valid");
        };
        assert_eq!(user.id, 123);
        assert_eq!(user.login, "admin.admin");
        assert_eq!(user.email, "admin@example.com");
        assert_eq!(user.url, None, "an empty string is no URL");
        assert_eq!(user.first_name.as_deref(), Some("Example"));
        assert_eq!(user.registered_at(0), "2017-01-01T01:12:23Z");
    }

    #[test]
    fn the_two_refusals_of_the_credentials() {
        assert_eq!(
            interpret(401, br#"{"message":"Unable to authenticate user"}"#).unwrap(),
            Check::WrongPassword
        );
        assert_eq!(interpret(404, b"").unwrap(), Check::UnknownUser);
    }

    #[test]
    fn trouble_is_never_a_wrong_password() {
        let cases: [(u16, &[u8]); 9] = [
            (
                401,
                br#"{"message":"Invalid authorization token provided"}"#,
            ),
            (401, b"<html>Unauthorized</html>"),
            (400, br#"{"message":"Authorization header not found"}"#),
            (404, b"<html>Page not found</html>"),
            (
                500,
                b"<html>Error establishing a database connection</html>",
            ),
            (503, b""),
            (302, b""),
            (200, b"<html>maintenance</html>"),
            (
                200,
                br#"{"data":{"ID":"abc","user_login":"a","user_email":"a@b.c"}}"#,
            ),
        ];
        for (status, body) in cases {
            assert!(
                interpret(status, body).is_err(),
                "{status} {}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            interpret(
                401,
                br#"{"message":"Invalid authorization token provided"}"#
            ),
            Err(WordpressError::TokenRefused)
        ));
    }

    #[test]
    fn ids_that_disagree_are_refused() {
        let body = SUCCESS.replace("\"ID\": 123,", "\"ID\": 124,");
        assert!(matches!(
            interpret(200, body.as_bytes()),
            Err(WordpressError::BadAnswer(_))
        ));
    }
}
