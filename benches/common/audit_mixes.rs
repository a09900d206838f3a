//! The audit-log benchmark's other mixes: writes with bodies, and the control plane's own
//! updates.

use super::{NAMESPACES, Rng, pod_body, time};

/// The mixes measured.
#[derive(Clone, Copy)]
pub enum Mix {
    /// Reads, leases, pod writes with bodies (15%), events, people, a few attacks.
    Today,
    /// 20% creates and updates of pods, deployments, roles and bindings with request and
    /// response bodies; the rest reads at Metadata.
    WriteHeavy,
    /// What controllers write all day: leases, endpoints and events updated with bodies.
    ControlPlane,
}

impl Mix {
    pub fn name(self) -> &'static str {
        match self {
            Mix::Today => "today's mix",
            Mix::WriteHeavy => "write-heavy",
            Mix::ControlPlane => "control-plane",
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Mix::Today => "today",
            Mix::WriteHeavy => "writes",
            Mix::ControlPlane => "control",
        }
    }
}

/// The fields every event has, around `object_ref` (the caller closes the object).
#[allow(clippy::too_many_arguments)]
pub fn common(
    id: &str,
    t: &str,
    (level, stage): (&str, &str),
    uri: &str,
    verb: &str,
    (user, groups): (&str, &str),
    (ip, ua): (&str, &str),
    object_ref: &str,
    code: u16,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","user":{{"username":"{user}","groups":[{groups}]}},"sourceIPs":["{ip}"],"userAgent":"{ua}","objectRef":{object_ref},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller\" of ClusterRole \"system:controller\" to ServiceAccount \"kube-system\""}}"#
    )
}

pub fn audit_id(rng: &mut Rng, i: u64) -> String {
    format!(
        "{:08x}-{:04x}-4000-{:04x}-{:012x}",
        rng.next() as u32,
        i & 0xffff,
        0x8000 | (i >> 16) & 0xfff,
        rng.next() & 0xffff_ffff_ffff
    )
}

/// A write with its request and response bodies: pods, deployments, roles, bindings.
pub fn write(rng: &mut Rng, i: u64) -> String {
    let ns = NAMESPACES[rng.below(NAMESPACES.len() as u64) as usize];
    let (id, t) = (audit_id(rng, i), time(i));
    let update = rng.below(2) == 0;
    let name = format!("app-{:x}", rng.below(5_000));
    let (group, resource, body) = match rng.below(4) {
        0 => ("", "pods", pod_body(ns, &name, i)),
        1 => (
            "apps",
            "deployments",
            format!(
                r#"{{"kind":"Deployment","apiVersion":"apps/v1","metadata":{{"name":"{name}","namespace":"{ns}"}},"spec":{{"replicas":3,"selector":{{"matchLabels":{{"app":"{name}"}}}},"template":{}}}}}"#,
                pod_body(ns, &name, i)
            ),
        ),
        2 => (
            "rbac.authorization.k8s.io",
            "roles",
            format!(
                r#"{{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{{"name":"{name}","namespace":"{ns}"}},"rules":[{{"apiGroups":[""],"resources":["configmaps","services"],"verbs":["get","list","watch","update"]}},{{"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","patch"]}}]}}"#
            ),
        ),
        _ => (
            "rbac.authorization.k8s.io",
            "rolebindings",
            format!(
                r#"{{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{{"name":"{name}","namespace":"{ns}"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"{name}"}},"subjects":[{{"kind":"ServiceAccount","name":"{name}","namespace":"{ns}"}}]}}"#
            ),
        ),
    };
    let prefix = if group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group}/v1")
    };
    let (verb, uri, code) = if update {
        (
            "update",
            format!("{prefix}/namespaces/{ns}/{resource}/{name}"),
            200,
        )
    } else {
        (
            "create",
            format!("{prefix}/namespaces/{ns}/{resource}"),
            201,
        )
    };
    common(
        &id,
        &t,
        ("RequestResponse", "ResponseComplete"),
        &uri,
        verb,
        (
            "system:serviceaccount:argocd:argocd-application-controller",
            r#""system:serviceaccounts","system:authenticated""#,
        ),
        ("10.20.0.30", "argocd-application-controller/v2.12.3"),
        &format!(
            r#"{{"resource":"{resource}","namespace":"{ns}","name":"{name}","apiGroup":"{group}","apiVersion":"v1"}}"#
        ),
        code,
    ) + &format!(r#","requestObject":{body},"responseObject":{body}}}"#)
        + "\n"
}

/// What a real cluster's controllers write: leases renewed, endpoints and events updated,
/// each with its body.
pub fn control_plane(rng: &mut Rng, i: u64) -> String {
    let ns = NAMESPACES[rng.below(NAMESPACES.len() as u64) as usize];
    let (id, t) = (audit_id(rng, i), time(i));
    let node = rng.below(40);
    let (group, resource, name, user, body) = match rng.below(3) {
        0 => {
            let holder = format!("worker-{node}");
            (
                "coordination.k8s.io",
                "leases",
                holder.clone(),
                format!("system:node:{holder}"),
                format!(
                    r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{{"name":"{holder}","namespace":"kube-node-lease","resourceVersion":"{i}"}},"spec":{{"holderIdentity":"{holder}","leaseDurationSeconds":40,"renewTime":"{t}"}}}}"#
                ),
            )
        }
        1 => {
            let name = format!("svc-{}", rng.below(200));
            let addresses: Vec<String> = (0..6)
                .map(|k| {
                    format!(
                        r#"{{"ip":"10.244.{node}.{k}","nodeName":"worker-{node}","targetRef":{{"kind":"Pod","namespace":"{ns}","name":"{name}-{k}"}}}}"#
                    )
                })
                .collect();
            (
                "",
                "endpoints",
                name.clone(),
                "system:serviceaccount:kube-system:endpoint-controller".to_string(),
                format!(
                    r#"{{"kind":"Endpoints","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"{ns}"}},"subsets":[{{"addresses":[{}],"ports":[{{"name":"http","port":8080,"protocol":"TCP"}}]}}]}}"#,
                    addresses.join(",")
                ),
            )
        }
        _ => {
            let name = format!("web-{i:x}.{:x}", rng.next() & 0xffff);
            (
                "",
                "events",
                name.clone(),
                format!("system:node:worker-{node}"),
                format!(
                    r#"{{"kind":"Event","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"{ns}"}},"involvedObject":{{"kind":"Pod","namespace":"{ns}","name":"web-{i:x}"}},"reason":"BackOff","message":"Back-off restarting failed container","count":{},"lastTimestamp":"{t}","type":"Warning"}}"#,
                    rng.below(50)
                ),
            )
        }
    };
    let prefix = if group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group}/v1")
    };
    let lease_ns = if resource == "leases" {
        "kube-node-lease"
    } else {
        ns
    };
    common(
        &id,
        &t,
        ("RequestResponse", "ResponseComplete"),
        &format!("{prefix}/namespaces/{lease_ns}/{resource}/{name}"),
        "update",
        (&user, r#""system:authenticated""#),
        (&format!("10.20.1.{node}"), "kubelet/v1.31.2 (linux/amd64)"),
        &format!(
            r#"{{"resource":"{resource}","namespace":"{lease_ns}","name":"{name}","apiGroup":"{group}","apiVersion":"v1"}}"#
        ),
        200,
    ) + &format!(r#","requestObject":{body},"responseObject":{body}}}"#)
        + "\n"
}
