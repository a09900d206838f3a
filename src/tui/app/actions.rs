//! What the keymap's actions do: moving, opening, sorting, suppressing, exporting.

use super::{
    App, Effect, ExportFormat, ExportScope, FindingsQuery, Input, LoadState, Overlay, PaneId,
    SortKey, TABS, View, next_version, table_height,
};
use crate::tui::keymap::Action;

impl App {
    pub(super) fn on_action(&mut self, action: Action) -> Option<Effect> {
        let page = table_height(self.size) as isize;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(isize::MAX / 2),
            Action::Enter => return self.enter(),
            Action::SortVulnerabilities => self.cycle_vulnerability_sort(),
            Action::FixableOnly => self.toggle_fixable_only(),
            Action::Back => {
                if let Some(p) = self
                    .active_pane()
                    .filter(|p| !self.pane(*p).filter.is_empty())
                {
                    self.pane_mut(p).filter.clear();
                    self.refresh(p);
                } else if self.view == View::Findings && !self.findings_query.is_empty() {
                    // Then what `:findings` kept: all findings again.
                    self.findings_query = FindingsQuery::default();
                    self.refresh(PaneId::Findings);
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
            Action::Decide => {
                let finding = self.current_finding()?;
                self.open_decision_form(finding);
            }
            Action::Yaml => {
                if let View::Detail(_) = self.view {
                    self.yaml.focused = !self.yaml.focused;
                    self.drawn_max_scroll.set(None);
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
                // The version only: the view stays (the namespaces' "could enforce" follows).
                self.pss_version = next_version(self.pss_version);
                self.audit.as_ref()?;
                return Some(Effect::EvaluatePss {
                    version: self.pss_version,
                });
            }
            Action::LabStart => return self.lab_start(),
            Action::LabCheck => return self.lab_check(),
            Action::LabHint => self.lab_hint(),
            Action::LabFindings => self.lab_links(true),
            Action::LabRules => self.lab_links(false),
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
    pub(super) fn reload(&mut self, context: Option<String>) -> Option<Effect> {
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

    /// The findings view showing what `query` keeps, narrowed by the text `filter`.
    pub(super) fn show_findings(&mut self, query: FindingsQuery, filter: String) {
        self.findings_query = query;
        self.findings.filter = filter;
        self.findings.selected = 0;
        self.grouped = false;
        self.refresh(PaneId::Findings);
        self.go(View::Findings);
    }

    pub(super) fn enter(&mut self) -> Option<Effect> {
        if let View::Image(row) = self.view {
            // The image's findings: the findings view filtered to it.
            let image = self.model.images.get(row)?.image.clone();
            self.show_findings(FindingsQuery::default(), image);
            return None;
        }
        if let View::Rule(row) = self.view {
            let id = self.model.rules.get(row)?.rule.id;
            self.show_findings(FindingsQuery::rules(&[id]), String::new());
            return None;
        }
        if self.view == View::Audit
            && let Some(link) = self.model.audit_links.get(self.audit_cursor).cloned()
        {
            use crate::tui::audit_links::AuditLink;
            let audit_log = FindingsQuery {
                area: Some(crate::severity::Area::AuditLog),
                ..FindingsQuery::default()
            };
            let query = match link {
                AuditLink::Rule(id) => FindingsQuery::rules(&[id]),
                AuditLink::Identity(user) => FindingsQuery {
                    user: Some(user),
                    ..audit_log
                },
                AuditLink::Bucket { start, secs } => {
                    let from = crate::time::parse_rfc3339(&start).map(|(s, _)| s);
                    FindingsQuery {
                        from,
                        to: from.map(|f| f + secs),
                        ..audit_log
                    }
                }
            };
            self.show_findings(query, String::new());
            return None;
        }
        if let Some(area) = match self.view {
            View::Audit => Some(crate::severity::Area::AuditLog),
            View::Signatures => Some(crate::severity::Area::Signatures),
            _ => None,
        } {
            let query = FindingsQuery {
                area: Some(area),
                ..FindingsQuery::default()
            };
            self.show_findings(query, String::new());
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
                self.show_findings(FindingsQuery::rules(&[id]), String::new());
                None
            }
            PaneId::Rules => {
                let row = *self.rules.rows.get(self.rules.selected)?;
                self.detail_scroll = 0;
                self.go(View::Rule(row));
                None
            }
            PaneId::Images => {
                // The image: what runs it and its known vulnerabilities.
                let row = *self.images.rows.get(self.images.selected)?;
                self.detail_scroll = 0;
                self.vulns = super::VulnTable::default();
                self.go(View::Image(row));
                None
            }
            PaneId::Namespaces if self.picking_namespace => {
                let row = *self.namespaces.rows.get(self.namespaces.selected)?;
                let name = self.model.namespaces[row].name.clone();
                self.status = Some(format!(
                    "namespace {name}: every view shows it only (:ns all: every namespace)"
                ));
                self.namespace = Some(name);
                self.refresh_all();
                self.go(View::Dashboard);
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
            PaneId::Lab => {
                let task = self.current_task()?;
                self.lab.page_scroll = 0;
                self.go(View::LabTask(task));
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
}
