//! Falco's "Full K8s Administrative Access": a person or workload acting with cluster-admin.
//! Falco matches a fixed list of default admin names (and ships the rule off); kaudit
//! decides from evidence instead: membership of `system:masters` or of kubeadm's
//! `kubeadm:cluster-admins`, a binding to cluster-admin in the cluster's RBAC (when a
//! cluster is read with the log), or one created earlier in the log itself.

use super::{Detection, Facts, Hit, State, is_system, probe};
use crate::auditlog::body::Body;
use crate::auditlog::detect::AdminSubject;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

/// Groups that hold cluster-admin without a binding anyone wrote: `system:masters` passes
/// every authorizer; kubeadm (1.29+) binds `kubeadm:cluster-admins` to cluster-admin.
const ADMIN_GROUPS: &[(&str, &str)] = &[
    (
        "system:masters",
        "member of system:masters, which no authorizer refuses",
    ),
    (
        "kubeadm:cluster-admins",
        "member of kubeadm:cluster-admins, which kubeadm binds to cluster-admin",
    ),
];

/// Cluster-admin bindings remembered from the log, at most.
const MAX_LOG_ADMINS: usize = 10_000;

pub const AUD030: Detection = Detection {
    rule: "AUD030",
    check: full_admin_access,
    probes: &[probe("get", "", "pods", "", "shop", Level::Metadata)],
    bodies: &[],
};

fn full_admin_access(f: &Facts<'_>, state: &mut State, hits: &mut Vec<Hit>) {
    remember_bindings(f, state);
    if !f.final_stage || f.user.is_empty() || is_system(f.user) || f.user == "system:anonymous" {
        return;
    }
    // Impersonating someone who holds cluster-admin is holding it.
    let acting = f.event.impersonated_user.as_ref().unwrap_or(&f.event.user);
    let Some(how) = admin_through(f, state, acting) else {
        return;
    };
    let acted = if acting.username == f.user {
        "acted".to_string()
    } else {
        format!("acted as {}", acting.username)
    };
    hits.push(
        Hit::new(
            format!("{} {acted} with full administrative access: {how}", f.user),
            Evidence::labelled("user.username", acting.username.to_string()),
        )
        .once_per(acting.username.to_string()),
    );
}

/// How `acting` holds cluster-admin, if it does.
fn admin_through(
    f: &Facts<'_>,
    state: &State,
    acting: &crate::auditlog::event::UserInfo,
) -> Option<String> {
    let groups = &acting.groups;
    if let Some((_, how)) = ADMIN_GROUPS
        .iter()
        .find(|(g, _)| groups.iter().any(|have| have == g))
    {
        return Some(how.to_string());
    }
    let name = acting.username.as_str();
    for admin in &f.config.cluster_admins {
        let (matches, what) = match &admin.subject {
            AdminSubject::User(user) => (user == name, "bound"),
            AdminSubject::Group(group) => (
                groups.iter().any(|have| have == group),
                "a group member bound",
            ),
        };
        if matches {
            return Some(format!("{what} to cluster-admin by {}", admin.via));
        }
    }
    let from_log = |key: String| state.log_admins.get(&key).cloned();
    from_log(format!("user:{name}"))
        .or_else(|| groups.iter().find_map(|g| from_log(format!("group:{g}"))))
        .map(|via| format!("bound to cluster-admin by {via}, created earlier in this log"))
}

/// A ClusterRoleBinding to cluster-admin admitted in the log: its subjects hold it from
/// then on.
fn remember_bindings(f: &Facts<'_>, state: &mut State) {
    let obj = f.obj;
    if obj.resource != "clusterrolebindings" || !f.writes || !f.final_stage || !f.ok {
        return;
    }
    let Some(body) = f.body else { return };
    if body.pointer("/roleRef/name").and_then(Body::as_str) != Some("cluster-admin") {
        return;
    }
    let via = format!("ClusterRoleBinding {}", obj.name);
    for subject in body
        .get("subjects")
        .and_then(Body::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| subject.get(k).and_then(Body::as_str).unwrap_or("");
        let key = match field("kind") {
            "User" => format!("user:{}", field("name")),
            "Group" => format!("group:{}", field("name")),
            "ServiceAccount" => format!(
                "user:system:serviceaccount:{}:{}",
                field("namespace"),
                field("name")
            ),
            _ => continue,
        };
        if state.log_admins.len() < MAX_LOG_ADMINS {
            state.log_admins.insert(key, via.clone());
        }
    }
}
