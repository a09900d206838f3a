//! The control plane: the kubelet API through the API server, admission webhooks and
//! policies, client certificates, stale and legacy tokens, writes in kube-system.

use super::{Detection, Facts, Hit, State, is_system, object_name, probe};
use crate::auditlog::body::Body;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;
use crate::severity::Severity;

/// create, update, patch, delete or deletecollection.
fn any_write(f: &Facts<'_>) -> bool {
    matches!(
        f.event.verb.as_str(),
        "create" | "update" | "patch" | "delete" | "deletecollection"
    )
}

/// nodes/proxy reaches the kubelet API: /exec and /run there execute in any pod of the
/// node, beneath the API server's admission and audit of pods/exec.
pub const AUD019: Detection = Detection {
    rule: "AUD019",
    check: kubelet_api,
    probes: &[probe("get", "", "nodes", "proxy", "", Level::Metadata)],
    bodies: &[],
};

fn kubelet_api(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    // Only once the server answered (a RequestReceived event has no code yet, and the
    // request may still be denied).
    if !(obj.resource == "nodes"
        && obj.subresource == "proxy"
        && e.stage != "RequestReceived"
        && f.code.is_some_and(|c| c < 400)
        && !is_system(f.user))
    {
        return;
    }
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
    if harmless {
        return;
    }
    let dangerous = ["/exec", "/run", "/attach", "/portForward", "/cri"]
        .iter()
        .any(|p| path.starts_with(p));
    hits.push(
        Hit::new(
            format!(
                "{} reached the kubelet API of node {} ({} {})",
                f.user,
                obj.name,
                e.verb,
                if path.is_empty() { "/" } else { path }
            ),
            Evidence::labelled("requestURI", e.request_uri.clone()),
        )
        .raised(dangerous.then_some(Severity::Critical))
        .once_per(e.audit_id.to_string()),
    );
}

/// Admission webhooks and policies see (and may rewrite) every object; changing them is how
/// admission control is switched off or subverted.
pub const AUD020: Detection = Detection {
    rule: "AUD020",
    check: admission_changed,
    probes: &[probe(
        "delete",
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "",
        "",
        Level::Metadata,
    )],
    bodies: &[],
};

fn admission_changed(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    if !(matches!(
        obj.resource.as_str(),
        "mutatingwebhookconfigurations"
            | "validatingwebhookconfigurations"
            | "validatingadmissionpolicies"
            | "validatingadmissionpolicybindings"
            | "mutatingadmissionpolicies"
            | "mutatingadmissionpolicybindings"
    ) && any_write(f)
        && f.final_stage
        && f.accepted
        && !is_system(f.user))
    {
        return;
    }
    let name = object_name(obj, f.body);
    hits.push(
        Hit::new(
            format!("{} {} {} {name}", f.user, e.verb, obj.resource),
            Evidence::labelled("objectRef.resource", obj.resource.clone()),
        )
        .raised(
            (e.verb == "delete" && obj.resource.starts_with("validating"))
                .then_some(Severity::High),
        )
        .once_per(e.audit_id.to_string()),
    );
}

/// Client certificates: a CSR for the API server's client signer is a new credential;
/// approving one by hand issues it. Nodes (system:node:*, system:bootstrap:*) do this
/// routinely.
pub const AUD021: Detection = Detection {
    rule: "AUD021",
    check: client_certificate,
    probes: &[
        probe(
            "create",
            "certificates.k8s.io",
            "certificatesigningrequests",
            "",
            "",
            Level::Metadata,
        ),
        probe(
            "update",
            "certificates.k8s.io",
            "certificatesigningrequests",
            "approval",
            "",
            Level::Metadata,
        ),
    ],
    bodies: &[],
};

fn client_certificate(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    if !(obj.resource == "certificatesigningrequests"
        && f.final_stage
        && f.accepted
        && !is_system(f.user)
        && ((e.verb == "create" && obj.subresource.is_empty())
            || (obj.subresource == "approval" && matches!(e.verb.as_str(), "update" | "patch"))))
    {
        return;
    }
    let signer = f
        .body
        .and_then(|b| b.pointer("/spec/signerName"))
        .and_then(Body::as_str)
        .unwrap_or("");
    let what = if obj.subresource == "approval" {
        "approved"
    } else {
        "created"
    };
    let for_signer = if signer.is_empty() {
        String::new()
    } else {
        format!(" for signer {signer}")
    };
    hits.push(
        Hit::new(
            format!(
                "{} {what} certificate signing request {}{for_signer}",
                f.user, obj.name
            ),
            Evidence::labelled(
                "objectRef",
                format!("certificatesigningrequests/{}", obj.name),
            ),
        )
        .raised(
            (signer == "kubernetes.io/kube-apiserver-client" || what == "approved")
                .then_some(Severity::Critical),
        )
        .once_per(e.audit_id.to_string()),
    );
}

/// Tokens the API server itself flags: kept past their warning time (stale, bound tokens of
/// old clients) or legacy secret-based tokens. Once per identity.
pub const AUD022: Detection = Detection {
    rule: "AUD022",
    check: flagged_token,
    probes: &[probe("list", "", "pods", "", "", Level::Metadata)],
    bodies: &[],
};

fn flagged_token(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
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
        if let Some(value) = f.event.annotations.get(annotation) {
            hits.push(
                Hit::new(
                    format!("{} authenticated with {what}: {value}", f.user),
                    Evidence::labelled(label, value.clone()),
                )
                .once_per(format!("{annotation}|{}", f.user)),
            );
        }
    }
}

/// Writes in kube-system by anyone but the control plane (pods and service accounts have
/// rules of their own; `kubeadm token create` writes bootstrap-token Secrets there as
/// routine node-join work).
pub const AUD023: Detection = Detection {
    rule: "AUD023",
    check: kube_system_write,
    probes: &[probe(
        "patch",
        "",
        "configmaps",
        "",
        "kube-system",
        Level::Metadata,
    )],
    bodies: &[],
};

fn kube_system_write(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    let bootstrap_token = obj.resource == "secrets" && obj.name.starts_with("bootstrap-token-");
    if obj.namespace == "kube-system"
        && any_write(f)
        && f.final_stage
        && f.accepted
        && !is_system(f.user)
        && !bootstrap_token
        && !matches!(obj.resource.as_str(), "pods" | "serviceaccounts" | "events")
    {
        let critical = obj.resource == "configmaps"
            && matches!(obj.name.as_str(), "coredns" | "kube-proxy" | "aws-auth");
        hits.push(
            Hit::new(
                format!(
                    "{} {} {} kube-system/{}",
                    f.user, e.verb, obj.resource, obj.name
                ),
                Evidence::labelled("objectRef.namespace", "kube-system"),
            )
            .raised(critical.then_some(Severity::Critical))
            .once_per(e.audit_id.to_string()),
        );
    }
}
