//! The one error type of the server. Each kind carries what an agent needs to act on it: which argument and
//! what was expected, which backend and how to configure it, which rule refused, what the backend said.

use crate::text::cut_bytes;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument (or configuration key) is missing, of the wrong type or out of range.
    #[error("invalid argument `{argument}`: expected {expected}")]
    BadInput { argument: String, expected: String },

    /// The tool needs a backend that is not configured.
    #[error("{backend} is not configured: {how}")]
    NotConfigured { backend: String, how: String },

    /// The backend did not answer in time or refused the connection.
    #[error("{backend} is unreachable (after {} ms): {detail}", .after.as_millis())]
    Unreachable { backend: String, after: Duration, detail: String },

    /// The backend was answering but did not finish in time (a model still writing).
    #[error("{backend} timed out after {} s: {detail}", .after.as_secs())]
    Timeout { backend: String, after: Duration, detail: String },

    /// A safety rule refused the call.
    #[error("denied by rule `{rule}`: {detail}")]
    Denied { rule: String, detail: String },

    /// The backend answered with an error.
    #[error("{backend} returned an error: {message}")]
    Upstream { backend: String, message: String },

    /// The client cancelled the request.
    #[error("cancelled by the client")]
    Cancelled,

    /// A bug or an unexpected local failure (I/O on the export folder, a task that died).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The kind of an error as it appears in structured output.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    BadInput,
    NotConfigured,
    Unreachable,
    Timeout,
    Denied,
    Upstream,
    Cancelled,
    Internal,
}

impl Error {
    pub fn bad_input(argument: impl Into<String>, expected: impl Into<String>) -> Self {
        Error::BadInput { argument: argument.into(), expected: expected.into() }
    }
    pub fn not_configured(backend: impl Into<String>, how: impl Into<String>) -> Self {
        Error::NotConfigured { backend: backend.into(), how: how.into() }
    }
    pub fn unreachable(backend: impl Into<String>, after: Duration, detail: impl Into<String>) -> Self {
        Error::Unreachable { backend: backend.into(), after, detail: detail.into() }
    }
    pub fn timeout(backend: impl Into<String>, after: Duration, detail: impl Into<String>) -> Self {
        Error::Timeout { backend: backend.into(), after, detail: detail.into() }
    }
    pub fn denied(rule: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Denied { rule: rule.into(), detail: detail.into() }
    }
    pub fn upstream(backend: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Upstream { backend: backend.into(), message: message.into() }
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Error::Internal(detail.to_string())
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadInput { .. } => ErrorKind::BadInput,
            Error::NotConfigured { .. } => ErrorKind::NotConfigured,
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Denied { .. } => ErrorKind::Denied,
            Error::Upstream { .. } => ErrorKind::Upstream,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The argument the error is about, when it is about one.
    pub fn argument(&self) -> Option<&str> {
        match self {
            Error::BadInput { argument, .. } => Some(argument),
            _ => None,
        }
    }

    /// What the agent can do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::BadInput { .. } => Some(
                "fix the named argument and call again; the tool's input schema lists every argument with its bounds",
            ),
            Error::NotConfigured { .. } => {
                Some("configure the backend (flag, environment variable or config file) and restart the server")
            }
            Error::Unreachable { .. } => {
                Some("check that the backend is up and reachable; the next call retries, no restart needed")
            }
            Error::Timeout { .. } => {
                Some("the backend is up but slow: raise its timeout or ask for less work in one call; the next call starts afresh")
            }
            Error::Denied { .. } => {
                Some("the server's safety configuration refuses this; pick an allowed target or ask the operator")
            }
            Error::Upstream { .. } => Some("the backend rejected the request; fix what its message names"),
            Error::Cancelled | Error::Internal(_) => None,
        }
    }
}

/// How many bytes of a caller's value an error message quotes.
pub const QUOTE_BYTES: usize = 200;

/// A caller's value as error messages quote it: control characters escaped, cut to [`QUOTE_BYTES`] with the
/// full length named, so an error never echoes a huge argument back.
pub fn quote_arg(value: &str) -> String {
    let escaped: String = value.chars().flat_map(|c| c.escape_debug()).collect();
    if escaped.len() <= QUOTE_BYTES {
        return escaped;
    }
    format!("{} ({} bytes in all)", cut_bytes(&escaped, QUOTE_BYTES), value.len())
}

impl Error {
    /// The same error with its texts cut so that its reply (the message twice, as text and as structured
    /// content, plus the hint) stays within `budget` bytes.
    pub fn fit(self, budget: usize) -> Error {
        let size = |e: &Error| {
            let m = serde_json::to_string(&e.to_string()).map(|s| s.len()).unwrap_or(0);
            2 * m + e.hint().map_or(0, |h| 2 * h.len()) + 2 * e.argument().map_or(0, str::len) + 400
        };
        let mut e = self;
        let mut max = budget;
        while size(&e) > budget && max > 16 {
            max = max * 2 / 3;
            let c = |s: &mut String| {
                if s.len() > max {
                    *s = cut_bytes(s, max)
                }
            };
            match &mut e {
                Error::BadInput { argument, expected } => {
                    c(argument);
                    c(expected)
                }
                Error::NotConfigured { backend, how } => {
                    c(backend);
                    c(how)
                }
                Error::Unreachable { backend, detail, .. } | Error::Timeout { backend, detail, .. } => {
                    c(backend);
                    c(detail)
                }
                Error::Denied { rule, detail } => {
                    c(rule);
                    c(detail)
                }
                Error::Upstream { backend, message } => {
                    c(backend);
                    c(message)
                }
                Error::Internal(detail) => c(detail),
                Error::Cancelled => {}
            }
        }
        e
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("I/O: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_short_and_escaped() {
        let q = quote_arg(&"é".repeat(500_000));
        assert!(q.len() < QUOTE_BYTES + 40 && q.contains("1000000 bytes in all"), "{q}");
        assert_eq!(quote_arg("a\0b\n"), "a\\0b\\n");
        assert_eq!(quote_arg("ok"), "ok");
    }

    #[test]
    fn fit_bounds_every_kind() {
        let huge = "é\u{0}\"".repeat(200_000);
        for e in [
            Error::bad_input("start", huge.clone()),
            Error::upstream("Prometheus", huge.clone()),
            Error::unreachable("Loki", Duration::ZERO, huge.clone()),
            Error::internal(&huge),
        ] {
            let kind = e.kind();
            let e = e.fit(1024);
            assert_eq!(e.kind(), kind);
            assert!(2 * serde_json::to_string(&e.to_string()).unwrap().len() + 400 <= 1024, "{e}");
        }
    }
}
