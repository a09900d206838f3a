//! The student's work folder: what `kaudit lab start` writes into it and how the grader reads
//! it back. Writing never follows a link planted in the folder and never replaces a file;
//! reading is bounded.

use super::Error;
use super::catalog::Task;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The cluster's objects as YAML (files mode: edit them; cluster mode: `kubectl apply -f`).
pub const MANIFESTS: &str = "manifests";
/// The API server's audit log the task is about, when it has one.
pub const AUDIT_LOG: &str = "audit/audit.log";
/// The API server's audit Policy, when the task has one.
pub const AUDIT_POLICY: &str = "audit/policy.yaml";
/// Where the student writes answers read from an audit log.
pub const ANSWER: &str = "answer.yaml";
/// The task's text.
pub const TASK_TEXT: &str = "TASK.md";
/// Which task the folder is for and how it was started.
pub const MARKER: &str = ".kaudit-lab.json";

/// Any one file the grader reads from a work folder; a real manifest is far smaller.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// What `.kaudit-lab.json` holds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    pub task: String,
    pub started: String,
    /// Written for `kubectl apply` (cluster mode).
    #[serde(default)]
    pub cluster: bool,
}

/// Reads a file of the work folder (or a task folder), refusing one too large to be real.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Folder(format!(
            "{} is larger than {} MiB; it is not read",
            path.display(),
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Writes `files` into `dir`, which must be new or empty. Every folder and file is created
/// anew (`create_new`), so a link planted in `dir` is never followed.
pub fn write_files(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), Error> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Folder(format!(
                "{} is a symbolic link; give the folder itself",
                dir.display()
            )));
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(Error::Folder(format!("{} is not a folder", dir.display())));
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            if entries.next().is_some() {
                return Err(Error::Folder(format!(
                    "{} is not empty; kaudit writes a scenario only into a new or empty folder, so nothing of yours is overwritten",
                    dir.display()
                )));
            }
        }
        Err(_) => std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?,
    }
    for (rel, bytes) in files {
        let path = inside(dir, rel)?;
        if let Some(parent) = path.parent() {
            create_folders(dir, parent)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        file.write_all(bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// `rel` (a path with `/`) under `dir`, refusing one that would leave it.
fn inside(dir: &Path, rel: &str) -> Result<PathBuf, Error> {
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return Err(Error::Folder(format!(
                "{rel:?} is not a path inside the folder"
            )));
        }
        path.push(part);
    }
    Ok(path)
}

/// Creates the folders between `root` and `folder`, refusing a link on the way.
fn create_folders(root: &Path, folder: &Path) -> Result<(), Error> {
    let Ok(rel) = folder.strip_prefix(root) else {
        return Ok(());
    };
    let mut here = root.to_path_buf();
    for part in rel.components() {
        here.push(part);
        match std::fs::symlink_metadata(&here) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::Folder(format!(
                    "{} is not a folder kaudit made (a file or a link)",
                    here.display()
                )));
            }
            Err(_) => std::fs::create_dir(&here).map_err(|e| Error::io(&here, e))?,
        }
    }
    Ok(())
}

/// The folder's marker, when it has one that reads.
pub fn marker(dir: &Path) -> Result<Marker, Error> {
    let path = dir.join(MARKER);
    let bytes = read_bounded(&path).map_err(|_| {
        Error::Folder(format!(
            "{} is not a lab work folder (no {MARKER}); name the task: `kaudit lab check TASK DIR`",
            dir.display()
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Folder(format!("{}: {e}", path.display())))
}

/// The scenario's files as the student gets them: the task's files, its text, and the
/// marker.
pub fn scenario_files(task: &Task, started: &str, cluster: bool) -> BTreeMap<String, Vec<u8>> {
    let mut files = task.scenario.clone();
    files.insert(TASK_TEXT.into(), task_text(task, cluster).into_bytes());
    let marker = Marker {
        task: task.id.clone(),
        started: started.to_string(),
        cluster,
    };
    files.insert(
        MARKER.into(),
        serde_json::to_vec_pretty(&marker).unwrap_or_default(),
    );
    files
}

/// `TASK.md`: the exam text, then how to work and how to check.
pub fn task_text(task: &Task, cluster: bool) -> String {
    let rules = task.rules.join(", ");
    let how = if cluster {
        format!(
            "Apply the scenario to a practice cluster you own (kaudit never applies anything):\n\n    kubectl apply -R -f {MANIFESTS}/\n\nthen fix it there with kubectl, and grade the live state (read-only):\n\n    kaudit lab check {} --context YOUR-CONTEXT\n",
            task.id
        )
    } else {
        format!(
            "Edit the files in this folder with any editor; `{MANIFESTS}/` is the cluster. Then grade it:\n\n    kaudit lab check {} .\n",
            task.id
        )
    };
    format!(
        "# {title}\n\nTask {id} · {domain} · {difficulty} · rules {rules}\n\n{text}\n\n## Working on it\n\n{how}\n`kaudit lab hint {id}` gives a hint; `kaudit lab solution {id}` shows the reference solution.\n",
        title = task.title,
        id = task.id,
        domain = task.domain,
        difficulty = task.difficulty.as_str(),
        text = task.text.trim_end(),
    )
}

/// A private folder under the system's temporary folder, removed when dropped: where the
/// untouched scenario is written to be audited as the baseline.
pub struct TempFolder(pub PathBuf);

impl TempFolder {
    pub fn new() -> Result<TempFolder, Error> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "kaudit-lab-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            // create_dir fails on anything already there (a planted link included).
            if std::fs::create_dir(&path).is_ok() {
                return Ok(TempFolder(path));
            }
        }
        Err(Error::Folder(format!(
            "could not make a private folder in {}",
            base.display()
        )))
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
