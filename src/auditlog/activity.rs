//! Who did what when: a timeline of events and findings, activity per identity and the
//! denied requests, gathered in the same pass as the detections, in bounded memory.

use super::event::{AuditEvent, Text};
use super::reader::Place;
use crate::findings::Finding;
use crate::time::parse_rfc3339;
// foldhash (randomly seeded), not SipHash: touched for every event.
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, VecDeque};

/// Identities kept (the busiest, by events); beyond this, events are still counted in the
/// timeline but not per identity.
const MAX_IDENTITIES: usize = 5_000;
/// Denied requests kept (the latest).
const MAX_DENIED: usize = 500;
/// Changes (Falco's activity rules) kept (the latest).
const MAX_CHANGES: usize = 500;
/// Buckets the timeline is folded into.
const MAX_BUCKETS: usize = 60;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Activity {
    /// Width of a timeline bucket, in seconds.
    pub bucket_secs: i64,
    pub timeline: Vec<Bucket>,
    /// Busiest first.
    pub identities: Vec<Identity>,
    /// Latest last.
    pub denied: Vec<Denied>,
    pub denied_total: u64,
    /// Objects created and deleted, as Falco's activity rules name them; latest last.
    pub changes: Vec<Change>,
    pub changes_total: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Bucket {
    /// RFC 3339 start of the bucket.
    pub start: String,
    pub events: u64,
    pub denied: u64,
    pub findings: u64,
    /// Creates and deletes of Falco's activity rules.
    pub changes: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Identity {
    pub user: String,
    pub events: u64,
    pub denied: u64,
    /// create, update, patch, delete, deletecollection.
    pub writes: u64,
    pub findings: u64,
    /// Creates and deletes of Falco's activity rules.
    pub changes: u64,
    pub first: String,
    pub last: String,
    /// Up to four source addresses.
    pub source_ips: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Denied {
    pub time: String,
    pub user: String,
    pub verb: String,
    pub uri: String,
    pub code: i64,
    pub source_ip: String,
    pub file: String,
    pub line: u64,
}

/// An object created or deleted: an entry of one of Falco's activity rules (info, not a
/// finding).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub time: String,
    pub user: String,
    /// Falco's rule: `K8s Deployment Created`.
    pub rule: &'static str,
    pub namespace: String,
    pub name: String,
    pub file: String,
    pub line: u64,
}

impl Change {
    /// `shop/web`, or `web` for a cluster-scoped object.
    pub fn object(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

/// Gathers [`Activity`] while the log is read.
#[derive(Default, Clone)]
pub struct Recorder {
    /// Events, denials and changes per minute (seconds since the epoch / 60).
    minutes: BTreeMap<i64, (u64, u64, u64)>,
    identities: HashMap<String, Identity>,
    denied: VecDeque<Denied>,
    denied_total: u64,
    changes: VecDeque<Change>,
    changes_total: u64,
    /// Long-running requests (exec, port-forward, watch) counted at ResponseStarted, so
    /// that their ResponseComplete is not counted again. Oldest dropped past the cap.
    started: HashSet<Text>,
    started_order: VecDeque<Text>,
}

const MAX_STARTED: usize = 10_000;

impl Recorder {
    pub fn observe(&mut self, e: &AuditEvent, place: Place<'_>) {
        // Each request has up to four stage events; count it once: at ResponseStarted for
        // long-running ones (exec and port-forward may never complete in the log), else at
        // its final stage.
        match e.stage.as_str() {
            "ResponseStarted" if e.audit_id.is_empty() => {}
            "ResponseStarted" => {
                // Forget the oldest still-open requests past the cap (their completion, if
                // it ever comes, then counts again: rare, and bounded memory matters more).
                // IDs already completed are skipped as they come off the queue.
                while self.started.len() >= MAX_STARTED
                    && let Some(old) = self.started_order.pop_front()
                {
                    self.started.remove(&old);
                }
                // The queue also holds completed IDs; keep it from growing without bound.
                if self.started_order.len() >= 2 * MAX_STARTED {
                    let started = &self.started;
                    self.started_order.retain(|id| started.contains(id));
                }
                if self.started.insert(e.audit_id.clone()) {
                    self.started_order.push_back(e.audit_id.clone());
                }
            }
            "ResponseComplete" if self.started.remove(e.audit_id.as_str()) => return,
            "" | "ResponseComplete" | "Panic" => {}
            _ => return,
        }
        let time = e.time().unwrap_or("");
        let denied = matches!(e.code(), Some(401 | 403));
        let change = super::falco::activity(e);
        if let Some((secs, _)) = parse_rfc3339(time) {
            let m = self.minutes.entry(secs.div_euclid(60)).or_default();
            m.0 += 1;
            m.1 += u64::from(denied);
            m.2 += u64::from(change.is_some());
        }
        let user = if e.user.username.is_empty() {
            "(unauthenticated)"
        } else {
            e.user.username.as_str()
        };
        let known = self.identities.len() < MAX_IDENTITIES || self.identities.contains_key(user);
        if known {
            let id = match self.identities.get_mut(user) {
                Some(id) => id,
                None => self.identities.entry(user.to_string()).or_insert(Identity {
                    user: user.to_string(),
                    first: time.to_string(),
                    ..Identity::default()
                }),
            };
            id.events += 1;
            id.denied += u64::from(denied);
            id.changes += u64::from(change.is_some());
            id.writes += u64::from(matches!(
                e.verb.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection"
            ));
            // In place: the strings keep their capacity, so no allocation per event.
            if time > id.last.as_str() {
                id.last.clear();
                id.last.push_str(time);
            }
            if !time.is_empty() && (id.first.is_empty() || time < id.first.as_str()) {
                id.first.clear();
                id.first.push_str(time);
            }
            if let Some(ip) = e.source_ips.last()
                && id.source_ips.len() < 4
                && !id.source_ips.iter().any(|known| known == ip)
            {
                id.source_ips.push(ip.to_string());
            }
        }
        if let Some(rule) = change {
            self.changes_total += 1;
            if self.changes.len() == MAX_CHANGES {
                self.changes.pop_front();
            }
            let obj = e.object_ref.as_ref();
            self.changes.push_back(Change {
                time: time.to_string(),
                user: user.to_string(),
                rule,
                namespace: obj.map(|o| o.namespace.to_string()).unwrap_or_default(),
                name: obj.map(|o| o.name.to_string()).unwrap_or_default(),
                file: place.file.to_string(),
                line: place.line,
            });
        }
        if denied {
            self.denied_total += 1;
            if self.denied.len() == MAX_DENIED {
                self.denied.pop_front();
            }
            self.denied.push_back(Denied {
                time: time.to_string(),
                user: user.to_string(),
                verb: e.verb.to_string(),
                uri: e.request_uri.to_string(),
                code: e.code().unwrap_or(0),
                source_ip: e.source_ips.last().map(Text::to_string).unwrap_or_default(),
                file: place.file.to_string(),
                line: place.line,
            });
        }
    }

    /// Folds the minutes into at most [`MAX_BUCKETS`] buckets and counts the findings of
    /// each bucket and identity.
    pub fn finish(self, findings: &[Finding]) -> Activity {
        let (Some(first), Some(last)) = (
            self.minutes.keys().next().copied(),
            self.minutes.keys().next_back().copied(),
        ) else {
            return Activity {
                identities: sorted(self.identities, findings),
                denied: self.denied.into(),
                denied_total: self.denied_total,
                changes: self.changes.into(),
                changes_total: self.changes_total,
                ..Activity::default()
            };
        };
        // A round width: 1, 5, 15, 30 minutes, 1, 3, 6, 12 hours, days.
        let span = (last - first + 1) as u64;
        let minutes_per_bucket = [1u64, 5, 15, 30, 60, 180, 360, 720, 1440]
            .into_iter()
            .find(|w| span.div_ceil(*w) as usize <= MAX_BUCKETS)
            .unwrap_or_else(|| span.div_ceil(MAX_BUCKETS as u64 * 1440) * 1440)
            as i64;
        let start = first - first.rem_euclid(minutes_per_bucket);
        let count = ((last - start) / minutes_per_bucket + 1) as usize;
        let mut timeline: Vec<Bucket> = (0..count)
            .map(|i| Bucket {
                start: crate::time::rfc3339((start + i as i64 * minutes_per_bucket) * 60),
                ..Bucket::default()
            })
            .collect();
        let index = |secs: i64| -> Option<usize> {
            let i = (secs.div_euclid(60) - start).div_euclid(minutes_per_bucket);
            usize::try_from(i).ok().filter(|i| *i < count)
        };
        for (minute, (events, denied, changes)) in &self.minutes {
            if let Some(i) = index(minute * 60) {
                timeline[i].events += events;
                timeline[i].denied += denied;
                timeline[i].changes += changes;
            }
        }
        for f in findings {
            if let Some(i) = f
                .subject
                .event
                .as_ref()
                .and_then(|e| parse_rfc3339(&e.timestamp))
                .and_then(|(secs, _)| index(secs))
            {
                timeline[i].findings += 1;
            }
        }
        Activity {
            bucket_secs: minutes_per_bucket * 60,
            timeline,
            identities: sorted(self.identities, findings),
            denied: self.denied.into(),
            denied_total: self.denied_total,
            changes: self.changes.into(),
            changes_total: self.changes_total,
        }
    }
}

fn sorted(identities: HashMap<String, Identity>, findings: &[Finding]) -> Vec<Identity> {
    let mut identities = identities;
    for f in findings {
        if let Some(id) = f
            .subject
            .event
            .as_ref()
            .and_then(|e| identities.get_mut(&e.user))
        {
            id.findings += 1;
        }
    }
    let mut list: Vec<Identity> = identities.into_values().collect();
    list.sort_by(|a, b| {
        b.findings
            .cmp(&a.findings)
            .then(b.events.cmp(&a.events))
            .then_with(|| a.user.cmp(&b.user))
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_running_requests_are_counted_once_in_bounded_memory() {
        let event = |id: &str, stage: &str| AuditEvent {
            audit_id: id.into(),
            stage: stage.into(),
            ..AuditEvent::default()
        };
        let place = Place { file: "x", line: 1 };
        let mut r = Recorder::default();
        // Exec seen at ResponseStarted then ResponseComplete: one request.
        r.observe(&event("a", "ResponseStarted"), place);
        r.observe(&event("a", "ResponseComplete"), place);
        assert_eq!(
            r.identities.get("(unauthenticated)").map(|i| i.events),
            Some(1)
        );
        // Many that never complete, and many that do: both structures stay bounded.
        for i in 0..3 * MAX_STARTED {
            let id = i.to_string();
            r.observe(&event(&id, "ResponseStarted"), place);
            if i % 2 == 0 {
                r.observe(&event(&id, "ResponseComplete"), place);
            }
        }
        assert!(r.started.len() <= MAX_STARTED, "{}", r.started.len());
        assert!(
            r.started_order.len() <= 2 * MAX_STARTED,
            "{}",
            r.started_order.len()
        );
    }

    #[test]
    fn bucket_starts_are_round_times() {
        assert_eq!(crate::time::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(crate::time::rfc3339(1_763_629_260), "2025-11-20T09:01:00Z");
    }
}
