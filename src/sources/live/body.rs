//! Response bodies read with a cap. kube's own readers collect whatever the server sends
//! (an endless chunked `/version` reached 7.7 GB within the time-out) and its watch lines
//! have no length limit; everything kaudit reads from a server goes through here instead.

use super::error::ApiError;
use http_body_util::BodyExt;
use kube::client::Body;

/// Error bodies are messages: 64 KiB is far beyond any real `Status`.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// What one answer may weigh at most. A page of `page_size` objects gets a budget per object
/// sized for real clusters (pods with many containers and managed fields stay under 64 KiB;
/// etcd refuses any object over 1.5 MiB), never less than 16 MiB in all.
pub fn page_limit(plural: &str, page_size: u32) -> usize {
    let per_object: usize = match plural {
        "pods"
        | "deployments"
        | "replicasets"
        | "statefulsets"
        | "daemonsets"
        | "jobs"
        | "cronjobs"
        | "replicationcontrollers" => 256 << 10,
        "namespaces"
        | "serviceaccounts"
        | "roles"
        | "rolebindings"
        | "clusterroles"
        | "clusterrolebindings"
        | "networkpolicies" => 128 << 10,
        // Webhook configurations carry CA bundles; policies and CRD instances can be big.
        _ => 512 << 10,
    };
    (per_object.saturating_mul(page_size as usize)).max(16 << 20)
}

/// One object or a discovery document (`/version`, `/apis`, a review).
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// Reads a whole answer: its body if the status is a success (at most `limit` bytes), else
/// the error the server gave (a `Status`, or the start of whatever it sent instead).
pub async fn read_answer(
    response: http::Response<Body>,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, ApiError> {
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    let mut body = response.into_body();
    let mut out = Vec::new();
    let cap = if failed { MAX_ERROR_BYTES } else { limit };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ApiError::from_kube)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if out.len() + data.len() > cap {
            if failed {
                out.extend_from_slice(&data[..cap - out.len()]);
                break;
            }
            return Err(ApiError::Decode(format!(
                "the answer to {what} is larger than {} MiB, more than any real cluster sends; not read",
                limit >> 20
            )));
        }
        out.extend_from_slice(&data);
    }
    if failed {
        return Err(status_error(status.as_u16(), &out));
    }
    Ok(out)
}

/// The error an answer with an error status stands for, as kube reads it: its `Status`, or
/// its text under the HTTP code.
fn status_error(code: u16, body: &[u8]) -> ApiError {
    let status = serde_json::from_slice::<kube::core::Status>(body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(body);
        kube::core::Status::failure(text.trim(), "Failed to parse error data").with_code(code)
    });
    ApiError::from_kube(kube::Error::Api(Box::new(status)))
}

/// Splits a watch stream into lines of at most `max_line` bytes; a longer line is an error
/// (kube's line reader would buffer it without end).
pub struct Lines {
    buffer: Vec<u8>,
    max_line: usize,
}

impl Lines {
    pub fn new(max_line: usize) -> Self {
        Lines {
            buffer: Vec::new(),
            max_line,
        }
    }

    /// Adds a chunk; returns the lines it completed.
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<Vec<Vec<u8>>, ApiError> {
        let mut lines = Vec::new();
        while !chunk.is_empty() {
            let end = memchr::memchr(b'\n', chunk);
            let (line, rest) = chunk.split_at(end.unwrap_or(chunk.len()));
            self.buffer.extend_from_slice(line);
            self.check()?;
            if end.is_some() {
                lines.push(std::mem::take(&mut self.buffer));
                chunk = &rest[1..];
            } else {
                chunk = rest;
            }
        }
        Ok(lines)
    }

    /// What is left when the stream ends (a last line without a newline).
    pub fn take_rest(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buffer);
        (!rest.iter().all(u8::is_ascii_whitespace)).then_some(rest)
    }

    fn check(&self) -> Result<(), ApiError> {
        if self.buffer.len() > self.max_line {
            return Err(ApiError::Decode(format!(
                "a watch event longer than {} MiB; the watch was stopped",
                self.max_line >> 20
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_lines_are_split_across_chunks_and_bounded() {
        let mut lines = Lines::new(16);
        assert!(lines.push(b"{\"a\"").unwrap().is_empty());
        let done = lines.push(b":1}\n{\"b\":2}\n{").unwrap();
        assert_eq!(done, [b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(lines.take_rest(), Some(b"{".to_vec()));
        let mut lines = Lines::new(16);
        let err = lines.push(&[b'x'; 17]).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
    }

    #[test]
    fn pages_get_a_budget_per_object() {
        assert_eq!(page_limit("pods", 500), 125 << 20);
        assert_eq!(page_limit("roles", 10), 16 << 20);
        assert_eq!(
            page_limit("validatingwebhookconfigurations", 500),
            250 << 20
        );
    }
}
