//! An audit's place in the history: compared with the last audit of the same context (or a
//! baseline the user names), then saved to the store. A store that cannot be used costs the
//! history, never the audit: the report says why.

use crate::engine::Report;
use crate::findings::FindingId;
use crate::findings::changes::{Baseline, Changes, PastFinding};
use crate::store::{self, SessionSummary, Store};
use crate::triage::decisions::Decision;
use std::path::{Path, PathBuf};

/// What an earlier audit to compare with is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineChoice {
    /// A session in the store, by number (`kaudit history`).
    Session(i64),
    /// An earlier `--format json` report.
    Report(PathBuf),
}

impl std::str::FromStr for BaselineChoice {
    type Err = std::convert::Infallible;

    /// A number is a session; anything else a report file.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.parse::<i64>() {
            Ok(id) => BaselineChoice::Session(id),
            Err(_) => BaselineChoice::Report(PathBuf::from(s)),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// The store's file; `None` for a throwaway run (`--no-store`).
    pub store: Option<PathBuf>,
    /// Compare with this instead of the last audit of the same context.
    pub baseline: Option<BaselineChoice>,
}

/// Why the history part of an audit failed in a way the user must fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--baseline {}: {message}", path.display())]
    BaselineReport { path: PathBuf, message: String },
    #[error("--baseline {0}: {1}")]
    BaselineSession(i64, String),
}

/// Earlier reports are read up to this size.
const MAX_REPORT_BYTES: u64 = 512 << 20;

/// Sets `report.changes` and saves the audit. Store problems become a note on the report's
/// source (the audit stands); a baseline that cannot be read is an error.
pub fn record(
    report: &mut Report,
    options: &HistoryOptions,
    started: &str,
    finished: &str,
) -> Result<(), Error> {
    let store = compare(report, options)?;
    if let Err(e) = save(store, report, started, finished) {
        note(report, e);
    }
    Ok(())
}

/// Sets `report.changes` against the baseline; returns the store to [`save`] the audit in
/// (none when there is no history or it cannot be used: the report then says why).
pub fn compare(report: &mut Report, options: &HistoryOptions) -> Result<Option<Store>, Error> {
    let store = match &options.store {
        Some(path) => match Store::open(path) {
            Ok(store) => Some(store),
            Err(e) => {
                note(report, format!("audit history not used: {e}"));
                None
            }
        },
        None => None,
    };
    let baseline = match &options.baseline {
        Some(BaselineChoice::Report(path)) => Some(read_report(path)?),
        Some(BaselineChoice::Session(id)) => {
            let Some(store) = &store else {
                return Err(Error::BaselineSession(
                    *id,
                    "the audit history cannot be read (see the notes above)".into(),
                ));
            };
            Some(
                session_baseline(store, *id)
                    .map_err(|e| Error::BaselineSession(*id, e.to_string()))?,
            )
        }
        None => match &store {
            Some(store) => match last_of_context(store, &report.source.context) {
                Ok(found) => found,
                Err(e) => {
                    note(report, format!("audit history not compared: {e}"));
                    None
                }
            },
            None => None,
        },
    };
    let mut changes = match baseline {
        Some((baseline, past)) => Changes::between(&report.findings, baseline, past),
        None => Changes::default(),
    };
    if let (Some(store), Some(session)) =
        (&store, changes.baseline.as_ref().and_then(|b| b.session))
        && let Err(e) = store.describe(session, &mut changes.resolved_findings)
    {
        note(
            report,
            format!("audit history: resolved findings not described: {e}"),
        );
    }
    report.changes = Some(changes);
    Ok(store)
}

/// Saves the audit in the store [`compare`] opened; the error says what was lost.
pub fn save(
    store: Option<Store>,
    report: &Report,
    started: &str,
    finished: &str,
) -> Result<(), String> {
    match store {
        Some(mut store) => store
            .save_session(report, started, finished)
            .map(drop)
            .map_err(|e| format!("audit not saved to the history: {e}")),
        None => Ok(()),
    }
}

/// The triage decisions kept for `context`; a store that cannot be read leaves a note and
/// no decisions (the findings then show untriaged, never silently dropped).
pub fn decisions(
    options: &HistoryOptions,
    context: &str,
    notes: &mut Vec<String>,
) -> Vec<Decision> {
    let Some(path) = &options.store else {
        return Vec::new();
    };
    match Store::open_existing(path).and_then(|store| match store {
        Some(store) => store.decisions(context),
        None => Ok(Vec::new()),
    }) {
        Ok(decisions) => decisions,
        Err(e) => {
            notes.push(format!("audit history: triage decisions not read: {e}"));
            Vec::new()
        }
    }
}

/// The last `limit` audits of `context` saved in the store [`compare`] opened, oldest first;
/// nothing without a store (comparing already said why).
pub fn trend(store: Option<&Store>, context: &str, limit: usize) -> Vec<SessionSummary> {
    let Some(store) = store else {
        return Vec::new();
    };
    let mut sessions = store.sessions(Some(context), limit).unwrap_or_default();
    sessions.reverse();
    sessions
}

/// Keeps (or with `None` takes back) a decision on `finding` in the store at `path`; returns
/// every decision of `context` as it now stands in the store (another kaudit may have added
/// some).
pub fn decide(
    path: &Path,
    context: &str,
    finding: &crate::findings::Finding,
    decision: Option<&Decision>,
) -> Result<Vec<Decision>, String> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    match decision {
        Some(d) => store.decide(context, d),
        None => store.undecide(context, finding.id).map(drop),
    }
    .and_then(|()| store.decisions(context))
    .map_err(|e| format!("decision not kept: {e}"))
}

/// Who takes a decision: `given` (`--author`), else git's `user.name`, else the OS user.
pub fn author(given: Option<&str>) -> String {
    if let Some(name) = given.map(str::trim).filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let git = std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty() && name.len() <= 200);
    git.or_else(|| {
        ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    })
    .unwrap_or_else(|| "unknown".into())
}

fn note(report: &mut Report, text: String) {
    report.source.notes.push(text);
}

fn session_baseline(store: &Store, id: i64) -> Result<(Baseline, Vec<PastFinding>), store::Error> {
    let session = store.session(id)?;
    // Ids only: the resolved few are described after the diff.
    let past = store
        .finding_ids_of(id)?
        .into_iter()
        .map(PastFinding::id_only)
        .collect();
    Ok((
        Baseline {
            kind: "session",
            session: Some(id),
            file: None,
            started: Some(session.started),
        },
        past,
    ))
}

fn last_of_context(
    store: &Store,
    context: &str,
) -> Result<Option<(Baseline, Vec<PastFinding>)>, store::Error> {
    match store.previous(context, None)? {
        Some(id) => session_baseline(store, id).map(Some),
        None => Ok(None),
    }
}

/// The findings of an earlier JSON report (its `findings[].id` and what describes them).
fn read_report(path: &Path) -> Result<(Baseline, Vec<PastFinding>), Error> {
    let fail = |message: String| Error::BaselineReport {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_REPORT_BYTES + 1),
        &mut text,
    )
    .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > MAX_REPORT_BYTES {
        return Err(fail(format!("larger than {} MiB", MAX_REPORT_BYTES >> 20)));
    }
    #[derive(serde::Deserialize)]
    struct Earlier {
        findings: Vec<EarlierFinding>,
    }
    #[derive(serde::Deserialize)]
    struct EarlierFinding {
        id: String,
        #[serde(default)]
        rule_id: String,
        #[serde(default)]
        severity: String,
        #[serde(default)]
        message: String,
        #[serde(default)]
        subject: serde_json::Value,
    }
    let earlier: Earlier = serde_json::from_slice(&text).map_err(|e| {
        fail(format!(
            "not a kaudit JSON report ({e}); write one with `kaudit scan --format json`"
        ))
    })?;
    let mut past = Vec::with_capacity(earlier.findings.len());
    for f in earlier.findings {
        let id = u64::from_str_radix(&f.id, 16)
            .map_err(|_| fail(format!("finding id {:?} is not a kaudit finding id", f.id)))?;
        let text = |k: &str| f.subject.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let namespace = if text("namespace").is_empty() {
            "-"
        } else {
            text("namespace")
        };
        let mut subject = format!("{namespace}/{}/{}", text("kind"), text("name"));
        if !text("container").is_empty() {
            subject = format!("{subject}/{}", text("container"));
        }
        past.push(PastFinding {
            id: FindingId(id),
            rule_id: f.rule_id,
            severity: f
                .severity
                .parse()
                .unwrap_or(crate::severity::Severity::Info),
            subject,
            message: f.message,
        });
    }
    Ok((
        Baseline {
            kind: "report",
            session: None,
            file: Some(path.display().to_string()),
            started: None,
        },
        past,
    ))
}
