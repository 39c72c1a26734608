//! The accounts config file: which accounts exist beyond each vendor's
//! default one, and where each of their secrets comes from.
//!
//! A TOML file with one `[accounts.<vendor>.<name>]` table per account.
//! Each credential variable of the vendor ([`credential_variables`]) is a
//! key whose value says where the secret is — `{ env = "VAR" }`, an
//! environment variable, or `{ file = "PATH" }`, a file (absolute, or
//! starting with `~/`) — and `base_url` optionally points the account at
//! another server:
//!
//! ```toml
//! # ~/.config/chatbots/config.toml
//! [accounts.okchat.client-a]
//! OKCHAT_API_KEY = { env = "CLIENT_A_OKCHAT_KEY" }
//!
//! [accounts.converza.client-a]
//! base_url = "https://eu.converza.example"      # optional
//! CONVERZA_KEY_ID = { env = "CLIENT_A_CONVERZA_ID" }
//! CONVERZA_KEY_SECRET = { file = "/run/secrets/client-a-converza" }
//! ```
//!
//! The file never holds a secret: a plain value where a source belongs is
//! refused, naming file, line and key but not the value. An account name is
//! 1 to 64 ASCII letters, digits, `-`, `_` or `.`, starting with a letter or
//! digit, so that `vendor@name:id` always reads back; `default` is taken by
//! each vendor's default account, which comes from the environment
//! (`OKCHAT_API_KEY`, …) as without a config file.
//!
//! [`ConfigFile::parse`] reports every problem of a file in one
//! [`ErrorKind::Config`](crate::ErrorKind::Config) error, one
//! `file:line: what is wrong` per line, before any secret is read:
//!
//! ```
//! use chatbots::config::{ConfigFile, SecretSource};
//! use chatbots::{ErrorKind, Vendor};
//!
//! let text = r#"
//! [accounts.okchat.client-a]
//! OKCHAT_API_KEY = { env = "CLIENT_A_OKCHAT_KEY" }
//! "#;
//! let config = ConfigFile::parse(text, "config.toml")?;
//! let account = &config.accounts[0];
//! assert_eq!((account.vendor, account.name.as_str(), account.line), (Vendor::OkChat, "client-a", 2));
//! assert_eq!(
//!     account.secrets,
//!     [("OKCHAT_API_KEY".to_string(), SecretSource::Env("CLIENT_A_OKCHAT_KEY".into()))]
//! );
//!
//! // A secret in the file itself is refused, and not repeated.
//! let err = ConfigFile::parse("[accounts.okchat.b]\nOKCHAT_API_KEY = \"0123abcd\"\n", "config.toml")
//!     .unwrap_err();
//! assert_eq!(err.kind(), &ErrorKind::Config);
//! assert!(err.to_string().contains("config.toml:2: `accounts.okchat.b.OKCHAT_API_KEY` holds a secret"));
//! assert!(!err.to_string().contains("0123abcd"));
//! # Ok::<(), chatbots::Error>(())
//! ```
//!
//! # Where the file is
//!
//! [`ConfigFile::discover`] reads the file `CHATBOTS_CONFIG` names, or else
//! the one at [`default_path`], if it exists: `chatbots/config.toml` in the
//! user's config directory — `$XDG_CONFIG_HOME` or `~/.config` on Linux
//! and other Unix systems, `~/Library/Application Support` on macOS,
//! `%APPDATA%` on Windows. The CLI's `--config FILE` comes before both.

mod source;

use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::fleet::closest;
use crate::printable::one_line;
use crate::{Error, SecretString, Vendor, VendorInfo, credential_variables};

/// To read a [`SecretString`] a [`SecretSource`] gave:
/// `secret.expose_secret()`.
pub use chatbots_runtime::ExposeSecret;
pub use source::{MAX_SECRET_FILE_BYTES, SecretSource};
use source::{ReadError, read_at_most};

/// The most a config file may hold: 1 MiB. A larger file is refused
/// before it is read.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// The environment variable naming the config file, when not the one at
/// [`default_path`].
pub const CONFIG_VARIABLE: &str = "CHATBOTS_CONFIG";

/// The rule every account name follows, as error messages say it.
pub const ACCOUNT_NAME_RULE: &str = "an account name is 1 to 64 ASCII letters, digits, `-`, `_` or `.`, \
     starting with a letter or digit";

/// At most this many problems are listed, then how many more there are.
const MAX_PROBLEMS: usize = 100;

/// Keys and names from the file are shown at most this long.
const SHOWN_CHARS: usize = 80;

/// An accounts config file, read and checked: every account it names, with
/// where each secret comes from. It holds no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigFile {
    /// The file, as given to [`ConfigFile::parse`] or [`ConfigFile::load`].
    pub path: String,
    /// Every account, by vendor (in [`Vendor::ALL`] order), then by name.
    pub accounts: Vec<ConfiguredAccount>,
}

/// One account of a [`ConfigFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfiguredAccount {
    /// Its vendor.
    pub vendor: Vendor,
    /// Its name, never `default`.
    pub name: String,
    /// Its `base_url`, when the file gives one (an `http://` or `https://`
    /// URL).
    pub base_url: Option<String>,
    /// Each credential variable of the vendor, in
    /// [`credential_variables`] order, with where its secret comes from.
    pub secrets: Vec<(String, SecretSource)>,
    /// The line of its `[accounts.<vendor>.<name>]` header, counting from 1.
    pub line: usize,
}

impl ConfiguredAccount {
    /// The account's secrets, read from where the file says
    /// ([`SecretSource::read`] through `var`), in [`credential_variables`]
    /// order: `None` for one that is not set (an unset variable, an empty
    /// file). A secret file that cannot be read is an
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) error naming vendor,
    /// account, variable and file, never its content.
    ///
    /// ```
    /// use chatbots::config::{ConfigFile, ExposeSecret as _};
    ///
    /// let text = "[accounts.okchat.b]\nOKCHAT_API_KEY = { env = \"B_KEY\" }\n";
    /// let account = &ConfigFile::parse(text, "config.toml")?.accounts[0];
    /// let env = |name: &str| (name == "B_KEY").then(|| "0123abcd".to_string());
    /// let secrets = account.read_secrets(&env)?;
    /// assert_eq!(secrets[0].as_ref().map(|s| s.expose_secret()), Some("0123abcd"));
    /// assert!(account.read_secrets(&|_: &str| None)?[0].is_none());
    /// # Ok::<(), chatbots::Error>(())
    /// ```
    pub fn read_secrets(
        &self,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Option<SecretString>>, Error> {
        self.secrets
            .iter()
            .map(|(variable, source)| {
                source.read(var).map_err(|why| {
                    Error::config(
                        Some(self.vendor),
                        format!("account {}@{}: {variable}: {why}", self.vendor, self.name),
                    )
                })
            })
            .collect()
    }
}

/// Whether `name` follows [`ACCOUNT_NAME_RULE`]: 1 to 64 ASCII letters,
/// digits, `-`, `_` or `.`, starting with a letter or digit.
///
/// ```
/// assert!(chatbots::config::is_account_name("client-a.prod_2"));
/// assert!(!chatbots::config::is_account_name("client a"));
/// assert!(!chatbots::config::is_account_name("-a"));
/// ```
pub fn is_account_name(name: &str) -> bool {
    crate::account::name_rule(name).is_ok()
}

/// Where the config file lives when neither `--config` nor
/// [`CONFIG_VARIABLE`] says: `chatbots/config.toml` in the user's config
/// directory — `$XDG_CONFIG_HOME` (when absolute) or `$HOME/.config` on
/// Linux and other Unix systems, `$HOME/Library/Application Support` on
/// macOS, `%APPDATA%` on Windows. Computed from `var` alone (the
/// environment, or a stand-in for it); `None` when the variables it needs
/// are unset.
///
/// ```
/// # if cfg!(target_os = "linux") {
/// let env = |name: &str| (name == "HOME").then(|| "/home/ada".to_string());
/// assert_eq!(
///     chatbots::config::default_path(&env),
///     Some("/home/ada/.config/chatbots/config.toml".into())
/// );
/// # }
/// ```
pub fn default_path(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if cfg!(target_os = "windows") {
        var("APPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|home| home.join("Library").join("Application Support"))
    } else {
        // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        var("XDG_CONFIG_HOME")
            .filter(|dir| dir.is_absolute())
            .or_else(|| var("HOME").map(|home| home.join(".config")))
    };
    Some(dir?.join("chatbots").join("config.toml"))
}

impl ConfigFile {
    /// Reads and checks the config file `text`; `origin` names it in
    /// errors. Every problem is reported at once, each as
    /// `origin:line: what is wrong`, in one
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) error; no value that
    /// may be a secret is ever repeated. See [the module](self) for the
    /// format.
    pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, Error> {
        let mut check = Check {
            origin,
            newlines: text.match_indices('\n').map(|(at, _)| at).collect(),
            problems: Vec::new(),
        };
        // toml's parser stops at 80 levels of nesting (unless its
        // `unbounded` feature is on, which nothing here asks for): a
        // hostile file cannot exhaust the stack, as the deep-nesting test
        // of tests/config_file.rs shows.
        let (document, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            // After a syntax error the recovered tree is a guess: only the
            // syntax is reported.
            for error in errors {
                let at = error.span().map_or(text.len(), |span| span.start);
                check.problem(at, format!("is not TOML: {}", error.message()));
            }
            return Err(check.error());
        }
        let mut accounts = Vec::new();
        for (key, value) in document.get_ref() {
            if key.get_ref() == "accounts" {
                check.vendors(value, &mut accounts);
            } else {
                check.problem(
                    key.span().start,
                    format!(
                        "unknown key `{}`: a config file holds only `[accounts.<vendor>.<name>]` tables",
                        shown(key.get_ref())
                    ),
                );
            }
        }
        if !check.problems.is_empty() {
            return Err(check.error());
        }
        accounts.sort_by(|a: &ConfiguredAccount, b| (a.vendor, &a.name).cmp(&(b.vendor, &b.name)));
        Ok(ConfigFile {
            path: origin.to_string(),
            accounts,
        })
    }

    /// Reads the config file at `path` (at most [`MAX_CONFIG_BYTES`],
    /// refused before reading when larger) and checks it as
    /// [`parse`](Self::parse) does, naming it by its path.
    pub fn load(path: impl AsRef<Path>) -> Result<ConfigFile, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let refuse = |what: String| Error::config(None, format!("{}: {what}", one_line(&origin)));
        let bytes = read_at_most(path, MAX_CONFIG_BYTES).map_err(|e| match e {
            ReadError::TooLarge => refuse(format!(
                "is larger than {} MiB, the limit for a config file",
                MAX_CONFIG_BYTES / (1024 * 1024)
            )),
            ReadError::Io(e) => refuse(format!("cannot be read: {e}")),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            Error::config(
                None,
                format!("{}:{line}: is not UTF-8 text", one_line(&origin)),
            )
        })?;
        Self::parse(&text, &origin)
    }

    /// The config file of this environment (`var` stands for it): the
    /// file [`CONFIG_VARIABLE`] (`CHATBOTS_CONFIG`) names, which must
    /// exist, or else the one at [`default_path`] if it exists; `None`
    /// when there is none.
    ///
    /// ```
    /// use chatbots::config::ConfigFile;
    ///
    /// let path = std::env::temp_dir().join("chatbots-discover-doc.toml");
    /// std::fs::write(&path, "[accounts.okchat.b]\nOKCHAT_API_KEY = { env = \"B_KEY\" }\n").unwrap();
    /// let env = |name: &str| (name == "CHATBOTS_CONFIG").then(|| path.display().to_string());
    /// let config = ConfigFile::discover(&env)?.expect("CHATBOTS_CONFIG names a file");
    /// assert_eq!(config.accounts[0].name, "b");
    /// // Without the variable nor a home directory, there is no file.
    /// assert_eq!(ConfigFile::discover(&|_: &str| None)?, None);
    /// # Ok::<(), chatbots::Error>(())
    /// ```
    pub fn discover(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<ConfigFile>, Error> {
        if let Some(path) = var(CONFIG_VARIABLE).filter(|v| !v.is_empty()) {
            return Self::load(path).map(Some);
        }
        match default_path(var) {
            Some(path) if path.exists() => Self::load(path).map(Some),
            _ => Ok(None),
        }
    }

    /// The account `name` of `vendor`, if the file has it.
    pub fn account(&self, vendor: Vendor, name: &str) -> Option<&ConfiguredAccount> {
        self.accounts
            .iter()
            .find(|a| a.vendor == vendor && a.name == name)
    }
}

/// The problems found so far in one file, each with its line.
struct Check<'a> {
    origin: &'a str,
    /// The byte offset of every line feed, to turn offsets into lines.
    newlines: Vec<usize>,
    problems: Vec<(usize, String)>,
}

impl Check<'_> {
    /// A problem at byte offset `at`.
    fn problem(&mut self, at: usize, what: String) {
        self.problems.push((self.line(at), what));
    }

    /// The line of byte offset `at`, counting from 1.
    fn line(&self, at: usize) -> usize {
        1 + self.newlines.partition_point(|&nl| nl < at)
    }

    /// Every problem, in file order, one per line.
    fn error(mut self) -> Error {
        // Recovery after a syntax error can say one thing twice.
        let mut seen = std::collections::HashSet::new();
        self.problems.retain(|problem| seen.insert(problem.clone()));
        self.problems.sort_by_key(|(line, _)| *line);
        let origin = one_line(self.origin);
        let mut message = String::new();
        for (i, (line, what)) in self.problems.iter().take(MAX_PROBLEMS).enumerate() {
            if i > 0 {
                message.push('\n');
            }
            message.push_str(&format!("{origin}:{line}: {}", one_line(what)));
        }
        if let Some(more) = self
            .problems
            .len()
            .checked_sub(MAX_PROBLEMS)
            .filter(|&n| n > 0)
        {
            message.push_str(&format!("\n{origin}: … and {more} more problems"));
        }
        Error::config(None, message)
    }

    /// The `accounts` table: one table per vendor.
    fn vendors(&mut self, value: &Spanned<DeValue<'_>>, out: &mut Vec<ConfiguredAccount>) {
        let DeValue::Table(vendors) = value.get_ref() else {
            self.problem(
                value.span().start,
                "`accounts` must be a table: `[accounts.<vendor>.<name>]`".into(),
            );
            return;
        };
        for (key, value) in vendors {
            let slug = key.get_ref().as_ref();
            let vendor = match slug.parse::<Vendor>() {
                // One spelling per vendor, so that no two tables name one
                // account.
                Ok(vendor) if vendor.name() != slug => {
                    self.problem(
                        key.span().start,
                        format!("vendor `{}` is written `{vendor}`", shown(slug)),
                    );
                    continue;
                }
                Ok(vendor) if VendorInfo::of(vendor).is_some() => vendor,
                Ok(vendor) => {
                    self.problem(
                        key.span().start,
                        format!("vendor `{vendor}` is not compiled in (Cargo feature `{vendor}`)"),
                    );
                    continue;
                }
                Err(_) => {
                    let near = closest(slug, Vendor::ALL.map(Vendor::name))
                        .map(|near| format!("; did you mean `{near}`?"))
                        .unwrap_or_default();
                    let unknown = chatbots_runtime::UnknownVendor(shown(slug));
                    self.problem(key.span().start, format!("{unknown}{near}"));
                    continue;
                }
            };
            let DeValue::Table(accounts) = value.get_ref() else {
                self.problem(
                    value.span().start,
                    format!("`accounts.{vendor}` must be a table: `[accounts.{vendor}.<name>]`"),
                );
                continue;
            };
            for (name, value) in accounts {
                if let Some(account) = self.account(vendor, name, value) {
                    out.push(account);
                }
            }
        }
    }

    /// One `[accounts.<vendor>.<name>]` table.
    fn account(
        &mut self,
        vendor: Vendor,
        name: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<ConfiguredAccount> {
        let at = name.span().start;
        let name = name.get_ref().as_ref();
        let path = format!("accounts.{vendor}.{}", shown(name));
        let variables = credential_variables(vendor);
        let mut ok = true;
        if name == "default" {
            self.problem(
                at,
                format!(
                    "`{path}`: the default account of {vendor} is not configured here: it comes \
                     from the environment ({}); give this account another name",
                    variables.join(", ")
                ),
            );
            ok = false;
        } else if !is_account_name(name) {
            self.problem(
                at,
                format!("`{path}`: account name refused: {ACCOUNT_NAME_RULE}"),
            );
            ok = false;
        }
        let DeValue::Table(table) = value.get_ref() else {
            self.problem(
                value.span().start,
                format!("`{path}` must be a table: `[{path}]`"),
            );
            return None;
        };
        let mut base_url = None;
        // Per variable: not given, refused (already reported), or its source.
        let mut secrets: Vec<Option<Option<SecretSource>>> = vec![None; variables.len()];
        for (key, value) in table {
            let key_name = key.get_ref().as_ref();
            if key_name == "base_url" {
                match base_url_rule(value.get_ref()) {
                    Ok(url) => base_url = Some(url),
                    Err(rule) => {
                        self.problem(value.span().start, format!("`{path}.base_url` {rule}"));
                        ok = false;
                    }
                }
            } else if let Some(i) = variables.iter().position(|v| *v == key_name) {
                let source = source(value.get_ref());
                secrets[i] = Some(source.as_ref().ok().cloned());
                match source {
                    Ok(_) => {}
                    Err(rule) => {
                        self.problem(value.span().start, format!("`{path}.{key_name}` {rule}"));
                        ok = false;
                    }
                }
            } else {
                let near = closest(key_name, variables.iter().copied().chain(["base_url"]))
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
                self.problem(
                    key.span().start,
                    format!(
                        "`{path}`: unknown key `{}`: {vendor} takes {} and base_url{near}",
                        shown(key_name),
                        variables.join(", ")
                    ),
                );
                ok = false;
            }
        }
        let mut given = Vec::with_capacity(variables.len());
        for (variable, source) in variables.iter().zip(secrets) {
            match source {
                Some(Some(source)) => given.push((variable.to_string(), source)),
                Some(None) => {}
                None => {
                    self.problem(
                        at,
                        format!(
                            "`{path}` lacks {variable}: add `{variable} = {{ env = \"VAR\" }}` \
                             or `{variable} = {{ file = \"PATH\" }}`"
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then(|| ConfiguredAccount {
            vendor,
            name: name.to_string(),
            base_url,
            secrets: given,
            line: self.line(at),
        })
    }
}

/// The secret source `value` says, or the rule it breaks. Never repeats
/// the value: it may be the secret itself.
fn source(value: &DeValue<'_>) -> Result<SecretSource, String> {
    const EXPECTED: &str = "`{ env = \"VAR\" }` or `{ file = \"PATH\" }`";
    let DeValue::Table(table) = value else {
        return Err(format!(
            "holds a secret ({}): a config file says where each secret comes from and never \
             holds one; write {EXPECTED}",
            a(value)
        ));
    };
    let mut entries = table.iter();
    let (Some((key, value)), None) = (entries.next(), entries.next()) else {
        return Err(format!("must be exactly one of {EXPECTED}"));
    };
    let DeValue::String(text) = value.get_ref() else {
        return Err(format!("must be {EXPECTED}, with a string"));
    };
    match key.get_ref().as_ref() {
        "env" if text.is_empty() => Err("names an empty environment variable".into()),
        "env" if !is_variable_name(text) => Err(
            "`env` must name an environment variable: ASCII letters, digits and `_`, \
             not starting with a digit"
                .into(),
        ),
        "env" => Ok(SecretSource::Env(text.to_string())),
        "file" if text.is_empty() => Err("names an empty file path".into()),
        "file" if text.contains('\0') => Err("`file` must be a path, without NUL".into()),
        "file" if !(Path::new(text.as_ref()).is_absolute() || text.starts_with("~/")) => {
            Err("`file` must be an absolute path or start with `~/`".into())
        }
        "file" => Ok(SecretSource::File(PathBuf::from(text.as_ref()))),
        _ => Err(format!("must be exactly one of {EXPECTED}")),
    }
}

/// A portable environment variable name (POSIX's rule).
fn is_variable_name(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The base URL `value` holds, or the rule it breaks. The value is not
/// repeated: a URL can carry a password.
fn base_url_rule(value: &DeValue<'_>) -> Result<String, String> {
    const RULE: &str = "must be an http:// or https:// URL";
    let DeValue::String(url) = value else {
        return Err(format!("{RULE} string, not {}", a(value)));
    };
    let lower = url.to_ascii_lowercase();
    let Some(rest) = ["http://", "https://"]
        .into_iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
    else {
        return Err(RULE.into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("{RULE} with a host"));
    }
    if authority.contains('@') {
        return Err(format!(
            "{RULE} without credentials (`user:password@`): secrets come from `env` or `file`"
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{RULE}, without white space or control characters"));
    }
    Ok(url.to_string())
}

/// `a string`, `an array`: what `value` is, without what it holds.
fn a(value: &DeValue<'_>) -> String {
    let kind = value.type_str();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

/// `text` as an error shows a key or a name from the file: at most
/// [`SHOWN_CHARS`] characters (escaped when the error is displayed).
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
