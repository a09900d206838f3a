//! CKS practice: exam-style tasks whose pass criteria are kaudit's own verdicts. A task's
//! scenario is written into a work folder (`kaudit lab start`); the student edits it, or
//! applies it to a practice cluster and fixes it there; `kaudit lab check` grades the folder
//! or the live cluster (read-only). Exams draw tasks weighted by the curriculum and keep each
//! attempt in the store.

mod answer;
pub mod catalog;
pub mod criteria;
pub mod exam;
pub mod grade;
mod intact;
mod path;
mod verdicts;
pub mod workdir;

pub use catalog::{Difficulty, Task};
pub use grade::{CriterionResult, Grade, Target};

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no task {0:?} (see `kaudit lab list`)")]
    NoSuchTask(String),
    #[error("{id:?} names several tasks: {}", .tasks.join(", "))]
    Ambiguous { id: String, tasks: Vec<String> },
    #[error("task {0}: {1}")]
    Task(String, String),
    #[error("{0}")]
    Folder(String),
    #[error("{}: {error}", path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

impl Error {
    pub fn io(path: &Path, error: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Writes the task's scenario into `dir` (new or empty) for files mode, or for `kubectl
/// apply` (`cluster`).
pub fn start(task: &Task, dir: &Path, cluster: bool) -> Result<(), Error> {
    let files = workdir::scenario_files(task, &crate::time::now_rfc3339(), cluster);
    workdir::write_files(dir, &files)
}

/// Grades the work folder (or the cluster) against its task; `task` `None` reads the folder's
/// marker.
pub fn check(task: Option<&str>, dir: &Path, target: &Target) -> Result<Grade, Error> {
    let id = match task {
        Some(id) => id.to_string(),
        None => workdir::marker(dir)?.task,
    };
    let task = catalog::find(&id)?;
    grade::check(&task, dir, target)
}
