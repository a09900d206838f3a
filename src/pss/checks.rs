//! The 19 Pod Security Standards checks, written from the behaviour of the reference
//! implementation (kubernetes/pod-security-admission `policy/`): same IDs, same versions,
//! same reason and detail strings, so the output reads like `kubectl`'s warnings.

use super::{PodView, Violation};
use crate::findings::PodField;
use crate::inventory::containers::ContainerRef;
use k8s_openapi::api::core::v1::{LifecycleHandler, Probe, SecurityContext};
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

pub type CheckFn = fn(&PodView<'_>, u32) -> Option<Violation>;

/// A check of the standard, as registered in the reference.
pub struct Check {
    pub id: &'static str,
    pub level: super::Level,
    /// First policy minor version at which the check applies.
    pub since: u32,
    /// Baseline checks this restricted check replaces, from `since` on.
    pub overrides: &'static [&'static str],
    pub run: CheckFn,
}

use super::Level::{Baseline, Restricted};

/// All checks, in no particular order (the evaluator orders them as the reference does).
pub static CHECKS: &[Check] = &[
    Check {
        id: "hostNamespaces",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: host_namespaces,
    },
    Check {
        id: "privileged",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: privileged,
    },
    Check {
        id: "capabilities_baseline",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: capabilities_baseline,
    },
    Check {
        id: "hostPathVolumes",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: host_path_volumes,
    },
    Check {
        id: "hostPorts",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: host_ports,
    },
    Check {
        id: "appArmorProfile",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: app_armor_profile,
    },
    Check {
        id: "seLinuxOptions",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: se_linux_options,
    },
    Check {
        id: "procMount",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: proc_mount_baseline,
    },
    Check {
        id: "seccompProfile_baseline",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: seccomp_baseline,
    },
    Check {
        id: "sysctls",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: sysctls,
    },
    Check {
        id: "windowsHostProcess",
        level: Baseline,
        since: 0,
        overrides: &[],
        run: windows_host_process,
    },
    Check {
        id: "hostProbesAndHostLifecycle",
        level: Baseline,
        since: 34,
        overrides: &[],
        run: host_probes_and_lifecycle,
    },
    Check {
        id: "restrictedVolumes",
        level: Restricted,
        since: 0,
        overrides: &["hostPathVolumes"],
        run: restricted_volumes,
    },
    Check {
        id: "allowPrivilegeEscalation",
        level: Restricted,
        since: 8,
        overrides: &[],
        run: allow_privilege_escalation,
    },
    Check {
        id: "runAsNonRoot",
        level: Restricted,
        since: 0,
        overrides: &[],
        run: run_as_non_root,
    },
    Check {
        id: "runAsUser",
        level: Restricted,
        since: 23,
        overrides: &[],
        run: run_as_user,
    },
    Check {
        id: "seccompProfile_restricted",
        level: Restricted,
        since: 19,
        overrides: &["seccompProfile_baseline"],
        run: seccomp_restricted,
    },
    Check {
        id: "capabilities_restricted",
        level: Restricted,
        since: 22,
        overrides: &["capabilities_baseline"],
        run: capabilities_restricted,
    },
    Check {
        id: "procMount_restricted",
        level: Restricted,
        since: 35,
        overrides: &["procMount"],
        run: proc_mount_restricted,
    },
];

// ---- formatting helpers, matching the reference's pluralize/joinQuote ----

fn pluralize(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 { singular } else { plural }
}

/// Go's `%q` for the strings that occur here: quotes and backslash-escapes.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&crate::findings::message::msg!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The reference's `joinQuote`: wraps each item in quotes without escaping anything.
/// Written out where it is used (details are built by the ten thousand).
fn join_quote<I>(items: I) -> JoinQuote<I>
where
    I: IntoIterator + Copy,
    I::Item: AsRef<str>,
{
    JoinQuote(items)
}

struct JoinQuote<I>(I);

impl<I> std::fmt::Display for JoinQuote<I>
where
    I: IntoIterator + Copy,
    I::Item: AsRef<str>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut any = false;
        for item in self.0 {
            f.write_str(if any { "\", \"" } else { "\"" })?;
            f.write_str(item.as_ref())?;
            any = true;
        }
        if any {
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase<'a>(names: &'a [&'a str]) -> ContainersPhrase<'a> {
    ContainersPhrase(names)
}

struct ContainersPhrase<'a>(&'a [&'a str]);

impl std::fmt::Display for ContainersPhrase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let noun = pluralize("container", "containers", self.0.len());
        write!(f, "{noun} {}", join_quote(self.0))
    }
}

fn violation(
    reason: &'static str,
    detail: impl Into<Arc<str>>,
    spots: Vec<PodField>,
) -> Option<Violation> {
    Some(Violation {
        check: "",
        reason,
        detail: detail.into(),
        spots,
    })
}

/// The pointer of an annotation of the pod (`/` and `~` escaped as JSON pointers want).
fn annotation_field(key: &str) -> PodField {
    PodField::from(crate::findings::message::msg!(
        "/metadata/annotations/{}",
        key.replace('~', "~0").replace('/', "~1")
    ))
}

fn sc<'a>(c: &ContainerRef<'a>) -> Option<&'a SecurityContext> {
    c.security_context
}

fn is_windows(pod: &PodView<'_>) -> bool {
    pod.spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

fn user_namespaced(pod: &PodView<'_>) -> bool {
    pod.spec.host_users == Some(false)
}

// ---- baseline ----

fn host_namespaces(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let mut set = Vec::new();
    let mut spots = Vec::new();
    for (on, field) in [
        (pod.spec.host_network, "hostNetwork"),
        (pod.spec.host_pid, "hostPID"),
        (pod.spec.host_ipc, "hostIPC"),
    ] {
        if on == Some(true) {
            set.push(crate::findings::message::msg!("{field}=true"));
            spots.push(PodField::from(crate::findings::message::msg!(
                "/spec/{field}"
            )));
        }
    }
    if set.is_empty() {
        return None;
    }
    violation("host namespaces", set.join(", "), spots)
}

fn privileged(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| sc(c).and_then(|s| s.privileged) == Some(true))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
    let spots = bad
        .iter()
        .map(|c| PodField::Container(c.pointer(), "/securityContext/privileged"))
        .collect();
    violation(
        "privileged",
        crate::findings::message::shared!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&names)
        ),
        spots,
    )
}

const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let mut names = Vec::new();
    let mut caps = BTreeSet::new();
    let mut spots = Vec::new();
    for c in &pod.containers {
        let added = sc(c)
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|k| k.add.as_ref());
        let mut bad = false;
        for cap in added.into_iter().flatten() {
            if !BASELINE_CAPABILITIES.contains(&cap.as_str()) {
                bad = true;
                caps.insert(cap.as_str());
            }
        }
        if bad {
            names.push(c.name);
            spots.push(PodField::Container(
                c.pointer(),
                "/securityContext/capabilities/add",
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "non-default capabilities",
        crate::findings::message::shared!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names),
            join_quote(&caps)
        ),
        spots,
    )
}

fn host_path_volumes(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let mut names = Vec::new();
    let mut spots = Vec::new();
    for (i, v) in pod.spec.volumes.iter().flatten().enumerate() {
        if v.host_path.is_some() {
            names.push(v.name.as_str());
            spots.push(PodField::from(crate::findings::message::msg!(
                "/spec/volumes/{i}/hostPath"
            )));
        }
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "hostPath volumes",
        crate::findings::message::shared!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        spots,
    )
}

fn host_ports(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let mut names = Vec::new();
    let mut ports = BTreeSet::new();
    let mut spots = Vec::new();
    // On a live object the API server has defaulted hostPort to containerPort for
    // hostNetwork pods; a manifest has not been defaulted yet.
    let defaulted = pod.live && pod.spec.host_network == Some(true);
    for c in &pod.containers {
        let mut bad = false;
        for (i, p) in c.ports.iter().enumerate() {
            let host_port = p.host_port.or(if defaulted {
                Some(p.container_port)
            } else {
                None
            });
            if let Some(hp) = host_port.filter(|hp| *hp != 0) {
                bad = true;
                ports.insert(hp.to_string());
                spots.push(PodField::from(crate::findings::message::msg!(
                    "{}/ports/{i}",
                    c.pointer()
                )));
            }
        }
        if bad {
            names.push(c.name);
        }
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "hostPort",
        crate::findings::message::shared!(
            "{} {} {} {}",
            containers_phrase(&names),
            pluralize("uses", "use", names.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        spots,
    )
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Invalid profile types set at pod level and on containers (AppArmor, seccomp): the
/// setters (`pod`, `containers "a", "b"`), the sorted bad values, and the offending fields.
struct BadProfiles<'a> {
    setters: Vec<String>,
    values: BTreeSet<&'a str>,
    spots: Vec<PodField>,
}

fn bad_profiles<'a>(
    pod: &PodView<'a>,
    pod_type: Option<&'a str>,
    container_type: impl Fn(&'a SecurityContext) -> Option<&'a str>,
    // The type field under the pod's or a container's securityContext.
    rest: &'static str,
    valid: fn(&str) -> bool,
) -> BadProfiles<'a> {
    let mut bad = BadProfiles {
        setters: Vec::new(),
        values: BTreeSet::new(),
        spots: Vec::new(),
    };
    if let Some(t) = pod_type.filter(|t| !valid(t)) {
        bad.setters.push("pod".to_string());
        bad.values.insert(t);
        bad.spots.push(PodField::Spec(rest));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(t) = sc(c).and_then(&container_type).filter(|t| !valid(t)) {
            names.push(c.name);
            bad.values.insert(t);
            bad.spots.push(PodField::Container(c.pointer(), rest));
        }
    }
    if !names.is_empty() {
        bad.setters.push(containers_phrase(&names).to_string());
    }
    bad
}

fn app_armor_profile(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    fn valid_type(t: &str) -> bool {
        matches!(t, "RuntimeDefault" | "Localhost")
    }
    fn valid_annotation(v: &str) -> bool {
        v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
    }
    let pod_type = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.as_ref())
        .map(|p| p.type_.as_str());
    let BadProfiles {
        mut setters,
        values,
        mut spots,
    } = bad_profiles(
        pod,
        pod_type,
        |s| s.app_armor_profile.as_ref().map(|p| p.type_.as_str()),
        "/securityContext/appArmorProfile/type",
        valid_type,
    );
    let mut annotations = Vec::new();
    // Sorted keys: only the run of keys under the prefix is visited.
    let under_prefix = pod.annotations.into_iter().flat_map(|a| {
        a.range::<str, _>((
            Bound::Included(APPARMOR_ANNOTATION_PREFIX),
            Bound::Unbounded,
        ))
        .take_while(|(k, _)| k.starts_with(APPARMOR_ANNOTATION_PREFIX))
    });
    for (k, v) in under_prefix {
        if !valid_annotation(v) {
            annotations.push(crate::findings::message::msg!("{k}={}", go_quote(v)));
            spots.push(annotation_field(k));
        }
    }
    if setters.is_empty() && annotations.is_empty() {
        return None;
    }
    let mut bad_values: Vec<String> = values.into_iter().map(str::to_string).collect();
    if !annotations.is_empty() {
        annotations.sort();
        setters.push(pluralize("annotation", "annotations", annotations.len()).to_string());
        bad_values.extend(annotations);
    }
    violation(
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            bad_values.len(),
        ),
        crate::findings::message::msg!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&bad_values)
        ),
        spots,
    )
}

fn se_linux_options(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    let mut bad_types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut check = |opts: &k8s_openapi::api::core::v1::SELinuxOptions| -> bool {
        let mut valid = true;
        let t = opts.type_.as_deref().unwrap_or("");
        let allowed = matches!(
            t,
            "" | "container_t" | "container_init_t" | "container_kvm_t"
        ) || (minor >= 31 && t == "container_engine_t");
        if !allowed {
            valid = false;
            bad_types.insert(t.to_string());
        }
        if opts.user.as_deref().is_some_and(|u| !u.is_empty()) {
            valid = false;
            set_user = true;
        }
        if opts.role.as_deref().is_some_and(|r| !r.is_empty()) {
            valid = false;
            set_role = true;
        }
        valid
    };
    let mut setters = Vec::new();
    let mut spots = Vec::new();
    if let Some(opts) = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.se_linux_options.as_ref())
        && !check(opts)
    {
        setters.push("pod".to_string());
        spots.push(PodField::Spec("/securityContext/seLinuxOptions"));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(opts) = sc(c).and_then(|s| s.se_linux_options.as_ref())
            && !check(opts)
        {
            names.push(c.name);
            spots.push(PodField::Container(
                c.pointer(),
                "/securityContext/seLinuxOptions",
            ));
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names).to_string());
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        data.push(crate::findings::message::msg!(
            "{} {}",
            pluralize("type", "types", bad_types.len()),
            join_quote(&bad_types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    violation(
        "seLinuxOptions",
        crate::findings::message::shared!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
        spots,
    )
}

fn proc_mount(pod: &PodView<'_>, relax_for_user_namespaces: bool) -> Option<Violation> {
    if relax_for_user_namespaces && user_namespaced(pod) {
        return None;
    }
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    let mut spots = Vec::new();
    for c in &pod.containers {
        if let Some(pm) = sc(c).and_then(|s| s.proc_mount.as_deref())
            && pm != "Default"
        {
            names.push(c.name);
            types.insert(pm);
            spots.push(PodField::Container(
                c.pointer(),
                "/securityContext/procMount",
            ));
        }
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "procMount",
        crate::findings::message::shared!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&names),
            join_quote(&types)
        ),
        spots,
    )
}

fn proc_mount_baseline(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    proc_mount(pod, minor >= 35)
}

fn proc_mount_restricted(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    proc_mount(pod, false)
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn valid_seccomp_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn seccomp_baseline(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor < 19 {
        return seccomp_baseline_annotations(pod);
    }
    let pod_type = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str());
    let BadProfiles {
        setters,
        values,
        spots,
    } = bad_profiles(
        pod,
        pod_type,
        |s| s.seccomp_profile.as_ref().map(|p| p.type_.as_str()),
        "/securityContext/seccompProfile/type",
        valid_seccomp_type,
    );
    if setters.is_empty() {
        return None;
    }
    violation(
        "seccompProfile",
        crate::findings::message::shared!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
        spots,
    )
}

fn seccomp_baseline_annotations(pod: &PodView<'_>) -> Option<Violation> {
    fn valid(v: &str) -> bool {
        v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
    }
    let annotations = pod.annotations?;
    let mut forbidden = BTreeSet::new();
    let mut spots = Vec::new();
    let mut consider = |key: String| {
        if let Some(v) = annotations.get(&key)
            && !valid(v)
        {
            spots.push(annotation_field(&key));
            forbidden.insert(crate::findings::message::msg!("{key}={}", go_quote(v)));
        }
    };
    consider(SECCOMP_POD_ANNOTATION.to_string());
    for c in &pod.containers {
        consider(crate::findings::message::msg!(
            "{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}",
            c.name
        ));
    }
    if forbidden.is_empty() {
        return None;
    }
    violation(
        "seccompProfile",
        crate::findings::message::shared!(
            "{} {}",
            pluralize(
                "forbidden annotation",
                "forbidden annotations",
                forbidden.len()
            ),
            forbidden.into_iter().collect::<Vec<_>>().join(", ")
        ),
        spots,
    )
}

fn safe_sysctls(minor: u32) -> Vec<&'static str> {
    let mut safe = vec![
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ];
    if minor >= 27 {
        safe.push("net.ipv4.ip_local_reserved_ports");
    }
    if minor >= 29 {
        safe.extend([
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ]);
    }
    if minor >= 32 {
        safe.extend(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
    }
    if minor >= 37 {
        safe.extend([
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ]);
    }
    safe
}

fn sysctls(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    let safe = safe_sysctls(minor);
    let mut names = Vec::new();
    let mut spots = Vec::new();
    let list = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.sysctls.as_ref());
    for (i, s) in list.into_iter().flatten().enumerate() {
        if !safe.contains(&s.name.as_str()) {
            names.push(s.name.as_str());
            spots.push(PodField::from(crate::findings::message::msg!(
                "/spec/securityContext/sysctls/{i}"
            )));
        }
    }
    if names.is_empty() {
        return None;
    }
    violation("forbidden sysctls", names.join(", "), spots)
}

fn windows_host_process(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let host_process = |s: Option<&SecurityContext>| {
        s.and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process)
            == Some(true)
    };
    let pod_set = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true);
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| host_process(sc(c)))
        .collect();
    if !pod_set && bad.is_empty() {
        return None;
    }
    let mut setters = Vec::new();
    let mut spots = Vec::new();
    if pod_set {
        setters.push("pod".to_string());
        spots.push(PodField::Spec(
            "/securityContext/windowsOptions/hostProcess",
        ));
    }
    if !bad.is_empty() {
        let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
        setters.push(containers_phrase(&names).to_string());
        spots.extend(bad.iter().map(|c| {
            PodField::Container(c.pointer(), "/securityContext/windowsOptions/hostProcess")
        }));
    }
    violation(
        "hostProcess",
        crate::findings::message::shared!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
        spots,
    )
}

fn host_probes_and_lifecycle(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    fn probe_hosts<'a>(p: &'a Probe, out: &mut Vec<&'a str>) {
        if let Some(h) = p.http_get.as_ref().and_then(|g| g.host.as_deref()) {
            out.push(h);
        }
        if let Some(h) = p.tcp_socket.as_ref().and_then(|t| t.host.as_deref()) {
            out.push(h);
        }
    }
    fn handler_hosts<'a>(h: &'a LifecycleHandler, out: &mut Vec<&'a str>) {
        if let Some(host) = h.http_get.as_ref().and_then(|g| g.host.as_deref()) {
            out.push(host);
        }
        if let Some(host) = h.tcp_socket.as_ref().and_then(|t| t.host.as_deref()) {
            out.push(host);
        }
    }
    // Unlike every other check, the reference lists these containers sorted by name.
    let mut names = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut spots = Vec::new();
    for c in &pod.containers {
        let mut found = Vec::new();
        for p in c.probes.iter().flatten() {
            probe_hosts(p, &mut found);
        }
        if let Some(l) = c.lifecycle {
            for h in [l.post_start.as_ref(), l.pre_stop.as_ref()]
                .into_iter()
                .flatten()
            {
                handler_hosts(h, &mut found);
            }
        }
        found.retain(|h| !h.is_empty());
        if !found.is_empty() {
            names.insert(c.name);
            spots.push(PodField::Container(c.pointer(), ""));
            hosts.extend(found);
        }
    }
    if names.is_empty() {
        return None;
    }
    let n = names.len();
    violation(
        "probe or lifecycle host",
        crate::findings::message::shared!(
            "{} {} {} {}",
            containers_phrase(&names.into_iter().collect::<Vec<_>>()),
            pluralize("uses", "use", n),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        spots,
    )
}

// ---- restricted ----

fn restricted_volumes(pod: &PodView<'_>, _: u32) -> Option<Violation> {
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    let mut spots = Vec::new();
    for (i, v) in pod.spec.volumes.iter().flatten().enumerate() {
        let allowed = v.config_map.is_some()
            || v.csi.is_some()
            || v.downward_api.is_some()
            || v.empty_dir.is_some()
            || v.ephemeral.is_some()
            || v.image.is_some()
            || v.persistent_volume_claim.is_some()
            || v.projected.is_some()
            || v.secret.is_some();
        if allowed {
            continue;
        }
        let kind = restricted_volume_type(v);
        // A volume with no source at all is defaulted to emptyDir by the API server.
        if kind == "unknown" && !has_any_source(v) {
            continue;
        }
        names.push(v.name.as_str());
        types.insert(kind);
        spots.push(PodField::from(crate::findings::message::msg!(
            "/spec/volumes/{i}"
        )));
    }
    if names.is_empty() {
        return None;
    }
    violation(
        "restricted volume types",
        crate::findings::message::shared!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        spots,
    )
}

fn restricted_volume_type(v: &k8s_openapi::api::core::v1::Volume) -> &'static str {
    let candidates: [(bool, &'static str); 21] = [
        (v.host_path.is_some(), "hostPath"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.nfs.is_some(), "nfs"),
        (v.iscsi.is_some(), "iscsi"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.rbd.is_some(), "rbd"),
        (v.flex_volume.is_some(), "flexVolume"),
        (v.cinder.is_some(), "cinder"),
        (v.cephfs.is_some(), "cephfs"),
        (v.flocker.is_some(), "flocker"),
        (v.fc.is_some(), "fc"),
        (v.azure_file.is_some(), "azureFile"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
        (v.quobyte.is_some(), "quobyte"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.storageos.is_some(), "storageos"),
    ];
    candidates
        .iter()
        .find(|(set, _)| *set)
        .map_or("unknown", |(_, name)| name)
}

fn has_any_source(v: &k8s_openapi::api::core::v1::Volume) -> bool {
    restricted_volume_type(v) != "unknown"
        || v.config_map.is_some()
        || v.csi.is_some()
        || v.downward_api.is_some()
        || v.empty_dir.is_some()
        || v.ephemeral.is_some()
        || v.image.is_some()
        || v.persistent_volume_claim.is_some()
        || v.projected.is_some()
        || v.secret.is_some()
}

fn allow_privilege_escalation(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| sc(c).and_then(|s| s.allow_privilege_escalation) != Some(false))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
    violation(
        "allowPrivilegeEscalation != false",
        crate::findings::message::shared!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&names)
        ),
        bad.iter()
            .map(|c| PodField::Container(c.pointer(), "/securityContext"))
            .collect(),
    )
}

/// Checks that need a good value on every container, which a good pod-level value
/// supplies (runAsNonRoot, restricted seccomp). Explicitly bad settings are reported first;
/// containers relying on an unset pod value only when nothing is explicitly bad.
struct Required<'a> {
    /// `pod` and/or `containers "a"` that set a bad value.
    setters: Vec<String>,
    spots: Vec<PodField>,
    /// Containers that set nothing while the pod sets nothing good.
    implicit: Vec<&'a str>,
    implicit_spots: Vec<PodField>,
}

impl Required<'_> {
    /// The violation: explicit settings first (`explicit` gets the setters), else the
    /// containers relying on an unset pod value (`implicit` gets the containers phrase).
    fn violation(
        self,
        reason: &'static str,
        explicit: impl FnOnce(String) -> Arc<str>,
        implicit: impl FnOnce(ContainersPhrase<'_>) -> Arc<str>,
    ) -> Option<Violation> {
        if !self.setters.is_empty() {
            return violation(reason, explicit(self.setters.join(" and ")), self.spots);
        }
        if self.implicit.is_empty() {
            return None;
        }
        violation(
            reason,
            implicit(containers_phrase(&self.implicit)),
            self.implicit_spots,
        )
    }
}

/// `pod_ok`/`container_ok`: `Some(true)` good value, `Some(false)` bad value, `None` unset.
fn required<'a>(
    pod: &PodView<'a>,
    pod_ok: Option<bool>,
    container_ok: impl Fn(&ContainerRef<'a>) -> Option<bool>,
    // The field under the pod's or a container's securityContext.
    rest: &'static str,
) -> Required<'a> {
    let mut r = Required {
        setters: Vec::new(),
        spots: Vec::new(),
        implicit: Vec::new(),
        implicit_spots: Vec::new(),
    };
    if pod_ok == Some(false) {
        r.setters.push("pod".to_string());
        r.spots.push(PodField::Spec(rest));
    }
    let mut explicit = Vec::new();
    for c in &pod.containers {
        match container_ok(c) {
            Some(false) => {
                explicit.push(c.name);
                r.spots.push(PodField::Container(c.pointer(), rest));
            }
            Some(true) => {}
            None if pod_ok != Some(true) => {
                r.implicit.push(c.name);
                r.implicit_spots.push(PodField::Container(c.pointer(), ""));
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        r.setters.push(containers_phrase(&explicit).to_string());
    }
    r
}

fn run_as_non_root(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor >= 35 && user_namespaced(pod) {
        return None;
    }
    let pod_ok = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    let r = required(
        pod,
        pod_ok,
        |c| sc(c).and_then(|s| s.run_as_non_root),
        "/securityContext/runAsNonRoot",
    );
    r.violation(
        "runAsNonRoot != true",
        |setters| {
            crate::findings::message::shared!(
                "{setters} must not set securityContext.runAsNonRoot=false"
            )
        },
        |containers| {
            crate::findings::message::shared!(
                "pod or {containers} must set securityContext.runAsNonRoot=true"
            )
        },
    )
}

fn run_as_user(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor >= 35 && user_namespaced(pod) {
        return None;
    }
    let mut setters = Vec::new();
    let mut spots = Vec::new();
    if pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user)
        == Some(0)
    {
        setters.push("pod".to_string());
        spots.push(PodField::Spec("/securityContext/runAsUser"));
    }
    let bad: Vec<_> = pod
        .containers
        .iter()
        .filter(|c| sc(c).and_then(|s| s.run_as_user) == Some(0))
        .collect();
    if !bad.is_empty() {
        let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
        setters.push(containers_phrase(&names).to_string());
        spots.extend(
            bad.iter()
                .map(|c| PodField::Container(c.pointer(), "/securityContext/runAsUser")),
        );
    }
    if setters.is_empty() {
        return None;
    }
    violation(
        "runAsUser=0",
        crate::findings::message::shared!("{} must not set runAsUser=0", setters.join(" and ")),
        spots,
    )
}

fn seccomp_type(s: &SecurityContext) -> Option<&str> {
    s.seccomp_profile.as_ref().map(|p| p.type_.as_str())
}

fn seccomp_restricted(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let pod_type = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str());
    let r = required(
        pod,
        pod_type.map(valid_seccomp_type),
        |c| sc(c).and_then(seccomp_type).map(valid_seccomp_type),
        "/securityContext/seccompProfile/type",
    );
    // The bad values are named only when something sets one explicitly.
    let container_types = pod
        .containers
        .iter()
        .filter_map(|c| sc(c).and_then(seccomp_type));
    let values: BTreeSet<&str> = pod_type
        .into_iter()
        .chain(container_types)
        .filter(|t| !valid_seccomp_type(t))
        .collect();
    r.violation(
        "seccompProfile",
        |setters| crate::findings::message::shared!("{setters} must not set securityContext.seccompProfile.type to {}", join_quote(&values)),
        |containers| crate::findings::message::shared!("pod or {containers} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""),
    )
}

fn capabilities_restricted(pod: &PodView<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut caps = BTreeSet::new();
    let mut spots = Vec::new();
    for c in &pod.containers {
        let Some(k) = sc(c).and_then(|s| s.capabilities.as_ref()) else {
            missing_drop.push(c.name);
            spots.push(PodField::Container(c.pointer(), "/securityContext"));
            continue;
        };
        if !k.drop.iter().flatten().any(|d| d == "ALL") {
            missing_drop.push(c.name);
            spots.push(PodField::Container(
                c.pointer(),
                "/securityContext/capabilities",
            ));
        }
        let mut bad = false;
        for cap in k.add.iter().flatten() {
            if cap != "NET_BIND_SERVICE" {
                bad = true;
                caps.insert(cap.as_str());
            }
        }
        if bad {
            adding.push(c.name);
            spots.push(PodField::Container(
                c.pointer(),
                "/securityContext/capabilities/add",
            ));
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(crate::findings::message::msg!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(crate::findings::message::msg!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    violation("unrestricted capabilities", details.join("; "), spots)
}
