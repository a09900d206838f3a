//! The one normalized model of what a cluster holds. Every source (manifests, the embedded
//! demo, later a live cluster) produces an [`Inventory`]; every check reads only it.

pub mod build;
pub mod containers;

pub mod input;

use input::{LoadError, Origin};
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::networking::v1::{IngressSpec, NetworkPolicySpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// Where the inventory came from, and how much of the cluster it can be trusted to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceInfo {
    /// `manifests`, `demo`, `snapshot` or `live`.
    pub kind: String,
    /// Paths, context name or "embedded demo cluster".
    pub description: String,
    /// What the audit history groups sessions by: the kubeconfig context (a snapshot names
    /// its own), the manifest paths made canonical, `demo`.
    pub context: String,
    /// True when the source lists every object of the kinds it read (a cluster or a dump),
    /// so the absence of an object means it does not exist. Manifest folders are partial.
    pub complete: bool,
    /// True when objects come from the API server (defaulting has run).
    pub live: bool,
    /// The API server's version (`v1.31.2`), for live clusters and their snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// What the user must know about the source: a narrowed scope, a fallback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The namespaces a live read was limited to (`-n`, or the context's namespace when
    /// namespaces cannot be listed); absent for all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
}

impl SourceInfo {
    /// A source with nothing more to say than its kind and description.
    pub fn new(kind: &str, description: impl Into<String>, complete: bool, live: bool) -> Self {
        let description = description.into();
        SourceInfo {
            kind: kind.into(),
            context: description.clone(),
            description,
            complete,
            live,
            server_version: None,
            notes: Vec::new(),
            scope: None,
        }
    }

    /// The server's minor version (`v1.31.2` is 31), which caps the PSS `latest`.
    pub fn server_minor(&self) -> Option<u32> {
        let v = self.server_version.as_deref()?;
        let rest = v.strip_prefix('v').unwrap_or(v);
        let mut parts = rest.split('.');
        let _major = parts.next()?;
        let minor: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        minor.parse().ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    DaemonSet,
    StatefulSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    PodTemplate,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::PodTemplate => "PodTemplate",
        }
    }

    /// JSON pointer of the pod template inside the object ("" for a Pod itself).
    pub fn template_pointer(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "",
            WorkloadKind::CronJob => "/spec/jobTemplate/spec/template",
            WorkloadKind::PodTemplate => "/template",
            _ => "/spec/template",
        }
    }
}

/// A controller that owns an object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Owner {
    pub kind: String,
    pub name: String,
}

/// Something that runs pods: a Pod or a controller with a pod template.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: WorkloadKind,
    /// "" when a manifest does not say (kubectl would use the context's namespace).
    /// Shared (`Arc`) with every finding about the workload.
    pub namespace: std::sync::Arc<str>,
    pub name: std::sync::Arc<str>,
    pub labels: Labels,
    pub annotations: Labels,
    /// Labels and annotations of the pod template (the pod's own for a Pod).
    pub template_labels: Labels,
    pub template_annotations: Labels,
    pub spec: PodSpec,
    /// `spec.replicas` of a Deployment, StatefulSet or ReplicaSet that sets it.
    pub replicas: Option<i64>,
    pub owner: Option<Owner>,
    /// Each container's name and image in visit order, shared (`Arc`) with findings.
    pub container_ids: Vec<ContainerId>,
    /// Digests actually running (`status.containerStatuses[].imageID`), by container name.
    pub running_image_ids: BTreeMap<String, String>,
    pub origin: Origin,
    /// The pod's (or pod template's) JSON pointer in its document: what turns a pod-relative
    /// pointer (`/spec/...`) into one inside the file. Shared with the evidence of findings.
    pub pod_pointer: std::sync::Arc<str>,
}

/// A container's name and image, for findings about it.
#[derive(Debug, Clone)]
pub struct ContainerId {
    pub name: std::sync::Arc<str>,
    pub image: Option<std::sync::Arc<str>>,
}

#[derive(Debug, Clone)]
pub struct NamespaceInfo {
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    /// None when the namespace is only known from objects that live in it.
    pub origin: Option<Origin>,
    /// When the input does not hold the Namespace object: the first object that names the
    /// namespace (reports point there, at its `metadata.namespace`).
    pub named_at: Option<Origin>,
}

impl NamespaceInfo {
    /// Where findings on the namespace point: its object, else the first object that names
    /// it (a result without a file is dropped by SARIF viewers).
    pub fn place(&self) -> Option<&Origin> {
        self.origin.as_ref().or(self.named_at.as_ref())
    }

    /// Said after a finding's message when the Namespace object is not in the input.
    pub fn absence_note(&self) -> &'static str {
        if self.origin.is_none() && self.named_at.is_some() {
            " (the Namespace object is not in the input: this is where the first object names it)"
        } else {
            ""
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServiceAccountInfo {
    pub namespace: String,
    pub name: String,
    pub automount_token: Option<bool>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

#[derive(Debug, Clone)]
pub struct RoleInfo {
    pub kind: RoleKind,
    /// "" for ClusterRoles.
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub rules: Vec<PolicyRule>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

#[derive(Debug, Clone)]
pub struct BindingInfo {
    pub kind: BindingKind,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
    pub origin: Origin,
}

/// An Ingress: which hosts it routes and which it serves over TLS.
#[derive(Debug, Clone)]
pub struct IngressInfo {
    pub namespace: String,
    pub name: String,
    pub spec: IngressSpec,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct NetworkPolicyInfo {
    pub namespace: String,
    pub name: String,
    pub spec: NetworkPolicySpec,
    pub origin: Origin,
}

/// An admission object that decides which images are admitted: a policy that may enforce
/// image signatures (Kyverno, Sigstore policy-controller), a Gatekeeper constraint on image
/// repositories or tags, or a webhook configuration that routes pods to one of them. Kept as
/// read; the signatures area interprets it.
#[derive(Debug, Clone)]
pub struct AdmissionPolicy {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub value: serde_json::Value,
    pub origin: Origin,
}

/// A scanner's report kept in the cluster (trivy-operator's `VulnerabilityReport`). Kept as
/// read; the vulnerability area reads it.
#[derive(Debug, Clone)]
pub struct ScannerReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub value: serde_json::Value,
    pub origin: Origin,
}

/// An object that was read but is not audited (a Service, a ConfigMap, a CRD instance...).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unaudited {
    pub kind: String,
    pub count: usize,
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pub source: SourceInfo,
    pub namespaces: BTreeMap<String, NamespaceInfo>,
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<ServiceAccountInfo>,
    pub roles: Vec<RoleInfo>,
    pub bindings: Vec<BindingInfo>,
    pub network_policies: Vec<NetworkPolicyInfo>,
    pub ingresses: Vec<IngressInfo>,
    pub admission_policies: Vec<AdmissionPolicy>,
    /// Vulnerability reports of an operator running in the cluster.
    pub scanner_reports: Vec<ScannerReport>,
    /// Each node's platform (`linux/arm64`), by node name: which image of a multi-platform
    /// index the pods scheduled there run.
    pub node_platforms: BTreeMap<String, String>,
    /// Objects read but not audited, counted by kind.
    pub unaudited: BTreeMap<String, usize>,
    /// What could not be read, with file and line.
    pub errors: Vec<LoadError>,
    /// Kinds the source read (or, for a partial source, found); used to tell "none exist"
    /// from "not looked at".
    pub kinds_seen: std::collections::BTreeSet<String>,
    pub files_read: usize,
    /// What a live read was not allowed (or able) to read; its rules are "not evaluated".
    pub access_gaps: Vec<crate::inventory::input::AccessGap>,
    /// For a live read: the lists it made and their resourceVersions, to watch for changes.
    pub watch_points: Vec<crate::inventory::input::WatchPoint>,
}

impl Inventory {
    pub fn empty(source: SourceInfo) -> Self {
        Inventory {
            source,
            namespaces: BTreeMap::new(),
            workloads: Vec::new(),
            service_accounts: Vec::new(),
            roles: Vec::new(),
            bindings: Vec::new(),
            network_policies: Vec::new(),
            ingresses: Vec::new(),
            admission_policies: Vec::new(),
            scanner_reports: Vec::new(),
            node_platforms: BTreeMap::new(),
            unaudited: BTreeMap::new(),
            errors: Vec::new(),
            kinds_seen: Default::default(),
            files_read: 0,
            access_gaps: Vec::new(),
            watch_points: Vec::new(),
        }
    }

    /// Adds what another (partial) inventory of the same source holds: a live read types
    /// each page on its own and merges the pages here, in order.
    pub fn absorb(&mut self, other: Inventory) {
        // A page of pods implies its namespaces (no labels); the Namespace object itself,
        // from another page, wins whichever comes first.
        for (name, ns) in other.namespaces {
            match self.namespaces.entry(name) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(ns);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    if o.get().origin.is_none() && ns.origin.is_some() {
                        o.insert(ns);
                    }
                }
            }
        }
        self.workloads.extend(other.workloads);
        self.service_accounts.extend(other.service_accounts);
        self.roles.extend(other.roles);
        self.bindings.extend(other.bindings);
        self.network_policies.extend(other.network_policies);
        self.ingresses.extend(other.ingresses);
        self.admission_policies.extend(other.admission_policies);
        self.scanner_reports.extend(other.scanner_reports);
        self.node_platforms.extend(other.node_platforms);
        for (kind, count) in other.unaudited {
            *self.unaudited.entry(kind).or_default() += count;
        }
        self.errors.extend(other.errors);
        self.kinds_seen.extend(other.kinds_seen);
        self.files_read += other.files_read;
        self.access_gaps.extend(other.access_gaps);
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&ServiceAccountInfo> {
        self.service_accounts
            .iter()
            .find(|sa| sa.namespace == namespace && sa.name == name)
    }

    /// True when the inventory can say that no object of `kind` exists.
    pub fn knows_absence_of(&self, kind: &str) -> bool {
        self.source.complete || self.kinds_seen.contains(kind)
    }

    /// The gap that keeps `resource` (plural name, `serviceaccounts`) in `namespace` from
    /// being read, if any.
    pub fn unreadable(
        &self,
        resource: &str,
        namespace: &str,
    ) -> Option<&crate::inventory::input::AccessGap> {
        self.access_gaps.iter().find(|g| {
            g.resource.split('.').next() == Some(resource)
                && g.namespace.as_deref().is_none_or(|n| n == namespace)
        })
    }
}
