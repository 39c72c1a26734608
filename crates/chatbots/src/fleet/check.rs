//! The vendors' rules for a fleet, checked before anything is sent.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::file::{Fleet, FleetBot};
use super::problem::{FleetError, Problem, closest};
use crate::error::{Error, ErrorKind};
use crate::model::{AccountRef, BotRef, ChatbotPatch, Field, Vendor};
use crate::vendors::{self, Driver};
use crate::{Chatbots, VendorPatch, credential_variables, vendor_field};

impl Chatbots {
    /// Checks every bot of `fleet` against its vendor's rules: shared
    /// fields the vendor lacks, values outside its documented ranges or
    /// enums ([`check_update`](Chatbots::check_update)), vendor fields its
    /// update request does not have, and the accounts: a bot whose account
    /// this client does not know or whose secrets are not set, an
    /// `account_defaults` entry naming an account this client does not
    /// know. Every problem is reported, each with its line. Nothing is
    /// sent. ([`Fleet::parse`] already checks all but the accounts: for a
    /// fleet it returns only those are checked here, the vendors' rules
    /// are not run a second time.)
    ///
    /// ```
    /// use chatbots::Chatbots;
    /// use chatbots::fleet::{Fleet, FleetBot};
    /// use chatbots::{BotRef, ChatbotPatch, Vendor};
    ///
    /// let bots = Chatbots::builder().okchat_api_key("0123abcd").build().unwrap();
    /// let bot = FleetBot::new(
    ///     BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f"),
    ///     ChatbotPatch::new().temperature(0.5),
    ///     Default::default(),
    /// );
    /// let err = bots.check_fleet(&Fleet::from_bots("code", vec![bot])).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "code: okchat:3317853e-0af2-427d-a56f-351a9587f48f: temperature: okchat does not support `temperature`"
    /// );
    /// ```
    pub fn check_fleet(&self, fleet: &Fleet) -> Result<(), FleetError> {
        let mut rules = Rules::default();
        let mut problems = Vec::new();
        for (account, line) in &fleet.accounts_named {
            if self.account(account).is_none() {
                problems.push(
                    Problem::new(fleet.origin(), Some(*line), self.unknown_account(account))
                        .field(format!("account_defaults.{account}")),
                );
            }
        }
        for bot in fleet.bots() {
            if let Some(rule) = self.account_problem(&bot.bot.account_ref()) {
                problems.push(bot.problem(fleet.origin(), None, rule));
            }
            if !fleet.rules_checked {
                problems.extend(rules.problems(fleet.origin(), bot, true));
            }
        }
        FleetError::check(problems)
    }
}

impl Chatbots {
    /// Why nothing can be sent through `account`, if nothing can: it is
    /// not known, or a secret of it is not set.
    pub(super) fn account_problem(&self, account: &AccountRef) -> Option<String> {
        let Some(known) = self.account(account) else {
            return Some(self.unknown_account(account));
        };
        if known.is_usable() {
            return None;
        }
        if account.is_default() {
            // As before accounts: what to set, by variable.
            let vendor = account.vendor;
            let vars = credential_variables(vendor).join(" and ");
            return Some(format!(
                "no credentials for {vendor}: {vars} is not set (or configure it with Chatbots::builder())"
            ));
        }
        known.problem.clone()
    }

    /// Why `account`, unknown to this client, is refused: with the ones
    /// it knows at that vendor.
    pub(super) fn unknown_account(&self, account: &AccountRef) -> String {
        let known: Vec<String> = self
            .accounts()
            .iter()
            .filter(|a| a.account.vendor == account.vendor)
            .map(|a| a.account.to_string())
            .collect();
        format!(
            "no account `{account}` in this client (it knows {}; add one with ChatbotsBuilder::account or in the config file)",
            known.join(", ")
        )
    }
}

/// The vendors' rules, checked without a client: what
/// [`Chatbots::check_update`] checks (the update body built and validated
/// against the spec, the rules between fields), by a driver without
/// credentials, made once per vendor. This is what lets [`Fleet::parse`]
/// report rule problems with the file's other problems, before any
/// client exists.
#[derive(Default)]
pub(crate) struct Rules {
    drivers: HashMap<Vendor, Option<Arc<dyn Driver>>>,
    /// Each vendor's update-request schema, parsed once, for "did you
    /// mean" (`None` when it has none or it does not parse).
    schemas: HashMap<Vendor, Option<Value>>,
}

impl Rules {
    /// Every rule problem of one bot. Its whole desired patch is checked
    /// first (the common case: it passes, and nothing else is needed);
    /// when refused, each field on its own, so that each is named, then
    /// the whole again for rules between fields. `whole` is false for a
    /// bot that has structure problems: its patch is partial, so only its
    /// fields alone are checked.
    pub(crate) fn problems(&mut self, origin: &str, bot: &FleetBot, whole: bool) -> Vec<Problem> {
        let vendor = bot.bot.vendor;
        let desired = desired_patch(bot);
        if whole
            && let Ok(patch) = &desired
            && self.refused(&bot.bot, patch).is_none()
        {
            return Vec::new();
        }
        let mut problems = Vec::new();
        for field in Field::ALL {
            if !bot.patch.sets(field) {
                continue;
            }
            let name = field.name();
            if vendor_field(vendor, field).is_none() {
                problems.push(bot.problem(
                    origin,
                    Some(name),
                    format!("{vendor} does not support `{name}`"),
                ));
                continue;
            }
            if let Some(e) = self.refused(&bot.bot, &only(&bot.patch, field)) {
                problems.push(bot.problem(origin, Some(name), rule(&e)));
            }
        }
        for (key, value) in &bot.vendor_fields {
            let dotted = format!("vendor.{key}");
            let mut one = Map::new();
            one.insert(key.clone(), value.clone());
            let refusal = match VendorPatch::from_json(vendor, &one) {
                Err(e) => Some(self.with_suggestion(vendor, &e)),
                Ok(patch) => self
                    .refused(&bot.bot, &ChatbotPatch::new().vendor_patch(patch))
                    .map(|e| rule(&e)),
            };
            if let Some(refusal) = refusal {
                problems.push(bot.problem(origin, Some(&dotted), refusal));
            }
        }
        if !problems.is_empty() || !whole {
            return problems;
        }
        match desired {
            Err(e) => problems.push(bot.problem(origin, Some("vendor"), rule(&e))),
            Ok(patch) if patch.is_empty() => {}
            Ok(patch) => {
                if let Some(e) = self.refused(&bot.bot, &patch) {
                    let field = field_of(bot, &e);
                    problems.push(bot.problem(origin, field.as_deref(), rule(&e)));
                }
            }
        }
        problems
    }

    /// The error of the vendor's rules for `patch`, if any. The driver
    /// has no client, so a patch that passes ends in a configuration
    /// error ("no credentials"): configuration is not the file's problem
    /// (a vendor without credentials is [`Chatbots::check_fleet`]'s, once
    /// per bot).
    fn refused(&mut self, bot: &BotRef, patch: &ChatbotPatch) -> Option<Error> {
        let driver = self
            .drivers
            .entry(bot.vendor)
            .or_insert_with(|| {
                let registered = vendors::find(bot.vendor).ok()?;
                (registered.connect)(None).ok()
            })
            .as_ref()?;
        match driver.check(bot, patch) {
            Ok(()) => None,
            Err(e) if matches!(e.kind(), ErrorKind::Config) => None,
            Err(e) => Some(e),
        }
    }

    /// The rule of a refused vendor field, with the closest field the
    /// vendor's update request has when the key is unknown (a typo).
    fn with_suggestion(&mut self, vendor: Vendor, e: &Error) -> String {
        let mut said = rule(e);
        if let ErrorKind::Unsupported { field } = e.kind()
            && let Some(near) = self.nearest_field(vendor, field.as_str())
        {
            said.push_str(&format!(" (did you mean `{near}`?)"));
        }
        said
    }

    /// The update-request field nearest to `path` (`voice_bost`,
    /// `settings.snipet`, `items[0].nam`), spelled as `path` with its last
    /// key corrected.
    fn nearest_field(&mut self, vendor: Vendor, path: &str) -> Option<String> {
        let schema = self
            .schemas
            .entry(vendor)
            .or_insert_with(|| {
                let registered = vendors::find(vendor).ok()?;
                let json = (registered.update_operation)().request_schema_json?;
                serde_json::from_str(json).ok()
            })
            .as_ref()?;
        let (parent, last) = match path.rfind('.') {
            Some(dot) => (&path[..dot], &path[dot + 1..]),
            None => ("", path),
        };
        let mut at = schema;
        for segment in parent.split('.').filter(|s| !s.is_empty()) {
            let (key, indexed) = match segment.find('[') {
                Some(open) => (&segment[..open], true),
                None => (segment, false),
            };
            at = properties(schema, at)?.get(key)?;
            if indexed {
                at = resolve(schema, at).get("items")?;
            }
        }
        let (key, index) = match last.find('[') {
            Some(open) => (&last[..open], &last[open..]),
            None => (last, ""),
        };
        let near = closest(key, properties(schema, at)?.keys().map(String::as_str))?;
        Some(format!("{}{near}{index}", &path[..path.len() - last.len()]))
    }
}

/// The properties an object schema names, through a `$ref` to the root's
/// `$defs` and through `anyOf`/`oneOf`/`allOf` (a nullable object).
fn properties<'s>(root: &'s Value, schema: &'s Value) -> Option<&'s Map<String, Value>> {
    let schema = resolve(root, schema);
    if let Some(found) = schema.get("properties").and_then(Value::as_object) {
        return Some(found);
    }
    ["anyOf", "oneOf", "allOf"]
        .into_iter()
        .filter_map(|k| schema.get(k).and_then(Value::as_array))
        .flatten()
        .find_map(|member| {
            let member = resolve(root, member);
            member.get("properties").and_then(Value::as_object)
        })
}

/// `schema`, or what its `$ref` (`#/$defs/Name`) points to.
fn resolve<'s>(root: &'s Value, schema: &'s Value) -> &'s Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root.pointer(pointer))
        .unwrap_or(schema)
}

/// The whole patch a bot's desired state amounts to: shared fields and
/// the vendor fields.
pub(crate) fn desired_patch(bot: &FleetBot) -> Result<ChatbotPatch, Error> {
    let mut patch = bot.patch.clone();
    if !bot.vendor_fields.is_empty() {
        patch = patch.vendor_patch(VendorPatch::from_json(bot.bot.vendor, &bot.vendor_fields)?);
    }
    Ok(patch)
}

/// `patch` with only `field` set.
pub(crate) fn only(patch: &ChatbotPatch, field: Field) -> ChatbotPatch {
    patch.only(field)
}

/// The rule an error states, without the vendor prefix the field line
/// already gives.
pub(crate) fn rule(e: &Error) -> String {
    match e.kind() {
        ErrorKind::InvalidInput { field, rule } => format!("`{field}` {rule}"),
        ErrorKind::Unsupported { field } => match e.vendor() {
            Some(vendor) => format!("{vendor} does not support `{field}`"),
            None => format!("`{field}` is not supported"),
        },
        _ => e.to_string(),
    }
}

/// The fleet field an error of the whole patch is about, where it can be
/// told: a shared field by name, a vendor field by its first key.
fn field_of(bot: &FleetBot, e: &Error) -> Option<String> {
    let named = match e.kind() {
        ErrorKind::InvalidInput { field, .. } | ErrorKind::Unsupported { field } => field.as_str(),
        _ => return None,
    };
    // By name: a vendor's schema names its field like the shared one
    // (Converza's `temperature`), and the fleet file sets the shared one.
    if let Some(field) = Field::from_name(named) {
        return bot.patch.sets(field).then(|| field.name().to_string());
    }
    let first = named.split(['.', '[']).next().unwrap_or_default();
    bot.vendor_fields
        .contains_key(first)
        .then(|| format!("vendor.{first}"))
}
