//! Typing raw objects into the inventory. Only the parts kaudit audits are typed (metadata,
//! pod templates, RBAC rules, network policies), so an odd `status` does not cost a workload.
//! Secret objects are counted and dropped: their values are never kept.

use super::*;
use crate::manifest::{Loaded, RawObject, lenient};
use k8s_openapi::api::core::v1::{PodTemplateSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Builds an inventory from what was read; objects that cannot be typed become errors.
pub fn from_loaded(source: SourceInfo, loaded: Loaded) -> Inventory {
    let mut inv = Inventory::empty(source);
    inv.errors = loaded.errors;
    inv.files_read = loaded.files_read;
    for object in loaded.objects {
        if let Err(TypingError { message, pointer }) = add_object(&mut inv, &object) {
            inv.errors.push(LoadError {
                file: object.origin.file.to_string(),
                line: Some(object.origin.line),
                message,
                pointer: pointer.map(|p| format!("{}{p}", object.origin.pointer)),
            });
        }
    }
    let namespaces_in_use: Vec<String> = inv
        .workloads
        .iter()
        .map(|w| w.namespace.to_string())
        .chain(inv.service_accounts.iter().map(|s| s.namespace.clone()))
        .filter(|ns| !ns.is_empty())
        .collect();
    for ns in namespaces_in_use {
        inv.namespaces
            .entry(ns.clone())
            .or_insert_with(|| NamespaceInfo {
                name: ns,
                labels: Labels::new(),
                annotations: Labels::new(),
                origin: None,
            });
    }
    inv
}

/// Why an object could not be typed, and where in it.
struct TypingError {
    message: String,
    pointer: Option<String>,
}

impl From<String> for TypingError {
    fn from(message: String) -> Self {
        TypingError {
            message,
            pointer: None,
        }
    }
}

/// Deserializes the value at `pointer` with Kubernetes' coercions, naming the failing field.
fn typed<T: DeserializeOwned>(object: &Value, pointer: &str) -> Result<T, TypingError> {
    let value = object.pointer(pointer).unwrap_or(&Value::Null);
    lenient::from_value_with_path(value).map_err(|(path, e)| {
        let field_pointer = format!("{pointer}{}", path_pointer(&path));
        let field = crate::findings::dotted_path(&field_pointer);
        let field = if field.is_empty() {
            "object".to_string()
        } else {
            field
        };
        TypingError {
            message: format!("invalid {field}: {e}"),
            pointer: Some(field_pointer),
        }
    })
}

/// `spec.containers[0].image` (serde_path_to_error's form) to `/spec/containers/0/image`.
fn path_pointer(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        for index in rest
            .split('[')
            .map(|i| i.trim_end_matches(']'))
            .filter(|i| !i.is_empty())
        {
            out.push('/');
            out.push_str(index);
        }
    }
    out
}

fn add_object(inv: &mut Inventory, object: &RawObject) -> Result<(), TypingError> {
    let value = &object.value;
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let Some(kind) = kind else {
        return Err(String::from(
            "object has no kind; every Kubernetes object needs apiVersion and kind",
        )
        .into());
    };
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    inv.kinds_seen.insert(kind.to_string());
    if kind == "Secret" {
        // Never keep Secret values; only count that the object was there.
        *inv.unaudited.entry("Secret".into()).or_default() += 1;
        return Ok(());
    }
    let meta: ObjectMeta = typed(value, "/metadata")?;
    let Some(name) = meta.name.clone().filter(|n| !n.is_empty()) else {
        return Err(format!("{kind} has no metadata.name").into());
    };
    let namespace = meta.namespace.clone().unwrap_or_default();
    let origin = object.origin.clone();
    let labels = meta.labels.clone().unwrap_or_default();
    let workload_kind = match kind {
        "Pod" => Some(WorkloadKind::Pod),
        "Deployment" => Some(WorkloadKind::Deployment),
        "DaemonSet" => Some(WorkloadKind::DaemonSet),
        "StatefulSet" => Some(WorkloadKind::StatefulSet),
        "ReplicaSet" => Some(WorkloadKind::ReplicaSet),
        "ReplicationController" => Some(WorkloadKind::ReplicationController),
        "Job" => Some(WorkloadKind::Job),
        "CronJob" => Some(WorkloadKind::CronJob),
        "PodTemplate" => Some(WorkloadKind::PodTemplate),
        _ => None,
    };
    if let Some(wk) = workload_kind {
        let template: PodTemplateSpec = if wk == WorkloadKind::Pod {
            PodTemplateSpec {
                metadata: Some(meta.clone()),
                spec: Some(typed(value, "/spec")?),
            }
        } else {
            typed(value, wk.template_pointer())?
        };
        let Some(spec) = template.spec else {
            let what = if wk == WorkloadKind::Pod {
                "spec"
            } else {
                "template spec"
            };
            return Err(format!("{kind} {name} has no pod {what}").into());
        };
        let template_meta = template.metadata.unwrap_or_default();
        let owner = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| Owner {
                kind: o.kind.clone(),
                name: o.name.clone(),
            });
        inv.workloads.push(Workload {
            kind: wk,
            namespace: namespace.into(),
            name: name.into(),
            labels,
            annotations: meta.annotations.clone().unwrap_or_default(),
            template_labels: template_meta.labels.unwrap_or_default(),
            template_annotations: template_meta.annotations.unwrap_or_default(),
            spec,
            owner,
            running_image_ids: running_image_ids(value),
            origin,
        });
        return Ok(());
    }
    match (kind, api_version.split('/').next().unwrap_or("")) {
        ("Namespace", _) => {
            inv.namespaces.insert(
                name.clone(),
                NamespaceInfo {
                    name,
                    labels,
                    annotations: meta.annotations.unwrap_or_default(),
                    origin: Some(origin),
                },
            );
        }
        ("ServiceAccount", _) => {
            let sa: ServiceAccount = typed(value, "")?;
            inv.service_accounts.push(ServiceAccountInfo {
                namespace,
                name,
                automount_token: sa.automount_service_account_token,
                origin,
            });
        }
        ("Role" | "ClusterRole", "rbac.authorization.k8s.io") => {
            let rules = typed::<Option<Vec<_>>>(value, "/rules")?.unwrap_or_default();
            inv.roles.push(RoleInfo {
                kind: if kind == "Role" {
                    RoleKind::Role
                } else {
                    RoleKind::ClusterRole
                },
                namespace: if kind == "Role" {
                    namespace
                } else {
                    String::new()
                },
                name,
                labels,
                rules,
                origin,
            });
        }
        ("RoleBinding" | "ClusterRoleBinding", "rbac.authorization.k8s.io") => {
            let role_ref = typed(value, "/roleRef")?;
            let subjects = typed::<Option<Vec<_>>>(value, "/subjects")?.unwrap_or_default();
            inv.bindings.push(BindingInfo {
                kind: if kind == "RoleBinding" {
                    BindingKind::RoleBinding
                } else {
                    BindingKind::ClusterRoleBinding
                },
                namespace: if kind == "RoleBinding" {
                    namespace
                } else {
                    String::new()
                },
                name,
                labels,
                role_ref,
                subjects,
                origin,
            });
        }
        ("NetworkPolicy", "networking.k8s.io") => {
            let spec = typed::<Option<_>>(value, "/spec")?.unwrap_or_default();
            inv.network_policies.push(NetworkPolicyInfo {
                namespace,
                name,
                spec,
                origin,
            });
        }
        ("ClusterPolicy" | "Policy", "kyverno.io")
        | ("ClusterImagePolicy", "policy.sigstore.dev") => {
            inv.admission_policies.push(AdmissionPolicy {
                api_version,
                kind: kind.to_string(),
                namespace,
                name,
                value: value.clone(),
                origin,
            });
        }
        _ => *inv.unaudited.entry(kind.to_string()).or_default() += 1,
    }
    Ok(())
}

fn running_image_ids(pod: &Value) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for field in [
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
    ] {
        let statuses = pod
            .pointer(&format!("/status/{field}"))
            .and_then(Value::as_array);
        for status in statuses.into_iter().flatten() {
            if let (Some(name), Some(id)) = (
                status.get("name").and_then(Value::as_str),
                status
                    .get("imageID")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty()),
            ) {
                ids.insert(name.to_string(), id.to_string());
            }
        }
    }
    ids
}
