//! The spelling under which the WordPress site finds an account by its `user_login`, so that the
//! variants WordPress takes for one account (`àlice`, `al%41ice`, `ａｌｉｃｅ`, `ALICE`,
//! `<b>alice</b>`) are one name here too: the key under which a WordPress link keeps its login
//! ([`WordpressLink::login_key`](super::WordpressLink::login_key)), so that every variant finds the
//! linked user, and the throttle's key of a name that stands for no local user, so that the
//! variants share one counter rather than each bringing its own limit.
//!
//! WordPress itself only ever stores logins that `sanitize_user` left in strict mode (letters,
//! digits, space, `_`, `.`, `-`, `@`: `wp_insert_user`), whose spelling here is their lower-case
//! form: the key of every link stored before this spelling was used.
//!
//! WordPress looks a `user_login` up (`get_user_by('login', …)`) as `sanitize_user` leaves it,
//! and MySQL compares what is left under the table's collation (`utf8mb4_unicode_520_ci`, or
//! `utf8mb4_unicode_ci`), which ignores case, accents and width. So, in WordPress 6.1's order:
//!
//! 1. `wp_strip_all_tags`: `<script>`/`<style>` elements with their content, then every tag and
//!    comment (PHP's `strip_tags`; a `<` before a space is kept), then trimmed;
//! 2. `remove_accents`: here every accent (canonical and compatibility decomposition, NFKD, then
//!    the combining marks dropped: a superset of WordPress's table, whose other letters the
//!    collation folds anyway), and the letters WordPress maps that have no decomposition
//!    (`æ` → `ae`, `ø` → `o`, `ß` → `s`, `ł` → `l`, `€` → `E`, `£` dropped, ...);
//! 3. percent-encoded octets removed (`%41` goes, it is not decoded: `al%41ice` is `alice`);
//! 4. HTML entities removed (`&amp;` goes: `al&amp;ice` is `alice`, but `&#97;lice` is `lice`);
//! 5. trimmed, runs of white space made one space;
//! 6. the collation's folding: lower case (Greek final sigma as sigma), and the zero-width
//!    characters it ignores dropped. Width and compatibility forms (fullwidth, circled, modifier
//!    letters) were folded by step 2's NFKD.
//!
//! The test command's real WordPress confirms the spellings the tests use
//! (`tests/tests/suite/wordpress_e2e.rs`). Where this differs from WordPress (PHP's `strip_tags`
//! has more states than here; NFKD runs before steps 3 and 4, where WordPress's table leaves
//! fullwidth `％４１` alone) it merges a few more spellings than WordPress does, which only makes
//! their shared limit stricter.

use icu_normalizer::DecomposingNormalizerBorrowed;

/// The spelling of `name` under which WordPress finds its account (see the module's steps).
pub fn wordpress_spelling(name: &str) -> String {
    let stripped = strip_tags(&strip_script_and_style(name));
    let unaccented = remove_accents(stripped.trim_matches(is_php_trim));
    let sanitized = collapse_white_space(&kill_entities(&kill_octets(&unaccented)));
    collation_fold(&sanitized)
}

/// `preg_replace('@<(script|style)[^>]*?>.*?</\1>@si', '', …)`.
fn strip_script_and_style(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(offset) = lower[at..].find('<') {
        let start = at + offset;
        let element = ["script", "style"]
            .into_iter()
            .find(|name| lower[start + 1..].starts_with(name));
        let end = element.and_then(|name| {
            let open_end = start + 1 + lower[start + 1..].find('>')?;
            let close = format!("</{name}>");
            let close_at = open_end + 1 + lower[open_end + 1..].find(&close)?;
            Some(close_at + close.len())
        });
        match end {
            Some(end) => {
                out.push_str(&text[at..start]);
                at = end;
            }
            None => {
                out.push_str(&text[at..=start]);
                at = start + 1;
            }
        }
    }
    out.push_str(&text[at..]);
    out
}

/// Where PHP's `strip_tags` is.
#[derive(Clone, Copy, PartialEq)]
enum Tags {
    Text,
    /// Inside a tag: nested `<` depth, and the quote it is in.
    Tag {
        depth: u32,
        quote: Option<char>,
    },
    /// Inside `<!-- … -->`.
    Comment,
}

/// PHP's `strip_tags` without allowed tags: a `<` not followed by white space opens a tag, which
/// runs to its `>` (outside quotes, nested `<` counted), a comment to its `-->`; an unclosed tag
/// runs to the end.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut state = Tags::Text;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        state = match (state, c) {
            (Tags::Text, '<') if next.is_some_and(is_php_space) => {
                out.push(c);
                Tags::Text
            }
            (Tags::Text, '<') => Tags::Tag {
                depth: 0,
                quote: None,
            },
            (Tags::Text, c) => {
                out.push(c);
                Tags::Text
            }
            (
                Tags::Tag {
                    depth: 0,
                    quote: None,
                },
                '-',
            ) if i >= 3 && chars[i - 3..i] == ['<', '!', '-'] => Tags::Comment,
            (Tags::Tag { depth, quote: None }, '<') => Tags::Tag {
                depth: depth + 1,
                quote: None,
            },
            (
                Tags::Tag {
                    depth: 0,
                    quote: None,
                },
                '>',
            ) => Tags::Text,
            (Tags::Tag { depth, quote: None }, '>') => Tags::Tag {
                depth: depth - 1,
                quote: None,
            },
            (Tags::Tag { depth, quote: None }, q @ ('"' | '\'')) => Tags::Tag {
                depth,
                quote: Some(q),
            },
            (
                Tags::Tag {
                    depth,
                    quote: Some(q),
                },
                c,
            ) if c == q => Tags::Tag { depth, quote: None },
            (Tags::Comment, '>') if i >= 2 && chars[i - 2..i] == ['-', '-'] => Tags::Text,
            (state, _) => state,
        };
    }
    out
}

/// The characters PHP's `trim` removes.
fn is_php_trim(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{0B}')
}

/// The characters PCRE's `\s` and C's `isspace` match (ASCII).
fn is_php_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}')
}

/// The letters WordPress's `remove_accents` maps (default locale) that have no decomposition.
fn wordpress_letter(c: char) -> Option<&'static str> {
    Some(match c {
        '£' => "",
        'Æ' => "AE",
        'æ' => "ae",
        'Ð' | 'Đ' => "D",
        'ð' | 'đ' => "d",
        'Ø' => "O",
        'ø' => "o",
        'Þ' => "TH",
        'þ' => "th",
        'ß' | 'ſ' => "s",
        'Ħ' => "H",
        'ħ' => "h",
        'ı' => "i",
        'ĸ' => "k",
        'Ŀ' | 'Ł' => "L",
        'ŀ' | 'ł' => "l",
        'ŉ' | 'ŋ' => "n",
        'Ŋ' => "N",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŧ' => "T",
        'ŧ' => "t",
        'ɑ' => "a",
        '€' => "E",
        _ => return None,
    })
}

/// Combining marks (general category Mn) of the Latin, Greek and Cyrillic scripts and of symbols:
/// what decomposing an accented letter leaves after its base.
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}')
}

/// Step 2: WordPress's own letters, then NFKD without the combining marks.
fn remove_accents(text: &str) -> String {
    let mut mapped = String::with_capacity(text.len());
    for c in text.chars() {
        match wordpress_letter(c) {
            Some(letters) => mapped.push_str(letters),
            None => mapped.push(c),
        }
    }
    DecomposingNormalizerBorrowed::new_nfkd()
        .normalize_iter(mapped.chars())
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// Step 3: `preg_replace('|%([a-fA-F0-9][a-fA-F0-9])|', '', …)`.
fn kill_octets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push_str(&text[copied..at]);
            at += 3;
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Step 4: `preg_replace('/&.+?;/', '', …)`: an `&`, at least one character other than a line
/// break, up to the first `;`.
fn kill_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let entity_end = after
            .char_indices()
            .skip(1)
            .take_while(|(_, c)| *c != '\n')
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        match entity_end {
            Some(end) if !after.starts_with('\n') => rest = &after[end + 1..],
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Step 5: trimmed, and `preg_replace('|\s+|', ' ', …)`.
fn collapse_white_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.trim_matches(is_php_trim).split(is_php_space) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Step 6: lower case, final sigma as sigma, the zero-width characters dropped.
fn collation_fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of these was looked up with `get_user_by('login', …)` on the test command's
    /// WordPress 6.1 (MariaDB, `utf8mb4_unicode_520_ci`), which found the account `alice`.
    const FOUND_AS_ALICE: [&str; 24] = [
        "alice",
        "ALICE",
        "Alice",
        "àlice",
        "ÀLÍCÉ",
        "ålîçë",
        "ǎlice",
        "ạlice",
        "alİce",
        "alıce",
        "al%41ice",
        "al%20ice",
        "ａｌｉｃｅ",
        "Ａlice",
        "ⓐlice",
        "ᴬlice",
        "<b>alice</b>",
        "al<i>ic</i>e",
        "<script>x</script>alice",
        "al&amp;ice",
        "alice&nbsp;",
        "ali&eacute;ce",
        "  alice  ",
        "alice\u{200B}",
    ];

    #[test]
    fn spellings_wordpress_finds_as_one_account_have_one_spelling() {
        for name in FOUND_AS_ALICE {
            assert_eq!(wordpress_spelling(name), "alice", "{name:?}");
        }
    }

    /// And these it did not find: they are other names.
    #[test]
    fn spellings_wordpress_tells_apart_stay_apart() {
        for (name, spelling) in [
            ("&#97;lice", "lice"),
            ("ælice", "aelice"),
            ("a l i c e", "a l i c e"),
            ("alice%", "alice%"),
            ("al%c3%adce", "alce"),
        ] {
            assert_eq!(wordpress_spelling(name), spelling, "{name:?}");
            assert_ne!(wordpress_spelling(name), "alice", "{name:?}");
        }
    }

    #[test]
    fn tags_are_stripped_as_php_strips_them() {
        assert_eq!(strip_tags("a < b"), "a < b", "a < before a space is no tag");
        assert_eq!(
            strip_tags("a<b c='>'>d"),
            "ad",
            "a quoted > does not end the tag"
        );
        assert_eq!(strip_tags("a<!-- <b> -->b"), "ab");
        assert_eq!(strip_tags("a<unclosed"), "a");
        assert_eq!(strip_script_and_style("a<STYLE x>b</style>c"), "ac");
        assert_eq!(strip_script_and_style("a<script>b"), "a<script>b");
    }

    #[test]
    fn octets_and_entities_are_removed_not_decoded() {
        assert_eq!(kill_octets("%41%4g%%41"), "%4g%");
        assert_eq!(kill_entities("a&b;c&;d&\n;e"), "ac&;d&\n;e");
        assert_eq!(kill_entities("ü&x;"), "ü");
        assert_eq!(collapse_white_space(" a \t b  "), "a b");
    }

    #[test]
    fn wordpress_letters_without_a_decomposition_are_mapped() {
        assert_eq!(wordpress_spelling("Øystein"), "oystein");
        assert_eq!(wordpress_spelling("Łukasz"), "lukasz");
        assert_eq!(wordpress_spelling("Straße"), "strase");
        assert_eq!(wordpress_spelling("ΣΊΣΥΦΟΣ"), wordpress_spelling("σισυφοσ"));
    }
}
