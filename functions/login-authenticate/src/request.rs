//! Reading `POST /auth/login`: a JSON object or a form with `username` or `email`, and `password`.
//!
//! The body is read field by field, never through a deserializer whose error could quote a value:
//! a 400 names the field, and a password never appears in an answer.

use authbridge::http::request::{body_bytes, is_form};
use authbridge::login::{Credentials, InvalidField, LoginError, LoginName};
use authbridge::secrets::SecretString;
use lambda_http::Request;
use serde_json::{Map, Value};

/// The three fields a login reads; others are ignored.
#[derive(Default)]
struct Fields {
    username: Option<String>,
    email: Option<String>,
    password: Option<SecretString>,
}

fn invalid(field: &'static str, reason: &'static str) -> LoginError {
    LoginError::InvalidRequest(InvalidField { field, reason })
}

/// The credentials of a login request.
pub fn credentials(req: &Request) -> Result<Credentials, LoginError> {
    let body = body_bytes(req);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("body", "is empty"));
    }
    let fields = if is_form(req) {
        form_fields(body)?
    } else {
        json_fields(body)?
    };
    let name = match (fields.username, fields.email) {
        (Some(_), Some(_)) => return Err(invalid("email", "cannot be given with username")),
        (Some(username), None) => LoginName::from_username(&username)?,
        (None, Some(email)) => LoginName::from_email(&email)?,
        (None, None) => return Err(invalid("username", "or email is required")),
    };
    let password = fields
        .password
        .ok_or_else(|| invalid("password", "is required"))?;
    Ok(Credentials::new(name, password)?)
}

fn json_fields(body: &[u8]) -> Result<Fields, LoginError> {
    let object: Map<String, Value> = serde_json::from_slice(body).map_err(|_| {
        invalid(
            "body",
            "is not a JSON object (or a form with its Content-Type)",
        )
    })?;
    let mut fields = Fields::default();
    for (key, value) in object {
        let field = match key.as_str() {
            "username" => "username",
            "email" => "email",
            "password" => "password",
            _ => continue,
        };
        let Value::String(text) = value else {
            return Err(invalid(field, "must be a string"));
        };
        set(&mut fields, field, text);
    }
    Ok(fields)
}

fn form_fields(body: &[u8]) -> Result<Fields, LoginError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| invalid("body", "is not a valid form"))?;
    let mut fields = Fields::default();
    for (key, value) in pairs {
        for field in ["username", "email", "password"] {
            if key == field {
                set(&mut fields, field, value.clone());
            }
        }
    }
    Ok(fields)
}

fn set(fields: &mut Fields, field: &str, value: String) {
    match field {
        "username" => fields.username = Some(value),
        "email" => fields.email = Some(value),
        _ => fields.password = Some(SecretString::from(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;
    use lambda_http::http::header::CONTENT_TYPE;

    fn request(content_type: &str, body: &str) -> Request {
        let mut req = Request::new(Body::Text(body.to_string()));
        req.headers_mut()
            .insert(CONTENT_TYPE, content_type.parse().unwrap());
        req
    }

    fn field_of(result: Result<Credentials, LoginError>) -> &'static str {
        match result {
            Err(LoginError::InvalidRequest(invalid)) => invalid.field,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn json_and_form_bodies_give_the_same_credentials() {
        let json = credentials(&request(
            "application/json",
            r#"{"email":"ada@example.org","password":"pw","remember":true}"#,
        ))
        .unwrap();
        let form = credentials(&request(
            "application/x-www-form-urlencoded",
            "email=ada%40example.org&password=pw&csrf=x",
        ))
        .unwrap();
        assert_eq!(json.name, form.name);
        assert_eq!(
            json.name,
            LoginName::Email(authbridge::domain::Email::parse("ada@example.org").unwrap())
        );
        let by_username = credentials(&request(
            "application/json",
            r#"{"username":"ada","password":"pw"}"#,
        ))
        .unwrap();
        assert_eq!(by_username.name, LoginName::Username("ada".into()));
    }

    #[test]
    fn a_malformed_request_names_the_field_and_never_the_password() {
        let cases = [
            (r#"{"password":"pw"}"#, "username"),
            (r#"{"username":"ada"}"#, "password"),
            (r#"{"username":"ada","password":""}"#, "password"),
            (r#"{"email":"not-an-address","password":"pw"}"#, "email"),
            (
                r#"{"username":"a","email":"a@example.org","password":"pw"}"#,
                "email",
            ),
            (r#"{"username":"ada","password":123456}"#, "password"),
            (r#"["ada","pw"]"#, "body"),
            ("", "body"),
        ];
        for (body, field) in cases {
            let result = credentials(&request("application/json", body));
            let text = format!("{result:?}");
            assert!(!text.contains("123456"), "{text}");
            assert_eq!(field_of(result), field, "{body}");
        }
    }
}
