//! Updates one chatbot at each vendor through the facade, reads it back,
//! and prints what changed.
//!
//! With no vendor credentials in the environment it starts the embedded
//! `chatbots-sandbox` on 127.0.0.1 (a local emulator of all five APIs) and
//! never contacts a vendor:
//!
//! ```text
//! cargo run -p chatbots --example quickstart
//! ```
//!
//! With real credentials (each vendor's `chatbots::credential_variables`:
//! `OKCHAT_API_KEY`, `CONVERZA_KEY_ID` + `CONVERZA_KEY_SECRET`, …) it talks
//! to the real vendors instead — only to those whose credentials are set, and only to the bot named by
//! `<VENDOR>_BOT_ID` (e.g. `OKCHAT_BOT_ID`); the edits below are real edits.

use chatbots::{BotRef, ChatbotPatch, Chatbots, Field, Vendor, credential_variables, vendor_field};
use chatbots_sandbox::Sandbox;

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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real: Vec<Vendor> = Vendor::ALL
        .into_iter()
        .filter(|v| {
            credential_variables(*v)
                .iter()
                .all(|name| std::env::var(name).is_ok_and(|value| !value.is_empty()))
        })
        .collect();

    // Keeps the sandbox alive until the end of `main`.
    let _sandbox;
    let (bots, targets) = if real.is_empty() {
        let sandbox = Sandbox::start().await?;
        println!(
            "No vendor credentials in the environment: using the embedded sandbox at http://{}\n\
             (a local emulator of all five vendor APIs; no vendor is contacted).\n",
            sandbox.addr()
        );
        let bots = sandbox_client(&sandbox)?;
        let targets: Vec<BotRef> = Vendor::ALL
            .into_iter()
            .map(|v| BotRef::new(v, sandbox.demo_bot(sandbox_vendor(v))))
            .collect();
        _sandbox = sandbox;
        (bots, targets)
    } else {
        let mut targets = Vec::new();
        for vendor in &real {
            let variable = format!("{}_BOT_ID", vendor.env_prefix());
            match std::env::var(&variable) {
                Ok(id) if !id.is_empty() => targets.push(BotRef::new(*vendor, id)),
                _ => println!("{vendor}: credentials found, but {variable} is not set; skipped."),
            }
        }
        let names: Vec<String> = targets
            .iter()
            .map(
                |t| match std::env::var(format!("{}_BASE_URL", t.vendor.env_prefix())) {
                    Ok(url) if !url.is_empty() => format!("{} (at {url})", t.vendor),
                    _ => t.vendor.to_string(),
                },
            )
            .collect();
        println!(
            "Vendor credentials found: talking to the vendor APIs for {} \
             instead of the sandbox (these are real edits).\n",
            if names.is_empty() {
                "no vendor (set <VENDOR>_BOT_ID)".to_string()
            } else {
                names.join(", ")
            }
        );
        (Chatbots::from_env()?, targets)
    };

    println!(
        "{:<12} {:<13} {:<30} {:<30} how",
        "vendor", "field", "before", "after"
    );
    println!("{}", "-".repeat(110));
    let mut failures = 0;
    for bot in &targets {
        let patch = demo_patch(bot.vendor);
        let before = bots.get(bot).await;
        if let Err(error) = bots.update(bot, &patch).await {
            println!("{:<12} update failed: {error}", bot.vendor.to_string());
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
            let note = match (&before, &new) {
                (_, Some(_)) => "read back",
                (Err(e), None) if matches!(e.kind(), chatbots::ErrorKind::Unsupported { .. }) => {
                    "sent; the vendor has no read endpoint"
                }
                (Err(_), None) => "sent; reading it back failed",
                (Ok(_), None) => "sent; the vendor does not report it",
            };
            println!(
                "{:<12} {:<13} {:<30} {:<30} {note}",
                bot.vendor.to_string(),
                field.to_string(),
                cell(old.as_deref().unwrap_or("-")),
                cell(
                    &new.unwrap_or_else(|| format!("({})", patch.field(field).unwrap_or_default()))
                ),
            );
        }
    }
    if failures > 0 {
        return Err(format!("{failures} update(s) failed").into());
    }
    println!("\nEvery update succeeded.");
    Ok(())
}

/// `text` cut to a table cell.
fn cell(text: &str) -> String {
    let text = text.replace('\n', " ");
    if text.chars().count() <= 30 {
        return text;
    }
    let mut cut: String = text.chars().take(29).collect();
    cut.push('…');
    cut
}

/// A facade client aimed at the sandbox, with its documented credentials
/// given as each vendor's variables (key, then secret where there is one).
fn sandbox_client(sandbox: &Sandbox) -> Result<Chatbots, chatbots::Error> {
    let variable = |name: &str| {
        Vendor::ALL.into_iter().find_map(|vendor| {
            let credentials = sandbox.credentials(sandbox_vendor(vendor));
            match credential_variables(vendor)
                .iter()
                .position(|v| *v == name)?
            {
                0 => Some(credentials.key.to_string()),
                _ => credentials.secret.map(str::to_string),
            }
        })
    };
    let mut builder = Chatbots::builder().from_env_with(variable)?;
    for vendor in Vendor::ALL {
        builder = builder.base_url(vendor, sandbox.base_url(sandbox_vendor(vendor)));
    }
    builder.build()
}

/// The same vendor in the sandbox's terms (its slugs are the facade's
/// environment prefixes, lower-cased).
fn sandbox_vendor(vendor: Vendor) -> chatbots_sandbox::Vendor {
    chatbots_sandbox::Vendor::from_slug(vendor.env_prefix())
        .expect("the sandbox emulates every facade vendor")
}
