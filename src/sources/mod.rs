//! Sources of an inventory: manifest files and folders, the embedded demo cluster.

pub mod demo;

use crate::inventory::{Inventory, SourceInfo, build};
use crate::manifest;
use std::path::PathBuf;

/// Reads manifests from files and folders (`-` for standard input).
pub fn from_manifests(paths: &[PathBuf]) -> Inventory {
    // Typed on the reading threads as each file is parsed: the parsed documents (twenty
    // times the size of the YAML) never all exist at once.
    let loaded = manifest::load_paths_with(paths, manifest::MAX_FILE_BYTES, &build::type_owned);
    let description = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    build::from_typed(
        SourceInfo::new("manifests", description, false, false),
        loaded,
    )
}
