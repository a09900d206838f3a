//! The TUI's state and its one entry point for change, [`App::update`]: pure (no I/O, no
//! clock), so it is unit-tested; work with side effects comes back as an [`Effect`] for the
//! runtime to carry out.

use super::keymap::{self, Action, Scope};
use super::model::Model;
use super::theme::Theme;
use crate::pss::Version;
use crate::session::Session;
use crate::severity::Area;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod actions;
mod background;
mod commands;
mod decide;
mod events;
mod lab;
mod overlays;
mod panes;
mod query;
mod vulns;

pub use vulns::{VulnSort, VulnTable};

pub use commands::next_version;
pub use decide::{DecisionForm, Field as DecisionField};
pub use events::{Effect, Event};
pub use lab::{ExamClock, Lab, TaskState};
pub use panes::{Narrowing, Pane, PaneId, max_scroll, table_height, text_area};
pub use query::FindingsQuery;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Dashboard,
    Images,
    Pss,
    Findings,
    Audit,
    Signatures,
    Rules,
    /// A finding, by index in the report.
    Detail(usize),
    /// A rule, by index in the catalog.
    Rule(usize),
    /// An image and its known vulnerabilities, by index in the images table's model.
    Image(usize),
    /// CKS practice tasks (`:lab`).
    Lab,
    /// A practice task's page, by index in the lab's catalog.
    LabTask(usize),
}

/// Tab order.
pub const TABS: [View; 7] = [
    View::Dashboard,
    View::Images,
    View::Pss,
    View::Findings,
    View::Audit,
    View::Signatures,
    View::Rules,
];

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Dashboard => "Dashboard",
            View::Images => "Images",
            View::Pss => "Pod security",
            View::Findings => "Findings",
            View::Audit => "Audit log",
            View::Signatures => "Signatures",
            View::Rules => "Rules",
            View::Detail(_) => "Finding",
            View::Rule(_) => "Rule",
            View::Image(_) => "Image",
            View::Lab => "Lab",
            View::LabTask(_) => "Task",
        }
    }

    /// Key scopes, most specific first.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            View::Findings => &[Scope::Findings, Scope::Table, Scope::Global],
            View::Pss => &[Scope::Pss, Scope::Table, Scope::Global],
            View::Images | View::Rules => &[Scope::Table, Scope::Global],
            // No filter there: `/` would do nothing, and the next letter would be a key.
            View::Dashboard | View::Audit | View::Signatures => &[Scope::Summary, Scope::Global],
            View::Detail(_) => &[Scope::Detail, Scope::Global],
            View::Image(_) => &[Scope::Image, Scope::Global],
            View::Rule(_) => &[Scope::Rule, Scope::Global],
            View::Lab => &[Scope::Lab, Scope::Table, Scope::Global],
            View::LabTask(_) => &[Scope::Lab, Scope::Global],
        }
    }
}

/// The commands of the `:` bar, for completion.
pub const COMMANDS: &[&str] = &[
    "images",
    "pss",
    "findings",
    "audit",
    "sig",
    "rules",
    "lab",
    "dashboard",
    "ns",
    "ctx",
    "q",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Severity,
    Rule,
    Namespace,
    Object,
}

/// Text being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    None,
    Command(String),
    Filter(String),
    /// A reason for suppressing the finding.
    Reason {
        finding: usize,
        text: String,
    },
    /// The triage form: a decision on a finding.
    Decide(Box<decide::DecisionForm>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Json,
    Sarif,
    Junit,
    Html,
    Csv,
}

impl ExportFormat {
    /// Every format `kaudit scan --format` writes.
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::Md,
        ExportFormat::Json,
        ExportFormat::Sarif,
        ExportFormat::Junit,
        ExportFormat::Html,
        ExportFormat::Csv,
    ];
    /// As `--format` names it.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Junit => "junit",
            other => other.extension(),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Md => "md",
            ExportFormat::Json => "json",
            ExportFormat::Sarif => "sarif",
            ExportFormat::Junit => "xml",
            ExportFormat::Html => "html",
            ExportFormat::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Everything,
    ThisView,
    ThisFilter,
}

impl ExportScope {
    pub const ALL: [ExportScope; 3] = [
        ExportScope::Everything,
        ExportScope::ThisView,
        ExportScope::ThisFilter,
    ];
    pub fn label(self) -> &'static str {
        match self {
            ExportScope::Everything => "everything",
            ExportScope::ThisView => "this view",
            ExportScope::ThisFilter => "this filter",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Export {
        format: ExportFormat,
        scope: ExportScope,
        field: u8,
    },
}

/// Progress of the background load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading {
        stage: String,
        ticks: u32,
    },
    Ready,
    Failed {
        message: String,
        /// What the user can do, from the kind of failure.
        advice: Option<&'static str>,
    },
}

/// A session with its view model, both built off the UI thread.
pub struct Prepared {
    pub session: Session,
    pub model: Model,
    /// The read whose signatures are looked up after it is shown (`--verify-signatures`):
    /// its verdicts come as [`Event::SignaturesChecked`] with this number.
    pub signatures_pending: Option<u64>,
}

impl Prepared {
    pub fn new(session: Session) -> Prepared {
        let model = Model::build(&session, session.config.pss_version);
        Prepared {
            session,
            model,
            signatures_pending: None,
        }
    }
}

/// The YAML shown in a finding's detail.
#[derive(Debug, Clone, Default)]
pub struct YamlPane {
    pub finding: Option<usize>,
    /// The lines are an audit event, pretty-printed (not lines of the file).
    pub raw_event: bool,
    pub first_line: u32,
    pub lines: Vec<String>,
    pub scroll: u16,
    pub focused: bool,
}

/// What the findings table's base order depends on: sort, namespace and `:findings` query.
type FindingsOrderKey = (SortKey, Option<String>, FindingsQuery);

pub struct App {
    pub theme: Theme,
    pub size: (u16, u16),
    pub source_label: String,
    pub load: LoadState,
    pub audit: Option<Session>,
    pub model: Model,
    pub view: View,
    pub history: Vec<View>,
    pub dashboard: Pane,
    pub images: Pane,
    pub namespaces: Pane,
    pub workloads: Pane,
    pub findings: Pane,
    pub rule_groups: Pane,
    pub rules: Pane,
    pub sort: SortKey,
    pub grouped: bool,
    pub pss_workloads: bool,
    pub pss_version: Version,
    /// `:ns NAME` limits every view to one namespace.
    pub namespace: Option<String>,
    /// `:ns` alone: enter on a namespace scopes every view to it.
    pub picking_namespace: bool,
    /// Under `:ns NAME`: its findings counted for the header and the dashboard.
    pub scoped: Option<crate::tui::model::ScopedCounts>,
    pub input: Input,
    pub overlay: Overlay,
    pub status: Option<String>,
    pub yaml: YamlPane,
    pub detail_scroll: u16,
    /// The selected row of the Audit log view (a rule, bucket, identity or denied request).
    pub audit_cursor: usize,
    /// How far the Signatures view is scrolled (never past its last screenful).
    pub signatures_scroll: u16,
    pub data_age_secs: u64,
    /// How far the text view on screen scrolls, as the last frame drew it (`None` until a
    /// frame drew it): the keys stop there, so `k` after `G` moves at once.
    pub drawn_max_scroll: std::cell::Cell<Option<u16>>,
    /// Unix seconds at the last tick (the exam's timer).
    pub now_unix: i64,
    /// CKS practice: the tasks, their folders and checks, the exam's timer.
    pub lab: Lab,
    pub quit: bool,
    /// Set while the source is read again (the previous read stays on screen meanwhile).
    pub reloading: Option<String>,
    /// The vulnerability table of the image page.
    pub vulns: VulnTable,
    /// Work going on after the audit is on screen (`images 3/12`), for the header.
    pub background: Option<String>,
    /// The read whose signatures are being looked up, until its verdicts are in the
    /// audit: the views say so rather than "not looked up".
    pub signatures_pending: Option<u64>,
    /// Changes a watch saw since the last read, and the latest of them.
    pub changes: u32,
    pub last_change: Option<String>,
    /// Findings in the current sort order (and namespace), and the filter results built on it.
    findings_order: (Option<FindingsOrderKey>, Vec<usize>),
    /// What `:findings CONDITIONS` keeps (the `/` filter narrows within it).
    pub findings_query: FindingsQuery,
    findings_narrowing: Narrowing,
}

impl App {
    pub fn new(theme: Theme, source_label: String, size: (u16, u16)) -> Self {
        App {
            theme,
            size,
            source_label,
            load: LoadState::Loading {
                stage: "starting".into(),
                ticks: 0,
            },
            audit: None,
            model: Model::default(),
            view: View::Dashboard,
            history: Vec::new(),
            dashboard: Pane::default(),
            images: Pane::default(),
            namespaces: Pane::default(),
            workloads: Pane::default(),
            findings: Pane::default(),
            rule_groups: Pane::default(),
            rules: Pane::default(),
            sort: SortKey::Severity,
            grouped: false,
            pss_workloads: false,
            pss_version: Version::Latest,
            namespace: None,
            picking_namespace: false,
            scoped: None,
            input: Input::None,
            overlay: Overlay::None,
            status: None,
            yaml: YamlPane::default(),
            detail_scroll: 0,
            audit_cursor: 0,
            signatures_scroll: 0,
            data_age_secs: 0,
            drawn_max_scroll: std::cell::Cell::new(None),
            now_unix: 0,
            lab: Lab::default(),
            vulns: VulnTable::default(),
            background: None,
            signatures_pending: None,
            quit: false,
            reloading: None,
            changes: 0,
            last_change: None,
            findings_order: (None, Vec::new()),
            findings_query: FindingsQuery::default(),
            findings_narrowing: Narrowing::default(),
        }
    }

    /// Installs a finished audit with its view model and refreshes every table.
    pub fn install(&mut self, prepared: Prepared) {
        let Prepared { session, model, .. } = prepared;
        self.pss_version = session.config.pss_version;
        self.model = model;
        self.findings_order = (None, Vec::new());
        self.audit = Some(session);
        self.load = LoadState::Ready;
        self.refresh_all();
    }

    /// The stable ID of the finding the detail view shows.
    /// After the findings changed (a re-read, a rerun, new audit events), keeps showing
    /// the finding that was shown, whose index may have moved, with its YAML pane; back to
    /// the list when it is gone.
    fn reshow(&mut self, shown: Option<crate::findings::FindingId>) {
        let View::Detail(old) = self.view else {
            return;
        };
        let now = shown.and_then(|id| {
            self.audit
                .as_ref()
                .and_then(|a| a.report.findings.iter().position(|f| f.id == id))
        });
        match now {
            Some(i) => {
                if self.yaml.finding == Some(old) {
                    self.yaml.finding = Some(i);
                }
                self.view = View::Detail(i);
            }
            None => self.view = View::Findings,
        }
    }

    pub fn shown_finding_id(&self) -> Option<crate::findings::FindingId> {
        match self.view {
            View::Detail(i) => self
                .audit
                .as_ref()
                .and_then(|a| a.report.findings.get(i))
                .map(|f| f.id),
            _ => None,
        }
    }

    /// The finding a key acts on: the detail's, or the selected row's.
    pub fn current_finding(&self) -> Option<usize> {
        match self.view {
            View::Detail(i) => Some(i),
            View::Findings if !self.grouped => self
                .findings
                .rows
                .get(self.findings.selected)
                .map(|r| self.model.findings[*r].index),
            View::Dashboard => self
                .dashboard
                .rows
                .get(self.dashboard.selected)
                .map(|r| self.model.findings[*r].index),
            _ => None,
        }
    }

    fn go(&mut self, view: View) {
        self.picking_namespace = false;
        if view != self.view {
            self.history.push(self.view);
            self.view = view;
            self.drawn_max_scroll.set(None);
        }
    }

    fn back(&mut self) {
        self.picking_namespace = false;
        if let Some(v) = self.history.pop() {
            self.view = v;
            self.drawn_max_scroll.set(None);
        }
    }

    /// Applies an event. Returns the side effect to carry out, if any.
    pub fn update(&mut self, event: Event) -> Option<Effect> {
        match event {
            Event::Tick {
                data_age_secs,
                now_unix,
            } => {
                if let LoadState::Loading { ticks, .. } = &mut self.load {
                    *ticks += 1;
                }
                self.data_age_secs = data_age_secs;
                self.now_unix = now_unix;
                None
            }
            Event::LabStarted { task, result } => {
                self.lab_started(task, result);
                None
            }
            Event::LabChecked { task, result } => {
                self.lab_checked(task, result);
                None
            }
            Event::Progress(stage) => {
                match &mut self.load {
                    LoadState::Loading { stage: s, .. } => *s = stage,
                    _ => self.background = Some(stage),
                }
                None
            }
            Event::ImagesScanned(found) => self.images_scanned(*found),
            Event::SignaturesChecked { read, found } => self.signatures_checked(read, *found),
            Event::Loaded(result) => {
                let reloaded = self.reloading.take().is_some() && self.audit.is_some();
                match *result {
                    Ok(prepared) => {
                        // A newer read: an older read's lookups no longer apply, and the
                        // header's "reading the source" (a re-read's progress) is over.
                        self.signatures_pending = prepared.signatures_pending;
                        self.background = None;
                        let shown = self.shown_finding_id();
                        let notes = prepared.session.report.source.notes.clone();
                        self.install(prepared);
                        self.changes = 0;
                        self.last_change = None;
                        self.reshow(shown);
                        self.status = match notes.first() {
                            Some(note) => Some(crate::sanitize::strip_controls(note).into_owned()),
                            None if reloaded => Some("re-read: the views show the new read".into()),
                            None => None,
                        };
                    }
                    Err(e) if reloaded => {
                        self.status = Some(format!(
                            "re-read failed, still showing the previous read: {}",
                            crate::sanitize::strip_controls(&e.to_string())
                        ));
                    }
                    Err(e) => {
                        self.load = LoadState::Failed {
                            message: e.to_string(),
                            advice: e.source_kind().map(crate::sources::ErrorKind::advice),
                        }
                    }
                }
                None
            }
            // Re-judged off the UI thread; the views change when it is done.
            Event::AuditLogUpdated(analysis) => {
                self.audit.as_ref()?;
                Some(Effect::MergeAuditLog(analysis))
            }
            Event::Changed(what) => {
                self.changes = self.changes.saturating_add(1);
                self.last_change = Some(what);
                None
            }
            Event::Rejudged(prepared, message) => {
                // Findings are addressed by position, which may change: keep showing the
                // one the detail showed.
                let shown = self.shown_finding_id();
                self.rejudged_signatures(&prepared);
                self.install(*prepared);
                self.reshow(shown);
                self.status = Some(message);
                None
            }
            Event::PssEvaluated { version, rows } => {
                // A later `v` asked for another version: this one is stale.
                if version == self.pss_version {
                    self.model.set_workload_rows(version, rows);
                    self.refresh(PaneId::Workloads);
                }
                None
            }
            Event::Yaml {
                finding,
                first_line,
                lines,
                raw_event,
            } => {
                let focus_line = self
                    .audit
                    .as_ref()
                    .and_then(|a| a.report.findings.get(finding))
                    .and_then(|f| f.location.as_ref())
                    .filter(|_| !raw_event)
                    .map_or(first_line, |l| l.line);
                self.yaml = YamlPane {
                    finding: Some(finding),
                    raw_event,
                    first_line,
                    scroll: focus_line.saturating_sub(first_line).saturating_sub(3) as u16,
                    lines,
                    focused: false,
                };
                None
            }
            Event::Done(result) => {
                self.status = Some(match result {
                    Ok(m) => m,
                    Err(e) => format!("error: {e}"),
                });
                None
            }
            Event::Resize(w, h) => {
                self.size = (w, h);
                self.refresh_all();
                None
            }
            Event::Key(key) => self.on_key(key),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Some(Effect::Quit);
        }
        if self.input != Input::None {
            return self.on_input_key(key);
        }
        if self.overlay != Overlay::None {
            return self.on_overlay_key(key);
        }
        if let LoadState::Loading { .. } | LoadState::Failed { .. } = self.load {
            // Until the audit is there, only quitting makes sense, and trying again after
            // a failure (or in another context, with :ctx).
            let failed = matches!(self.load, LoadState::Failed { .. });
            return match keymap::lookup(&key, &[Scope::Global]) {
                Some(Action::Quit) => {
                    self.quit = true;
                    Some(Effect::Quit)
                }
                Some(Action::Reload) if failed => self.reload(None),
                Some(Action::Command) if failed => self.on_action(Action::Command),
                _ => None,
            };
        }
        let action = keymap::lookup(&key, self.view.scopes())?;
        self.status = None;
        self.on_action(action)
    }

    /// Report indices of the findings the current view shows (with or without its filter).
    pub fn view_findings(&self, filtered: bool) -> Vec<usize> {
        let m = &self.model;
        let area = match self.view {
            View::Images => Some(Area::Images),
            View::Pss => Some(Area::PodSecurity),
            View::Audit => Some(Area::AuditLog),
            View::Signatures => Some(Area::Signatures),
            _ => None,
        };
        if filtered && self.view == View::Findings && !self.grouped {
            return self
                .findings
                .rows
                .iter()
                .map(|r| m.findings[*r].index)
                .collect();
        }
        if let View::Detail(i) = self.view {
            return vec![i];
        }
        let ns = self.namespace.as_deref();
        m.findings
            .iter()
            .filter(|f| area.is_none_or(|a| f.area == a) && ns.is_none_or(|n| f.namespace == n))
            .map(|f| f.index)
            .collect()
    }

    /// Footer hints for the current view.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        match (&self.input, &self.overlay) {
            (Input::Command(_), _) => {
                vec![("tab", "complete"), ("enter", "run"), ("esc", "cancel")]
            }
            (Input::Filter(_), _) => vec![("enter", "keep filter"), ("esc", "cancel")],
            (Input::Reason { .. }, _) => vec![("enter", "suppress"), ("esc", "cancel")],
            (Input::Decide(_), _) => vec![
                ("tab", "field"),
                ("left/right", "verdict"),
                ("enter", "keep"),
                ("esc", "cancel"),
            ],
            (_, Overlay::Export { .. }) => vec![
                ("tab", "field"),
                ("left/right", "change"),
                ("enter", "write"),
                ("esc", "cancel"),
            ],
            (_, Overlay::Help { .. }) => vec![("j/k", "scroll"), ("esc", "close")],
            _ => keymap::hints(self.view.scopes()),
        }
    }
}
