//! Errors of the eLogii client. None of them ever carries the API key.

use std::time::Duration;

/// What went wrong talking to eLogii. Each variant reads as one sentence.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// eLogii answered with a non-2xx status.
    #[error("eLogii answered {status}{}: {message}", status_reason(*status))]
    Status {
        /// HTTP status code.
        status: u16,
        /// eLogii's message (from a JSON `message`/`error` member or the text body).
        message: String,
        /// How long the server asked us to wait (429/503 `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The server could not be reached (DNS, refused, reset, TLS).
    #[error("could not reach {url}: {reason}")]
    Connect {
        /// The base URL (never the key).
        url: String,
        /// What the network layer said.
        reason: String,
    },
    /// No answer within the request timeout.
    #[error("{url} did not answer within {}s", .timeout.as_secs())]
    Timeout {
        /// The base URL.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// The answer was not the JSON we expected.
    #[error("eLogii's answer to {path} could not be read: {reason}")]
    Decode {
        /// The request path.
        path: String,
        /// What did not fit.
        reason: String,
    },
    /// The client could not be configured (bad base URL, bad key characters).
    #[error("{0}")]
    Config(String),
}

impl ApiError {
    /// The HTTP status, when eLogii answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for failures worth retrying: 429, 5xx, timeouts and dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
            ApiError::Connect { .. } | ApiError::Timeout { .. } => true,
            ApiError::Decode { .. } | ApiError::Config(_) => false,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn status_reason(status: u16) -> &'static str {
    match status {
        400 => " (bad request)",
        401 => " (unauthorised: check the API key)",
        403 => " (forbidden: the API key may lack this permission)",
        404 => " (not found)",
        413 => " (request too large)",
        429 => " (too many requests)",
        500..=599 => " (server error)",
        _ => "",
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let span = when.duration_since(now);
    Some(Duration::try_from(span).unwrap_or(Duration::ZERO))
}

/// Picks eLogii's message out of an error body: JSON `message`, `error` or
/// `errors[0].message`, else the text itself (shortened).
pub fn message_from_body(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        for key in ["message", "error", "msg", "description"] {
            if let Some(s) = v.get(key).and_then(|m| m.as_str()) {
                return shorten(s);
            }
        }
        if let Some(s) = v.pointer("/errors/0/message").and_then(|m| m.as_str()) {
            return shorten(s);
        }
        return shorten(&v.to_string());
    }
    let text = body.trim();
    if text.is_empty() {
        "no message".to_string()
    } else {
        shorten(text)
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now: jiff::Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Thu, 03 Dec 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Thu, 03 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn messages_come_from_json_or_text() {
        assert_eq!(message_from_body(r#"{"message":"bad key"}"#), "bad key");
        assert_eq!(message_from_body(r#"{"errors":[{"message":"x"}]}"#), "x");
        assert_eq!(
            message_from_body("exceeded the request limit\n"),
            "exceeded the request limit"
        );
        assert_eq!(message_from_body(""), "no message");
        let e = ApiError::Status {
            status: 401,
            message: "nope".into(),
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "eLogii answered 401 (unauthorised: check the API key): nope"
        );
    }
}
