//! Keeping a live view current: after a read, watch the lists it made from their
//! resourceVersions and report each change, so the TUI can re-read. Watches reconnect with
//! backoff when the server ends them; a 410 Gone (the version was compacted away) is itself
//! reported as a change, since only a new list can tell what happened meanwhile.

use super::client::WatchEvent;
use super::kubeconfig::{self, LiveOptions};
use crate::inventory::input::WatchPoint;
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;

/// Watches every point until `keep_going` turns false (checked twice a second, so a
/// superseded watcher lets go of its connections even on a quiet cluster) or `on_change`
/// returns false (nobody listens any more). Blocks; run it on its own thread. `on_change`
/// gets a one-line description of what changed.
pub fn follow(
    options: &LiveOptions,
    points: Vec<WatchPoint>,
    keep_going: impl Fn() -> bool,
    on_change: impl Fn(String) -> bool + Send + Sync,
) -> Result<(), crate::sources::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::sources::Error::Runtime)?;
    let result = runtime.block_on(async {
        let connection = kubeconfig::connect(options).await?;
        let client = &connection.client;
        let on_change = &on_change;
        let watches = points.into_iter().map(|point| async move {
            let mut version = point.resource_version.clone();
            let mut failures = 0u32;
            loop {
                let stream = client.watch(&point.path, &version, 300).await;
                let mut events = match stream {
                    Ok(s) => Box::pin(s),
                    Err(e) => {
                        if e.code() == Some(410) {
                            return on_change(format!(
                                "{}: watch expired, re-read needed",
                                point.path
                            ));
                        }
                        failures += 1;
                        // Forbidden or gone for good: stop this watch, keep the others.
                        if matches!(e.code(), Some(401 | 403 | 404)) {
                            return true;
                        }
                        tokio::time::sleep(Duration::from_secs(u64::from(failures.min(6)) * 5))
                            .await;
                        continue;
                    }
                };
                failures = 0;
                while let Some(event) = events.next().await {
                    match event {
                        Ok(WatchEvent::Bookmark(rv)) => version = rv,
                        Ok(WatchEvent::Upsert(object)) => {
                            version = resource_version(&object).unwrap_or(version);
                            if !on_change(describe("changed", &object)) {
                                return false;
                            }
                        }
                        Ok(WatchEvent::Delete(object)) => {
                            version = resource_version(&object).unwrap_or(version);
                            if !on_change(describe("deleted", &object)) {
                                return false;
                            }
                        }
                        Err(e) if e.code() == Some(410) => {
                            return on_change(format!(
                                "{}: watch expired, re-read needed",
                                point.path
                            ));
                        }
                        Err(_) => break,
                    }
                }
                // The server ended the watch (its timeout, a restart): resume from the
                // last version seen.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        // Every point at once (one connection each); ends when any watch learns nobody
        // listens.
        let count = watches.len().max(1);
        let all = async {
            let mut all = futures_util::stream::iter(watches).buffer_unordered(count);
            while let Some(listening) = all.next().await {
                if !listening {
                    break;
                }
            }
        };
        let superseded = async {
            while keep_going() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        // Dropping the watches closes their connections.
        tokio::select! {
            () = all => {}
            () = superseded => {}
        }
        Ok(())
    });
    // A stuck exec credential plugin must not hold the TUI (see `live::run`).
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

fn resource_version(object: &Value) -> Option<String> {
    object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn describe(what: &str, object: &Value) -> String {
    let text = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or("");
    let kind = text("/kind");
    let namespace = text("/metadata/namespace");
    let name = text("/metadata/name");
    let subject = if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    };
    let kind = if kind.is_empty() { "object" } else { kind };
    crate::sanitize::strip_controls(&format!("{kind} {subject} {what}")).into_owned()
}
