//! Which files an audit log is: folders walked (walkdir), `*`/`?` globs in the last
//! component (globset), rotated sets put oldest first with the active file last.

use super::reader::Stats;
use crate::walk::Found;
use std::path::{Path, PathBuf};

/// Expands paths into files in reading order: folders recursively (hidden entries skipped,
/// each real folder once), globs in the last component, rotated sets oldest first.
pub fn expand(paths: &[PathBuf], stats: &mut Stats) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.contains(['*', '?']) {
            matching(path, name, &mut files, stats);
        } else if path.is_dir() {
            walk(path, &mut files, stats);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            stats.problem(
                &path.display().to_string(),
                None,
                "no such file or folder".into(),
            );
        }
    }
    order(files)
}

/// The files of `path`'s folder whose names match the glob `name`.
fn matching(path: &Path, name: &str, files: &mut Vec<PathBuf>, stats: &mut Stats) {
    let shown = path.display().to_string();
    let glob = match globset::Glob::new(name) {
        Ok(glob) => glob.compile_matcher(),
        Err(e) => return stats.problem(&shown, None, format!("not a valid pattern: {e}")),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return stats.problem(&dir.display().to_string(), None, e.to_string()),
    };
    let before = files.len();
    files.extend(
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| glob.is_match(n))),
    );
    if files.len() == before {
        stats.problem(&shown, None, "no file matches".into());
    }
}

/// Every file under `dir` (see [`crate::walk`]); what is skipped is said.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, stats: &mut Stats) {
    for found in crate::walk::files_under(dir) {
        match found {
            Found::File(path) => files.push(path),
            Found::Skipped(path, why) => stats.problem(&path.display().to_string(), None, why),
        }
    }
}

/// The lumberjack backup timestamp in a file name (`audit-2024-01-02T03-04-05.678.log.gz`)
/// and the name without it (`audit.log`), which groups a rotated set.
pub fn rotation_key(name: &str) -> (String, Option<String>) {
    let bytes = name.as_bytes();
    // -YYYY-MM-DDTHH-MM-SS.mmm is 24 bytes.
    for i in 0..bytes.len().saturating_sub(23) {
        // Matched on bytes: slicing the name at i could split a character. Once the ASCII
        // pattern matches, i and i + 24 are character boundaries.
        let b = &bytes[i..i + 24];
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b[0] == b'-'
            && digits(1..5)
            && b[5] == b'-'
            && digits(6..8)
            && b[8] == b'-'
            && digits(9..11)
            && b[11] == b'T'
            && digits(12..14)
            && b[14] == b'-'
            && digits(15..17)
            && b[17] == b'-'
            && digits(18..20)
            && b[20] == b'.'
            && digits(21..24)
        {
            let s = &name[i..i + 24];
            let base = format!("{}{}", &name[..i], &name[i + 24..]);
            return (
                base.trim_end_matches(".gz").to_string(),
                Some(s[1..].to_string()),
            );
        }
    }
    (name.trim_end_matches(".gz").to_string(), None)
}

fn order(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort_by_cached_key(|p| {
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let (base, stamp) = rotation_key(&name);
        // Backups (with a time stamp) oldest first, then the active file.
        (dir, base, stamp.is_none(), stamp, name)
    });
    files.dedup();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_loop_is_walked_once_and_said() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audit.log"), "{}\n").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("again")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
        let mut stats = Stats::default();
        let files = expand(&[dir.path().to_path_buf()], &mut stats);
        assert_eq!(files, [dir.path().join("audit.log")]);
        assert_eq!(stats.problems.len(), 2, "{:?}", stats.problems);
        assert!(
            stats
                .problems
                .iter()
                .all(|p| p.message.contains("a link back to"))
        );
    }

    #[test]
    fn fifos_in_a_folder_are_skipped_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audit.log"), "{}\n").unwrap();
        let fifo = dir.path().join("pipe.log");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let mut stats = Stats::default();
        let files = expand(&[dir.path().to_path_buf()], &mut stats);
        assert_eq!(files, [dir.path().join("audit.log")]);
        assert_eq!(stats.problems[0].file, fifo.display().to_string());
        assert!(stats.problems[0].message.contains("not a regular file"));
    }

    #[test]
    fn globs_match_names_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "audit.log",
            "audit-2024-01-02T03-04-05.678.log.gz",
            "other.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let mut stats = Stats::default();
        let files = expand(&[dir.path().join("audit*")], &mut stats);
        let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap()).collect();
        assert_eq!(names, ["audit-2024-01-02T03-04-05.678.log.gz", "audit.log"]);
        let files = expand(&[dir.path().join("nothing-*")], &mut stats);
        assert!(files.is_empty());
        assert!(stats.problems[0].message.contains("no file matches"));
    }
}
