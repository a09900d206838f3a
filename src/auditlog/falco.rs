//! Falco's k8saudit rule set and what stands for each of its 48 rules in kaudit: a
//! detection that names it in its references, an activity entry (the 20 "K8s ... Created /
//! Deleted" rules: info on the timeline and each identity, not findings), or the raw-event
//! view ("All K8s Audit Events").

use super::event::AuditEvent;
use crate::rules::RULES;

/// Falco's rules as `k8s_audit_rules.yaml` (falcosecurity/plugins) names them, with their
/// priority.
pub static FALCO_K8SAUDIT: &[(&str, &str)] = &[
    ("Disallowed K8s User", "WARNING"),
    ("Create Disallowed Pod", "WARNING"),
    ("Create Privileged Pod", "WARNING"),
    ("Create Sensitive Mount Pod", "WARNING"),
    ("Create HostNetwork Pod", "WARNING"),
    ("Create HostPid Pod", "WARNING"),
    ("Create HostIPC Pod", "WARNING"),
    ("Create NodePort Service", "WARNING"),
    (
        "Create/Modify Configmap With Private Credentials",
        "WARNING",
    ),
    ("Anonymous Request Allowed", "WARNING"),
    ("Attach/Exec Pod", "NOTICE"),
    ("port-forward", "NOTICE"),
    ("EphemeralContainers Created", "NOTICE"),
    ("Create Disallowed Namespace", "WARNING"),
    ("Pod Created in Kube Namespace", "WARNING"),
    ("Service Account Created in Kube Namespace", "WARNING"),
    ("System ClusterRole Modified/Deleted", "WARNING"),
    ("Attach to cluster-admin Role", "WARNING"),
    ("ClusterRole With Wildcard Created", "WARNING"),
    ("ClusterRole With Write Privileges Created", "NOTICE"),
    ("ClusterRole With Pod Exec Created", "WARNING"),
    ("K8s Deployment Created", "INFO"),
    ("K8s Deployment Deleted", "INFO"),
    ("K8s Service Created", "INFO"),
    ("K8s Service Deleted", "INFO"),
    ("K8s ConfigMap Created", "INFO"),
    ("K8s ConfigMap Deleted", "INFO"),
    ("K8s Namespace Created", "INFO"),
    ("K8s Namespace Deleted", "INFO"),
    ("K8s Serviceaccount Created", "INFO"),
    ("K8s Serviceaccount Deleted", "INFO"),
    ("K8s Role Created", "INFO"),
    ("K8s Role Deleted", "INFO"),
    ("K8s ClusterRole Created", "INFO"),
    ("K8s ClusterRole Deleted", "INFO"),
    ("K8s RoleBinding Created", "INFO"),
    ("K8s RoleBinding Deleted", "INFO"),
    ("K8s ClusterRoleBinding Created", "INFO"),
    ("K8s ClusterRoleBinding Deleted", "INFO"),
    ("K8s Secret Created", "INFO"),
    ("K8s Secret Deleted", "INFO"),
    ("K8s Secret Get Successfully", "ERROR"),
    ("K8s Secret Get Unsuccessfully Tried", "WARNING"),
    ("All K8s Audit Events", "DEBUG"),
    ("Full K8s Administrative Access", "WARNING"),
    ("Ingress Object without TLS Certificate Created", "WARNING"),
    ("Untrusted Node Successfully Joined the Cluster", "ERROR"),
    (
        "Untrusted Node Unsuccessfully Tried to Join the Cluster",
        "WARNING",
    ),
];

/// The activity rules: the resource, the verb, and the rule's name.
const ACTIVITY: &[(&str, &str, &str)] = &[
    ("deployments", "create", "K8s Deployment Created"),
    ("deployments", "delete", "K8s Deployment Deleted"),
    ("services", "create", "K8s Service Created"),
    ("services", "delete", "K8s Service Deleted"),
    ("configmaps", "create", "K8s ConfigMap Created"),
    ("configmaps", "delete", "K8s ConfigMap Deleted"),
    ("namespaces", "create", "K8s Namespace Created"),
    ("namespaces", "delete", "K8s Namespace Deleted"),
    ("serviceaccounts", "create", "K8s Serviceaccount Created"),
    ("serviceaccounts", "delete", "K8s Serviceaccount Deleted"),
    ("roles", "create", "K8s Role Created"),
    ("roles", "delete", "K8s Role Deleted"),
    ("clusterroles", "create", "K8s ClusterRole Created"),
    ("clusterroles", "delete", "K8s ClusterRole Deleted"),
    ("rolebindings", "create", "K8s RoleBinding Created"),
    ("rolebindings", "delete", "K8s RoleBinding Deleted"),
    (
        "clusterrolebindings",
        "create",
        "K8s ClusterRoleBinding Created",
    ),
    (
        "clusterrolebindings",
        "delete",
        "K8s ClusterRoleBinding Deleted",
    ),
    ("secrets", "create", "K8s Secret Created"),
    ("secrets", "delete", "K8s Secret Deleted"),
];

/// What stands for a Falco rule in kaudit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Equivalent {
    /// Detections whose references name the Falco rule.
    Rules(Vec<&'static str>),
    /// An activity entry of the timeline and the identities.
    Activity,
    /// The raw events of the log (`y` on an audit finding, the audit log view).
    RawEvents,
}

/// kaudit's equivalent of Falco's rule `name`, if it has one.
pub fn equivalent(name: &str) -> Option<Equivalent> {
    let rules: Vec<&'static str> = RULES
        .iter()
        .filter(|r| {
            r.references
                .iter()
                .any(|x| x.source == "falco" && x.id == name)
        })
        .map(|r| r.id)
        .collect();
    if !rules.is_empty() {
        Some(Equivalent::Rules(rules))
    } else if ACTIVITY.iter().any(|(_, _, n)| *n == name) {
        Some(Equivalent::Activity)
    } else if name == "All K8s Audit Events" {
        Some(Equivalent::RawEvents)
    } else {
        None
    }
}

/// The activity rule an event is, with Falco's conditions: a successful create or delete
/// at its final stage; a namespace deleted by a person; a secret created or deleted by a
/// person outside kube-system (service account token secrets stay out).
pub fn activity(e: &AuditEvent) -> Option<&'static str> {
    if !(e.stage.is_empty() || e.stage == "ResponseComplete") {
        return None;
    }
    let obj = e.object_ref.as_ref()?;
    if !obj.subresource.is_empty() || !e.code().is_some_and(|c| (200..300).contains(&c)) {
        return None;
    }
    let verb = e.verb.as_str();
    let (_, _, name) = ACTIVITY
        .iter()
        .find(|(resource, v, _)| *resource == obj.resource && *v == verb)?;
    let person = !e.user.username.starts_with("system:");
    let kept = match obj.resource.as_str() {
        "namespaces" if verb == "delete" => person,
        "secrets" => person && obj.namespace != "kube-system",
        _ => true,
    };
    kept.then_some(*name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_falco_rule_has_an_equivalent() {
        assert_eq!(FALCO_K8SAUDIT.len(), 48);
        let mut names: Vec<&str> = FALCO_K8SAUDIT.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 48, "48 distinct names");
        for (name, _) in FALCO_K8SAUDIT {
            assert!(equivalent(name).is_some(), "no kaudit equivalent of {name}");
        }
        // Every Falco name a rule references is one of the 48, spelled as Falco does.
        for rule in RULES {
            for r in rule.references.iter().filter(|r| r.source == "falco") {
                assert!(
                    names.contains(&r.id),
                    "{} references {:?}, not a Falco k8saudit rule",
                    rule.id,
                    r.id
                );
            }
        }
        assert_eq!(
            FALCO_K8SAUDIT.iter().filter(|(_, p)| *p == "INFO").count(),
            ACTIVITY.len()
        );
    }
}
