//! Export: the fleet that describes what the vendors hold now, so a team
//! starts from what it has.

use serde_json::Map;

use super::file::{Fleet, FleetBot};
use super::plan::PlanOptions;
use super::{check, compare};
use crate::Chatbots;
use crate::error::{Error, Subject};
use crate::model::{AccountRef, BotRef, ChatbotPatch, Field, Vendor};
use crate::vendors;

impl Chatbots {
    /// A fleet describing the current state of every bot at `vendors`
    /// (their default accounts; see
    /// [`export_accounts`](Self::export_accounts) for others): the
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
        let accounts: Vec<AccountRef> = vendors.iter().copied().map(AccountRef::from).collect();
        self.export_accounts(&accounts, options).await
    }

    /// A fleet describing the current state of every bot of `accounts`,
    /// as [`export`](Self::export) does for default accounts: accounts in
    /// the order given, each bot as `vendor@account:id` (`vendor:id` in a
    /// default account), the header naming the accounts exported.
    /// Refused before anything is listed: an account this client does not
    /// know or whose secrets are not set, a vendor that cannot list, an
    /// account given twice (or under two names of one credential, which
    /// would list its bots twice).
    ///
    /// ```no_run
    /// use chatbots::fleet::PlanOptions;
    /// use chatbots::{AccountRef, Chatbots, Vendor};
    ///
    /// # async fn demo(bots: Chatbots) -> Result<(), Box<dyn std::error::Error>> {
    /// let accounts = [
    ///     "okchat@client-a".parse::<AccountRef>()?,
    ///     "okchat@client-b".parse()?,
    ///     AccountRef::default_of(Vendor::PureTalk),
    /// ];
    /// let fleet = bots.export_accounts(&accounts, &PlanOptions::new()).await?;
    /// std::fs::write("fleet.yaml", fleet.to_yaml())?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export_accounts(
        &self,
        accounts: &[AccountRef],
        options: &PlanOptions,
    ) -> Result<Fleet, Error> {
        self.check_export(accounts)?;
        let mut bots = Vec::new();
        // Values the vendor reports but its update would refuse (an old
        // model name, say): left out of the fleet, and said in its header.
        let mut left_out = Vec::new();
        for account in accounts {
            let registered = vendors::find(account.vendor)?;
            for found in self.list(account).await? {
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
        let names: Vec<String> = accounts.iter().map(AccountRef::to_string).collect();
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

    /// What [`export_accounts`](Self::export_accounts) refuses before
    /// listing anything.
    fn check_export(&self, accounts: &[AccountRef]) -> Result<(), Error> {
        for account in accounts {
            let vendor = account.vendor;
            if vendors::find(vendor)?.list_operation.is_none() {
                return Err(Error::unsupported(
                    vendor,
                    Subject::Operation("list".into()),
                ));
            }
            if let Some(problem) = self.account_problem(account) {
                return Err(Error::config(Some(vendor), problem));
            }
        }
        // One account under two names lists the same bots twice: the
        // fleet would then be refused for them.
        let probes: Vec<BotRef> = accounts
            .iter()
            .map(|account| BotRef::in_account(account.clone(), "-"))
            .collect();
        if let Some((again, first)) = self.repeats(&probes).into_iter().next() {
            let (first, again) = (&accounts[first], &accounts[again]);
            let rule = match first == again {
                true => format!("{again} is given twice"),
                false => format!(
                    "{first} and {again} are one account (the same credential at the same server): its bots would be exported twice"
                ),
            };
            return Err(Error::config(Some(again.vendor), rule));
        }
        Ok(())
    }
}
