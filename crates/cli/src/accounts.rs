//! `accounts`: every account the client knows, where each of its secrets
//! comes from and whether it is set. Never a secret: the facade's
//! `Account` holds none.

use std::process::ExitCode;

use chatbots::{AccountRef, SecretOrigin, SecretSource};
use serde_json::{Value, json};

use crate::config::Client;
use crate::output::{self, Failure, Output};

/// Where a secret comes from, as the CLI shows it: a sandbox's secrets
/// are the sandbox's, whatever the builder was told.
enum Origin<'a> {
    Sandbox(&'a str),
    Source(&'a SecretSource),
}

impl<'a> Origin<'a> {
    fn of(client: &'a Client, account: &AccountRef, secret: &'a SecretOrigin) -> Self {
        match client.sandbox_gave(account, secret) {
            Some(url) => Origin::Sandbox(url),
            None => Origin::Source(&secret.source),
        }
    }

    /// `{"from": "env", "name": …}`, `{"from": "file", "path": …}`,
    /// `{"from": "code"}`, `{"from": "sandbox", "url": …}`: exact values.
    fn json(&self) -> Value {
        match self {
            Origin::Sandbox(url) => json!({"from": "sandbox", "url": url}),
            Origin::Source(SecretSource::Env(name)) => json!({"from": "env", "name": name}),
            Origin::Source(SecretSource::File(path)) => {
                json!({"from": "file", "path": path.to_string_lossy()})
            }
            Origin::Source(SecretSource::Code) => json!({"from": "code"}),
            // A source this CLI does not know yet: in the library's words.
            Origin::Source(other) => json!({"from": other.to_string()}),
        }
    }

    /// For people (escaped when printed).
    fn text(&self) -> String {
        match self {
            // Its URL is in the base URL column.
            Origin::Sandbox(_) => "the sandbox".to_string(),
            Origin::Source(source) => source.to_string(),
        }
    }
}

/// `chatbots accounts`: one row (or JSON line) per account, default ones
/// first, as the client lists them.
pub fn accounts(client: &Client, out: Output) -> Result<ExitCode, Failure> {
    let accounts = client.bots.accounts();
    let mut table = output::table(&["account", "base URL", "secrets", "status"]);
    for account in accounts {
        let origin = |secret| Origin::of(client, &account.account, secret);
        if out.json() {
            let secrets: Vec<Value> = account
                .secrets
                .iter()
                .map(|secret| {
                    let mut value = origin(secret).json();
                    value["variable"] = secret.variable.clone().into();
                    value["set"] = secret.set.into();
                    value
                })
                .collect();
            out.line(&json!({
                "type": "account",
                "account": account.account.to_string(),
                "vendor": account.account.vendor.slug(),
                "name": account.account.name(),
                "base_url": account.base_url,
                "secrets": secrets,
                "usable": account.is_usable(),
                "problem": account.problem,
            }));
        } else {
            let secrets: Vec<String> = account
                .secrets
                .iter()
                .map(|secret| {
                    format!(
                        "{}: {}, {}",
                        secret.variable,
                        origin(secret).text(),
                        if secret.set { "set" } else { "not set" }
                    )
                })
                .collect();
            table.add_row([
                output::cell(&account.account.to_string(), 80),
                output::cell(&account.base_url, 80),
                output::cell(&secrets.join("; "), 200),
                output::cell(account.problem.as_deref().unwrap_or("usable"), 200),
            ]);
        }
    }
    let usable = accounts.iter().filter(|a| a.is_usable()).count();
    if out.json() {
        out.line(&json!({
            "type": "summary",
            "accounts": accounts.len(),
            "usable": usable,
        }));
    } else {
        out.table(table);
        out.text(format!("{} account(s), {usable} usable", accounts.len()));
    }
    Ok(ExitCode::SUCCESS)
}
