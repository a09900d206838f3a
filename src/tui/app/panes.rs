//! The tables of the TUI: selection, scroll, filter and the rows each shows.

use super::{App, Overlay, SortKey, View};
use crate::tui::filter;

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
    pub(super) fn select(&mut self, index: isize) {
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
        // Alternatives widen as they are typed: nothing narrower is reusable.
        if filter::widens(query) {
            self.stack.clear();
            return all.iter().copied().filter(|i| matches(*i)).collect();
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

/// Rows and columns inside a bordered text view (header 2, tabs 1, borders 2, status 1,
/// footer 1; borders 2 across).
pub fn text_area(size: (u16, u16)) -> (usize, usize) {
    (
        size.0.saturating_sub(2).max(1) as usize,
        size.1.saturating_sub(7).max(1) as usize,
    )
}

/// The furthest a text of `rows` rows scrolls in a view of `height` rows: its last
/// screenful at the top.
pub fn max_scroll(rows: usize, height: usize) -> u16 {
    rows.saturating_sub(height).min(u16::MAX as usize) as u16
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
    Lab,
}

impl App {
    pub(super) fn refresh_all(&mut self) {
        self.scoped = self.namespace.as_deref().map(|ns| {
            let mut scoped = self.model.scoped_counts(ns);
            if let Some(audit) = &self.audit {
                scoped.scores = crate::engine::namespace_scores(&audit.report, ns);
            }
            scoped
        });
        for which in [
            PaneId::Dashboard,
            PaneId::Images,
            PaneId::Namespaces,
            PaneId::Workloads,
            PaneId::Findings,
            PaneId::RuleGroups,
            PaneId::Rules,
            PaneId::Lab,
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
                // The findings `:findings` keeps in sort order, computed once per sort,
                // namespace and query; then each keystroke only narrows the previous result
                // (see `Narrowing`).
                let key = (
                    self.sort,
                    self.namespace.clone(),
                    self.findings_query.clone(),
                );
                if self.findings_order.0 != Some(key.clone()) {
                    let f = &m.findings;
                    let query = &self.findings_query;
                    let mut order: Vec<usize> = (0..f.len())
                        .filter(|i| in_ns(&f[*i].namespace) && query.keeps(&f[*i]))
                        .collect();
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
            PaneId::Lab => (
                self.lab.filtered(&self.lab.pane.filter),
                self.lab.pane.filter.clone(),
            ),
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
            PaneId::Lab => &self.lab.pane,
        }
    }

    pub(super) fn pane_mut(&mut self, which: PaneId) -> &mut Pane {
        match which {
            PaneId::Dashboard => &mut self.dashboard,
            PaneId::Images => &mut self.images,
            PaneId::Namespaces => &mut self.namespaces,
            PaneId::Workloads => &mut self.workloads,
            PaneId::Findings => &mut self.findings,
            PaneId::RuleGroups => &mut self.rule_groups,
            PaneId::Rules => &mut self.rules,
            PaneId::Lab => &mut self.lab.pane,
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
            View::Lab => Some(PaneId::Lab),
            _ => None,
        }
    }

    /// The scroll position keys move in a text view (finding or rule detail).
    pub(super) fn text_scroll(&mut self) -> Option<&mut u16> {
        match self.view {
            View::Detail(_) if self.yaml.focused => Some(&mut self.yaml.scroll),
            View::Detail(_) | View::Rule(_) => Some(&mut self.detail_scroll),
            View::Signatures => Some(&mut self.signatures_scroll),
            View::LabTask(_) => Some(&mut self.lab.page_scroll),
            _ => None,
        }
    }

    /// Keeps a text view whose rows are known within them, so `k` after `G` moves at once.
    fn clamp_text_scroll(&mut self) {
        if self.view == View::Signatures {
            let (width, height) = text_area(self.size);
            let rows = crate::tui::text::wrap(&self.model.signatures, width).len();
            self.signatures_scroll = self.signatures_scroll.min(max_scroll(rows, height));
        } else if let Some(max) = self.drawn_max_scroll.get()
            && let Some(scroll) = self.text_scroll()
        {
            *scroll = (*scroll).min(max);
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        if self.move_vulnerability(delta) {
            return;
        }
        if self.view == View::Audit {
            let last = self.model.audit_links.len().saturating_sub(1) as isize;
            self.audit_cursor = (self.audit_cursor as isize + delta).clamp(0, last.max(0)) as usize;
            return;
        }
        if let Some(target) = self.text_scroll() {
            *target = (*target as isize + delta).clamp(0, u16::MAX as isize) as u16;
            self.clamp_text_scroll();
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

    pub(super) fn move_to(&mut self, index: isize) {
        if self.view == View::Audit {
            self.audit_cursor = if index == 0 {
                0
            } else {
                self.model.audit_links.len().saturating_sub(1)
            };
            return;
        }
        if self.move_vulnerability(if index == 0 {
            isize::MIN / 2
        } else {
            isize::MAX / 2
        }) {
            return;
        }
        if let Some(target) = self.text_scroll() {
            *target = if index == 0 { 0 } else { u16::MAX / 2 };
            self.clamp_text_scroll();
            return;
        }
        if let Some(p) = self.active_pane() {
            let height = table_height(self.size);
            let pane = self.pane_mut(p);
            pane.select(index);
            pane.scroll_into_view(height);
        }
    }
}
