//! The journal of an apply: what was about to be sent, written and synced
//! to disk before it is sent, and what came of it.
//!
//! One file per apply in the journal directory, one JSON object per line:
//!
//! ```text
//! {"kind":"header","format":1,"started":"2026-12-06T12:00:00Z","host":"ci-7","user":"ops","pid":4242,"version":"0.1.0","source":{"path":"fleet.yaml","sha256":"9f…"}}
//! {"kind":"intent","bot":"okchat@client-a:3317…","fields":[{"field":"greeting","old":"Hi","new":"Hello"}]}
//! {"kind":"outcome","bot":"okchat@client-a:3317…","status":"changed"}
//! {"kind":"close","ended":"2026-12-06T12:00:03Z","changed":1,"failed":0,"unknown":0}
//! ```
//!
//! Invariants: a line is written, flushed and synced (`fsync`) before the
//! request it announces is sent, so that a journal never misses an update
//! that reached a vendor; an `outcome` line follows its `intent`; a
//! journal without its `close` line belongs to an apply that was stopped
//! (a killed process, a lost machine), and the bots it announced without
//! an outcome are *unknown*. A journal holds bot references, field values
//! and error messages — never a credential (errors are already redacted).
//! A line is at most [`MAX_LINE_BYTES`]; a journal is read line by line,
//! in memory linear in its longest line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::apply::NotKept;
pub use super::journaled::{plan_path, undo_path};
use crate::error::Error;
use crate::model::BotRef;

/// The journal format this version writes and reads.
pub const JOURNAL_FORMAT: u32 = 1;

/// The longest journal line read back (16 MiB): a bot's intent holds its
/// old and new values, each at most a vendor's field.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The file name suffix of journals.
const SUFFIX: &str = ".journal.jsonl";

/// What started an apply, for the journal's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JournalSource {
    /// The fleet or plan file, as given (empty when built in code).
    pub path: String,
    /// The SHA-256 of its content, lower-case hex.
    pub sha256: String,
}

impl JournalSource {
    /// The source `path` whose content is `content`.
    pub fn new(path: impl Into<String>, content: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, content);
        Self {
            path: path.into(),
            sha256: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// One field an intent announces: its value before and the value sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field: a shared field's name, or `vendor.<key>`.
    pub field: String,
    /// The value the plan read (`null`: unknown, the vendor cannot read it).
    pub old: Value,
    /// The value sent.
    pub new: Value,
}

/// How one announced update ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// The vendor confirmed it.
    Changed,
    /// The vendor refused it, or it was never sent.
    Failed,
    /// It was sent and its answer lost: it may have been applied.
    Unknown,
}

/// One line of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// The first line: who applied what, when.
    Header {
        /// [`JOURNAL_FORMAT`].
        format: u32,
        /// When the apply started (RFC 3339, UTC).
        started: String,
        /// The machine.
        host: String,
        /// The user.
        user: String,
        /// The process.
        pid: u32,
        /// This library's version.
        version: String,
        /// The fleet or plan file applied.
        source: JournalSource,
    },
    /// An update about to be sent.
    Intent {
        /// The bot.
        bot: BotRef,
        /// What it changes.
        fields: Vec<FieldChange>,
    },
    /// How an announced update ended.
    Outcome {
        /// The bot.
        bot: BotRef,
        /// Changed, failed or unknown.
        status: OutcomeStatus,
        /// The error, for failed and unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A field the read-back after the updates found other than sent
    /// (the vendor did not keep it, or someone changed it in between).
    ReadBack {
        /// The bot.
        bot: BotRef,
        /// The field.
        field: String,
        /// The value sent.
        sent: Value,
        /// The value read back (`null`: not reported).
        now: Value,
    },
    /// The last line: the apply ended.
    Close {
        /// When (RFC 3339, UTC).
        ended: String,
        /// Bots changed.
        changed: usize,
        /// Bots failed.
        failed: usize,
        /// Bots whose update may or may not have been applied.
        unknown: usize,
        /// The undo plan written beside the journal, if the apply changed
        /// anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        undo: Option<String>,
        /// For an apply that stopped: the journal of the apply that
        /// finished it (`--resume`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumed_by: Option<String>,
    },
}

/// A journal being written. Every method writes one line and syncs it
/// before returning; calls from several tasks are serialised.
#[derive(Debug)]
pub struct JournalWriter {
    path: PathBuf,
    file: Mutex<File>,
}

impl JournalWriter {
    /// Creates a new journal in `dir` (created if missing) and writes its
    /// header. Fails, naming the directory, when it cannot be written.
    pub fn create(dir: &Path, source: JournalSource) -> Result<JournalWriter, Error> {
        let failed = |e: io::Error, what: &str| {
            Error::config(
                None,
                format!("journal directory {}: cannot {what}: {e}", shown(dir)),
            )
        };
        fs::create_dir_all(dir).map_err(|e| failed(e, "create it"))?;
        let now = SystemTime::now();
        let nanos = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let stamp = format!("{}-{nanos:09}", compact(&rfc3339(now)));
        let pid = std::process::id();
        // The stamp sorts journals by start; the pid and a counter keep two
        // applies started at once apart.
        let (path, file) = (0..1000)
            .find_map(|n| {
                let name = match n {
                    0 => format!("{stamp}-{pid}{SUFFIX}"),
                    n => format!("{stamp}-{pid}-{n}{SUFFIX}"),
                };
                let path = dir.join(name);
                match OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(file) => Some(Ok((path, file))),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .unwrap_or_else(|| Err(io::Error::other("1,000 journals started this second")))
            .map_err(|e| failed(e, "create a journal in it"))?;
        let writer = JournalWriter {
            path,
            file: Mutex::new(file),
        };
        writer.write(&Entry::Header {
            format: JOURNAL_FORMAT,
            started: rfc3339(now),
            host: host(),
            user: user(),
            pid,
            version: env!("CARGO_PKG_VERSION").to_string(),
            source,
        })?;
        // The new file's name must survive a crash too.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(writer)
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Announces an update of `bot`; returns once it is on disk.
    pub fn intent(&self, bot: &BotRef, fields: Vec<FieldChange>) -> Result<(), Error> {
        self.write(&Entry::Intent {
            bot: bot.clone(),
            fields,
        })
    }

    /// Records how `bot`'s update ended.
    pub fn outcome(
        &self,
        bot: &BotRef,
        status: OutcomeStatus,
        error: Option<&Error>,
    ) -> Result<(), Error> {
        self.write(&Entry::Outcome {
            bot: bot.clone(),
            status,
            error: error.map(ToString::to_string),
        })
    }

    /// Records a field the read-back found other than sent.
    pub fn read_back(&self, bot: &BotRef, not_kept: &NotKept) -> Result<(), Error> {
        self.write(&Entry::ReadBack {
            bot: bot.clone(),
            field: not_kept.field.clone(),
            sent: not_kept.sent.clone(),
            now: not_kept.now.clone(),
        })
    }

    /// Closes the journal with the counts of the outcomes and the undo
    /// plan written, if any.
    pub fn close(
        &self,
        changed: usize,
        failed: usize,
        unknown: usize,
        undo: Option<&Path>,
    ) -> Result<(), Error> {
        self.write(&Entry::Close {
            ended: rfc3339(SystemTime::now()),
            changed,
            failed,
            unknown,
            undo: undo.map(|p| p.to_string_lossy().into_owned()),
            resumed_by: None,
        })
    }

    fn write(&self, entry: &Entry) -> Result<(), Error> {
        let mut line = serde_json::to_vec(entry)
            .map_err(|e| Error::config(None, format!("journal line: {e}")))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&line)
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data())
            .map_err(|e| {
                Error::config(
                    None,
                    format!("journal {}: cannot write: {e}", shown(&self.path)),
                )
            })
    }
}

/// A journal read back.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JournalSummary {
    /// Its file.
    pub path: PathBuf,
    /// Its header's start time, source, host, user and pid.
    pub started: String,
    /// The fleet or plan file applied.
    pub source: JournalSource,
    /// The machine and process that wrote it.
    pub host: String,
    /// The process.
    pub pid: u32,
    /// Outcomes recorded: changed, failed, unknown.
    pub changed: usize,
    /// Bots failed.
    pub failed: usize,
    /// Bots recorded unknown.
    pub unknown: usize,
    /// Whether it has its closing line.
    pub closed: bool,
    /// The undo plan its closing line names.
    pub undo: Option<PathBuf>,
    /// For a journal of an apply that stopped: the journal of the apply
    /// that finished it (`--resume`), as its closing line names it.
    pub resumed_by: Option<PathBuf>,
    /// Bots announced without an outcome, or with outcome unknown: their
    /// state is not known.
    pub not_done: Vec<BotRef>,
    /// Every intent, in order, with its outcome if recorded.
    pub updates: Vec<(BotRef, Vec<FieldChange>, Option<OutcomeStatus>)>,
    /// The length of its complete lines (a line cut short follows).
    complete_len: u64,
}

impl JournalSummary {
    /// Reads the journal at `path`. A last line cut short (the process
    /// died while writing it) is ignored: the line was not synced, so the
    /// update it announced was not sent. Any other line that is not a
    /// journal entry refuses the journal, naming file and line.
    pub fn read(path: &Path) -> Result<JournalSummary, Error> {
        let refused = |line: usize, rule: String| {
            Error::config(None, format!("{}:{line}: {rule}", shown(path)))
        };
        let file = File::open(path).map_err(|e| refused(0, format!("cannot read: {e}")))?;
        let mut reader = BufReader::new(file);
        let mut summary: Option<JournalSummary> = None;
        let mut buf = Vec::new();
        let mut number = 0;
        let mut header_len = 0;
        loop {
            buf.clear();
            number += 1;
            let read = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| refused(number, format!("cannot read: {e}")))?;
            if read == 0 {
                break;
            }
            if buf.len() > MAX_LINE_BYTES {
                return Err(refused(
                    number,
                    format!("a line longer than {MAX_LINE_BYTES} bytes"),
                ));
            }
            let complete = buf.ends_with(b"\n");
            let entry: Entry = match serde_json::from_slice(&buf) {
                Ok(entry) if complete => entry,
                // Cut short by a crash: never synced, never acted on.
                _ if !complete => break,
                Ok(_) => unreachable!(),
                Err(e) => return Err(refused(number, format!("not a journal entry: {e}"))),
            };
            if let Some(s) = &mut summary {
                s.complete_len += read as u64;
            } else {
                // The header line, counted when its summary exists.
                header_len = read as u64;
            }
            match (entry, &mut summary) {
                (
                    Entry::Header {
                        format,
                        started,
                        host,
                        pid,
                        source,
                        ..
                    },
                    None,
                ) => {
                    if format != JOURNAL_FORMAT {
                        return Err(refused(
                            number,
                            format!("journal format {format}; this version reads {JOURNAL_FORMAT}"),
                        ));
                    }
                    summary = Some(JournalSummary {
                        path: path.to_path_buf(),
                        started,
                        source,
                        host,
                        pid,
                        changed: 0,
                        failed: 0,
                        unknown: 0,
                        closed: false,
                        undo: None,
                        resumed_by: None,
                        not_done: Vec::new(),
                        updates: Vec::new(),
                        complete_len: 0,
                    });
                }
                (_, None) => return Err(refused(number, "does not start with a header".into())),
                (_, Some(s)) if s.closed => {
                    return Err(refused(number, "a line after the closing line".into()));
                }
                (Entry::Header { .. }, Some(_)) => {
                    return Err(refused(number, "a second header".into()));
                }
                (Entry::Intent { bot, fields }, Some(s)) => s.updates.push((bot, fields, None)),
                (Entry::Outcome { bot, status, .. }, Some(s)) => {
                    let Some(update) = s
                        .updates
                        .iter_mut()
                        .rev()
                        .find(|(b, _, outcome)| *b == bot && outcome.is_none())
                    else {
                        return Err(refused(
                            number,
                            format!("an outcome for {bot}, which no intent announced"),
                        ));
                    };
                    update.2 = Some(status);
                    match status {
                        OutcomeStatus::Changed => s.changed += 1,
                        OutcomeStatus::Failed => s.failed += 1,
                        OutcomeStatus::Unknown => s.unknown += 1,
                    }
                }
                (Entry::ReadBack { .. }, Some(_)) => {}
                (
                    Entry::Close {
                        undo, resumed_by, ..
                    },
                    Some(s),
                ) => {
                    s.closed = true;
                    s.undo = undo.map(PathBuf::from);
                    s.resumed_by = resumed_by.map(PathBuf::from);
                }
            }
        }
        let mut summary = summary.ok_or_else(|| refused(1, "empty: no header".into()))?;
        summary.complete_len += header_len;
        summary.not_done = summary
            .updates
            .iter()
            .filter(|(_, _, outcome)| matches!(outcome, None | Some(OutcomeStatus::Unknown)))
            .map(|(bot, _, _)| bot.clone())
            .collect();
        Ok(summary)
    }
}

/// Closes the journal at `path` of an apply that stopped, with the counts
/// it recorded and the journal of the apply that finished it.
pub(crate) fn close_stopped(
    path: &Path,
    summary: &JournalSummary,
    resumed_by: Option<&Path>,
) -> Result<(), Error> {
    let failed =
        |e: io::Error| Error::config(None, format!("journal {}: cannot write: {e}", shown(path)));
    // A line cut short by the crash was never synced, so never acted on:
    // it goes, so that the closing line starts a line of its own.
    let file = OpenOptions::new().append(true).open(path).map_err(failed)?;
    file.set_len(summary.complete_len).map_err(failed)?;
    let writer = JournalWriter {
        path: path.to_path_buf(),
        file: Mutex::new(file),
    };
    writer.write(&Entry::Close {
        ended: rfc3339(SystemTime::now()),
        changed: summary.changed,
        failed: summary.failed,
        unknown: summary.unknown,
        undo: None,
        resumed_by: resumed_by.map(|p| p.to_string_lossy().into_owned()),
    })
}

/// The journals in `dir`, newest first (none when it does not exist).
/// Journals that cannot be read are returned as errors in their place,
/// so that one bad file hides none of the others.
pub fn history(dir: &Path) -> Result<Vec<Result<JournalSummary, Error>>, Error> {
    Ok(journal_paths(dir)?
        .iter()
        .map(|p| JournalSummary::read(p))
        .collect())
}

/// The journals in `dir` without their closing line: applies that were
/// stopped before they ended, oldest first.
///
/// Every plan, apply and undo asks this, and a journal directory keeps
/// every apply ever made: a journal whose last complete line is its
/// closing line is recognised from its last [`TAIL_BYTES`] alone, so the
/// cost grows with the number of journals, not with their size. Only the
/// others are read whole.
pub fn unfinished(dir: &Path) -> Result<Vec<JournalSummary>, Error> {
    let mut found: Vec<JournalSummary> = journal_paths(dir)?
        .iter()
        .filter(|p| !matches!(ends_with_closing_line(p), Ok(Some(true))))
        .filter_map(|p| JournalSummary::read(p).ok())
        .filter(|j| !j.closed)
        .collect();
    found.reverse();
    Ok(found)
}

/// How much of a journal's end [`unfinished`] reads to find its closing
/// line (one is about 200 bytes).
pub const TAIL_BYTES: u64 = 64 << 10;

/// Whether the last complete line of the journal at `path` is a closing
/// line, from its last [`TAIL_BYTES`]; `None` when that line does not fit
/// in them (then only a whole read can tell). A line cut short at the end
/// is passed over, as [`JournalSummary::read`] does.
fn ends_with_closing_line(path: &Path) -> io::Result<Option<bool>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut tail)?;
    // Up to the last newline: what follows it is a line cut short.
    let Some(end) = tail.iter().rposition(|&b| b == b'\n') else {
        return Ok(if start == 0 { Some(false) } else { None });
    };
    let line_start = match tail[..end].iter().rposition(|&b| b == b'\n') {
        Some(newline) => newline + 1,
        None if start == 0 => 0,
        None => return Ok(None),
    };
    Ok(Some(matches!(
        serde_json::from_slice(&tail[line_start..end]),
        Ok(Entry::Close { .. })
    )))
}

/// The journal files in `dir`, newest first (none when it does not exist).
fn journal_paths(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::config(
                None,
                format!("journal directory {}: cannot read: {e}", shown(dir)),
            ));
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(SUFFIX))
        .collect();
    // Names start with the UTC start time, so that names sort by time.
    paths.sort();
    paths.reverse();
    Ok(paths)
}

/// A path as shown in messages: escaped, one line.
fn shown(path: &Path) -> String {
    crate::printable::one_line(&path.to_string_lossy()).into_owned()
}

/// This machine's name, as the system reports it.
pub(crate) fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The user running this process.
fn user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// `time` as RFC 3339 in UTC, to the second.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm), for 1970 onwards.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `2026-12-06T12:00:00Z` as `20261206T120000Z`, for file names.
fn compact(stamp: &str) -> String {
    stamp.chars().filter(|c| !matches!(c, '-' | ':')).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::Vendor;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chatbots-journal-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_558_400);
        assert_eq!(rfc3339(t), "2026-12-06T12:00:00Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_journal_reads_back_what_was_written() {
        let dir = temp_dir("round-trip");
        let source = JournalSource::new("fleet.yaml", b"bots: {}\n");
        let journal = JournalWriter::create(&dir, source.clone()).unwrap();
        let a = BotRef::new(Vendor::OkChat, "a");
        let b = BotRef::in_account(crate::AccountRef::new(Vendor::OkChat, "client-b"), "b");
        let change = FieldChange {
            field: "greeting".into(),
            old: "Hi".into(),
            new: "Hello".into(),
        };
        journal.intent(&a, vec![change.clone()]).unwrap();
        journal.intent(&b, vec![change]).unwrap();
        journal.outcome(&a, OutcomeStatus::Changed, None).unwrap();
        // b's answer was lost: no outcome, no close (a killed process).
        let read = JournalSummary::read(journal.path()).unwrap();
        assert_eq!(read.source, source);
        assert_eq!(read.changed, 1);
        assert!(!read.closed);
        assert_eq!(read.not_done, std::slice::from_ref(&b));
        journal.outcome(&b, OutcomeStatus::Unknown, None).unwrap();
        journal.close(1, 0, 1, None).unwrap();
        let read = JournalSummary::read(journal.path()).unwrap();
        assert!(read.closed);
        assert_eq!((read.changed, read.failed, read.unknown), (1, 0, 1));
        assert_eq!(read.not_done, [b]);
        assert!(unfinished(&dir).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_cut_short_is_ignored_and_a_corrupt_one_refused() {
        let dir = temp_dir("cut");
        let journal = JournalWriter::create(&dir, JournalSource::new("", b"")).unwrap();
        let a = BotRef::new(Vendor::OkChat, "a");
        journal.intent(&a, Vec::new()).unwrap();
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"kind":"outcome","bot":"okc"#).unwrap();
        let read = JournalSummary::read(&path).unwrap();
        assert_eq!(read.not_done, [a]);
        assert_eq!(unfinished(&dir).unwrap().len(), 1);
        file.write_all(b"\n{}\n").unwrap();
        let err = JournalSummary::read(&path).unwrap_err().to_string();
        assert!(err.contains(":3: not a journal entry"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closing_a_stopped_journal_cuts_off_its_line_cut_short() {
        let dir = temp_dir("close-stopped");
        let journal = JournalWriter::create(&dir, JournalSource::new("", b"")).unwrap();
        journal
            .intent(&BotRef::new(Vendor::OkChat, "a"), Vec::new())
            .unwrap();
        let path = journal.path().to_path_buf();
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"kind":"outc"#).unwrap();
        let summary = JournalSummary::read(&path).unwrap();
        close_stopped(&path, &summary, Some(Path::new("next.journal.jsonl"))).unwrap();
        let closed = JournalSummary::read(&path).unwrap();
        assert!(closed.closed);
        assert_eq!(
            closed.resumed_by.as_deref(),
            Some(Path::new("next.journal.jsonl"))
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"outc"), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_closing_line_is_found_from_the_tail_alone() {
        let dir = temp_dir("tail");
        let a = BotRef::new(Vendor::OkChat, "a");
        let journal = JournalWriter::create(&dir, JournalSource::new("", b"")).unwrap();
        let path = journal.path().to_path_buf();
        assert_eq!(ends_with_closing_line(&path).unwrap(), Some(false));
        // Intents larger than the tail: the closing line still fits in it.
        let big = FieldChange {
            field: "instructions".into(),
            old: Value::String("x".repeat(TAIL_BYTES as usize)),
            new: "y".into(),
        };
        journal.intent(&a, vec![big.clone()]).unwrap();
        assert_eq!(ends_with_closing_line(&path).unwrap(), None);
        journal.outcome(&a, OutcomeStatus::Changed, None).unwrap();
        assert_eq!(ends_with_closing_line(&path).unwrap(), Some(false));
        journal.close(1, 0, 0, None).unwrap();
        assert_eq!(ends_with_closing_line(&path).unwrap(), Some(true));
        // A line cut short after the closing line is passed over, as the
        // whole read does.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"kind":"int"#).unwrap();
        assert_eq!(ends_with_closing_line(&path).unwrap(), Some(true));
        assert!(JournalSummary::read(&path).unwrap().closed);
        assert!(unfinished(&dir).unwrap().is_empty());

        // A stopped journal whose last line is bigger than the tail is read
        // whole, and found.
        let stopped = JournalWriter::create(&dir, JournalSource::new("", b"")).unwrap();
        stopped.intent(&a, vec![big]).unwrap();
        let stopped_path = stopped.path().to_path_buf();
        drop(stopped);
        assert_eq!(ends_with_closing_line(&stopped_path).unwrap(), None);
        let found = unfinished(&dir).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, stopped_path);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn history_lists_newest_first() {
        let dir = temp_dir("history");
        let first = JournalWriter::create(&dir, JournalSource::new("one.yaml", b"1")).unwrap();
        first.close(0, 0, 0, None).unwrap();
        let second = JournalWriter::create(&dir, JournalSource::new("two.yaml", b"2")).unwrap();
        let listed: Vec<String> = history(&dir)
            .unwrap()
            .into_iter()
            .map(|j| j.unwrap().source.path)
            .collect();
        assert_eq!(listed, ["two.yaml", "one.yaml"]);
        drop(second);
        assert!(history(&temp_dir("absent")).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
