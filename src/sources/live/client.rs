//! The only code that talks to the API server. Its whole vocabulary is GET (reads, lists,
//! watches) and POST of a SelfSubjectAccessReview, which changes nothing: kaudit cannot
//! create, patch or delete an object because no such request can be built here.

use super::body;
use super::error::ApiError;
use super::kubeconfig::LiveOptions;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

pub struct ReadOnlyClient {
    client: kube::Client,
    server: String,
    timeout: Duration,
    retries: u32,
    page_size: u32,
}

/// One list, every page of it, each page converted as it arrived.
#[derive(Debug)]
pub struct Listed<T> {
    pub parts: Vec<T>,
    /// Objects in all pages.
    pub count: usize,
    pub resource_version: String,
    pub pages: u32,
    /// Times the server throttled or failed and the request was tried again.
    pub retried: u32,
    /// The continue token expired (410) and the list was read again from the start.
    pub restarted: bool,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            parts: Vec::new(),
            count: 0,
            resource_version: String::new(),
            pages: 0,
            retried: 0,
            restarted: false,
        }
    }
}

/// Pages of one list at most: 10,000 pages of 500 objects is five million objects, beyond
/// any real cluster; a server that never stops paging is cut off here.
const MAX_PAGES: u32 = 10_000;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default)]
    items: Option<Vec<Value>>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_token: Option<String>,
    #[serde(rename = "resourceVersion", default)]
    resource_version: Option<String>,
}

/// Whether the user may do something, as the server decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub allowed: bool,
    /// The authorizer's explanation, when it gave one.
    pub reason: String,
}

impl ReadOnlyClient {
    pub fn new(client: kube::Client, server: String, options: &LiveOptions) -> Self {
        ReadOnlyClient {
            client,
            server,
            timeout: options.request_timeout,
            retries: options.retries,
            page_size: options.page_size.max(1),
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// GET `path` (with its query) as JSON, retrying throttling and 5xx with backoff.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.get_counting(path, body::MAX_DOCUMENT_BYTES, &mut 0)
            .await
    }

    async fn get_counting<T: DeserializeOwned>(
        &self,
        path: &str,
        limit: usize,
        retried: &mut u32,
    ) -> Result<T, ApiError> {
        let mut attempt = 0;
        loop {
            let request = http::Request::get(path)
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|e| ApiError::Decode(format!("bad request path {path:?}: {e}")))?;
            let error = match self.send::<T>(request, limit).await {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            if !error.is_retryable() || attempt >= self.retries {
                return Err(error);
            }
            attempt += 1;
            *retried += 1;
            tokio::time::sleep(backoff(attempt, &error)).await;
        }
    }

    /// Sends one request under the overall time-out (a server that trickles bytes would
    /// otherwise never time out) and reads at most `limit` bytes of its answer.
    async fn send<T: DeserializeOwned>(
        &self,
        request: http::Request<Vec<u8>>,
        limit: usize,
    ) -> Result<T, ApiError> {
        let what = format!("{} {}", request.method(), request.uri().path());
        let exchange = async {
            let response = self
                .client
                .send(request.map(kube::client::Body::from))
                .await
                .map_err(ApiError::from_kube)?;
            let bytes = body::read_answer(response, limit, &what).await?;
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::Decode(format!("{e} in the answer to {what}")))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) | Ok(Err(ApiError::Timeout(_))) => Err(ApiError::Timeout(self.timeout)),
            Ok(answer) => answer,
        }
    }

    /// Lists `path` page by page (`limit`/`continue`), handing each page to `convert` as it
    /// arrives so that no more than a page of raw objects is alive at a time. When the
    /// continue token expires mid-way (410 Gone), the list starts over once, as client-go's
    /// pager does, and what was converted is dropped.
    pub async fn list_with<T>(
        &self,
        path: &str,
        mut convert: impl FnMut(Vec<Value>) -> T,
    ) -> Result<Listed<T>, ApiError> {
        let mut listed = Listed::default();
        let mut token: Option<String> = None;
        let plural = path.rsplit('/').next().unwrap_or_default();
        let limit = body::page_limit(plural, self.page_size);
        loop {
            let mut query = format!("{path}?limit={}", self.page_size);
            if let Some(t) = &token {
                query.push_str("&continue=");
                query.push_str(&percent_encode(t));
            }
            let page: Page = match self.get_counting(&query, limit, &mut listed.retried).await {
                Ok(page) => page,
                Err(e) if e.code() == Some(410) && token.is_some() && !listed.restarted => {
                    listed.restarted = true;
                    listed.parts.clear();
                    listed.count = 0;
                    token = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            listed.pages += 1;
            // A list always has `items` (empty or not); an answer without (a `Status` with
            // code 200, anything else) is not the list asked for, and no evidence that
            // there is nothing to list.
            let Some(items) = page.items else {
                return Err(ApiError::Decode(format!(
                    "the answer to {path} is not a list (kind {})",
                    page.kind.as_deref().unwrap_or("missing")
                )));
            };
            if listed.pages > MAX_PAGES {
                return Err(ApiError::Decode(format!(
                    "{path} went on for more than {MAX_PAGES} pages; the server keeps answering with more"
                )));
            }
            listed.count += items.len();
            listed.parts.push(convert(items));
            if let Some(rv) = page.metadata.resource_version {
                listed.resource_version = rv;
            }
            match page.metadata.continue_token.filter(|t| !t.is_empty()) {
                // A server that hands back the token it was given would page forever.
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(ApiError::Decode(format!(
                        "{path} answered page {} with the same continue token again",
                        listed.pages
                    )));
                }
                Some(next) => token = Some(next),
                None => return Ok(listed),
            }
        }
    }

    /// [`Self::list_with`], keeping the raw pages.
    pub async fn list(&self, path: &str) -> Result<Listed<Vec<Value>>, ApiError> {
        self.list_with(path, |items| items).await
    }

    /// Asks the server whether the current user may `verb` `resource` (in `namespace`, or
    /// in every namespace when `None`). A SelfSubjectAccessReview is evaluated and
    /// returned; nothing is stored.
    pub async fn may(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Result<Access, ApiError> {
        let review = serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "verb": verb,
                "group": group,
                "resource": resource,
                "namespace": namespace.unwrap_or(""),
            }}
        });
        let body = serde_json::to_vec(&review).map_err(|e| ApiError::Decode(e.to_string()))?;
        let mut attempt = 0;
        loop {
            let request =
                http::Request::post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .header(http::header::ACCEPT, "application/json")
                    .body(body.clone())
                    .map_err(|e| ApiError::Decode(e.to_string()))?;
            match self.send::<Value>(request, body::MAX_DOCUMENT_BYTES).await {
                Ok(answer) => {
                    let status = answer.get("status");
                    let flag = |k: &str| {
                        status
                            .and_then(|s| s.get(k))
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                    };
                    let text = |k: &str| {
                        status
                            .and_then(|s| s.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    let reason = [text("reason"), text("evaluationError")]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Ok(Access {
                        allowed: flag("allowed") && !flag("denied"),
                        reason,
                    });
                }
                Err(e) if e.is_retryable() && attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt, &e)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens a watch from `resource_version`: newline-delimited JSON events until the
    /// server ends the stream or `timeout_seconds` pass. Each event is at most
    /// [`body::MAX_DOCUMENT_BYTES`].
    pub async fn watch(
        &self,
        path: &str,
        resource_version: &str,
        timeout_seconds: u32,
    ) -> Result<impl futures_util::Stream<Item = Result<WatchEvent, ApiError>> + use<>, ApiError>
    {
        let query = format!(
            "{path}?watch=1&allowWatchBookmarks=true&resourceVersion={}&timeoutSeconds={timeout_seconds}",
            percent_encode(resource_version)
        );
        // Uncompressed: a watch is one gzip member per event, which kube-rs cannot decode.
        let request = http::Request::get(query.as_str())
            .header(http::header::ACCEPT_ENCODING, "identity")
            .body(kube::client::Body::from(Vec::new()))
            .map_err(|e| ApiError::Decode(e.to_string()))?;
        let response = tokio::time::timeout(self.timeout, self.client.send(request))
            .await
            .map_err(|_| ApiError::Timeout(self.timeout))?
            .map_err(ApiError::from_kube)?;
        if !response.status().is_success() {
            let what = format!("the watch of {path}");
            return Err(match body::read_answer(response, 0, &what).await {
                Err(e) => e,
                Ok(_) => ApiError::Decode(format!("{what} was refused")),
            });
        }
        let state = WatchState {
            body: response.into_body(),
            lines: body::Lines::new(body::MAX_DOCUMENT_BYTES),
            ready: std::collections::VecDeque::new(),
            done: false,
        };
        Ok(futures_util::stream::unfold(state, WatchState::next))
    }
}

/// A watch stream being read: the body, the lines split so far.
struct WatchState {
    body: kube::client::Body,
    lines: body::Lines,
    ready: std::collections::VecDeque<Vec<u8>>,
    done: bool,
}

impl WatchState {
    async fn next(mut self) -> Option<(Result<WatchEvent, ApiError>, WatchState)> {
        use http_body_util::BodyExt;
        loop {
            if let Some(line) = self.ready.pop_front() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((WatchEvent::parse(&line), self));
            }
            if self.done {
                return None;
            }
            match self.body.frame().await {
                None => {
                    self.done = true;
                    self.ready.extend(self.lines.take_rest());
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some((Err(ApiError::from_kube(e)), self));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    match self.lines.push(&data) {
                        Ok(lines) => self.ready.extend(lines),
                        Err(e) => {
                            self.done = true;
                            return Some((Err(e), self));
                        }
                    }
                }
            }
        }
    }
}

/// One change seen by a watch.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    Upsert(Value),
    Delete(Value),
    Bookmark(String),
}

impl WatchEvent {
    /// One line of a watch stream: `{"type": "ADDED", "object": {...}}`.
    fn parse(line: &[u8]) -> Result<WatchEvent, ApiError> {
        #[derive(Deserialize)]
        struct Line {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            object: Value,
        }
        let Line { kind, object } = serde_json::from_slice(line)
            .map_err(|e| ApiError::Decode(format!("{e} in a watch event")))?;
        let text = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match kind.as_str() {
            "ADDED" | "MODIFIED" => Ok(WatchEvent::Upsert(object)),
            "DELETED" => Ok(WatchEvent::Delete(object)),
            "BOOKMARK" => Ok(WatchEvent::Bookmark(text("/metadata/resourceVersion"))),
            "ERROR" => Err(ApiError::Status {
                code: object
                    .get("code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .unwrap_or(500),
                reason: text("/reason"),
                message: text("/message"),
                retry_after: None,
            }),
            other => Err(ApiError::Decode(format!(
                "a watch event of unknown type {:?}",
                other.chars().take(32).collect::<String>()
            ))),
        }
    }
}

/// 250 ms, 500 ms, 1 s, ... capped at 5 s; the server's `retryAfterSeconds` when it is
/// longer (also capped, so a hostile server cannot park kaudit).
fn backoff(attempt: u32, error: &ApiError) -> Duration {
    let ours = Duration::from_millis(250u64 << attempt.saturating_sub(1).min(5));
    let theirs = match error {
        ApiError::Status {
            retry_after: Some(s),
            ..
        } => Duration::from_secs(u64::from(*s)),
        _ => Duration::ZERO,
    };
    ours.max(theirs).min(Duration::from_secs(5))
}

/// Percent-encodes a query value (continue tokens are base64 with `=` and `/`).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo=/+"), "eyJ2Ijo%3D%2F%2B");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let e = ApiError::Status {
            code: 503,
            reason: String::new(),
            message: String::new(),
            retry_after: None,
        };
        assert_eq!(backoff(1, &e), Duration::from_millis(250));
        assert_eq!(backoff(2, &e), Duration::from_millis(500));
        assert_eq!(backoff(9, &e), Duration::from_secs(5));
        let slow = ApiError::Status {
            code: 429,
            reason: String::new(),
            message: String::new(),
            retry_after: Some(2),
        };
        assert_eq!(backoff(1, &slow), Duration::from_secs(2));
        let hostile = ApiError::Status {
            code: 429,
            reason: String::new(),
            message: String::new(),
            retry_after: Some(100_000),
        };
        assert_eq!(backoff(1, &hostile), Duration::from_secs(5));
    }
}
