//! Network isolation (NET001): does each namespace with workloads have a default-deny policy?

use crate::findings::message::msg;
use std::borrow::Cow;

use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use crate::inventory::{Inventory, NetworkPolicyInfo};
use k8s_openapi::api::networking::v1::NetworkPolicySpec;

pub fn run(inv: &Inventory, workloads: &[&crate::inventory::Workload], rec: &mut Recorder) {
    for ns in inv.namespaces.values() {
        if !workloads.iter().any(|w| *w.namespace == *ns.name) {
            continue;
        }
        if !inv.knows_absence_of("NetworkPolicy") {
            rec.not_evaluated("NET001", msg!("namespace {}", ns.name), "the input holds no NetworkPolicy objects, so their absence cannot be told from their omission");
            continue;
        }
        let policies: Vec<&NetworkPolicyInfo> = inv
            .network_policies
            .iter()
            .filter(|p| p.namespace == ns.name)
            .collect();
        let ingress = policies.iter().any(|p| denies_all(&p.spec, "Ingress"));
        let egress = policies.iter().any(|p| denies_all(&p.spec, "Egress"));
        let message = match (ingress, egress, policies.len()) {
            (true, _, _) => None,
            (false, true, _) => Some(msg!(
                "Namespace {} denies egress by default but accepts ingress from every pod in the cluster{}",
                ns.name,
                ns.absence_note()
            )),
            (false, false, 0) => Some(msg!(
                "Namespace {} has no NetworkPolicy: every pod accepts traffic from anywhere{}",
                ns.name,
                ns.absence_note()
            )),
            (false, false, n) => Some(msg!(
                "Namespace {} has {n} NetworkPolicies but none selects all pods to deny ingress by default{}",
                ns.name,
                ns.absence_note()
            )),
        };
        rec.decide(
            "NET001",
            message.map(|message| FindingInput {
                subject: Subject::object("Namespace", "", ns.name.as_str()),
                message: message.into(),
                evidence: vec![Evidence::labelled(
                    "networkpolicies",
                    if policies.is_empty() {
                        "none".to_string()
                    } else {
                        policies
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                )],
                location: ns.place().map(|o| Location {
                    file: o.file.clone(),
                    line: o.line,
                }),
                discriminator: Cow::Borrowed(""),
                severity: None,
            }),
        );
    }
}

/// A policy that selects every pod in the namespace and allows nothing in `direction`.
pub fn denies_all(spec: &NetworkPolicySpec, direction: &str) -> bool {
    let selects_all = spec.pod_selector.as_ref().is_none_or(|s| {
        s.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    });
    let applies = match &spec.policy_types {
        Some(types) => types.iter().any(|t| t == direction),
        // Without policyTypes, Ingress always applies and Egress only if egress rules exist.
        None => direction == "Ingress" || spec.egress.is_some(),
    };
    let no_rules = match direction {
        "Ingress" => spec.ingress.as_ref().is_none_or(|r| r.is_empty()),
        _ => spec.egress.as_ref().is_none_or(|r| r.is_empty()),
    };
    selects_all && applies && no_rules
}
