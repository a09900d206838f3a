//! Typing raw objects into the inventory. Only the parts kaudit audits are typed (metadata,
//! pod templates, RBAC rules, network policies), so an odd `status` does not cost a workload.
//! Secret objects are counted and dropped: their values are never kept.

use super::*;
use crate::inventory::input::{Loaded, RawObject};
use crate::yaml::lenient;
use k8s_openapi::api::core::v1::{PodTemplateSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One object, typed: what it adds to the inventory.
enum Typed {
    /// Read but not audited (a Service, a CRD instance; Secrets, whose values are dropped).
    Unaudited,
    Namespace(NamespaceInfo),
    Workload(Box<Workload>),
    ServiceAccount(ServiceAccountInfo),
    Role(RoleInfo),
    Binding(BindingInfo),
    NetworkPolicy(NetworkPolicyInfo),
    Ingress(IngressInfo),
    Admission(AdmissionPolicy),
    ScannerReport(ScannerReport),
    /// A node's name and platform (`linux/amd64`); nothing else of it is kept.
    Node(String, Option<String>),
}

/// An object's kind (when it has one) and what typing it gave.
type Outcome = (Option<String>, Result<Typed, TypingError>);

/// Builds an inventory from what was read; objects that cannot be typed become errors.
/// Typing runs on all cores; the inventory keeps input order.
pub fn from_loaded(source: SourceInfo, loaded: Loaded) -> Inventory {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = loaded.objects.len().div_ceil(threads).max(256);
    let mut chunks: Vec<Vec<RawObject>> = Vec::new();
    let mut objects = loaded.objects.into_iter();
    loop {
        let next: Vec<RawObject> = objects.by_ref().take(chunk).collect();
        if next.is_empty() {
            break;
        }
        chunks.push(next);
    }
    // Each thread owns its objects and frees each parsed document as soon as it is typed:
    // freeing them all afterwards on one thread took longer than typing them.
    let typed: Vec<Vec<TypedObject>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|objects| {
                scope.spawn(move || objects.into_iter().map(type_owned).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    let origin = Origin {
                        file: "kaudit".into(),
                        line: 0,
                        pointer: String::new(),
                    };
                    let error = String::from("internal error while typing objects").into();
                    vec![TypedObject {
                        outcome: (None, Err(error)),
                        origin,
                    }]
                })
            })
            .collect()
    });
    from_typed(
        source,
        Loaded {
            objects: typed.into_iter().flatten().collect(),
            errors: loaded.errors,
            files_read: loaded.files_read,
        },
    )
}

/// An object typed, and where it came from (for its error, if it is one).
pub struct TypedObject {
    outcome: Outcome,
    origin: Origin,
}

/// Types one object and frees its parsed document: what a reader thread hands on.
pub fn type_owned(object: RawObject) -> TypedObject {
    TypedObject {
        outcome: type_object(&object),
        origin: object.origin,
    }
}

/// Builds an inventory from objects typed as they were read (see
/// the manifest loader's `load_paths_with` and [`type_owned`]).
pub fn from_typed(source: SourceInfo, loaded: Loaded<TypedObject>) -> Inventory {
    let mut inv = Inventory::empty(source);
    inv.errors = loaded.errors;
    inv.files_read = loaded.files_read;
    for TypedObject {
        outcome: (kind, outcome),
        origin,
    } in loaded.objects
    {
        if let Some(kind) = &kind {
            inv.kinds_seen.insert(kind.clone());
        }
        match outcome {
            Ok(Typed::Unaudited) => {
                *inv.unaudited.entry(kind.unwrap_or_default()).or_default() += 1
            }
            Ok(Typed::Namespace(ns)) => {
                inv.namespaces.insert(ns.name.clone(), ns);
            }
            Ok(Typed::Workload(w)) => inv.workloads.push(*w),
            Ok(Typed::ServiceAccount(sa)) => inv.service_accounts.push(sa),
            Ok(Typed::Role(r)) => inv.roles.push(r),
            Ok(Typed::Binding(b)) => inv.bindings.push(b),
            Ok(Typed::NetworkPolicy(p)) => inv.network_policies.push(p),
            Ok(Typed::Ingress(i)) => inv.ingresses.push(i),
            Ok(Typed::Admission(a)) => inv.admission_policies.push(a),
            Ok(Typed::ScannerReport(r)) => inv.scanner_reports.push(r),
            Ok(Typed::Node(name, platform)) => {
                if let Some(platform) = platform {
                    inv.node_platforms.insert(name, platform);
                }
            }
            Err(TypingError { message, pointer }) => inv.errors.push(LoadError {
                file: origin.file.to_string(),
                // Objects read from a cluster have no line (0): their file names them.
                line: (origin.line > 0).then_some(origin.line),
                message,
                pointer: pointer.map(|p| format!("{}{p}", origin.pointer)),
            }),
        }
    }
    // Namespaces objects live in, with the first object that names each, in input order.
    let namespaces_in_use: Vec<(String, Origin)> = inv
        .workloads
        .iter()
        .map(|w| (w.namespace.to_string(), w.origin.clone()))
        .chain(
            inv.service_accounts
                .iter()
                .map(|s| (s.namespace.clone(), s.origin.clone())),
        )
        .filter(|(ns, _)| !ns.is_empty())
        .collect();
    for (ns, origin) in namespaces_in_use {
        inv.namespaces
            .entry(ns.clone())
            .or_insert_with(|| NamespaceInfo {
                name: ns,
                labels: Labels::new(),
                annotations: Labels::new(),
                origin: None,
                named_at: Some(origin),
            });
    }
    inv
}

fn type_object(object: &RawObject) -> Outcome {
    let kind = object
        .value
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let outcome = type_known(object, kind.as_deref());
    (kind, outcome)
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

fn type_known(object: &RawObject, kind: Option<&str>) -> Result<Typed, TypingError> {
    let value = &object.value;
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
    if kind == "Secret" {
        // Never keep Secret values; only count that the object was there.
        return Ok(Typed::Unaudited);
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
        let container_ids = containers::containers(&spec)
            .iter()
            .map(|c| ContainerId {
                name: c.name.into(),
                image: c.image.map(Into::into),
            })
            .collect();
        let owner = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| Owner {
                kind: o.kind.clone(),
                name: o.name.clone(),
            });
        return Ok(Typed::Workload(Box::new(Workload {
            kind: wk,
            namespace: namespace.into(),
            name: name.into(),
            labels,
            annotations: meta.annotations.clone().unwrap_or_default(),
            template_labels: template_meta.labels.unwrap_or_default(),
            template_annotations: template_meta.annotations.unwrap_or_default(),
            spec,
            replicas: value
                .pointer("/spec/replicas")
                .and_then(serde_json::Value::as_i64),
            owner,
            container_ids,
            running_image_ids: running_image_ids(value),
            pod_pointer: format!("{}{}", origin.pointer, wk.template_pointer()).into(),
            origin,
        })));
    }
    Ok(match (kind, api_version.split('/').next().unwrap_or("")) {
        ("Namespace", _) => Typed::Namespace(NamespaceInfo {
            name,
            labels,
            annotations: meta.annotations.unwrap_or_default(),
            origin: Some(origin),
            named_at: None,
        }),
        ("ServiceAccount", _) => {
            let sa: ServiceAccount = typed(value, "")?;
            Typed::ServiceAccount(ServiceAccountInfo {
                namespace,
                name,
                automount_token: sa.automount_service_account_token,
                origin,
            })
        }
        ("Role" | "ClusterRole", "rbac.authorization.k8s.io") => {
            let rules = typed::<Option<Vec<_>>>(value, "/rules")?.unwrap_or_default();
            Typed::Role(RoleInfo {
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
            })
        }
        ("RoleBinding" | "ClusterRoleBinding", "rbac.authorization.k8s.io") => {
            let role_ref = typed(value, "/roleRef")?;
            let subjects = typed::<Option<Vec<_>>>(value, "/subjects")?.unwrap_or_default();
            Typed::Binding(BindingInfo {
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
            })
        }
        ("NetworkPolicy", "networking.k8s.io") => {
            let spec = typed::<Option<_>>(value, "/spec")?.unwrap_or_default();
            Typed::NetworkPolicy(NetworkPolicyInfo {
                namespace,
                name,
                spec,
                origin,
            })
        }
        ("Ingress", "networking.k8s.io") => {
            let spec = typed::<Option<_>>(value, "/spec")?.unwrap_or_default();
            Typed::Ingress(IngressInfo {
                namespace,
                name,
                spec,
                origin,
            })
        }
        ("ClusterPolicy" | "Policy", "kyverno.io")
        | ("ImageValidatingPolicy" | "NamespacedImageValidatingPolicy", "policies.kyverno.io")
        | ("ClusterImagePolicy", "policy.sigstore.dev")
        | (
            "K8sAllowedRepos" | "K8sAllowedReposv2" | "K8sDisallowedRepos" | "K8sDisallowedTags",
            "constraints.gatekeeper.sh",
        )
        | (
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration",
            "admissionregistration.k8s.io",
        ) => Typed::Admission(AdmissionPolicy {
            api_version,
            kind: kind.to_string(),
            namespace,
            name,
            value: value.clone(),
            origin,
        }),
        ("VulnerabilityReport" | "ClusterVulnerabilityReport", "aquasecurity.github.io") => {
            Typed::ScannerReport(ScannerReport {
                kind: kind.to_string(),
                namespace,
                name,
                value: value.clone(),
                origin,
            })
        }
        ("Node", "v1") => Typed::Node(name, node_platform(value)),
        _ => Typed::Unaudited,
    })
}

/// `linux/arm64` from a node's `status.nodeInfo`, else its well-known labels; `None` when
/// neither says, or says something no platform is named like.
fn node_platform(node: &Value) -> Option<String> {
    let field = |pointer: &str| node.pointer(pointer).and_then(Value::as_str);
    let os = field("/status/nodeInfo/operatingSystem")
        .or_else(|| field("/metadata/labels/kubernetes.io~1os"))?;
    let arch = field("/status/nodeInfo/architecture")
        .or_else(|| field("/metadata/labels/kubernetes.io~1arch"))?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    (plain(os) && plain(arch)).then(|| format!("{os}/{arch}"))
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
