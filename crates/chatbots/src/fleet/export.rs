//! Export: the fleet that describes what the vendors hold now, so a team
//! starts from what it has.

use serde_json::Map;

use super::compare;
use super::file::{Fleet, FleetBot};
use super::plan::PlanOptions;
use crate::Chatbots;
use crate::error::Error;
use crate::model::{ChatbotPatch, Field, Vendor};
use crate::vendors;

impl Chatbots {
    /// A fleet describing the current state of every bot at `vendors`: the
    /// shared fields the vendor both reads and writes (vendor fields are
    /// not exported), vendors in the order given, each vendor's bots in
    /// listing order. Planning it shows no change. A vendor that cannot
    /// list, or whose listing fails, is an error.
    ///
    /// ```no_run
    /// use chatbots::fleet::PlanOptions;
    /// use chatbots::{Chatbots, Vendor};
    ///
    /// # async fn demo(bots: Chatbots) -> Result<(), Box<dyn std::error::Error>> {
    /// let fleet = bots.export(&[Vendor::OkChat, Vendor::PureTalk], &PlanOptions::new()).await?;
    /// std::fs::write("fleet.yaml", fleet.to_yaml())?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export(&self, vendors: &[Vendor], options: &PlanOptions) -> Result<Fleet, Error> {
        let mut bots = Vec::new();
        for &vendor in vendors {
            let registered = vendors::find(vendor)?;
            if registered.list_operation.is_none() {
                return Err(Error::unsupported(vendor, "list"));
            }
            for found in self.list(vendor).await? {
                let mut patch = ChatbotPatch::new();
                for field in Field::ALL {
                    if (registered.field)(field).is_none() {
                        continue;
                    }
                    match field {
                        // As the vendor would take it back: a 32-bit
                        // float's shortest decimal.
                        Field::Temperature => {
                            patch.temperature =
                                found.temperature.and_then(|t| compare::number(t).as_f64());
                        }
                        _ => {
                            if let Some(value) = found.field(field) {
                                patch = set(patch, field, value);
                            }
                        }
                    }
                }
                bots.push(FleetBot::new(found.bot, patch, Map::new()));
                if let Some(hook) = &options.progress {
                    hook(bots.len(), bots.len());
                }
            }
        }
        let names: Vec<&str> = vendors.iter().map(|v| v.name()).collect();
        Ok(Fleet::from_bots("export", bots).with_header([
            format!("Exported by chatbots from: {}.", names.join(", ")),
            "Shared fields only; add a bot's own fields under `vendor:`.".to_string(),
        ]))
    }
}

/// `patch` with the text `field` set to `value`.
fn set(patch: ChatbotPatch, field: Field, value: String) -> ChatbotPatch {
    match field {
        Field::Name => patch.name(value),
        Field::Description => patch.description(value),
        Field::Instructions => patch.instructions(value),
        Field::Model => patch.model(value),
        Field::Greeting => patch.greeting(value),
        Field::Language => patch.language(value),
        Field::Timezone => patch.timezone(value),
        Field::Temperature => patch,
    }
}
