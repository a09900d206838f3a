//! What the inventory is built from, whatever the source: objects as read with their
//! origin, what could not be read (input errors, access gaps) and where a live read can be
//! followed from. Sources produce these; the builders in [`super::build`] type them.

use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// Where an object came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file as the user named it (or `demo:/...` for embedded objects).
    pub file: Arc<str>,
    /// 1-based line where the object starts.
    pub line: u32,
    /// JSON pointer of the object inside its document: "" or `/items/N` for List entries.
    pub pointer: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One object as read, before it is typed.
#[derive(Debug, Clone)]
pub struct RawObject {
    pub value: Value,
    pub origin: Origin,
}

/// Something that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
    /// JSON pointer of the offending field inside the document, when known; reports use it
    /// to point at the field's line rather than the object's.
    #[serde(skip)]
    pub pointer: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What a set of paths held: the objects (or what a reader thread made of each, see
/// [`load_paths_with`]), in input order.
#[derive(Debug)]
pub struct Loaded<T = RawObject> {
    pub objects: Vec<T>,
    pub errors: Vec<LoadError>,
    pub files_read: usize,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            objects: Vec::new(),
            errors: Vec::new(),
            files_read: 0,
        }
    }
}

/// Something kaudit was not allowed (or not able) to read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessGap {
    /// `pods`, `deployments.apps`, ...
    pub resource: String,
    /// The namespace, or `None` for all namespaces / a cluster-scoped resource.
    pub namespace: Option<String>,
    /// The verb that was missing (`list`, `get`), or empty when the read failed otherwise.
    pub verb: String,
    /// What the server said.
    pub reason: String,
}

impl AccessGap {
    pub fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} in namespace {ns}", self.resource),
            None => format!("{} (all namespaces)", self.resource),
        }
    }
}

/// A list to follow: its URL and the resourceVersion it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPoint {
    pub path: String,
    pub resource_version: String,
}

/// A part of the inventory, as rules name what they read ([`crate::rules::Rule::reads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    Namespaces,
    /// Pods and every controller with a pod template.
    Workloads,
    ServiceAccounts,
    /// Roles, ClusterRoles and their bindings.
    Rbac,
    NetworkPolicies,
    Ingresses,
}

impl Part {
    /// The part a Kubernetes resource feeds, by the name an access gap gives it (`pods`,
    /// `deployments.apps`); `None` for resources no rule reads yet.
    pub fn of_resource(resource: &str) -> Option<Part> {
        let plural = resource.split('.').next().unwrap_or(resource);
        Some(match plural {
            "namespaces" => Part::Namespaces,
            "pods"
            | "replicationcontrollers"
            | "podtemplates"
            | "deployments"
            | "daemonsets"
            | "statefulsets"
            | "replicasets"
            | "jobs"
            | "cronjobs" => Part::Workloads,
            "serviceaccounts" => Part::ServiceAccounts,
            "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => Part::Rbac,
            "networkpolicies" => Part::NetworkPolicies,
            "ingresses" => Part::Ingresses,
            _ => return None,
        })
    }
}

impl AccessGap {
    /// The part of the inventory this gap leaves unread.
    pub fn part(&self) -> Option<Part> {
        Part::of_resource(&self.resource)
    }
}
