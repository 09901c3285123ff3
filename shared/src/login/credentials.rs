//! What a person types to log in, parsed at the boundary: a [`LoginName`] and a password that is
//! never printed.

use secrecy::{ExposeSecret, SecretString};

use super::lookup::LocalUser;
use super::name::{InvalidField, LoginName, invalid};
use crate::passwords::Cost;

/// Longest password accepted, in bytes (WordPress refuses longer ones too).
pub const MAX_PASSWORD_LEN: usize = 4096;

/// A name and a password, both checked.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub name: LoginName,
    pub password: SecretString,
    /// The local user `name` stands for, once a step of this login has looked it up.
    pub(crate) local_user: LocalUser,
    /// The cost of the stored hash this login checked, once the local check ran one: what a
    /// refusal of it has spent already (see [`crate::passwords::refusal`]).
    pub(crate) checked: std::sync::OnceLock<Cost>,
}

impl Credentials {
    /// Pairs a name with a password, which must be 1 to 4096 bytes.
    pub fn new(name: LoginName, password: SecretString) -> Result<Self, InvalidField> {
        match password.expose_secret().len() {
            0 => Err(invalid("password", "is required")),
            n if n > MAX_PASSWORD_LEN => Err(invalid("password", "is longer than 4096 bytes")),
            _ => Ok(Credentials {
                name,
                password,
                local_user: LocalUser::default(),
                checked: std::sync::OnceLock::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_must_be_present_and_bounded_and_never_print() {
        let name = LoginName::from_username("ada").unwrap();
        let err = Credentials::new(name.clone(), SecretString::from("")).unwrap_err();
        assert_eq!(err.field, "password");
        let long = "p".repeat(4097);
        let err = Credentials::new(name.clone(), SecretString::from(long.clone())).unwrap_err();
        assert!(!err.to_string().contains(&long));
        let ok = Credentials::new(name, SecretString::from("hunter2-secret")).unwrap();
        assert!(!format!("{ok:?}").contains("hunter2-secret"));
    }
}
