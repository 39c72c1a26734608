//! `vendors`, `list`, `get` and `update`: one vendor or one bot at a time.

use std::process::ExitCode;

use chatbots::{
    AccountRef, BotRef, Chatbot, ChatbotPatch, Chatbots, Field, Vendor, VendorInfo, VendorPatch,
    credential_variables,
};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::args::UpdateFields;
use crate::config;
use crate::output::{self, Failure, Output};
use chatbots::printable as escape;

/// The shared fields `vendor` maps (reads and writes).
fn fields_of(vendor: Vendor) -> Vec<Field> {
    VendorInfo::of(vendor).map_or_else(Vec::new, |info| info.fields().collect())
}

/// `chatbots vendors`.
pub fn vendors(bots: &Chatbots, out: Output) -> Result<ExitCode, Failure> {
    let mut table = output::table(&["vendor", "configured", "base URL", "get", "list", "fields"]);
    for vendor in Vendor::ALL {
        let configured = bots.vendors().contains(&vendor);
        let info = VendorInfo::of(vendor);
        let can_get = info.is_some_and(VendorInfo::can_get);
        let can_list = info.is_some_and(VendorInfo::can_list);
        let variables = credential_variables(vendor);
        let fields: Vec<&str> = fields_of(vendor).iter().map(|f| f.name()).collect();
        if out.json() {
            out.line(&json!({
                "type": "vendor",
                "vendor": vendor.slug(),
                "title": vendor.title(),
                "configured": configured,
                "credentials": variables,
                "base_url": bots.base_url(vendor),
                "get": can_get,
                "list": can_list,
                "fields": fields,
            }));
        } else {
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            table.add_row([
                vendor.slug().to_string(),
                if configured {
                    "yes".to_string()
                } else {
                    format!("no ({})", variables.join(" + "))
                },
                bots.base_url(vendor)
                    .unwrap_or("(not compiled in)")
                    .to_string(),
                yes_no(can_get).to_string(),
                yes_no(can_list).to_string(),
                fields.join(", "),
            ]);
        }
    }
    if out.json() {
        out.line(&json!({
            "type": "summary",
            "vendors": Vendor::ALL.len(),
            "configured": bots.vendors().len(),
        }));
    } else {
        out.table(table);
    }
    Ok(ExitCode::SUCCESS)
}

/// A bot's shared fields as a JSON object: every field, `null` where the
/// vendor does not report it.
pub fn fields_json(bot: &Chatbot) -> Value {
    let fields: Map<String, Value> = Field::ALL
        .into_iter()
        .map(|f| {
            let value = bot.get(f).map_or(Value::Null, |v| v.to_json());
            (f.name().to_string(), value)
        })
        .collect();
    Value::Object(fields)
}

/// A bot's account in JSON, beside its `bot`: the name, `null` for the
/// vendor's default account.
pub fn account_json(bot: &BotRef) -> Value {
    bot.account.as_deref().map_or(Value::Null, Value::from)
}

/// `chatbots list <vendor>[@<account>]`: with `--json`, each bot as soon
/// as its page is read; a failure after some pages still prints the bots
/// read so far.
pub async fn list(bots: &Chatbots, account: AccountRef, out: Output) -> Result<ExitCode, Failure> {
    config::require_accounts(bots, [account.clone()])?;
    let vendor = account.vendor;
    let columns = fields_of(vendor);
    let mut header = vec!["bot"];
    header.extend(columns.iter().map(|f| f.name()));
    let mut table = output::table(&header);
    let mut count = 0;
    let mut stream = bots.list_stream(&account);
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(bot) => {
                count += 1;
                if out.json() {
                    out.line(&json!({
                        "type": "bot",
                        "bot": bot.bot.to_string(),
                        "account": account_json(&bot.bot),
                        "fields": fields_json(&bot),
                    }));
                } else {
                    let mut row = vec![bot.bot.to_string()];
                    row.extend(
                        columns
                            .iter()
                            .map(|f| output::cell(&bot.field(*f).unwrap_or_default(), 40)),
                    );
                    table.add_row(row);
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if !out.json() && count > 0 {
        out.table(table);
    }
    if let Some(e) = failure {
        return Err(match count {
            0 => Failure::from(e),
            n => Failure::from(e).with_suffix(&format!(" (after {n} bot(s), shown above)")),
        });
    }
    if out.json() {
        out.line(&json!({"type": "summary", "bots": count}));
    } else {
        out.text(match account.is_default() {
            true => format!("{count} bot(s) at {}", vendor.title()),
            false => format!(
                "{count} bot(s) at {}, account {}",
                vendor.title(),
                account.name()
            ),
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// `chatbots get <vendor>[@<account>]:<id>`.
pub async fn get(bots: &Chatbots, bot: &BotRef, out: Output) -> Result<ExitCode, Failure> {
    config::require_accounts(bots, [bot.account_ref()])?;
    let found = bots.get(bot).await?;
    if out.json() {
        out.line(&json!({
            "type": "bot",
            "bot": found.bot.to_string(),
            "account": account_json(&found.bot),
            "fields": fields_json(&found),
            "raw": found.raw,
        }));
        out.line(&json!({"type": "summary", "bots": 1}));
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = output::table(&["field", "value"]);
    // Whole values here, wrapped to a readable width.
    table
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(100);
    for field in fields_of(bot.vendor) {
        // Escaped before the table measures it; a multi-line prompt keeps
        // its lines inside its cell.
        let value = found.field(field).map_or_else(
            || "(not reported)".to_string(),
            |v| escape::visible(&v).into_owned(),
        );
        table.add_row([field.name().to_string(), value]);
    }
    out.text(format!("{}", found.bot));
    out.table(table);
    // YAML reads better than JSON for a nested object; any JSON value has one.
    let raw = serde_norway::to_string(&found.raw).unwrap_or_else(|_| found.raw.to_string());
    out.text(format!(
        "\n{}'s own object:\n{}",
        bot.vendor.title(),
        raw.trim_end()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `chatbots update <vendor>[@<account>]:<id> …`.
pub async fn update(
    bots: &Chatbots,
    bot: &BotRef,
    fields: Box<UpdateFields>,
    out: Output,
) -> Result<ExitCode, Failure> {
    let (patch, names) = patch_of(bot, *fields)?;
    config::require_accounts(bots, [bot.account_ref()])?;
    let result = bots.update(bot, &patch).await;
    let failed = result.is_err();
    if out.json() {
        out.line(&json!({
            "type": "update",
            "bot": bot.to_string(),
            "account": account_json(bot),
            "fields": names,
            "status": if failed { "failed" } else { "changed" },
            "error": result.as_ref().err().map(ToString::to_string),
        }));
        out.line(&json!({
            "type": "summary",
            "bots": 1,
            "changed": usize::from(!failed),
            "failed": usize::from(failed),
        }));
    }
    match result {
        Ok(()) => {
            if !out.json() {
                out.text(format!("updated {bot}: {}", names.join(", ")));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let failure = Failure::from(e);
            if out.json() {
                // Already reported as the bot's line; the message for people.
                out.note(format!("error: {}", failure.human()));
                Ok(ExitCode::FAILURE)
            } else {
                Err(failure)
            }
        }
    }
}

/// The patch `update`'s options describe, and the names of the fields it
/// sets (vendor fields as `vendor.<key>`).
fn patch_of(bot: &BotRef, fields: UpdateFields) -> Result<(ChatbotPatch, Vec<String>), Failure> {
    let instructions = match (&fields.instructions, &fields.instructions_file) {
        // Bounded like a fleet file: a wrong path (a device, a log) is
        // refused, not read whole.
        (_, Some(path)) => Some(chatbots::fleet::read_limited(path).map_err(|e| {
            Failure::message(format!("--instructions-file {}: {e}", path.display()))
        })?),
        (text, None) => text.clone(),
    };
    let mut patch = ChatbotPatch::new();
    patch.name = fields.name;
    patch.description = fields.description;
    patch.instructions = instructions;
    patch.model = fields.model;
    patch.temperature = fields.temperature;
    patch.greeting = fields.greeting;
    patch.language = fields.language;
    patch.timezone = fields.timezone;
    let mut names: Vec<String> = Field::ALL
        .into_iter()
        .filter(|f| patch.sets(*f))
        .map(|f| f.name().to_string())
        .collect();
    if !fields.set.is_empty() {
        let mut map = Map::new();
        for (key, value) in fields.set {
            if map.insert(key.clone(), value).is_some() {
                return Err(Failure::message(format!("--set {key}: given twice")));
            }
            names.push(format!("vendor.{key}"));
        }
        let vendor_patch = VendorPatch::from_json(bot.vendor, &map)
            .map_err(|e| Failure::message(format!("--set: {e} (the vendor's update request)")))?;
        patch = patch.vendor_patch(vendor_patch);
    }
    if names.is_empty() {
        return Err(Failure::message(
            "nothing to change: give at least one of --name, --instructions, --instructions-file, \
             --greeting, --model, --temperature, --language, --timezone, --description, --set",
        ));
    }
    Ok((patch, names))
}
