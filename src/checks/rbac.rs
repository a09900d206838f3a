//! RBAC: who can do what dangerous thing (RBAC001-RBAC008), from roles and bindings.

use crate::findings::message::msg;
use std::borrow::Cow;

use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use crate::inventory::{BindingInfo, BindingKind, Inventory, RoleInfo, RoleKind};
use crate::severity::Severity;
use k8s_openapi::api::rbac::v1::PolicyRule;

pub fn run(inv: &Inventory, rec: &mut Recorder) {
    if inv.roles.is_empty() && inv.bindings.is_empty() && !inv.source.complete {
        for rule in [
            "RBAC001", "RBAC002", "RBAC003", "RBAC004", "RBAC005", "RBAC006", "RBAC007", "RBAC008",
        ] {
            rec.not_evaluated(
                rule,
                "cluster",
                "the input holds no Roles, ClusterRoles or bindings",
            );
        }
        return;
    }
    for role in &inv.roles {
        rec.within(&role.namespace);
        wildcards(role, rec);
    }
    for binding in &inv.bindings {
        if is_system_binding(binding) {
            continue;
        }
        rec.within(&binding.namespace);
        grants(inv, binding, rec);
    }
    rec.within("");
}

fn location(origin: &crate::inventory::input::Origin) -> Option<Location> {
    Some(Location {
        file: origin.file.clone(),
        line: origin.line,
    })
}

/// Roles and bindings the Kubernetes distribution itself ships (bootstrap policy).
fn is_system_object(name: &str, labels: &crate::inventory::Labels) -> bool {
    name.starts_with("system:")
        || name.starts_with("kubeadm:")
        || labels
            .get("kubernetes.io/bootstrapping")
            .is_some_and(|v| v == "rbac-defaults")
}

fn is_system_binding(b: &BindingInfo) -> bool {
    is_system_object(&b.name, &b.labels) && !b.subjects.iter().any(is_anonymous)
}

fn is_anonymous(s: &k8s_openapi::api::rbac::v1::Subject) -> bool {
    matches!(
        s.name.as_str(),
        "system:anonymous" | "system:unauthenticated"
    )
}

/// Subjects that are not part of the control plane: people, groups and workloads.
fn is_system_subject(s: &k8s_openapi::api::rbac::v1::Subject) -> bool {
    match s.kind.as_str() {
        "User" | "Group" => {
            s.name.starts_with("system:") && !is_anonymous(s) && s.name != "system:authenticated"
        }
        _ => false,
    }
}

fn subject_text(s: &k8s_openapi::api::rbac::v1::Subject, binding_ns: &str) -> String {
    match s.kind.as_str() {
        "ServiceAccount" => msg!(
            "ServiceAccount {}/{}",
            s.namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_ns),
            s.name
        ),
        kind => msg!("{kind} {}", s.name),
    }
}

fn wildcards(role: &RoleInfo, rec: &mut Recorder) {
    if is_system_object(&role.name, &role.labels) || role.name == "cluster-admin" {
        return;
    }
    let mut evidence = Vec::new();
    for (i, rule) in role.rules.iter().enumerate() {
        for field in ["verbs", "resources", "apiGroups"] {
            let values = match field {
                "verbs" => Some(&rule.verbs),
                "resources" => rule.resources.as_ref(),
                _ => rule.api_groups.as_ref(),
            };
            if values.is_some_and(|v| v.iter().any(|x| x == "*"))
                && (field != "apiGroups"
                    || rule
                        .resources
                        .as_ref()
                        .is_some_and(|r| r.iter().any(|x| x == "*")))
            {
                evidence.push(Evidence::at(
                    msg!("{}/rules/{i}/{field}", role.origin.pointer),
                    "*",
                ));
            }
        }
    }
    let kind = if role.kind == RoleKind::Role {
        "Role"
    } else {
        "ClusterRole"
    };
    let subject = Subject::object(kind, role.namespace.as_str(), role.name.as_str());
    rec.decide(
        "RBAC001",
        (!evidence.is_empty()).then(|| FindingInput {
            message: msg!(
                "{kind} {} grants wildcards ({})",
                if role.namespace.is_empty() {
                    role.name.clone()
                } else {
                    msg!("{}/{}", role.namespace, role.name)
                },
                evidence
                    .iter()
                    .map(Evidence::path)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into(),
            subject,
            evidence,
            location: location(&role.origin),
            discriminator: Cow::Borrowed(""),
            severity: None,
        }),
    );
}

/// The role a binding refers to, if the inventory has it.
fn resolve<'a>(inv: &'a Inventory, b: &BindingInfo) -> Option<&'a RoleInfo> {
    inv.roles.iter().find(|r| match b.role_ref.kind.as_str() {
        "Role" => {
            r.kind == RoleKind::Role && r.namespace == b.namespace && r.name == b.role_ref.name
        }
        _ => r.kind == RoleKind::ClusterRole && r.name == b.role_ref.name,
    })
}

fn matches(list: Option<&Vec<String>>, wanted: &str) -> bool {
    list.is_some_and(|l| l.iter().any(|x| x == "*" || x == wanted))
}

/// Whether a rule grants any of `verbs` on `resource` (`pods/exec` style) in API `group`,
/// for all objects (rules limited by resourceNames do not count).
fn rule_grants(rule: &PolicyRule, group: &str, resource: &str, verbs: &[&str]) -> bool {
    let resource_ok = rule.resources.as_ref().is_some_and(|rs| {
        rs.iter().any(|r| {
            r == "*"
                || r == resource
                || resource
                    .split_once('/')
                    .is_some_and(|(base, sub)| r == &msg!("{base}/*") || r == &msg!("*/{sub}"))
        })
    });
    let unrestricted = rule.resource_names.as_ref().is_none_or(|n| n.is_empty());
    matches(rule.api_groups.as_ref(), group)
        && resource_ok
        && unrestricted
        && rule
            .verbs
            .iter()
            .any(|v| v == "*" || verbs.contains(&v.as_str()))
}

struct Permission {
    rule: &'static str,
    what: &'static str,
    group: &'static str,
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
}

const PERMISSIONS: &[Permission] = &[
    Permission {
        rule: "RBAC003",
        what: "read secrets",
        group: "",
        resources: &["secrets"],
        verbs: &["get", "list", "watch"],
    },
    Permission {
        rule: "RBAC004",
        what: "exec into or attach to pods",
        group: "",
        resources: &["pods/exec", "pods/attach"],
        verbs: &["create", "get"],
    },
    Permission {
        rule: "RBAC005",
        what: "escalate or bind roles",
        group: "rbac.authorization.k8s.io",
        resources: &[
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        ],
        verbs: &["escalate", "bind"],
    },
    Permission {
        rule: "RBAC005",
        what: "impersonate",
        group: "",
        resources: &["users", "groups", "serviceaccounts"],
        verbs: &["impersonate"],
    },
    Permission {
        rule: "RBAC006",
        what: "use nodes/proxy",
        group: "",
        resources: &["nodes/proxy"],
        verbs: &["get", "create", "*"],
    },
    Permission {
        rule: "RBAC007",
        what: "mint service account tokens",
        group: "",
        resources: &["serviceaccounts/token"],
        verbs: &["create"],
    },
    Permission {
        rule: "RBAC008",
        what: "create pods in kube-system",
        group: "",
        resources: &["pods"],
        verbs: &["create"],
    },
];

fn grants(inv: &Inventory, b: &BindingInfo, rec: &mut Recorder) {
    let kind = if b.kind == BindingKind::RoleBinding {
        "RoleBinding"
    } else {
        "ClusterRoleBinding"
    };
    let subject = Subject::object(kind, b.namespace.as_str(), b.name.as_str());
    let people: Vec<String> = b
        .subjects
        .iter()
        .filter(|s| !is_system_subject(s))
        .map(|s| subject_text(s, &b.namespace))
        .collect();
    if people.is_empty() {
        return;
    }
    let anonymous = b.subjects.iter().any(is_anonymous);
    let scope = if b.kind == BindingKind::ClusterRoleBinding {
        "cluster-wide".to_string()
    } else {
        msg!("in namespace {}", b.namespace)
    };
    let role_ref = msg!("{} {}", b.role_ref.kind, b.role_ref.name);
    let base = |message: String, evidence: Vec<Evidence>, discriminator: &str| FindingInput {
        subject: subject.clone(),
        message: message.into(),
        evidence,
        location: location(&b.origin),
        discriminator: discriminator.to_string().into(),
        severity: anonymous.then_some(Severity::Critical),
    };
    let role_evidence = Evidence::at(
        msg!("{}/roleRef/name", b.origin.pointer),
        b.role_ref.name.clone(),
    );
    let subjects_evidence = Evidence::at(msg!("{}/subjects", b.origin.pointer), people.join(", "));
    let is_cluster_admin = b.role_ref.kind == "ClusterRole" && b.role_ref.name == "cluster-admin";
    rec.decide(
        "RBAC002",
        is_cluster_admin.then(|| {
            base(
                msg!(
                    "{kind} {} gives cluster-admin {scope} to {}",
                    b.name,
                    people.join(", ")
                ),
                vec![role_evidence.clone(), subjects_evidence.clone()],
                "",
            )
        }),
    );
    if is_cluster_admin {
        // Everything below is implied by cluster-admin and reported once, as RBAC002.
        return;
    }
    let Some(role) = resolve(inv, b) else {
        for p in PERMISSIONS {
            rec.not_evaluated(
                p.rule,
                msg!("{kind} {}", b.name),
                msg!("{role_ref} is not in the input"),
            );
        }
        return;
    };
    let mut decided: Vec<&str> = Vec::new();
    for p in PERMISSIONS {
        if p.rule == "RBAC008" && b.kind == BindingKind::RoleBinding && b.namespace != "kube-system"
        {
            continue;
        }
        let hits: Vec<usize> = role
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                p.resources
                    .iter()
                    .any(|res| rule_grants(r, p.group, res, p.verbs))
            })
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            continue;
        }
        decided.push(p.rule);
        let evidence = hits
            .iter()
            .map(|i| {
                Evidence::at(
                    msg!("{}/rules/{i}", role.origin.pointer),
                    p.what.to_string(),
                )
            })
            .chain([role_evidence.clone(), subjects_evidence.clone()])
            .collect();
        let scope_text = if p.rule == "RBAC008" {
            String::new()
        } else {
            msg!(" {scope}")
        };
        rec.fail(
            p.rule,
            base(
                msg!(
                    "{} can {}{scope_text} through {kind} {} ({role_ref})",
                    people.join(", "),
                    p.what,
                    b.name
                ),
                evidence,
                p.what,
            ),
        );
    }
    for rule in ["RBAC003", "RBAC004", "RBAC005", "RBAC006", "RBAC007"] {
        if !decided.contains(&rule) {
            rec.pass(rule);
        }
    }
}
