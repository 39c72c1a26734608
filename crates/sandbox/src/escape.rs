//! The one place that makes client-supplied text safe to print on a
//! terminal: whatever the sandbox writes to its console that a client chose
//! (a fault rule's route, a refused argument) goes through [`printable`], so
//! that no escape sequence moves the cursor, recolours the screen or
//! rewrites a line, and no bidi control reorders what a reader sees.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must be shown escaped: the C0 and C1 controls (which include
/// ESC, DEL and NEL), the bidi embeddings, overrides, isolates and marks
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and the Unicode
/// line and paragraph separators (U+2028, U+2029).
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every control character written as an escape (`\n`, `\r`,
/// `\t`, else `\u{1b}`): the C0 and C1 controls (ESC, DEL and NEL among
/// them), the bidi embeddings, overrides, isolates and marks (U+202A–U+202E,
/// U+2066–U+2069, U+200E, U+200F, U+061C) and the line and paragraph
/// separators (U+2028, U+2029). Everything else is unchanged; borrowed
/// when there is nothing to escape. For human eyes: a backslash is left as
/// it is, so the result is not meant to be parsed back.
///
/// ```
/// use chatbots_sandbox::printable;
///
/// assert_eq!(printable("/okchat\u{1b}[2J\n"), "/okchat\\u{1b}[2J\\n");
/// assert_eq!(printable("plain"), "plain");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_listed_character_and_keeps_the_rest() {
        for c in ['\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}'] {
            assert!(needs_escape(c), "{:x}", u32::from(c));
        }
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
            '\u{2028}', '\u{2029}',
        ] {
            assert!(needs_escape(c), "{:x}", u32::from(c));
        }
        for c in ['a', ' ', '/', '\\', 'é', '…', '\u{200D}', '中'] {
            assert!(!needs_escape(c), "{:x}", u32::from(c));
        }
        assert_eq!(
            printable("a\u{1b}]0;title\u{7}\u{202E}b\r\n"),
            "a\\u{1b}]0;title\\u{7}\\u{202e}b\\r\\n"
        );
        assert!(matches!(printable("/okchat/x"), Cow::Borrowed(_)));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Any character, with the dangerous ones drawn far more often than
    /// their share of Unicode would have them.
    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::char::range('\u{0}', '\u{20}'),
            prop::char::range('\u{7f}', '\u{a0}'),
            prop::sample::select(vec![
                '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
                '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{2028}', '\u{2029}',
                '\\', '{', '}',
            ]),
        ]
    }

    proptest! {
        #[test]
        fn output_has_no_control_character_and_keeps_safe_text(
            chars in prop::collection::vec(hostile_char(), 0..200)
        ) {
            let text: String = chars.into_iter().collect();
            let shown = printable(&text);
            prop_assert!(!shown.chars().any(needs_escape), "{:?}", shown);
            // Linear: at most `\u{10ffff}` (10 bytes) per character.
            prop_assert!(shown.len() <= 10 * text.chars().count().max(1));
            // Text with nothing to escape is shown as it is.
            if !text.chars().any(needs_escape) {
                prop_assert_eq!(shown.as_ref(), text.as_str());
            }
        }
    }
}
