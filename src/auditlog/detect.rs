//! Detections over audit events. Each event is looked at once, in time order; request-level
//! facts (exec, secret reads, bindings, pod specs) are judged on the event itself, bursts of
//! denials over a sliding window per identity and source address.

use super::body::Body;
use super::event::{AuditEvent, parse_time};
use super::reader::Place;
use crate::findings::{EventSubject, Evidence, FindingInput, Location, Recorder, Subject};
use crate::severity::Severity;
// foldhash, not SipHash: these maps are touched for every event. Its seed is random per
// process, so keys taken from a log cannot be chosen to collide.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::VecDeque;
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
    /// Denied requests per identity and address within `burst_window_secs` that make a burst.
    pub burst_threshold: usize,
    pub burst_window_secs: i64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            allowed_users: Vec::new(),
            allowed_namespaces: Vec::new(),
            allowed_images: Vec::new(),
            burst_threshold: 10,
            burst_window_secs: 300,
        }
    }
}

/// Host paths whose mount gives a pod its node (Falco's list, plus the usual runtime sockets).
const SENSITIVE_MOUNTS: &[&str] = &[
    "/",
    "/proc",
    "/etc",
    "/root",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/crio/crio.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/home/admin",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pki",
    "/etc/kubernetes",
    "/etc/kubernetes/manifests",
];

const CREDENTIAL_WORDS: &[&str] = &[
    "aws_access_key_id",
    "aws-access-key-id",
    "aws_s3_access_key_id",
    "aws-s3-access-key-id",
    "password",
    "passphrase",
];

/// Image registries of cluster add-ons that legitimately run in kube-system.
const SYSTEM_IMAGE_PREFIXES: &[&str] = &[
    "registry.k8s.io/",
    "k8s.gcr.io/",
    "gke.gcr.io/",
    "mcr.microsoft.com/oss/kubernetes/",
    "602401143452.dkr.ecr.",
];

#[derive(Clone)]
pub struct Detector {
    config: AuditConfig,
    /// (rule, auditID) pairs already reported: one request has up to four stage events.
    seen: HashSet<(&'static str, String)>,
    denied: HashMap<(String, String), VecDeque<i64>>,
    bursts_reported: HashSet<(String, String)>,
    /// Pod creations whose spec was not logged (audit level below Request).
    bodiless: std::collections::BTreeMap<&'static str, u64>,
    events: u64,
}

/// The control plane's own identities: `system:` users (nodes, scheduler, controller
/// manager) and kube-system's service accounts. Other service accounts are workloads, whose
/// stolen tokens are exactly what detections look for.
fn is_system(user: &str) -> bool {
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

fn containers(spec: &Body) -> impl Iterator<Item = &Body> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |f| spec.get(f).and_then(Body::as_array).into_iter().flatten())
}

impl Detector {
    pub fn new(config: AuditConfig) -> Self {
        Detector {
            config,
            seen: HashSet::new(),
            denied: HashMap::new(),
            bursts_reported: HashSet::new(),
            bodiless: Default::default(),
            events: 0,
        }
    }

    /// Judges one event.
    pub fn observe(&mut self, e: &AuditEvent, place: Place<'_>, rec: &mut Recorder) {
        self.events += 1;
        let user = e.user.username.as_str();
        if self
            .config
            .allowed_users
            .iter()
            .any(|u| match u.strip_suffix('*') {
                Some(prefix) => user.starts_with(prefix),
                None => u == user,
            })
        {
            return;
        }
        // Borrowed: copying the object reference's strings for every event is measurable.
        let no_object = super::event::ObjectRef::default();
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
        let ok = code.is_some_and(|c| (200..300).contains(&c));
        let final_stage = e.stage.is_empty() || e.stage == "ResponseComplete";
        let report = |this: &mut Self,
                      rec: &mut Recorder,
                      rule: &'static str,
                      message: String,
                      evidence: Vec<Evidence>,
                      severity: Option<Severity>| {
            if !this.seen.insert((rule, e.audit_id.to_string())) && !e.audit_id.is_empty() {
                return;
            }
            rec.fail(rule, input(e, place, message, evidence, severity));
        };

        // Exec / attach: long-running, seen at ResponseStarted (code 101) or completed.
        if obj.resource == "pods"
            && matches!(obj.subresource.as_str(), "exec" | "attach")
            && matches!(e.verb.as_str(), "create" | "get")
            && e.stage != "RequestReceived"
            && code.is_none_or(|c| c < 400)
        {
            let command = query_values(&e.request_uri, "command").join(" ");
            let container = query_values(&e.request_uri, "container").join(",");
            let what = if obj.subresource == "exec" {
                format!(
                    "ran {:?}",
                    if command.is_empty() {
                        "(no command)".to_string()
                    } else {
                        command.clone()
                    }
                )
            } else {
                "attached".to_string()
            };
            // Reading credentials or reaching out of the cluster from inside a pod is the
            // post-exploitation pattern; raise it.
            let severity = [
                "/var/run/secrets",
                "serviceaccount/token",
                "169.254.169.254",
                "curl ",
                "wget ",
            ]
            .iter()
            .any(|s| command.contains(s))
            .then_some(Severity::Critical);
            report(
                self,
                rec,
                "AUD001",
                format!(
                    "{user} {what} in pod {}/{} (container {container})",
                    obj.namespace, obj.name
                ),
                vec![Evidence::labelled("requestURI", e.request_uri.clone())],
                severity,
            );
        }
        if (obj.resource == "pods" && obj.subresource == "portforward")
            || (matches!(obj.resource.as_str(), "pods" | "services") && obj.subresource == "proxy")
        {
            report(
                self,
                rec,
                "AUD002",
                format!(
                    "{user} opened {} to {} {}/{}",
                    obj.subresource, obj.resource, obj.namespace, obj.name
                ),
                vec![Evidence::labelled("requestURI", e.request_uri.clone())],
                None,
            );
        }
        // Anonymous access allowed, health endpoints excepted.
        let health = || {
            ["/healthz", "/livez", "/readyz", "/version"]
                .iter()
                .any(|p| {
                    e.request_uri
                        .strip_prefix(p)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '/']))
                })
        };
        let allowed = e
            .annotations
            .get("authorization.k8s.io/decision")
            .map_or(ok || code.is_none_or(|c| c < 400), |d| d == "allow");
        if (user == "system:anonymous"
            || e.user.groups.iter().any(|g| g == "system:unauthenticated"))
            && allowed
            && final_stage
            && !health()
        {
            report(
                self,
                rec,
                "AUD003",
                format!("anonymous {} {} was allowed", e.verb, e.request_uri),
                vec![Evidence::labelled("user", user.to_string())],
                None,
            );
        }
        // Secret reads by people and workloads.
        if obj.resource == "secrets"
            && matches!(e.verb.as_str(), "get" | "list" | "watch")
            && ok
            && final_stage
            && !is_system(user)
        {
            let cluster_wide = obj.namespace.is_empty() && e.verb != "get";
            let target = if obj.name.is_empty() {
                format!(
                    "secrets in {}",
                    if obj.namespace.is_empty() {
                        "every namespace".to_string()
                    } else {
                        format!("namespace {}", obj.namespace)
                    }
                )
            } else {
                format!("secret {}/{}", obj.namespace, obj.name)
            };
            report(
                self,
                rec,
                "AUD004",
                format!("{user} {} {target}", e.verb),
                vec![Evidence::labelled("requestURI", e.request_uri.clone())],
                cluster_wide.then_some(Severity::Critical),
            );
        }
        let writes = matches!(e.verb.as_str(), "create" | "update" | "patch");
        let parsed = reads_body(e).then(|| e.body()).flatten();
        let body = parsed.as_ref();
        // cluster-admin bindings (ClusterRoleBindings and RoleBindings).
        if matches!(
            obj.resource.as_str(),
            "clusterrolebindings" | "rolebindings"
        ) && writes
            && final_stage
            && code.is_none_or(|c| c < 400)
            && let Some(role) = body
                .and_then(|b| b.pointer("/roleRef/name"))
                .and_then(Body::as_str)
                .filter(|r| *r == "cluster-admin")
        {
            let subjects: Vec<String> = body
                .and_then(|b| b.get("subjects"))
                .and_then(Body::as_array)
                .into_iter()
                .flatten()
                .map(|s| {
                    format!(
                        "{} {}",
                        s.get("kind").and_then(Body::as_str).unwrap_or("?"),
                        s.get("name").and_then(Body::as_str).unwrap_or("?")
                    )
                })
                .collect();
            report(
                self,
                rec,
                "AUD005",
                format!(
                    "{user} bound {role} to {} ({} {})",
                    subjects.join(", "),
                    obj.resource,
                    obj.name
                ),
                vec![Evidence::labelled(
                    "requestObject.roleRef.name",
                    role.to_string(),
                )],
                None,
            );
        }
        // Roles with wildcards, pods/exec or escalation verbs.
        if matches!(obj.resource.as_str(), "clusterroles" | "roles")
            && writes
            && final_stage
            && code.is_none_or(|c| c < 400)
        {
            let mut risky = Vec::new();
            for rule in body
                .and_then(|b| b.get("rules"))
                .and_then(Body::as_array)
                .into_iter()
                .flatten()
            {
                let list = |k: &str| -> Vec<String> {
                    rule.get(k)
                        .and_then(Body::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Body::as_str)
                        .map(str::to_string)
                        .collect()
                };
                let (verbs, resources) = (list("verbs"), list("resources"));
                if verbs.iter().any(|v| v == "*") || resources.iter().any(|r| r == "*") {
                    risky.push("wildcards".to_string());
                }
                if resources
                    .iter()
                    .any(|r| r == "pods/exec" || r == "pods/attach")
                {
                    risky.push("pods/exec".to_string());
                }
                risky.extend(
                    verbs
                        .iter()
                        .filter(|v| matches!(v.as_str(), "escalate" | "bind" | "impersonate"))
                        .cloned(),
                );
            }
            risky.sort();
            risky.dedup();
            // The control plane maintains its own system: roles.
            let control_plane = is_system(user) && obj.name.starts_with("system:");
            if !risky.is_empty() && !control_plane {
                report(
                    self,
                    rec,
                    "AUD006",
                    format!(
                        "{user} {} {} {} with {}",
                        e.verb,
                        obj.resource.trim_end_matches('s'),
                        obj.name,
                        risky.join(", ")
                    ),
                    vec![Evidence::labelled("requestObject.rules", risky.join(", "))],
                    None,
                );
            }
        }
        // Writes logged without their body (level Metadata): what the policy hides, inferred
        // from the log itself when no policy is given.
        if writes
            && final_stage
            && e.request_object.is_none()
            && matches!(e.level.as_str(), "Metadata" | "")
        {
            let what = match (obj.resource.as_str(), obj.subresource.is_empty()) {
                ("pods", true) if e.verb == "create" => Some("pod creations"),
                ("clusterrolebindings" | "rolebindings", true) => Some("binding changes"),
                ("clusterroles" | "roles", true) => Some("role changes"),
                ("services", true) if e.verb == "create" => Some("service creations"),
                ("configmaps", true) => Some("configmap writes"),
                _ => None,
            };
            if let Some(what) = what {
                *self.bodiless.entry(what).or_default() += 1;
            }
        }
        // Pod specs (creates of pods; workload templates go through their pods).
        if obj.resource == "pods" && obj.subresource.is_empty() && e.verb == "create" && final_stage
        {
            match body.and_then(|b| b.get("spec")) {
                None => {}
                Some(spec) => self.pod_spec(e, place, body, spec, &obj.namespace, rec),
            }
        }
        if obj.resource == "services"
            && e.verb == "create"
            && final_stage
            && body
                .and_then(|b| b.pointer("/spec/type"))
                .and_then(Body::as_str)
                == Some("NodePort")
        {
            report(
                self,
                rec,
                "AUD009",
                format!(
                    "{user} created NodePort service {}/{}",
                    obj.namespace, obj.name
                ),
                vec![Evidence::labelled("requestObject.spec.type", "NodePort")],
                None,
            );
        }
        if obj.resource == "configmaps" && writes && final_stage {
            let data = body
                .and_then(|b| b.get("data"))
                .map(|d| d.text().to_ascii_lowercase())
                .unwrap_or_default();
            if let Some(word) = CREDENTIAL_WORDS.iter().find(|w| data.contains(*w)) {
                report(
                    self,
                    rec,
                    "AUD010",
                    format!(
                        "{user} wrote configmap {}/{} containing {word:?}",
                        obj.namespace, obj.name
                    ),
                    vec![Evidence::labelled("requestObject.data", word.to_string())],
                    None,
                );
            }
        }
        if obj.resource == "serviceaccounts"
            && obj.subresource.is_empty()
            && e.verb == "create"
            && ok
            && matches!(obj.namespace.as_str(), "kube-system" | "kube-public")
            && !is_system(user)
        {
            let name = object_name(obj, body);
            report(
                self,
                rec,
                "AUD012",
                format!("{user} created service account {}/{name}", obj.namespace),
                vec![Evidence::labelled(
                    "objectRef.namespace",
                    obj.namespace.clone(),
                )],
                None,
            );
        }
        if obj.resource == "pods"
            && obj.subresource == "ephemeralcontainers"
            && matches!(e.verb.as_str(), "update" | "patch" | "create")
            && final_stage
        {
            report(
                self,
                rec,
                "AUD013",
                format!(
                    "{user} added an ephemeral container to pod {}/{}",
                    obj.namespace, obj.name
                ),
                vec![Evidence::labelled(
                    "objectRef.subresource",
                    "ephemeralcontainers",
                )],
                None,
            );
        }
        if obj.resource == "events"
            && matches!(e.verb.as_str(), "delete" | "deletecollection")
            && final_stage
            && user != "system:serviceaccount:kube-system:namespace-controller"
        {
            report(
                self,
                rec,
                "AUD014",
                format!(
                    "{user} deleted events in {}",
                    if obj.namespace.is_empty() {
                        "every namespace".to_string()
                    } else {
                        format!("namespace {}", obj.namespace)
                    }
                ),
                vec![Evidence::labelled("requestURI", e.request_uri.clone())],
                None,
            );
        }
        if let Some(imp) = &e.impersonated_user
            && final_stage
        {
            report(
                self,
                rec,
                "AUD016",
                format!(
                    "{user} acted as {} ({} {})",
                    imp.username, e.verb, e.request_uri
                ),
                vec![Evidence::labelled("impersonatedUser", imp.username.clone())],
                None,
            );
        }
        if obj.resource == "serviceaccounts"
            && obj.subresource == "token"
            && e.verb == "create"
            && ok
            && !user.starts_with("system:node:")
            && !is_system(user)
        {
            report(
                self,
                rec,
                "AUD017",
                format!(
                    "{user} minted a token for service account {}/{}",
                    obj.namespace, obj.name
                ),
                vec![Evidence::labelled(
                    "objectRef",
                    format!("serviceaccounts/{}/token", obj.name),
                )],
                None,
            );
        }
        if let Some(v) = e
            .annotations
            .get("pod-security.kubernetes.io/audit-violations")
        {
            report(
                self,
                rec,
                "AUD018",
                format!(
                    "{} {}/{} by {user}: {v}",
                    obj.resource, obj.namespace, obj.name
                ),
                vec![Evidence::labelled(
                    "annotations.pod-security.kubernetes.io/audit-violations",
                    v.clone(),
                )],
                None,
            );
        }
        self.control_plane_access(e, place, obj, body, rec);
        self.denials(e, place, code, rec);
    }

    /// The kubelet API through the API server, admission webhooks, client certificates,
    /// stale and legacy tokens, and writes in kube-system.
    fn control_plane_access(
        &mut self,
        e: &AuditEvent,
        place: Place<'_>,
        obj: &super::event::ObjectRef,
        body: Option<&Body>,
        rec: &mut Recorder,
    ) {
        let user = e.user.username.as_str();
        let code = e.code();
        let accepted = code.is_none_or(|c| c < 400);
        let final_stage = e.stage.is_empty() || e.stage == "ResponseComplete";
        let write = matches!(
            e.verb.as_str(),
            "create" | "update" | "patch" | "delete" | "deletecollection"
        );
        let mut report = |this: &mut Self,
                          rule: &'static str,
                          key: String,
                          message: String,
                          evidence: Evidence,
                          severity: Option<Severity>| {
            if this.seen.insert((rule, key.clone())) {
                let mut i = input(e, place, message, vec![evidence], severity);
                i.discriminator = key.into();
                rec.fail(rule, i);
            }
        };
        // nodes/proxy reaches the kubelet API: /exec and /run there execute in any pod of
        // the node, beneath the API server's admission and audit of pods/exec.
        // Only once the server answered (a RequestReceived event has no code yet, and the
        // request may still be denied).
        if obj.resource == "nodes"
            && obj.subresource == "proxy"
            && e.stage != "RequestReceived"
            && code.is_some_and(|c| c < 400)
            && !is_system(user)
        {
            // What follows `/nodes/<name>/proxy` (a node may be called `proxy-1`).
            let marker = format!("/{}/proxy", obj.name);
            let path = e
                .request_uri
                .split_once(marker.as_str())
                .map_or("", |(_, p)| p)
                .split('?')
                .next()
                .unwrap_or("");
            let harmless = ["/metrics", "/stats/summary", "/healthz"]
                .iter()
                .any(|p| path.starts_with(p));
            if !harmless {
                let dangerous = ["/exec", "/run", "/attach", "/portForward", "/cri"]
                    .iter()
                    .any(|p| path.starts_with(p));
                report(
                    self,
                    "AUD019",
                    e.audit_id.to_string(),
                    format!(
                        "{user} reached the kubelet API of node {} ({} {})",
                        obj.name,
                        e.verb,
                        if path.is_empty() { "/" } else { path }
                    ),
                    Evidence::labelled("requestURI", e.request_uri.clone()),
                    dangerous.then_some(Severity::Critical),
                );
            }
        }
        // Admission webhooks and policies see (and may rewrite) every object; changing them
        // is how admission control is switched off or subverted.
        if matches!(
            obj.resource.as_str(),
            "mutatingwebhookconfigurations"
                | "validatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings"
        ) && write
            && final_stage
            && accepted
            && !is_system(user)
        {
            let name = object_name(obj, body);
            report(
                self,
                "AUD020",
                e.audit_id.to_string(),
                format!("{user} {} {} {name}", e.verb, obj.resource),
                Evidence::labelled("objectRef.resource", obj.resource.clone()),
                (e.verb == "delete" && obj.resource.starts_with("validating"))
                    .then_some(Severity::High),
            );
        }
        // Client certificates: a CSR for the API server's client signer is a new credential;
        // approving one by hand issues it. Nodes (system:node:*, system:bootstrap:*) do
        // this routinely.
        if obj.resource == "certificatesigningrequests"
            && final_stage
            && accepted
            && !is_system(user)
            && ((e.verb == "create" && obj.subresource.is_empty())
                || (obj.subresource == "approval" && matches!(e.verb.as_str(), "update" | "patch")))
        {
            let signer = body
                .and_then(|b| b.pointer("/spec/signerName"))
                .and_then(Body::as_str)
                .unwrap_or("");
            let what = if obj.subresource == "approval" {
                "approved"
            } else {
                "created"
            };
            report(
                self,
                "AUD021",
                e.audit_id.to_string(),
                format!(
                    "{user} {what} certificate signing request {}{}",
                    obj.name,
                    if signer.is_empty() {
                        String::new()
                    } else {
                        format!(" for signer {signer}")
                    }
                ),
                Evidence::labelled(
                    "objectRef",
                    format!("certificatesigningrequests/{}", obj.name),
                ),
                (signer == "kubernetes.io/kube-apiserver-client" || what == "approved")
                    .then_some(Severity::Critical),
            );
        }
        // Tokens the API server itself flags: kept past their warning time (stale, bound
        // tokens of old clients) or legacy secret-based tokens. Once per identity.
        for (annotation, label, what) in [
            (
                "authentication.k8s.io/stale-token",
                "annotations.authentication.k8s.io/stale-token",
                "a stale token",
            ),
            (
                "authentication.k8s.io/legacy-token",
                "annotations.authentication.k8s.io/legacy-token",
                "a legacy secret-based token",
            ),
        ] {
            if let Some(value) = e.annotations.get(annotation) {
                report(
                    self,
                    "AUD022",
                    format!("{annotation}|{user}"),
                    format!("{user} authenticated with {what}: {value}"),
                    Evidence::labelled(label, value.clone()),
                    None,
                );
            }
        }
        // Writes in kube-system by anyone but the control plane (pods and service accounts
        // have rules of their own; `kubeadm token create` writes bootstrap-token Secrets
        // there as routine node-join work).
        let bootstrap_token = obj.resource == "secrets" && obj.name.starts_with("bootstrap-token-");
        if obj.namespace == "kube-system"
            && write
            && final_stage
            && accepted
            && !is_system(user)
            && !bootstrap_token
            && !matches!(obj.resource.as_str(), "pods" | "serviceaccounts" | "events")
        {
            let critical = obj.resource == "configmaps"
                && matches!(obj.name.as_str(), "coredns" | "kube-proxy" | "aws-auth");
            report(
                self,
                "AUD023",
                e.audit_id.to_string(),
                format!(
                    "{user} {} {} kube-system/{}",
                    e.verb, obj.resource, obj.name
                ),
                Evidence::labelled("objectRef.namespace", "kube-system"),
                critical.then_some(Severity::Critical),
            );
        }
    }

    fn pod_spec(
        &mut self,
        e: &AuditEvent,
        place: Place<'_>,
        body: Option<&Body>,
        spec: &Body,
        namespace: &str,
        rec: &mut Recorder,
    ) {
        let user = &e.user.username;
        let images: Vec<&str> = containers(spec)
            .filter_map(|c| c.get("image").and_then(Body::as_str))
            .collect();
        if !images.is_empty()
            && !self.config.allowed_images.is_empty()
            && images.iter().all(|i| {
                self.config
                    .allowed_images
                    .iter()
                    .any(|p| i.starts_with(p.as_str()))
            })
        {
            return;
        }
        let name = body
            .and_then(|b| {
                b.pointer("/metadata/name")
                    .or(b.pointer("/metadata/generateName"))
            })
            .and_then(Body::as_str)
            .unwrap_or("");
        let mut flags = Vec::new();
        for c in containers(spec) {
            if c.pointer("/securityContext/privileged")
                .and_then(Body::as_bool)
                == Some(true)
            {
                flags.push(format!(
                    "privileged container {}",
                    c.get("name").and_then(Body::as_str).unwrap_or("?")
                ));
            }
        }
        for ns in ["hostNetwork", "hostPID", "hostIPC"] {
            if spec.get(ns).and_then(Body::as_bool) == Some(true) {
                flags.push(format!("{ns}=true"));
            }
        }
        if !flags.is_empty() && self.seen.insert(("AUD007", e.audit_id.to_string())) {
            rec.fail(
                "AUD007",
                input(
                    e,
                    place,
                    format!(
                        "{user} created pod {namespace}/{name} with {}",
                        flags.join(", ")
                    ),
                    vec![Evidence::labelled("requestObject.spec", flags.join(", "))],
                    None,
                ),
            );
        }
        let mounts: Vec<&str> = spec
            .get("volumes")
            .and_then(Body::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.pointer("/hostPath/path").and_then(Body::as_str))
            .filter(|p| SENSITIVE_MOUNTS.contains(&p.trim_end_matches('/').max("/")))
            .collect();
        if !mounts.is_empty() && self.seen.insert(("AUD008", e.audit_id.to_string())) {
            rec.fail(
                "AUD008",
                input(
                    e,
                    place,
                    format!(
                        "{user} created pod {namespace}/{name} mounting {}",
                        mounts.join(", ")
                    ),
                    vec![Evidence::labelled(
                        "requestObject.spec.volumes",
                        mounts.join(", "),
                    )],
                    None,
                ),
            );
        }
        if matches!(namespace, "kube-system" | "kube-public") {
            let images: Vec<&str> = containers(spec)
                .filter_map(|c| c.get("image").and_then(Body::as_str))
                .collect();
            let foreign: Vec<&str> = images
                .iter()
                .copied()
                .filter(|i| !SYSTEM_IMAGE_PREFIXES.iter().any(|p| i.starts_with(p)))
                .collect();
            if !foreign.is_empty() && self.seen.insert(("AUD011", e.audit_id.to_string())) {
                rec.fail(
                    "AUD011",
                    input(
                        e,
                        place,
                        format!(
                            "{user} created pod {namespace}/{name} with image {}",
                            foreign.join(", ")
                        ),
                        vec![Evidence::labelled(
                            "requestObject.spec.containers.image",
                            foreign.join(", "),
                        )],
                        None,
                    ),
                );
            }
        }
    }

    fn denials(&mut self, e: &AuditEvent, place: Place<'_>, code: Option<i64>, rec: &mut Recorder) {
        if !matches!(code, Some(401 | 403)) || e.stage == "RequestReceived" {
            return;
        }
        let Some(t) = e.time().and_then(parse_time).map(|t| t.0) else {
            return;
        };
        let who = if e.user.username.is_empty() {
            "(unauthenticated)".to_string()
        } else {
            e.user.username.to_string()
        };
        let ip = e
            .source_ips
            .last()
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let key = (who.clone(), ip.clone());
        let window = self.denied.entry(key.clone()).or_default();
        window.push_back(t);
        while window
            .front()
            .is_some_and(|f| t - f > self.config.burst_window_secs)
        {
            window.pop_front();
        }
        if window.len() >= self.config.burst_threshold && self.bursts_reported.insert(key) {
            let n = window.len();
            let mut i = input(
                e,
                place,
                format!(
                    "{n} denied requests (401/403) for {who} from {ip} within {} s",
                    self.config.burst_window_secs
                ),
                vec![Evidence::labelled(
                    "responseStatus.code",
                    format!("{n}x 401/403"),
                )],
                None,
            );
            i.discriminator = format!("{who}@{ip}").into();
            rec.fail("AUD015", i);
        }
    }

    /// Adds the events that passed each rule, and what the log could not show (too low an
    /// audit level), to coverage.
    pub fn finish(self, rec: &mut Recorder) -> u64 {
        for rule in crate::rules::RULES
            .iter()
            .filter(|r| r.area == crate::severity::Area::AuditLog && !r.id.starts_with("AUDP"))
        {
            let failed = rec.findings.iter().filter(|f| f.rule_id == rule.id).count() as u64;
            rec.pass_many(rule.id, self.events.saturating_sub(failed));
        }
        for (what, n) in &self.bodiless {
            let rules: &[&'static str] = match *what {
                "pod creations" => &["AUD007", "AUD008", "AUD011"],
                "binding changes" => &["AUD005"],
                "role changes" => &["AUD006"],
                "service creations" => &["AUD009"],
                _ => &["AUD010"],
            };
            let reason = format!(
                "{n} {what} were logged at Metadata level, without the request body; the audit policy should log them at Request"
            );
            for rule in rules {
                rec.not_evaluated(rule, *what, reason.clone());
            }
        }
        self.events
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

/// The object's name: from the request path, else (for creates) from the body.
fn object_name(obj: &super::event::ObjectRef, body: Option<&Body>) -> String {
    if obj.name.is_empty() {
        body.and_then(|b| b.pointer("/metadata/name"))
            .and_then(Body::as_str)
            .unwrap_or("")
            .to_string()
    } else {
        obj.name.to_string()
    }
}

fn input(
    e: &AuditEvent,
    place: Place<'_>,
    message: String,
    evidence: Vec<Evidence>,
    severity: Option<Severity>,
) -> FindingInput {
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
        message: message.into(),
        evidence,
        location: Some(Location {
            file: Arc::from(place.file),
            line: place.line as u32,
        }),
        discriminator: e.audit_id.to_string().into(),
        severity,
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
}
