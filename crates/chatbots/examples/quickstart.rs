//! Updates one chatbot at each vendor through the facade, reads it back,
//! and prints what changed, as a table.
//!
//! With no vendor credentials in the environment every vendor runs on the
//! embedded `chatbots-sandbox` on 127.0.0.1 (a local emulator of the vendor
//! APIs) and no vendor is contacted:
//!
//! ```text
//! cargo run -p chatbots --example quickstart
//! ```
//!
//! A vendor is used for real only when it is fully configured: its
//! credentials (each vendor's `chatbots::credential_variables`:
//! `OKCHAT_API_KEY`, `CONVERZA_KEY_ID` + `CONVERZA_KEY_SECRET`, …) and
//! `<VENDOR>_BOT_ID` (e.g. `OKCHAT_BOT_ID`) naming the bot to edit; the
//! edits there are real edits. Every other vendor runs on the sandbox, and
//! the output says, vendor by vendor, which one it used and why (a vendor
//! the sandbox does not emulate is skipped, and says so).

use chatbots::printable::one_line as printable;
use chatbots::{BotRef, ChatbotPatch, Chatbots, Field, Vendor, credential_variables, vendor_field};
use chatbots_sandbox::Sandbox;
use comfy_table::{ContentArrangement, Table, presets};

/// The change made at each vendor: each of these shared fields the vendor
/// supports.
fn demo_patch(vendor: Vendor) -> ChatbotPatch {
    let mut patch = ChatbotPatch::new();
    if vendor_field(vendor, Field::Name).is_some() {
        patch = patch.name("Front desk");
    }
    if vendor_field(vendor, Field::Greeting).is_some() {
        patch = patch.greeting("Hi there!");
    }
    if vendor_field(vendor, Field::Language).is_some() {
        patch = patch.language("es");
    }
    patch
}

/// Where one vendor's bot is edited.
enum Target {
    /// The real vendor: credentials and `<VENDOR>_BOT_ID` are both set.
    Real { bot_id: String },
    /// The embedded sandbox, with the reason (the environment's state).
    Sandbox { why: String },
}

/// A variable's value, unless it is unset or empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Decides, from the environment, where `vendor`'s bot is edited.
fn target(vendor: Vendor) -> Target {
    let credentials = credential_variables(vendor);
    if credentials.is_empty() {
        return Target::Sandbox {
            why: "not compiled into this build of the facade".to_string(),
        };
    }
    let missing: Vec<&str> = credentials
        .iter()
        .copied()
        .filter(|name| env(name).is_none())
        .collect();
    let bot_variable = format!("{}_BOT_ID", vendor.env_prefix());
    match (missing.as_slice(), env(&bot_variable)) {
        ([], Some(bot_id)) => Target::Real { bot_id },
        ([], None) => Target::Sandbox {
            why: format!("credentials set, but {bot_variable} is not"),
        },
        (missing, bot_id) if missing.len() < credentials.len() || bot_id.is_some() => {
            Target::Sandbox {
                why: format!("{} not set", missing.join(" and ")),
            }
        }
        _ => Target::Sandbox {
            why: "no credentials in the environment".to_string(),
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let targets: Vec<(Vendor, Target)> = Vendor::ALL.into_iter().map(|v| (v, target(v))).collect();
    let on_sandbox = |vendor: Vendor| {
        targets
            .iter()
            .any(|(v, t)| *v == vendor && matches!(t, Target::Sandbox { .. }))
    };

    // Started only when some vendor runs on it; kept alive until the end.
    let sandbox = if targets.iter().any(|(v, _)| on_sandbox(*v)) {
        Some(Sandbox::start().await?)
    } else {
        None
    };

    // One client: the real vendors from the environment, the others aimed
    // at the sandbox with the credentials it publishes.
    let variable = |name: &str| {
        for vendor in Vendor::ALL {
            let prefix = vendor.env_prefix();
            let (Some(sandbox), true) = (&sandbox, on_sandbox(vendor)) else {
                continue;
            };
            if name == format!("{prefix}_BASE_URL") {
                return Some(sandbox.base_url(vendor));
            }
            if let Some(index) = credential_variables(vendor).iter().position(|v| *v == name) {
                // A vendor the sandbox does not emulate stays unconfigured.
                let credentials = sandbox.credentials(vendor)?;
                return match index {
                    0 => Some(credentials.key.to_string()),
                    _ => credentials.secret.map(str::to_string),
                };
            }
        }
        env(name)
    };
    let bots = Chatbots::builder().from_env_with(variable)?.build()?;

    let mut bots_to_edit = Vec::new();
    for (vendor, target) in &targets {
        match (target, &sandbox) {
            (Target::Real { bot_id }, _) => {
                let base = bots.base_url(*vendor).unwrap_or_default();
                println!("{vendor}: the real vendor API at {base} (a real edit)");
                bots_to_edit.push(BotRef::new(*vendor, bot_id.clone()));
            }
            (Target::Sandbox { why }, Some(sandbox)) => match sandbox.demo_bot(*vendor) {
                Some(demo_bot) => {
                    println!(
                        "{vendor}: the embedded sandbox at {} ({why})",
                        sandbox.base_url(*vendor)
                    );
                    bots_to_edit.push(BotRef::new(*vendor, demo_bot));
                }
                None => println!("{vendor}: skipped ({why}; the sandbox does not emulate it)"),
            },
            (Target::Sandbox { .. }, None) => {
                unreachable!("the sandbox starts for every vendor on it")
            }
        }
    }
    if sandbox.is_some() {
        println!(
            "(The sandbox is a local emulator of the vendor APIs on 127.0.0.1: no vendor is contacted for it.)"
        );
    }
    println!();
    if bots_to_edit.is_empty() {
        return Err("no vendor to edit a bot at: nothing was done".into());
    }

    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["bot", "field", "before", "after", "how"]);
    let mut failures = 0;
    for bot in &bots_to_edit {
        let patch = demo_patch(bot.vendor);
        let before = bots.get(bot).await;
        if let Err(error) = bots.update(bot, &patch).await {
            table.add_row([
                printable(&bot.to_string()).into_owned(),
                String::new(),
                String::new(),
                String::new(),
                printable(&format!("update failed: {error}")).into_owned(),
            ]);
            failures += 1;
            continue;
        }
        let after = bots.get(bot).await;
        for field in Field::ALL.into_iter().filter(|f| patch.sets(*f)) {
            let show = |read: &Result<chatbots::Chatbot, chatbots::Error>| match read {
                Ok(b) => b.field(field),
                Err(_) => None,
            };
            let (old, new) = (show(&before), show(&after));
            let how = match (&before, &new) {
                (_, Some(_)) => "read back",
                (Err(e), None) if matches!(e.kind(), chatbots::ErrorKind::Unsupported { .. }) => {
                    "sent; the vendor has no read endpoint"
                }
                (Err(_), None) => "sent; reading it back failed",
                (Ok(_), None) => "sent; the vendor does not report it",
            };
            let new =
                new.unwrap_or_else(|| format!("({})", patch.field(field).unwrap_or_default()));
            table.add_row([
                printable(&bot.to_string()).into_owned(),
                field.to_string(),
                printable(old.as_deref().unwrap_or("-")).into_owned(),
                printable(&new).into_owned(),
                how.to_string(),
            ]);
        }
    }
    println!("{table}");
    if failures > 0 {
        return Err(format!("{failures} of {} update(s) failed", bots_to_edit.len()).into());
    }
    println!("\nAll {} updates succeeded.", bots_to_edit.len());
    Ok(())
}
