//! The CLI's error type: a one-line message and the failure class that picks the exit code.
//!
//! Expected failures (a missing secret, a refused token, a dead server) become a `CliError` and are
//! printed as `error: <message>`, never as an eyre report, so `RUST_BACKTRACE` cannot turn them into
//! a backtrace. Only panics (bugs) reach color-eyre's hooks.

use std::fmt;
use std::process::ExitCode;

use crate::client::{ClientError, FailureClass};

/// The failure classes and their exit codes, as `vaultty --help` documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// Anything else: a server error, an I/O error, a cancelled confirmation.
    Other,
    /// A bad flag, a missing setting, a refused plain-HTTP URL.
    Usage,
    NotFound,
    /// Unauthorized or forbidden.
    Denied,
    Conflict,
    /// A bad name, an empty or too large value, a bad `.env` line.
    Invalid,
    /// No answer from the server: refused, DNS, TLS (its certificate refused), or a timeout.
    Unreachable,
    RateLimited,
    /// `vaultty run` could not start the command: 126 (cannot execute) or 127 (not found).
    Command(u8),
}

impl ExitClass {
    pub fn code(self) -> u8 {
        match self {
            ExitClass::Other => 1,
            ExitClass::Usage => 2,
            ExitClass::NotFound => 3,
            ExitClass::Denied => 4,
            ExitClass::Conflict => 5,
            ExitClass::Invalid => 6,
            ExitClass::Unreachable => 7,
            ExitClass::RateLimited => 8,
            ExitClass::Command(code) => code,
        }
    }
}

/// The table printed at the end of `vaultty --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure (server error, I/O error, cancelled confirmation)
  2  usage or configuration error (bad flag, missing setting, plain-http refusal)
  3  not found (no such secret, profile or file)
  4  unauthorized or forbidden (bad or expired token, not allowed)
  5  conflict (the secret changed meanwhile; run the command again)
  6  invalid input (bad name, empty or too large value, bad .env line)
  7  vault unreachable or timed out, or its TLS certificate refused (not signed by a
     trusted CA: pass --ca-cert; expired; or made for another name)
  8  rate limited (wait and retry)
  `vaultty run` exits with the command's own code (128+N when signal N killed it,
  126 when it cannot be executed, 127 when it is not found).

Without a profile or VAULTTY_URL, vaultty uses a local vault in your data directory.
Set VAULTTY_LOG=debug to log to standard error (never values).";

/// A failure to report on one line, with its exit class.
#[derive(Debug)]
pub struct CliError {
    pub class: ExitClass,
    pub message: String,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn new(class: ExitClass, message: impl Into<String>) -> Self {
        CliError {
            class,
            message: message.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ExitClass::Other, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitClass::Usage, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ExitClass::Invalid, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ExitClass::NotFound, message)
    }

    /// Prefixes the message with what was being done, keeping the class.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// Prints `error: ...` on standard error and returns the exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("error: {}", self.line());
        ExitCode::from(self.class.code())
    }

    /// The message in one line, even if a server message or an OS error carried a newline, and
    /// inert: a server's message may carry terminal escapes.
    fn line(&self) -> String {
        super::format::printable(&self.message)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        let class = match e.class() {
            FailureClass::Unreachable => ExitClass::Unreachable,
            FailureClass::Unauthorized | FailureClass::Forbidden => ExitClass::Denied,
            FailureClass::NotFound => ExitClass::NotFound,
            FailureClass::Conflict { .. } => ExitClass::Conflict,
            FailureClass::RateLimited => ExitClass::RateLimited,
            FailureClass::Invalid => ExitClass::Invalid,
            FailureClass::Usage => ExitClass::Usage,
            FailureClass::Server => ExitClass::Other,
        };
        CliError::new(class, e.to_string())
    }
}

/// The commands the lead writes (`serve`, `admin`) and the TUI return eyre reports; their chain
/// is joined on one line, without the report's backtrace or span trace.
impl From<color_eyre::Report> for CliError {
    fn from(report: color_eyre::Report) -> Self {
        if let Some(e) = report.downcast_ref::<CliError>() {
            return CliError::new(e.class, e.message.clone());
        }
        let chain: Vec<String> = report.chain().map(ToString::to_string).collect();
        CliError::other(chain.join(": "))
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::other(e.to_string())
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        use crate::config::ConfigError as C;
        let class = match &e {
            C::UnknownProfile { .. } => ExitClass::NotFound,
            C::Io { .. } => ExitClass::Other,
            C::NoHome | C::Parse { .. } | C::BadProfileName(_) | C::BadUrl { .. } | C::TooOpen(_) => ExitClass::Usage,
        };
        CliError::new(class, e.to_string())
    }
}

impl From<crate::local::ConnectError> for CliError {
    fn from(e: crate::local::ConnectError) -> Self {
        use crate::local::{ConnectError, LocalError};
        match e {
            ConnectError::Config(e) => e.into(),
            ConnectError::Client(e) => e.into(),
            ConnectError::Local(e) => {
                let class = match &e {
                    LocalError::TooOpen(_) | LocalError::NonUtf8Path(_) | LocalError::BadKey { .. } => ExitClass::Usage,
                    _ => ExitClass::Other,
                };
                CliError::new(class, e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_message_is_printed_in_one_inert_line() {
        let e = CliError::invalid("no secret named X\n\u{1b}]52;c;cHduZWQ=\u{7} from \u{9b}31mthe server");
        let line = e.line();
        assert!(!line.contains(['\u{1b}', '\u{7}', '\u{9b}', '\n']), "{line:?}");
        assert!(line.starts_with("no secret named X \u{fffd}]52;c;"), "{line:?}");
    }
}
