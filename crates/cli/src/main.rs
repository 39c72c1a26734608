//! `chatbots`: the command line of the `chatbots` SDK. Reads and updates
//! chatbots at every vendor the facade knows, and keeps a fleet of them in
//! one YAML file (`export`, `plan`, `apply`). `chatbots --help` and the
//! README's CLI section say how.
#![forbid(unsafe_code)]

mod args;
mod bots;
mod config;
mod fleet;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::output::{Failure, Output};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
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

async fn run(cli: Cli, out: Output) -> Result<ExitCode, Failure> {
    // Fleet files are checked before any client exists: a bad file is
    // refused the same way with or without credentials, and nothing is
    // sent.
    let prepared = fleet::prepare(&cli.command)?;
    let bots = config::client(cli.sandbox.as_deref()).await?;
    match cli.command {
        Command::Vendors => bots::vendors(&bots, out),
        Command::List { vendor } => bots::list(&bots, vendor, out).await,
        Command::Get { bot } => bots::get(&bots, &bot, out).await,
        Command::Update { bot, fields } => bots::update(&bots, &bot, fields, out).await,
        Command::Export { vendors, output } => {
            fleet::export(&bots, &vendors, output.as_deref(), out).await
        }
        Command::Plan {
            output,
            detailed_exitcode,
            ..
        } => fleet::plan(&bots, prepared, output.as_deref(), detailed_exitcode, out).await,
        Command::Apply {
            yes, concurrency, ..
        } => fleet::apply(&bots, prepared, yes, concurrency, out).await,
    }
}
