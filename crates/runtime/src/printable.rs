//! Text for people, made safe for a terminal: every character that could
//! move the cursor, clear the screen, set the window title, write the
//! clipboard (OSC 52) or reorder what is shown is written out visibly
//! instead. Bot names, descriptions and vendor messages are vendor text:
//! printed raw, they would drive the user's terminal.
//!
//! The one rule for the whole workspace: the `chatbots` CLI (every line
//! it prints for people), the sandbox's console and the facade's errors
//! about ids all escape through here; `--json` keeps exact values, which
//! JSON escapes itself.
//!
//! ```
//! use chatbots_runtime::printable::{one_line, visible};
//!
//! assert_eq!(one_line("Bot\u{1b}]0;owned\u{7}\n"), "Bot\\e]0;owned\\u{7}\\n");
//! assert_eq!(visible("line one\nline\u{202e} two"), "line one\nline\\u{202e} two");
//! ```

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a line feed is layout (kept) or part of a one-line value
/// (escaped as `\n`, so that a value cannot forge a line of output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Newlines {
    /// `\n` stays a line break.
    Keep,
    /// `\n` is written as `\n`.
    Escape,
}

/// Whether `c` must not reach a terminal as it is: C0 controls and DEL
/// (ESC starts every terminal sequence), C1 controls (CSI, OSC and NEL on
/// their own), the bidirectional overrides, embeddings, isolates and marks
/// (they reorder the text around them), and the line and paragraph
/// separators.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `text` with every [unsafe](needs_escape) character written visibly:
/// `\e` for ESC, `\t`, `\r`, `\n` (unless `newlines` keeps them), `\0`,
/// and `\u{…}` (Rust's notation, lower-case hex) for the others. A
/// backslash stays as it is: the text stays readable (paths, regexes), and
/// an escape never makes a control character. Borrowed when nothing needs
/// escaping; linear in the length of `text`.
pub fn escape(text: &str, newlines: Newlines) -> Cow<'_, str> {
    let needs = |c: char| needs_escape(c) && !(c == '\n' && newlines == Newlines::Keep);
    let Some(first) = text.find(needs) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            // Writing to a String cannot fail.
            other => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
            }
        }
    }
    Cow::Owned(out)
}

/// `text` for a multi-line place (a table, a plan, a message): line feeds
/// kept, every other unsafe character escaped.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape(text, Newlines::Keep)
}

/// `text` for a one-line place (a cell, a bot's outcome, an error): every
/// unsafe character escaped, line feeds too.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape(text, Newlines::Escape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_written_out() {
        let hostile = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;title\u{7}\u{1b}[2J\u{202e}gnp.exe\r\nx\u{9b}\u{85}\u{2028}\t\0";
        assert_eq!(
            one_line(hostile),
            "\\e]52;c;ZXZpbA==\\u{7}\\e]0;title\\u{7}\\e[2J\\u{202e}gnp.exe\\r\\nx\\u{9b}\\u{85}\\u{2028}\\t\\0"
        );
        assert_eq!(visible("a\nb\u{1b}"), "a\nb\\e");
        assert!(matches!(
            visible("plain, naïve, 日本, \\e"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn every_unsafe_character_is_escaped_and_nothing_else_changes() {
        // Every Unicode scalar value, one at a time: no unsafe one
        // survives, and every other one is kept as it is.
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = c.to_string();
            let escaped = one_line(&text);
            if needs_escape(c) {
                assert!(
                    escaped.starts_with('\\') && !escaped.chars().any(needs_escape),
                    "{c:?} → {escaped:?}"
                );
            } else {
                assert_eq!(escaped, text, "{c:?}");
            }
        }
    }

    proptest::proptest! {
        /// Any text: nothing unsafe comes out (line feeds only where kept),
        /// and the output is at most 10 bytes per byte in (`\u{10ffff}`
        /// is the longest escape, of a 4-byte character).
        #[test]
        fn no_text_gets_an_unsafe_character_through(
            text in proptest::prelude::any::<String>(),
            hostile in "[\\x00-\\x20\\x7f-\\u{a0}\\u{61c}\\u{200e}\\u{200f}\\u{2028}-\\u{202e}\\u{2066}-\\u{2069}a\\\\]{0,64}",
        ) {
            for text in [text.as_str(), hostile.as_str()] {
                let line = one_line(text);
                proptest::prop_assert!(!line.chars().any(needs_escape), "{:?}", line);
                proptest::prop_assert!(line.len() <= 10 * text.len().max(1));
                let kept = visible(text);
                proptest::prop_assert!(!kept.chars().any(|c| needs_escape(c) && c != '\n'));
                proptest::prop_assert_eq!(kept.matches('\n').count(), text.matches('\n').count());
            }
        }
    }
}
