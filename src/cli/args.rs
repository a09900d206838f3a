//! The command line's arguments (clap), and what they become for the library: a
//! [`Source`] and [`SessionOptions`].

use super::EXIT_HELP;
use crate::pss::{Level, Version};
use crate::session::SessionOptions;
use crate::severity::Severity;
use crate::sources::Source;
use crate::sources::live::LiveOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "kaudit", version, about = "Audit the supply chain and workload security of a Kubernetes cluster", after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit the embedded demo cluster (no cluster needed).
    Demo(DemoArgs),
    /// Audit a source and write a report.
    Scan(ScanArgs),
    /// Evaluate manifests against a Pod Security Standards level and version, like the admission plugin.
    Pss(PssArgs),
    /// Analyse API server audit logs (no cluster needed).
    AuditLog(AuditLogArgs),
    /// List the rule catalog.
    Rules(RulesArgs),
    /// Print the TUI's keys as a Markdown table (the README's table comes from here).
    Keys,
    /// Print every folder and file kaudit uses.
    Info,
    /// Read the cluster and save what was read (never Secret data) for an offline audit
    /// with `--snapshot FILE`.
    Snapshot(SnapshotArgs),
    /// List the audits in the history, newest first (`--context NAME` for one context).
    History(HistoryArgs),
    /// The audit history's database: its path, vacuum, export.
    Store(StoreArgs),
    /// Triage decisions taken in the TUI (`m`): list them, or export them as an exemptions
    /// file to commit to git.
    Triage(TriageArgs),
    /// One image's known vulnerabilities, from Trivy's database read offline.
    Image(ImageArgs),
    /// Trivy's databases in kaudit's cache: where they are, how old, and their update.
    Db(DbArgs),
    /// CKS practice: exam-style tasks graded by the audit engine.
    Lab(super::lab_args::LabArgs),
}

#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    pub action: DbAction,
}

#[derive(Subcommand, Debug, Clone)]
pub enum DbAction {
    /// Pull Trivy's vulnerability database (or with --java its Java DB) from its OCI
    /// artifact into kaudit's cache.
    Update {
        /// The artifact (default: ghcr.io/aquasecurity/trivy-db:2, or
        /// ghcr.io/aquasecurity/trivy-java-db:1 with --java).
        #[arg(long, value_name = "REF")]
        repository: Option<String>,
        /// The Java DB instead of the vulnerability database.
        #[arg(long)]
        java: bool,
    },
    /// The database kaudit would use: its path, schema, age and next update.
    Status {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// The file to write (JSON, a `kind: List` with a kaudit header).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct TuiArgs {
    /// Colour theme: dark, light or mono (NO_COLOR selects mono).
    #[arg(long, global = true, value_parser = parse_theme)]
    pub theme: Option<crate::tui::theme::ThemeName>,
    /// Let the TUI take the mouse (off by default so terminal text selection keeps working).
    #[arg(long, global = true)]
    pub mouse: bool,
    /// Who takes the triage decisions made with `m` (default: git's user.name, else the OS
    /// user).
    #[arg(long, global = true, value_name = "NAME")]
    pub author: Option<String>,
}

fn parse_theme(s: &str) -> Result<crate::tui::theme::ThemeName, String> {
    s.parse()
}

#[derive(Args, Debug, Default, Clone)]
pub struct SourceArgs {
    /// Read manifests (files, folders, `-` for stdin): YAML streams, JSON, `kind: List`, Helm output.
    #[arg(long, num_args = 1.., value_name = "PATH", global = true)]
    pub manifests: Vec<PathBuf>,
    /// Read a snapshot written by `kaudit snapshot` (or any complete cluster dump).
    #[arg(long, value_name = "FILE", global = true)]
    pub snapshot: Option<PathBuf>,
    /// Use the embedded demo cluster.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Kubeconfig context (live clusters).
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// Kubeconfig file (live clusters); without it, KUBECONFIG or ~/.kube/config, as kubectl.
    #[arg(long, value_name = "FILE", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig cluster to use instead of the context's.
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,
    /// Kubeconfig user to use instead of the context's.
    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,
    /// Audit only this namespace (repeatable or comma-separated); cluster-scoped objects
    /// such as ClusterRoles are still read. The default is every namespace.
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NAME",
        value_delimiter = ',',
        global = true
    )]
    pub namespaces: Vec<String>,
    /// Audit every namespace (the default; accepted for kubectl habits).
    #[arg(
        short = 'A',
        long = "all-namespaces",
        global = true,
        conflicts_with = "namespaces"
    )]
    pub all_namespaces: bool,
    /// Time-out of one API request, in seconds (kubectl's --request-timeout; default 30).
    #[arg(long, value_name = "SECONDS", global = true)]
    pub request_timeout: Option<u64>,
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
            Source::Live(self.live_options())
        })
    }

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
}

#[derive(Args, Debug, Clone)]
pub struct AuditArgs {
    /// Where the audit history lives (default: the platform's data folder).
    #[arg(long, global = true, value_name = "DIR", env = "KAUDIT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A throwaway run: nothing is read from or written to the audit history.
    #[arg(long, global = true)]
    pub no_store: bool,
    /// Trivy JSON reports of the images (`trivy image --format json`), for the
    /// vulnerability rules; repeat for several images.
    #[arg(long = "trivy-report", global = true, value_name = "FILE")]
    pub trivy_reports: Vec<PathBuf>,
    /// Scan every image the cluster runs from its registry (its packages cached per digest
    /// in the data folder) for the vulnerability rules; needs a Trivy database.
    #[arg(long, global = true)]
    pub scan_images: bool,
    /// Look up every running image's cosign signatures in its registry and verify them
    /// with --key and the keys written in the cluster's admission policies, for the
    /// signature rules.
    #[arg(long, global = true)]
    pub verify_signatures: bool,
    /// A trusted public key for signatures (PEM: ECDSA P-256/P-384, RSA, Ed25519), as
    /// `cosign generate-key-pair` writes cosign.pub; repeatable.
    #[arg(long = "key", global = true, value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    /// The keyless signer to trust, as cosign takes it: compared with every SAN of the
    /// signing certificate (email, URI, DNS, IP). Needs --certificate-oidc-issuer[-regexp].
    #[arg(long, global = true, value_name = "IDENTITY")]
    pub certificate_identity: Option<String>,
    /// --certificate-identity as a regular expression (unanchored, as cosign's).
    #[arg(long, global = true, value_name = "REGEXP")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer of the keyless signer (`https://token.actions.githubusercontent.com`).
    #[arg(long, global = true, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// --certificate-oidc-issuer as a regular expression (unanchored, as cosign's).
    #[arg(long, global = true, value_name = "REGEXP")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// A Sigstore trusted_root.json (Fulcio CAs, Rekor, CT and timestamp keys) for keyless
    /// signatures and Rekor proofs; default: the public-good root embedded in kaudit.
    #[arg(long, global = true, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Trivy's vulnerability database (default: Trivy's cache, then kaudit's own from
    /// `kaudit db update`).
    #[arg(long, global = true, value_name = "FILE", env = "KAUDIT_TRIVY_DB")]
    pub trivy_db: Option<PathBuf>,
    /// Trivy's Java DB, which names JARs by SHA-1 (default: Trivy's cache, then kaudit's
    /// own from `kaudit db update --java`; without one, JARs are named by their
    /// pom.properties only).
    #[arg(long, global = true, value_name = "FILE", env = "KAUDIT_JAVA_DB")]
    pub java_db: Option<PathBuf>,
    /// The platform to read from multi-platform images (default: linux on this machine's
    /// architecture).
    #[arg(long, global = true, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform)]
    pub platform: Option<crate::registry::Platform>,
    /// A registry (`host:port`) to reach over plain HTTP; loopback registries always are
    /// (repeatable).
    #[arg(long, global = true, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Seconds to wait for a registry to connect or to send the next bytes.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub registry_timeout: u64,
    /// Pod Security Standards version for the PSS rules: latest or v1.N.
    #[arg(long, global = true, default_value = "latest", value_parser = parse_version)]
    pub pss_version: Version,
    /// Registries images may come from (`registry.example.com`, `registry.example.com/team`, `*.example.com`); repeatable.
    #[arg(long = "allowed-registry", global = true, value_name = "REGISTRY")]
    pub allowed_registries: Vec<String>,
    /// API server audit log to analyse: file, folder or glob; JSON lines, gzip, rotated sets,
    /// webhook batches (repeatable).
    #[arg(long = "audit-log", global = true, value_name = "PATH")]
    pub audit_logs: Vec<PathBuf>,
    /// The cluster's audit Policy file (kube-apiserver --audit-policy-file): linted against a
    /// CKS-grade policy; detections it makes blind are reported as not evaluated.
    #[arg(long = "audit-policy", global = true, value_name = "FILE")]
    pub audit_policy: Option<PathBuf>,
    /// Audit-log users to ignore (exact, or a prefix ending in `*`: `system:serviceaccount:argocd:*`); repeatable.
    #[arg(long = "audit-allow-user", global = true, value_name = "USER")]
    pub audit_allowed_users: Vec<String>,
    /// Namespaces whose audit events raise no finding; repeatable.
    #[arg(
        long = "audit-allow-namespace",
        global = true,
        value_name = "NAMESPACE"
    )]
    pub audit_allowed_namespaces: Vec<String>,
    /// Image prefixes whose pods may be privileged, mount host paths or run in kube-system
    /// without an audit-log finding (CNI, CSI, monitoring agents); repeatable.
    #[arg(long = "audit-allow-image", global = true, value_name = "PREFIX")]
    pub audit_allowed_images: Vec<String>,
    /// Keep reading the active audit log as it grows, through rotation (the TUI updates;
    /// `kaudit audit-log` prints new findings as they come; Ctrl-C ends).
    #[arg(long, global = true)]
    pub follow: bool,
    /// Only audit events at or after this time (RFC 3339, e.g. 2026-11-20T00:00:00Z).
    #[arg(long, global = true, value_parser = parse_instant)]
    pub since: Option<(i64, u32)>,
    /// Only audit events before this time (RFC 3339).
    #[arg(long, global = true, value_parser = parse_instant)]
    pub until: Option<(i64, u32)>,
    /// Exemptions file (YAML: rule, subject pattern, reason, expires). The TUI writes
    /// suppressions here (default: exemptions.yaml in kaudit's config folder).
    #[arg(long, global = true, value_name = "FILE")]
    pub exemptions: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the demo audit as a report in this format instead of opening the TUI (the
    /// default when standard output is not a terminal is md).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when an unsuppressed finding at or above this severity exists.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 3 when something could not be evaluated or read.
    #[arg(long)]
    pub fail_on_incomplete: bool,
    /// Break only on regressions: --fail-on counts only findings that are new since the
    /// baseline (the last audit of the same context); any new finding without --fail-on.
    #[arg(long)]
    pub fail_on_new: bool,
    /// Compare with this instead of the last audit of the same context: a session number
    /// (`kaudit history`) or an earlier `--format json` report.
    #[arg(long, value_name = "SESSION|FILE")]
    pub baseline: Option<crate::session::history::BaselineChoice>,
}

impl ScanArgs {
    /// A report of `format` on standard output, nothing else asked.
    pub fn plain(format: Format) -> ScanArgs {
        ScanArgs {
            format,
            output: None,
            fail_on: None,
            fail_on_incomplete: false,
            fail_on_new: false,
            baseline: None,
        }
    }
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Sessions to list at most, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub action: ImageAction,
}

#[derive(Subcommand, Debug, Clone)]
pub enum ImageAction {
    /// Match an image's OS packages (dpkg, apk, rpm) and Python, Node.js and Go packages
    /// against Trivy's database: from a registry, an OCI layout, a `docker save` archive or
    /// an unpacked root.
    Scan(ImageScanArgs),
    /// Find each image's cosign signatures and attestations in its registry (`.sig` and
    /// `.att` tags, for the index and the platform image) and verify them offline with the
    /// public keys given with --key. Exit 0 when every image is verified, 1 when one is not (unverified,
    /// invalid or unsigned), 3 when a registry could not be asked.
    Verify(ImageVerifyArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ImageVerifyArgs {
    /// Images in a registry (`registry/repository:tag` or `@sha256:...`). Credentials come
    /// from the Docker config; loopback registries and those given with --insecure-registry
    /// are reached over plain HTTP.
    #[arg(value_name = "REF", required = true)]
    pub references: Vec<String>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("image").required(true).args(["reference", "oci_layout", "image_tar", "rootfs"])))]
pub struct ImageScanArgs {
    /// An image in a registry (`registry/repository:tag` or `@sha256:...`). Credentials come
    /// from the Docker config (config.json, credential helpers); loopback registries and
    /// those given with --insecure-registry are reached over plain HTTP.
    #[arg(value_name = "REF")]
    pub reference: Option<String>,
    /// An OCI image layout folder (index.json, blobs/).
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,
    /// An image archive written by `docker save`.
    #[arg(long, value_name = "FILE")]
    pub image_tar: Option<PathBuf>,
    /// The image's root filesystem, unpacked in a folder.
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ImageFormat::Text)]
    pub format: ImageFormat,
    /// Exit 1 when a vulnerability at or above this severity is found.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
}

#[derive(Args, Debug)]
pub struct TriageArgs {
    #[command(subcommand)]
    pub action: TriageAction,
}

#[derive(Subcommand, Debug, Clone)]
pub enum TriageAction {
    /// Every decision (of `--context NAME` or `--manifests DIR` when given).
    List {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Accepted risks and false positives as an exemptions file (`--exemptions FILE` reads
    /// it back); will-fix decisions are not exemptions and stay out.
    Export {
        /// Write here instead of standard output (a new file; an existing one is replaced,
        /// a symbolic link refused).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub action: StoreAction,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAction {
    /// Print the database file's path.
    Path,
    /// Rebuild the file without free space.
    Vacuum,
    /// Print every session and its findings as JSON.
    Export,
}

#[derive(Args, Debug)]
pub struct AuditLogArgs {
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when an unsuppressed finding at or above this severity exists.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// The cluster's audit Policy file: lint it and say which detections it makes blind
    /// (same as --audit-policy).
    #[arg(long = "policy", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Log files, folders or globs (may be left out with --policy to lint the policy alone).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Md,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Md,
    Json,
    Sarif,
    Junit,
    Html,
    /// One row per finding.
    Csv,
}

#[derive(Args, Debug)]
pub struct PssArgs {
    /// baseline or restricted (privileged allows everything).
    #[arg(long, value_parser = parse_level)]
    pub level: Level,
    /// latest or v1.N.
    #[arg(long, default_value = "latest", value_parser = parse_version)]
    pub version: Version,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Treat objects as read from a live cluster (apply hostNetwork hostPort defaulting).
    #[arg(long)]
    pub live: bool,
    /// Manifest files or folders (`-` for stdin); without them, the source given
    /// (`--demo`, `--manifests`, `--snapshot`, else the kubeconfig's cluster).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// What `kaudit image scan` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    Text,
    Json,
    Md,
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// One rule's whole text (rationale, remediation, references): its ID (`PSS001`), its
    /// name, or an equivalent check's ID elsewhere (`CKV_K8S_27`, `C-0057`).
    pub rule: Option<String>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

impl AuditArgs {
    /// What the session is asked to do.
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions {
            pss_version: self.pss_version,
            allowed_registries: self.allowed_registries.clone(),
            audit_logs: self.audit_logs.clone(),
            audit_policy: self.audit_policy.clone(),
            follow: self.follow,
            window: self.window(),
            audit_config: self.audit_config(),
            exemptions: self.exemptions.clone(),
            today: crate::time::today(),
            history: crate::session::history::HistoryOptions {
                store: super::history::store_path(self).filter(|_| !self.no_store),
                baseline: None,
            },
            trivy_reports: self.trivy_reports.clone(),
            image_scan: self
                .scan_images
                .then(|| crate::session::image_scan::ClusterScan {
                    trivy_db: self.trivy_db.clone(),
                    java_db: self.java_db.clone(),
                    cache: self.cache_dir(),
                    platform: self.platform(),
                    insecure: self.insecure_registry.clone(),
                    timeout: self.registry_timeout(),
                    store: super::history::store_path(self).filter(|_| !self.no_store),
                }),
            signature_check: self.verify_signatures.then(|| {
                crate::session::signatures::SignatureCheck {
                    keys: self.keys.clone(),
                    identities: self.identity().ok().flatten().into_iter().collect(),
                    trusted_root: self.trusted_root.clone(),
                    store: super::history::store_path(self).filter(|_| !self.no_store),
                    platform: self.platform(),
                    insecure: self.insecure_registry.clone(),
                    timeout: self.registry_timeout(),
                }
            }),
        }
    }

    /// kaudit's cache folder (Trivy databases from `kaudit db update`).
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.data_dir
            .clone()
            .or_else(super::data_dir)
            .map(|d| d.join("cache"))
    }

    pub fn platform(&self) -> crate::registry::Platform {
        self.platform
            .clone()
            .unwrap_or_else(crate::registry::Platform::host)
    }

    pub fn registry_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.registry_timeout.max(1))
    }

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

    /// Options that contradict each other: a window that ends before it starts, half an
    /// identity.
    pub fn check(&self) -> anyhow::Result<()> {
        self.identity()?;
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

    /// `--since` / `--until`.
    pub fn window(&self) -> crate::auditlog::reader::Window {
        crate::auditlog::reader::Window {
            since: self.since,
            until: self.until,
        }
    }

    /// The allow-lists of the audit-log detections.
    pub fn audit_config(&self) -> crate::auditlog::detect::AuditConfig {
        crate::auditlog::detect::AuditConfig {
            allowed_users: self.audit_allowed_users.clone(),
            allowed_namespaces: self.audit_allowed_namespaces.clone(),
            allowed_images: self.audit_allowed_images.clone(),
            ..Default::default()
        }
    }
}

impl Default for AuditArgs {
    fn default() -> Self {
        AuditArgs {
            data_dir: None,
            no_store: false,
            trivy_reports: Vec::new(),
            scan_images: false,
            verify_signatures: false,
            keys: Vec::new(),
            certificate_identity: None,
            certificate_identity_regexp: None,
            certificate_oidc_issuer: None,
            certificate_oidc_issuer_regexp: None,
            trusted_root: None,
            trivy_db: None,
            java_db: None,
            platform: None,
            insecure_registry: Vec::new(),
            registry_timeout: 30,
            pss_version: Version::Latest,
            allowed_registries: Vec::new(),
            audit_logs: Vec::new(),
            audit_policy: None,
            follow: false,
            audit_allowed_users: Vec::new(),
            audit_allowed_namespaces: Vec::new(),
            audit_allowed_images: Vec::new(),
            since: None,
            until: None,
            exemptions: None,
        }
    }
}

fn parse_instant(s: &str) -> Result<(i64, u32), String> {
    crate::time::parse_rfc3339(s)
        .ok_or_else(|| format!("invalid time {s:?}: use RFC 3339, e.g. 2026-11-20T00:00:00Z"))
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse()
}
fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}
fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_platform(text: &str) -> Result<crate::registry::Platform, String> {
    crate::registry::Platform::parse(text)
        .ok_or_else(|| format!("{text:?}: expected OS/ARCH or OS/ARCH/VARIANT (linux/amd64)"))
}
