//! Where one secret comes from, and reading it from there.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use chatbots_runtime::SecretString;

use crate::printable::one_line;

/// The most a secret file may hold: 64 KiB. A credential is a few hundred
/// bytes at most; a larger file is the wrong file, and is not read.
pub const MAX_SECRET_FILE_BYTES: usize = 64 * 1024;

/// Where an account's secret comes from: an environment variable, a file,
/// or the program itself ([`ChatbotsBuilder`](crate::ChatbotsBuilder)).
/// It names the place, never the secret, so it can be shown to anyone.
///
/// ```
/// use chatbots::config::SecretSource;
///
/// let source = SecretSource::Env("CLIENT_A_KEY".into());
/// assert_eq!(source.to_string(), "env CLIENT_A_KEY");
/// let env = |name: &str| (name == "CLIENT_A_KEY").then(|| "0123abcd".to_string());
/// assert!(source.read(&env).unwrap().is_some());
/// assert!(SecretSource::Env("UNSET".into()).read(&env).unwrap().is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretSource {
    /// The environment variable of this name.
    Env(String),
    /// The content of this file (a leading `~/` is the home directory).
    File(PathBuf),
    /// Given in code, to the builder, which holds it.
    Code,
}

/// `env CLIENT_A_KEY`, `file /run/secrets/key`, `set in code`; on one line,
/// control characters escaped ([`crate::printable`]).
impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "env {}", one_line(name)),
            Self::File(path) => write!(f, "file {}", one_line(&path.display().to_string())),
            Self::Code => f.write_str("set in code"),
        }
    }
}

impl SecretSource {
    /// The secret, looked up through `var` (the environment, or a stand-in
    /// for it): `Ok(None)` when it is not set — an unset or empty variable,
    /// an empty file, or [`Code`](Self::Code), whose secret the builder
    /// holds. A file is read whole, at most [`MAX_SECRET_FILE_BYTES`], less
    /// one trailing line break (`\n` or `\r\n`, as `echo` writes); `~/`
    /// stands for `HOME` (or `USERPROFILE`), also read through `var`.
    ///
    /// The error names the file and what is wrong with it, never its
    /// content.
    pub fn read(
        &self,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<SecretString>, String> {
        match self {
            Self::Env(name) => Ok(var(name).filter(|v| !v.is_empty()).map(SecretString::from)),
            Self::File(path) => {
                let path = expand_home(path, var)?;
                let shown = || one_line(&path.display().to_string()).into_owned();
                let bytes = read_at_most(&path, MAX_SECRET_FILE_BYTES).map_err(|e| match e {
                    ReadError::TooLarge => format!(
                        "secret file {} is larger than {} KiB, the limit for a secret file",
                        shown(),
                        MAX_SECRET_FILE_BYTES / 1024
                    ),
                    ReadError::Io(e) => format!("secret file {} cannot be read: {e}", shown()),
                })?;
                let mut text = String::from_utf8(bytes)
                    .map_err(|_| format!("secret file {} is not UTF-8 text", shown()))?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                Ok((!text.is_empty()).then(|| SecretString::from(text)))
            }
            Self::Code => Ok(None),
        }
    }
}

/// `path` with a leading `~/` replaced by the home directory.
fn expand_home(path: &Path, var: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, String> {
    let Ok(rest) = path.strip_prefix("~") else {
        return Ok(path.to_path_buf());
    };
    let home = ["HOME", "USERPROFILE"]
        .into_iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            format!(
                "secret file {} starts with `~/`, but neither HOME nor USERPROFILE is set",
                one_line(&path.display().to_string())
            )
        })?;
    Ok(Path::new(&home).join(rest))
}

/// Why [`read_at_most`] read nothing.
pub(super) enum ReadError {
    /// Larger than the limit.
    TooLarge,
    /// The file could not be opened or read.
    Io(std::io::Error),
}

/// The whole content of `path`, refused when longer than `limit` bytes
/// before a byte is read where the file's size says so, and after
/// `limit + 1` bytes otherwise (a pipe, a device).
pub(super) fn read_at_most(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    if file.metadata().is_ok_and(|m| m.len() > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}
