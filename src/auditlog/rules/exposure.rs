//! Ways around the cluster's network boundary: port-forwards, API-server proxies, NodePorts.

use super::{Bodies, Detection, Facts, Hit, State, long_running, probe};
use crate::auditlog::body::Body;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

pub const AUD002: Detection = Detection {
    rule: "AUD002",
    check: port_forward_or_proxy,
    probes: &[
        long_running(probe(
            "create",
            "",
            "pods",
            "portforward",
            "shop",
            Level::Metadata,
        )),
        probe("get", "", "services", "proxy", "shop", Level::Metadata),
    ],
    bodies: &[],
};

fn port_forward_or_proxy(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if (obj.resource == "pods" && obj.subresource == "portforward")
        || (matches!(obj.resource.as_str(), "pods" | "services") && obj.subresource == "proxy")
    {
        hits.push(Hit::new(
            format!(
                "{} opened {} to {} {}/{}",
                f.user, obj.subresource, obj.resource, obj.namespace, obj.name
            ),
            Evidence::labelled("requestURI", f.event.request_uri.clone()),
        ));
    }
}

pub const AUD009: Detection = Detection {
    rule: "AUD009",
    check: node_port_service,
    probes: &[probe("create", "", "services", "", "shop", Level::Request)],
    bodies: &[Bodies::ServiceCreations],
};

fn node_port_service(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if obj.resource == "services"
        && f.event.verb == "create"
        && f.final_stage
        && f.body
            .and_then(|b| b.pointer("/spec/type"))
            .and_then(Body::as_str)
            == Some("NodePort")
    {
        hits.push(Hit::new(
            format!(
                "{} created NodePort service {}/{}",
                f.user, obj.namespace, obj.name
            ),
            Evidence::labelled("requestObject.spec.type", "NodePort"),
        ));
    }
}

pub const AUD026: Detection = Detection {
    rule: "AUD026",
    check: ingress_without_tls,
    probes: &[probe(
        "create",
        "networking.k8s.io",
        "ingresses",
        "",
        "shop",
        Level::Request,
    )],
    bodies: &[Bodies::IngressCreations],
};

/// Falco's condition: an Ingress created (and admitted) whose body has no `spec.tls`.
fn ingress_without_tls(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if obj.resource != "ingresses" || f.event.verb != "create" || !f.final_stage || !f.accepted {
        return;
    }
    let Some(body) = f.body else { return };
    let tls = body
        .pointer("/spec/tls")
        .and_then(Body::as_array)
        .is_some_and(|t| !t.is_empty());
    if tls {
        return;
    }
    let hosts: Vec<&str> = body
        .pointer("/spec/rules")
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("host").and_then(Body::as_str))
        .collect();
    let served = if hosts.is_empty() {
        "every host".to_string()
    } else {
        hosts.join(", ")
    };
    hits.push(Hit::new(
        format!(
            "{} created ingress {}/{} without TLS: {served} served over plain HTTP",
            f.user, obj.namespace, obj.name
        ),
        Evidence::labelled("requestObject.spec.tls", "absent"),
    ));
}
