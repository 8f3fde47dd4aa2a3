//! The connection settings (base URL, API key, timeouts), where each comes
//! from, and the client made with them. The key goes into an `ApiKey` at
//! once and is never printed: no message of this module quotes what it
//! read, and `np6 config` shows only where the key comes from.
//!
//! The key: `--key-file FILE`, else `NP6_API_KEY`, else `NP6_KEY_FILE`
//! (both variables set is refused as ambiguous), else a prompt with no
//! echo when stdin is a terminal. The base URL: `--base-url`, else
//! `NP6_BASE_URL`, else production.

use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use np6_client::{ApiKey, Client, ErrorKind};

use crate::cli::Global;
use crate::failure::Failure;

/// The variable that gives the key itself.
const KEY_VARIABLE: &str = "NP6_API_KEY";
/// The variable that names a file holding the key.
const KEY_FILE_VARIABLE: &str = "NP6_KEY_FILE";
/// The variable that gives the base URL.
const URL_VARIABLE: &str = "NP6_BASE_URL";

/// How long a connection may take to open.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one attempt (request and answer) may take.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a call may take with its retries.
pub(crate) const CALL_DEADLINE: Duration = Duration::from_secs(120);

/// Where a setting comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A flag of the command line.
    Flag(&'static str),
    /// An environment variable.
    Variable(&'static str),
    /// Nothing set: np6's default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "from {flag}"),
            Self::Variable(name) => write!(f, "from {name}"),
            Self::Default => f.write_str("the default"),
        }
    }
}

/// Where the key comes from (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// The first line of this file.
    File(PathBuf, Origin),
    /// `NP6_API_KEY`.
    Variable,
    /// Asked on the terminal, with no echo.
    Prompt,
    /// Nowhere.
    Missing,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path, Origin::Variable(name)) => {
                write!(f, "set from {name} (the file {})", path.display())
            }
            Self::File(path, _) => write!(f, "set from --key-file {}", path.display()),
            Self::Variable => write!(f, "set from {KEY_VARIABLE}"),
            Self::Prompt => f.write_str("not set: asked on the terminal"),
            Self::Missing => write!(
                f,
                "not set: set {KEY_VARIABLE} or {KEY_FILE_VARIABLE}, or pass --key-file FILE"
            ),
        }
    }
}

/// A variable's value, unset when empty.
fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The base URL and where it comes from.
pub(crate) fn base_url(global: &Global) -> (String, Origin) {
    if let Some(url) = &global.base_url {
        return (url.clone(), Origin::Flag("--base-url"));
    }
    match variable(URL_VARIABLE) {
        Some(url) => (url, Origin::Variable(URL_VARIABLE)),
        None => (np6_client::PRODUCTION_URL.to_owned(), Origin::Default),
    }
}

/// Where the key comes from, as the module says.
pub(crate) fn key_source(global: &Global) -> Result<KeySource, Failure> {
    if let Some(path) = &global.key_file {
        return Ok(KeySource::File(path.clone(), Origin::Flag("--key-file")));
    }
    let in_variable = std::env::var_os(KEY_VARIABLE).is_some_and(|v| !v.is_empty());
    match (in_variable, variable(KEY_FILE_VARIABLE)) {
        (true, Some(_)) => Err(Failure::usage(format!(
            "both {KEY_VARIABLE} and {KEY_FILE_VARIABLE} are set: unset one (or pass --key-file)"
        ))),
        (true, None) => Ok(KeySource::Variable),
        (false, Some(path)) => Ok(KeySource::File(
            PathBuf::from(path),
            Origin::Variable(KEY_FILE_VARIABLE),
        )),
        (false, None) if std::io::stdin().is_terminal() => Ok(KeySource::Prompt),
        (false, None) => Ok(KeySource::Missing),
    }
}

/// The file the key is read from, if it is read from one (a file the run
/// must not write).
pub(crate) fn key_file(global: &Global) -> Option<PathBuf> {
    match key_source(global) {
        Ok(KeySource::File(path, _)) => Some(path),
        _ => None,
    }
}

/// Whether the base URL is one the client takes (an http(s) URL, plain
/// http to a loopback host only); no call is made.
pub(crate) fn check_base_url(global: &Global) -> Result<(), Failure> {
    let (url, origin) = base_url(global);
    Client::builder()
        // Never sent: the client is only built.
        .api_key(ApiKey::new("unused"))
        .base_url(url.as_str())
        .build()
        .map(drop)
        .map_err(|error| build_failure(error, &url, origin))
}

/// Whether `source` gives a key, without asking for one: a key file that
/// reads and is not empty, a variable; a prompt is taken as usable.
pub(crate) fn check_key(source: &KeySource) -> Result<(), Failure> {
    match source {
        KeySource::File(path, _) => read_key_file(path).map(drop),
        KeySource::Missing => api_key(source).map(drop),
        KeySource::Variable | KeySource::Prompt => Ok(()),
    }
}

/// A client for the base URL with the key, as [`base_url`] and
/// [`key_source`] find them.
pub(crate) fn client(global: &Global) -> Result<Client, Failure> {
    let (url, origin) = base_url(global);
    let key = api_key(&key_source(global)?)?;
    Client::builder()
        .api_key(key)
        .base_url(url.as_str())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .deadline(CALL_DEADLINE)
        .build()
        .map_err(|error| build_failure(error, &url, origin))
}

/// The client's refusal of a plain-http URL names its method; a user of
/// the command line is told the flag or variable to change.
fn build_failure(error: np6_client::Error, url: &str, origin: Origin) -> Failure {
    let plain_http = error.kind() == ErrorKind::Config
        && url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        && error.to_string().contains("plain http");
    if !plain_http {
        return error.into();
    }
    let origin = match origin {
        Origin::Default => "the default".to_owned(),
        other => format!("{other}"),
    };
    Failure::usage(format!(
        "the base URL {url} ({origin}) is plain http: the API key would travel in clear \
         text; give an https URL with --base-url or {URL_VARIABLE} (plain http is allowed \
         to a loopback host only)"
    ))
}

/// The key from `source`; a prompt when that is the source.
fn api_key(source: &KeySource) -> Result<ApiKey, Failure> {
    match source {
        KeySource::File(path, _) => read_key_file(path),
        KeySource::Variable => {
            ApiKey::from_env().ok_or_else(|| Failure::usage(format!("{KEY_VARIABLE} is empty")))
        }
        KeySource::Prompt => {
            let key = rpassword::prompt_password("NP6 API key: ")
                .map_err(|e| Failure::usage(format!("cannot read the key: {}", e.kind())))?;
            let key = key.trim();
            if key.is_empty() {
                return Err(Failure::usage("no API key was typed"));
            }
            Ok(ApiKey::new(key))
        }
        KeySource::Missing => Err(Failure::usage(format!(
            "no API key: set {KEY_VARIABLE} or {KEY_FILE_VARIABLE}, pass --key-file FILE, or \
             run on a terminal to be asked"
        ))),
    }
}

/// The first line of the key file, with a warning on stderr when other
/// users may read or change it (as ssh does for a private key).
pub(crate) fn read_key_file(path: &Path) -> Result<ApiKey, Failure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Failure::usage(format!("the key file {shown}: no such file"))
        }
        _ => Failure::usage(format!("cannot read the key file {shown}: {e}")),
    })?;
    if let Some(warning) = open_to_others(path) {
        crate::output::note(&format!("np6: warning: {warning}"));
    }
    let key = text.lines().next().unwrap_or_default().trim();
    if key.is_empty() {
        return Err(Failure::usage(format!("the key file {shown} is empty")));
    }
    Ok(ApiKey::new(key))
}

/// What is wrong with the key file's permissions, if anything.
#[cfg(unix)]
pub(crate) fn open_to_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    let how = match (mode & 0o044 != 0, mode & 0o022 != 0) {
        (true, true) => "read and changed",
        (true, false) => "read",
        (false, true) => "changed",
        (false, false) => return None,
    };
    Some(format!(
        "the key file {} can be {how} by other users (mode {mode:04o}): chmod 600 {}",
        path.display(),
        path.display()
    ))
}

#[cfg(not(unix))]
pub(crate) fn open_to_others(_: &Path) -> Option<String> {
    None
}
