//! What comes into the TUI's [`super::App::update`] ([`Event`]) and the side effects it asks
//! the runtime to carry out ([`Effect`]).

use super::{ExportFormat, ExportScope, Prepared};
use crate::pss::Version;
use crossterm::event::KeyEvent;

/// Input from the outside world.
pub enum Event {
    Key(KeyEvent),
    /// How far loading (or, once loaded, the background work) has come.
    Progress(String),
    /// `--scan-images`: the images' vulnerabilities, scanned after the audit was shown, with
    /// notes on what could not be read.
    ImagesScanned(Box<Result<(crate::vuln::facts::ImageFacts, Vec<String>), String>>),
    /// `--verify-signatures`: the images' signature verdicts (none when nothing was looked
    /// up), looked up after the audit of read `read` was shown, with notes on what could
    /// not be.
    SignaturesChecked {
        read: u64,
        found: Box<(
            Option<crate::signatures::facts::SignatureFacts>,
            Vec<String>,
        )>,
    },
    Loaded(Box<Result<Prepared, crate::session::Error>>),
    /// The audit re-judged (an exemption written or removed, audit events merged), with a
    /// message for the status line.
    Rejudged(Box<Prepared>, String),
    /// Every workload evaluated at another Pod Security version.
    PssEvaluated {
        version: Version,
        rows: Vec<crate::tui::model::WorkloadPssRow>,
    },
    /// The object text of a finding (or its raw audit event), read for the detail view.
    Yaml {
        finding: usize,
        first_line: u32,
        lines: Vec<String>,
        raw_event: bool,
    },
    /// A side effect finished: a message for the status line.
    Done(Result<String, String>),
    /// A watch saw the cluster change after the read (what changed, in a few words).
    Changed(String),
    /// `--follow`: the audit log analysis with the lines written since.
    AuditLogUpdated(Box<crate::auditlog::Analysis>),
    /// Time passes: seconds since the audit was loaded (the header shows the data's age).
    Tick {
        data_age_secs: u64,
        /// Unix seconds now, for the exam's timer.
        now_unix: i64,
    },
    /// A practice task's scenario was written (the folder), or why not.
    LabStarted {
        task: usize,
        result: Result<String, String>,
    },
    /// A practice task's work folder graded, or why it could not be.
    LabChecked {
        task: usize,
        result: Result<Box<crate::lab::grade::Grade>, String>,
    },
    Resize(u16, u16),
}

/// Work with side effects that `update` asks the runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Export {
        format: ExportFormat,
        findings: Option<Vec<usize>>,
        scope: ExportScope,
    },
    Suppress {
        finding: usize,
        reason: String,
    },
    Unsuppress {
        finding: usize,
    },
    /// Keep a triage decision on a finding in the store (`None`: take it back).
    Decide {
        finding: usize,
        verdict: Option<crate::triage::decisions::Verdict>,
        reason: String,
        expires: Option<String>,
    },
    LoadYaml {
        finding: usize,
    },
    /// Read the source again; for a live cluster, optionally in another context.
    Reload {
        context: Option<String>,
    },
    /// Say which kubeconfig contexts there are.
    ListContexts,
    /// `--follow`: re-judge with the newer audit-log analysis.
    MergeAuditLog(Box<crate::auditlog::Analysis>),
    /// `--scan-images`: check the cluster again with the images' vulnerabilities.
    ApplyImageFacts(Box<crate::vuln::facts::ImageFacts>, Vec<String>),
    /// `--verify-signatures`: check the cluster again with the images' signature verdicts.
    ApplySignatureFacts(Box<crate::signatures::facts::SignatureFacts>, Vec<String>),
    /// Evaluate every workload at this Pod Security version.
    EvaluatePss {
        version: Version,
    },
    /// Write a practice task's scenario into its work folder.
    LabStart {
        task: usize,
        folder: std::path::PathBuf,
    },
    /// Grade a practice task's work folder.
    LabCheck {
        task: usize,
        folder: std::path::PathBuf,
    },
    Quit,
}
