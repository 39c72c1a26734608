//! Fleets in desired state: a file of the settings many bots, across
//! vendors, should have; a [`Plan`] of the difference from what the vendors
//! hold now; an apply that makes it so, within the vendors' limits.
//!
//! ```
//! use chatbots::fleet::Fleet;
//!
//! let fleet = Fleet::parse(
//!     r#"
//! defaults:
//!   instructions: "Answer briefly and politely."
//! bots:
//!   okchat:3317853e-0af2-427d-a56f-351a9587f48f:
//!     name: Support
//!     greeting: "Hi! How can I help?"
//!   puretalk:123e4567-e89b-12d3-a456-426614174000:
//!     name: Front desk
//!     vendor:
//!       voice_boost: true
//! "#,
//!     "fleet.yaml",
//! )?;
//! for bot in fleet.bots() {
//!     println!("{} (line {}): {:?}", bot.bot, bot.line, bot.patch.name);
//! }
//! assert_eq!(fleet.bots().len(), 2);
//! // Defaults are merged into every bot whose vendor supports the field.
//! assert_eq!(
//!     fleet.bots()[0].patch.instructions.as_deref(),
//!     Some("Answer briefly and politely.")
//! );
//! # Ok::<(), chatbots::fleet::FleetError>(())
//! ```
//!
//! # The fleet file
//!
//! YAML with three keys. `defaults` holds shared fields (the names of
//! [`ChatbotPatch`](crate::ChatbotPatch)'s fields) for every bot that does
//! not set them. `account_defaults` holds shared fields per account (a
//! client's house style): its keys are accounts as
//! [`AccountRef`](crate::AccountRef) displays them, `vendor@account`, or
//! `vendor` for the vendor's default account. `bots` maps each bot, as
//! `vendor:id` or `vendor@account:id` (how [`BotRef`](crate::BotRef)
//! displays), to its shared fields and, under `vendor`, the vendor's own
//! update-request fields as its spec names them. One file can hold bots
//! of many accounts; it names accounts and never holds a credential (a
//! key such as `api_key` is refused as unknown, its value not shown).
//!
//! Each field of a bot comes from the bot itself, else from its account's
//! entry under `account_defaults`, else from `defaults`. A default applies
//! to a bot only where the bot's vendor supports the field (a fleet-wide
//! `greeting` does not make a Converza bot an error); a field set on the
//! bot itself, or in an account's defaults, that its vendor lacks is an
//! error. A problem with a default is reported at the default's line.
//!
//! ```
//! use chatbots::fleet::Fleet;
//!
//! let fleet = Fleet::parse(
//!     r#"
//! defaults:
//!   greeting: "Hello!"
//! account_defaults:
//!   okchat@client-a:
//!     greeting: "Welcome to Client A."
//! bots:
//!   okchat@client-a:3317853e-0af2-427d-a56f-351a9587f48f:
//!     name: Client A support
//!   okchat@client-a:5eed000c-0000-4000-8000-000000000001:
//!     greeting: "Hi, this is sales."
//!   okchat:5eed000c-0000-4000-8000-000000000002:
//!     name: Our own bot
//! "#,
//!     "fleet.yaml",
//! )?;
//! let greetings: Vec<_> = fleet.bots().iter().map(|b| b.patch.greeting.as_deref()).collect();
//! assert_eq!(
//!     greetings,
//!     [Some("Welcome to Client A."), Some("Hi, this is sales."), Some("Hello!")]
//! );
//! assert_eq!(fleet.bots()[0].bot.account.as_deref(), Some("client-a"));
//! # Ok::<(), chatbots::fleet::FleetError>(())
//! ```
//!
//! Every problem is reported at once, each naming file, line, bot, field
//! and rule ([`FleetError`]): [`Fleet::parse`] finds what is wrong with the
//! file and what the vendors' rules refuse, in one run;
//! [`Chatbots::check_fleet`](crate::Chatbots::check_fleet) adds the
//! accounts: one the client does not know (for a bot or an
//! `account_defaults` entry), one whose secrets are not set. Nothing is
//! sent before both pass. A file is at
//! most [`MAX_FILE_BYTES`]; see [`Fleet::parse`] for the other limits.
//!
//! # Plan, apply, export
//!
//! [`Chatbots::plan`](crate::Chatbots::plan) reads every bot through its
//! own account (complete listings per account, paced; `get` for bots a
//! listing lacks; nothing at a vendor that cannot read) and compares each
//! field: unchanged, an update, or
//! unknown (the vendor does not report the current value). Vendor fields
//! are compared by key with what the read returns (`Chatbot::raw`); a key
//! the read lacks is unknown. An unknown value counts as a difference: at
//! a vendor that cannot read at all (no get, no list), every field of
//! every bot is sent on every apply.
//!
//! [`Chatbots::apply`](crate::Chatbots::apply) sends only what differs or
//! is unknown, through [`Chatbots::update_many`](crate::Chatbots::update_many).
//! A plan can be saved as JSON and applied later: it is refused whole
//! ([`ApplyError::Stale`]) if any bot moved on since it was made.
//!
//! [`Chatbots::export`](crate::Chatbots::export) writes the fleet that
//! describes what the vendors hold now, and
//! [`Chatbots::export_accounts`](crate::Chatbots::export_accounts) that
//! of named accounts (`vendor@account:id` keys); planning it shows no
//! change. Plans, saved plans and apply outcomes name each bot's account
//! the same way.

mod apply;
mod check;
mod compare;
mod defaults;
mod export;
mod file;
pub mod journal;
mod journaled;
mod lock;
mod plan;
mod problem;
mod read;
mod resume;
mod yaml;

pub use apply::{ApplyError, ApplyOptions, ApplyOutcome, ApplyReport, NotKept, StaleBot};
pub use file::{Fleet, FleetBot, MAX_FILE_BYTES, read_limited};
pub use journaled::{JournalReport, irreversible};
pub use lock::{JournalLock, LockHolder};
pub use plan::{BotPlan, Change, FieldPlan, PLAN_FORMAT, Plan, PlanOptions, Summary};
pub(crate) use problem::closest;
pub use problem::{FleetError, Problem};
