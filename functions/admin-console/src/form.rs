//! A posted form (`application/x-www-form-urlencoded`), read field by field. A secret field is
//! taken out as a `SecretString` and never printed; the form has no `Debug`.

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

    /// The value of `name` as a secret (untrimmed); `None` when absent or empty.
    pub fn secret(&self, name: &str) -> Option<SecretString> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .filter(|(_, v)| !v.is_empty())
            .map(|(_, v)| SecretString::from(v.clone()))
    }
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
}
