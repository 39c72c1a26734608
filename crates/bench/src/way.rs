//! The three ways of sending the seed request.

/// One way of sending the seed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// (a) the generated client's builder call.
    Sdk,
    /// (b) a hand-written `reqwest` + `serde_json` call.
    Raw,
    /// (c) the facade's `Chatbots::update`.
    Facade,
}

impl Way {
    /// Every way, in table order.
    pub const ALL: [Way; 3] = [Way::Sdk, Way::Raw, Way::Facade];

    /// The short name used on command lines and in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Way::Sdk => "sdk",
            Way::Raw => "raw",
            Way::Facade => "facade",
        }
    }

    /// Parses `sdk`/`a`, `raw`/`b`, `facade`/`c`.
    pub fn parse(s: &str) -> Option<Way> {
        match s {
            "sdk" | "a" => Some(Way::Sdk),
            "raw" | "b" => Some(Way::Raw),
            "facade" | "c" => Some(Way::Facade),
            _ => None,
        }
    }
}
