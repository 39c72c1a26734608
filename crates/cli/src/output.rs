//! Everything the CLI prints: tables and coloured text for people, one
//! JSON object per line with `--json`, a progress bar on a terminal, and
//! failures.
//!
//! Colour goes through `anstream`, which drops it when stdout is not a
//! terminal or `NO_COLOR` is set (and keeps it with `CLICOLOR_FORCE`).

use std::fmt;
use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use comfy_table::{ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

/// A command that could not do its job: what is wrong, and, for a file
/// with several problems, each of them (as JSON objects, for `--json`).
#[derive(Debug)]
pub struct Failure {
    message: String,
    details: Vec<Value>,
}

impl Failure {
    /// A failure said in one message.
    pub fn message(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A failure with details, each one JSON line with `--json`.
    pub fn with_details(message: impl Into<String>, details: Vec<Value>) -> Self {
        Failure {
            message: message.into(),
            details,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<chatbots::Error> for Failure {
    fn from(error: chatbots::Error) -> Self {
        let hint = match error.kind() {
            // The library's message speaks of the builder; here the way
            // out is the environment, or the sandbox.
            chatbots::ErrorKind::Config => {
                " (set the vendor's variables, or try everything on a sandbox: \
                 `cargo run -p chatbots-sandbox`, then --sandbox http://127.0.0.1:8080)"
            }
            _ => "",
        };
        Failure::message(format!("{error}{hint}"))
    }
}

/// How results are printed.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    json: bool,
}

impl Output {
    /// JSON lines when `json`, else text.
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// One JSON line on stdout.
    pub fn line(&self, value: &Value) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not our failure to report.
        let _ = writeln!(out, "{value}");
    }

    /// Text on stdout, as it is (it may carry colour; anstream strips it
    /// where it does not belong).
    pub fn text(&self, text: impl fmt::Display) {
        let mut out = anstream::stdout();
        let _ = writeln!(out, "{text}");
    }

    /// A note for people on stderr (not part of the results).
    pub fn note(&self, text: impl fmt::Display) {
        let mut err = anstream::stderr();
        let _ = writeln!(err, "{text}");
    }

    /// Reports a failure: the message on stderr, and with `--json` each
    /// detail and then `{"type": "error", "message": …}` on stdout.
    pub fn failure(&self, failure: &Failure) {
        if self.json {
            for detail in &failure.details {
                self.line(detail);
            }
            self.line(&json!({"type": "error", "message": failure.message}));
        }
        let style = AnsiColor::Red.on_default().bold();
        let mut err = anstream::stderr();
        let _ = writeln!(err, "{style}error:{style:#} {}", failure.message);
    }
}

/// The style of a line of a plan or a diff: `-` red, `+` green, `?`
/// yellow, judged by the first character after the indentation.
pub fn diff_style(line: &str) -> Style {
    match line.trim_start().chars().next() {
        Some('-') => AnsiColor::Red.on_default(),
        Some('+') => AnsiColor::Green.on_default(),
        Some('?') => AnsiColor::Yellow.on_default(),
        Some('~') => Style::new().bold(),
        _ => Style::new(),
    }
}

/// `text` with each line styled by [`diff_style`].
pub fn coloured_diff(text: &str) -> String {
    text.lines()
        .map(|line| {
            let style = diff_style(line);
            format!("{style}{line}{style:#}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table with `header`; box-drawn on a terminal, Markdown otherwise (so
/// that a pipe gets plain ASCII).
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    if std::io::stdout().is_terminal() {
        table.load_preset(presets::UTF8_FULL_CONDENSED);
    } else {
        table.load_preset(presets::ASCII_MARKDOWN);
    }
    table
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    table
}

/// A value shortened for a table cell: one line, at most `max` characters
/// (the whole value is in `get` and in `--json`).
pub fn cell(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', "⏎");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut short: String = one_line.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal; with
/// `total` 0 (not known yet) it stays out of sight until [`advance`]
/// gives it a length.
pub fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(to_u64(total)), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    if total > 0 && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    bar
}

/// Moves `bar` to `done` of `total`, showing it (on a terminal) once it
/// has a length.
pub fn advance(bar: &ProgressBar, done: usize, total: usize) {
    bar.set_length(to_u64(total));
    bar.set_position(to_u64(done));
    if bar.is_hidden() && total > 0 && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_are_coloured_by_their_first_sign() {
        assert_eq!(
            diff_style("  - greeting: \"a\""),
            AnsiColor::Red.on_default()
        );
        assert_eq!(
            diff_style("  + greeting: \"b\""),
            AnsiColor::Green.on_default()
        );
        assert_eq!(diff_style("  ? language"), AnsiColor::Yellow.on_default());
        assert_eq!(diff_style("3 bots"), Style::new());
        let text = coloured_diff("~ okchat:1\n  - a\n  + b");
        assert!(text.contains("\u{1b}[31m  - a"), "{text:?}");
        assert!(text.contains("\u{1b}[32m  + b"), "{text:?}");
    }

    #[test]
    fn cells_are_one_short_line() {
        assert_eq!(cell("a\nb", 10), "a⏎b");
        assert_eq!(cell("abcdefghijkl", 5), "abcd…");
    }
}
