//! Export: the fleet that describes what the vendors hold now.

use super::file::Fleet;
use super::plan::PlanOptions;
use crate::Chatbots;
use crate::error::Error;
use crate::model::Vendor;

impl Chatbots {
    /// A fleet describing the current state of every bot at `vendors`
    /// (the shared fields the vendor both reads and writes; vendor fields
    /// are not exported), in the order given, each vendor's bots in
    /// listing order. A vendor that cannot list is an error.
    pub async fn export(&self, vendors: &[Vendor], options: &PlanOptions) -> Result<Fleet, Error> {
        let _ = options;
        Err(Error::config(
            vendors.first().copied(),
            "export is not implemented yet",
        ))
    }
}
