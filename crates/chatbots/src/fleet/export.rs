//! Export: the fleet that describes what the vendors hold now, so a team
//! starts from what it has.

use serde_json::Map;

use super::file::{Fleet, FleetBot};
use super::plan::PlanOptions;
use super::{check, compare};
use crate::Chatbots;
use crate::error::{Error, Subject};
use crate::model::{ChatbotPatch, Field, Vendor};
use crate::vendors;

impl Chatbots {
    /// A fleet describing the current state of every bot at `vendors`: the
    /// shared fields the vendor both reads and writes (vendor fields are
    /// not exported), vendors in the order given, each vendor's bots in
    /// listing order. Planning it shows no change. A value the vendor
    /// reports but its update would refuse (a retired model name) is left
    /// out, and listed in the header comment of
    /// [`Fleet::to_yaml`](super::Fleet::to_yaml). A vendor that cannot
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
        // Values the vendor reports but its update would refuse (an old
        // model name, say): left out of the fleet, and said in its header.
        let mut left_out = Vec::new();
        for &vendor in vendors {
            let registered = vendors::find(vendor)?;
            if registered.list_operation.is_none() {
                return Err(Error::unsupported(
                    vendor,
                    Subject::Operation("list".into()),
                ));
            }
            for found in self.list(vendor).await? {
                let mut patch = ChatbotPatch::new();
                for (field, value) in found.fields() {
                    if (registered.field)(field).is_none() {
                        continue;
                    }
                    // As the vendor would take it back: a 32-bit float's
                    // shortest decimal.
                    if let Err(e) = patch.set(field, compare::returned(&value)) {
                        left_out.push(format!("  {}: {}", found.bot, e));
                    }
                }
                for field in Field::ALL {
                    if !patch.sets(field) {
                        continue;
                    }
                    if let Err(e) = self.check_update(&found.bot, &check::only(&patch, field)) {
                        left_out.push(format!("  {}: {field}: {}", found.bot, check::rule(&e)));
                        patch.clear(field);
                    }
                }
                bots.push(FleetBot::new(found.bot, patch, Map::new()));
                if let Some(hook) = &options.progress {
                    hook(bots.len(), bots.len());
                }
            }
        }
        let names: Vec<&str> = vendors.iter().map(|v| v.name()).collect();
        let mut header = vec![
            format!("Exported by chatbots from: {}.", names.join(", ")),
            "Shared fields only; add a bot's own fields under `vendor:`.".to_string(),
        ];
        if !left_out.is_empty() {
            header
                .push("Left out, as the vendor's update would refuse the value it reports:".into());
            header.extend(left_out);
        }
        Ok(Fleet::from_bots("export", bots).with_header(header))
    }
}
