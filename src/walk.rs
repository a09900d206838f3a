//! Walking folders of input (manifests, audit logs) with walkdir: names in order, hidden
//! entries skipped, links followed but a link back into a folder being walked skipped with
//! a message, and FIFOs, sockets and devices skipped (reading one would hang or never end).

use std::path::{Path, PathBuf};

/// One entry found under a folder.
pub enum Found {
    File(PathBuf),
    /// Not read, and why.
    Skipped(PathBuf, String),
}

/// Every file under `dir`, in name order.
pub fn files_under(dir: &Path) -> impl Iterator<Item = Found> + '_ {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(move |entry| match entry {
            Ok(e) if e.file_type().is_dir() => None,
            Ok(e) if e.file_type().is_file() => Some(Found::File(e.into_path())),
            Ok(e) => Some(Found::Skipped(
                e.into_path(),
                "not a regular file (a FIFO, socket or device): skipped".into(),
            )),
            Err(e) => Some(Found::Skipped(
                e.path().unwrap_or(dir).to_path_buf(),
                walk_error(&e),
            )),
        })
}

/// What went wrong walking, said plainly.
fn walk_error(e: &walkdir::Error) -> String {
    match (e.loop_ancestor(), e.io_error()) {
        (Some(ancestor), _) => format!(
            "a link back to {} (skipped: it would be read again)",
            ancestor.display()
        ),
        (None, Some(io)) => io.to_string(),
        (None, None) => e.to_string(),
    }
}
