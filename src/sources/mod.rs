//! Sources of an inventory: manifest files and folders, the embedded demo cluster.

pub mod demo;

use crate::inventory::{Inventory, SourceInfo, build};
use crate::manifest;
use std::path::PathBuf;

/// Reads manifests from files and folders (`-` for standard input).
pub fn from_manifests(paths: &[PathBuf]) -> Inventory {
    let loaded = manifest::load_paths(paths);
    let description = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    build::from_loaded(
        SourceInfo::new("manifests", description, false, false),
        loaded,
    )
}
