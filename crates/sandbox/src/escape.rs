//! Client-supplied text made safe to print on the sandbox's console: a
//! fault rule's route, a refused argument. The rule is the workspace's one
//! (`chatbots_runtime::printable`), so the sandbox and the `chatbots` CLI
//! escape the same characters the same way.

use std::borrow::Cow;

pub(crate) use chatbots_runtime::printable::needs_escape;

/// `text` on one line with every control character written as an escape
/// (`\e` for ESC, `\n`, `\r`, `\t`, else `\u{…}`): the C0 and C1 controls
/// (DEL and NEL among them), the bidi embeddings, overrides, isolates and
/// marks, and the line and paragraph separators. Everything else is
/// unchanged; borrowed when there is nothing to escape. For human eyes: a
/// backslash is left as it is, so the result is not meant to be parsed
/// back.
///
/// ```
/// use chatbots_sandbox::printable;
///
/// assert_eq!(printable("/okchat\u{1b}[2J\n"), "/okchat\\e[2J\\n");
/// assert_eq!(printable("plain"), "plain");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    chatbots_runtime::printable::one_line(text)
}
