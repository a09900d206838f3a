//! What can go wrong talking to an API server, classified so that each case gets a message
//! a user can act on and the right retry decision.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The server answered with an error `Status` (or a non-Status error body).
    Status {
        code: u16,
        reason: String,
        message: String,
        /// `details.retryAfterSeconds` of a 429 or 5xx.
        retry_after: Option<u32>,
    },
    /// No complete answer within the time-out.
    Timeout(Duration),
    /// The server could not be reached (refused, DNS, reset, proxy).
    Unreachable(String),
    /// The TLS handshake failed (unknown CA, wrong host name, expired certificate).
    Tls(String),
    /// Credentials could not be obtained (exec plugin failed, unreadable token file or key).
    Credentials(String),
    /// The answer was not what the API promises (not JSON, wrong shape).
    Decode(String),
}

impl ApiError {
    pub fn code(&self) -> Option<u16> {
        match self {
            ApiError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth another try: throttling and the 5xx codes a busy or restarting server answers.
    /// 401/403/404 are answers, not accidents; a time-out already waited long enough.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code(), Some(429 | 500 | 502 | 503 | 504))
    }

    pub fn is_forbidden(&self) -> bool {
        self.code() == Some(403)
    }

    /// Classifies a kube-rs error by walking its source chain.
    pub fn from_kube(error: kube::Error) -> ApiError {
        match error {
            kube::Error::Api(status) => ApiError::Status {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
                retry_after: status
                    .details
                    .as_ref()
                    .map(|d| d.retry_after_seconds)
                    .filter(|s| *s > 0),
            },
            kube::Error::SerdeError(e) => ApiError::Decode(e.to_string()),
            kube::Error::FromUtf8(e) => ApiError::Decode(e.to_string()),
            kube::Error::Auth(e) => ApiError::Credentials(chain(&e)),
            other => {
                let text = chain(&other);
                let lower = text.to_ascii_lowercase();
                if lower.contains("bearer token")
                    || lower.contains("exec plugin")
                    || lower.contains("auth exec")
                    || lower.contains("credential")
                {
                    ApiError::Credentials(text)
                } else if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake")
                    || lower.contains("unknownissuer")
                {
                    ApiError::Tls(text)
                } else if lower.contains("timed out") || lower.contains("elapsed") {
                    ApiError::Timeout(Duration::ZERO)
                } else {
                    ApiError::Unreachable(text)
                }
            }
        }
    }
}

/// An error and its sources, one clause each, without repeats.
fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Status {
                code: 401, message, ..
            } => write!(
                f,
                "401 Unauthorized: the server rejected the credentials (expired token or certificate?){}",
                suffix(message)
            ),
            ApiError::Status {
                code,
                reason,
                message,
                ..
            } => {
                let reason = if reason.is_empty() {
                    http::StatusCode::from_u16(*code)
                        .ok()
                        .and_then(|c| c.canonical_reason())
                        .unwrap_or("error")
                        .to_string()
                } else {
                    reason.clone()
                };
                write!(f, "{code} {}{}", clean(&reason), suffix(message))
            }
            ApiError::Timeout(d) if d.is_zero() => write!(f, "timed out"),
            ApiError::Timeout(d) => write!(f, "no answer within {} s", d.as_secs_f32()),
            ApiError::Unreachable(m) => write!(f, "cannot reach the server: {}", clean(m)),
            ApiError::Tls(m) => write!(f, "TLS error: {}", clean(m)),
            ApiError::Credentials(m) => write!(f, "cannot get credentials: {}", clean(m)),
            ApiError::Decode(m) => write!(f, "unexpected answer: {}", clean(m)),
        }
    }
}

/// Characters of a server's or plugin's message kept in kaudit's messages and reports: a
/// hostile server's error body (up to 64 KiB) would otherwise fill every report.
const MAX_MESSAGE_CHARS: usize = 600;

/// Text from the server or an exec plugin, without terminal control sequences, cut to
/// [`MAX_MESSAGE_CHARS`].
fn clean(text: &str) -> String {
    let text = crate::sanitize::strip_controls(text);
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}... (cut)", &text[..end]),
        None => text.into_owned(),
    }
}

fn suffix(message: &str) -> String {
    let message = clean(message.trim());
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_cut_and_cleaned() {
        let error = ApiError::Status {
            code: 500,
            reason: "\u{1b}]0;title\u{7}x".repeat(400),
            message: "m".repeat(10_000),
            retry_after: None,
        };
        let text = error.to_string();
        assert!(text.len() < 1400, "{} bytes", text.len());
        assert!(
            text.ends_with("... (cut)") && !text.contains('\u{1b}'),
            "{text}"
        );
    }
}
