//! The command line's arguments (clap), and what they become for the library: a
//! [`Source`] and [`SessionOptions`].

use super::EXIT_HELP;
use super::options::{
    AuditArgs, ClusterArgs, ContextArgs, DataDirOpts, ExemptionOpts, LogFilters, PlatformOpts,
    RegistryOpts, SourceArgs, StoreOpts, TrustOpts, TuiArgs, VulnDbOpts,
};
use crate::pss::{Level, Version};
use crate::severity::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "kaudit",
    version,
    about = "Audit the supply chain and workload security of a Kubernetes cluster",
    after_help = EXIT_HELP,
    // The options below are the TUI's (`kaudit` alone); each subcommand takes its own.
    args_conflicts_with_subcommands = true
)]
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
    Demo(Box<DemoArgs>),
    /// Audit a source and write a report.
    Scan(Box<ScanCommand>),
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
        #[command(flatten)]
        store: DataDirOpts,
        #[command(flatten)]
        registry: RegistryOpts,
    },
    /// The database kaudit would use: its path, schema, age and next update.
    Status {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[command(flatten)]
        store: DataDirOpts,
        #[command(flatten)]
        vuln_db: VulnDbOpts,
    },
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// The file to write (JSON, a `kind: List` with a kaudit header).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the demo audit as a report in this format instead of opening the TUI (the
    /// default when standard output is not a terminal is md).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// `kaudit scan`: a source, what to check, and the report.
#[derive(Args, Debug)]
pub struct ScanCommand {
    #[command(flatten)]
    pub report: ScanArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
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
    #[command(flatten)]
    pub scope: ContextArgs,
    #[command(flatten)]
    pub store: DataDirOpts,
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
    #[command(flatten)]
    pub trust: TrustOpts,
    #[command(flatten)]
    pub registry: RegistryOpts,
    #[command(flatten)]
    pub platform: PlatformOpts,
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
    #[command(flatten)]
    pub vuln_db: VulnDbOpts,
    #[command(flatten)]
    pub registry: RegistryOpts,
    #[command(flatten)]
    pub platform: PlatformOpts,
    #[command(flatten)]
    pub store: StoreOpts,
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
        #[command(flatten)]
        scope: ContextArgs,
        #[command(flatten)]
        store: DataDirOpts,
    },
    /// Accepted risks and false positives as an exemptions file (`--exemptions FILE` reads
    /// it back); will-fix decisions are not exemptions and stay out.
    Export {
        /// Write here instead of standard output (a new file; an existing one is replaced,
        /// a symbolic link refused).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        scope: ContextArgs,
        #[command(flatten)]
        store: DataDirOpts,
    },
}

#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub action: StoreAction,
}

#[derive(Subcommand, Debug, Clone)]
pub enum StoreAction {
    /// Print the database file's path.
    Path {
        #[command(flatten)]
        store: DataDirOpts,
    },
    /// Rebuild the file without free space.
    Vacuum {
        #[command(flatten)]
        store: DataDirOpts,
    },
    /// Print every session and its findings as JSON.
    Export {
        #[command(flatten)]
        store: DataDirOpts,
    },
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
    /// The cluster's audit Policy file (kube-apiserver --audit-policy-file): lint it and say
    /// which detections it makes blind (`--audit-policy` of `kaudit scan`).
    #[arg(long = "policy", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Log files, folders or globs (may be left out with --policy to lint the policy alone).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The demo's audit log and policy.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub filters: LogFilters,
    #[command(flatten)]
    pub exemptions: ExemptionOpts,
    #[command(flatten)]
    pub store: StoreOpts,
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
    #[command(flatten)]
    pub source: SourceArgs,
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
    /// Falco's 48 k8saudit rules, each with the kaudit rule (or activity entry) that
    /// stands for it.
    #[arg(long, conflicts_with = "rule")]
    pub falco: bool,
}

pub(super) fn parse_version(s: &str) -> Result<Version, String> {
    s.parse()
}
fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}
fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}
