//! A posted form (`application/x-www-form-urlencoded`), read field by field. A secret field is
//! taken out as a `SecretString` and never printed; the form has no `Debug`.

use std::fmt::Display;
use std::str::FromStr;

use authbridge::console::ConsoleError;
use authbridge::secrets::SecretString;

/// The name of the hidden field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The fields of a posted form, in order.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The form in `body`; an unreadable body is an empty form (every required field is then
    /// missing, and said so).
    pub fn parse(body: &[u8]) -> Self {
        Form(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    /// The first value of `name`, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of `name` (checkboxes), trimmed, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, or `InvalidField` naming it.
    pub fn require(&self, name: &'static str) -> Result<&str, ConsoleError> {
        self.get(name)
            .ok_or_else(|| ConsoleError::invalid(name, "is required"))
    }

    /// The value of `name` parsed into its type (a tag, an owner, an id, a name), or
    /// `InvalidField` naming the field with the type's reason (which never repeats the value).
    pub fn typed<T>(&self, name: &'static str) -> Result<T, ConsoleError>
    where
        T: FromStr,
        T::Err: Display,
    {
        parse_field(name, self.require(name)?)
    }

    /// The value of `name` parsed into its type when given (see [`Form::typed`]).
    pub fn typed_optional<T>(&self, name: &'static str) -> Result<Option<T>, ConsoleError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(name).map(|raw| parse_field(name, raw)).transpose()
    }

    /// The value of `name` as a secret (untrimmed); `None` when absent or empty.
    pub fn secret(&self, name: &str) -> Option<SecretString> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .filter(|(_, v)| !v.is_empty())
            .map(|(_, v)| SecretString::from(v.clone()))
    }
}

/// `raw` (a form field's or the query string's `field`) parsed into its type, or `InvalidField`
/// naming the field with the type's reason.
pub fn parse_field<T>(field: &'static str, raw: &str) -> Result<T, ConsoleError>
where
    T: FromStr,
    T::Err: Display,
{
    raw.trim()
        .parse()
        .map_err(|e: T::Err| ConsoleError::invalid(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use authbridge::secrets::ExposeSecret;

    #[test]
    fn fields_are_read_trimmed_and_a_secret_untrimmed() {
        let form = Form::parse(b"guid=+abc+&tenant=&secret=+s3+&csrf=t");
        assert_eq!(form.get("guid"), Some("abc"));
        assert_eq!(form.get("tenant"), None);
        assert_eq!(form.secret("secret").unwrap().expose_secret(), " s3 ");
        assert!(form.secret("tenant").is_none());
        assert!(matches!(
            form.require("provider"),
            Err(ConsoleError::InvalidField {
                field: "provider",
                ..
            })
        ));
        assert_eq!(Form::parse(b"\xff=%").get("x"), None);
    }

    #[test]
    fn typed_fields_are_parsed_and_a_bad_one_is_named() {
        use authbridge::domain::{Owner, Tag};
        let form = Form::parse(b"tag=+crm%3A1+&owner=a%07b&empty=");
        let tag: Tag = form.typed("tag").unwrap();
        assert_eq!(tag.as_str(), "crm:1");
        let owner = form.typed_optional::<Owner>("owner");
        assert!(matches!(
            owner,
            Err(ConsoleError::InvalidField { field: "owner", ref reason }) if !reason.contains('\u{7}')
        ));
        assert_eq!(form.typed_optional::<Owner>("empty").unwrap(), None);
        assert!(matches!(
            form.typed::<Tag>("missing"),
            Err(ConsoleError::InvalidField {
                field: "missing",
                ..
            })
        ));
    }
}
