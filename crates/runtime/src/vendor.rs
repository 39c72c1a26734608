//! The one list of vendors in the workspace: a variant per vendor spec.
//!
//! The facade, the sandbox, the benchmarks and xtask all name vendors with
//! this enum. The list itself is kept by `cargo xtask generate` from the
//! workspace's specs (the file name gives the slug, `info.x-chatbots-vendor`
//! the display name), so a sixth spec gets its variant, slug and environment
//! prefix without a hand edit. The enum is `#[non_exhaustive]`: a new vendor
//! is a new variant, never a breaking change, so code outside this crate
//! iterates [`Vendor::ALL`] or asks a registry rather than matching every
//! variant.

use std::fmt;

/// Defines [`Vendor`] from `Variant => "slug", "Title", "ENV_PREFIX";` lines.
macro_rules! vendors {
    ($($variant:ident => $slug:literal, $title:literal, $env:literal;)+) => {
        /// A chatbot vendor: one variant per vendor API the workspace has a
        /// spec for, each with its own generated client crate
        /// (`chatbots-<slug>`).
        ///
        /// A vendor is written as its slug (`okchat`) in bot references
        /// (`okchat:<bot id>`), error messages, fleet files and the CLI; its
        /// [`title`](Self::title) is the name people write, and its
        /// [`env_prefix`](Self::env_prefix) starts its environment variables.
        ///
        /// The enum is `#[non_exhaustive]`: vendors are added in minor
        /// releases. Go over [`Vendor::ALL`] (or ask a registry, such as
        /// the facade's `Chatbots::vendors` or the sandbox's `emulates`)
        /// instead of matching every variant; a `match` needs a `_` arm
        /// that refuses a vendor it does not know.
        ///
        /// ```
        /// use chatbots_runtime::Vendor;
        ///
        /// let okchat: Vendor = "okchat".parse().unwrap();
        /// assert_eq!(okchat, Vendor::OkChat);
        /// assert_eq!(okchat.to_string(), "okchat");
        /// assert_eq!(okchat.title(), "OKChat");
        /// assert_eq!(okchat.env_prefix(), "OKCHAT");
        ///
        /// // Every vendor, whatever their number.
        /// for vendor in Vendor::ALL {
        ///     assert_eq!(vendor.name().parse::<Vendor>(), Ok(vendor));
        /// }
        /// assert!("nosuchvendor".parse::<Vendor>().is_err());
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Vendor {
            $(
                #[doc = concat!($title, " (slug `", $slug, "`, client crate `chatbots-", $slug, "`, environment prefix `", $env, "_`).")]
                $variant,
            )+
        }

        impl Vendor {
            /// Every vendor, in the order of their slugs.
            pub const ALL: [Vendor; [$($slug),+].len()] = [$(Vendor::$variant),+];

            /// The vendor's slug (`okchat`): the name of its spec file, its
            /// client crate `chatbots-<slug>`, the facade's Cargo feature and
            /// the sandbox's path prefix `/<slug>`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $slug,)+
                }
            }

            /// The vendor's name as people write it (`OKChat`).
            pub const fn title(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $title,)+
                }
            }

            /// The prefix of this vendor's environment variables (`OKCHAT_…`).
            pub const fn env_prefix(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $env,)+
                }
            }
        }
    };
}

// BEGIN generated: vendors (cargo xtask generate)
vendors! {
    Converza => "converza", "Converza", "CONVERZA";
    HotTask => "hottask", "HotTask", "HOTTASK";
    OkChat => "okchat", "OKChat", "OKCHAT";
    PureTalk => "puretalk", "PureTalk", "PURETALK";
    StreamSkill => "streamskill", "StreamSkill", "STREAMSKILL";
}
// END generated: vendors

impl Vendor {
    /// The vendor whose slug is `name` (any case).
    pub fn from_name(name: &str) -> Option<Vendor> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }

    /// The sandbox's word for [`name`](Self::name): the path prefix
    /// `/<slug>` and the command-line name.
    pub const fn slug(self) -> &'static str {
        self.name()
    }

    /// The sandbox's word for [`from_name`](Self::from_name).
    pub fn from_slug(slug: &str) -> Option<Vendor> {
        Vendor::from_name(slug)
    }
}

/// The slug (`okchat`), as in `okchat:<bot id>` and in error messages.
impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Vendor`] from a name no spec has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownVendor(pub String);

impl fmt::Display for UnknownVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Vendor::ALL.iter().map(|v| v.name()).collect();
        write!(
            f,
            "unknown vendor `{}` (known: {})",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownVendor {}

impl std::str::FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::from_name(s).ok_or_else(|| UnknownVendor(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for vendor in Vendor::ALL {
            assert_eq!(vendor.name().parse::<Vendor>(), Ok(vendor));
            assert_eq!(vendor.env_prefix(), vendor.name().to_ascii_uppercase());
        }
        let err = "nosuchvendor".parse::<Vendor>().unwrap_err();
        assert!(
            err.to_string().contains("unknown vendor `nosuchvendor`"),
            "{err}"
        );
        assert!(err.to_string().contains("okchat"), "{err}");
    }
}
