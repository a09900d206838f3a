//! A real bbolt `trivy.db` from fixture YAML, written by kaudit's own fixture writer.

use std::path::{Path, PathBuf};

/// Builds `dir/trivy.db` (making `dir`) (and its `metadata.json`) from YAML texts.
pub fn build(dir: &Path, yaml_texts: &[String]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("the database folder is made");
    let texts: Vec<&str> = yaml_texts.iter().map(String::as_str).collect();
    kaudit::vuln::fixture::build(dir, &texts).expect("the fixture database is written")
}
