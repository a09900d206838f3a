//! The Lab view's state (`:lab`): the CKS practice tasks, where each one's work folder is,
//! what its last check said, and the exam's timer. Starting and checking a task touch the
//! disk, so they are effects; everything here is data.

use super::{App, Effect, PaneId, View};
use crate::lab::catalog::Task;
use crate::lab::grade::Grade;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where a task stands in this session.
#[derive(Debug, Clone)]
pub enum TaskState {
    /// No work folder yet (`s` writes one).
    NotStarted,
    /// Its work folder exists; not checked in this session.
    Started,
    Checking,
    Graded(Box<Grade>),
    /// The check could not run (a folder that does not read, a deleted task file).
    Broken(String),
}

impl TaskState {
    /// As the task table's status column shows it.
    pub fn label(&self) -> String {
        match self {
            TaskState::NotStarted => "-".into(),
            TaskState::Started => "started".into(),
            TaskState::Checking => "checking".into(),
            TaskState::Graded(g) if g.passed => "passed".into(),
            TaskState::Graded(g) => {
                let failed = g.criteria.iter().filter(|c| !c.passed).count();
                format!("failed {failed}/{}", g.criteria.len())
            }
            TaskState::Broken(_) => "error".into(),
        }
    }
}

/// The exam attempt open in the store, for the header's timer.
#[derive(Debug, Clone)]
pub struct ExamClock {
    /// Unix seconds the timer ends.
    pub deadline: i64,
    /// The exam's folder: each of its tasks is in `folder/<task>`.
    pub folder: PathBuf,
    pub tasks: Vec<String>,
}

impl ExamClock {
    /// `1:02:33 left`, or that the time is up.
    pub fn left(&self, now: i64) -> String {
        let left = self.deadline - now;
        if left <= 0 {
            return "time is up (kaudit lab exam --finish grades it)".into();
        }
        format!(
            "{}:{:02}:{:02} left",
            left / 3600,
            left % 3600 / 60,
            left % 60
        )
    }
}

#[derive(Debug, Default)]
pub struct Lab {
    pub tasks: Vec<Task>,
    /// Why the task catalog did not load, if it did not.
    pub error: Option<String>,
    /// Where tasks outside an exam get their work folder: `root/<task>`.
    pub root: PathBuf,
    pub exam: Option<ExamClock>,
    /// One per task.
    pub states: Vec<TaskState>,
    /// Tasks whose hint is shown (`h`).
    pub hints: BTreeSet<usize>,
    pub pane: super::Pane,
    /// How far a task's page is scrolled.
    pub page_scroll: u16,
}

impl Lab {
    /// The catalog (or why it did not load), with tasks' folders under `root` and the
    /// exam's in its own; `started` says whether a folder holds a started task.
    pub fn new(
        tasks: Result<Vec<Task>, String>,
        root: PathBuf,
        exam: Option<ExamClock>,
        started: impl Fn(&Path) -> bool,
    ) -> Lab {
        let (tasks, error) = match tasks {
            Ok(t) => (t, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let mut lab = Lab {
            tasks,
            error,
            root,
            exam,
            ..Lab::default()
        };
        lab.states = (0..lab.tasks.len())
            .map(|i| match started(&lab.folder(i)) {
                true => TaskState::Started,
                false => TaskState::NotStarted,
            })
            .collect();
        lab.pane.rows = (0..lab.tasks.len()).collect();
        lab
    }

    /// The work folder of task `i`: in the exam's folder when the exam has it.
    pub fn folder(&self, i: usize) -> PathBuf {
        let id = self.tasks.get(i).map_or("", |t| t.id.as_str());
        match &self.exam {
            Some(exam) if exam.tasks.iter().any(|t| t == id) => exam.folder.join(id),
            _ => self.root.join(id),
        }
    }

    /// The task's number in the exam (1-based), if the exam has it.
    pub fn exam_number(&self, i: usize) -> Option<usize> {
        let id = &self.tasks.get(i)?.id;
        let exam = self.exam.as_ref()?;
        exam.tasks.iter().position(|t| t == id).map(|n| n + 1)
    }

    /// Rows matching the filter, in catalog order (by domain, then id).
    pub fn filtered(&self, query: &str) -> Vec<usize> {
        let terms = crate::tui::filter::terms(query);
        (0..self.tasks.len())
            .filter(|i| {
                let t = &self.tasks[*i];
                let mut parts = vec![
                    t.id.as_str(),
                    t.title.as_str(),
                    t.domain.as_str(),
                    t.difficulty.as_str(),
                ];
                parts.extend(t.rules.iter().map(String::as_str));
                let status = self.states[*i].label();
                parts.push(&status);
                crate::tui::filter::matches(&terms, &crate::tui::filter::haystack(&parts))
            })
            .collect()
    }
}

impl App {
    /// The task the keys act on: the page's, or the selected row's.
    pub fn current_task(&self) -> Option<usize> {
        match self.view {
            View::LabTask(i) => Some(i),
            View::Lab => self.lab.pane.rows.get(self.lab.pane.selected).copied(),
            _ => None,
        }
    }

    /// `s`: writes the task's scenario into its work folder.
    pub(super) fn lab_start(&mut self) -> Option<Effect> {
        let task = self.current_task()?;
        let folder = self.lab.folder(task);
        if !matches!(self.lab.states[task], TaskState::NotStarted) {
            self.status = Some(format!(
                "already started in {} (edit it there; c checks it)",
                folder.display()
            ));
            return None;
        }
        Some(Effect::LabStart { task, folder })
    }

    /// `c`: grades the task's work folder in the background.
    pub(super) fn lab_check(&mut self) -> Option<Effect> {
        let task = self.current_task()?;
        let folder = self.lab.folder(task);
        match self.lab.states[task] {
            TaskState::NotStarted => {
                self.status = Some(format!(
                    "no work folder at {} yet: s writes the scenario there",
                    folder.display()
                ));
                None
            }
            TaskState::Checking => {
                self.status = Some("already checking; one moment".into());
                None
            }
            _ => {
                self.lab.states[task] = TaskState::Checking;
                self.status = Some(format!("checking {}", self.lab.tasks[task].id));
                Some(Effect::LabCheck { task, folder })
            }
        }
    }

    /// `h`: shows (or hides) the task's hint.
    pub(super) fn lab_hint(&mut self) {
        if let Some(task) = self.current_task()
            && !self.lab.hints.remove(&task)
        {
            self.lab.hints.insert(task);
        }
    }

    /// `f` / `r`: the findings of the task's rules in the audit on screen, or the rules.
    pub(super) fn lab_links(&mut self, findings: bool) {
        let Some(task) = self.current_task() else {
            return;
        };
        let rules = &self.lab.tasks[task].rules;
        if findings {
            let ids: Vec<&str> = rules.iter().map(String::as_str).collect();
            self.show_findings(super::FindingsQuery::rules(&ids), String::new());
            return;
        }
        self.rules.filter = rules.join("|");
        self.rules.selected = 0;
        self.refresh(PaneId::Rules);
        self.go(View::Rules);
    }

    pub(super) fn lab_started(&mut self, task: usize, result: Result<String, String>) {
        let Some(state) = self.lab.states.get_mut(task) else {
            return;
        };
        self.status = Some(match result {
            Ok(folder) => {
                *state = TaskState::Started;
                format!("wrote the scenario to {folder}: edit it with any editor, then c checks it")
            }
            Err(e) => format!("error: {e}"),
        });
        self.refresh(PaneId::Lab);
    }

    pub(super) fn lab_checked(&mut self, task: usize, result: Result<Box<Grade>, String>) {
        let Some(state) = self.lab.states.get_mut(task) else {
            return;
        };
        let id = &self.lab.tasks[task].id;
        self.status = Some(match &result {
            Ok(g) if g.passed => format!("{id}: passed, every criterion holds"),
            Ok(g) => {
                let failed: Vec<&str> = g
                    .criteria
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| c.name.as_str())
                    .collect();
                format!("{id}: not yet: {}", failed.join("; "))
            }
            Err(e) => format!("{id}: cannot check: {e}"),
        });
        *state = match result {
            Ok(g) => TaskState::Graded(g),
            Err(e) => TaskState::Broken(e),
        };
        self.refresh(PaneId::Lab);
    }
}
