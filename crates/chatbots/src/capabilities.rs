//! What the facade knows about each vendor without a client: which calls
//! it can make ([`VendorInfo`]), where each shared field goes, and the
//! capability table rendered from both ([`table`]).

use std::fmt;

use chatbots_runtime::RateLimit;

use crate::field::Field;
use crate::model::Vendor;
use crate::vendors::{self, Registered};

/// The facts about one vendor compiled into the facade: its calls,
/// credentials, production URL, documented rate limit and shared fields.
/// Nothing here needs credentials or a client.
///
/// ```
/// use chatbots::{Field, Vendor, VendorInfo};
///
/// let okchat = VendorInfo::of(Vendor::OkChat).expect("the okchat feature is on");
/// assert!(okchat.can_get() && okchat.can_list());
/// assert_eq!(okchat.credential_variables(), ["OKCHAT_API_KEY"]);
/// assert!(okchat.default_base_url().starts_with("https://"));
/// assert_eq!(okchat.field_target(Field::Instructions), Some("/settings/prompt"));
/// assert!(okchat.fields().any(|f| f == Field::Greeting));
///
/// // StreamSkill documents its limit: 30 at once, then 2 per second.
/// let streamskill = VendorInfo::of(Vendor::StreamSkill).unwrap();
/// assert_eq!(streamskill.rate_limit().map(|l| l.burst), Some(30));
/// // Every vendor compiled in, alphabetical by slug (`Vendor::ALL`'s order).
/// assert!(VendorInfo::all().map(|v| v.vendor()).is_sorted_by_key(|v| v.name()));
/// ```
#[derive(Clone, Copy)]
pub struct VendorInfo {
    registered: &'static Registered,
}

impl VendorInfo {
    /// The facts about `vendor`; `None` when its Cargo feature is off.
    pub fn of(vendor: Vendor) -> Option<VendorInfo> {
        vendors::find(vendor)
            .ok()
            .map(|registered| VendorInfo { registered })
    }

    /// Every vendor compiled in, in [`Vendor::ALL`] order (alphabetical by
    /// slug).
    pub fn all() -> impl Iterator<Item = VendorInfo> {
        Vendor::ALL.into_iter().filter_map(VendorInfo::of)
    }

    /// The vendor.
    pub fn vendor(self) -> Vendor {
        self.registered.vendor
    }

    /// Whether the facade can read one of its bots
    /// ([`Chatbots::get`](crate::Chatbots::get)): the vendor has a read
    /// endpoint.
    pub fn can_get(self) -> bool {
        self.registered.get_operation.is_some()
    }

    /// Whether the facade can list its bots
    /// ([`Chatbots::list`](crate::Chatbots::list)): the vendor has a list
    /// endpoint.
    pub fn can_list(self) -> bool {
        self.registered.list_operation.is_some()
    }

    /// The read operation, as the spec names it (`getChatbot`), if any.
    pub fn get_operation(self) -> Option<&'static str> {
        self.registered.get_operation
    }

    /// The list operation, as the spec names it (`listChatbots`), if any.
    pub fn list_operation(self) -> Option<&'static str> {
        self.registered.list_operation
    }

    /// The environment variables that hold its credentials, in the order
    /// [`ChatbotsBuilder::from_env`](crate::ChatbotsBuilder::from_env)
    /// reads them.
    pub fn credential_variables(self) -> &'static [&'static str] {
        self.registered.credentials
    }

    /// Its production base URL (the spec's first server), used unless
    /// [`ChatbotsBuilder::base_url`](crate::ChatbotsBuilder::base_url) or
    /// `<VENDOR>_BASE_URL` sets another.
    pub fn default_base_url(self) -> &'static str {
        self.registered.default_base_url
    }

    /// The rate limit its spec documents, if it documents one
    /// ([`Chatbots::rate_limit`](crate::Chatbots::rate_limit) says what a
    /// client is paced to, configuration included).
    pub fn rate_limit(self) -> Option<RateLimit> {
        self.registered.rate_limit
    }

    /// The shared fields it maps, in [`Field::ALL`] order.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(move |field| (self.registered.field)(*field).is_some())
    }

    /// Where `field` goes in its update body, as a JSON pointer
    /// (`/settings/prompt`); `None` when it does not support the field.
    pub fn field_target(self, field: Field) -> Option<&'static str> {
        (self.registered.field)(field).map(|(target, _)| target.pointer)
    }
}

impl fmt::Debug for VendorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendorInfo")
            .field("vendor", &self.vendor())
            .field("can_get", &self.can_get())
            .field("can_list", &self.can_list())
            .field("credential_variables", &self.credential_variables())
            .field("default_base_url", &self.default_base_url())
            .field("rate_limit", &self.rate_limit())
            .field("fields", &self.fields().collect::<Vec<_>>())
            .finish()
    }
}

/// The capability table as Markdown: vendor × shared field → the vendor's
/// field it is sent as (with the conversion, if any), or "—" when the
/// vendor does not support it; then the read and list operations.
///
/// Columns are the vendors compiled in, in [`Vendor::ALL`] order
/// (alphabetical by slug), whatever the order of the facade's registry;
/// rows are [`Field::ALL`]. The README's table is this text.
///
/// ```
/// use chatbots::Vendor;
/// let table = chatbots::capabilities::table();
/// // A column per vendor compiled in (all of them by default), in order.
/// let header: Vec<String> = Vendor::ALL.iter().map(|v| format!(" {v} |")).collect();
/// assert!(table.starts_with(&format!("| field |{}\n", header.concat())));
/// assert!(table.contains("| `instructions` |"));
/// ```
pub fn table() -> String {
    let all: Vec<VendorInfo> = VendorInfo::all().collect();
    let mut out = String::from("| field |");
    for info in &all {
        out.push_str(&format!(" {} |", info.vendor()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(all.len()));
    out.push('\n');
    for field in Field::ALL {
        out.push_str(&format!("| `{field}` |"));
        for info in &all {
            let cell = match (info.registered.field)(field) {
                None => "—".to_string(),
                Some((target, None)) => format!("`{}`", target.dotted()),
                Some((target, Some((note, _)))) => format!("`{}` ({note})", target.dotted()),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("| `get` / `list` |");
    for info in &all {
        let ops = match (info.get_operation(), info.list_operation()) {
            (Some(g), Some(l)) => format!("`{g}` / `{l}`"),
            (Some(g), None) => format!("`{g}` / —"),
            (None, Some(l)) => format!("— / `{l}`"),
            (None, None) => "— / —".into(),
        };
        out.push_str(&format!(" {ops} |"));
    }
    out.push('\n');
    out
}

/// The capability table; moved to [`capabilities::table`](table).
#[deprecated(note = "use `chatbots::capabilities::table()`")]
pub fn capability_table() -> String {
    table()
}

/// Where `field` goes at `vendor`: the JSON pointer into the update body,
/// or `None` when the vendor does not support it (or is not compiled in).
/// The same as [`VendorInfo::field_target`].
pub fn vendor_field(vendor: Vendor, field: Field) -> Option<&'static str> {
    VendorInfo::of(vendor)?.field_target(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every registered vendor once, in `Vendor::ALL` order whatever the
    /// registry's; the table's columns are the same; the old names say
    /// what `VendorInfo` says.
    #[test]
    #[allow(deprecated)]
    fn vendor_facts_come_from_one_place_in_vendor_all_order() {
        let all: Vec<Vendor> = VendorInfo::all().map(VendorInfo::vendor).collect();
        let mut registered: Vec<Vendor> = vendors::registered().map(|r| r.vendor).collect();
        registered.sort_by_key(|v| Vendor::ALL.iter().position(|a| a == v));
        assert_eq!(all, registered);
        let header: String = all.iter().map(|v| format!(" {v} |")).collect();
        assert!(table().starts_with(&format!("| field |{header}\n")));
        assert_eq!(capability_table(), table());
        for vendor in Vendor::ALL {
            let info = VendorInfo::of(vendor);
            assert_eq!(
                crate::Chatbots::can_get(vendor),
                info.is_some_and(VendorInfo::can_get)
            );
            assert_eq!(
                crate::Chatbots::can_list(vendor),
                info.is_some_and(VendorInfo::can_list)
            );
            assert_eq!(
                crate::credential_variables(vendor),
                info.map_or(&[][..], VendorInfo::credential_variables)
            );
            for field in Field::ALL {
                assert_eq!(
                    vendor_field(vendor, field),
                    info.and_then(|i| i.field_target(field))
                );
            }
        }
    }
}
