//! Runs the detections over audit events. Each event is looked at once, in time order, by
//! every detection of the table in [`super::rules`]; a request logged at several stages is
//! reported once.

use super::event::{AuditEvent, ObjectRef};
use super::reader::Place;
use super::rules::{Bodies, DETECTIONS, Facts, Hit, State};
use crate::findings::{EventSubject, FindingInput, Location, Recorder, Subject};
// foldhash, not SipHash: this set is touched for every finding. Its seed is random per
// process, so keys taken from a log cannot be chosen to collide.
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Allow-lists, with defaults for the control plane's own identities.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Users whose activity never raises a finding (exact names, or a prefix ending in `*`).
    pub allowed_users: Vec<String>,
    /// Namespaces whose events never raise a finding (platform teams' own namespaces).
    pub allowed_namespaces: Vec<String>,
    /// Image prefixes (`registry.example.com/cni/`) whose pods may be privileged, mount host
    /// paths or run in kube-system without a finding (CNI, CSI and monitoring agents).
    pub allowed_images: Vec<String>,
    /// Namespaces people may create (exact, or a prefix ending in `*`); empty: Create
    /// Disallowed Namespace is not evaluated.
    pub allowed_namespace_creates: Vec<String>,
    /// Nodes that may join (exact, or a prefix ending in `*`); empty: a node created by
    /// anyone but a node identity is untrusted.
    pub allowed_nodes: Vec<String>,
    /// Who holds cluster-admin in the cluster's RBAC, when a cluster was read with the log.
    pub cluster_admins: Vec<AdminBinding>,
    /// Denied requests per identity and address within `burst_window_secs` that make a burst.
    pub burst_threshold: usize,
    pub burst_window_secs: i64,
    /// (identity, address) pairs whose denials are tracked at once: a flood from ever new
    /// addresses must not grow memory without end.
    pub burst_pairs_max: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            allowed_users: Vec::new(),
            allowed_namespaces: Vec::new(),
            allowed_images: Vec::new(),
            allowed_namespace_creates: Vec::new(),
            allowed_nodes: Vec::new(),
            cluster_admins: Vec::new(),
            burst_threshold: 10,
            burst_window_secs: 300,
            burst_pairs_max: 100_000,
        }
    }
}

/// A subject bound to cluster-admin, and the binding that does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminBinding {
    /// A user name (service accounts as `system:serviceaccount:NS:NAME`), or a group.
    pub subject: AdminSubject,
    /// `ClusterRoleBinding acme-admins`.
    pub via: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSubject {
    User(String),
    Group(String),
}

/// `name` matches an allow-list entry: exactly, or by the prefix before a final `*`.
pub fn listed(list: &[String], name: &str) -> bool {
    list.iter().any(|entry| match entry.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => entry == name,
    })
}

/// Runs the detection table over events in time order.
#[derive(Clone)]
pub struct Detector {
    config: AuditConfig,
    /// (rule, key) pairs already reported: one request has up to four stage events, keyed
    /// by its audit ID; some rules report once per identity or per burst.
    seen: HashSet<(&'static str, String)>,
    state: State,
    /// Writes whose body was not logged (audit level below Request), by what they are.
    bodiless: BTreeMap<Bodies, u64>,
    events: u64,
}

impl Detector {
    pub fn new(config: AuditConfig) -> Self {
        Detector {
            config,
            seen: HashSet::new(),
            state: State::default(),
            bodiless: BTreeMap::new(),
            events: 0,
        }
    }

    /// Judges one event.
    pub fn observe(&mut self, e: &AuditEvent, place: Place<'_>, rec: &mut Recorder) {
        self.events += 1;
        let user = e.user.username.as_str();
        if listed(&self.config.allowed_users, user) {
            return;
        }
        // Borrowed: copying the object reference's strings for every event is measurable.
        let no_object = ObjectRef::default();
        let obj = e.object_ref.as_ref().unwrap_or(&no_object);
        if !obj.namespace.is_empty()
            && self
                .config
                .allowed_namespaces
                .iter()
                .any(|n| n == obj.namespace)
        {
            return;
        }
        let code = e.code();
        let final_stage = e.stage.is_empty() || e.stage == "ResponseComplete";
        let writes = matches!(e.verb.as_str(), "create" | "update" | "patch");
        // Writes logged without their body (level Metadata): what the policy hides,
        // inferred from the log itself when no policy is given.
        if writes
            && final_stage
            && e.request_object.is_none()
            && matches!(e.level.as_str(), "Metadata" | "")
            && let Some(kind) = Bodies::of(e, obj)
        {
            *self.bodiless.entry(kind).or_default() += 1;
        }
        // Parsed already on a parsing thread (see `AuditEvent::prepare_body`).
        let parsed = reads_body(e).then(|| e.body()).flatten();
        let facts = Facts {
            event: e,
            obj,
            user,
            code,
            ok: code.is_some_and(|c| (200..300).contains(&c)),
            accepted: code.is_none_or(|c| c < 400),
            final_stage,
            writes,
            body: parsed.as_deref(),
            config: &self.config,
        };
        // No allocation unless something is found.
        let mut hits = Vec::new();
        for detection in DETECTIONS {
            (detection.check)(&facts, &mut self.state, &mut hits);
            for hit in hits.drain(..) {
                let fresh = match &hit.key {
                    Some(key) => self.seen.insert((detection.rule, key.clone())),
                    None => {
                        e.audit_id.is_empty()
                            || self.seen.insert((detection.rule, e.audit_id.to_string()))
                    }
                };
                if fresh {
                    rec.fail(detection.rule, input(e, place, hit));
                }
            }
        }
    }

    /// Adds the events that passed each rule, and what the log could not show (too low an
    /// audit level), to coverage.
    pub fn finish(self, rec: &mut Recorder) -> u64 {
        let unlisted = self.unlisted();
        for detection in DETECTIONS {
            if let Some((what, reason)) = unlisted
                .iter()
                .find(|u| u.0 == detection.rule)
                .map(|u| (u.1, u.2))
            {
                rec.not_evaluated(detection.rule, what, reason);
                continue;
            }
            let failed = rec
                .findings
                .iter()
                .filter(|f| f.rule_id == detection.rule)
                .count() as u64;
            rec.pass_many(detection.rule, self.events.saturating_sub(failed));
        }
        if self.state.untracked_denials > 0 {
            rec.not_evaluated(
                "AUD015",
                "denied requests",
                format!(
                    "{} denied requests came while {} identity and address pairs were already being watched for bursts, and were not counted",
                    self.state.untracked_denials, self.config.burst_pairs_max
                ),
            );
        }
        for (kind, n) in &self.bodiless {
            let what = kind.describe();
            let reason = format!(
                "{n} {what} were logged at Metadata level, without the request body; the audit policy should log them at Request"
            );
            for detection in DETECTIONS.iter().filter(|d| d.bodies.contains(kind)) {
                rec.not_evaluated(detection.rule, what, reason.clone());
            }
        }
        self.events
    }
}

impl Detector {
    /// The rules only an allow-list of the user's can judge, whose list was not given:
    /// (rule, what, why not evaluated).
    fn unlisted(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let c = &self.config;
        [
            (
                "AUD031",
                c.allowed_users.is_empty(),
                "users",
                "who may use the API is not known: give --audit-allow-user (repeatable)",
            ),
            (
                "AUD032",
                c.allowed_images.is_empty(),
                "pod images",
                "which images may run is not known: give --audit-allow-image (repeatable)",
            ),
            (
                "AUD033",
                c.allowed_namespace_creates.is_empty(),
                "namespace creations",
                "which namespaces may be created is not known: give --audit-allow-namespace-create (repeatable)",
            ),
        ]
        .into_iter()
        .filter(|(_, missing, _, _)| *missing)
        .map(|(rule, _, what, why)| (rule, what, why))
        .collect()
    }
}

/// Whether a detection reads the request body of this event: only those bodies are kept
/// (see [`super::event::RawJson`]) and parsed.
pub(crate) fn reads_body(e: &AuditEvent) -> bool {
    let Some(obj) = &e.object_ref else {
        return false;
    };
    matches!(e.verb.as_str(), "create" | "update" | "patch")
        && !(obj.resource == "pods" && (e.verb != "create" || !obj.subresource.is_empty()))
        && matches!(
            obj.resource.as_str(),
            "clusterrolebindings"
                | "rolebindings"
                | "clusterroles"
                | "roles"
                | "pods"
                | "services"
                | "ingresses"
                | "configmaps"
                | "serviceaccounts"
                | "certificatesigningrequests"
                | "mutatingwebhookconfigurations"
                | "validatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings"
        )
}

/// The finding of a hit on an event: the event is its subject, its log line its place.
fn input(e: &AuditEvent, place: Place<'_>, hit: Hit) -> FindingInput {
    let obj = e.object_ref.clone().unwrap_or_default();
    let resource = if obj.subresource.is_empty() {
        obj.resource.to_string()
    } else {
        format!("{}/{}", obj.resource, obj.subresource)
    };
    let subject = Subject {
        kind: "AuditEvent",
        namespace: Arc::from(obj.namespace.as_str()),
        name: Arc::from(if obj.name.is_empty() {
            e.request_uri.as_str()
        } else {
            obj.name.as_str()
        }),
        container: None,
        image: None,
        event: Some(Box::new(EventSubject {
            audit_id: e.audit_id.to_string(),
            user: e.user.username.to_string(),
            verb: e.verb.to_string(),
            resource,
            timestamp: e.time().unwrap_or("").to_string(),
        })),
    };
    FindingInput {
        subject,
        message: hit.message.into(),
        evidence: hit.evidence,
        location: Some(Location {
            file: Arc::from(place.file),
            line: place.line as u32,
        }),
        discriminator: hit.key.unwrap_or_else(|| e.audit_id.to_string()).into(),
        severity: hit.severity,
    }
}
