//! Grading a task: the work folder (or a live cluster) audited as any other source, each
//! criterion judged on that audit, plus what every task asks: the folder reads, the workloads
//! still do their job, and nothing new broke compared with the untouched scenario.

use super::Error;
use super::catalog::Task;
use super::workdir::{self, AUDIT_LOG, AUDIT_POLICY, MANIFESTS, TempFolder};
use crate::auditlog::policy::AuditPolicy;
use crate::engine::Report;
use crate::findings::Finding;
use crate::inventory::Inventory;
use crate::session::{Session, SessionOptions};
use crate::severity::Severity;
use crate::sources::Source;
use crate::sources::live::LiveOptions;
use std::collections::BTreeMap;
use std::path::Path;

/// What is graded: the work folder's manifests, or the live cluster of a context (the audit
/// log, policy and answer still come from the work folder).
#[derive(Debug, Clone)]
pub enum Target {
    Folder,
    Cluster(LiveOptions),
}

/// One criterion judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: bool,
    pub reason: String,
    /// Where to look: `manifests/web.yaml:12 spec.containers[0].securityContext.privileged`.
    pub evidence: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CriterionResult {
    pub name: String,
    pub passed: bool,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `{task, passed, criteria: [{name, passed, reason}]}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Grade {
    pub task: String,
    pub passed: bool,
    pub criteria: Vec<CriterionResult>,
}

impl Grade {
    fn new(task: &Task, criteria: Vec<CriterionResult>) -> Grade {
        Grade {
            task: task.id.clone(),
            passed: criteria.iter().all(|c| c.passed),
            criteria,
        }
    }
}

/// The audit a criterion is judged on.
pub struct Graded<'a> {
    pub report: &'a Report,
    pub inventory: &'a Inventory,
    /// The work folder (answer file, keys, audit policy, manifests).
    pub folder: &'a Path,
    pub cluster: bool,
}

impl Graded<'_> {
    /// Where a finding points, relative to the work folder.
    pub fn pointer(&self, finding: &Finding) -> Option<String> {
        let location = finding.location.as_ref()?;
        let file = Path::new(&*location.file);
        let file = file
            .strip_prefix(self.folder)
            .map_or_else(|_| location.file.to_string(), |p| p.display().to_string());
        let field = finding
            .evidence
            .first()
            .map(|e| format!(" {}", crate::findings::dotted_path(&e.pointer.text())))
            .unwrap_or_default();
        Some(format!("{file}:{}{field}", location.line))
    }
}

/// "Nothing new broke": a finding the untouched scenario did not have, at this severity or
/// above, fails the task.
const NEW_FINDING_SEVERITY: Severity = Severity::Medium;

/// Grades `folder` (or the cluster) against `task`.
pub fn check(task: &Task, folder: &Path, target: &Target) -> Result<Grade, Error> {
    if matches!(target, Target::Folder) && !folder.join(MANIFESTS).is_dir() {
        return Err(Error::Folder(format!(
            "{} has no {MANIFESTS}/ folder: write the scenario first with `kaudit lab start {} {}`",
            folder.display(),
            task.id,
            folder.display()
        )));
    }
    let baseline = baseline(task)?;
    let source = match target {
        Target::Folder => Source::Manifests(vec![folder.join(MANIFESTS)]),
        Target::Cluster(options) => Source::Live(options.clone()),
    };
    let session = match Session::open(&source, &options(task, folder)) {
        Ok(session) => session,
        // An audit policy or manifests that do not read at all: the task fails with why.
        Err(e) => {
            return Ok(Grade::new(
                task,
                vec![CriterionResult {
                    name: "the work folder reads".into(),
                    passed: false,
                    reason: e.to_string(),
                    evidence: None,
                    hint: Some("fix the file named; the rest of your work is untouched".into()),
                }],
            ));
        }
    };
    let graded = Graded {
        report: &session.report,
        inventory: &session.inventory,
        folder,
        cluster: matches!(target, Target::Cluster(_)),
    };
    let mut results = Vec::new();
    if let Some(reads) = reads(&session.report, folder) {
        results.push(reads);
    }
    for criterion in &task.criteria {
        let outcome = criterion.judge(&graded);
        results.push(result(criterion.name(), outcome));
    }
    results.push(result(
        "the workloads still do their job".into(),
        super::intact::judge(task, &baseline.inventory, &session.inventory),
    ));
    results.push(result(
        "nothing new broke".into(),
        nothing_new(task, &baseline, &graded),
    ));
    Ok(Grade::new(task, results))
}

fn result(name: String, outcome: Outcome) -> CriterionResult {
    CriterionResult {
        name,
        passed: outcome.passed,
        reason: outcome.reason,
        evidence: outcome.evidence,
        hint: if outcome.passed { None } else { outcome.hint },
    }
}

/// How a task's folder is audited.
fn options(task: &Task, folder: &Path) -> SessionOptions {
    let mut options = SessionOptions::default();
    if let Some(version) = &task.options.pss_version
        && let Ok(version) = version.parse()
    {
        options.pss_version = version;
    }
    options.allowed_registries = task.options.allowed_registries.clone();
    let log = folder.join(AUDIT_LOG);
    if log.exists() {
        options.audit_logs = vec![log];
    }
    let policy = folder.join(AUDIT_POLICY);
    if policy.exists() {
        options.audit_policy = Some(policy);
    }
    // A lab audit is practice: it is not kept in the history of audits.
    options.history.store = None;
    options
}

/// Manifests that did not read: the task fails, naming each.
fn reads(report: &Report, folder: &Path) -> Option<CriterionResult> {
    let first = report.input_errors.first()?;
    let shown: Vec<String> = report
        .input_errors
        .iter()
        .take(5)
        .map(|e| e.to_string().replace(&format!("{}/", folder.display()), ""))
        .collect();
    let more = report.input_errors.len().saturating_sub(shown.len());
    Some(CriterionResult {
        name: "the work folder reads".into(),
        passed: false,
        reason: format!(
            "{}{}",
            shown.join("; "),
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            }
        ),
        evidence: Some(first.file.replace(&format!("{}/", folder.display()), "")),
        hint: Some("fix the file named; the objects that read were graded".into()),
    })
}

/// The untouched scenario's audit: what "nothing new" and "still does its job" compare with.
pub struct Baseline {
    /// By [`finding_key`].
    pub findings: BTreeMap<String, Severity>,
    pub inventory: Inventory,
}

/// A finding's rule and subject with the folder's path taken out: the audit policy's findings
/// are named after its file, which lives in another folder for the baseline.
fn finding_key(f: &Finding, folder: &Path) -> String {
    let prefix = format!("{}/", folder.display());
    let s = &f.subject;
    format!(
        "{}|{}|{}|{}|{}",
        f.rule_id,
        s.kind,
        s.namespace,
        s.name.replace(&prefix, ""),
        s.container.as_deref().unwrap_or("")
    )
}

/// Audits the untouched scenario, written to a private temporary folder.
pub fn baseline(task: &Task) -> Result<Baseline, Error> {
    let temp = TempFolder::new()?;
    workdir::write_files(&temp.0, &task.scenario)?;
    let source = Source::Manifests(vec![temp.0.join(MANIFESTS)]);
    let session = Session::open(&source, &options(task, &temp.0))
        .map_err(|e| Error::Task(task.id.clone(), format!("its scenario does not audit: {e}")))?;
    let findings = session
        .report
        .findings
        .iter()
        .map(|f| (finding_key(f, &temp.0), f.severity))
        .collect();
    let inventory = std::sync::Arc::unwrap_or_clone(session.inventory);
    Ok(Baseline {
        findings,
        inventory,
    })
}

/// New findings at [`NEW_FINDING_SEVERITY`] or above, audit events aside (the log is the
/// same; what it shows is not the student's doing), in the scenario's namespaces or
/// cluster-wide.
fn nothing_new(task: &Task, baseline: &Baseline, graded: &Graded<'_>) -> Outcome {
    // A finding a `clear` criterion of the task judges is that criterion's to report (the
    // scenario may not even have let its rule look: NET001 with no NetworkPolicy at all).
    let judged = |f: &Finding| {
        task.criteria.iter().any(|c| {
            matches!(&c.check, super::criteria::Check::Clear(clear)
                if f.rule_id.eq_ignore_ascii_case(&clear.rule)
                    && super::criteria::is_about(f, clear))
        })
    };
    let namespaces: Vec<&str> = baseline
        .inventory
        .namespaces
        .keys()
        .map(String::as_str)
        .chain(baseline.inventory.workloads.iter().map(|w| &*w.namespace))
        .collect();
    let new: Vec<&Finding> = graded
        .report
        .findings
        .iter()
        .filter(|f| f.subject.event.is_none())
        .filter(|f| f.severity >= NEW_FINDING_SEVERITY)
        .filter(|f| !judged(f))
        .filter(|f| f.subject.namespace.is_empty() || namespaces.contains(&&*f.subject.namespace))
        .filter(|f| {
            baseline
                .findings
                .get(&finding_key(f, graded.folder))
                .is_none_or(|s| *s < f.severity)
        })
        .collect();
    match new.first() {
        None => Outcome {
            passed: true,
            reason: "no finding the scenario did not have".into(),
            evidence: None,
            hint: None,
        },
        Some(first) => Outcome {
            passed: false,
            reason: format!(
                "{} new finding{} at {} or above, first {} {}: {}",
                new.len(),
                if new.len() == 1 { "" } else { "s" },
                NEW_FINDING_SEVERITY.as_str(),
                first.rule_id,
                first.severity.label(),
                first.message()
            ),
            evidence: graded.pointer(first),
            hint: Some(first.remediation.to_string()),
        },
    }
}

/// The policy file of the work folder, parsed (for criteria that read it).
pub fn audit_policy(folder: &Path, file: &str) -> Result<AuditPolicy, String> {
    let path = folder.join(file);
    let bytes = workdir::read_bounded(&path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8"))?;
    AuditPolicy::parse(file, &text).map_err(|e| e.to_string())
}
