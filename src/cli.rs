//! The command line: argument parsing, sources, outputs and exit codes. The only place that
//! touches the clock, the environment and the process exit status.
//!
//! Exit codes: 0 success and nothing at/above `--fail-on`; 1 findings at/above `--fail-on`
//! (or a PSS violation for `kaudit pss`); 2 usage or tool error; 3 audit incomplete and
//! `--fail-on-incomplete` set.

use crate::inventory::Inventory;
use crate::pss::{Level, Version};
use crate::report::{self, Report};
use crate::severity::Severity;
use crate::{pss_cmd, rules_cmd, sources};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
pub const EXIT_INCOMPLETE: u8 = 3;

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

const EXIT_HELP: &str = "Exit codes: 0 nothing at/above --fail-on; 1 findings at/above --fail-on (or PSS violations); 2 usage or tool error; 3 audit incomplete with --fail-on-incomplete.";

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
    /// True when no offline source was chosen: the audit reads the kubeconfig's cluster.
    pub fn is_live(&self) -> bool {
        !self.demo && self.manifests.is_empty() && self.snapshot.is_none()
    }

    pub fn live_options(&self) -> crate::live::LiveOptions {
        crate::live::LiveOptions {
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
            ..crate::live::LiveOptions::default()
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct AuditArgs {
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
    /// Manifest files or folders (`-` for stdin).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

impl AuditArgs {
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
    crate::auditlog::event::parse_time(s)
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

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    ExitCode::from(match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("kaudit: {message}");
            EXIT_ERROR
        }
    })
}

fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Some(Command::Rules(args)) => rules_cmd::run(args.format == TextOrJson::Json),
        Some(Command::Pss(args)) => pss_cmd::run(&args),
        Some(Command::Info) => {
            let show =
                |p: Option<PathBuf>| p.map_or("(unknown)".to_string(), |p| p.display().to_string());
            println!("version:     {}", env!("CARGO_PKG_VERSION"));
            println!("config:      {}  (KAUDIT_CONFIG_DIR)", show(config_dir()));
            println!(
                "exemptions:  {}  (default for the TUI's s key; --exemptions FILE)",
                show(config_dir().map(|d| d.join("exemptions.yaml")))
            );
            println!("data:        {}  (KAUDIT_DATA_DIR)", show(data_dir()));
            println!(
                "log:         {}",
                show(data_dir().map(|d| d.join("kaudit.log")))
            );
            println!("exports:     the current folder (e in the TUI)");
            Ok(EXIT_OK)
        }
        Some(Command::Keys) => {
            print!("{}", crate::tui::keymap::markdown());
            Ok(EXIT_OK)
        }
        Some(Command::Demo(args)) => {
            let source = SourceArgs {
                demo: true,
                ..SourceArgs::default()
            };
            let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
            match args.format {
                None if interactive => tui(source, cli.audit, &cli.tui),
                format => {
                    let scan = ScanArgs {
                        format: format.unwrap_or(Format::Md),
                        output: None,
                        fail_on: None,
                        fail_on_incomplete: false,
                    };
                    scan_cmd(&source, &cli.audit, &scan)
                }
            }
        }
        Some(Command::Scan(args)) => scan_cmd(&cli.source, &cli.audit, &args),
        Some(Command::AuditLog(args)) => audit_log_cmd(&cli.audit, &args),
        Some(Command::Snapshot(args)) => snapshot_cmd(&cli.source, &args),
        None => {
            if !std::io::stdout().is_terminal() {
                return Err(
                    "the interactive view needs a terminal; use `kaudit scan` for a report on the current kubeconfig context (or `kaudit scan --manifests PATH` / `--demo`)".into(),
                );
            }
            tui(cli.source, cli.audit, &cli.tui)
        }
    }
}

/// kaudit's folders: `KAUDIT_CONFIG_DIR` / `KAUDIT_DATA_DIR` or the platform's.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("KAUDIT_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "kaudit").map(|d| d.config_dir().to_path_buf())
        })
}

pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("KAUDIT_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "kaudit")
                .map(|d| d.data_local_dir().to_path_buf())
        })
}

fn tui(source: SourceArgs, mut audit: AuditArgs, args: &TuiArgs) -> Result<u8, String> {
    use crate::tui::theme::ThemeName;
    let theme = match args.theme {
        Some(t) => t,
        None if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => ThemeName::Mono,
        None => ThemeName::Dark,
    };
    // Suppressions made in the TUI go to --exemptions, or to the default file, which is then
    // also read at start.
    let exemptions_path = match &audit.exemptions {
        Some(p) => p.clone(),
        None => config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("exemptions.yaml"),
    };
    if audit.exemptions.is_none() && exemptions_path.exists() {
        audit.exemptions = Some(exemptions_path.clone());
    }
    let label = source_label(&source);
    let options = crate::tui::run::Options {
        theme,
        mouse: args.mouse,
        exemptions_path,
        export_dir: PathBuf::from("."),
        log_path: data_dir().map(|d| d.join("kaudit.log")),
        events: None,
    };
    crate::tui::run::run(source, audit, options, label)
}

fn source_label(source: &SourceArgs) -> String {
    if source.is_live() {
        let context = source
            .context
            .as_deref()
            .map_or("current context".to_string(), |c| format!("context {c}"));
        format!("cluster ({context}, read-only)")
    } else if source.demo {
        "demo (embedded Acme Shop cluster)".into()
    } else if let Some(s) = &source.snapshot {
        format!("snapshot {}", s.display())
    } else {
        let paths: Vec<String> = source
            .manifests
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        format!("manifests {}", paths.join(", "))
    }
}

fn snapshot_cmd(source: &SourceArgs, args: &SnapshotArgs) -> Result<u8, String> {
    if !source.is_live() {
        return Err(
            "a snapshot is taken of a live cluster; drop --demo/--manifests/--snapshot".into(),
        );
    }
    let read = crate::live::read_cluster_json(&source.live_options())?;
    // Written to a temporary name first so an interrupted run never leaves half a file
    // where a good snapshot was.
    let partial = args.output.with_extension("partial");
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        crate::live::snapshot::write(&read, &now_rfc3339(), &mut out)?;
        out.flush()?;
        std::fs::rename(&partial, &args.output)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write {}: {e}", args.output.display())
    })?;
    eprintln!(
        "snapshot of context {} written to {}: {} objects in {} lists, {} not readable",
        read.context,
        args.output.display(),
        read.stats.objects,
        read.stats.lists,
        read.gaps.len()
    );
    for note in &read.notes {
        eprintln!("kaudit: {note}");
    }
    for gap in read.gaps.iter().take(20) {
        eprintln!("kaudit: not read: {}: {}", gap.scope(), gap.reason);
    }
    Ok(EXIT_OK)
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!("{}T{h:02}:{m:02}:{s:02}Z", civil_date(secs / 86_400))
}

/// The inventory for the chosen source.
pub fn load_source(source: &SourceArgs) -> Result<Inventory, String> {
    let chosen = [
        source.demo,
        !source.manifests.is_empty(),
        source.snapshot.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if chosen > 1 {
        return Err("choose one source: --demo, --manifests or --snapshot".into());
    }
    if source.demo {
        return Ok(sources::demo::inventory());
    }
    if let Some(snapshot) = &source.snapshot {
        if !snapshot.is_file() {
            return Err(format!(
                "snapshot {} is not a readable file",
                snapshot.display()
            ));
        }
        return crate::live::snapshot::load(snapshot);
    }
    if !source.manifests.is_empty() {
        return Ok(sources::from_manifests(&source.manifests));
    }
    crate::live::read_cluster(&source.live_options()).map(|read| read.into_inventory())
}

/// Builds the report for a source (also used by tests).
pub fn build_report(source: &SourceArgs, audit: &AuditArgs) -> Result<Report, String> {
    crate::audit::run(source, audit).map(|a| a.report)
}

fn scan_cmd(source: &SourceArgs, audit: &AuditArgs, args: &ScanArgs) -> Result<u8, String> {
    let report = build_report(source, audit)?;
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write_report(&report, args.format, &mut out)
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprint!("{}", report::text::summary(&report));
            eprintln!("report written to {}", path.display());
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = write_report(&report, args.format, &mut out).and_then(|()| out.flush());
        }
    }
    for e in report.input_errors.iter().take(20) {
        eprintln!("kaudit: could not read {e}");
    }
    if let Some(threshold) = args.fail_on
        && report.count_at_or_above(threshold) > 0
    {
        return Ok(EXIT_FINDINGS);
    }
    if args.fail_on_incomplete && report.is_incomplete() {
        return Ok(EXIT_INCOMPLETE);
    }
    Ok(EXIT_OK)
}

fn write_report(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Md => out.write_all(report::markdown::render(report).as_bytes()),
        Format::Json => report::json::write(report, out),
        Format::Sarif => report::sarif::write(report, out),
        Format::Junit => out.write_all(report::junit::render(report).as_bytes()),
        Format::Html => out.write_all(report::html::render(report).as_bytes()),
    }
}

fn audit_log_cmd(audit: &AuditArgs, args: &AuditLogArgs) -> Result<u8, String> {
    let mut audit = audit.clone();
    audit.audit_logs.extend(args.paths.iter().cloned());
    if args.policy.is_some() {
        audit.audit_policy = args.policy.clone();
    }
    if audit.audit_logs.is_empty() && audit.audit_policy.is_none() {
        return Err(
            "give audit log files, folders or globs (or --policy FILE to lint an audit policy)"
                .into(),
        );
    }
    if audit.follow {
        return follow_audit_log(&audit);
    }
    let report = crate::audit::run_audit_log_only(&audit)?;
    let rendered = match args.format {
        AuditFormat::Md => report::markdown::render(&report),
        AuditFormat::Json => report::json::render(&report),
        AuditFormat::Text => report::text::audit_log(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let _ = std::io::stdout().lock().write_all(rendered.as_bytes());
        }
    }
    if let Some(stats) = &report.audit_log
        && stats.events == 0
        && stats.malformed + stats.not_events > 0
    {
        return Err("no audit event could be read (see the problems above)".into());
    }
    Ok(match args.fail_on {
        Some(threshold) if report.count_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => EXIT_OK,
    })
}

/// `kaudit audit-log --follow`: the findings so far, then each new one as its event is
/// written, like `tail -f` with detections. Ctrl-C ends it.
fn follow_audit_log(audit: &AuditArgs) -> Result<u8, String> {
    use crate::auditlog::follow::Follower;
    let mut follower = Follower::start(&audit.audit_logs, &audit.window(), audit.audit_config());
    let followed: Vec<String> = follower
        .followed()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if followed.is_empty() {
        return Err(
            "--follow needs an active log file (a plain file without a rotation time stamp)".into(),
        );
    }
    eprintln!("kaudit: following {} (Ctrl-C ends)", followed.join(", "));
    let mut printed = std::collections::HashSet::new();
    let mut problems_shown = 0;
    let mut out = std::io::stdout();
    loop {
        let (rec, stats) = follower.snapshot();
        let mut fresh: Vec<&crate::findings::Finding> = rec
            .findings
            .iter()
            .filter(|f| printed.insert(f.id))
            .collect();
        fresh.sort_by(|a, b| {
            let t = |f: &crate::findings::Finding| {
                f.subject.event.as_ref().map(|e| e.timestamp.clone())
            };
            t(a).cmp(&t(b))
        });
        for f in fresh {
            if out
                .write_all(report::text::finding_line(f).as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return Ok(EXIT_OK); // the reader went away (`| head`)
            }
        }
        // Unreadable lines go to standard error as they are met.
        for p in stats.problems.iter().skip(problems_shown) {
            let place = p.line.map_or(String::new(), |l| format!(":{l}"));
            eprintln!(
                "kaudit: {}{place}: {}",
                crate::sanitize::strip_controls(&p.file),
                crate::sanitize::strip_controls(&p.message)
            );
        }
        problems_shown = stats.problems.len();
        std::thread::sleep(std::time::Duration::from_millis(500));
        follower.poll();
    }
}

/// Today's date in UTC as `YYYY-MM-DD` (for exemption expiry).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_454), "2026-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
