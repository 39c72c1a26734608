//! The command line, as clap derives it.

use std::path::PathBuf;

use chatbots::{AccountRef, BotRef, BulkOptions, Vendor};
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};

/// Read and update AI chatbots at several vendors (`chatbots vendors` lists
/// them), and keep a fleet of them in one YAML file.
///
/// Credentials and base URLs come from the environment (the variables are
/// listed below; <VENDOR>_BASE_URL overrides a base URL), or from a sandbox
/// with --sandbox. More accounts per vendor (`vendor@account`) come from a
/// config file (--config; `chatbots accounts` lists them).
///
/// Exit codes: 0 success; 1 an error, a bot failed, or a field an apply
/// read back other than sent; 2 `plan
/// --detailed-exitcode` found changes. Usage errors exit 1 too, so that 2
/// always means "changes".
#[derive(Debug, Parser)]
#[command(
    name = "chatbots",
    version,
    max_term_width = 100,
    after_long_help = environment_help()
)]
pub struct Cli {
    /// Point every vendor at a standalone chatbots-sandbox at URL
    /// (`cargo run -p chatbots-sandbox`), with the credentials it publishes.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "CHATBOTS_SANDBOX",
        help_heading = "Global options"
    )]
    pub sandbox: Option<String>,

    /// Read more accounts (`vendor@account`) from this TOML file instead of
    /// the one CHATBOTS_CONFIG names, or else the default one (README:
    /// "Several accounts"); with --sandbox, in addition to the sandbox's.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,

    /// Share each credential's rate budget with every other process using
    /// it, through the Redis at URL (README: "Several processes, one
    /// credential").
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "CHATBOTS_REDIS_URL",
        hide_env_values = true,
        help_heading = "Global options"
    )]
    pub redis: Option<String>,

    /// Where `apply` and `undo` journal each run (created on first use),
    /// and where `plan`, `apply`, `undo` and `history` look for journals
    /// (README: "Undo, history and interrupted applies").
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "CHATBOTS_JOURNAL_DIR",
        default_value = ".chatbots",
        help_heading = "Global options"
    )]
    pub journal_dir: PathBuf,

    /// One JSON object per line on stdout (per bot, then a summary; see the
    /// README for the fields) instead of tables and text.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Which vendors are configured, their base URLs, what each supports.
    Vendors,
    /// Every account: where each secret comes from and whether it is set
    /// (never the secret).
    Accounts,
    /// Every bot of an account (all pages).
    List {
        /// The account: `vendor` (its default account) or `vendor@account`
        /// (`chatbots accounts` lists them).
        #[arg(value_name = "ACCOUNT")]
        account: AccountRef,
    },
    /// One bot: the shared fields and the vendor's own object.
    Get {
        /// The bot, as `vendor:id` (the default account) or
        /// `vendor@account:id`.
        bot: BotRef,
    },
    /// Change one bot's settings.
    #[command(after_help = UPDATE_EXAMPLES)]
    Update {
        /// The bot, as `vendor:id` (the default account) or
        /// `vendor@account:id`.
        bot: BotRef,
        #[command(flatten)]
        fields: Box<UpdateFields>,
    },
    /// Write the current settings of every bot of the accounts as a fleet
    /// file.
    Export {
        /// The accounts: `vendor` (its default account) or
        /// `vendor@account` (each vendor must be able to list its bots).
        #[arg(required = true, value_name = "ACCOUNT")]
        accounts: Vec<AccountRef>,
        /// Write the fleet here instead of stdout.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare a fleet file with the bots' current settings; sends nothing.
    Plan {
        /// The fleet file.
        fleet: PathBuf,
        /// Also write the plan as JSON here, for `apply`.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Exit 2 when the plan has changes (0: none, 1: error).
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Make the bots match a fleet file (plan, show, confirm, send), or send
    /// exactly a saved plan (a `.json` file from `plan -o`).
    Apply {
        /// A fleet file, or a plan saved by `plan -o` (ends in `.json`).
        #[arg(required_unless_present = "resume")]
        file: Option<PathBuf>,
        /// Finish an apply that was stopped: the given journal, or the
        /// latest unfinished one in the journal directory.
        #[arg(long, value_name = "JOURNAL", num_args = 0..=1, conflicts_with = "file")]
        resume: Option<Option<PathBuf>>,
        #[command(flatten)]
        run: RunOptions,
    },
    /// Set back what an apply changed: apply the undo plan of a journal
    /// (the latest one in the journal directory that has one).
    Undo {
        /// The journal of the apply to undo.
        journal: Option<PathBuf>,
        #[command(flatten)]
        run: RunOptions,
    },
    /// The applies journaled in the journal directory, newest first.
    History,
}

/// How `apply` and `undo` send.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// Do not ask for confirmation (required when stdin is not a
    /// terminal).
    #[arg(long)]
    pub yes: bool,
    /// Updates in flight per vendor.
    #[arg(long, value_name = "N", default_value_t = BulkOptions::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub concurrency: usize,
    /// Do not read the changed bots again to check that they kept what
    /// was sent.
    #[arg(long)]
    pub no_verify: bool,
}

/// The closing paragraph of `update --help`.
const UPDATE_EXAMPLES: &str = "\
Examples:
  chatbots update okchat:3317853e-0af2-427d-a56f-351a9587f48f \\
      --name 'Front desk' --greeting 'Hello!'
  chatbots update puretalk:123e4567-e89b-12d3-a456-426614174000 \\
      --instructions-file prompt.txt --set max_reminder_messages=3
  chatbots update okchat@client-b:5eed0b0c-0000-4000-8000-000000000000 \\
      --greeting 'Hello from client B'

`chatbots get BOT` shows the current settings; `chatbots vendors` which fields each vendor has.";

/// The settings `update` can change.
#[derive(Debug, Args)]
#[command(next_help_heading = "Settings to change")]
pub struct UpdateFields {
    /// The display name.
    #[arg(long)]
    pub name: Option<String>,
    /// The system prompt.
    #[arg(long, conflicts_with = "instructions_file")]
    pub instructions: Option<String>,
    /// The system prompt, read from a file.
    #[arg(long, value_name = "FILE")]
    pub instructions_file: Option<PathBuf>,
    /// The first/welcome message.
    #[arg(long)]
    pub greeting: Option<String>,
    /// The language model, by the vendor's name for it.
    #[arg(long)]
    pub model: Option<String>,
    /// Sampling temperature.
    #[arg(long)]
    pub temperature: Option<f64>,
    /// The language, an ISO 639-1 code (`en`) or `auto`.
    #[arg(long)]
    pub language: Option<String>,
    /// An IANA time zone (`Europe/Berlin`).
    #[arg(long)]
    pub timezone: Option<String>,
    /// A description.
    #[arg(long)]
    pub description: Option<String>,
    /// A field of the vendor's own update request, as JSON
    /// (`--set 'is_public=true'`, `--set 'voice_speed=1.1'`,
    /// `--set 'role="Sales"'`); repeatable.
    #[arg(long = "set", value_name = "FIELD=JSON", value_parser = parse_set)]
    pub set: Vec<(String, serde_json::Value)>,
}

/// The closing paragraph of `--help`: each vendor's credential variables,
/// from the facade's registry, then where more accounts come from.
fn environment_help() -> String {
    let mut help = String::from("Credentials, per vendor (its default account):\n");
    for vendor in Vendor::ALL {
        let variables = chatbots::credential_variables(vendor);
        if !variables.is_empty() {
            help.push_str(&format!(
                "  {:<12} {}\n",
                vendor.name(),
                variables.join(" + ")
            ));
        }
    }
    help.push_str(ACCOUNTS_HELP);
    help
}

/// Where the accounts beyond each vendor's default one come from.
const ACCOUNTS_HELP: &str = "
More accounts per vendor (`okchat@client-a`) come from a TOML config file: --config FILE, \
else the file CHATBOTS_CONFIG names, else chatbots/config.toml in the user's config \
directory ($XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on macOS, \
%APPDATA% on Windows) if it exists. It says where each secret comes from (an environment \
variable or a file), never the secret. `chatbots accounts` lists every account.
";

/// `FIELD=JSON`.
fn parse_set(text: &str) -> Result<(String, serde_json::Value), String> {
    let (field, json) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FIELD=JSON (no `=`)"))?;
    if field.trim().is_empty() {
        return Err(format!("`{text}` names no field before `=`"));
    }
    let value = serde_json::from_str(json).map_err(|e| {
        format!("the value of `{field}` is not JSON ({e}); a text is quoted: {field}='\"{json}\"'")
    })?;
    Ok((field.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn vendor_fields_parse_with_clear_errors() {
        assert_eq!(
            parse_set("is_public=true").unwrap(),
            ("is_public".into(), serde_json::json!(true))
        );
        let err = parse_set("role=Sales").unwrap_err();
        assert!(
            err.contains("not JSON") && err.contains("role='\"Sales\"'"),
            "{err}"
        );
    }
}
