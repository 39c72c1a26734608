//! Redaction neither leaks nor mangles (issue 19, item 10): properties of
//! [`redact_secrets`] over arbitrary text and secrets, and the cases that
//! were wrong before.

use chatbots_runtime::{SHORTEST_CREDENTIAL, redact_secrets};
use proptest::prelude::*;

/// `secret` with every byte `%XX`-escaped, in upper or lower case hex.
fn escaped(secret: &str, upper: bool) -> String {
    secret
        .bytes()
        .map(|b| {
            if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

/// `secret` as a URL's query component encodes it: bytes outside the
/// unreserved set escaped, the rest as they are.
fn url_encoded(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every way the tests write a secret into text.
fn forms(secret: &str) -> [String; 4] {
    [
        secret.to_owned(),
        url_encoded(secret),
        escaped(secret, true),
        escaped(secret, false),
    ]
}

/// Text: words, URL punctuation, escapes and some non-ASCII.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _/%+=.:?&é한-]{0,80}"
}

/// A credential-like secret, long enough to be redacted wherever it occurs.
fn credential() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9_+/=.%é-]{{{SHORTEST_CREDENTIAL},24}}"))
        .expect("a valid pattern")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Written into arbitrary text in any form, a credential does not
    /// survive in any form.
    #[test]
    fn a_credential_never_survives(
        before in text(),
        after in text(),
        secret in credential(),
        form in 0..4usize,
    ) {
        prop_assume!(!"[REDACTED]".contains(secret.as_str()));
        let text = format!("{before}{}{after}", forms(&secret)[form]);
        let out = redact_secrets(&text, [secret.as_str()]);
        for form in forms(&secret) {
            prop_assert!(!out.contains(&form), "{form:?} in {out:?}");
        }
        prop_assert!(out.contains("[REDACTED]"));
    }

    /// Text that holds a secret in no form comes back as it was, whatever
    /// the secret's length.
    #[test]
    fn text_without_the_secret_is_unchanged(text in text(), secret in "[a-zA-Z0-9_+/=.%é-]{1,12}") {
        prop_assume!(forms(&secret).iter().all(|form| !text.contains(form.as_str())));
        prop_assert_eq!(redact_secrets(&text, [secret.as_str()]), text);
    }

    /// Whatever the text and secret, nothing is left that would be redacted,
    /// and every occurrence that stands alone (or any, for a credential) is
    /// gone.
    #[test]
    fn nothing_redactable_is_left(text in text(), secret in "[a-z0-9%+/]{1,10}") {
        prop_assume!(!"[REDACTED]".contains(secret.as_str()));
        let out = redact_secrets(&text, [secret.as_str()]);
        prop_assert_eq!(redact_secrets(&out, [secret.as_str()]), out.clone());
        let alone = format!(" {secret} ");
        let out = redact_secrets(&format!("{text}{alone}"), [secret.as_str()]);
        prop_assert!(!out.contains(&alone), "{out:?}");
    }
}

#[test]
fn a_one_character_secret_does_not_mangle_words_or_urls() {
    for secret in ["t", "x", "e", "/"] {
        for text in [
            "no bot",
            "/okchat/api/external/chatbots",
            "not found: bot-1000x",
        ] {
            let out = redact_secrets(text, [secret]);
            if secret == "/" {
                // Not run into a word at either end: a whole token.
                continue;
            }
            assert_eq!(out, text, "secret {secret:?}");
        }
    }
    assert_eq!(
        redact_secrets("key x refused", ["x"]),
        "key [REDACTED] refused"
    );
}

#[test]
fn a_percent_encoded_echo_is_redacted() {
    let secret = "cvz_secret_a+b/c=d";
    let text = "GET /token?key_secret=cvz_secret_a%2Bb%2fc%3Dd failed";
    assert_eq!(
        redact_secrets(text, [secret]),
        "GET /token?key_secret=[REDACTED] failed"
    );
}

#[test]
fn a_secret_inside_another_does_not_cut_it_up() {
    let text = "token abcdefgh-ijklmnop";
    assert_eq!(
        redact_secrets(text, ["abcdefgh", "abcdefgh-ijklmnop"]),
        "token [REDACTED]"
    );
}

#[test]
fn a_long_text_is_redacted_in_linear_time_without_panic() {
    // Escapes and near-misses everywhere: every position starts a partial
    // match.
    let text = "%25%2".repeat(20_000) + "aaaaaaaa%";
    let out = redact_secrets(&text, ["%%%%%%%%%%%%%%%%", "aaaaaaaa%2"]);
    assert_eq!(out.len(), text.len());
}
