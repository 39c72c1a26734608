//! What is wrong with a fleet: every problem, each with its place.

use std::fmt;

/// One thing wrong with a fleet file, with where it is and which rule it
/// breaks.
///
/// ```
/// use chatbots::fleet::Fleet;
/// let err = Fleet::parse("bots:\n  okchat:1:\n    colour: red\n", "fleet.yaml").unwrap_err();
/// let problem = &err.problems[0];
/// assert_eq!(problem.line, Some(3));
/// assert_eq!(problem.field.as_deref(), Some("colour"));
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// The file, as given to [`Fleet::parse`](super::Fleet::parse).
    pub origin: String,
    /// The line, counting from 1, where known.
    pub line: Option<usize>,
    /// The bot, `vendor:id` or `vendor@account:id` as written, if the
    /// problem is one bot's.
    pub bot: Option<String>,
    /// The field: `temperature`, `vendor.voice_boost`, `defaults.greeting`,
    /// `account_defaults.okchat@client-a.greeting`.
    pub field: Option<String>,
    /// What is wrong, as a sentence.
    pub rule: String,
}

impl Problem {
    /// A problem in `origin` at `line`.
    pub(crate) fn new(origin: &str, line: Option<usize>, rule: impl Into<String>) -> Self {
        Self {
            origin: origin.to_string(),
            line,
            bot: None,
            field: None,
            rule: rule.into(),
        }
    }

    /// This problem, about `bot`.
    pub(crate) fn bot(mut self, bot: impl Into<String>) -> Self {
        self.bot = Some(bot.into());
        self
    }

    /// This problem, about `field`.
    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// `fleet.yaml:7: okchat:3317…: temperature: must be at most 2`.
/// One line, whatever the file held: every part is shown with control
/// characters escaped ([`crate::printable`]), so that a bot id or key from
/// the file can neither drive a terminal nor forge another problem's line.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::printable::one_line;
        f.write_str(&one_line(&self.origin))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(":")?;
        if let Some(bot) = &self.bot {
            write!(f, " {}:", one_line(bot))?;
        }
        if let Some(field) = &self.field {
            write!(f, " {}:", one_line(field))?;
        }
        write!(f, " {}", one_line(&self.rule))
    }
}

/// Everything wrong with a fleet file, each problem with file, line, bot,
/// field and rule. Nothing was sent.
#[derive(Clone, Debug)]
pub struct FleetError {
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
}

/// One problem per line.
impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FleetError {}

impl FleetError {
    /// Ok when there is no problem; the problems sorted by line otherwise
    /// (stable: problems of one line keep the order they were found in).
    pub(crate) fn check(mut problems: Vec<Problem>) -> Result<(), FleetError> {
        if problems.is_empty() {
            return Ok(());
        }
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        Err(FleetError { problems })
    }
}

/// The candidate `given` is most likely a typo of: the nearest by edit
/// distance, if within a third of its length (at least one edit). Keys
/// longer than any field name are not compared, so that a hostile key
/// costs nothing.
pub(crate) fn closest<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    const LONGEST: usize = 64;
    let given: Vec<char> = given.chars().collect();
    if given.is_empty() || given.len() > LONGEST {
        return None;
    }
    let allowed = (given.len() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| c.len() <= 2 * LONGEST)
        .map(|c| (distance(&given, c), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, one row at a time.
fn distance(a: &[char], b: &str) -> usize {
    let mut row: Vec<usize> = (0..=a.len()).collect();
    for (j, cb) in b.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = j + 1;
        for (i, ca) in a.iter().enumerate() {
            let substitute = diagonal + usize::from(*ca != cb);
            diagonal = row[i + 1];
            row[i + 1] = substitute.min(row[i] + 1).min(diagonal + 1);
        }
    }
    row[a.len()]
}

#[cfg(test)]
mod tests {
    use super::{Problem, closest};

    #[test]
    fn a_problem_is_one_line_with_control_characters_shown() {
        let mut problem = Problem::new("fleet\u{1b}[2J.yaml", Some(3), "a rule\nforged: line");
        problem.bot = Some("okchat:a\u{2028}b\u{202e}".into());
        problem.field = Some("vendor.x\u{9b}".into());
        let shown = problem.to_string();
        assert_eq!(
            shown,
            "fleet\\e[2J.yaml:3: okchat:a\\u{2028}b\\u{202e}: vendor.x\\u{9b}: a rule\\nforged: line"
        );
        assert!(!shown.chars().any(crate::printable::needs_escape));
    }

    #[test]
    fn a_typo_finds_its_field_and_a_stranger_finds_none() {
        let fields = ["voice_boost", "voice_speed", "greeting"];
        assert_eq!(closest("voice_bost", fields), Some("voice_boost"));
        assert_eq!(closest("greting", fields), Some("greeting"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(closest(&"x".repeat(100_000), fields), None);
    }
}
