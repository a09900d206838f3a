//! The TUI's state and its one entry point for change, [`App::update`]: pure (no I/O, no
//! clock), so it is unit-tested; work with side effects comes back as an [`Effect`] for the
//! runtime to carry out.

use super::filter;
use super::keymap::{self, Action, Scope};
use super::model::Model;
use super::theme::Theme;
use crate::pss::{NEWEST_MINOR, Version};
use crate::session::Session;
use crate::severity::{Area, Severity};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
        }
    }

    /// Key scopes, most specific first.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            View::Findings => &[Scope::Findings, Scope::Table, Scope::Global],
            View::Pss => &[Scope::Pss, Scope::Table, Scope::Global],
            View::Images | View::Rules | View::Dashboard => &[Scope::Table, Scope::Global],
            View::Detail(_) => &[Scope::Detail, Scope::Global],
            View::Audit => &[Scope::Table, Scope::Global],
            View::Signatures | View::Rule(_) => &[Scope::Global],
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

/// Selection, scroll and filter of one table.
#[derive(Debug, Clone, Default)]
pub struct Pane {
    pub selected: usize,
    pub offset: usize,
    pub filter: String,
    /// Indices into the model's rows, filtered and sorted.
    pub rows: Vec<usize>,
}

impl Pane {
    fn select(&mut self, index: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.selected = index.clamp(0, last.max(0)) as usize;
    }

    /// Keeps the selection inside a window of `height` rows, moving `offset` as little as possible.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(height));
    }
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Json,
    Sarif,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Md, ExportFormat::Json, ExportFormat::Sarif];
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Md => "md",
            ExportFormat::Json => "json",
            ExportFormat::Sarif => "sarif",
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
    Loading { stage: String, ticks: u32 },
    Ready,
    Failed(String),
}

/// Input from the outside world.
pub enum Event {
    Key(KeyEvent),
    Progress(String),
    Loaded(Box<Result<Session, String>>),
    /// The audit after an exemption was written or removed, a message, and the finding the
    /// detail view showed (findings are addressed by position, which may change).
    Rerun(Box<Session>, String, Option<crate::findings::FindingId>),
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
    },
    Resize(u16, u16),
}

/// Work with side effects that `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    LoadYaml {
        finding: usize,
    },
    /// Read the source again; for a live cluster, optionally in another context.
    Reload {
        context: Option<String>,
    },
    /// Say which kubeconfig contexts there are.
    ListContexts,
    Quit,
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
    pub input: Input,
    pub overlay: Overlay,
    pub status: Option<String>,
    pub yaml: YamlPane,
    pub detail_scroll: u16,
    /// How far the Audit log view is scrolled (j/k, pgup/pgdn).
    pub audit_scroll: u16,
    pub data_age_secs: u64,
    pub quit: bool,
    /// Set while the source is read again (the previous read stays on screen meanwhile).
    pub reloading: Option<String>,
    /// Changes a watch saw since the last read, and the latest of them.
    pub changes: u32,
    pub last_change: Option<String>,
    /// Findings in the current sort order (and namespace), and the filter results built on it.
    findings_order: (Option<(SortKey, Option<String>)>, Vec<usize>),
    findings_narrowing: Narrowing,
}

/// Filter results by query, so typing one more letter searches only the rows the shorter
/// query matched, and backspace reuses a stored result. Queries that extend a previous one
/// can only match fewer rows: every term must still match.
#[derive(Debug, Default)]
pub struct Narrowing {
    stack: Vec<(String, Vec<usize>)>,
}

impl Narrowing {
    pub fn clear(&mut self) {
        self.stack.clear();
    }

    pub fn narrow(
        &mut self,
        query: &str,
        all: &[usize],
        matches: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        while self
            .stack
            .last()
            .is_some_and(|(q, _)| !query.starts_with(q.as_str()))
        {
            self.stack.pop();
        }
        if query.trim().is_empty() {
            return all.to_vec();
        }
        if let Some((q, rows)) = self.stack.last()
            && q == query
        {
            return rows.clone();
        }
        let base = self.stack.last().map_or(all, |(_, rows)| rows.as_slice());
        let rows: Vec<usize> = base.iter().copied().filter(|i| matches(*i)).collect();
        self.stack.push((query.to_string(), rows.clone()));
        rows
    }
}

/// Rows a table shows below its header, from the terminal height (header 2, tabs 1,
/// title+border 3, footer 1, status 1).
pub fn table_height(size: (u16, u16)) -> usize {
    size.1.saturating_sub(9).max(1) as usize
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
            input: Input::None,
            overlay: Overlay::None,
            status: None,
            yaml: YamlPane::default(),
            detail_scroll: 0,
            audit_scroll: 0,
            data_age_secs: 0,
            quit: false,
            reloading: None,
            changes: 0,
            last_change: None,
            findings_order: (None, Vec::new()),
            findings_narrowing: Narrowing::default(),
        }
    }

    /// Installs a finished audit and rebuilds every table.
    pub fn set_audit(&mut self, audit: Session) {
        self.pss_version = audit.config.pss_version;
        self.model = Model::build(&audit, self.pss_version);
        self.findings_order = (None, Vec::new());
        self.audit = Some(audit);
        self.load = LoadState::Ready;
        self.refresh_all();
    }

    fn refresh_all(&mut self) {
        for which in [
            PaneId::Dashboard,
            PaneId::Images,
            PaneId::Namespaces,
            PaneId::Workloads,
            PaneId::Findings,
            PaneId::RuleGroups,
            PaneId::Rules,
        ] {
            self.refresh(which);
        }
    }

    /// Recomputes a pane's visible rows (filter, namespace scope, sort), keeping the
    /// selection in range.
    pub fn refresh(&mut self, which: PaneId) {
        let ns = self.namespace.clone();
        let in_ns = |row_ns: &str| ns.as_deref().is_none_or(|n| n == row_ns);
        let m = &self.model;
        let (rows, filter): (Vec<usize>, String) = match which {
            PaneId::Dashboard => {
                // Top findings: the most severe active ones.
                let rows = (0..m.findings.len())
                    .filter(|i| !m.findings[*i].suppressed && in_ns(&m.findings[*i].namespace))
                    .take(10)
                    .collect();
                (rows, String::new())
            }
            PaneId::Images => {
                let t = filter::terms(&self.images.filter);
                let rows = (0..m.images.len())
                    .filter(|i| filter::matches(&t, &m.images[*i].hay))
                    .filter(|i| {
                        ns.as_deref().is_none_or(|n| {
                            m.images[*i]
                                .workloads
                                .iter()
                                .any(|w| w.starts_with(&format!("{n}/")))
                        })
                    })
                    .collect();
                (rows, self.images.filter.clone())
            }
            PaneId::Namespaces => {
                let t = filter::terms(&self.namespaces.filter);
                let rows = (0..m.namespaces.len())
                    .filter(|i| {
                        filter::matches(&t, &m.namespaces[*i].hay) && in_ns(&m.namespaces[*i].name)
                    })
                    .collect();
                (rows, self.namespaces.filter.clone())
            }
            PaneId::Workloads => {
                let t = filter::terms(&self.workloads.filter);
                let rows = (0..m.workloads.len())
                    .filter(|i| {
                        filter::matches(&t, &m.workloads[*i].hay)
                            && in_ns(&m.workloads[*i].namespace)
                    })
                    .collect();
                (rows, self.workloads.filter.clone())
            }
            PaneId::Findings => {
                // All findings in sort order, computed once per sort and namespace; then each
                // keystroke only narrows the previous result (see `Narrowing`).
                let key = (self.sort, self.namespace.clone());
                if self.findings_order.0 != Some(key.clone()) {
                    let f = &m.findings;
                    let mut order: Vec<usize> =
                        (0..f.len()).filter(|i| in_ns(&f[*i].namespace)).collect();
                    match self.sort {
                        // The report is already ordered by severity, rule and subject.
                        SortKey::Severity => {}
                        SortKey::Rule => order.sort_by(|a, b| {
                            f[*a]
                                .rule_id
                                .cmp(f[*b].rule_id)
                                .then(f[*b].severity.cmp(&f[*a].severity))
                        }),
                        SortKey::Namespace => order.sort_by(|a, b| {
                            f[*a]
                                .namespace
                                .cmp(&f[*b].namespace)
                                .then(f[*b].severity.cmp(&f[*a].severity))
                        }),
                        SortKey::Object => order.sort_by(|a, b| f[*a].object.cmp(&f[*b].object)),
                    }
                    self.findings_order = (Some(key), order);
                    self.findings_narrowing.clear();
                }
                let query = self.findings.filter.clone();
                let terms = filter::terms(&query);
                let rows = self
                    .findings_narrowing
                    .narrow(&query, &self.findings_order.1, |i| {
                        filter::matches(&terms, m.finding_hay(i))
                    });
                (rows, query)
            }
            PaneId::RuleGroups => {
                let t = filter::terms(&self.rule_groups.filter);
                let rows = (0..m.rules.len())
                    .filter(|i| m.rules[*i].findings > 0 && filter::matches(&t, &m.rules[*i].hay))
                    .collect();
                (rows, self.rule_groups.filter.clone())
            }
            PaneId::Rules => {
                let t = filter::terms(&self.rules.filter);
                let rows = (0..m.rules.len())
                    .filter(|i| filter::matches(&t, &m.rules[*i].hay))
                    .collect();
                (rows, self.rules.filter.clone())
            }
        };
        let height = table_height(self.size);
        let pane = self.pane_mut(which);
        pane.rows = rows;
        pane.filter = filter;
        let selected = pane.selected as isize;
        pane.select(selected);
        pane.scroll_into_view(height);
    }

    pub fn pane(&self, which: PaneId) -> &Pane {
        match which {
            PaneId::Dashboard => &self.dashboard,
            PaneId::Images => &self.images,
            PaneId::Namespaces => &self.namespaces,
            PaneId::Workloads => &self.workloads,
            PaneId::Findings => &self.findings,
            PaneId::RuleGroups => &self.rule_groups,
            PaneId::Rules => &self.rules,
        }
    }

    fn pane_mut(&mut self, which: PaneId) -> &mut Pane {
        match which {
            PaneId::Dashboard => &mut self.dashboard,
            PaneId::Images => &mut self.images,
            PaneId::Namespaces => &mut self.namespaces,
            PaneId::Workloads => &mut self.workloads,
            PaneId::Findings => &mut self.findings,
            PaneId::RuleGroups => &mut self.rule_groups,
            PaneId::Rules => &mut self.rules,
        }
    }

    /// The table the current view shows, if any.
    pub fn active_pane(&self) -> Option<PaneId> {
        match self.view {
            View::Dashboard => Some(PaneId::Dashboard),
            View::Images => Some(PaneId::Images),
            View::Pss if self.pss_workloads => Some(PaneId::Workloads),
            View::Pss => Some(PaneId::Namespaces),
            View::Findings if self.grouped => Some(PaneId::RuleGroups),
            View::Findings => Some(PaneId::Findings),
            View::Rules => Some(PaneId::Rules),
            _ => None,
        }
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
        if view != self.view {
            self.history.push(self.view);
            self.view = view;
        }
    }

    fn back(&mut self) {
        if let Some(v) = self.history.pop() {
            self.view = v;
        }
    }

    /// Applies an event. Returns the side effect to carry out, if any.
    pub fn update(&mut self, event: Event) -> Option<Effect> {
        match event {
            Event::Tick { data_age_secs } => {
                if let LoadState::Loading { ticks, .. } = &mut self.load {
                    *ticks += 1;
                }
                self.data_age_secs = data_age_secs;
                None
            }
            Event::Progress(stage) => {
                if let LoadState::Loading { stage: s, .. } = &mut self.load {
                    *s = stage;
                }
                None
            }
            Event::Loaded(result) => {
                let reloaded = self.reloading.take().is_some() && self.audit.is_some();
                match *result {
                    Ok(audit) => {
                        let shown = self.shown_finding_id();
                        let notes = audit.report.source.notes.clone();
                        self.set_audit(audit);
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
                            crate::sanitize::strip_controls(&e)
                        ));
                    }
                    Err(e) => self.load = LoadState::Failed(e),
                }
                None
            }
            Event::AuditLogUpdated(analysis) => {
                // Which finding the detail showed, asked before the audit is taken out.
                let shown = self.shown_finding_id();
                let mut audit = self.audit.take()?;
                let before = audit.audit_log.as_ref().map_or(0, |a| a.stats.events);
                let events = analysis.stats.events;
                audit.update_audit_log(*analysis);
                self.set_audit(audit);
                self.reshow(shown);
                self.status = Some(format!(
                    "audit log: {} new events ({events} in all)",
                    events.saturating_sub(before)
                ));
                None
            }
            Event::Changed(what) => {
                self.changes = self.changes.saturating_add(1);
                self.last_change = Some(what);
                None
            }
            Event::Rerun(audit, message, shown) => {
                self.set_audit(*audit);
                self.reshow(shown);
                self.status = Some(message);
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
        if let LoadState::Loading { .. } | LoadState::Failed(_) = self.load {
            // Until the audit is there, only quitting makes sense, and trying again after
            // a failure (or in another context, with :ctx).
            let failed = matches!(self.load, LoadState::Failed(_));
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

    fn on_action(&mut self, action: Action) -> Option<Effect> {
        let page = table_height(self.size) as isize;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(isize::MAX / 2),
            Action::Enter => return self.enter(),
            Action::Back => {
                if let Some(p) = self
                    .active_pane()
                    .filter(|p| !self.pane(*p).filter.is_empty())
                {
                    self.pane_mut(p).filter.clear();
                    self.refresh(p);
                } else {
                    self.back();
                }
            }
            Action::Previous => self.back(),
            Action::NextView | Action::PrevView => {
                let here = TABS.iter().position(|t| *t == self.view).unwrap_or(0);
                let next = if action == Action::NextView {
                    (here + 1) % TABS.len()
                } else {
                    (here + TABS.len() - 1) % TABS.len()
                };
                self.go(TABS[next]);
            }
            Action::Command => self.input = Input::Command(String::new()),
            Action::Filter => {
                if let Some(p) = self.active_pane() {
                    self.input = Input::Filter(self.pane(p).filter.clone());
                }
            }
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Export => {
                self.overlay = Overlay::Export {
                    format: ExportFormat::Md,
                    scope: ExportScope::Everything,
                    field: 0,
                }
            }
            Action::Suppress => {
                let finding = self.current_finding()?;
                let suppressed = self
                    .audit
                    .as_ref()?
                    .report
                    .findings
                    .get(finding)?
                    .suppressed
                    .clone();
                match suppressed {
                    Some(s) if s.by == crate::findings::SuppressedBy::Exemption => return Some(Effect::Unsuppress { finding }),
                    Some(_) => self.status = Some("suppressed by a kaudit.io/ignore annotation on the object; remove it there".into()),
                    None => self.input = Input::Reason { finding, text: String::new() },
                }
            }
            Action::Yaml => {
                if let View::Detail(_) = self.view {
                    self.yaml.focused = !self.yaml.focused;
                    return None;
                }
                let finding = self.current_finding()?;
                self.detail_scroll = 0;
                self.go(View::Detail(finding));
                self.yaml.focused = true;
                return Some(Effect::LoadYaml { finding });
            }
            Action::SortSeverity
            | Action::SortRule
            | Action::SortNamespace
            | Action::SortObject => {
                self.sort = match action {
                    Action::SortRule => SortKey::Rule,
                    Action::SortNamespace => SortKey::Namespace,
                    Action::SortObject => SortKey::Object,
                    _ => SortKey::Severity,
                };
                self.refresh(PaneId::Findings);
            }
            Action::ToggleGroup => self.grouped = !self.grouped,
            Action::ToggleWorkloads => self.pss_workloads = !self.pss_workloads,
            Action::CycleVersion => {
                self.pss_version = next_version(self.pss_version);
                if let Some(audit) = &self.audit {
                    self.model.set_pss_version(audit, self.pss_version);
                }
                self.refresh(PaneId::Workloads);
                self.pss_workloads = true;
            }
            Action::Reload => return self.reload(None),
            Action::Quit => {
                self.quit = true;
                return Some(Effect::Quit);
            }
        }
        None
    }

    /// Re-reads the source because the cluster changed (the runtime decides when).
    pub fn request_reload(&mut self) -> Option<Effect> {
        self.reload(None)
    }

    /// Starts reading the source again (in `context`, for a live cluster), unless a read
    /// is already running.
    fn reload(&mut self, context: Option<String>) -> Option<Effect> {
        if self.reloading.is_some() || matches!(self.load, LoadState::Loading { .. }) {
            self.status = Some("already reading; one moment".into());
            return None;
        }
        let what = match &context {
            Some(c) => format!("reading context {c}"),
            None => "re-reading the source".into(),
        };
        if self.audit.is_some() {
            self.reloading = Some(what);
        } else {
            self.load = LoadState::Loading {
                stage: what,
                ticks: 0,
            };
        }
        Some(Effect::Reload { context })
    }

    /// The scroll position keys move in a text view (finding or rule detail).
    fn text_scroll(&mut self) -> Option<&mut u16> {
        match self.view {
            View::Detail(_) if self.yaml.focused => Some(&mut self.yaml.scroll),
            View::Detail(_) | View::Rule(_) => Some(&mut self.detail_scroll),
            View::Audit => Some(&mut self.audit_scroll),
            _ => None,
        }
    }

    fn move_by(&mut self, delta: isize) {
        if let Some(target) = self.text_scroll() {
            *target = (*target as isize + delta).clamp(0, u16::MAX as isize) as u16;
            return;
        }
        if let Overlay::Help { scroll } = &mut self.overlay {
            *scroll = (*scroll as isize + delta).max(0) as u16;
            return;
        }
        if let Some(p) = self.active_pane() {
            let height = table_height(self.size);
            let pane = self.pane_mut(p);
            let to = pane.selected as isize + delta;
            pane.select(to);
            pane.scroll_into_view(height);
        }
    }

    fn move_to(&mut self, index: isize) {
        if let Some(target) = self.text_scroll() {
            *target = if index == 0 { 0 } else { u16::MAX / 2 };
            return;
        }
        if let Some(p) = self.active_pane() {
            let height = table_height(self.size);
            let pane = self.pane_mut(p);
            pane.select(index);
            pane.scroll_into_view(height);
        }
    }

    fn enter(&mut self) -> Option<Effect> {
        if self.view == View::Audit {
            // The audit log's findings, in the findings view.
            self.findings.filter = "audit-log".into();
            self.findings.selected = 0;
            self.grouped = false;
            self.refresh(PaneId::Findings);
            self.go(View::Findings);
            return None;
        }
        match self.active_pane()? {
            PaneId::Findings | PaneId::Dashboard => {
                let finding = self.current_finding()?;
                self.detail_scroll = 0;
                self.yaml.focused = false;
                self.go(View::Detail(finding));
                Some(Effect::LoadYaml { finding })
            }
            PaneId::RuleGroups => {
                let row = *self.rule_groups.rows.get(self.rule_groups.selected)?;
                let id = self.model.rules[row].rule.id;
                self.grouped = false;
                self.findings.filter = id.to_ascii_lowercase();
                self.findings.selected = 0;
                self.refresh(PaneId::Findings);
                None
            }
            PaneId::Rules => {
                let row = *self.rules.rows.get(self.rules.selected)?;
                self.detail_scroll = 0;
                self.go(View::Rule(row));
                None
            }
            PaneId::Images => {
                // An image's findings: the findings view filtered to it.
                let row = *self.images.rows.get(self.images.selected)?;
                self.findings.filter = self.model.images[row].image.clone();
                self.findings.selected = 0;
                self.grouped = false;
                self.refresh(PaneId::Findings);
                self.go(View::Findings);
                None
            }
            PaneId::Namespaces => {
                let row = *self.namespaces.rows.get(self.namespaces.selected)?;
                self.workloads.filter = self.model.namespaces[row].name.clone();
                self.workloads.selected = 0;
                self.pss_workloads = true;
                self.refresh(PaneId::Workloads);
                None
            }
            PaneId::Workloads => {
                let row = *self.workloads.rows.get(self.workloads.selected)?;
                let w = &self.model.workloads[row];
                self.findings.filter = format!("{} {}", w.namespace, w.object);
                self.findings.selected = 0;
                self.grouped = false;
                self.refresh(PaneId::Findings);
                self.go(View::Findings);
                None
            }
        }
    }

    fn on_input_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let input = std::mem::replace(&mut self.input, Input::None);
        match (input, key.code) {
            (Input::Filter(_), KeyCode::Esc) => {
                // Esc while filtering drops the filter, as k9s does.
                if let Some(p) = self.active_pane() {
                    self.pane_mut(p).filter.clear();
                    self.refresh(p);
                }
                None
            }
            (_, KeyCode::Esc) => None,
            (Input::Filter(mut text), code) => {
                let done = matches!(code, KeyCode::Enter);
                match code {
                    KeyCode::Backspace => {
                        text.pop();
                    }
                    KeyCode::Char(c) => text.push(c),
                    _ => {}
                }
                if let Some(p) = self.active_pane() {
                    self.pane_mut(p).filter = text.clone();
                    self.pane_mut(p).selected = 0;
                    self.refresh(p);
                }
                if !done {
                    self.input = Input::Filter(text);
                }
                None
            }
            (Input::Command(mut text), code) => match code {
                KeyCode::Enter => self.run_command(text.trim()),
                KeyCode::Tab => {
                    text = self.complete(&text);
                    self.input = Input::Command(text);
                    None
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.input = Input::Command(text);
                    None
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.input = Input::Command(text);
                    None
                }
                _ => {
                    self.input = Input::Command(text);
                    None
                }
            },
            (Input::Reason { finding, mut text }, code) => match code {
                KeyCode::Enter if !text.trim().is_empty() => Some(Effect::Suppress {
                    finding,
                    reason: text.trim().to_string(),
                }),
                KeyCode::Enter => {
                    self.status = Some("a reason is required to suppress a finding".into());
                    self.input = Input::Reason { finding, text };
                    None
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.input = Input::Reason { finding, text };
                    None
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.input = Input::Reason { finding, text };
                    None
                }
                _ => {
                    self.input = Input::Reason { finding, text };
                    None
                }
            },
            (Input::None, _) => None,
        }
    }

    /// Candidates for what is typed in the command bar.
    pub fn completions(&self, text: &str) -> Vec<String> {
        let mut words = text.splitn(2, ' ');
        let first = words.next().unwrap_or("");
        match words.next() {
            None => COMMANDS
                .iter()
                .filter(|c| c.starts_with(first))
                .map(|c| c.to_string())
                .collect(),
            Some(arg) if first == "ns" => {
                let mut names: Vec<String> = vec!["all".into()];
                names.extend(self.model.namespaces.iter().map(|n| n.name.clone()));
                names
                    .into_iter()
                    .filter(|n| n.starts_with(arg))
                    .map(|n| format!("ns {n}"))
                    .collect()
            }
            Some(_) => Vec::new(),
        }
    }

    /// Completes to the longest common prefix of the candidates.
    fn complete(&self, text: &str) -> String {
        let candidates = self.completions(text);
        let Some(first) = candidates.first() else {
            return text.to_string();
        };
        let mut prefix = first.clone();
        for c in &candidates[1..] {
            while !c.starts_with(&prefix) {
                prefix.pop();
            }
        }
        if candidates.len() == 1 && !prefix.contains(' ') && (prefix == "ns" || prefix == "ctx") {
            prefix.push(' ');
        }
        if prefix.len() > text.len() {
            prefix
        } else {
            text.to_string()
        }
    }

    fn run_command(&mut self, command: &str) -> Option<Effect> {
        let (cmd, arg) = command
            .split_once(' ')
            .map_or((command, ""), |(c, a)| (c, a.trim()));
        let view = match cmd {
            "images" | "img" => Some(View::Images),
            "pss" | "pods" => Some(View::Pss),
            "findings" | "f" => Some(View::Findings),
            "audit" => Some(View::Audit),
            "sig" | "signatures" => Some(View::Signatures),
            "rules" => Some(View::Rules),
            "dashboard" | "home" => Some(View::Dashboard),
            "q" | "quit" | "q!" => {
                self.quit = true;
                return Some(Effect::Quit);
            }
            "ns" => {
                self.namespace = match arg {
                    "" | "all" | "-A" => None,
                    n => Some(n.to_string()),
                };
                self.refresh_all();
                self.status = Some(match &self.namespace {
                    Some(n) if !self.model.namespaces.iter().any(|x| &x.name == n) => {
                        format!("namespace {n} is not in this source; showing nothing")
                    }
                    Some(n) => format!("namespace {n}"),
                    None => "all namespaces".into(),
                });
                None
            }
            "ctx" => {
                return match arg {
                    "" => Some(Effect::ListContexts),
                    name => self.reload(Some(name.to_string())),
                };
            }
            "" => None,
            other => {
                self.status = Some(format!(
                    "unknown command :{other} (try :images :pss :findings :audit :sig :rules :ns :q)"
                ));
                None
            }
        };
        if let Some(v) = view {
            if v == View::Findings {
                if let Some(area) = area_arg(arg) {
                    self.findings.filter = area.as_str().to_string();
                    self.grouped = false;
                    self.refresh(PaneId::Findings);
                } else if let Ok(sev) = arg.parse::<Severity>() {
                    self.findings.filter = sev.as_str().to_string();
                    self.grouped = false;
                    self.refresh(PaneId::Findings);
                }
            }
            self.go(v);
        }
        None
    }

    fn on_overlay_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match (&mut self.overlay, key.code) {
            (_, KeyCode::Esc) | (Overlay::Help { .. }, KeyCode::Char('?' | 'q')) => {
                self.overlay = Overlay::None;
                None
            }
            (Overlay::Help { scroll }, KeyCode::Down | KeyCode::Char('j')) => {
                *scroll += 1;
                None
            }
            (Overlay::Help { scroll }, KeyCode::Up | KeyCode::Char('k')) => {
                *scroll = scroll.saturating_sub(1);
                None
            }
            (
                Overlay::Export { field, .. },
                KeyCode::Tab | KeyCode::Down | KeyCode::Up | KeyCode::BackTab,
            ) => {
                *field = 1 - *field;
                None
            }
            (
                Overlay::Export {
                    format,
                    scope,
                    field,
                },
                KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l'),
            ) => {
                let forward = matches!(key.code, KeyCode::Right | KeyCode::Char('l'));
                if *field == 0 {
                    *format = cycle(&ExportFormat::ALL, *format, forward);
                } else {
                    *scope = cycle(&ExportScope::ALL, *scope, forward);
                }
                None
            }
            (Overlay::Export { format, scope, .. }, KeyCode::Enter) => {
                let (format, scope) = (*format, *scope);
                self.overlay = Overlay::None;
                let findings = match scope {
                    ExportScope::Everything => None,
                    ExportScope::ThisView => Some(self.view_findings(false)),
                    ExportScope::ThisFilter => Some(self.view_findings(true)),
                };
                Some(Effect::Export {
                    format,
                    findings,
                    scope,
                })
            }
            _ => None,
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneId {
    Dashboard,
    Images,
    Namespaces,
    Workloads,
    Findings,
    RuleGroups,
    Rules,
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let i = all.iter().position(|x| *x == current).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

fn area_arg(arg: &str) -> Option<Area> {
    Area::ALL.into_iter().find(|a| {
        a.as_str() == arg
            || (arg == "pss" && *a == Area::PodSecurity)
            || (arg == "sig" && *a == Area::Signatures)
    })
}

/// latest, v1.37, v1.36, ... v1.0, then latest again.
pub fn next_version(v: Version) -> Version {
    match v {
        Version::Latest => Version::Minor(NEWEST_MINOR),
        Version::Minor(0) => Version::Latest,
        Version::Minor(m) => Version::Minor(m.min(NEWEST_MINOR) - 1),
    }
}
