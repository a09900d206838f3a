//! Checks: pure functions from the inventory to findings and coverage. No I/O, no clock.

pub mod images;
pub mod network;
pub mod pod_security;
pub mod rbac;
pub mod workload;

use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use crate::inventory::containers::ContainerRef;
use crate::inventory::{Inventory, Workload};
use crate::pss::Version;

/// What a scan is asked to do.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Policy version for the PSS rules (`latest` by default).
    pub pss_version: Version,
    /// The API server's minor version, when known, to clamp `latest` as the server would.
    pub server_minor: Option<u32>,
    /// Registries (or `registry/path` prefixes, or `*.domain`) images may come from; empty
    /// means IMG003 is not evaluated.
    pub allowed_registries: Vec<String>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            pss_version: Version::Latest,
            server_minor: None,
            allowed_registries: Vec::new(),
        }
    }
}

/// Runs every check over the inventory.
pub fn run_all(
    inv: &Inventory,
    config: &ScanConfig,
) -> (Recorder, Vec<pod_security::NamespaceReport>) {
    let mut rec = Recorder::default();
    let workloads = audited_workloads(inv);
    pod_security::run(inv, &workloads, config, &mut rec);
    let namespaces = pod_security::namespaces(inv, config, &mut rec);
    workload::run(inv, &workloads, &mut rec);
    images::run(&workloads, config, &mut rec);
    network::run(inv, &mut rec);
    rbac::run(inv, &mut rec);
    (rec, namespaces)
}

/// Workloads to audit: every one, except those whose controller is also in the inventory
/// (a Deployment's ReplicaSets and pods would only repeat the Deployment's findings).
pub fn audited_workloads(inv: &Inventory) -> Vec<&Workload> {
    let present: std::collections::HashSet<(&str, &str, &str)> = inv
        .workloads
        .iter()
        .map(|w| (w.kind.as_str(), w.namespace.as_str(), w.name.as_str()))
        .collect();
    inv.workloads
        .iter()
        .filter(|w| match &w.owner {
            Some(o) => !present.contains(&(o.kind.as_str(), w.namespace.as_str(), o.name.as_str())),
            None => true,
        })
        .collect()
}

pub(crate) fn workload_subject(w: &Workload) -> Subject {
    Subject::object(w.kind.as_str(), &w.namespace, &w.name)
}

pub(crate) fn container_subject(w: &Workload, c: &ContainerRef<'_>) -> Subject {
    Subject {
        container: Some(c.name.to_string()),
        image: c.image.map(str::to_string),
        ..workload_subject(w)
    }
}

pub(crate) fn location(w: &Workload) -> Option<Location> {
    Some(Location {
        file: w.origin.file.to_string(),
        line: w.origin.line,
    })
}

/// Evidence at a pod-relative pointer (`/spec/...`) of a workload.
pub(crate) fn evidence(w: &Workload, pod_pointer: &str, value: impl Into<String>) -> Evidence {
    Evidence::at(format!("{}{}", w.pointer_prefix(), pod_pointer), value)
}

pub(crate) fn input(
    subject: Subject,
    w: &Workload,
    message: String,
    evidence: Vec<Evidence>,
) -> FindingInput {
    FindingInput {
        subject,
        message,
        evidence,
        location: location(w),
        discriminator: String::new(),
        severity: None,
    }
}

/// `Deployment shop/web` for messages.
pub(crate) fn describe(w: &Workload) -> String {
    if w.namespace.is_empty() {
        format!("{} {}", w.kind.as_str(), w.name)
    } else {
        format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name)
    }
}
