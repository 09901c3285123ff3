//! What a stored name may hold: no control characters (NUL, ESC, line breaks, ...) and no
//! bidirectional-text controls (such as the right-to-left override), which make a name display as
//! something else in a log line, an admin table or an e-mail.

/// Whether `c` is a control character or a bidirectional-text control.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `text` holds a character that [`is_unsafe_char`].
pub fn has_unsafe_chars(text: &str) -> bool {
    text.chars().any(is_unsafe_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_unsafe_but_letters_are_not() {
        for bad in [
            "a\u{0}b",
            "a\u{1b}[31m",
            "line\nbreak",
            "tab\t",
            "evil\u{202E}gpj.exe",
            "\u{2066}x",
        ] {
            assert!(has_unsafe_chars(bad), "{bad:?}");
        }
        for good in [
            "Ada Lovelace",
            "Zoë Ñúñez",
            "李小龍",
            "O'Brien-Smith",
            "مريم",
        ] {
            assert!(!has_unsafe_chars(good), "{good:?}");
        }
    }
}
