//! One audit session: the inventory of a source, the configuration, the exemptions and the
//! resulting report. Shared by `kaudit scan` and the TUI.

use crate::auditlog::policy::AuditPolicy;
use crate::auditlog::reader::Stats;
use crate::checks::ScanConfig;
use crate::cli::{AuditArgs, SourceArgs, load_source, today};
use crate::findings::Recorder;
use crate::inventory::Inventory;
use crate::report::{self, Report};
use crate::sources;
use crate::triage::{self, Exemption};
use std::path::PathBuf;

pub struct Audit {
    pub inventory: Inventory,
    pub config: ScanConfig,
    pub exemptions: Vec<Exemption>,
    /// Where exemptions are read from and written to (the TUI's `s` key).
    pub exemptions_path: Option<PathBuf>,
    pub report: Report,
    /// `YYYY-MM-DD` the audit was made (exemption expiry).
    pub today: String,
    /// The audit log analysis, when logs were given (or the demo's), with the audit
    /// policy's lint and blind spots.
    pub audit_log: Option<(Recorder, Stats)>,
    /// The cluster's audit policy, when given (or the demo's).
    pub audit_policy: Option<AuditPolicy>,
    /// With `--follow`: the analysis that goes on as the logs grow (the TUI takes it).
    pub follower: Option<crate::auditlog::follow::Follower>,
}

impl Audit {
    /// Re-runs the checks (after an exemption was added or removed, or the PSS version changed).
    pub fn rerun(&mut self) {
        self.report = build(
            &self.inventory,
            &self.config,
            &self.exemptions,
            &self.today,
            true,
            self.audit_log.clone(),
        );
    }
}

fn build(
    inv: &Inventory,
    config: &ScanConfig,
    exemptions: &[Exemption],
    today: &str,
    cluster: bool,
    audit: Option<(Recorder, Stats)>,
) -> Report {
    let mut report = report::build_with(inv, config, exemptions, today, cluster, audit);
    report::locate::refine(&mut report, &report::locate::DiskAndDemo);
    report
}

/// The audit logs of `audit_logs` (or, for the demo, its embedded log), and the audit
/// policy's lint and blind spots when a policy is given (or the demo's).
type LogAnalysis = (
    Option<(Recorder, Stats)>,
    Option<AuditPolicy>,
    Option<crate::auditlog::follow::Follower>,
);

fn analyze_logs(audit: &AuditArgs, demo: bool) -> Result<LogAnalysis, String> {
    let policy = match &audit.audit_policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("audit policy {}: {e}", path.display()))?;
            Some(AuditPolicy::parse(&path.display().to_string(), &text)?)
        }
        None if demo => Some(AuditPolicy::parse(
            "demo/audit/policy.yaml",
            sources::demo::audit_policy(),
        )?),
        None => None,
    };
    let (logs, follower) = read_logs(audit, demo);
    Ok((with_policy(logs, policy.as_ref()), policy, follower))
}

/// The log analysis with the policy's lint findings and blind spots added.
pub fn with_policy(
    logs: Option<(Recorder, Stats)>,
    policy: Option<&AuditPolicy>,
) -> Option<(Recorder, Stats)> {
    let Some(policy) = policy else { return logs };
    let mut analysis = logs.unwrap_or_default();
    policy.lint(&mut analysis.0);
    policy.blind_spots(&mut analysis.0);
    Some(analysis)
}

fn read_logs(
    audit: &AuditArgs,
    demo: bool,
) -> (
    Option<(Recorder, Stats)>,
    Option<crate::auditlog::follow::Follower>,
) {
    let (window, config) = (audit.window(), audit.audit_config());
    if !audit.audit_logs.is_empty() && audit.follow {
        let follower = crate::auditlog::follow::Follower::start(&audit.audit_logs, &window, config);
        return (Some(follower.snapshot()), Some(follower));
    }
    if !audit.audit_logs.is_empty() {
        return (
            Some(crate::auditlog::analyze(&audit.audit_logs, &window, config)),
            None,
        );
    }
    let demo_log = demo.then(|| {
        crate::auditlog::analyze_bytes(
            "demo/audit.log",
            sources::demo::audit_log(),
            &window,
            config,
        )
    });
    (demo_log, None)
}

/// `kaudit audit-log`: the logs alone, no cluster.
pub fn run_audit_log_only(audit: &AuditArgs) -> Result<Report, String> {
    let description = audit
        .audit_logs
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let inventory = Inventory::empty(crate::inventory::SourceInfo::new(
        "audit-log",
        description,
        false,
        false,
    ));
    let exemptions = match &audit.exemptions {
        Some(path) => read_exemptions(path)?,
        None => Vec::new(),
    };
    let (logs, _, _) = analyze_logs(audit, false)?;
    Ok(build(
        &inventory,
        &scan_config(audit, false),
        &exemptions,
        &today(),
        false,
        logs,
    ))
}

/// Reads the exemptions file; a missing file is an empty list only when it is the default
/// one the TUI may create.
pub fn read_exemptions(path: &std::path::Path) -> Result<Vec<Exemption>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("exemptions file {}: {e}", path.display()))?;
    triage::parse_exemptions(&path.display().to_string(), &text)
}

pub fn scan_config(audit: &AuditArgs, demo: bool) -> ScanConfig {
    let mut allowed = audit.allowed_registries.clone();
    if demo && allowed.is_empty() {
        allowed = sources::demo::ALLOWED_REGISTRIES
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    ScanConfig {
        pss_version: audit.pss_version,
        server_minor: None,
        allowed_registries: allowed,
    }
}

/// Loads the source and runs every check.
pub fn run(source: &SourceArgs, audit: &AuditArgs) -> Result<Audit, String> {
    let inventory = load_source(source)?;
    let exemptions = match &audit.exemptions {
        Some(path) => read_exemptions(path)?,
        None => Vec::new(),
    };
    let nothing_read = inventory.workloads.is_empty()
        && inventory.namespaces.is_empty()
        && inventory.roles.is_empty()
        && inventory.bindings.is_empty();
    if nothing_read && !inventory.errors.is_empty() {
        let errors: Vec<String> = inventory
            .errors
            .iter()
            .take(10)
            .map(|e| e.to_string())
            .collect();
        return Err(format!("nothing could be read:\n  {}", errors.join("\n  ")));
    }
    let mut config = scan_config(audit, source.demo);
    config.server_minor = inventory.source.server_minor();
    let today = today();
    let (audit_log, audit_policy, follower) = analyze_logs(audit, source.demo)?;
    let report = build(
        &inventory,
        &config,
        &exemptions,
        &today,
        true,
        audit_log.clone(),
    );
    Ok(Audit {
        inventory,
        config,
        exemptions,
        exemptions_path: audit.exemptions.clone(),
        report,
        today,
        audit_log,
        audit_policy,
        follower,
    })
}
