//! Checks: pure functions from the inventory to findings and coverage. No I/O, no clock.

pub mod images;
pub mod ingress;
pub mod network;
pub mod pod_security;
pub mod rbac;
pub mod signatures;
pub mod workload;

use crate::findings::{
    Evidence, FindingInput, Location, Message, PodField, Pointer, Recorder, Subject,
};
use crate::inventory::containers::ContainerRef;
use crate::inventory::{Inventory, Workload};
use crate::pss::{PodView, Version};
use std::borrow::Cow;

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
    /// Run the cluster checks; false for an audit-log-only run, which has no cluster.
    pub cluster: bool,
    /// What is known of the images' vulnerabilities; `None`: VUL rules not evaluated.
    pub vulnerabilities: Option<std::sync::Arc<crate::vuln::facts::ImageFacts>>,
    /// The images' verified signatures; `None`: SIG001 and SIG003 not evaluated.
    pub signatures: Option<std::sync::Arc<crate::signatures::facts::SignatureFacts>>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            pss_version: Version::Latest,
            server_minor: None,
            allowed_registries: Vec::new(),
            cluster: true,
            vulnerabilities: None,
            signatures: None,
        }
    }
}

/// Runs every check over the inventory.
pub fn run_all(
    inv: &Inventory,
    config: &ScanConfig,
) -> (Recorder, Vec<pod_security::NamespaceReport>) {
    let mut rec = Recorder::with_capacity(inv.workloads.len() * 16);
    let workloads = audited_workloads(inv);
    let minor = config.pss_version.effective_minor(config.server_minor);
    let mut pss_rules = pod_security::PssRules::default();
    let mut images = images::Parsed::default();
    let namespace_minors = pod_security::namespace_minors(inv, config);
    let mut verdicts = Vec::with_capacity(workloads.len());
    // Every check of a workload in one visit: its spec is read from memory once, not once
    // per kind of check.
    let mut policies = signatures::Policies::of(inv);
    for w in &workloads {
        rec.within(&w.namespace);
        let view = PodView::new(Some(&w.template_annotations), &w.spec, inv.source.live);
        let v = pod_security::verdicts_of(w, &view, minor);
        pod_security::record(&v, config, &mut pss_rules, &mut rec);
        workload::check(inv, w, &view, &mut rec);
        images::check(w, &view, config, &mut images, &mut rec);
        signatures::check(inv, w, &view, config, &mut policies, &mut rec);
        verdicts.push(v);
        // A namespace that pins another version judges the workload at that one too.
        if let Some(&(_, pinned)) = namespace_minors
            .iter()
            .find(|(ns, m)| *ns == &*w.namespace && *m != minor)
        {
            verdicts.push(pod_security::verdicts_of(w, &view, pinned));
        }
    }
    rec.within("");
    let namespaces = pod_security::namespaces(inv, &verdicts, config, &mut rec);
    network::run(inv, &workloads, &mut rec);
    ingress::run(inv, &mut rec);
    rbac::run(inv, &mut rec);
    access_gaps(inv, &mut rec);
    (rec, namespaces)
}

/// What a live read could not see makes the rules that depend on it "not evaluated" there:
/// a 403 on pods in `web` is no evidence that `web`'s pods are fine.
fn access_gaps(inv: &Inventory, rec: &mut Recorder) {
    for gap in &inv.access_gaps {
        let Some(part) = gap.part() else { continue };
        let missing = if gap.verb.is_empty() {
            String::new()
        } else {
            format!(" (missing verb {} on {})", gap.verb, gap.resource)
        };
        for rule in crate::rules::RULES
            .iter()
            .filter(|r| r.reads.contains(&part))
        {
            rec.not_evaluated(rule.id, gap.scope(), format!("{}{missing}", gap.reason));
        }
    }
}

/// Workloads to audit: every one, except those whose controller is also in the inventory
/// (a Deployment's ReplicaSets and pods would only repeat the Deployment's findings).
pub fn audited_workloads(inv: &Inventory) -> Vec<&Workload> {
    // foldhash (randomly seeded) rather than SipHash: one insert and lookup per workload.
    let present: foldhash::HashSet<(&str, &str, &str)> = inv
        .workloads
        .iter()
        .map(|w| (w.kind.as_str(), &*w.namespace, &*w.name))
        .collect();
    inv.workloads
        .iter()
        .filter(|w| match &w.owner {
            Some(o) => !present.contains(&(o.kind.as_str(), &*w.namespace, o.name.as_str())),
            None => true,
        })
        .collect()
}

pub(crate) fn workload_subject(w: &Workload) -> Subject {
    Subject::object(w.kind.as_str(), w.namespace.clone(), w.name.clone())
}

pub(crate) fn container_subject(w: &Workload, c: &ContainerRef<'_>) -> Subject {
    let id = w.container_ids.get(c.pos);
    Subject {
        container: Some(id.map_or_else(|| c.name.into(), |i| i.name.clone())),
        image: id.map_or_else(|| c.image.map(Into::into), |i| i.image.clone()),
        ..workload_subject(w)
    }
}

pub(crate) fn location(w: &Workload) -> Option<Location> {
    Some(Location {
        file: w.origin.file.clone(),
        line: w.origin.line,
    })
}

/// Evidence at a field of a workload's pod.
pub(crate) fn evidence(
    w: &Workload,
    field: impl Into<PodField>,
    value: impl Into<Cow<'static, str>>,
) -> Evidence {
    Evidence::at(Pointer::in_pod(w.pod_pointer.clone(), field.into()), value)
}

pub(crate) fn input(
    subject: Subject,
    w: &Workload,
    message: impl Into<Message>,
    evidence: Vec<Evidence>,
) -> FindingInput {
    FindingInput {
        subject,
        message: message.into(),
        evidence,
        location: location(w),
        discriminator: Cow::Borrowed(""),
        severity: None,
    }
}

/// `Deployment shop/web` for messages.
pub(crate) fn describe(w: &Workload) -> crate::findings::message::Object<'_> {
    crate::findings::message::Object {
        kind: w.kind.as_str(),
        namespace: &w.namespace,
        name: &w.name,
    }
}
