//! `chatbots`: the command line of the `chatbots` SDK. Reads and updates
//! chatbots at every vendor the facade knows, and keeps a fleet of them in
//! one YAML file (`export`, `plan`, `apply`). `chatbots --help` and the
//! README's CLI section say how.
#![forbid(unsafe_code)]

mod accounts;
mod args;
mod bots;
mod config;
mod fleet;
mod journal;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use chatbots::printable as escape;

use crate::args::{Cli, Command};
use crate::output::{Failure, Output};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            print_usage_error(&e);
            // Help and version are not errors. A usage error exits 1, not
            // clap's 2: 2 means "changes" for `plan --detailed-exitcode`.
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let out = Output::new(cli.json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            out.failure(&Failure::message(format!("cannot start the runtime: {e}")));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, out)) {
        Ok(code) => code,
        Err(failure) => {
            out.failure(&failure);
            ExitCode::FAILURE
        }
    }
}

/// clap's message (help, version, or a usage error). A usage error quotes
/// the command line, which may hold any character: when an argument holds
/// one a terminal could act on, the error is rendered again without
/// clap's styles, and escaped.
fn print_usage_error(error: &clap::Error) {
    let hostile = std::env::args_os().any(|arg| {
        arg.to_string_lossy()
            .chars()
            .any(|c| c != '\n' && escape::needs_escape(c))
    });
    if !(error.use_stderr() && hostile) {
        let _ = error.print();
        return;
    }
    let plain = Cli::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches_from(std::env::args_os())
        .err()
        // Only styles differ: the same arguments fail the same way.
        .map_or_else(
            || error.render().to_string(),
            |e| e.render().ansi().to_string(),
        );
    eprint!("{}", escape::visible(&plain));
}

async fn run(cli: Cli, out: Output) -> Result<ExitCode, Failure> {
    // Fleet files are checked before any client exists: a bad file is
    // refused the same way with or without credentials, and nothing is
    // sent.
    let prepared = fleet::prepare(&cli.command)?;
    let client = config::client(
        cli.sandbox.as_deref(),
        cli.config.as_deref(),
        cli.redis.as_deref(),
    )
    .await?;
    // `bots` is also the module of those commands.
    let api = &client.bots;
    let dir = cli.journal_dir.as_path();
    // An apply that was stopped is said before anything else happens,
    // wherever the journal directory is used (not by `--resume`, which
    // finishes it).
    if matches!(
        cli.command,
        Command::Plan { .. } | Command::Undo { .. } | Command::Apply { resume: None, .. }
    ) {
        journal::warn_unfinished(dir, out);
    }
    match cli.command {
        Command::Vendors => bots::vendors(api, out),
        Command::Accounts => accounts::accounts(&client, out),
        Command::List { account } => bots::list(api, account, out).await,
        Command::Get { bot } => bots::get(api, &bot, out).await,
        Command::Update { bot, fields } => bots::update(api, &bot, fields, out).await,
        Command::Export { accounts, output } => {
            fleet::export(api, &accounts, output.as_deref(), out).await
        }
        Command::Plan {
            output,
            detailed_exitcode,
            ..
        } => fleet::plan(api, prepared, output.as_deref(), detailed_exitcode, out).await,
        Command::Apply {
            file: Some(file),
            run,
            ..
        } => {
            let run = fleet::Run {
                options: &run,
                journal_dir: dir,
                source: journal::source(&file)?,
            };
            fleet::apply(api, prepared, &run, out).await
        }
        Command::Apply { resume, run, .. } => {
            let journal = resume.flatten();
            journal::resume(api, journal.as_deref(), dir, &run, out).await
        }
        Command::Undo { journal, run } => {
            journal::undo(api, journal.as_deref(), dir, &run, out).await
        }
        Command::History => journal::history(dir, out),
    }
}
