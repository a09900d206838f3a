//! Privilege: cluster-admin bindings, risky roles, new service accounts in system
//! namespaces, impersonation.

use super::{Bodies, Detection, Facts, Hit, State, is_system, object_name, probe};
use crate::auditlog::body::Body;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

const RBAC: &str = "rbac.authorization.k8s.io";

/// cluster-admin bound (ClusterRoleBindings and RoleBindings).
pub const AUD005: Detection = Detection {
    rule: "AUD005",
    check: cluster_admin_bound,
    probes: &[
        probe(
            "create",
            RBAC,
            "clusterrolebindings",
            "",
            "",
            Level::Request,
        ),
        probe("create", RBAC, "rolebindings", "", "shop", Level::Request),
    ],
    bodies: &[Bodies::BindingChanges],
};

fn cluster_admin_bound(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if !(matches!(
        obj.resource.as_str(),
        "clusterrolebindings" | "rolebindings"
    ) && f.writes
        && f.final_stage
        && f.accepted)
    {
        return;
    }
    let Some(role) = f
        .body
        .and_then(|b| b.pointer("/roleRef/name"))
        .and_then(Body::as_str)
        .filter(|r| *r == "cluster-admin")
    else {
        return;
    };
    let subjects: Vec<String> = f
        .body
        .and_then(|b| b.get("subjects"))
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} {}",
                s.get("kind").and_then(Body::as_str).unwrap_or("?"),
                s.get("name").and_then(Body::as_str).unwrap_or("?")
            )
        })
        .collect();
    hits.push(Hit::new(
        format!(
            "{} bound {role} to {} ({} {})",
            f.user,
            subjects.join(", "),
            obj.resource,
            obj.name
        ),
        Evidence::labelled("requestObject.roleRef.name", role.to_string()),
    ));
}

/// Roles with wildcards, pods/exec or escalation verbs.
pub const AUD006: Detection = Detection {
    rule: "AUD006",
    check: risky_role,
    probes: &[
        probe("create", RBAC, "clusterroles", "", "", Level::Request),
        probe("update", RBAC, "roles", "", "shop", Level::Request),
    ],
    bodies: &[Bodies::RoleChanges],
};

fn risky_role(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if !(matches!(obj.resource.as_str(), "clusterroles" | "roles")
        && f.writes
        && f.final_stage
        && f.accepted)
    {
        return;
    }
    let mut risky = Vec::new();
    for rule in f
        .body
        .and_then(|b| b.get("rules"))
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
    {
        let list = |k: &str| -> Vec<String> {
            rule.get(k)
                .and_then(Body::as_array)
                .into_iter()
                .flatten()
                .filter_map(Body::as_str)
                .map(str::to_string)
                .collect()
        };
        let (verbs, resources) = (list("verbs"), list("resources"));
        if verbs.iter().any(|v| v == "*") || resources.iter().any(|r| r == "*") {
            risky.push("wildcards".to_string());
        }
        if resources
            .iter()
            .any(|r| r == "pods/exec" || r == "pods/attach")
        {
            risky.push("pods/exec".to_string());
        }
        risky.extend(
            verbs
                .iter()
                .filter(|v| matches!(v.as_str(), "escalate" | "bind" | "impersonate"))
                .cloned(),
        );
    }
    risky.sort();
    risky.dedup();
    // The control plane maintains its own system: roles.
    let control_plane = is_system(f.user) && obj.name.starts_with("system:");
    if !risky.is_empty() && !control_plane {
        hits.push(Hit::new(
            format!(
                "{} {} {} {} with {}",
                f.user,
                f.event.verb,
                obj.resource.trim_end_matches('s'),
                obj.name,
                risky.join(", ")
            ),
            Evidence::labelled("requestObject.rules", risky.join(", ")),
        ));
    }
}

/// Falco's "ClusterRole With Write Privileges Created": a Role or ClusterRole created that
/// may create, change or delete (wildcards are AUD006's).
pub const AUD027: Detection = Detection {
    rule: "AUD027",
    check: write_role_created,
    probes: &[
        probe("create", RBAC, "clusterroles", "", "", Level::Request),
        probe("create", RBAC, "roles", "", "shop", Level::Request),
    ],
    bodies: &[Bodies::RoleChanges],
};

const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

fn write_role_created(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if !(matches!(obj.resource.as_str(), "clusterroles" | "roles")
        && f.event.verb == "create"
        && f.final_stage
        && f.accepted)
        || (is_system(f.user) && obj.name.starts_with("system:"))
    {
        return;
    }
    let mut verbs: Vec<&str> = f
        .body
        .and_then(|b| b.get("rules"))
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
        .flat_map(|rule| {
            rule.get("verbs")
                .and_then(Body::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(Body::as_str)
        .filter(|v| WRITE_VERBS.contains(v))
        .collect();
    verbs.sort_unstable();
    verbs.dedup();
    if verbs.is_empty() {
        return;
    }
    let name = object_name(obj, f.body);
    hits.push(Hit::new(
        format!(
            "{} created {} {name} that can {}",
            f.user,
            obj.resource.trim_end_matches('s'),
            verbs.join(", ")
        ),
        Evidence::labelled("requestObject.rules[].verbs", verbs.join(", ")),
    ));
}

pub const AUD012: Detection = Detection {
    rule: "AUD012",
    check: system_service_account,
    probes: &[probe(
        "create",
        "",
        "serviceaccounts",
        "",
        "kube-system",
        Level::Metadata,
    )],
    bodies: &[],
};

fn system_service_account(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if obj.resource == "serviceaccounts"
        && obj.subresource.is_empty()
        && f.event.verb == "create"
        && f.ok
        && matches!(obj.namespace.as_str(), "kube-system" | "kube-public")
        && !is_system(f.user)
    {
        let name = object_name(obj, f.body);
        hits.push(Hit::new(
            format!(
                "{} created service account {}/{name}",
                f.user, obj.namespace
            ),
            Evidence::labelled("objectRef.namespace", obj.namespace.clone()),
        ));
    }
}

pub const AUD016: Detection = Detection {
    rule: "AUD016",
    check: impersonation,
    probes: &[probe("get", "", "pods", "", "shop", Level::Metadata)],
    bodies: &[],
};

fn impersonation(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let e = f.event;
    if let Some(imp) = &e.impersonated_user
        && f.final_stage
    {
        hits.push(Hit::new(
            format!(
                "{} acted as {} ({} {})",
                f.user, imp.username, e.verb, e.request_uri
            ),
            Evidence::labelled("impersonatedUser", imp.username.clone()),
        ));
    }
}

/// Falco's "System ClusterRole Modified/Deleted": a write or delete of a `system:` role or
/// cluster role, which Kubernetes components rely on. Falco's exceptions (CoreDNS and GKE's
/// certificate controller manage their own) are kept; kaudit also leaves out the API
/// server's own reconciliation of the default roles (`system:apiserver`), which Falco would
/// report at every start.
pub const AUD024: Detection = Detection {
    rule: "AUD024",
    check: system_role_changed,
    probes: &[
        probe(
            "patch",
            "rbac.authorization.k8s.io",
            "clusterroles",
            "",
            "",
            Level::Metadata,
        ),
        probe(
            "delete",
            "rbac.authorization.k8s.io",
            "clusterroles",
            "",
            "",
            Level::Metadata,
        ),
    ],
    bodies: &[],
};

fn system_role_changed(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    let changes = matches!(e.verb.as_str(), "create" | "update" | "patch" | "delete");
    if f.final_stage
        && changes
        && matches!(obj.resource.as_str(), "clusterroles" | "roles")
        && obj.name.starts_with("system:")
        && !matches!(
            obj.name.as_str(),
            "system:coredns" | "system:managed-certificate-controller"
        )
        && f.user != "system:apiserver"
    {
        let what = if obj.resource == "roles" {
            format!("role {}/{}", obj.namespace, obj.name)
        } else {
            format!("cluster role {}", obj.name)
        };
        hits.push(
            Hit::new(
                format!("{} {} system {what}", f.user, past_tense(&e.verb)),
                Evidence::labelled("objectRef", format!("{}/{}", obj.resource, obj.name)),
            )
            .once_per(e.audit_id.to_string()),
        );
    }
}

fn past_tense(verb: &str) -> &'static str {
    match verb {
        "create" => "created",
        "update" => "updated",
        "patch" => "patched",
        _ => "deleted",
    }
}
