//! Accounts: several credentials per vendor (an agency's clients, staging
//! and production), each reached by name.
//!
//! An account is a vendor, a name and that vendor's credentials (and
//! optionally a base URL). Each vendor's *default* account is the one
//! [`ChatbotsBuilder::from_env`](crate::ChatbotsBuilder::from_env) reads
//! (`OKCHAT_API_KEY`, …); more come from code
//! ([`ChatbotsBuilder::account`](crate::ChatbotsBuilder::account)) or from
//! a config file ([`crate::config`]). A bot names its account:
//! `okchat@client-a:<id>`; `okchat:<id>` is the default account's.

use std::fmt;

use crate::model::{ParseBotRefError, Vendor};

/// The name the default account answers to in `vendor@default:id`.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The longest account name.
pub const MAX_ACCOUNT_NAME: usize = 64;

/// One account at one vendor, by name: `okchat` (the default account) or
/// `okchat@client-a`.
///
/// ```
/// use chatbots::{AccountRef, Vendor};
///
/// let client_a: AccountRef = "okchat@client-a".parse().unwrap();
/// assert_eq!(client_a, AccountRef::new(Vendor::OkChat, "client-a"));
/// assert_eq!(client_a.to_string(), "okchat@client-a");
/// assert_eq!(client_a.name(), "client-a");
///
/// // A vendor alone is its default account.
/// let default: AccountRef = Vendor::OkChat.into();
/// assert!(default.is_default());
/// assert_eq!(default.to_string(), "okchat");
/// assert_eq!("okchat@default".parse::<AccountRef>().unwrap(), default);
///
/// // Names that could not round-trip in `vendor@account:id` are refused.
/// let err = AccountRef::try_new(Vendor::OkChat, "client:a").unwrap_err();
/// assert!(err.to_string().contains("letters, digits"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountRef {
    /// The vendor.
    pub vendor: Vendor,
    /// The account's name; `None` for the default account. Never
    /// `Some("default")`: the constructors normalise it.
    pub account: Option<String>,
}

impl AccountRef {
    /// `vendor`'s default account.
    pub fn default_of(vendor: Vendor) -> Self {
        Self {
            vendor,
            account: None,
        }
    }

    /// The account `name` at `vendor`, taken as given (`default` is the
    /// default account); see [`try_new`](Self::try_new) for a name from
    /// outside the program.
    pub fn new(vendor: Vendor, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            vendor,
            account: (name != DEFAULT_ACCOUNT).then_some(name),
        }
    }

    /// The account `name` at `vendor`, refused when the name breaks the
    /// rule: 1 to 64 ASCII letters, digits, `-`, `_` or `.`, starting with a
    /// letter or a digit.
    pub fn try_new(vendor: Vendor, name: &str) -> Result<Self, ParseBotRefError> {
        name_rule(name)
            .map(|()| Self::new(vendor, name))
            .map_err(|rule| ParseBotRefError::account(&format!("{vendor}@{name}"), rule))
    }

    /// The account's name: `default` for the default account.
    pub fn name(&self) -> &str {
        self.account.as_deref().unwrap_or(DEFAULT_ACCOUNT)
    }

    /// Whether this is the vendor's default account.
    pub fn is_default(&self) -> bool {
        self.account.is_none()
    }
}

impl From<Vendor> for AccountRef {
    fn from(vendor: Vendor) -> Self {
        Self::default_of(vendor)
    }
}

impl From<&AccountRef> for AccountRef {
    fn from(account: &AccountRef) -> Self {
        account.clone()
    }
}

impl fmt::Display for AccountRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            None => write!(f, "{}", self.vendor),
            Some(name) => write!(f, "{}@{name}", self.vendor),
        }
    }
}

/// Parses `vendor` or `vendor@account`, as [`AccountRef`] displays itself.
impl std::str::FromStr for AccountRef {
    type Err = ParseBotRefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_account(text).map_err(|rule| ParseBotRefError::account(text, rule))
    }
}

/// As the `vendor@account` text.
impl serde::Serialize for AccountRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `vendor` or `vendor@account`, or the rule it breaks.
pub(crate) fn parse_account(text: &str) -> Result<AccountRef, String> {
    let (vendor, name) = match text.split_once('@') {
        Some((vendor, name)) => (vendor, Some(name)),
        None => (text, None),
    };
    let vendor: Vendor = vendor.parse().map_err(|e| format!("{e}"))?;
    match name {
        None => Ok(AccountRef::default_of(vendor)),
        Some(name) => {
            name_rule(name)?;
            Ok(AccountRef::new(vendor, name))
        }
    }
}

/// Why `name` may not name an account, if it may not: 1 to
/// [`MAX_ACCOUNT_NAME`] ASCII letters, digits, `-`, `_` or `.`, starting
/// with a letter or a digit — so that `vendor@account:id` always splits
/// back into its parts and a name never acts on a terminal.
pub(crate) fn name_rule(name: &str) -> Result<(), String> {
    const RULE: &str = crate::config::ACCOUNT_NAME_RULE;
    if name.is_empty() {
        return Err(format!("empty account name ({RULE})"));
    }
    if name.len() > MAX_ACCOUNT_NAME {
        return Err(format!(
            "the account name is {} bytes long ({RULE})",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the account name contains `{}` ({RULE})",
            c.escape_default()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("the account name starts with a symbol ({RULE})"));
    }
    Ok(())
}

pub use crate::config::SecretSource;

/// One secret of an account: which credential it is, where it comes from,
/// whether it was found. Never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretOrigin {
    /// The credential, by the vendor's variable name (`OKCHAT_API_KEY`).
    pub variable: String,
    /// Where it comes from.
    pub source: SecretSource,
    /// Whether it was found (set and not empty, or the file readable).
    pub set: bool,
}

/// What a client knows of one account: never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// Which account.
    pub account: AccountRef,
    /// The base URL its requests go to.
    pub base_url: String,
    /// Where each of its secrets comes from, in the order of the vendor's
    /// [`credential_variables`](crate::credential_variables).
    pub secrets: Vec<SecretOrigin>,
    /// Why it cannot be used, if it cannot (a secret not set, a file not
    /// readable).
    pub problem: Option<String>,
}

impl Account {
    /// Whether calls can be made with it.
    pub fn is_usable(&self) -> bool {
        self.problem.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_round_trip_are_refused() {
        for bad in [
            "",
            "a:b",
            "a@b",
            "a b",
            "-a",
            ".a",
            "a\u{1b}",
            "é",
            &"a".repeat(65),
        ] {
            assert!(name_rule(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "client-a", "Client_B.prod", "7", &"a".repeat(64)] {
            assert!(name_rule(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn every_valid_account_round_trips() {
        for vendor in Vendor::ALL {
            for name in ["default", "client-a", "x.y_z-1"] {
                let account = AccountRef::try_new(vendor, name).unwrap();
                let back: AccountRef = account.to_string().parse().unwrap();
                assert_eq!(back, account);
                let bot = crate::BotRef::in_account(account.clone(), "id:with:colons");
                let back: crate::BotRef = bot.to_string().parse().unwrap();
                assert_eq!(back, bot);
            }
        }
    }
}
