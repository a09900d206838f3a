//! Where Trivy's databases are: the file named, else Trivy's cache (`$TRIVY_CACHE_DIR`,
//! `$XDG_CACHE_HOME/trivy`, `~/.cache/trivy`), else kaudit's own cache.

use std::path::{Path, PathBuf};

/// The places looked at, in order, for `trivy.db`.
pub fn candidates(kaudit_cache: Option<&Path>) -> Vec<PathBuf> {
    places(kaudit_cache, "db/trivy.db", "trivy-db/trivy.db")
}

/// The places looked at, in order, for the Java DB (`trivy-java.db`).
pub fn java_candidates(kaudit_cache: Option<&Path>) -> Vec<PathBuf> {
    places(
        kaudit_cache,
        "java-db/trivy-java.db",
        "java-db/trivy-java.db",
    )
}

fn places(kaudit_cache: Option<&Path>, in_trivy: &str, in_kaudit: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("TRIVY_CACHE_DIR") {
        out.push(dir.join(in_trivy));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        out.push(dir.join("trivy").join(in_trivy));
    }
    if let Some(home) = var("HOME") {
        out.push(home.join(".cache/trivy").join(in_trivy));
    }
    if let Some(dir) = kaudit_cache {
        out.push(dir.join(in_kaudit));
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

/// The Java DB: `explicit` if given (it must exist), else the first candidate that exists,
/// else `None` (JARs are then identified by their own `pom.properties` only).
pub fn find_java(
    explicit: Option<&Path>,
    kaudit_cache: Option<&Path>,
) -> Result<Option<PathBuf>, String> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(Some(path.to_path_buf()))
        } else {
            Err(format!("--java-db {}: no such file", path.display()))
        };
    }
    Ok(java_candidates(kaudit_cache)
        .into_iter()
        .find(|p| p.is_file()))
}
