//! The rule catalog: every rule kaudit can report, with its stable ID, severity, CKS domain,
//! rationale, remediation and the equivalent checks of other tools and standards, spelled
//! exactly as upstream spells them.

use crate::severity::{Area, Severity};

pub mod cks {
    pub const CLUSTER_SETUP: &str = "Cluster Setup";
    pub const CLUSTER_HARDENING: &str = "Cluster Hardening";
    pub const SYSTEM_HARDENING: &str = "System Hardening";
    pub const MICROSERVICE: &str = "Minimize Microservice Vulnerabilities";
    pub const SUPPLY_CHAIN: &str = "Supply Chain Security";
    pub const RUNTIME: &str = "Monitoring, Logging and Runtime Security";
}

/// One rule of the catalog.
#[derive(Debug, serde::Serialize)]
pub struct Rule {
    pub id: &'static str,
    /// A short slug, usable instead of the ID in suppressions.
    pub name: &'static str,
    pub title: &'static str,
    pub area: Area,
    pub severity: Severity,
    pub cks_domain: &'static str,
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub references: &'static [Reference],
    /// Kubernetes documentation for the topic.
    pub doc_url: &'static str,
}

/// An equivalent check elsewhere: `{"source": "checkov", "id": "CKV_K8S_16"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    pub source: &'static str,
    pub id: &'static str,
}

const fn r(source: &'static str, id: &'static str) -> Reference {
    Reference { source, id }
}

const PSS_DOC: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
const PSA_DOC: &str = "https://kubernetes.io/docs/concepts/security/pod-security-admission/";
const SC_DOC: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
const RBAC_DOC: &str = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
const IMG_DOC: &str = "https://kubernetes.io/docs/concepts/containers/images/";
const NETPOL_DOC: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";
const SA_DOC: &str = "https://kubernetes.io/docs/concepts/security/service-accounts/";
const RES_DOC: &str =
    "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";
const AUDIT_DOC: &str = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/";
const SECRET_DOC: &str = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/";

use Area::{AuditLog, Images, Network, PodSecurity, Rbac};
use Severity::{Critical, High, Low, Medium};

pub static RULES: &[Rule] = &[
    // ---- Pod Security Standards: baseline ----
    Rule {
        id: "PSS001",
        name: "host-namespaces",
        title: "Pod shares the host's network, PID or IPC namespace",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "A pod in the host network namespace sees every node interface and can bind node ports; in the host PID or IPC namespace it can see and signal every process on the node. The Baseline standard forbids all three.",
        remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false):\n```yaml\nspec:\n  hostNetwork: false\n  hostPID: false\n  hostIPC: false\n```",
        references: &[
            r("pss", "hostNamespaces"),
            r("cis", "5.2.3"),
            r("cis", "5.2.4"),
            r("cis", "5.2.5"),
            r("checkov", "CKV_K8S_17"),
            r("checkov", "CKV_K8S_18"),
            r("checkov", "CKV_K8S_19"),
            r("kubescape", "C-0038"),
            r("kubescape", "C-0041"),
            r("polaris", "hostPIDSet"),
            r("polaris", "hostIPCSet"),
            r("polaris", "hostNetworkSet"),
            r("kube-linter", "host-pid"),
            r("kube-linter", "host-ipc"),
            r("kube-linter", "host-network"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS002",
        name: "privileged",
        title: "Privileged container",
        area: PodSecurity,
        severity: Critical,
        cks_domain: cks::MICROSERVICE,
        rationale: "A privileged container has every capability and all host devices; escaping to the node is trivial. The Baseline standard forbids it.",
        remediation: "Drop `privileged: true`; grant only the capabilities the process needs:\n```yaml\nsecurityContext:\n  privileged: false\n```",
        references: &[
            r("pss", "privileged"),
            r("cis", "5.2.2"),
            r("checkov", "CKV_K8S_16"),
            r("kubescape", "C-0057"),
            r("polaris", "runAsPrivileged"),
            r("kube-linter", "privileged-container"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS003",
        name: "capabilities-baseline",
        title: "Container adds capabilities beyond the default set",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "The Baseline standard allows adding only the container runtime's default capabilities; anything else (SYS_ADMIN, NET_ADMIN, NET_RAW...) widens the kernel attack surface.",
        remediation: "Remove the extra entries from `securityContext.capabilities.add`:\n```yaml\nsecurityContext:\n  capabilities:\n    drop: [\"ALL\"]\n    add: [\"NET_BIND_SERVICE\"]  # only if needed\n```",
        references: &[
            r("pss", "capabilities_baseline"),
            r("cis", "5.2.9"),
            r("checkov", "CKV_K8S_25"),
            r("kubescape", "C-0200"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS004",
        name: "host-path-volumes",
        title: "Pod mounts a hostPath volume",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "hostPath volumes expose the node's filesystem to the pod; a writable or sensitive path is a direct route to the node. The Baseline standard forbids them.",
        remediation: "Replace hostPath with an emptyDir, a ConfigMap/Secret, a CSI volume or a PersistentVolumeClaim.",
        references: &[
            r("pss", "hostPathVolumes"),
            r("cis", "5.2.12"),
            r("kubescape", "C-0048"),
            r("kubescape", "C-0203"),
            r("polaris", "hostPathSet"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS005",
        name: "host-ports",
        title: "Container binds a host port",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "hostPort binds a port on the node's interfaces, bypassing Services and NetworkPolicies and limiting scheduling. The Baseline standard forbids it.",
        remediation: "Remove `hostPort` and expose the container through a Service.",
        references: &[
            r("pss", "hostPorts"),
            r("cis", "5.2.13"),
            r("checkov", "CKV_K8S_26"),
            r("kubescape", "C-0044"),
            r("kubescape", "C-0204"),
            r("polaris", "hostPortSet"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS006",
        name: "apparmor",
        title: "AppArmor profile set to unconfined",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::SYSTEM_HARDENING,
        rationale: "Disabling AppArmor removes a mandatory access control layer that confines the container. The Baseline standard allows only the runtime default or a localhost profile.",
        remediation: "Use the runtime default profile:\n```yaml\nsecurityContext:\n  appArmorProfile:\n    type: RuntimeDefault\n```",
        references: &[r("pss", "appArmorProfile")],
        doc_url: "https://kubernetes.io/docs/tutorials/security/apparmor/",
    },
    Rule {
        id: "PSS007",
        name: "selinux",
        title: "Forbidden SELinux options",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::SYSTEM_HARDENING,
        rationale: "Custom SELinux types such as spc_t (super-privileged container), or a custom user or role, switch off the container's SELinux confinement.",
        remediation: "Remove seLinuxOptions or use one of container_t, container_init_t, container_kvm_t, container_engine_t.",
        references: &[r("pss", "seLinuxOptions")],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS008",
        name: "proc-mount",
        title: "Container unmasks /proc",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "`procMount: Unmasked` exposes kernel interfaces under /proc that the runtime normally masks. Baseline allows it from v1.35 only in user-namespaced pods (hostUsers: false).",
        remediation: "Remove `securityContext.procMount` or set it to `Default`.",
        references: &[
            r("pss", "procMount"),
            r("polaris", "procMount"),
            r("kube-linter", "unsafe-proc-mount"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS009",
        name: "seccomp-baseline",
        title: "Seccomp explicitly disabled",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::SYSTEM_HARDENING,
        rationale: "A seccomp profile of Unconfined lets the container call every system call, including those behind most container escapes.",
        remediation: "```yaml\nsecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n```",
        references: &[
            r("pss", "seccompProfile_baseline"),
            r("cis", "5.7.2"),
            r("checkov", "CKV_K8S_31"),
            r("kubescape", "C-0210"),
        ],
        doc_url: "https://kubernetes.io/docs/tutorials/security/seccomp/",
    },
    Rule {
        id: "PSS010",
        name: "sysctls",
        title: "Unsafe sysctl set",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Sysctls outside the safe set are not namespaced or not isolated, so a pod can change kernel behaviour for the whole node.",
        remediation: "Remove the sysctl from `spec.securityContext.sysctls`; tune the node instead if it is really needed.",
        references: &[r("pss", "sysctls"), r("kube-linter", "unsafe-sysctls")],
        doc_url: "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
    },
    Rule {
        id: "PSS011",
        name: "windows-host-process",
        title: "Windows HostProcess container",
        area: PodSecurity,
        severity: Critical,
        cks_domain: cks::MICROSERVICE,
        rationale: "A Windows HostProcess container runs directly on the node with host access, the Windows equivalent of a privileged container.",
        remediation: "Remove `securityContext.windowsOptions.hostProcess: true`.",
        references: &[
            r("pss", "windowsHostProcess"),
            r("cis", "5.2.11"),
            r("kubescape", "C-0202"),
            r("polaris", "hostProcess"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS012",
        name: "host-probes",
        title: "Probe or lifecycle hook targets a host",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "A probe or lifecycle handler with `host` set makes the kubelet connect to an arbitrary address, which can be abused to reach node-local services (SSRF). Baseline forbids it from v1.34.",
        remediation: "Remove `host` from httpGet/tcpSocket probes and lifecycle handlers; the kubelet then targets the pod IP.",
        references: &[r("pss", "hostProbesAndHostLifecycle")],
        doc_url: PSS_DOC,
    },
    // ---- Pod Security Standards: restricted ----
    Rule {
        id: "PSS013",
        name: "restricted-volumes",
        title: "Volume type not allowed by the Restricted standard",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes; other types reach node or network storage directly.",
        remediation: "Use a PersistentVolumeClaim or a CSI volume instead of in-line storage types.",
        references: &[r("pss", "restrictedVolumes")],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS014",
        name: "allow-privilege-escalation",
        title: "Privilege escalation not disabled",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Unless allowPrivilegeEscalation is false, setuid binaries and file capabilities can raise a process's privileges inside the container.",
        remediation: "```yaml\nsecurityContext:\n  allowPrivilegeEscalation: false\n```",
        references: &[
            r("pss", "allowPrivilegeEscalation"),
            r("cis", "5.2.6"),
            r("checkov", "CKV_K8S_20"),
            r("kubescape", "C-0016"),
            r("kubescape", "C-0197"),
            r("polaris", "privilegeEscalationAllowed"),
            r("kube-linter", "privilege-escalation-container"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "PSS015",
        name: "run-as-non-root",
        title: "runAsNonRoot not true",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Without runAsNonRoot: true the kubelet will start an image whose user is root. Restricted requires it at pod or container level (a non-zero runAsUser alone does not satisfy it).",
        remediation: "```yaml\nspec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n```",
        references: &[
            r("pss", "runAsNonRoot"),
            r("cis", "5.2.7"),
            r("kubescape", "C-0013"),
            r("kubescape", "C-0198"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "PSS016",
        name: "run-as-user-root",
        title: "runAsUser set to 0",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "An explicit runAsUser: 0 runs the container as root; Restricted forbids it from v1.23.",
        remediation: "Set a non-zero UID:\n```yaml\nsecurityContext:\n  runAsUser: 10001\n```",
        references: &[
            r("pss", "runAsUser"),
            r("cis", "5.2.7"),
            r("checkov", "CKV_K8S_23"),
            r("kubescape", "C-0013"),
            r("polaris", "runAsRootAllowed"),
            r("kube-linter", "run-as-non-root"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "PSS017",
        name: "seccomp-restricted",
        title: "No seccomp profile",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::SYSTEM_HARDENING,
        rationale: "Restricted requires every container to run under the RuntimeDefault or a Localhost seccomp profile.",
        remediation: "```yaml\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n```",
        references: &[
            r("pss", "seccompProfile_restricted"),
            r("cis", "5.7.2"),
            r("checkov", "CKV_K8S_31"),
            r("kubescape", "C-0210"),
        ],
        doc_url: "https://kubernetes.io/docs/tutorials/security/seccomp/",
    },
    Rule {
        id: "PSS018",
        name: "capabilities-restricted",
        title: "Capabilities not dropped",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Restricted requires `drop: [\"ALL\"]` and allows adding back only NET_BIND_SERVICE.",
        remediation: "```yaml\nsecurityContext:\n  capabilities:\n    drop: [\"ALL\"]\n```",
        references: &[
            r("pss", "capabilities_restricted"),
            r("cis", "5.2.10"),
            r("checkov", "CKV_K8S_37"),
            r("kubescape", "C-0201"),
            r("polaris", "insecureCapabilities"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "PSS019",
        name: "proc-mount-restricted",
        title: "Container unmasks /proc (restricted)",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "From v1.35 Restricted keeps the strict procMount rule even for user-namespaced pods.",
        remediation: "Remove `securityContext.procMount` or set it to `Default`.",
        references: &[
            r("pss", "procMount_restricted"),
            r("polaris", "procMount"),
            r("kube-linter", "unsafe-proc-mount"),
        ],
        doc_url: PSS_DOC,
    },
    // ---- Pod Security Admission per namespace ----
    Rule {
        id: "PSA001",
        name: "namespace-not-enforcing",
        title: "Namespace does not enforce a Pod Security level",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Without an enforce label (or with enforce=privileged) the API server admits any pod into the namespace, however privileged.",
        remediation: "Label the namespace with the highest level its workloads already meet (see the namespace table), for example:\n```sh\nkubectl label --dry-run=server --overwrite ns NAME pod-security.kubernetes.io/enforce=restricted\n```\n(run it yourself; kaudit never changes the cluster).",
        references: &[r("cis", "5.2.1"), r("kubescape", "C-0192")],
        doc_url: PSA_DOC,
    },
    Rule {
        id: "PSA002",
        name: "violates-enforced-level",
        title: "Workload violates its namespace's enforced Pod Security level",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "Pod Security Admission checks existing pods only when the label changes; a workload created before the label (or a controller, which is only warned) will have its next pods rejected.",
        remediation: "Fix the workload's security context to meet the namespace level before its pods are next recreated.",
        references: &[],
        doc_url: PSA_DOC,
    },
    Rule {
        id: "PSA003",
        name: "invalid-psa-label",
        title: "Invalid Pod Security label",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "An invalid enforce level fails closed (restricted) and can block deployments; an invalid audit or warn level fails open (privileged) and silences the signal; an invalid version means latest.",
        remediation: "Use `privileged`, `baseline` or `restricted` (lower case) and versions `latest` or `v1.N`.",
        references: &[],
        doc_url: PSA_DOC,
    },
    // ---- Images ----
    Rule {
        id: "IMG001",
        name: "mutable-tag",
        title: "Image has no tag or uses :latest",
        area: Images,
        severity: Medium,
        cks_domain: cks::SUPPLY_CHAIN,
        rationale: "`latest` (or no tag) can point at a different image on every pull: deployments are not reproducible and a compromised registry push lands silently.",
        remediation: "Pin a version tag, or better a digest:\n```yaml\nimage: registry.example.com/app:1.4.2@sha256:<digest>\n```",
        references: &[
            r("checkov", "CKV_K8S_14"),
            r("kubescape", "C-0075"),
            r("polaris", "tagNotSpecified"),
            r("kube-linter", "latest-tag"),
        ],
        doc_url: IMG_DOC,
    },
    Rule {
        id: "IMG002",
        name: "not-pinned-by-digest",
        title: "Image not pinned by digest",
        area: Images,
        severity: Low,
        cks_domain: cks::SUPPLY_CHAIN,
        rationale: "Tags are mutable; only a digest guarantees that the bytes that were scanned and signed are the bytes that run.",
        remediation: "Reference the image by digest (`name:tag@sha256:...`); tools such as `crane digest` or `cosign triangulate` give it.",
        references: &[r("checkov", "CKV_K8S_43"), r("kubescape", "C-0306")],
        doc_url: IMG_DOC,
    },
    Rule {
        id: "IMG003",
        name: "registry-not-allowed",
        title: "Image from a registry outside the allow-list",
        area: Images,
        severity: High,
        cks_domain: cks::SUPPLY_CHAIN,
        rationale: "Images should come only from registries the organisation controls or trusts; anything else bypasses scanning and signing.",
        remediation: "Mirror the image into an allowed registry, or add the registry to the allow-list (`--allowed-registry`) if it is trusted.",
        references: &[r("kubescape", "C-0078"), r("kubescape", "C-0001")],
        doc_url: IMG_DOC,
    },
    Rule {
        id: "IMG004",
        name: "pull-policy-not-always",
        title: "Mutable image not pulled with imagePullPolicy: Always",
        area: Images,
        severity: Low,
        cks_domain: cks::SUPPLY_CHAIN,
        rationale: "With IfNotPresent a node keeps running whatever it cached under a mutable tag, and pods may use cached private images without presenting pull credentials.",
        remediation: "Pin by digest, or set `imagePullPolicy: Always`.",
        references: &[
            r("checkov", "CKV_K8S_15"),
            r("kubescape", "C-0075"),
            r("polaris", "pullPolicyNotAlways"),
        ],
        doc_url: IMG_DOC,
    },
    // ---- Least privilege beyond PSS ----
    Rule {
        id: "POD001",
        name: "missing-requests",
        title: "CPU or memory requests not set",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::MICROSERVICE,
        rationale: "Without requests the scheduler cannot place the pod sensibly and the pod is the first to be evicted under pressure.",
        remediation: "```yaml\nresources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\n```",
        references: &[
            r("checkov", "CKV_K8S_10"),
            r("checkov", "CKV_K8S_12"),
            r("kubescape", "C-0268"),
            r("kubescape", "C-0269"),
            r("polaris", "cpuRequestsMissing"),
            r("polaris", "memoryRequestsMissing"),
            r("kube-linter", "unset-cpu-requirements"),
        ],
        doc_url: RES_DOC,
    },
    Rule {
        id: "POD002",
        name: "missing-limits",
        title: "CPU or memory limits not set",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::MICROSERVICE,
        rationale: "A container without a memory limit can exhaust the node (a denial of service for its neighbours).",
        remediation: "```yaml\nresources:\n  limits:\n    memory: 256Mi\n    cpu: 500m\n```",
        references: &[
            r("checkov", "CKV_K8S_11"),
            r("checkov", "CKV_K8S_13"),
            r("kubescape", "C-0270"),
            r("kubescape", "C-0271"),
            r("polaris", "cpuLimitsMissing"),
            r("polaris", "memoryLimitsMissing"),
            r("kube-linter", "unset-memory-requirements"),
        ],
        doc_url: RES_DOC,
    },
    Rule {
        id: "POD003",
        name: "runs-as-root",
        title: "Container may run as root",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "A process running as UID 0 in the container is root on the node if it escapes; runAsNonRoot: true makes the kubelet refuse root images.",
        remediation: "```yaml\nsecurityContext:\n  runAsNonRoot: true\n  runAsUser: 10001\n```",
        references: &[
            r("cis", "5.2.7"),
            r("checkov", "CKV_K8S_23"),
            r("kubescape", "C-0013"),
            r("polaris", "runAsRootAllowed"),
            r("kube-linter", "run-as-non-root"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD004",
        name: "low-uid-gid",
        title: "UID or GID below 10000",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::MICROSERVICE,
        rationale: "Low UIDs and GIDs overlap with host system accounts; a container escape then acts as a real user of the node.",
        remediation: "```yaml\nsecurityContext:\n  runAsUser: 10001\n  runAsGroup: 10001\n```",
        references: &[r("checkov", "CKV_K8S_40")],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD005",
        name: "writable-root-filesystem",
        title: "Root filesystem is writable",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::RUNTIME,
        rationale: "An immutable root filesystem stops an attacker from dropping tools or changing binaries in the running container.",
        remediation: "```yaml\nsecurityContext:\n  readOnlyRootFilesystem: true\n```\nMount an emptyDir where the process must write.",
        references: &[
            r("checkov", "CKV_K8S_22"),
            r("kubescape", "C-0017"),
            r("polaris", "notReadOnlyRootFilesystem"),
            r("kube-linter", "no-read-only-root-fs"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD006",
        name: "net-raw-not-dropped",
        title: "NET_RAW capability not dropped",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "NET_RAW (in most runtimes' default set) allows raw sockets: ARP and DNS spoofing against other pods on the node.",
        remediation: "```yaml\nsecurityContext:\n  capabilities:\n    drop: [\"ALL\"]\n```",
        references: &[
            r("cis", "5.2.8"),
            r("checkov", "CKV_K8S_28"),
            r("kubescape", "C-0199"),
            r("kube-linter", "drop-net-raw-capability"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD007",
        name: "dangerous-capabilities",
        title: "Dangerous capability added",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, BPF and ALL each give near-root power over the node's kernel.",
        remediation: "Remove the capability from `securityContext.capabilities.add`; if the workload truly needs it, isolate it on dedicated nodes.",
        references: &[
            r("checkov", "CKV_K8S_39"),
            r("kubescape", "C-0046"),
            r("polaris", "dangerousCapabilities"),
        ],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD008",
        name: "runtime-socket",
        title: "Container runtime socket mounted",
        area: PodSecurity,
        severity: Critical,
        cks_domain: cks::MICROSERVICE,
        rationale: "Access to the Docker, containerd or CRI-O socket is root on the node: it can start privileged containers at will.",
        remediation: "Do not mount the runtime socket; build images with rootless tools (BuildKit rootless, kaniko) instead.",
        references: &[
            r("checkov", "CKV_K8S_27"),
            r("kubescape", "C-0074"),
            r("kube-linter", "docker-sock"),
        ],
        doc_url: "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    },
    Rule {
        id: "POD009",
        name: "sensitive-host-path",
        title: "Sensitive host path mounted",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::SYSTEM_HARDENING,
        rationale: "Paths such as /, /etc, /proc, /var/lib/kubelet or /etc/kubernetes hold node credentials and configuration.",
        remediation: "Mount only the narrow path the agent needs, read-only, or use a CSI driver.",
        references: &[
            r("kubescape", "C-0048"),
            r("kube-linter", "sensitive-host-mounts"),
        ],
        doc_url: "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    },
    Rule {
        id: "POD010",
        name: "writable-host-path",
        title: "hostPath mounted writable",
        area: PodSecurity,
        severity: High,
        cks_domain: cks::MICROSERVICE,
        rationale: "A writable hostPath lets the container change files on the node, for example planting binaries or symlinks the kubelet follows.",
        remediation: "```yaml\nvolumeMounts:\n- name: logs\n  mountPath: /var/log\n  readOnly: true\n```",
        references: &[
            r("kubescape", "C-0045"),
            r("kube-linter", "writable-host-mount"),
        ],
        doc_url: "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    },
    Rule {
        id: "POD011",
        name: "sa-token-automount",
        title: "Service account token mounted automatically",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "Most applications never call the API server; an automatically mounted token is a free credential for whoever compromises the pod.",
        remediation: "```yaml\nspec:\n  automountServiceAccountToken: false\n```\n(or on the ServiceAccount).",
        references: &[
            r("cis", "5.1.6"),
            r("checkov", "CKV_K8S_38"),
            r("kubescape", "C-0034"),
            r("kubescape", "C-0190"),
            r("polaris", "automountServiceAccountToken"),
        ],
        doc_url: SA_DOC,
    },
    Rule {
        id: "POD012",
        name: "default-service-account",
        title: "Workload uses the default service account",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "Permissions granted to `default` silently apply to every workload in the namespace that does not name its own account.",
        remediation: "Create a dedicated ServiceAccount per workload and set `serviceAccountName`.",
        references: &[
            r("cis", "5.1.5"),
            r("kubescape", "C-0189"),
            r("kube-linter", "default-service-account"),
        ],
        doc_url: SA_DOC,
    },
    Rule {
        id: "POD013",
        name: "secret-in-env",
        title: "Secret passed as an environment variable",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "Environment variables leak into crash dumps, logs, child processes and `kubectl describe`-style tooling; files are safer.",
        remediation: "Mount the Secret as a volume and read it from a file.",
        references: &[
            r("cis", "5.4.1"),
            r("checkov", "CKV_K8S_35"),
            r("kubescape", "C-0207"),
            r("kube-linter", "read-secret-from-env-var"),
        ],
        doc_url: SECRET_DOC,
    },
    Rule {
        id: "POD014",
        name: "host-aliases",
        title: "Pod rewrites /etc/hosts with hostAliases",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::MICROSERVICE,
        rationale: "hostAliases override DNS for the pod; they are a way to redirect traffic (including to exfiltration endpoints) that bypasses cluster DNS and its logging.",
        remediation: "Remove `hostAliases` and use DNS records or Services.",
        references: &[r("trivy", "KSV007")],
        doc_url: "https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/",
    },
    Rule {
        id: "POD015",
        name: "ssh-port",
        title: "SSH port exposed",
        area: PodSecurity,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "An SSH server in a container is an unmanaged way in that bypasses RBAC and the audit log.",
        remediation: "Remove the SSH server; use `kubectl exec` (audited) or an ephemeral debug container.",
        references: &[r("kubescape", "C-0042"), r("kube-linter", "ssh-port")],
        doc_url: SC_DOC,
    },
    Rule {
        id: "POD016",
        name: "default-namespace",
        title: "Workload in the default namespace",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "The default namespace rarely has Pod Security labels, NetworkPolicies or RBAC scoping; workloads there share everything.",
        remediation: "Create a namespace per application and set `metadata.namespace`.",
        references: &[
            r("cis", "5.7.4"),
            r("checkov", "CKV_K8S_21"),
            r("kubescape", "C-0061"),
            r("kubescape", "C-0212"),
            r("kube-linter", "use-namespace"),
        ],
        doc_url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    },
    Rule {
        id: "POD017",
        name: "naked-pod",
        title: "Pod not managed by a controller",
        area: PodSecurity,
        severity: Low,
        cks_domain: cks::MICROSERVICE,
        rationale: "A bare pod is not rescheduled, not rolled out through review and is often a leftover debug shell.",
        remediation: "Run it from a Deployment, Job or other controller, or delete it when the debugging is done.",
        references: &[r("kubescape", "C-0073")],
        doc_url: "https://kubernetes.io/docs/concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs",
    },
    // ---- Network ----
    Rule {
        id: "NET001",
        name: "no-default-deny",
        title: "Namespace without a default-deny NetworkPolicy",
        area: Network,
        severity: Medium,
        cks_domain: cks::CLUSTER_SETUP,
        rationale: "Without a default-deny policy every pod accepts traffic from every other pod in the cluster: one compromised pod can reach them all.",
        remediation: "```yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n```",
        references: &[
            r("cis", "5.3.2"),
            r("checkov", "CKV2_K8S_6"),
            r("kubescape", "C-0206"),
            r("kubescape", "C-0260"),
            r("polaris", "missingNetworkPolicy"),
            r("kube-linter", "non-isolated-pod"),
        ],
        doc_url: NETPOL_DOC,
    },
    // ---- RBAC ----
    Rule {
        id: "RBAC001",
        name: "wildcard-rules",
        title: "Role grants wildcard verbs or resources",
        area: Rbac,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "`*` grants every current and future verb or resource, including ones added later by CRDs.",
        remediation: "List the exact apiGroups, resources and verbs the subject needs.",
        references: &[
            r("cis", "5.1.3"),
            r("checkov", "CKV_K8S_49"),
            r("kubescape", "C-0187"),
            r("kube-linter", "wildcard-in-rules"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC002",
        name: "cluster-admin-binding",
        title: "cluster-admin bound to a non-system subject",
        area: Rbac,
        severity: Critical,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "cluster-admin is unrestricted access to everything; it belongs to break-glass procedures, not to users, groups or workloads.",
        remediation: "Bind a narrower role; keep cluster-admin for a break-glass group.",
        references: &[
            r("cis", "5.1.1"),
            r("kubescape", "C-0185"),
            r("kubescape", "C-0035"),
            r("polaris", "clusterrolebindingClusterAdmin"),
            r("polaris", "rolebindingClusterAdminClusterRole"),
            r("kube-linter", "cluster-admin-role-binding"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC003",
        name: "secret-read",
        title: "Subject can read Secrets",
        area: Rbac,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "get, list or watch on secrets reveals every credential in scope (list and watch return the values too).",
        remediation: "Grant access to named secrets only (`resourceNames`), or mount them into the workload instead.",
        references: &[
            r("cis", "5.1.2"),
            r("checkov", "CKV2_K8S_5"),
            r("kubescape", "C-0186"),
            r("kubescape", "C-0015"),
            r("kube-linter", "access-to-secrets"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC004",
        name: "pod-exec",
        title: "Subject can exec into or attach to pods",
        area: Rbac,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "pods/exec and pods/attach run commands inside any pod in scope, with that pod's service account and secrets.",
        remediation: "Remove pods/exec and pods/attach from the role; grant them just in time when needed.",
        references: &[
            r("checkov", "CKV2_K8S_2"),
            r("kubescape", "C-0002"),
            r("polaris", "clusterrolePodExecAttach"),
            r("polaris", "rolePodExecAttach"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC005",
        name: "escalate-bind-impersonate",
        title: "Subject can escalate, bind or impersonate",
        area: Rbac,
        severity: Critical,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "escalate and bind let a subject grant itself permissions it does not have; impersonate lets it act as any user, group or service account.",
        remediation: "Remove these verbs except for the RBAC administrators who need them.",
        references: &[
            r("cis", "5.1.8"),
            r("checkov", "CKV_K8S_157"),
            r("checkov", "CKV_K8S_158"),
            r("checkov", "CKV2_K8S_3"),
            r("kubescape", "C-0191"),
            r("kubescape", "C-0065"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC006",
        name: "nodes-proxy",
        title: "Subject can use nodes/proxy",
        area: Rbac,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "nodes/proxy reaches the kubelet API, which can run commands in any pod on the node and bypasses the audit log's view of exec.",
        remediation: "Remove nodes/proxy; monitoring agents rarely need more than nodes/metrics.",
        references: &[
            r("cis", "5.1.10"),
            r("checkov", "CKV2_K8S_2"),
            r("kubescape", "C-0279"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC007",
        name: "token-create",
        title: "Subject can mint service account tokens",
        area: Rbac,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "create on serviceaccounts/token issues tokens for any service account in scope, that is, its permissions.",
        remediation: "Remove serviceaccounts/token create from the role.",
        references: &[r("cis", "5.1.13"), r("kubescape", "C-0282")],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "RBAC008",
        name: "create-pods-kube-system",
        title: "Subject can create pods in kube-system",
        area: Rbac,
        severity: Critical,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "A pod in kube-system can mount the service accounts of control-plane add-ons, several of which are cluster-admin equivalents.",
        remediation: "Remove the grant; deploy into kube-system only through the cluster's provisioning pipeline.",
        references: &[
            r("cis", "5.1.4"),
            r("kubescape", "C-0188"),
            r("kube-linter", "access-to-create-pods"),
        ],
        doc_url: RBAC_DOC,
    },
    // ---- Audit log ----
    Rule {
        id: "AUD001",
        name: "exec-into-pod",
        title: "Command run in a pod (exec or attach)",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "kubectl exec and attach run commands inside a container with its service account and secrets; outside break-glass work this is how attackers move and read credentials. Since kubectl 1.30 exec arrives as verb get over WebSocket, so kaudit matches the subresource, not the verb.",
        remediation: "Confirm who ran it and why; remove pods/exec and pods/attach from everyday roles and grant them just in time.",
        references: &[
            r("falco", "Attach/Exec Pod"),
            r("kubescape", "C-0002"),
            r("sigma", "Remote Command Execution In Pod Container"),
        ],
        doc_url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
    },
    Rule {
        id: "AUD002",
        name: "port-forward",
        title: "Port-forward or proxy to a pod",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "port-forward and the pods/services proxy tunnel traffic past NetworkPolicies into the pod network.",
        remediation: "Restrict pods/portforward and pods/proxy to the people who need them.",
        references: &[r("falco", "port-forward")],
        doc_url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
    },
    Rule {
        id: "AUD003",
        name: "anonymous-request",
        title: "Anonymous request allowed",
        area: AuditLog,
        severity: Critical,
        cks_domain: cks::CLUSTER_SETUP,
        rationale: "An unauthenticated request that the API server allowed (beyond the health endpoints) means RBAC grants something to system:anonymous or system:unauthenticated.",
        remediation: "Remove bindings to system:anonymous and system:unauthenticated; consider --anonymous-auth=false on the API server.",
        references: &[r("falco", "Anonymous Request Allowed"), r("cis", "1.2.1")],
        doc_url: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
    },
    Rule {
        id: "AUD004",
        name: "secret-read-logged",
        title: "Secret read by a person or an unexpected identity",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "Reading Secrets yields credentials; controllers do it constantly, people and workloads rarely should. A list without a namespace dumps every Secret of the cluster.",
        remediation: "Check who read which secret; rotate it if the read was not expected; narrow RBAC on secrets.",
        references: &[r("falco", "K8s Secret Get Successfully")],
        doc_url: "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    },
    Rule {
        id: "AUD005",
        name: "cluster-admin-bound",
        title: "cluster-admin granted by a new binding",
        area: AuditLog,
        severity: Critical,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "A ClusterRoleBinding or RoleBinding to cluster-admin hands out unrestricted access; it is the classic persistence step after a compromise.",
        remediation: "Confirm the change was approved; remove the binding otherwise.",
        references: &[r("falco", "Attach to cluster-admin Role")],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "AUD006",
        name: "risky-role-created",
        title: "Role with wildcards, pods/exec or escalation verbs created",
        area: AuditLog,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "New roles with `*`, pods/exec, escalate, bind or impersonate widen what their subjects can do, often beyond what anyone reviews.",
        remediation: "Review the role; list exact resources and verbs instead.",
        references: &[
            r("falco", "ClusterRole With Wildcard Created"),
            r("falco", "ClusterRole With Pod Exec Created"),
        ],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "AUD007",
        name: "privileged-pod-created",
        title: "Privileged or host-namespace pod created",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "A pod created privileged or in the host's network, PID or IPC namespace can take over its node.",
        remediation: "Find the workload that created it; enforce the baseline Pod Security level in its namespace.",
        references: &[
            r("falco", "Create Privileged Pod"),
            r("falco", "Create HostNetwork Pod"),
            r("falco", "Create HostPid Pod"),
            r("falco", "Create HostIPC Pod"),
        ],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "AUD008",
        name: "sensitive-mount-pod-created",
        title: "Pod with a sensitive host mount created",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "Mounting /, /etc, /proc, the runtime socket or the kubelet's folders gives the pod the node.",
        remediation: "Find the workload that created it; replace the hostPath with a narrow, read-only mount or a CSI volume.",
        references: &[r("falco", "Create Sensitive Mount Pod")],
        doc_url: PSS_DOC,
    },
    Rule {
        id: "AUD009",
        name: "nodeport-service",
        title: "NodePort service created",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_SETUP,
        rationale: "NodePort exposes a service on every node's address, usually past the ingress and its TLS and authentication.",
        remediation: "Use a ClusterIP service behind an ingress or a LoadBalancer with source ranges.",
        references: &[r("falco", "Create NodePort Service")],
        doc_url: "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport",
    },
    Rule {
        id: "AUD010",
        name: "credentials-in-configmap",
        title: "ConfigMap written with credentials in it",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "ConfigMaps are readable by anyone who can read configuration; passwords and keys belong in Secrets.",
        remediation: "Move the values to a Secret and rotate them.",
        references: &[r(
            "falco",
            "Create/Modify Configmap With Private Credentials",
        )],
        doc_url: SECRET_DOC,
    },
    Rule {
        id: "AUD011",
        name: "pod-in-kube-system",
        title: "Pod created in a system namespace",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "Pods in kube-system can use the service accounts of control-plane add-ons; outside add-on images this is a persistence trick.",
        remediation: "Check the pod's image and creator; delete it if it is not a cluster add-on.",
        references: &[r("falco", "Pod Created in Kube Namespace")],
        doc_url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    },
    Rule {
        id: "AUD012",
        name: "serviceaccount-in-kube-system",
        title: "Service account created in a system namespace",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "New service accounts in kube-system blend in with the control plane's own.",
        remediation: "Check who created it and what is bound to it.",
        references: &[r("falco", "Service Account Created in Kube Namespace")],
        doc_url: SA_DOC,
    },
    Rule {
        id: "AUD013",
        name: "ephemeral-container",
        title: "Ephemeral debug container added (kubectl debug)",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "kubectl debug adds a container to a running pod, often with more privileges than the pod's own.",
        remediation: "Confirm the debugging session was expected.",
        references: &[r("falco", "EphemeralContainers Created")],
        doc_url: "https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container",
    },
    Rule {
        id: "AUD014",
        name: "events-deleted",
        title: "Events deleted",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "Deleting events removes traces from kubectl get events: a classic clean-up step.",
        remediation: "Find who deleted them and why.",
        references: &[r("sigma", "Events Deleted")],
        doc_url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
    },
    Rule {
        id: "AUD015",
        name: "denied-burst",
        title: "Burst of denied or unauthenticated requests",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "Many 401 or 403 answers to one identity from one address in a short time is reconnaissance: someone probing what a credential can do.",
        remediation: "Find the identity and the source address; revoke the credential if it was stolen.",
        references: &[r("sigma", "Unauthorized or Unauthenticated Access")],
        doc_url: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
    },
    Rule {
        id: "AUD016",
        name: "impersonation",
        title: "Request made by impersonation",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "Impersonation lets a caller act as another user, group or service account; outside known proxies it hides who really acted.",
        remediation: "Check that the impersonating identity is expected to do this.",
        references: &[],
        doc_url: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
    },
    Rule {
        id: "AUD017",
        name: "token-minted",
        title: "Service account token minted",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "kubectl create token issues a credential for a service account; outside the kubelet this is a way to borrow its permissions.",
        remediation: "Check who minted it and for which account.",
        references: &[],
        doc_url: SA_DOC,
    },
    Rule {
        id: "AUD018",
        name: "pod-security-violation",
        title: "Pod Security audit violation recorded",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::MICROSERVICE,
        rationale: "The API server's Pod Security Admission annotated the request as violating the namespace's audit level.",
        remediation: "Fix the workload, or raise the namespace's enforce level once it is clean.",
        references: &[],
        doc_url: PSA_DOC,
    },
    Rule {
        id: "AUD019",
        name: "kubelet-api-via-nodes-proxy",
        title: "Kubelet API reached through nodes/proxy",
        area: AuditLog,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "nodes/proxy forwards to the kubelet's API, whose /exec and /run endpoints run commands in any pod of the node; the API server audits only the proxy call, not what ran, and admission never sees it.",
        remediation: "Remove nodes/proxy from every role that is not a monitoring agent reading /metrics; find out what was run on the node.",
        references: &[],
        doc_url: RBAC_DOC,
    },
    Rule {
        id: "AUD020",
        name: "admission-webhook-changed",
        title: "Admission webhook or policy changed",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "Admission webhooks and policies see and may rewrite every object; deleting or loosening one switches off enforcement (image signatures, Pod Security beyond PSA), adding one can inject containers into every pod.",
        remediation: "Confirm the change came from the policy engine's own rollout; restore the configuration otherwise.",
        references: &[r("sigma", "Admission Controller Modification")],
        doc_url: "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
    },
    Rule {
        id: "AUD021",
        name: "client-certificate-requested",
        title: "Certificate signing request created or approved",
        area: AuditLog,
        severity: High,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "A CSR for the API server client signer, once approved, is a credential that cannot be revoked before it expires; approving one by hand is how an attacker with CSR rights mints cluster credentials for any user and group.",
        remediation: "Deny unexpected requests; restrict create and approve on certificatesigningrequests; if one was approved, rotate the cluster CA or wait out the certificate and audit its use.",
        references: &[],
        doc_url: "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/",
    },
    Rule {
        id: "AUD022",
        name: "stale-or-legacy-token",
        title: "Stale or legacy service account token used",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "The API server flags tokens kept beyond their warning time and long-lived secret-based tokens: both outlive the pods they were made for and are what leaks and gets replayed.",
        remediation: "Move the client to projected, short-lived tokens (TokenRequest); delete legacy token Secrets.",
        references: &[],
        doc_url: SA_DOC,
    },
    Rule {
        id: "AUD023",
        name: "kube-system-changed",
        title: "Object changed in kube-system by a non-system identity",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::CLUSTER_HARDENING,
        rationale: "kube-system holds the cluster's own components; a person or workload changing its ConfigMaps, roles or deployments (coredns, kube-proxy, aws-auth) can redirect DNS, traffic or authentication for the whole cluster.",
        remediation: "Confirm the change was a reviewed operation; restore the object otherwise.",
        references: &[],
        doc_url: "https://kubernetes.io/docs/concepts/security/multi-tenancy/",
    },
    // ---- Audit policy (--audit-policy) ----
    Rule {
        id: "AUDP01",
        name: "audit-policy-invalid",
        title: "Audit policy that kube-apiserver refuses or misreads",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "kube-apiserver does not start with an invalid policy (no rules, unknown level or stage, a versioned group, resourceNames without resources, a * inside a nonResourceURL) and accepts only audit.k8s.io/v1 since 1.24: the cluster ends up with no audit log at all.",
        remediation: "Fix the named fields; validate with `kube-apiserver --audit-policy-file` on a test node before rolling out.",
        references: &[r("cis", "3.2.1")],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP02",
        name: "audit-policy-no-catch-all",
        title: "Audit policy without a catch-all rule",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "A request no rule selects is logged at None: without a final rule that selects everything, new resources and API groups are invisible.",
        remediation: "End the rules with `- level: Metadata`.",
        references: &[r("cis", "3.2.1")],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP03",
        name: "audit-policy-logs-secrets",
        title: "Audit policy writes secret values to the log",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "At Request or RequestResponse the log holds request and response bodies: Secret data, ConfigMap contents, TokenReview and TokenRequest tokens end up in files that are shipped and kept for months.",
        remediation: "Log secrets, configmaps, tokenreviews and serviceaccounts/token at Metadata, in a rule placed before broader ones:\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets, configmaps, serviceaccounts/token]\n  - group: authentication.k8s.io\n    resources: [tokenreviews]",
        references: &[r("cis", "3.2.2"), r("kubescape", "C-0161")],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP04",
        name: "audit-policy-misses-exec",
        title: "Audit policy does not log exec, attach, port-forward or proxies",
        area: AuditLog,
        severity: High,
        cks_domain: cks::RUNTIME,
        rationale: "pods/exec, attach, portforward and the pods, services and nodes proxies are how people and attackers act inside workloads; at level None they leave no trace (a rule for `pods` does not cover its subresources).",
        remediation: "Log them at Metadata:\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [pods/exec, pods/attach, pods/portforward, pods/proxy, services/proxy, nodes/proxy]",
        references: &[r("cis", "3.2.2"), r("kubescape", "C-0161")],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP05",
        name: "audit-policy-no-bodies",
        title: "Audit policy logs pod and RBAC changes without their bodies",
        area: AuditLog,
        severity: Medium,
        cks_domain: cks::RUNTIME,
        rationale: "Below Request the log has no request body: a privileged pod, a hostPath mount or a binding to cluster-admin look like any other create, so those detections cannot fire.",
        remediation: "Log pods, workload controllers and the rbac.authorization.k8s.io group at Request (or RequestResponse).",
        references: &[r("cis", "3.2.2")],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP06",
        name: "audit-policy-request-received",
        title: "Audit policy logs the RequestReceived stage",
        area: AuditLog,
        severity: Low,
        cks_domain: cks::RUNTIME,
        rationale: "Every request is then written twice, once before it is handled; the extra event carries nothing a detection needs and doubles storage and shipping.",
        remediation: "Add `omitStages: [RequestReceived]` at the top of the policy.",
        references: &[],
        doc_url: AUDIT_DOC,
    },
    Rule {
        id: "AUDP07",
        name: "audit-policy-shadowed-rules",
        title: "Audit policy rules that are never used",
        area: AuditLog,
        severity: Low,
        cks_domain: cks::RUNTIME,
        rationale: "The first matching rule decides; rules after one that matches every request never apply, so whatever they were meant to log (or keep out) is decided by the earlier rule.",
        remediation: "Move the catch-all rule to the end.",
        references: &[],
        doc_url: AUDIT_DOC,
    },
];

/// The rule with this ID or name (case-insensitive).
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name))
}

/// FNV-1a of a rule ID: a cheap, fixed hash for the lookup table below.
fn id_hash(id: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize
}

const TABLE_SIZE: usize = 512;

/// Open-addressing table from rule ID to its position in [`RULES`]: checks look rules up
/// hundreds of thousands of times per scan.
static BY_ID: std::sync::LazyLock<[u16; TABLE_SIZE]> = std::sync::LazyLock::new(|| {
    let mut table = [u16::MAX; TABLE_SIZE];
    for (i, r) in RULES.iter().enumerate() {
        let mut slot = id_hash(r.id) % TABLE_SIZE;
        while table[slot] != u16::MAX {
            slot = (slot + 1) % TABLE_SIZE;
        }
        table[slot] = i as u16;
    }
    table
});

/// Position in [`RULES`] of a rule ID written in this crate.
pub fn index(id: &str) -> usize {
    let table = &*BY_ID;
    let mut slot = id_hash(id) % TABLE_SIZE;
    loop {
        match table[slot] {
            // A typo in a rule ID inside kaudit itself; the catalog tests catch it.
            u16::MAX => panic!("rule {id} is not in the catalog"),
            // The same literal is usually the same pointer: skip comparing the text then.
            i if std::ptr::eq(RULES[i as usize].id, id) || RULES[i as usize].id == id => {
                return i as usize;
            }
            _ => slot = (slot + 1) % TABLE_SIZE,
        }
    }
}

/// The rule with this ID; for IDs written in this crate.
pub fn rule(id: &str) -> &'static Rule {
    &RULES[index(id)]
}

/// The PSS rule for a reference check ID.
pub fn for_pss_check(check: &str) -> Option<&'static Rule> {
    // Asked for every check of every workload: a table built once.
    static BY_CHECK: std::sync::LazyLock<Vec<(&'static str, &'static Rule)>> =
        std::sync::LazyLock::new(|| {
            RULES
                .iter()
                .filter(|r| r.id.starts_with("PSS"))
                .filter_map(|r| {
                    r.references
                        .first()
                        .filter(|x| x.source == "pss")
                        .map(|x| (x.id, r))
                })
                .collect()
        });
    BY_CHECK
        .iter()
        .find(|(id, _)| *id == check)
        .map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_names_are_unique_and_every_pss_check_has_a_rule() {
        let ids: HashSet<_> = RULES.iter().map(|r| r.id).collect();
        let names: HashSet<_> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(ids.len(), RULES.len());
        assert_eq!(names.len(), RULES.len());
        for check in crate::pss::checks::CHECKS {
            assert!(
                for_pss_check(check.id).is_some(),
                "no rule for {}",
                check.id
            );
        }
        assert_eq!(find("privileged").map(|r| r.id), Some("PSS002"));
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(index(r.id), i);
        }
        assert_eq!(
            find("pod005").map(|r| r.name),
            Some("writable-root-filesystem")
        );
    }
}
