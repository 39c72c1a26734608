//! The vendors' rules for a fleet, checked before anything is sent.

use serde_json::Map;

use super::file::{Fleet, FleetBot};
use super::problem::{FleetError, Problem};
use crate::error::{Error, ErrorKind};
use crate::model::{ChatbotPatch, Field};
use crate::{Chatbots, VendorPatch, credential_variables, vendor_field};

impl Chatbots {
    /// Checks every bot of `fleet` against its vendor's rules: shared
    /// fields the vendor lacks, values outside its documented ranges or
    /// enums ([`check_update`](Chatbots::check_update)), vendor fields its
    /// update request does not have, and bots at vendors this client has
    /// no credentials for. Every problem is reported, each with its line.
    /// Nothing is sent.
    ///
    /// ```
    /// use chatbots::Chatbots;
    /// use chatbots::fleet::Fleet;
    ///
    /// let bots = Chatbots::builder().okchat_api_key("0123abcd").build().unwrap();
    /// let fleet = Fleet::parse(
    ///     "bots:\n  okchat:3317853e-0af2-427d-a56f-351a9587f48f:\n    temperature: 0.5\n",
    ///     "fleet.yaml",
    /// )
    /// .unwrap();
    /// let err = bots.check_fleet(&fleet).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "fleet.yaml:3: okchat:3317853e-0af2-427d-a56f-351a9587f48f: temperature: okchat does not support `temperature`"
    /// );
    /// ```
    pub fn check_fleet(&self, fleet: &Fleet) -> Result<(), FleetError> {
        let mut problems = Vec::new();
        for bot in fleet.bots() {
            problems.extend(self.check_bot(fleet.origin(), bot));
        }
        FleetError::check(problems)
    }

    /// Every problem of one bot: each field checked on its own first, so
    /// that each is named; then the whole patch, for rules between fields.
    fn check_bot(&self, origin: &str, bot: &FleetBot) -> Vec<Problem> {
        let vendor = bot.bot.vendor;
        let mut problems = Vec::new();
        if !self.vendors().contains(&vendor) {
            let vars = credential_variables(vendor).join(" and ");
            problems.push(bot.problem(
                origin,
                None,
                format!("no credentials for {vendor}: {vars} is not set (or configure it with Chatbots::builder())"),
            ));
        }
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
            let alone = only(&bot.patch, field);
            if let Some(rule) = self.refusal(bot, &alone) {
                problems.push(bot.problem(origin, Some(name), rule));
            }
        }
        for (key, value) in &bot.vendor_fields {
            let dotted = format!("vendor.{key}");
            let mut one = Map::new();
            one.insert(key.clone(), value.clone());
            let rule = match VendorPatch::from_json(vendor, &one) {
                Err(e) => Some(rule(&e)),
                Ok(patch) => self.refusal(bot, &ChatbotPatch::new().vendor_patch(patch)),
            };
            if let Some(rule) = rule {
                problems.push(bot.problem(origin, Some(&dotted), rule));
            }
        }
        if !problems.is_empty() {
            return problems;
        }
        match desired_patch(bot) {
            Err(e) => problems.push(bot.problem(origin, Some("vendor"), rule(&e))),
            Ok(patch) if patch.is_empty() => {}
            Ok(patch) => {
                if let Some(e) = self.refused(bot, &patch) {
                    let field = field_of(bot, &e);
                    problems.push(bot.problem(origin, field.as_deref(), rule(&e)));
                }
            }
        }
        problems
    }

    /// Why the vendor's rules refuse `patch` for `bot`, if they do.
    fn refusal(&self, bot: &FleetBot, patch: &ChatbotPatch) -> Option<String> {
        self.refused(bot, patch).map(|e| rule(&e))
    }

    /// The error of the vendor's rules for `patch`, if any. A vendor
    /// without credentials is reported once per bot, not per field.
    fn refused(&self, bot: &FleetBot, patch: &ChatbotPatch) -> Option<Error> {
        match self.check_update(&bot.bot, patch) {
            Ok(()) => None,
            Err(e) if matches!(e.kind(), ErrorKind::Config) => None,
            Err(e) => Some(e),
        }
    }
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
    let mut alone = ChatbotPatch::new();
    match field {
        Field::Name => alone.name.clone_from(&patch.name),
        Field::Description => alone.description.clone_from(&patch.description),
        Field::Instructions => alone.instructions.clone_from(&patch.instructions),
        Field::Model => alone.model.clone_from(&patch.model),
        Field::Temperature => alone.temperature = patch.temperature,
        Field::Greeting => alone.greeting.clone_from(&patch.greeting),
        Field::Language => alone.language.clone_from(&patch.language),
        Field::Timezone => alone.timezone.clone_from(&patch.timezone),
    }
    alone
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
        ErrorKind::InvalidInput { field, .. } | ErrorKind::Unsupported { field } => field,
        _ => return None,
    };
    if let Some(field) = Field::ALL.into_iter().find(|f| f.name() == named) {
        return bot.patch.sets(field).then(|| field.name().to_string());
    }
    let first = named.split(['.', '[']).next().unwrap_or_default();
    bot.vendor_fields
        .contains_key(first)
        .then(|| format!("vendor.{first}"))
}
