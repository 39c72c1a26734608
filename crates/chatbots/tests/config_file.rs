//! The accounts config file (`chatbots::config`): the format, every
//! refusal (file, line, key, rule), where secrets come from, and hostile
//! input.

use std::path::{Path, PathBuf};

use chatbots::config::{
    ConfigFile, ExposeSecret as _, MAX_CONFIG_BYTES, MAX_SECRET_FILE_BYTES, SecretSource,
    default_path,
};
use chatbots::{ErrorKind, Vendor};
use proptest::prelude::*;

/// The refusal of `text` as `config.toml`, as displayed, after checking
/// that it is a config error.
fn refused(text: &str) -> String {
    let err = ConfigFile::parse(text, "config.toml").expect_err("refused");
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    err.to_string()
}

/// Asserts `message` holds a line starting `config.toml:<line>: ` that
/// contains every one of `parts`.
#[track_caller]
fn has_problem(message: &str, line: usize, parts: &[&str]) {
    let prefix = format!("config.toml:{line}: ");
    let found = message
        .lines()
        .map(|l| l.strip_prefix("configuration error: ").unwrap_or(l))
        .any(|l| l.starts_with(&prefix) && parts.iter().all(|p| l.contains(p)));
    assert!(
        found,
        "no problem at line {line} with {parts:?} in:\n{message}"
    );
}

/// A lookup with only `vars` set.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

const EXAMPLE: &str = r#"# ~/.config/chatbots/config.toml
[accounts.okchat.client-a]
OKCHAT_API_KEY = { env = "CLIENT_A_OKCHAT_KEY" }

[accounts.converza.client-a]
base_url = "https://eu.converza.example"      # optional
CONVERZA_KEY_SECRET = { file = "/run/secrets/client-a-converza" }
CONVERZA_KEY_ID = { env = "CLIENT_A_CONVERZA_ID" }

[accounts.okchat."staging.client-a"]
OKCHAT_API_KEY = { file = "~/keys/okchat" }
"#;

#[test]
fn the_documented_format_reads_every_account_with_its_sources_and_line() {
    let config = ConfigFile::parse(EXAMPLE, "config.toml").unwrap();
    assert_eq!(config.path, "config.toml");
    let found: Vec<(Vendor, &str, usize)> = config
        .accounts
        .iter()
        .map(|a| (a.vendor, a.name.as_str(), a.line))
        .collect();
    assert_eq!(
        found,
        [
            (Vendor::Converza, "client-a", 5),
            (Vendor::OkChat, "client-a", 2),
            (Vendor::OkChat, "staging.client-a", 10),
        ]
    );
    let converza = config.account(Vendor::Converza, "client-a").unwrap();
    assert_eq!(
        converza.base_url.as_deref(),
        Some("https://eu.converza.example")
    );
    // In credential_variables order, whatever the file's order.
    assert_eq!(
        converza.secrets,
        [
            (
                "CONVERZA_KEY_ID".to_string(),
                SecretSource::Env("CLIENT_A_CONVERZA_ID".into())
            ),
            (
                "CONVERZA_KEY_SECRET".to_string(),
                SecretSource::File("/run/secrets/client-a-converza".into())
            ),
        ]
    );
    assert_eq!(
        chatbots::credential_variables(Vendor::Converza),
        ["CONVERZA_KEY_ID", "CONVERZA_KEY_SECRET"]
    );
    let staging = config.account(Vendor::OkChat, "staging.client-a").unwrap();
    assert_eq!(staging.base_url, None);
    assert_eq!(
        staging.secrets[0].1,
        SecretSource::File("~/keys/okchat".into())
    );
    // A file without accounts is a config without accounts.
    assert!(
        ConfigFile::parse("# nothing yet\n", "c")
            .unwrap()
            .accounts
            .is_empty()
    );
}

#[test]
fn a_syntax_error_is_refused_with_its_line() {
    let message = refused("[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"A\" }\nbroken = = 1\n");
    has_problem(&message, 3, &["is not TOML"]);
    // A duplicate table, which TOML forbids, names the second one's line.
    let message = refused(
        "[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"A\" }\n[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"B\" }\n",
    );
    has_problem(&message, 3, &["is not TOML", "duplicate"]);
}

#[test]
fn an_unknown_top_level_key_is_refused() {
    let message = refused("\n\nprofiles = 3\n");
    has_problem(
        &message,
        3,
        &[
            "unknown key `profiles`",
            "only `[accounts.<vendor>.<name>]`",
        ],
    );
    let message = refused("accounts = 3\n");
    has_problem(&message, 1, &["`accounts` must be a table"]);
}

#[test]
fn an_unknown_vendor_is_refused_naming_the_known_ones_and_the_closest() {
    let message = refused("[accounts.okchta.a]\nOKCHAT_API_KEY = { env = \"A\" }\n");
    has_problem(
        &message,
        1,
        &["unknown vendor `okchta`", "did you mean `okchat`?"],
    );
    for vendor in Vendor::ALL {
        assert!(message.contains(vendor.name()), "{message}");
    }
    // One spelling per vendor, so that two tables cannot name one account.
    let message = refused(
        "[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"A\" }\n[accounts.OKChat.a]\nOKCHAT_API_KEY = { env = \"B\" }\n",
    );
    has_problem(&message, 3, &["vendor `OKChat` is written `okchat`"]);
    let message = refused("[accounts]\nokchat = \"x\"\n");
    has_problem(&message, 2, &["`accounts.okchat` must be a table"]);
}

#[test]
fn account_names_follow_the_rule_and_default_is_taken() {
    for bad in [
        "\"client a\"",
        "\"-a\"",
        "\"a@b\"",
        "\"a:b\"",
        "\"\"",
        &"a".repeat(65),
    ] {
        let message = refused(&format!(
            "\n[accounts.okchat.{bad}]\nOKCHAT_API_KEY = {{ env = \"A\" }}\n"
        ));
        has_problem(
            &message,
            2,
            &[
                "account name refused",
                "1 to 64 ASCII letters, digits, `-`, `_` or `.`, starting with a letter or digit",
            ],
        );
    }
    let message = refused("[accounts.okchat.default]\nOKCHAT_API_KEY = { env = \"A\" }\n");
    has_problem(
        &message,
        1,
        &[
            "`accounts.okchat.default`",
            "default account",
            "environment (OKCHAT_API_KEY)",
        ],
    );
    let message = refused("[accounts.okchat]\nclient-a = \"x\"\n");
    has_problem(&message, 2, &["`accounts.okchat.client-a` must be a table"]);
}

#[test]
fn a_key_the_vendor_does_not_take_is_refused_naming_those_it_takes() {
    let message = refused(
        "[accounts.converza.a]\nCONVERZA_KEY_ID = { env = \"A\" }\nCONVERZA_KEY_SECRET = { env = \"B\" }\nCONVERZA_KEY_SECRE = { env = \"C\" }\n",
    );
    has_problem(
        &message,
        4,
        &[
            "`accounts.converza.a`",
            "unknown key `CONVERZA_KEY_SECRE`",
            "converza takes CONVERZA_KEY_ID, CONVERZA_KEY_SECRET and base_url",
            "did you mean `CONVERZA_KEY_SECRET`?",
        ],
    );
    // Another vendor's variable is unknown here too.
    let message = refused(
        "[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"A\" }\nPURETALK_API_KEY = { env = \"B\" }\n",
    );
    has_problem(&message, 3, &["unknown key `PURETALK_API_KEY`"]);
}

#[test]
fn a_missing_credential_variable_is_refused_at_the_account() {
    let message = refused("\n[accounts.converza.a]\nCONVERZA_KEY_ID = { env = \"A\" }\n");
    has_problem(
        &message,
        2,
        &[
            "`accounts.converza.a` lacks CONVERZA_KEY_SECRET",
            "{ env = \"VAR\" }",
        ],
    );
    let message = refused("[accounts.okchat.a]\n");
    has_problem(&message, 1, &["lacks OKCHAT_API_KEY"]);
}

#[test]
fn a_secret_in_the_file_is_refused_without_repeating_it() {
    let secrets = [
        "\"sk-live-0123456789abcdef\"",
        "'sk-live-0123456789abcdef'",
        "\"\"\"sk-live-0123456789abcdef\"\"\"",
        "90123456789012345",
        "[\"sk-live-0123456789abcdef\"]",
        "true",
        "2026-12-06T10:00:00Z",
    ];
    for secret in secrets {
        let text = format!("[accounts.okchat.a]\n\nOKCHAT_API_KEY = {secret}\n");
        let err = ConfigFile::parse(&text, "config.toml").unwrap_err();
        let (shown, debug) = (err.to_string(), format!("{err:?}"));
        has_problem(
            &shown,
            3,
            &[
                "`accounts.okchat.a.OKCHAT_API_KEY` holds a secret",
                "never holds one",
                "{ env = \"VAR\" }",
            ],
        );
        for value in ["0123456789abcdef", "90123456789012345", "2026-12-06"] {
            assert!(!shown.contains(value), "{secret}: {shown}");
            assert!(!debug.contains(value), "{secret}: {debug}");
        }
    }
    // Not even when the file does not parse around it, nor when it stands
    // under an unknown key or account, nor in an `env` name.
    for text in [
        "[accounts.okchat.a]\nOKCHAT_API_KEY = sk-live-0123456789abcdef\n",
        "[accounts.okchat.a]\nOKCHAT_API_KEY = \"sk-live-0123456789abcdef\n",
        "[accounts.okchat.a]\nokchat_api_key = \"sk-live-0123456789abcdef\"\n",
        "[accounts.okchat]\na = \"sk-live-0123456789abcdef\"\n",
        "[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"sk-live-0123456789abcdef\" }\n",
        "[accounts.okchat.a]\nOKCHAT_API_KEY = { value = \"sk-live-0123456789abcdef\" }\n",
        "[accounts.okchat.a]\nOKCHAT_API_KEY.sk-live-0123456789abcdef = 1\n",
        "secret = \"sk-live-0123456789abcdef\"\n",
    ] {
        let err = ConfigFile::parse(text, "config.toml").unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("0123456789abcdef"), "{text}: {shown}");
        }
    }
}

#[test]
fn a_source_table_is_exactly_one_env_or_file() {
    let cases = [
        ("{ env = \"A\", file = \"/k\" }", "must be exactly one of"),
        ("{ env = \"A\", other = 1 }", "must be exactly one of"),
        ("{}", "must be exactly one of"),
        ("{ path = \"/k\" }", "must be exactly one of"),
        ("{ env = 5 }", "with a string"),
        ("{ env = \"\" }", "names an empty environment variable"),
        ("{ env = \"A-B\" }", "ASCII letters, digits and `_`"),
        ("{ env = \"1A\" }", "not starting with a digit"),
        ("{ file = \"\" }", "names an empty file path"),
        (
            "{ file = \"keys/okchat\" }",
            "absolute path or start with `~/`",
        ),
    ];
    for (value, rule) in cases {
        let message = refused(&format!("[accounts.okchat.a]\nOKCHAT_API_KEY = {value}\n"));
        has_problem(&message, 2, &["`accounts.okchat.a.OKCHAT_API_KEY`", rule]);
    }
    // A table written as a table is the same as an inline one.
    let config = ConfigFile::parse(
        "[accounts.okchat.a.OKCHAT_API_KEY]\nenv = \"A_KEY\"\n",
        "config.toml",
    )
    .unwrap();
    assert_eq!(
        config.accounts[0].secrets[0].1,
        SecretSource::Env("A_KEY".into())
    );
}

#[test]
fn a_base_url_must_be_http_or_https_and_hold_no_password() {
    let head = "[accounts.okchat.a]\nOKCHAT_API_KEY = { env = \"A\" }\n";
    for (url, rule) in [
        (
            "\"ftp://example.com\"",
            "must be an http:// or https:// URL",
        ),
        ("\"example.com\"", "must be an http:// or https:// URL"),
        ("\"https://\"", "with a host"),
        ("8080", "string, not an integer"),
        (
            "\"https://user:hunter2secret@example.com\"",
            "without credentials",
        ),
        ("\"https://example.com/a b\"", "without white space"),
    ] {
        let message = refused(&format!("{head}base_url = {url}\n"));
        has_problem(&message, 3, &["`accounts.okchat.a.base_url`", rule]);
        assert!(!message.contains("hunter2secret"), "{message}");
    }
    let config =
        ConfigFile::parse(&format!("{head}base_url = \"HTTP://127.0.0.1:9/\"\n"), "c").unwrap();
    assert_eq!(
        config.accounts[0].base_url.as_deref(),
        Some("HTTP://127.0.0.1:9/")
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once_in_line_order() {
    let text = r#"
[accounts.puretalk.b]
PURETALK_API_KEY = "x"

[accounts.okchta.a]

[accounts.okchat.a]
OKCHAT_API_KEY = { env = "" }
base_url = "ftp://x"
"#;
    let message = refused(text);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 4, "{message}");
    assert!(
        lines[0].starts_with("configuration error: config.toml:3: "),
        "{message}"
    );
    has_problem(&message, 3, &["holds a secret"]);
    has_problem(&message, 5, &["unknown vendor `okchta`"]);
    has_problem(&message, 8, &["empty environment variable"]);
    has_problem(&message, 9, &["base_url"]);
    assert!(lines[1].starts_with("config.toml:5: "), "{message}");
}

#[test]
fn text_from_the_file_cannot_forge_a_line_or_drive_a_terminal() {
    let message = refused(
        "[accounts.okchat.\"a\\nconfig.toml:1: forged\\u001b[31m\"]\nOKCHAT_API_KEY = { env = \"A\" }\n",
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains('\u{1b}'), "{message}");
    let message = refused(&format!("\"{}\" = 1\n", "k".repeat(10_000)));
    assert!(message.len() < 400, "{}", message.len());
}

/// A unique directory for one test's files, removed at the end.
fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn load_reads_a_file_and_names_it_in_problems() {
    let tmp = dir();
    let path = write(tmp.path(), "config.toml", EXAMPLE.as_bytes());
    let config = ConfigFile::load(&path).unwrap();
    assert_eq!(config.path, path.display().to_string());
    assert_eq!(config.accounts.len(), 3);

    let bad = write(tmp.path(), "bad.toml", b"[accounts.okchat.a]\n");
    let err = ConfigFile::load(&bad).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(
        err.to_string()
            .contains(&format!("{}:1: `accounts.okchat.a` lacks", bad.display())),
        "{err}"
    );

    let missing = tmp.path().join("missing.toml");
    let err = ConfigFile::load(&missing).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(
        err.to_string()
            .contains(&format!("{}: cannot be read", missing.display())),
        "{err}"
    );

    let binary = write(tmp.path(), "binary.toml", b"# a\n# b\n\xff\n");
    let err = ConfigFile::load(&binary).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{}:3: is not UTF-8 text", binary.display())),
        "{err}"
    );
}

#[test]
fn a_config_file_over_the_limit_is_refused_naming_it() {
    let tmp = dir();
    let mut text = EXAMPLE.as_bytes().to_vec();
    text.resize(MAX_CONFIG_BYTES + 1, b'\n');
    let path = write(tmp.path(), "big.toml", &text);
    let err = ConfigFile::load(&path).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(
        err.to_string().contains(&format!(
            "{}: is larger than 1 MiB, the limit for a config file",
            path.display()
        )),
        "{err}"
    );
    // At the limit it is read.
    text.truncate(MAX_CONFIG_BYTES);
    let path = write(tmp.path(), "full.toml", &text);
    assert_eq!(ConfigFile::load(&path).unwrap().accounts.len(), 3);
}

#[test]
fn discover_takes_chatbots_config_then_the_default_path() {
    let tmp = dir();
    let home = tmp.path().display().to_string();
    // Nothing at the default path: no config.
    let none = ConfigFile::discover(&env(&[("HOME", &home), ("APPDATA", &home)])).unwrap();
    assert_eq!(none, None);

    let default = default_path(&env(&[("HOME", &home), ("APPDATA", &home)])).unwrap();
    std::fs::create_dir_all(default.parent().unwrap()).unwrap();
    std::fs::write(&default, EXAMPLE).unwrap();
    let found = ConfigFile::discover(&env(&[("HOME", &home), ("APPDATA", &home)]))
        .unwrap()
        .unwrap();
    assert_eq!(found.path, default.display().to_string());

    let other = write(
        tmp.path(),
        "other.toml",
        b"[accounts.puretalk.x]\nPURETALK_API_KEY = { env = \"X\" }\n",
    );
    let vars = [
        ("HOME", home.as_str()),
        ("APPDATA", home.as_str()),
        ("CHATBOTS_CONFIG", &other.display().to_string()),
    ];
    let chosen = ConfigFile::discover(&env(&vars)).unwrap().unwrap();
    assert_eq!(chosen.accounts[0].name, "x");

    // A file CHATBOTS_CONFIG names must exist.
    let missing = tmp.path().join("missing.toml").display().to_string();
    let err = ConfigFile::discover(&env(&[("CHATBOTS_CONFIG", &missing)])).unwrap_err();
    assert!(
        err.to_string().contains("missing.toml: cannot be read"),
        "{err}"
    );
}

#[test]
fn the_default_path_follows_the_platform_through_the_lookup_only() {
    let all = env(&[
        ("HOME", "/home/ada"),
        ("XDG_CONFIG_HOME", "/xdg"),
        ("APPDATA", "C:\\Users\\ada\\AppData\\Roaming"),
    ]);
    let path = default_path(&all).unwrap();
    if cfg!(target_os = "windows") {
        assert_eq!(
            path,
            Path::new("C:\\Users\\ada\\AppData\\Roaming")
                .join("chatbots")
                .join("config.toml")
        );
    } else if cfg!(target_os = "macos") {
        assert_eq!(
            path,
            Path::new("/home/ada/Library/Application Support/chatbots/config.toml")
        );
    } else {
        assert_eq!(path, Path::new("/xdg/chatbots/config.toml"));
        // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
        let relative = env(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "xdg")]);
        assert_eq!(
            default_path(&relative).unwrap(),
            Path::new("/home/ada/.config/chatbots/config.toml")
        );
        let empty = env(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "")]);
        assert_eq!(
            default_path(&empty).unwrap(),
            Path::new("/home/ada/.config/chatbots/config.toml")
        );
    }
    assert_eq!(default_path(&|_: &str| None), None);
}

fn exposed(source: &SecretSource, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    source
        .read(var)
        .unwrap()
        .map(|secret| secret.expose_secret().to_string())
}

#[test]
fn a_secret_from_the_environment_is_read_through_the_lookup() {
    let source = SecretSource::Env("CLIENT_A_KEY".into());
    assert_eq!(source.to_string(), "env CLIENT_A_KEY");
    let set = env(&[("CLIENT_A_KEY", "0123abcd")]);
    assert_eq!(exposed(&source, &set).as_deref(), Some("0123abcd"));
    assert_eq!(exposed(&source, &env(&[])), None);
    assert_eq!(exposed(&source, &env(&[("CLIENT_A_KEY", "")])), None);
    assert_eq!(SecretSource::Code.to_string(), "set in code");
    assert_eq!(exposed(&SecretSource::Code, &set), None);
}

#[test]
fn a_secret_file_is_read_less_one_trailing_line_break() {
    let tmp = dir();
    let none = env(&[]);
    for (content, secret) in [
        (&b"0123abcd\n"[..], Some("0123abcd")),
        (b"0123abcd\r\n", Some("0123abcd")),
        (b"0123abcd", Some("0123abcd")),
        (b"0123abcd\n\n", Some("0123abcd\n")),
        (b"", None),
        (b"\n", None),
    ] {
        let path = write(tmp.path(), "key", content);
        let source = SecretSource::File(path.clone());
        assert_eq!(source.to_string(), format!("file {}", path.display()));
        assert_eq!(exposed(&source, &none).as_deref(), secret, "{content:?}");
    }
    // At the limit it is read; one byte more is refused, naming file and
    // limit but not the content.
    let full = write(tmp.path(), "full", &vec![b'k'; MAX_SECRET_FILE_BYTES]);
    assert_eq!(
        exposed(&SecretSource::File(full), &none).map(|s| s.len()),
        Some(MAX_SECRET_FILE_BYTES)
    );
    let big = write(tmp.path(), "big", &vec![b'k'; MAX_SECRET_FILE_BYTES + 1]);
    let err = SecretSource::File(big.clone()).read(&none).unwrap_err();
    assert!(
        err.contains(&format!("secret file {}", big.display())) && err.contains("64 KiB"),
        "{err}"
    );
    assert!(!err.contains("kkkk"), "{err}");

    let binary = write(tmp.path(), "binary", b"sk-\xff-0123456789abcdef");
    let err = SecretSource::File(binary).read(&none).unwrap_err();
    assert!(
        err.contains("is not UTF-8 text") && !err.contains("0123456789abcdef"),
        "{err}"
    );
}

#[test]
fn an_unreadable_secret_file_is_an_error_naming_it() {
    let tmp = dir();
    let missing = tmp.path().join("missing");
    let err = SecretSource::File(missing.clone())
        .read(&env(&[]))
        .unwrap_err();
    assert!(
        err.contains(&format!(
            "secret file {} cannot be read: ",
            missing.display()
        )),
        "{err}"
    );
    // A directory opens but does not read.
    let err = SecretSource::File(tmp.path().to_path_buf())
        .read(&env(&[]))
        .unwrap_err();
    assert!(err.contains("cannot be read"), "{err}");
}

#[test]
fn a_secret_file_under_the_home_directory_is_found_through_the_lookup() {
    let tmp = dir();
    std::fs::create_dir(tmp.path().join("keys")).unwrap();
    write(&tmp.path().join("keys"), "okchat", b"0123abcd\n");
    let home = tmp.path().display().to_string();
    let source = SecretSource::File("~/keys/okchat".into());
    assert_eq!(source.to_string(), "file ~/keys/okchat");
    assert_eq!(
        exposed(&source, &env(&[("HOME", &home)])).as_deref(),
        Some("0123abcd")
    );
    assert_eq!(
        exposed(&source, &env(&[("USERPROFILE", &home)])).as_deref(),
        Some("0123abcd")
    );
    let err = source.read(&env(&[])).unwrap_err();
    assert!(
        err.contains("~/keys/okchat") && err.contains("neither HOME nor USERPROFILE is set"),
        "{err}"
    );
}

#[test]
fn an_account_reads_its_secrets_in_variable_order_and_names_itself_when_it_cannot() {
    let tmp = dir();
    let secret = write(tmp.path(), "secret", b"s3cr3t-value\n");
    let text = format!(
        "[accounts.converza.client-a]\nCONVERZA_KEY_SECRET = {{ file = \"{}\" }}\nCONVERZA_KEY_ID = {{ env = \"A_ID\" }}\n",
        secret.display()
    );
    let config = ConfigFile::parse(&text, "config.toml").unwrap();
    let account = &config.accounts[0];
    let read: Vec<Option<String>> = account
        .read_secrets(&env(&[("A_ID", "key-id")]))
        .unwrap()
        .into_iter()
        .map(|s| s.map(|s| s.expose_secret().to_string()))
        .collect();
    assert_eq!(read, [Some("key-id".into()), Some("s3cr3t-value".into())]);
    // An unset variable is not an error: the account's secret is unset.
    let read = account.read_secrets(&env(&[])).unwrap();
    assert!(read[0].is_none() && read[1].is_some());

    std::fs::remove_file(&secret).unwrap();
    let err = account.read_secrets(&env(&[])).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert_eq!(err.vendor(), Some(Vendor::Converza));
    assert!(
        err.to_string().contains(&format!(
            "account converza@client-a: CONVERZA_KEY_SECRET: secret file {} cannot be read",
            secret.display()
        )),
        "{err}"
    );
}

/// The line numbers of every problem of `message` (for `origin` `c`).
fn problem_lines(message: &str) -> Vec<usize> {
    message
        .strip_prefix("configuration error: ")
        .unwrap_or(message)
        .lines()
        .filter_map(|l| l.strip_prefix("c:")?.split(':').next()?.parse().ok())
        .collect()
}

/// Text made of TOML's own pieces, so that most of it goes deep into the
/// checks rather than failing at the first byte.
fn tomlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[accounts.okchat.a]\n"),
        Just("[accounts.converza.\"b c\"]\n"),
        Just("[[accounts]]\n"),
        Just("OKCHAT_API_KEY = "),
        Just("CONVERZA_KEY_ID = "),
        Just("base_url = "),
        Just("{ env = \"A\" }"),
        Just("{ file = \"~/k\" }"),
        Just("\"https://x\""),
        Just("\"x\""),
        Just("'''"),
        Just("[ "),
        Just("] "),
        Just("{ "),
        Just("} "),
        Just(", "),
        Just("= "),
        Just("."),
        Just("1979-05-27T07:32:00Z"),
        Just("\n"),
        Just("\r\n"),
        Just("# comment\n"),
        Just("\u{202e}"),
        Just("\u{0}"),
        Just("é"),
    ];
    prop::collection::vec(piece, 0..200).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_refused_or_read_without_panic_and_problems_name_a_line_of_it(
        text in prop_oneof![tomlish(), "\\PC{0,3000}", any::<String>()]
    ) {
        let last_line = 1 + text.matches('\n').count();
        match ConfigFile::parse(&text, "c") {
            Ok(config) => {
                for account in &config.accounts {
                    prop_assert!((1..=last_line).contains(&account.line));
                }
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), &ErrorKind::Config);
                let message = err.to_string();
                let lines = problem_lines(&message);
                prop_assert!(!lines.is_empty(), "{}", message);
                prop_assert_eq!(lines.len(), message.lines().count(), "{}", message);
                for line in lines {
                    prop_assert!((1..=last_line).contains(&line), "{} of {}: {}", line, last_line, message);
                }
            }
        }
    }
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    const DEPTH: usize = 100_000;
    let arrays = format!("a = {}{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let tables = format!("a = {}{}\n", "{ a = ".repeat(DEPTH), "}".repeat(DEPTH));
    let dotted = format!("{} = 1\n", vec!["a"; DEPTH].join("."));
    let header = format!("[{}]\n", vec!["a"; DEPTH].join("."));
    let unclosed = format!("\n\na = {}\n", "[".repeat(DEPTH));
    for text in [arrays, tables, dotted, header, unclosed] {
        let message = ConfigFile::parse(&text, "c").unwrap_err().to_string();
        let lines = problem_lines(&message);
        assert!(!lines.is_empty(), "{message}");
        let last = 1 + text.matches('\n').count();
        assert!(lines.iter().all(|l| (1..=last).contains(l)), "{message}");
        assert!(message.len() < 20_000, "{}", message.len());
    }
}
