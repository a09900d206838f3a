//! The lab's side of the runtime: its state read at start (the task catalog, which work
//! folders exist, the exam open in the store), and the jobs that start and grade a task.

use super::app::{Event, ExamClock, Lab};
use crate::lab::{self, catalog::Task, grade::Target, workdir};
use crate::store::Store;
use std::path::{Path, PathBuf};

/// The lab as it stands: tasks' folders under the working directory, an exam's in its own.
pub fn load(store: Option<&Path>) -> Lab {
    let tasks = lab::catalog::tasks().map_err(|e| e.to_string());
    let root = std::env::current_dir().unwrap_or_default();
    let exam = store
        .and_then(|p| Store::open_existing(p).ok().flatten())
        .and_then(|s| s.open_lab_attempt().ok().flatten())
        .map(|a| ExamClock {
            deadline: a.deadline,
            folder: PathBuf::from(a.folder),
            tasks: a.tasks,
        });
    Lab::new(tasks, root, exam, |folder| {
        folder.join(workdir::MARKER).is_file()
    })
}

/// Writes the task's scenario into `folder` (new or empty; never through a link).
pub fn start(index: usize, task: Task, folder: PathBuf) -> Event {
    Event::LabStarted {
        task: index,
        result: lab::start(&task, &folder, false)
            .map(|()| folder.display().to_string())
            .map_err(|e| e.to_string()),
    }
}

/// Grades `folder` against the task.
pub fn check(index: usize, task: Task, folder: PathBuf) -> Event {
    Event::LabChecked {
        task: index,
        result: lab::grade::check(&task, &folder, &Target::Folder)
            .map(Box::new)
            .map_err(|e| e.to_string()),
    }
}
