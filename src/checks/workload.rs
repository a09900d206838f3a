//! Least-privilege checks beyond the Pod Security Standards (POD001-POD017).

use crate::findings::message::msg;

use super::{container_subject, evidence, input, workload_subject};
use crate::findings::{Message, PodField, Recorder};
use crate::inventory::containers::{ContainerKind, ContainerRef};
use crate::inventory::{Inventory, Workload, WorkloadKind};
use crate::pss::PodView;
use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};
use std::borrow::Cow;

pub fn run(inv: &Inventory, workloads: &[&Workload], views: &[PodView<'_>], rec: &mut Recorder) {
    for (w, view) in workloads.iter().zip(views) {
        check(inv, w, view, rec);
    }
}

/// [`run`] for one workload.
pub fn check(inv: &Inventory, w: &Workload, view: &PodView<'_>, rec: &mut Recorder) {
    let pod_sc = w.spec.security_context.as_ref();
    let containers = &view.containers;
    for c in containers {
        // Ephemeral containers cannot declare resources or ports; skip the rules that
        // would always fire on them.
        if c.kind != ContainerKind::Ephemeral {
            resources(w, c, rec);
        }
        run_as_root(w, c, pod_sc, rec);
        low_ids(w, c, pod_sc, rec);
        read_only_root(w, c, rec);
        net_raw(w, c, rec);
        dangerous_caps(w, c, rec);
        secrets_in_env(w, c, rec);
        ssh_port(w, c, rec);
    }
    host_paths(w, containers, rec);
    service_account(inv, w, rec);
    host_aliases(w, rec);
    namespace(w, rec);
    naked_pod(w, rec);
}

fn sc_field<T: Copy>(c: &ContainerRef<'_>, f: impl Fn(&SecurityContext) -> Option<T>) -> Option<T> {
    c.security_context.and_then(f)
}

fn resources(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    // Message ending and evidence value for each thing left unset: fixed texts, as most
    // containers of a large cluster miss the same ones.
    macro_rules! unset {
        ($kind:literal: $missing:literal, $listed:literal) => {
            (
                concat!(" has no ", $missing, " ", $kind),
                concat!($kind, ".", $listed, " not set"),
            )
        };
    }
    let requests = c.resources.and_then(|r| r.requests.as_ref());
    let limits = c.resources.and_then(|r| r.limits.as_ref());
    for (rule, map, texts) in [
        (
            "POD001",
            requests,
            [
                unset!("requests": "cpu or memory", "cpu, memory"),
                unset!("requests": "cpu", "cpu"),
                unset!("requests": "memory", "memory"),
            ],
        ),
        (
            "POD002",
            limits,
            [
                unset!("limits": "cpu or memory", "cpu, memory"),
                unset!("limits": "cpu", "cpu"),
                unset!("limits": "memory", "memory"),
            ],
        ),
    ] {
        let has = |resource: &str| map.is_some_and(|m| m.contains_key(resource));
        let missing = match (has("cpu"), has("memory")) {
            (true, true) => None,
            (false, false) => Some(texts[0]),
            (false, true) => Some(texts[1]),
            (true, false) => Some(texts[2]),
        };
        rec.decide(
            rule,
            missing.map(|(message, value)| {
                input(
                    container_subject(w, c),
                    w,
                    Message::Container(message.into()),
                    vec![evidence(
                        w,
                        PodField::Container(c.pointer(), "/resources"),
                        value,
                    )],
                )
            }),
        );
    }
}

/// An optional boolean field's value as evidence.
fn shown_bool(value: Option<bool>) -> &'static str {
    match value {
        None => "not set",
        Some(true) => "true",
        Some(false) => "false",
    }
}

fn run_as_root(
    w: &Workload,
    c: &ContainerRef<'_>,
    pod: Option<&PodSecurityContext>,
    rec: &mut Recorder,
) {
    let uid = sc_field(c, |s| s.run_as_user).or(pod.and_then(|p| p.run_as_user));
    let non_root = sc_field(c, |s| s.run_as_non_root).or(pod.and_then(|p| p.run_as_non_root));
    let finding = match (uid, non_root) {
        (Some(0), _) => Some((" runs as UID 0 (root)", "/securityContext/runAsUser", "0")),
        (_, Some(true)) => None,
        (Some(_), _) => None,
        (None, _) => Some((
            " may run as root: runAsNonRoot is not true and no runAsUser is set, so the image's user decides",
            "/securityContext/runAsNonRoot",
            shown_bool(non_root),
        )),
    };
    rec.decide(
        "POD003",
        finding.map(|(what, field, value)| {
            let container_sets = c.security_context.is_some_and(|s| match field {
                "/securityContext/runAsUser" => s.run_as_user.is_some(),
                _ => s.run_as_non_root.is_some(),
            });
            let evidence = if container_sets {
                evidence(w, PodField::Container(c.pointer(), field), value)
            } else {
                evidence(w, PodField::Spec(field), value)
            };
            let mut i = input(
                container_subject(w, c),
                w,
                Message::Container(what.into()),
                vec![evidence],
            );
            if uid == Some(0) {
                i.severity = Some(crate::severity::Severity::High);
            }
            i
        }),
    );
}

fn low_ids(
    w: &Workload,
    c: &ContainerRef<'_>,
    pod: Option<&PodSecurityContext>,
    rec: &mut Recorder,
) {
    // (name, text when unset, field under a securityContext, the container's value, the pod's)
    let fields = [
        (
            "runAsUser",
            "runAsUser not set",
            "/securityContext/runAsUser",
            sc_field(c, |s| s.run_as_user),
            pod.and_then(|p| p.run_as_user),
        ),
        (
            "runAsGroup",
            "runAsGroup not set",
            "/securityContext/runAsGroup",
            sc_field(c, |s| s.run_as_group),
            pod.and_then(|p| p.run_as_group),
        ),
    ];
    let found = fields.map(|(name, unset, rest, in_container, in_pod)| {
        // The container's value wins over the pod's; the evidence points where it is set.
        let effective = match in_container {
            Some(v) => Some((v, PodField::Container(c.pointer(), rest))),
            None => in_pod.map(|v| (v, PodField::Spec(rest))),
        };
        match effective {
            Some((v, _)) if v >= 10000 => None,
            Some((v, field)) => Some((
                Cow::Owned(msg!("{name}={v}")),
                evidence(w, field, v.to_string()),
            )),
            None => Some((
                Cow::Borrowed(unset),
                evidence(
                    w,
                    PodField::Container(c.pointer(), "/securityContext"),
                    unset,
                ),
            )),
        }
    });
    let message: Cow<'static, str> = match &found {
        [None, None] => return rec.pass("POD004"),
        // Neither set: the common case, a fixed text.
        [Some((Cow::Borrowed(_), _)), Some((Cow::Borrowed(_), _))] => {
            Cow::Borrowed(": runAsUser not set, runAsGroup not set (want 10000 or more)")
        }
        [a, b] => {
            let problems: Vec<&str> = [a, b].into_iter().flatten().map(|(p, _)| &**p).collect();
            Cow::Owned(msg!(": {} (want 10000 or more)", problems.join(", ")))
        }
    };
    let evidence = found.into_iter().flatten().map(|(_, e)| e).collect();
    rec.fail(
        "POD004",
        input(
            container_subject(w, c),
            w,
            Message::Container(message),
            evidence,
        ),
    );
}

fn read_only_root(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    let ro = sc_field(c, |s| s.read_only_root_filesystem);
    rec.decide(
        "POD005",
        (ro != Some(true)).then(|| {
            input(
                container_subject(w, c),
                w,
                Message::Container(" has a writable root filesystem".into()),
                vec![evidence(
                    w,
                    PodField::Container(c.pointer(), "/securityContext/readOnlyRootFilesystem"),
                    shown_bool(ro),
                )],
            )
        }),
    );
}

/// `cap_sys_admin` and `SYS_ADMIN` name the same capability to the runtime.
fn normalize_cap(cap: &str) -> String {
    let upper = cap.to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map(str::to_string)
        .unwrap_or(upper)
}

/// [`normalize_cap`] without building a string: is `cap` the capability `name` (upper case,
/// no prefix)?
fn is_cap(cap: &str, name: &str) -> bool {
    let bare = match cap.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("CAP_") => &cap[4..],
        _ => cap,
    };
    bare.eq_ignore_ascii_case(name)
}

fn net_raw(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    let caps = c.security_context.and_then(|s| s.capabilities.as_ref());
    let names_net_raw = |x: &String| is_cap(x, "ALL") || is_cap(x, "NET_RAW");
    let dropped = caps
        .and_then(|k| k.drop.as_ref())
        .is_some_and(|d| d.iter().any(names_net_raw));
    let added = caps
        .and_then(|k| k.add.as_ref())
        .is_some_and(|a| a.iter().any(names_net_raw));
    let bad = !dropped || added;
    rec.decide(
        "POD006",
        bad.then(|| {
            let what = if added {
                " adds NET_RAW"
            } else {
                " does not drop NET_RAW (or ALL)"
            };
            input(
                container_subject(w, c),
                w,
                Message::Container(what.into()),
                vec![evidence(
                    w,
                    PodField::Container(c.pointer(), "/securityContext/capabilities"),
                    &what[1..],
                )],
            )
        }),
    );
}

const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "BPF",
];

fn dangerous_caps(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    let added = c
        .security_context
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|k| k.add.as_ref());
    let bad: Vec<String> = added
        .into_iter()
        .flatten()
        .map(|x| normalize_cap(x))
        .filter(|x| DANGEROUS_CAPS.contains(&x.as_str()))
        .collect();
    rec.decide(
        "POD007",
        (!bad.is_empty()).then(|| {
            let mut i = input(
                container_subject(w, c),
                w,
                Message::Container(msg!(" adds {}", bad.join(", ")).into()),
                vec![evidence(
                    w,
                    PodField::Container(c.pointer(), "/securityContext/capabilities/add"),
                    bad.join(", "),
                )],
            );
            if bad.iter().any(|x| x == "ALL" || x == "SYS_ADMIN") {
                i.severity = Some(crate::severity::Severity::Critical);
            }
            i
        }),
    );
}

fn secrets_in_env(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    let mut ev = Vec::new();
    let mut names = Vec::new();
    for (i, e) in c.env.iter().enumerate() {
        if let Some(r) = e
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            names.push(msg!("{} (secret {}/{})", e.name, r.name, r.key));
            ev.push(evidence(
                w,
                PodField::from(msg!("{}/env/{i}/valueFrom/secretKeyRef", c.pointer())),
                msg!("{}:{}", r.name, r.key),
            ));
        }
    }
    for (i, e) in c.env_from.iter().enumerate() {
        if let Some(r) = e.secret_ref.as_ref() {
            names.push(msg!("all keys of secret {}", r.name));
            ev.push(evidence(
                w,
                PodField::from(msg!("{}/envFrom/{i}/secretRef", c.pointer())),
                r.name.clone(),
            ));
        }
    }
    rec.decide(
        "POD013",
        (!names.is_empty()).then(|| {
            input(
                container_subject(w, c),
                w,
                Message::Container(
                    msg!(" reads secrets into its environment: {}", names.join(", ")).into(),
                ),
                ev,
            )
        }),
    );
}

fn ssh_port(w: &Workload, c: &ContainerRef<'_>, rec: &mut Recorder) {
    let found = c.ports.iter().enumerate().find(|(_, p)| {
        p.container_port == 22 || p.container_port == 2222 || p.host_port == Some(22)
    });
    rec.decide(
        "POD015",
        found.map(|(i, p)| {
            input(
                container_subject(w, c),
                w,
                Message::Container(msg!(" exposes port {} (SSH)", p.container_port).into()),
                vec![evidence(
                    w,
                    PodField::from(msg!("{}/ports/{i}/containerPort", c.pointer())),
                    p.container_port.to_string(),
                )],
            )
        }),
    );
}

const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock",
];

const SENSITIVE_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/lib",
    "/usr",
    "/var/run",
    "/run",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pki",
    "/etc/kubernetes",
    "/etc/kubernetes/manifests",
    "/var/lib/etcd",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/cni",
    "/opt/cni",
];

/// Collapses `//`, `.` and `..` and trailing slashes, so `/etc/../etc/` is `/etc`.
fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    msg!("/{}", parts.join("/"))
}

fn host_paths(w: &Workload, containers: &[ContainerRef<'_>], rec: &mut Recorder) {
    let volumes = w.spec.volumes.as_deref().unwrap_or(&[]);
    for (vi, v) in volumes.iter().enumerate() {
        let Some(hp) = v.host_path.as_ref() else {
            continue;
        };
        let path = normalize_path(&hp.path);
        let ev = || {
            vec![evidence(
                w,
                PodField::from(msg!("/spec/volumes/{vi}/hostPath/path")),
                hp.path.clone(),
            )]
        };
        let is_socket = RUNTIME_SOCKETS.contains(&path.as_str())
            || [
                "/var/run",
                "/run",
                "/var/run/docker",
                "/run/containerd",
                "/var/run/containerd",
                "/run/crio",
                "/var/run/crio",
            ]
            .contains(&path.as_str());
        let finding = |what: &str| {
            let mut i = input(
                workload_subject(w),
                w,
                Message::Workload(msg!(" mounts {what} {} (volume {:?})", hp.path, v.name).into()),
                ev(),
            );
            i.discriminator = v.name.clone().into();
            i
        };
        rec.decide(
            "POD008",
            is_socket.then(|| finding("the container runtime socket")),
        );
        // A mount of /var/run exposes the sockets below it too.
        let sensitive = SENSITIVE_PATHS.iter().any(|s| *s == path)
            || path.starts_with("/etc/kubernetes/")
            || path.starts_with("/var/lib/kubelet/");
        rec.decide(
            "POD009",
            (sensitive && !is_socket).then(|| finding("the sensitive host path")),
        );
        let writable: Vec<(&ContainerRef<'_>, usize)> = containers
            .iter()
            .filter_map(|c| {
                c.volume_mounts
                    .iter()
                    .position(|m| m.name == v.name && m.read_only != Some(true))
                    .map(|mi| (c, mi))
            })
            .collect();
        rec.decide(
            "POD010",
            writable.first().map(|(c, mi)| {
                let names: Vec<&str> = writable.iter().map(|(c, _)| c.name).collect();
                let mut i = input(
                    workload_subject(w),
                    w,
                    Message::Workload(
                        msg!(
                            " mounts host path {} writable in {}",
                            hp.path,
                            names
                                .iter()
                                .map(|n| msg!("{n:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                        .into(),
                    ),
                    vec![evidence(
                        w,
                        PodField::from(msg!("{}/volumeMounts/{mi}", c.pointer())),
                        "readOnly not true",
                    )],
                );
                i.discriminator = v.name.clone().into();
                i
            }),
        );
    }
}

fn service_account(inv: &Inventory, w: &Workload, rec: &mut Recorder) {
    let name = w
        .spec
        .service_account_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(w.spec.service_account.as_deref().filter(|n| !n.is_empty()));
    let uses_default = name.is_none_or(|n| n == "default");
    rec.decide(
        "POD012",
        uses_default.then(|| {
            input(
                workload_subject(w),
                w,
                Message::Workload(" runs as the namespace's default service account".into()),
                vec![evidence(
                    w,
                    "/spec/serviceAccountName",
                    name.unwrap_or("(not set)").to_string(),
                )],
            )
        }),
    );
    let sa_name = name.unwrap_or("default");
    let sa = inv.service_account(&w.namespace, sa_name);
    // Whether the token is mounted may hang on a service account kaudit was not allowed
    // to read.
    if w.spec.automount_service_account_token.is_none()
        && sa.is_none()
        && let Some(gap) = inv.unreadable("serviceaccounts", &w.namespace)
    {
        rec.not_evaluated(
            "POD011",
            msg!("{} {}/{}", w.kind.as_str(), w.namespace, w.name),
            msg!(
                "service account {sa_name} could not be read: {}",
                gap.reason
            ),
        );
        return;
    }
    let (mounted, why) = match (
        w.spec.automount_service_account_token,
        sa.and_then(|s| s.automount_token),
    ) {
        (Some(v), _) => (
            v,
            "the pod spec sets automountServiceAccountToken".to_string(),
        ),
        (None, Some(v)) => (
            v,
            msg!("service account {sa_name} sets automountServiceAccountToken: {v}"),
        ),
        (None, None) => (
            true,
            "neither the pod nor the service account disables it".to_string(),
        ),
    };
    rec.decide(
        "POD011",
        mounted.then(|| {
            input(
                workload_subject(w),
                w,
                Message::Workload(
                    msg!(" mounts the token of service account {sa_name}: {why}").into(),
                ),
                vec![evidence(
                    w,
                    "/spec/automountServiceAccountToken",
                    shown_bool(w.spec.automount_service_account_token),
                )],
            )
        }),
    );
}

fn host_aliases(w: &Workload, rec: &mut Recorder) {
    let aliases = w.spec.host_aliases.as_deref().unwrap_or(&[]);
    rec.decide(
        "POD014",
        (!aliases.is_empty()).then(|| {
            let entries: Vec<String> = aliases
                .iter()
                .map(|a| {
                    msg!(
                        "{} -> {}",
                        a.hostnames.as_deref().unwrap_or(&[]).join(","),
                        a.ip
                    )
                })
                .collect();
            input(
                workload_subject(w),
                w,
                Message::Workload(msg!(" overrides /etc/hosts: {}", entries.join("; ")).into()),
                vec![evidence(w, "/spec/hostAliases", entries.join("; "))],
            )
        }),
    );
}

fn namespace(w: &Workload, rec: &mut Recorder) {
    let finding = match &*w.namespace {
        "default" => Some(Message::Workload(" runs in the default namespace".into())),
        "" => Some(Message::Workload(" sets no namespace; applied with kubectl it lands in the context's namespace, usually default".into())),
        _ => None,
    };
    rec.decide(
        "POD016",
        finding.map(|m| {
            let pointer = msg!("{}/metadata/namespace", w.origin.pointer);
            let mut i = input(workload_subject(w), w, m, vec![]);
            i.evidence.push(crate::findings::Evidence::at(
                pointer,
                if w.namespace.is_empty() {
                    "(not set)".to_string()
                } else {
                    w.namespace.to_string()
                },
            ));
            i
        }),
    );
}

fn naked_pod(w: &Workload, rec: &mut Recorder) {
    if w.kind != WorkloadKind::Pod {
        return;
    }
    rec.decide(
        "POD017",
        w.owner.is_none().then(|| {
            let pointer = msg!("{}/metadata", w.origin.pointer);
            let mut i = input(
                workload_subject(w),
                w,
                Message::Workload(
                    " has no controller: it will not be recreated and bypasses review".into(),
                ),
                vec![],
            );
            i.evidence
                .push(crate::findings::Evidence::at(pointer, "no ownerReferences"));
            i
        }),
    );
}
