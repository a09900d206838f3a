//! The audit-log detections as a table, like `pss::CHECKS`: each rule is a small function
//! from the facts of one event to findings, with the requests it is made of (so the audit
//! policy's blind spots are read from here) and the request bodies it needs (so a log
//! without them makes it "not evaluated"). [`super::detect::Detector`] runs the table over
//! every event in time order.

mod admins;
mod allowlists;
mod anonymous;
mod control_plane;
mod denials;
mod events;
mod exec;
mod exposure;
mod nodes;
mod pods;
mod rbac;
mod secrets;

use super::body::Body;
use super::detect::AuditConfig;
use super::event::{AuditEvent, ObjectRef};
use super::policy::Level;
use crate::findings::Evidence;
use crate::severity::Severity;
use foldhash::HashMap;
use std::collections::VecDeque;

/// One detection.
pub struct Detection {
    pub rule: &'static str,
    /// Judges one event, adding what it finds to the hits.
    pub check: fn(&Facts<'_>, &mut State, &mut Vec<Hit>),
    /// The requests the detection is made of and the level each must be logged at.
    pub probes: &'static [Probe],
    /// Writes whose request body it reads: logged without one, it cannot judge them.
    pub bodies: &'static [Bodies],
}

/// Every detection, in rule order.
pub static DETECTIONS: &[Detection] = &[
    exec::AUD001,
    exposure::AUD002,
    anonymous::AUD003,
    secrets::AUD004,
    rbac::AUD005,
    rbac::AUD006,
    pods::AUD007,
    pods::AUD008,
    exposure::AUD009,
    secrets::AUD010,
    pods::AUD011,
    rbac::AUD012,
    pods::AUD013,
    events::AUD014,
    denials::AUD015,
    rbac::AUD016,
    secrets::AUD017,
    pods::AUD018,
    control_plane::AUD019,
    control_plane::AUD020,
    control_plane::AUD021,
    control_plane::AUD022,
    control_plane::AUD023,
    rbac::AUD024,
    secrets::AUD025,
    exposure::AUD026,
    rbac::AUD027,
    nodes::AUD028,
    nodes::AUD029,
    admins::AUD030,
    allowlists::AUD031,
    pods::AUD032,
    allowlists::AUD033,
];

/// What the detections see of one event, worked out once.
pub struct Facts<'a> {
    pub event: &'a AuditEvent,
    pub obj: &'a ObjectRef,
    pub user: &'a str,
    pub code: Option<i64>,
    /// Answered 2xx.
    pub ok: bool,
    /// Not refused: no answer yet, or below 400.
    pub accepted: bool,
    /// The event that completes the request (or a log without stages).
    pub final_stage: bool,
    /// create, update or patch.
    pub writes: bool,
    /// The request body, when a detection reads this kind of request and it was logged.
    pub body: Option<&'a Body>,
    pub config: &'a AuditConfig,
}

/// State kept across events (bursts of denials).
#[derive(Clone, Default)]
pub struct State {
    /// Times of denied requests per (identity, source address), within the burst window.
    denied: HashMap<(String, String), VecDeque<i64>>,
    /// When (log time) `denied` is next swept of pairs whose window has passed.
    next_sweep: i64,
    /// Denials not counted because `denied` was full.
    pub untracked_denials: u64,
    /// Subjects (`user:NAME`, `group:NAME`) bound to cluster-admin by a binding admitted
    /// earlier in the log, and that binding.
    log_admins: HashMap<String, String>,
}

/// A finding a detection makes of an event.
pub struct Hit {
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// Raised above the rule's severity.
    pub severity: Option<Severity>,
    /// Reported once per key (and the key tells findings of one subject apart); `None`:
    /// once per request (its stage events share the audit ID).
    pub key: Option<String>,
}

impl Hit {
    pub fn new(message: String, evidence: Evidence) -> Hit {
        Hit {
            message,
            evidence: vec![evidence],
            severity: None,
            key: None,
        }
    }

    pub fn raised(mut self, severity: Option<Severity>) -> Hit {
        self.severity = severity;
        self
    }

    pub fn once_per(mut self, key: String) -> Hit {
        self.key = Some(key);
        self
    }
}

/// A request a detection is made of, and the audit level it needs to see it.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub namespace: &'static str,
    /// Anonymous requests are judged as `system:anonymous`.
    pub anonymous: bool,
    pub needs: Level,
    /// Long-running requests (exec, attach, port-forward) are logged at ResponseStarted
    /// and ResponseComplete; the detection needs one of them.
    pub long_running: bool,
}

pub(super) const fn probe(
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    subresource: &'static str,
    namespace: &'static str,
    needs: Level,
) -> Probe {
    Probe {
        verb,
        group,
        resource,
        subresource,
        namespace,
        anonymous: false,
        needs,
        long_running: false,
    }
}

const fn long_running(probe: Probe) -> Probe {
    Probe {
        long_running: true,
        ..probe
    }
}

/// Writes a detection reads the body of; logged at Metadata, they hide what it judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bodies {
    BindingChanges,
    ConfigmapWrites,
    PodCreations,
    RoleChanges,
    ServiceCreations,
    IngressCreations,
}

impl Bodies {
    /// The writes of this event that need a body, if any.
    pub fn of(event: &AuditEvent, obj: &ObjectRef) -> Option<Bodies> {
        if !obj.subresource.is_empty() {
            return None;
        }
        Some(match obj.resource.as_str() {
            "pods" if event.verb == "create" => Bodies::PodCreations,
            "clusterrolebindings" | "rolebindings" => Bodies::BindingChanges,
            "clusterroles" | "roles" => Bodies::RoleChanges,
            "services" if event.verb == "create" => Bodies::ServiceCreations,
            "ingresses" if event.verb == "create" => Bodies::IngressCreations,
            "configmaps" => Bodies::ConfigmapWrites,
            _ => return None,
        })
    }

    pub fn describe(self) -> &'static str {
        match self {
            Bodies::BindingChanges => "binding changes",
            Bodies::ConfigmapWrites => "configmap writes",
            Bodies::PodCreations => "pod creations",
            Bodies::RoleChanges => "role changes",
            Bodies::ServiceCreations => "service creations",
            Bodies::IngressCreations => "ingress creations",
        }
    }
}

/// The control plane's own identities: `system:` users (nodes, scheduler, controller
/// manager) and kube-system's service accounts. Other service accounts are workloads, whose
/// stolen tokens are exactly what detections look for.
pub fn is_system(user: &str) -> bool {
    if let Some(sa) = user.strip_prefix("system:serviceaccount:") {
        return sa.starts_with("kube-system:");
    }
    user.starts_with("system:") && user != "system:anonymous"
}

/// Decodes `%xx` and `+` in a query value; malformed escapes stay as they are.
fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// All values of a query parameter, decoded.
pub fn query_values(uri: &str, key: &str) -> Vec<String> {
    let Some((_, query)) = uri.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| url_decode(v))
        .collect()
}

/// The object's name: from the request path, else (for creates) from the body.
fn object_name(obj: &ObjectRef, body: Option<&Body>) -> String {
    if obj.name.is_empty() {
        body.and_then(|b| b.pointer("/metadata/name"))
            .and_then(Body::as_str)
            .unwrap_or("")
            .to_string()
    } else {
        obj.name.to_string()
    }
}

/// `namespace N`, or `every namespace` for a cluster-wide request.
fn namespace_phrase(namespace: &str) -> String {
    if namespace.is_empty() {
        "every namespace".to_string()
    } else {
        format!("namespace {namespace}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_plane_identities() {
        assert!(is_system("system:kube-scheduler") && is_system("system:node:worker-1"));
        assert!(is_system(
            "system:serviceaccount:kube-system:replicaset-controller"
        ));
        assert!(
            !is_system("system:serviceaccount:shop:storefront"),
            "workload tokens are watched"
        );
        assert!(!is_system("system:anonymous") && !is_system("jane@acme.example"));
    }

    #[test]
    fn query_parameters() {
        let uri = "/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=cat%20%2Fvar%2Frun%2Fsecrets&container=app&stdin=true";
        assert_eq!(
            query_values(uri, "command"),
            ["sh", "-c", "cat /var/run/secrets"]
        );
        assert_eq!(query_values(uri, "container"), ["app"]);
        assert!(query_values("/api", "command").is_empty());
        assert_eq!(url_decode("100%"), "100%");
    }

    #[test]
    fn the_table_is_the_audit_log_catalog() {
        let ids: Vec<&str> = DETECTIONS.iter().map(|d| d.rule).collect();
        let catalog: Vec<&str> = crate::rules::RULES
            .iter()
            .filter(|r| r.area == crate::severity::Area::AuditLog && !r.id.starts_with("AUDP"))
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, catalog, "one detection per audit-log rule, in order");
        assert!(DETECTIONS.iter().all(|d| !d.probes.is_empty()));
    }
}
