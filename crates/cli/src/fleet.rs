//! `export`, `plan` and `apply`, on the facade's fleet engine
//! (`chatbots::fleet`).

use std::path::Path;
use std::process::ExitCode;

use chatbots::{Chatbots, Vendor};

use crate::args::Command;
use crate::output::{Failure, Output};

/// What a fleet command reads before any client exists.
#[derive(Debug)]
pub enum Prepared {
    /// Not a fleet command.
    Nothing,
}

/// Reads and checks the fleet file or plan a command names.
pub fn prepare(_command: &Command) -> Result<Prepared, Failure> {
    Ok(Prepared::Nothing)
}

fn not_yet() -> Failure {
    Failure::message("the fleet engine (chatbots::fleet) is not in this build yet")
}

/// `chatbots export`.
pub async fn export(
    _bots: &Chatbots,
    _vendors: &[Vendor],
    _output: Option<&Path>,
    _out: Output,
) -> Result<ExitCode, Failure> {
    Err(not_yet())
}

/// `chatbots plan`.
pub async fn plan(
    _bots: &Chatbots,
    _prepared: Prepared,
    _output: Option<&Path>,
    _detailed: bool,
    _out: Output,
) -> Result<ExitCode, Failure> {
    Err(not_yet())
}

/// `chatbots apply`.
pub async fn apply(
    _bots: &Chatbots,
    _prepared: Prepared,
    _yes: bool,
    _concurrency: usize,
    _out: Output,
) -> Result<ExitCode, Failure> {
    Err(not_yet())
}
