//! Scope strings (RFC 6749 §3.3): space-separated tokens of printable ASCII other than `"` and `\`.

/// What the demo grants when the authorization request names no scope (the `demo` provider
/// file's default scopes).
pub(super) const DEFAULT_SCOPE: &str = "profile email";

/// A scope string with a character RFC 6749 §3.3 does not allow in a scope token.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("scope tokens are printable ASCII without '\"' or '\\', separated by spaces")]
pub(super) struct InvalidScope;

/// `raw` checked and normalised: single spaces, each token once, in the order first sent.
pub(super) fn normalize(raw: &str) -> Result<String, InvalidScope> {
    let mut tokens: Vec<&str> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        let allowed = token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if !allowed {
            return Err(InvalidScope);
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(tokens.join(" "))
}

/// Whether every token of `requested` is in `granted` (both normalised).
pub(super) fn is_within(requested: &str, granted: &str) -> bool {
    let granted: Vec<&str> = granted.split(' ').collect();
    requested.split(' ').all(|token| granted.contains(&token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_normalised_and_checked() {
        assert_eq!(
            normalize("  email profile email ").unwrap(),
            "email profile"
        );
        assert_eq!(normalize("a\"b"), Err(InvalidScope));
        assert!(is_within("email", "profile email"));
        assert!(!is_within("email admin", "profile email"));
    }
}
