//! The `:` command bar: commands, their completion, and what they do.

use super::{App, COMMANDS, Effect, FindingsQuery, PaneId, View};
use crate::pss::{NEWEST_MINOR, Version};

impl App {
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
    pub(super) fn complete(&self, text: &str) -> String {
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

    pub(super) fn run_command(&mut self, command: &str) -> Option<Effect> {
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
            "lab" => Some(View::Lab),
            "dashboard" | "home" => Some(View::Dashboard),
            "q" | "quit" | "q!" => {
                self.quit = true;
                return Some(Effect::Quit);
            }
            // `:ns` alone lists the namespaces to pick from, as k9s does.
            "ns" if arg.is_empty() => {
                // Picked from all of them: the scope is chosen anew.
                self.namespace = None;
                self.pss_workloads = false;
                self.namespaces.filter.clear();
                self.refresh_all();
                self.go(View::Pss);
                self.picking_namespace = true;
                self.status =
                    Some("pick a namespace: enter scopes every view to it, esc leaves".into());
                return None;
            }
            "ns" => {
                self.namespace = match arg {
                    "all" | "-A" => None,
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
                    "unknown command :{other} (try :images :pss :findings :audit :sig :rules :lab :ns :q)"
                ));
                None
            }
        };
        if let Some(v) = view {
            if v == View::Findings && !self.findings_command(arg) {
                return None;
            }
            // A jump to a top-level view starts a new trail from home (k9s's `:pods` starts
            // one too), so esc leads home rather than through every view visited.
            self.history.clear();
            if v != View::Dashboard {
                self.history.push(View::Dashboard);
            }
            self.view = v;
            self.drawn_max_scroll.set(None);
        }
        None
    }
}

impl App {
    /// `:findings ARGS`: exactly what the arguments ask for (all findings without any), the
    /// `/` filter cleared. `false` when an argument is not a condition (the status says so).
    fn findings_command(&mut self, arg: &str) -> bool {
        let tag = match arg {
            "new" => Some(crate::tui::model::NEW_TAG),
            "decided" | "triaged" => Some(crate::tui::model::DECIDED_TAG),
            _ => None,
        };
        let query = match tag {
            Some(_) => FindingsQuery::default(),
            None => match FindingsQuery::parse(arg) {
                Ok(q) => q,
                Err(e) => {
                    self.status = Some(format!(":findings: {e}"));
                    return false;
                }
            },
        };
        self.findings_query = query;
        self.findings.filter = tag.unwrap_or_default().to_string();
        self.findings.selected = 0;
        self.grouped = false;
        self.refresh(PaneId::Findings);
        if tag == Some(crate::tui::model::NEW_TAG) {
            self.status = Some(self.new_findings_status());
        }
        true
    }

    /// What `:findings new` compares with.
    fn new_findings_status(&self) -> String {
        match self.audit.as_ref().and_then(|a| a.report.changes.as_ref()) {
            Some(c) if c.baseline.is_some() => format!(
                "{} new since the last audit of this context ({} resolved, {} unchanged)",
                c.new.len(),
                c.resolved.len(),
                c.unchanged
            ),
            Some(_) => "first audit of this context: nothing is new yet".into(),
            None => "no audit history in this run (--no-store)".into(),
        }
    }
}

/// latest, v1.37, v1.36, ... v1.0, then latest again.
pub fn next_version(v: Version) -> Version {
    match v {
        Version::Latest => Version::Minor(NEWEST_MINOR),
        Version::Minor(0) => Version::Latest,
        Version::Minor(m) => Version::Minor(m.min(NEWEST_MINOR) - 1),
    }
}
