//! One apply at a time per journal directory: a lock file naming its
//! holder, taken over when its holder is gone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The lock's file name in the journal directory.
const LOCK_FILE: &str = "apply.lock";

/// The largest lock file read (a holder is a few dozen bytes).
const MAX_LOCK_BYTES: u64 = 4096;

/// Who holds a journal directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LockHolder {
    /// The process.
    pub pid: u32,
    /// The machine.
    pub host: String,
    /// Since when (RFC 3339, UTC).
    pub since: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {} since {}",
            self.pid,
            crate::printable::one_line(&self.host),
            crate::printable::one_line(&self.since)
        )
    }
}

/// The lock of a journal directory, held until dropped.
#[derive(Debug)]
pub struct JournalLock {
    path: PathBuf,
    holder: LockHolder,
}

impl JournalLock {
    /// Takes the lock of `dir` (created if missing). Refused at once,
    /// naming the holder, while another process holds it; a lock left by
    /// a process of this machine that no longer runs is taken over.
    pub fn acquire(dir: &Path) -> Result<JournalLock, Error> {
        let shown = crate::printable::one_line(&dir.to_string_lossy()).into_owned();
        let failed = |e: io::Error| {
            Error::config(
                None,
                format!("journal directory {shown}: cannot take its lock: {e}"),
            )
        };
        fs::create_dir_all(dir).map_err(failed)?;
        let path = dir.join(LOCK_FILE);
        let holder = LockHolder {
            pid: std::process::id(),
            host: super::journal::host(),
            since: super::journal::rfc3339(SystemTime::now()),
        };
        for _ in 0..2 {
            match create(&path, &holder) {
                Ok(()) => return Ok(JournalLock { path, holder }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(failed(e)),
            }
            let Some(current) = read(&path) else {
                // Removed in between, or being written: try once more.
                continue;
            };
            if !is_gone(&current, &holder.host) {
                return Err(Error::config(
                    None,
                    format!(
                        "journal directory {shown} is in use by another apply, undo or \
                         --resume ({current}); wait for it to end (if that process no \
                         longer runs, remove {shown}/{LOCK_FILE})"
                    ),
                ));
            }
            // Take over: move the stale lock aside, and check it was still
            // the one read (another process may have taken it over first).
            let aside = dir.join(format!("{LOCK_FILE}.stale-{}", holder.pid));
            if fs::rename(&path, &aside).is_ok() {
                let moved = read(&aside);
                if moved.as_ref() != Some(&current) {
                    // Someone else's fresh lock: put it back.
                    let _ = fs::hard_link(&aside, &path);
                }
                let _ = fs::remove_file(&aside);
            }
        }
        Err(failed(io::Error::other(
            "another process took it at the same time",
        )))
    }

    /// Who holds it (this process).
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        // Only our own lock.
        if read(&self.path).as_ref() == Some(&self.holder) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn create(path: &Path, holder: &LockHolder) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let text = serde_json::to_vec(holder).map_err(io::Error::other)?;
    file.write_all(&text)?;
    file.sync_data()
}

fn read(path: &Path) -> Option<LockHolder> {
    let mut text = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_LOCK_BYTES)
        .read_to_end(&mut text)
        .ok()?;
    serde_json::from_slice(&text).ok()
}

/// Whether `holder`'s process no longer runs: known only for a process of
/// this machine where the system lists processes (`/proc`); elsewhere the
/// lock is taken as held.
fn is_gone(holder: &LockHolder, this_host: &str) -> bool {
    holder.host == this_host
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{}", holder.pid)).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "chatbots-lock-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ))
    }

    #[test]
    fn a_second_holder_is_refused_naming_the_first() {
        let dir = temp_dir("second");
        let first = JournalLock::acquire(&dir).unwrap();
        let err = JournalLock::acquire(&dir).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("in use by another apply"), "{err}");
        drop(first);
        let again = JournalLock::acquire(&dir).unwrap();
        drop(again);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_of_a_process_that_is_gone_is_taken_over() {
        let dir = temp_dir("stale");
        fs::create_dir_all(&dir).unwrap();
        // A pid above the kernel's largest (4,194,304) never runs.
        let gone = LockHolder {
            pid: 4_194_305,
            host: super::super::journal::host(),
            since: "2026-01-01T00:00:00Z".into(),
        };
        create(&dir.join(LOCK_FILE), &gone).unwrap();
        let lock = JournalLock::acquire(&dir).unwrap();
        assert_eq!(lock.holder().pid, std::process::id());
        // Another machine's lock is never taken over.
        drop(lock);
        let elsewhere = LockHolder {
            host: "another-machine".into(),
            ..gone
        };
        create(&dir.join(LOCK_FILE), &elsewhere).unwrap();
        let err = JournalLock::acquire(&dir).unwrap_err().to_string();
        assert!(err.contains("on another-machine"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
