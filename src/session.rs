//! One audit session: a source read into an inventory, the audit logs analysed, the
//! exemptions applied and the resulting report. Built from a [`Source`] and
//! [`SessionOptions`]; shared by `kaudit scan`, `kaudit audit-log` and the TUI. Knows no
//! command line.

pub mod history;
pub mod image_scan;
pub mod signature_cache;
pub mod signatures;
pub mod vulnerabilities;

use crate::auditlog::detect::{AdminBinding, AdminSubject, AuditConfig};
use crate::auditlog::follow::Follower;
use crate::auditlog::policy::AuditPolicy;
use crate::auditlog::reader::Window;
use crate::auditlog::{self, Analysis};
use crate::checks::ScanConfig;
use crate::engine::{self, ClusterResults, Report};
use crate::inventory::{Inventory, SourceInfo};
use crate::pss::Version;
use crate::sources::Source;
use crate::sources::locate::{self, Disk, TextSource};
use crate::store::SessionSummary;
use crate::triage::decisions::Decision;
use crate::triage::{self, Exemption};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a session could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source could not be read at all.
    #[error(transparent)]
    Source(#[from] crate::sources::Error),
    /// The source was read, but every object in it was unreadable.
    #[error("nothing could be read:\n  {}", .0.join("\n  "))]
    NothingRead(Vec<String>),
    /// An input file (exemptions, audit policy) could not be opened.
    #[error("{what} {}: {error}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// An exemptions file or audit policy that does not read as one.
    #[error(transparent)]
    Parse(#[from] crate::yaml::ParseError),
    /// A baseline named that cannot be read.
    #[error(transparent)]
    History(#[from] history::Error),
}

impl Error {
    /// The source's kind of failure, for advice and exit codes; `None` for the inputs.
    pub fn source_kind(&self) -> Option<crate::sources::ErrorKind> {
        match self {
            Error::Source(e) => Some(e.kind()),
            _ => None,
        }
    }
}

/// What an audit is asked to do, whatever its source.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Policy version for the PSS rules.
    pub pss_version: Version,
    /// Registries images may come from; empty: the source's default (the demo's), else
    /// IMG003 is not evaluated.
    pub allowed_registries: Vec<String>,
    /// Audit log files, folders or globs.
    pub audit_logs: Vec<PathBuf>,
    /// The cluster's audit Policy file.
    pub audit_policy: Option<PathBuf>,
    /// Keep reading the active audit log as it grows.
    pub follow: bool,
    /// The time window of audit events.
    pub window: Window,
    /// The allow-lists of the audit-log detections.
    pub audit_config: AuditConfig,
    /// The exemptions file.
    pub exemptions: Option<PathBuf>,
    /// `YYYY-MM-DD` the audit is made (exemption expiry).
    pub today: String,
    /// The audit history: where triage decisions are read from and the audit is saved.
    pub history: history::HistoryOptions,
    /// Trivy JSON reports of the cluster's images (`--trivy-report`).
    pub trivy_reports: Vec<PathBuf>,
    /// Scan the images that run from their registries (`--scan-images`).
    pub image_scan: Option<image_scan::ClusterScan>,
    /// Verify the images' signatures (`--verify-signatures`).
    pub signature_check: Option<signatures::SignatureCheck>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            pss_version: Version::Latest,
            allowed_registries: Vec::new(),
            audit_logs: Vec::new(),
            audit_policy: None,
            follow: false,
            window: Window::default(),
            audit_config: AuditConfig::default(),
            exemptions: None,
            today: crate::time::today(),
            history: history::HistoryOptions::default(),
            trivy_reports: Vec::new(),
            image_scan: None,
            signature_check: None,
        }
    }
}

/// An audit made: what was read, how it was judged, and the report. What does not change
/// when findings are re-judged (the inventory, the cluster checks' results, the audit
/// policy) is shared, so a copy for a background job costs a few reference counts.
pub struct Session {
    pub source: Source,
    pub inventory: Arc<Inventory>,
    pub config: ScanConfig,
    /// The cluster checks' findings before triage, with their evidence already located.
    pub cluster: Arc<ClusterResults>,
    /// The exemptions file and the decisions kept for this context.
    pub triage: triage::Inputs,
    pub report: Arc<Report>,
    /// `YYYY-MM-DD` the audit was made (exemption expiry).
    pub today: String,
    /// The audit log analysis, when logs were given (or came with the source), with the
    /// audit policy's lint and blind spots.
    pub audit_log: Option<Arc<Analysis>>,
    /// The cluster's audit policy, when given (or the demo's).
    pub audit_policy: Option<Arc<AuditPolicy>>,
    /// With `follow`: the analysis that goes on as the logs grow (the TUI takes it).
    pub follower: Option<Follower>,
    /// The last audits of this context in the history, oldest first (this one included
    /// once recorded): the score trend.
    pub past: Arc<Vec<SessionSummary>>,
}

impl Session {
    /// Reads the source and the audit logs and runs every check, keeping what re-judging
    /// needs (the cluster's results before triage). Files are read again once here to point
    /// evidence at its lines; re-judging later reads nothing.
    pub fn open(source: &Source, options: &SessionOptions) -> Result<Session, Error> {
        let checked = Checked::read(source, options)?;
        let report = engine::assemble(
            &checked.inventory,
            &checked.config,
            checked.cluster.clone(),
            &checked.triage,
            &options.today,
            checked.logs.analysis.clone(),
        );
        Ok(Session {
            source: source.clone(),
            inventory: Arc::new(checked.inventory),
            config: checked.config,
            cluster: Arc::new(checked.cluster),
            triage: checked.triage,
            report: Arc::new(report),
            today: options.today.clone(),
            audit_log: checked.logs.analysis.map(Arc::new),
            audit_policy: checked.logs.policy.map(Arc::new),
            follower: checked.logs.follower,
            past: Arc::default(),
        })
    }

    /// Compares the audit with the last one of its context (or the baseline named), saves
    /// it to the history and reads the score trend. The report is not copied: a session
    /// just opened holds the only reference to it.
    pub fn record(
        &mut self,
        options: &history::HistoryOptions,
        started: &str,
    ) -> Result<(), Error> {
        let store = self.compare(options, started)?;
        let report = Arc::make_mut(&mut self.report);
        if let Err(e) = history::save(store, report, started, &crate::time::now_rfc3339()) {
            report.source.notes.push(e);
        }
        Ok(())
    }

    /// [`Session::record`] without the save: the changes and the trend (this audit last),
    /// and the store to save it in with [`history::save`] once it is on screen.
    pub fn compare(
        &mut self,
        options: &history::HistoryOptions,
        started: &str,
    ) -> Result<Option<crate::store::Store>, Error> {
        let report = Arc::make_mut(&mut self.report);
        let store = history::compare(report, options)?;
        let mut past = history::trend(store.as_ref(), &report.source.context, TREND_LENGTH - 1);
        past.push(SessionSummary::of(report, started));
        self.past = Arc::new(past);
        Ok(store)
    }

    /// A copy of the session's results for a background job (without the follower, which
    /// stays where it is). Cheap: the heavy parts are shared.
    pub fn share(&self) -> Session {
        Session {
            source: self.source.clone(),
            inventory: self.inventory.clone(),
            config: self.config.clone(),
            cluster: self.cluster.clone(),
            triage: self.triage.clone(),
            report: self.report.clone(),
            today: self.today.clone(),
            audit_log: self.audit_log.clone(),
            audit_policy: self.audit_policy.clone(),
            follower: None,
            past: self.past.clone(),
        }
    }

    /// The session with other exemptions, findings re-judged (the cluster is not checked
    /// again).
    pub fn with_exemptions(mut self, exemptions: Vec<Exemption>) -> Session {
        self.triage.exemptions = exemptions;
        self.report = Arc::new(self.judge());
        self
    }

    /// The session with other triage decisions, findings re-judged.
    pub fn with_decisions(mut self, decisions: Vec<Decision>) -> Session {
        self.triage.decisions = decisions;
        self.report = Arc::new(self.judge());
        self
    }

    /// The session with a newer analysis of the followed logs (the policy's findings
    /// added): only the audit findings change; the cluster's are merged as they were.
    pub fn with_audit_log(mut self, analysis: Analysis) -> Session {
        let mut analysis = with_policy(Some(analysis), self.audit_policy.as_deref());
        if let Some(a) = &mut analysis {
            locate::refine(&mut a.findings.findings, &mut [], &self.source);
        }
        self.audit_log = analysis.map(Arc::new);
        self.report = Arc::new(self.judge());
        self
    }

    /// The session with the images' vulnerabilities (a scan finished after the audit was
    /// shown): the cluster is checked again with them, its notes kept.
    pub fn with_vulnerabilities(
        mut self,
        facts: crate::vuln::facts::ImageFacts,
        notes: Vec<String>,
    ) -> Session {
        self.config.vulnerabilities = Some(Arc::new(facts));
        self.recheck(notes)
    }

    /// The session with the images' signature verdicts (`--verify-signatures` looked them
    /// up after the audit was shown; `None`: no verdicts at all): the cluster is checked
    /// again with them, its notes kept.
    pub fn with_signatures(
        mut self,
        facts: Option<crate::signatures::facts::SignatureFacts>,
        notes: Vec<String>,
    ) -> Session {
        self.config.signatures = facts.map(Arc::new);
        self.recheck(notes)
    }

    /// Checks the cluster again (facts about its images changed) and re-judges, with
    /// `notes` added to the source's.
    fn recheck(mut self, notes: Vec<String>) -> Session {
        let inventory = Arc::make_mut(&mut self.inventory);
        inventory.source.notes.extend(notes);
        let mut cluster = engine::check_cluster(inventory, &self.config);
        locate::refine(
            &mut cluster.findings.findings,
            &mut inventory.errors,
            &self.source,
        );
        self.cluster = Arc::new(cluster);
        self.report = Arc::new(self.judge());
        self
    }

    /// Triage, scores and order over the cluster's results and the audit findings; the
    /// changes since the baseline stay (they count every finding, suppressed or not).
    fn judge(&self) -> Report {
        let mut report = engine::assemble(
            &self.inventory,
            &self.config,
            (*self.cluster).clone(),
            &self.triage,
            &self.today,
            self.audit_log.as_deref().cloned(),
        );
        report.changes = self.report.changes.clone();
        report
    }
}

/// How many past audits the score trend shows.
const TREND_LENGTH: usize = 30;

/// One audit, its report and nothing kept (`kaudit scan`): the cluster's results move into
/// the report instead of being copied for re-judging.
pub fn report(source: &Source, options: &SessionOptions) -> Result<Report, Error> {
    let checked = Checked::read(source, options)?;
    Ok(engine::assemble(
        &checked.inventory,
        &checked.config,
        checked.cluster,
        &checked.triage,
        &options.today,
        checked.logs.analysis,
    ))
}

/// A source read and checked, before triage.
struct Checked {
    inventory: Inventory,
    config: ScanConfig,
    cluster: ClusterResults,
    triage: triage::Inputs,
    logs: LogAnalysis,
}

impl Checked {
    fn read(source: &Source, options: &SessionOptions) -> Result<Checked, Error> {
        let mut cluster_checks = true;
        let mut inventory = match source.load() {
            Ok(inventory) => inventory,
            // Audit logs but no cluster to read (no kubeconfig, no such context): the logs
            // are still analysed, and the cluster part says it was not evaluated.
            Err(e)
                if e.kind() == crate::sources::ErrorKind::NoCluster
                    && !options.audit_logs.is_empty() =>
            {
                cluster_checks = false;
                let mut inventory =
                    Inventory::empty(SourceInfo::new("audit-log", source.label(), false, false));
                inventory.source.notes.push(format!(
                    "no cluster was read, so its checks are not evaluated (the audit logs are): {e}"
                ));
                inventory
            }
            Err(e) => return Err(e.into()),
        };
        let exemptions = read_exemptions_option(options.exemptions.as_deref())?;
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
            return Err(Error::NothingRead(errors));
        }
        let mut config = scan_config(options, Some(source));
        config.server_minor = inventory.source.server_minor();
        config.cluster = cluster_checks;
        let mut notes = Vec::new();
        config.vulnerabilities = vulnerabilities::gather(
            source,
            &inventory,
            &options.trivy_reports,
            options.image_scan.as_ref(),
            &options.today,
            &mut notes,
        )
        .map(Arc::new);
        config.signatures = signatures::gather(
            source,
            &inventory,
            options.signature_check.as_ref(),
            &mut notes,
        )
        .map(Arc::new);
        inventory.source.notes.extend(notes);
        // Full K8s Administrative Access is judged with the cluster's own bindings.
        let mut log_options = options.clone();
        log_options.audit_config.cluster_admins = cluster_admins(&inventory);
        let logs = analyze_logs(&log_options, Some(source), source)?;
        let mut cluster = engine::check_cluster(&inventory, &config);
        locate::refine(
            &mut cluster.findings.findings,
            &mut inventory.errors,
            source,
        );
        let decisions = history::decisions(
            &options.history,
            &inventory.source.context,
            &mut inventory.source.notes,
        );
        Ok(Checked {
            inventory,
            config,
            cluster,
            triage: triage::Inputs {
                exemptions,
                decisions,
            },
            logs,
        })
    }
}

/// `kaudit audit-log`: the logs (and policy) alone, no cluster.
/// `embedded`: a source whose own audit log and policy are read too (the demo's).
pub fn audit_log_only(
    options: &SessionOptions,
    embedded: Option<&Source>,
) -> Result<Report, Error> {
    let mut described: Vec<String> = options
        .audit_logs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if let Some((name, _)) = embedded.and_then(Source::embedded_audit_log) {
        described.push(name.to_string());
    }
    let description = described.join(", ");
    let inventory = Inventory::empty(SourceInfo::new("audit-log", description, false, false));
    let exemptions = read_exemptions_option(options.exemptions.as_deref())?;
    let logs = match embedded {
        Some(source) => analyze_logs(options, Some(source), source)?,
        None => analyze_logs(options, None, &Disk)?,
    };
    let config = ScanConfig {
        cluster: false,
        ..scan_config(options, None)
    };
    let mut inventory = inventory;
    let decisions = history::decisions(
        &options.history,
        &inventory.source.context,
        &mut inventory.source.notes,
    );
    Ok(engine::evaluate(
        &inventory,
        &config,
        &triage::Inputs {
            exemptions,
            decisions,
        },
        &options.today,
        logs.analysis,
    ))
}

/// The subjects the cluster's ClusterRoleBindings give cluster-admin.
pub fn cluster_admins(inventory: &Inventory) -> Vec<AdminBinding> {
    use crate::inventory::BindingKind;
    inventory
        .bindings
        .iter()
        .filter(|b| {
            b.kind == BindingKind::ClusterRoleBinding
                && b.role_ref.kind == "ClusterRole"
                && b.role_ref.name == "cluster-admin"
        })
        .flat_map(|b| {
            b.subjects.iter().filter_map(move |s| {
                let subject = match s.kind.as_str() {
                    "User" => AdminSubject::User(s.name.clone()),
                    "Group" => AdminSubject::Group(s.name.clone()),
                    "ServiceAccount" => AdminSubject::User(format!(
                        "system:serviceaccount:{}:{}",
                        s.namespace.as_deref().unwrap_or(""),
                        s.name
                    )),
                    _ => return None,
                };
                Some(AdminBinding {
                    subject,
                    via: format!("ClusterRoleBinding {}", b.name),
                })
            })
        })
        .collect()
}

/// The audit logs and policy of a session, analysed.
struct LogAnalysis {
    analysis: Option<Analysis>,
    policy: Option<AuditPolicy>,
    follower: Option<Follower>,
}

/// The logs and policy of `options`, else those that come with the source (the demo's),
/// their findings' evidence pointed at its lines in `files`.
fn analyze_logs(
    options: &SessionOptions,
    source: Option<&Source>,
    files: &dyn TextSource,
) -> Result<LogAnalysis, Error> {
    let policy = match &options.audit_policy {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| Error::File {
                what: "audit policy",
                path: path.clone(),
                error,
            })?;
            Some(AuditPolicy::parse(&path.display().to_string(), &text)?)
        }
        None => match source.and_then(Source::embedded_audit_policy) {
            Some((name, text)) => Some(AuditPolicy::parse(name, text)?),
            None => None,
        },
    };
    let (logs, follower) = read_logs(options, source);
    let mut analysis = with_policy(logs, policy.as_ref());
    if let Some(a) = &mut analysis {
        locate::refine(&mut a.findings.findings, &mut [], files);
    }
    Ok(LogAnalysis {
        analysis,
        policy,
        follower,
    })
}

/// The log analysis with the policy's lint findings and blind spots added.
fn with_policy(logs: Option<Analysis>, policy: Option<&AuditPolicy>) -> Option<Analysis> {
    let Some(policy) = policy else { return logs };
    let mut analysis = logs.unwrap_or_default();
    policy.lint(&mut analysis.findings);
    policy.blind_spots(&mut analysis.findings);
    Some(analysis)
}

fn read_logs(
    options: &SessionOptions,
    source: Option<&Source>,
) -> (Option<Analysis>, Option<Follower>) {
    let (window, config) = (&options.window, options.audit_config.clone());
    if !options.audit_logs.is_empty() && options.follow {
        let follower = Follower::start(&options.audit_logs, window, config);
        return (Some(follower.snapshot()), Some(follower));
    }
    if !options.audit_logs.is_empty() {
        return (
            Some(auditlog::analyze(&options.audit_logs, window, config)),
            None,
        );
    }
    let embedded = source
        .and_then(Source::embedded_audit_log)
        .map(|(name, bytes)| auditlog::analyze_bytes(name, bytes, window, config));
    (embedded, None)
}

/// Reads the exemptions file.
pub fn read_exemptions(path: &Path) -> Result<Vec<Exemption>, Error> {
    read_exemptions_text(path).map(|(_, list)| list)
}

/// Reads the exemptions file, keeping its text (for editing it in place).
pub fn read_exemptions_text(path: &Path) -> Result<(String, Vec<Exemption>), Error> {
    let text = std::fs::read_to_string(path).map_err(|error| Error::File {
        what: "exemptions file",
        path: path.to_path_buf(),
        error,
    })?;
    let list = triage::parse_exemptions(&path.display().to_string(), &text)?;
    Ok((text, list))
}

fn read_exemptions_option(path: Option<&Path>) -> Result<Vec<Exemption>, Error> {
    path.map_or(Ok(Vec::new()), read_exemptions)
}

fn scan_config(options: &SessionOptions, source: Option<&Source>) -> ScanConfig {
    let allowed_registries = if options.allowed_registries.is_empty() {
        source.map_or_else(Vec::new, Source::default_allowed_registries)
    } else {
        options.allowed_registries.clone()
    };
    ScanConfig {
        pss_version: options.pss_version,
        server_minor: None,
        allowed_registries,
        cluster: true,
        vulnerabilities: None,
        signatures: None,
    }
}
