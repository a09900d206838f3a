//! Where Trivy's database is: the file named, else Trivy's cache (`$TRIVY_CACHE_DIR`,
//! `$XDG_CACHE_HOME/trivy`, `~/.cache/trivy`), else kaudit's own cache.

use std::path::{Path, PathBuf};

/// The places looked at, in order, for `trivy.db`.
pub fn candidates(kaudit_cache: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("TRIVY_CACHE_DIR") {
        out.push(dir.join("db/trivy.db"));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        out.push(dir.join("trivy/db/trivy.db"));
    }
    if let Some(home) = var("HOME") {
        out.push(home.join(".cache/trivy/db/trivy.db"));
    }
    if let Some(dir) = kaudit_cache {
        out.push(dir.join("trivy-db/trivy.db"));
    }
    out.dedup();
    out
}

/// `explicit` if given (it must exist), else the first candidate that exists; the error
/// lists where kaudit looked.
pub fn find(explicit: Option<&Path>, kaudit_cache: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("--trivy-db {}: no such file", path.display()))
        };
    }
    let looked = candidates(kaudit_cache);
    looked.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "no Trivy vulnerability database found (looked in {}); run `kaudit db update` (or `trivy image --download-db-only`), or pass --trivy-db FILE",
            looked
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}
