//! Defaults: shared fields set once for many bots — for every bot
//! (`defaults:`) or for the bots of one account (`account_defaults:`) —
//! each with its line, merged into every bot that does not set the field
//! itself.

use std::collections::HashMap;

use super::file::{Place, Source, entries, set_field, shared, unknown_shared};
use super::problem::Problem;
use super::yaml::Node;
use crate::account::AccountRef;
use crate::field::Field;
use crate::model::{ChatbotPatch, Vendor};
use crate::{vendor_field, vendors};

/// One set of defaults: the values, and the line of each.
#[derive(Default)]
pub(super) struct Defaults {
    patch: ChatbotPatch,
    lines: HashMap<Field, usize>,
}

impl Defaults {
    /// Reads the shared fields of `node` (a map), noting each problem:
    /// `path` names it in problems (`defaults`,
    /// `account_defaults.okchat@client-a`). `vendor` is the account's
    /// vendor for an account's defaults: a field that vendor lacks is then
    /// refused (fleet-wide defaults apply where a vendor supports the
    /// field, and are never wrong for lacking it).
    pub(super) fn read(
        origin: &str,
        node: &Node,
        path: &str,
        vendor: Option<Vendor>,
        problems: &mut Vec<Problem>,
    ) -> Defaults {
        let mut defaults = Defaults::default();
        // The line of each field met, set or refused: a field given twice
        // is refused even when its first value was.
        let mut seen: HashMap<Field, usize> = HashMap::new();
        let fields = match entries(node, &format!("`{path}`")) {
            Ok(fields) => fields,
            Err(rule) => {
                problems.push(Problem::new(origin, Some(node.line), rule).field(path));
                return defaults;
            }
        };
        for (key, value) in fields {
            let name = key.key_text().unwrap_or_default();
            let at = |rule: String| {
                Problem::new(origin, Some(key.line), rule).field(format!("{path}.{name}"))
            };
            let Some(field) = shared(name) else {
                problems.push(at(match name {
                    "vendor" => "cannot be a default: each vendor has its own fields; \
                                 set `vendor` on each bot"
                        .into(),
                    // Never the value: it may be a credential put in the
                    // wrong file.
                    _ => unknown_shared(name, ""),
                }));
                continue;
            };
            let first = *seen.entry(field).or_insert(key.line);
            if first != key.line {
                problems.push(at(format!("is set twice (first on line {first})")));
            } else if let Some(vendor) = vendor.filter(|v| vendor_field(*v, field).is_none()) {
                problems.push(at(format!("{vendor} does not support `{name}`")));
            } else if let Err(rule) = set_field(&mut defaults.patch, field, value) {
                problems.push(at(rule));
            } else {
                defaults.lines.insert(field, key.line);
            }
        }
        defaults
    }
}

/// The defaults of each account named under `account_defaults:`.
#[derive(Default)]
pub(super) struct AccountDefaults {
    /// Each account with the line of its key, in file order.
    accounts: Vec<(AccountRef, usize, Defaults)>,
    /// Where each account is in `accounts`: a file may name many, and
    /// every bot looks its own up.
    index: HashMap<AccountRef, usize>,
}

impl AccountDefaults {
    /// Reads `account_defaults:`: a map of `vendor` or `vendor@account`
    /// ([`AccountRef`]'s text) to shared fields, noting each problem.
    pub(super) fn read(origin: &str, node: &Node, problems: &mut Vec<Problem>) -> AccountDefaults {
        let mut read = AccountDefaults::default();
        let accounts = match entries(node, "`account_defaults`") {
            Ok(accounts) => accounts,
            Err(rule) => {
                problems
                    .push(Problem::new(origin, Some(node.line), rule).field("account_defaults"));
                return read;
            }
        };
        for (key, value) in accounts {
            let text = key.key_text().unwrap_or_default();
            let at = |rule: String| {
                Problem::new(origin, Some(key.line), rule).field(format!("account_defaults.{text}"))
            };
            let account: AccountRef = match text.parse() {
                Ok(account) => account,
                Err(e) => {
                    problems.push(at(e.to_string()));
                    continue;
                }
            };
            if let Err(e) = vendors::find(account.vendor) {
                problems.push(at(e.message().to_string()));
                continue;
            }
            // `okchat` and `okchat@default` are one account.
            if let Some(&at_first) = read.index.get(&account) {
                let first = read.accounts[at_first].1;
                problems.push(at(format!("is set twice (first on line {first})")));
                continue;
            }
            let path = format!("account_defaults.{account}");
            let defaults = Defaults::read(origin, value, &path, Some(account.vendor), problems);
            read.index.insert(account.clone(), read.accounts.len());
            read.accounts.push((account, key.line, defaults));
        }
        read
    }

    /// Each account named, with the line of its key.
    pub(super) fn named(&self) -> Vec<(AccountRef, usize)> {
        self.accounts
            .iter()
            .map(|(account, line, _)| (account.clone(), *line))
            .collect()
    }

    /// The defaults of `account`, if it has any.
    fn of(&self, account: &AccountRef) -> Option<&Defaults> {
        let at = *self.index.get(account)?;
        Some(&self.accounts[at].2)
    }
}

/// Sets every field the bot does not set itself: from its account's
/// defaults, else from the fleet's where its vendor supports the field
/// (see the module docs of [`crate::fleet`]).
pub(super) fn merge(bot: &mut super::FleetBot, accounts: &AccountDefaults, fleet_wide: &Defaults) {
    let Ok(registered) = vendors::find(bot.bot.vendor) else {
        return;
    };
    let account = accounts.of(&bot.bot.account_ref());
    for field in Field::ALL {
        if bot.patch.sets(field) {
            continue;
        }
        let (defaults, line, source) = match account.and_then(|d| Some((d, d.lines.get(&field)?))) {
            Some((defaults, line)) => (defaults, *line, Source::Account),
            None => match fleet_wide.lines.get(&field) {
                Some(line) if (registered.field)(field).is_some() => {
                    (fleet_wide, *line, Source::Defaults)
                }
                _ => continue,
            },
        };
        // Only the one field is copied (not the whole patch, per field).
        bot.patch.copy_field(field, &defaults.patch);
        bot.places_mut()
            .insert(field.name(), Place { line, source });
    }
}
