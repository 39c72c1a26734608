//! Everything the CLI prints: tables and coloured text for people, one
//! JSON object per line with `--json`, a progress bar on a terminal, and
//! failures.
//!
//! Colour goes through `anstream`, which drops it when stdout is not a
//! terminal or `NO_COLOR` is set (and keeps it with `CLICOLOR_FORCE`).
//!
//! Every text for people leaves through [`Output`], which escapes it
//! ([`escape::visible`]): vendor text never drives the terminal. The only
//! escape sequences written are the styles of a [`Painted`] text, whose
//! pieces are escaped before they are styled.

use std::borrow::Cow;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};
use comfy_table::{ContentArrangement, Table, presets};
use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthChar;

use chatbots::printable as escape;

/// A command that could not do its job: what is wrong, and, for a file
/// with several problems, each of them (as JSON objects, for `--json`).
#[derive(Debug)]
pub struct Failure {
    message: String,
    details: Vec<Value>,
    /// A library error is one line: a line feed in it is the vendor's
    /// and is shown escaped, so that it cannot forge a line of output.
    one_line: bool,
}

impl Failure {
    /// A failure said in one message.
    pub fn message(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            details: Vec::new(),
            one_line: false,
        }
    }

    /// A failure with details, each one JSON line with `--json`.
    pub fn with_details(message: impl Into<String>, details: Vec<Value>) -> Self {
        Failure {
            message: message.into(),
            details,
            one_line: false,
        }
    }

    /// The same failure with `suffix` added to its message.
    pub fn with_suffix(mut self, suffix: &str) -> Self {
        self.message.push_str(suffix);
        self
    }

    /// The message for people, escaped.
    pub fn human(&self) -> Cow<'_, str> {
        if self.one_line {
            escape::one_line(&self.message)
        } else {
            escape::visible(&self.message)
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<chatbots::Error> for Failure {
    /// The error as the library says it. A vendor without credentials is
    /// refused before this, in the CLI's own words (`config::require`).
    fn from(error: chatbots::Error) -> Self {
        Failure {
            message: error.to_string(),
            details: Vec::new(),
            one_line: true,
        }
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

    /// Text for people on stdout, escaped (line feeds kept).
    pub fn text(&self, text: impl fmt::Display) {
        let mut out = anstream::stdout();
        let _ = writeln!(out, "{}", escape::visible(&text.to_string()));
    }

    /// A document on stdout (a fleet file): exact into a file or a pipe,
    /// where it is data (`export > fleet.yaml`); escaped on a terminal,
    /// where people read it.
    pub fn document(&self, text: &str) {
        if std::io::stdout().is_terminal() {
            self.text(text);
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
        }
    }

    /// Styled text for people on stdout (anstream strips the styles where
    /// they do not belong); its pieces were escaped when added.
    pub fn painted(&self, painted: &Painted) {
        let mut out = anstream::stdout();
        let _ = write!(out, "{}", painted.0);
    }

    /// A table on stdout; on a terminal, fitted to its width.
    pub fn table(&self, table: Table) {
        match terminal_width() {
            Some(width) => self.text(fitted(table, width)),
            None => self.text(table),
        }
    }

    /// A note for people on stderr (not part of the results), escaped.
    pub fn note(&self, text: impl fmt::Display) {
        let mut err = anstream::stderr();
        let _ = writeln!(err, "{}", escape::visible(&text.to_string()));
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
        let _ = writeln!(err, "{style}error:{style:#} {}", failure.human());
    }
}

/// Text with styles, for [`Output::painted`]: each piece is escaped as it
/// is added, so that the styles are the only escape sequences in it.
#[derive(Debug, Default)]
pub struct Painted(String);

impl Painted {
    /// Empty.
    pub fn new() -> Self {
        Painted::default()
    }

    /// Adds `text` as one line (a line feed in it is escaped) in `style`.
    pub fn line(&mut self, style: Style, text: &str) -> &mut Self {
        use fmt::Write;
        let text = escape::one_line(text);
        let _ = writeln!(self.0, "{style}{text}{style:#}");
        self
    }
}

/// The width tables fit on stdout: the terminal's, else `COLUMNS`, else
/// 80; `None` off a terminal (a pipe gets whole lines).
fn terminal_width() -> Option<u16> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c > 0)
    };
    Some(
        terminal_size::terminal_size_of(stdout)
            .map(|(w, _)| w.0)
            .filter(|w| *w > 0)
            .or_else(columns)
            .unwrap_or(80),
    )
}

/// `table` rendered in at most `width` columns: cells wrap to fit, and a
/// table with more columns than the width can hold still has its lines
/// cut, so that none wraps on screen.
fn fitted(mut table: Table, width: u16) -> String {
    table
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    let text = table.to_string();
    let lines: Vec<Cow<'_, str>> = text.lines().map(|l| fit(l, width.into())).collect();
    lines.join("\n")
}

/// `line` cut to `width` columns on screen, ending in `…` when cut.
fn fit(line: &str, width: usize) -> Cow<'_, str> {
    let mut used = 0;
    for (i, c) in line.char_indices() {
        used += c.width().unwrap_or(0);
        if used > width {
            let mut cut: String = line[..i].to_string();
            // Room for the ellipsis: drop characters until it fits.
            while cut.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>() + 1 > width {
                if cut.pop().is_none() {
                    break;
                }
            }
            cut.push('…');
            return Cow::Owned(cut);
        }
    }
    Cow::Borrowed(line)
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

/// `text` with each line styled by [`diff_style`] (and escaped).
pub fn coloured_diff(text: &str) -> Painted {
    let mut painted = Painted::new();
    // Split on line feeds only: a carriage return is escaped, never taken
    // as the end of a line.
    for line in text.split('\n') {
        painted.line(diff_style(line), line);
    }
    painted
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

/// A value shortened for a table cell: one line, escaped, at most `max`
/// characters (the whole value is in `get` and in `--json`).
pub fn cell(text: &str, max: usize) -> String {
    let one_line = escape::one_line(text);
    if one_line.chars().count() <= max {
        one_line.into_owned()
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
    progress_at_least(total, what, EtaFloor::default())
}

/// The least time a run has left, as its caller knows it (the vendors'
/// limits): the bar's ETA never shows less. indicatif estimates from the
/// recent rate, which a burst sent at once makes far too fast for the
/// paced requests after it.
#[derive(Clone, Debug, Default)]
pub struct EtaFloor(Arc<Mutex<Option<(Instant, Duration)>>>);

impl EtaFloor {
    /// From now on, at least `left` remains.
    pub fn set(&self, left: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), left));
    }

    /// What remains of the last floor set.
    fn left(&self) -> Duration {
        match *self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((at, left)) => left.saturating_sub(at.elapsed()),
            None => Duration::ZERO,
        }
    }
}

/// [`progress`], with an ETA of at least what `floor` says.
pub fn progress_at_least(total: usize, what: &str, floor: EtaFloor) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(to_u64(total)), ProgressDrawTarget::hidden());
    // Rate and time left always: a run held back by a vendor's limit
    // shows its pace, and the message names the limit (`fleet::paced`).
    // The bar takes what the terminal's width leaves.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{wide_bar}] {pos}/{len} {per_sec:1}, ETA {eta}")
    {
        let eta = move |state: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = write!(w, "{:#}", HumanDuration(state.eta().max(floor.left())));
        };
        bar.set_style(style.progress_chars("=> ").with_key("eta", eta));
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
        let text = coloured_diff("~ okchat:1\n  - a\n  + b\u{1b}]0;x\u{7}\r").0;
        assert!(text.contains("\u{1b}[31m  - a"), "{text:?}");
        assert!(
            text.contains("\u{1b}[32m  + b\\e]0;x\\u{7}\\r\u{1b}[0m"),
            "{text:?}"
        );
    }

    #[test]
    fn cells_are_one_short_escaped_line() {
        assert_eq!(cell("a\nb\u{1b}[2J", 10), "a\\nb\\e[2J");
        assert_eq!(cell("abcdefghijkl", 5), "abcd…");
    }

    #[test]
    fn lines_are_cut_to_the_width_on_screen() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdefg", 6), "abcde…");
        // Wide characters take two columns.
        assert_eq!(fit("日本語テキスト", 6), "日本…");
        assert_eq!(fit("│ a │", 0), "…");
    }

    proptest::proptest! {
        /// Any cells, any width a terminal has: no line of the table is
        /// wider than the terminal.
        #[test]
        fn a_fitted_table_is_never_wider_than_the_terminal(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z日本é …\\\\⏎-]{0,80}", 4),
                0..6,
            ),
            width in 10u16..200,
        ) {
            let mut table = table(&["bot", "name", "description", "greeting"]);
            for row in &rows {
                table.add_row(row.iter().map(|c| cell(c, 40)));
            }
            for line in fitted(table, width).lines() {
                let shown = unicode_width::UnicodeWidthStr::width(line);
                proptest::prop_assert!(shown <= usize::from(width), "{} > {}: {:?}", shown, width, line);
            }
        }
    }
}
