//! The option groups subcommands share (what to read, where the history is, registries,
//! Trivy's databases, trusted signers, checks, audit logs, the TUI): each subcommand
//! flattens the groups it uses, so its help lists only options it takes.

use crate::pss::Version;
use crate::session::SessionOptions;
use crate::sources::Source;
use crate::sources::live::LiveOptions;
use clap::Args;
use std::path::PathBuf;

/// What to audit: manifests, a snapshot, the demo, else a live cluster.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Source")]
pub struct SourceArgs {
    /// Read manifests (files, folders, `-` for stdin): YAML streams, JSON, `kind: List`, Helm output.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
    /// Read a snapshot written by `kaudit snapshot` (or any complete cluster dump).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Use the embedded demo cluster.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

impl SourceArgs {
    /// The source chosen: `--demo`, `--manifests`, `--snapshot`, else the kubeconfig's
    /// cluster.
    pub fn source(&self) -> anyhow::Result<Source> {
        let chosen = [
            self.demo,
            !self.manifests.is_empty(),
            self.snapshot.is_some(),
        ];
        if chosen.iter().filter(|b| **b).count() > 1 {
            anyhow::bail!("choose one source: --demo, --manifests or --snapshot");
        }
        Ok(if self.demo {
            Source::Demo
        } else if let Some(path) = &self.snapshot {
            Source::Snapshot(path.clone())
        } else if !self.manifests.is_empty() {
            Source::Manifests(self.manifests.clone())
        } else {
            Source::Live(self.cluster.live_options())
        })
    }
}

/// A live cluster, as kubectl finds it.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterArgs {
    /// Kubeconfig context (live clusters).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubeconfig file (live clusters); without it, KUBECONFIG or ~/.kube/config, as kubectl.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig cluster to use instead of the context's.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Kubeconfig user to use instead of the context's.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Audit only this namespace (repeatable or comma-separated); cluster-scoped objects
    /// such as ClusterRoles are still read. The default is every namespace.
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub namespaces: Vec<String>,
    /// Audit every namespace (the default; accepted for kubectl habits).
    #[arg(short = 'A', long = "all-namespaces", conflicts_with = "namespaces")]
    pub all_namespaces: bool,
    /// Time-out of one API request, in seconds (kubectl's --request-timeout; default 30).
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<u64>,
}

impl ClusterArgs {
    pub fn live_options(&self) -> LiveOptions {
        LiveOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            namespaces: self
                .namespaces
                .iter()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect(),
            request_timeout: std::time::Duration::from_secs(
                self.request_timeout.unwrap_or(30).max(1),
            ),
            ..LiveOptions::default()
        }
    }

    /// A cluster was named (`--context` or `--kubeconfig`).
    pub fn named(&self) -> bool {
        self.context.is_some() || self.kubeconfig.is_some()
    }
}

/// The history context of `kaudit history` and `kaudit triage`.
#[derive(Args, Debug, Default, Clone)]
pub struct ContextArgs {
    /// Only this kubeconfig context's audits.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only the audits of these manifests (their folder is their context).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
}

impl ContextArgs {
    /// The history context the user names: `--context NAME`, or the folder of `--manifests`.
    pub fn history_context(&self) -> Option<String> {
        self.context.clone().or_else(|| {
            (!self.manifests.is_empty()).then(|| crate::sources::manifests_context(&self.manifests))
        })
    }
}

/// Where kaudit keeps its history and caches.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "History")]
pub struct DataDirOpts {
    /// Where the audit history lives (default: the platform's data folder).
    #[arg(long, value_name = "DIR", env = "KAUDIT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataDirOpts {
    /// The store's file: `--data-dir` (or `KAUDIT_DATA_DIR`), else the platform's data
    /// folder.
    pub fn store_path(&self) -> Option<PathBuf> {
        self.data_dir
            .clone()
            .or_else(super::data_dir)
            .map(|d| d.join(crate::store::FILE_NAME))
    }

    pub fn required_store_path(&self) -> anyhow::Result<PathBuf> {
        self.store_path().ok_or_else(|| {
            anyhow::anyhow!(
                "no data folder on this system; give one with --data-dir or KAUDIT_DATA_DIR"
            )
        })
    }

    /// kaudit's cache folder (Trivy databases from `kaudit db update`).
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.data_dir
            .clone()
            .or_else(super::data_dir)
            .map(|d| d.join("cache"))
    }
}

/// The history of a run that audits: used unless `--no-store`.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "History")]
pub struct StoreOpts {
    #[command(flatten)]
    pub dir: DataDirOpts,
    /// A throwaway run: nothing is read from or written to the audit history.
    #[arg(long)]
    pub no_store: bool,
}

impl StoreOpts {
    /// The store's file; `None` with `--no-store`.
    pub fn used_path(&self) -> Option<PathBuf> {
        self.dir.store_path().filter(|_| !self.no_store)
    }
}

/// How registries are reached.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Registries")]
pub struct RegistryOpts {
    /// A registry (`host:port`) to reach over plain HTTP; loopback registries always are
    /// (repeatable).
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Seconds to wait for a registry to connect or to send the next bytes.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub registry_timeout: u64,
}

impl Default for RegistryOpts {
    fn default() -> Self {
        RegistryOpts {
            insecure_registry: Vec::new(),
            registry_timeout: 30,
        }
    }
}

/// Which image of a multi-platform index is read.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Registries")]
pub struct PlatformOpts {
    /// The platform to read from multi-platform images (default: linux on this machine's
    /// architecture).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform)]
    pub platform: Option<crate::registry::Platform>,
}

impl PlatformOpts {
    pub fn platform(&self) -> crate::registry::Platform {
        self.platform
            .clone()
            .unwrap_or_else(crate::registry::Platform::host)
    }
}

impl RegistryOpts {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.registry_timeout.max(1))
    }
}

/// Trivy's databases.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Vulnerability databases")]
pub struct VulnDbOpts {
    /// Trivy's vulnerability database (default: Trivy's cache, then kaudit's own from
    /// `kaudit db update`).
    #[arg(long, value_name = "FILE", env = "KAUDIT_TRIVY_DB")]
    pub trivy_db: Option<PathBuf>,
    /// Trivy's Java DB, which names JARs by SHA-1 (default: Trivy's cache, then kaudit's
    /// own from `kaudit db update --java`; without one, JARs are named by their
    /// pom.properties only).
    #[arg(long, value_name = "FILE", env = "KAUDIT_JAVA_DB")]
    pub java_db: Option<PathBuf>,
}

/// The signers to trust.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Trusted signers")]
pub struct TrustOpts {
    /// A trusted public key for signatures (PEM: ECDSA P-256/P-384, RSA, Ed25519), as
    /// `cosign generate-key-pair` writes cosign.pub; repeatable.
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    /// The keyless signer to trust, as cosign takes it: compared with every SAN of the
    /// signing certificate (email, URI, DNS, IP). Needs --certificate-oidc-issuer[-regexp].
    #[arg(long, value_name = "IDENTITY")]
    pub certificate_identity: Option<String>,
    /// --certificate-identity as a regular expression (unanchored, as cosign's).
    #[arg(long, value_name = "REGEXP")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer of the keyless signer (`https://token.actions.githubusercontent.com`).
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// --certificate-oidc-issuer as a regular expression (unanchored, as cosign's).
    #[arg(long, value_name = "REGEXP")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// A Sigstore trusted_root.json (Fulcio CAs, Rekor, CT and timestamp keys) for keyless
    /// signatures and Rekor proofs; default: the public-good root embedded in kaudit.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl TrustOpts {
    /// The keyless identity to trust (`--certificate-identity[-regexp]` with
    /// `--certificate-oidc-issuer[-regexp]`); `None` when not given.
    pub fn identity(&self) -> anyhow::Result<Option<crate::signatures::trust::Identity>> {
        crate::signatures::trust::Identity::from_flags(
            self.certificate_identity.as_deref(),
            self.certificate_identity_regexp.as_deref(),
            self.certificate_oidc_issuer.as_deref(),
            self.certificate_oidc_issuer_regexp.as_deref(),
        )
        .map_err(anyhow::Error::msg)
    }
}

/// What the cluster audit checks beyond its manifests.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Checks")]
pub struct CheckOpts {
    /// Pod Security Standards version for the PSS rules: latest or v1.N.
    #[arg(long, default_value = "latest", value_parser = super::args::parse_version)]
    pub pss_version: Version,
    /// Registries images may come from (`registry.example.com`, `registry.example.com/team`, `*.example.com`); repeatable.
    #[arg(long = "allowed-registry", value_name = "REGISTRY")]
    pub allowed_registries: Vec<String>,
    /// Trivy JSON reports of the images (`trivy image --format json`), for the
    /// vulnerability rules; repeat for several images.
    #[arg(long = "trivy-report", value_name = "FILE")]
    pub trivy_reports: Vec<PathBuf>,
    /// Scan every image the cluster runs from its registry (its packages cached per digest
    /// in the data folder) for the vulnerability rules; needs a Trivy database.
    #[arg(long)]
    pub scan_images: bool,
    /// Look up every running image's cosign signatures in its registry and verify them
    /// with --key and the keys written in the cluster's admission policies, for the
    /// signature rules.
    #[arg(long)]
    pub verify_signatures: bool,
}

impl Default for CheckOpts {
    fn default() -> Self {
        CheckOpts {
            pss_version: Version::Latest,
            allowed_registries: Vec::new(),
            trivy_reports: Vec::new(),
            scan_images: false,
            verify_signatures: false,
        }
    }
}

/// The audit logs and policy read beside the cluster.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Audit logs")]
pub struct LogInputs {
    /// API server audit log to analyse: file, folder or glob; JSON lines, gzip, rotated sets,
    /// webhook batches (repeatable).
    #[arg(long = "audit-log", value_name = "PATH")]
    pub audit_logs: Vec<PathBuf>,
    /// The cluster's audit Policy file (kube-apiserver --audit-policy-file): linted against a
    /// CKS-grade policy; detections it makes blind are reported as not evaluated.
    #[arg(long = "audit-policy", value_name = "FILE")]
    pub audit_policy: Option<PathBuf>,
}

/// Which audit events are read and which raise findings.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Audit logs")]
pub struct LogFilters {
    /// Audit-log users to ignore (exact, or a prefix ending in `*`: `system:serviceaccount:argocd:*`);
    /// with it, any other person's request is a finding (Falco's Disallowed K8s User); repeatable.
    #[arg(long = "audit-allow-user", value_name = "USER")]
    pub allowed_users: Vec<String>,
    /// Namespaces whose audit events raise no finding; repeatable.
    #[arg(long = "audit-allow-namespace", value_name = "NAMESPACE")]
    pub allowed_namespaces: Vec<String>,
    /// Image prefixes whose pods may be privileged, mount host paths or run in kube-system
    /// without an audit-log finding (CNI, CSI, monitoring agents); with it, a pod created
    /// with any other image is a finding (Falco's Create Disallowed Pod); repeatable.
    #[arg(long = "audit-allow-image", value_name = "PREFIX")]
    pub allowed_images: Vec<String>,
    /// Namespaces people may create (exact, or a prefix ending in `*`); with it, any other
    /// namespace created is a finding (Falco's Create Disallowed Namespace); repeatable.
    #[arg(long = "audit-allow-namespace-create", value_name = "NAMESPACE")]
    pub allowed_namespace_creates: Vec<String>,
    /// Nodes that may join the cluster (exact, or a prefix ending in `*`); without it, a
    /// node created by anyone but a node's own identity is untrusted; repeatable.
    #[arg(long = "audit-allow-node", value_name = "NODE")]
    pub allowed_nodes: Vec<String>,
    /// Keep reading the active audit log as it grows, through rotation (the TUI updates;
    /// `kaudit audit-log` prints new findings as they come; Ctrl-C ends).
    #[arg(long)]
    pub follow: bool,
    /// Only audit events at or after this time (RFC 3339, e.g. 2026-11-20T00:00:00Z).
    #[arg(long, value_parser = parse_instant)]
    pub since: Option<(i64, u32)>,
    /// Only audit events before this time (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub until: Option<(i64, u32)>,
}

impl LogFilters {
    /// A window that ends before it starts.
    fn check(&self) -> anyhow::Result<()> {
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            anyhow::bail!(
                "--since {} is not before --until {}: no audit event can be in that window",
                crate::time::rfc3339(since.0),
                crate::time::rfc3339(until.0)
            );
        }
        Ok(())
    }
}

/// Accepted risks.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Triage")]
pub struct ExemptionOpts {
    /// Exemptions file (YAML: rule, subject pattern, reason, expires). The TUI writes
    /// suppressions here (default: exemptions.yaml in kaudit's config folder).
    #[arg(long, value_name = "FILE")]
    pub exemptions: Option<PathBuf>,
}

/// Everything an audit session can be asked beyond its source; a subcommand that takes
/// only some groups fills the others with their defaults.
#[derive(Args, Debug, Default, Clone)]
pub struct AuditArgs {
    #[command(flatten)]
    pub store: StoreOpts,
    #[command(flatten)]
    pub checks: CheckOpts,
    #[command(flatten)]
    pub log: LogInputs,
    #[command(flatten)]
    pub filters: LogFilters,
    #[command(flatten)]
    pub exemptions: ExemptionOpts,
    #[command(flatten)]
    pub vuln_db: VulnDbOpts,
    #[command(flatten)]
    pub trust: TrustOpts,
    #[command(flatten)]
    pub registry: RegistryOpts,
    #[command(flatten)]
    pub platform: PlatformOpts,
}

impl AuditArgs {
    /// What the session is asked to do.
    pub fn session_options(&self) -> SessionOptions {
        let store = self.store.used_path();
        SessionOptions {
            pss_version: self.checks.pss_version,
            allowed_registries: self.checks.allowed_registries.clone(),
            audit_logs: self.log.audit_logs.clone(),
            audit_policy: self.log.audit_policy.clone(),
            follow: self.filters.follow,
            window: crate::auditlog::reader::Window {
                since: self.filters.since,
                until: self.filters.until,
            },
            audit_config: crate::auditlog::detect::AuditConfig {
                allowed_users: self.filters.allowed_users.clone(),
                allowed_namespaces: self.filters.allowed_namespaces.clone(),
                allowed_images: self.filters.allowed_images.clone(),
                allowed_namespace_creates: self.filters.allowed_namespace_creates.clone(),
                allowed_nodes: self.filters.allowed_nodes.clone(),
                ..Default::default()
            },
            exemptions: self.exemptions.exemptions.clone(),
            today: crate::time::today(),
            history: crate::session::history::HistoryOptions {
                store: store.clone(),
                baseline: None,
            },
            trivy_reports: self.checks.trivy_reports.clone(),
            image_scan: self
                .checks
                .scan_images
                .then(|| crate::session::image_scan::ClusterScan {
                    trivy_db: self.vuln_db.trivy_db.clone(),
                    java_db: self.vuln_db.java_db.clone(),
                    cache: self.store.dir.cache_dir(),
                    platform: self.platform.platform(),
                    insecure: self.registry.insecure_registry.clone(),
                    timeout: self.registry.timeout(),
                    store: store.clone(),
                }),
            signature_check: self.checks.verify_signatures.then(|| {
                crate::session::signatures::SignatureCheck {
                    keys: self.trust.keys.clone(),
                    identities: self.trust.identity().ok().flatten().into_iter().collect(),
                    trusted_root: self.trust.trusted_root.clone(),
                    store: store.clone(),
                    platform: self.platform.platform(),
                    insecure: self.registry.insecure_registry.clone(),
                    timeout: self.registry.timeout(),
                }
            }),
        }
    }

    /// Options that contradict each other: a window that ends before it starts, half an
    /// identity.
    pub fn check(&self) -> anyhow::Result<()> {
        self.trust.identity()?;
        self.filters.check()
    }
}

/// The TUI's own options.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Interface")]
pub struct TuiArgs {
    /// Colour theme: dark, light or mono (NO_COLOR selects mono).
    #[arg(long, value_parser = parse_theme)]
    pub theme: Option<crate::tui::theme::ThemeName>,
    /// Let the TUI take the mouse (off by default so terminal text selection keeps working).
    #[arg(long)]
    pub mouse: bool,
    /// Who takes the triage decisions made with `m` (default: git's user.name, else the OS
    /// user).
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
}

fn parse_theme(s: &str) -> Result<crate::tui::theme::ThemeName, String> {
    s.parse()
}

fn parse_instant(s: &str) -> Result<(i64, u32), String> {
    crate::time::parse_rfc3339(s)
        .ok_or_else(|| format!("invalid time {s:?}: use RFC 3339, e.g. 2026-11-20T00:00:00Z"))
}

fn parse_platform(text: &str) -> Result<crate::registry::Platform, String> {
    crate::registry::Platform::parse(text)
        .ok_or_else(|| format!("{text:?}: expected OS/ARCH or OS/ARCH/VARIANT (linux/amd64)"))
}
