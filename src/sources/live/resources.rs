//! What kaudit reads from a cluster. Secrets are deliberately absent: their values are never
//! needed and reading them would make kaudit's own credentials a prize.

/// One resource to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    /// The plural resource name used in URLs and RBAC rules.
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// Only read when discovery shows the API group (CRDs of optional controllers).
    pub optional: bool,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The list URL, cluster-wide or in one namespace.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    /// `pods`, `deployments.apps`: how kubectl and RBAC messages name it.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The core group (`""`, `v1`).
const fn core(plural: &'static str, kind: &'static str, namespaced: bool) -> Resource {
    grouped("", "v1", plural, kind, namespaced)
}

const fn grouped(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        plural,
        kind,
        namespaced,
        optional: false,
    }
}

/// Read only when discovery shows the API group (CRDs of optional controllers).
const fn optional(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        optional: true,
        ..grouped(group, version, plural, kind, namespaced)
    }
}

pub const NAMESPACES: Resource = core("namespaces", "Namespace", false);
/// Read for the image scan (no rule reads nodes).
pub const NODES: Resource = core("nodes", "Node", false);

/// Everything kaudit lists, namespaces first (the other lists may depend on them).
pub const RESOURCES: &[Resource] = &[
    NAMESPACES,
    core("pods", "Pod", true),
    core("serviceaccounts", "ServiceAccount", true),
    core("replicationcontrollers", "ReplicationController", true),
    core("podtemplates", "PodTemplate", true),
    grouped("apps", "v1", "deployments", "Deployment", true),
    grouped("apps", "v1", "daemonsets", "DaemonSet", true),
    grouped("apps", "v1", "statefulsets", "StatefulSet", true),
    grouped("apps", "v1", "replicasets", "ReplicaSet", true),
    grouped("batch", "v1", "jobs", "Job", true),
    grouped("batch", "v1", "cronjobs", "CronJob", true),
    grouped("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    grouped(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
    ),
    grouped(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
    ),
    grouped(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    grouped(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
    ),
    grouped("networking.k8s.io", "v1", "ingresses", "Ingress", true),
    // Only each node's platform is kept: which image of a multi-platform index runs there.
    NODES,
    optional(
        "kyverno.io",
        "v1",
        "clusterpolicies",
        "ClusterPolicy",
        false,
    ),
    optional("kyverno.io", "v1", "policies", "Policy", true),
    optional(
        "policies.kyverno.io",
        "v1beta1",
        "imagevalidatingpolicies",
        "ImageValidatingPolicy",
        false,
    ),
    optional(
        "policies.kyverno.io",
        "v1beta1",
        "namespacedimagevalidatingpolicies",
        "NamespacedImageValidatingPolicy",
        true,
    ),
    optional(
        "policy.sigstore.dev",
        "v1beta1",
        "clusterimagepolicies",
        "ClusterImagePolicy",
        false,
    ),
    // Gatekeeper constraints of the gatekeeper-library's image templates: each template is
    // its own kind, served only when the template is installed.
    optional(
        "constraints.gatekeeper.sh",
        "v1beta1",
        "k8sallowedrepos",
        "K8sAllowedRepos",
        false,
    ),
    optional(
        "constraints.gatekeeper.sh",
        "v1beta1",
        "k8sallowedreposv2",
        "K8sAllowedReposv2",
        false,
    ),
    optional(
        "constraints.gatekeeper.sh",
        "v1beta1",
        "k8sdisallowedrepos",
        "K8sDisallowedRepos",
        false,
    ),
    optional(
        "constraints.gatekeeper.sh",
        "v1beta1",
        "k8sdisallowedtags",
        "K8sDisallowedTags",
        false,
    ),
    // Which webhooks send pods to the admission engines above, with their failurePolicy.
    // Optional like them: an API server always serves the group, but when discovery does not
    // show it nothing is concluded ("webhook not seen").
    optional(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
    ),
    optional(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
    ),
    optional(
        "aquasecurity.github.io",
        "v1alpha1",
        "vulnerabilityreports",
        "VulnerabilityReport",
        true,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_read_feeds_a_part_rules_read() {
        use crate::inventory::input::Part;
        for r in RESOURCES.iter().filter(|r| !r.optional && **r != NODES) {
            let part = Part::of_resource(&r.display());
            assert!(part.is_some(), "{} feeds no part", r.display());
            assert!(
                crate::rules::RULES
                    .iter()
                    .any(|rule| rule.reads.contains(&part.unwrap())),
                "no rule reads {}",
                r.display()
            );
        }
    }

    #[test]
    fn no_secrets_ever() {
        assert!(RESOURCES.iter().all(|r| r.plural != "secrets"));
    }

    #[test]
    fn paths_like_the_api() {
        let pods = RESOURCES[1];
        assert_eq!(pods.path(None), "/api/v1/pods");
        assert_eq!(pods.path(Some("web")), "/api/v1/namespaces/web/pods");
        assert_eq!(
            RESOURCES[5].path(Some("web")),
            "/apis/apps/v1/namespaces/web/deployments"
        );
        assert_eq!(NAMESPACES.path(Some("web")), "/api/v1/namespaces");
    }
}
