//! Pods: privileged and host-namespace pods, sensitive host mounts, foreign images in
//! system namespaces, ephemeral containers, Pod Security admission's audit annotations.

use super::{Bodies, Detection, Facts, Hit, State, probe};
use crate::auditlog::body::Body;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

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

/// Image registries of cluster add-ons that legitimately run in kube-system.
const SYSTEM_IMAGE_PREFIXES: &[&str] = &[
    "registry.k8s.io/",
    "k8s.gcr.io/",
    "gke.gcr.io/",
    "mcr.microsoft.com/oss/kubernetes/",
    "602401143452.dkr.ecr.",
];

/// A pod created with its spec logged (workload templates go through their pods), unless
/// every image is on the allow-list.
struct PodCreate<'a> {
    spec: &'a Body,
    name: &'a str,
}

fn pod_create<'a>(f: &Facts<'a>) -> Option<PodCreate<'a>> {
    let obj = f.obj;
    if !(obj.resource == "pods"
        && obj.subresource.is_empty()
        && f.event.verb == "create"
        && f.final_stage)
    {
        return None;
    }
    let spec = f.body?.get("spec")?;
    let allowed = &f.config.allowed_images;
    let mut images = images(spec).peekable();
    if images.peek().is_some()
        && !allowed.is_empty()
        && images.all(|i| allowed.iter().any(|p| i.starts_with(p.as_str())))
    {
        return None;
    }
    let name = f
        .body
        .and_then(|b| {
            b.pointer("/metadata/name")
                .or(b.pointer("/metadata/generateName"))
        })
        .and_then(Body::as_str)
        .unwrap_or("");
    Some(PodCreate { spec, name })
}

impl PodCreate<'_> {
    /// "jane created pod shop/web with ...": what all three pod-create rules say.
    fn hit(
        &self,
        f: &Facts<'_>,
        phrase: &str,
        what: &[impl AsRef<str>],
        field: &'static str,
    ) -> Hit {
        let list = what
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ");
        Hit::new(
            format!(
                "{} created pod {}/{} {phrase} {list}",
                f.user, f.obj.namespace, self.name
            ),
            Evidence::labelled(field, list),
        )
    }
}

fn containers(spec: &Body) -> impl Iterator<Item = &Body> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |f| spec.get(f).and_then(Body::as_array).into_iter().flatten())
}

fn images(spec: &Body) -> impl Iterator<Item = &str> {
    containers(spec).filter_map(|c| c.get("image").and_then(Body::as_str))
}

/// Falco's "Create Disallowed Pod", driven by `--audit-allow-image`: a pod created with
/// an image outside the list (not evaluated without one).
pub const AUD032: Detection = Detection {
    rule: "AUD032",
    check: disallowed_pod,
    probes: &[probe("create", "", "pods", "", "shop", Level::Request)],
    bodies: &[Bodies::PodCreations],
};

fn disallowed_pod(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let allowed = &f.config.allowed_images;
    if allowed.is_empty() {
        return;
    }
    let Some(pod) = pod_create(f) else { return };
    let mut outside: Vec<&str> = images(pod.spec)
        .filter(|i| !allowed.iter().any(|p| i.starts_with(p.as_str())))
        .collect();
    outside.sort_unstable();
    outside.dedup();
    if !outside.is_empty() {
        hits.push(pod.hit(
            f,
            "with images outside --audit-allow-image:",
            &outside,
            "requestObject.spec.containers[].image",
        ));
    }
}

pub const AUD007: Detection = Detection {
    rule: "AUD007",
    check: privileged_pod,
    probes: &[probe("create", "", "pods", "", "shop", Level::Request)],
    bodies: &[Bodies::PodCreations],
};

fn privileged_pod(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let Some(pod) = pod_create(f) else { return };
    let mut flags = Vec::new();
    for c in containers(pod.spec) {
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
        if pod.spec.get(ns).and_then(Body::as_bool) == Some(true) {
            flags.push(format!("{ns}=true"));
        }
    }
    if !flags.is_empty() {
        hits.push(pod.hit(f, "with", &flags, "requestObject.spec"));
    }
}

pub const AUD008: Detection = Detection {
    rule: "AUD008",
    check: sensitive_mount,
    probes: &[probe("create", "", "pods", "", "shop", Level::Request)],
    bodies: &[Bodies::PodCreations],
};

fn sensitive_mount(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let Some(pod) = pod_create(f) else { return };
    let mounts: Vec<&str> = pod
        .spec
        .get("volumes")
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.pointer("/hostPath/path").and_then(Body::as_str))
        .filter(|p| SENSITIVE_MOUNTS.contains(&p.trim_end_matches('/').max("/")))
        .collect();
    if !mounts.is_empty() {
        hits.push(pod.hit(f, "mounting", &mounts, "requestObject.spec.volumes"));
    }
}

pub const AUD011: Detection = Detection {
    rule: "AUD011",
    check: foreign_system_image,
    probes: &[probe(
        "create",
        "",
        "pods",
        "",
        "kube-system",
        Level::Request,
    )],
    bodies: &[Bodies::PodCreations],
};

fn foreign_system_image(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    if !matches!(f.obj.namespace.as_str(), "kube-system" | "kube-public") {
        return;
    }
    let Some(pod) = pod_create(f) else { return };
    let foreign: Vec<&str> = images(pod.spec)
        .filter(|i| !SYSTEM_IMAGE_PREFIXES.iter().any(|p| i.starts_with(p)))
        .collect();
    if !foreign.is_empty() {
        hits.push(pod.hit(
            f,
            "with image",
            &foreign,
            "requestObject.spec.containers.image",
        ));
    }
}

pub const AUD013: Detection = Detection {
    rule: "AUD013",
    check: ephemeral_container,
    probes: &[probe(
        "patch",
        "",
        "pods",
        "ephemeralcontainers",
        "shop",
        Level::Metadata,
    )],
    bodies: &[],
};

fn ephemeral_container(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if obj.resource == "pods"
        && obj.subresource == "ephemeralcontainers"
        && matches!(f.event.verb.as_str(), "update" | "patch" | "create")
        && f.final_stage
    {
        hits.push(Hit::new(
            format!(
                "{} added an ephemeral container to pod {}/{}",
                f.user, obj.namespace, obj.name
            ),
            Evidence::labelled("objectRef.subresource", "ephemeralcontainers"),
        ));
    }
}

pub const AUD018: Detection = Detection {
    rule: "AUD018",
    check: pod_security_violation,
    probes: &[probe("create", "", "pods", "", "shop", Level::Metadata)],
    bodies: &[],
};

fn pod_security_violation(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if let Some(v) = f
        .event
        .annotations
        .get("pod-security.kubernetes.io/audit-violations")
    {
        hits.push(Hit::new(
            format!(
                "{} {}/{} by {}: {v}",
                obj.resource, obj.namespace, obj.name, f.user
            ),
            Evidence::labelled(
                "annotations.pod-security.kubernetes.io/audit-violations",
                v.clone(),
            ),
        ));
    }
}
